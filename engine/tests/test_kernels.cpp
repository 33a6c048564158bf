// Kernel tests: every SIMD kernel compiled into this build (NEON, SDOT, AVX2) against the
// portable ref kernel on random inputs, bit-exact for int8. Runs natively and, for ARM
// cross builds, under qemu through Meson's exe_wrapper. Prints which kernels it checked;
// `--require <name>` fails when a named kernel was not exercised (so a cross test can't
// pass vacuously on a build that silently lost its NEON path).
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/op.h"
#include "core/thread_pool.h"

#if SDK_FEATURE_INT8
#include "kernels/gemm_s8.h"
#include "kernels/requant_s8.h"
#if defined(TEST_HAVE_MAXPOOL) || defined(TEST_HAVE_AVERAGEPOOL)
#include "kernels/pool_s8.h"
#endif
#endif

#if SDK_FEATURE_FP32 && SDK_FEATURE_X86
#include "kernels/sgemm_x86.h"
#endif
#if SDK_FEATURE_INT8 && SDK_FEATURE_X86
#include "kernels/x86/conv_s8.h"
#endif
#if SDK_FEATURE_FP32
#include "kernels/ref/sgemm_f32.h"
#endif
#if SDK_FEATURE_FP32 && defined(TEST_HAVE_CONV)
#include "kernels/ref/conv.h"
#endif
#if defined(TEST_HAVE_GEMM)
#include "kernels/ref/gemm.h"
#endif
#if defined(TEST_HAVE_MAXPOOL) || defined(TEST_HAVE_AVERAGEPOOL)
#include "kernels/ref/pool.h"
#endif
#if SDK_FEATURE_SPARSE && (defined(TEST_HAVE_CONV) || defined(TEST_HAVE_GEMM) || defined(TEST_HAVE_MATMUL))
#define TEST_HAVE_SPMM 1
#include "kernels/ref/spmm.h"
#endif
#include "core/alloc.h"
#include "core/model.h"
#include "core/status.h"

#if defined(TEST_HAVE_CONV)
extern const sdk::OpDef sdk_op_conv;
#endif
#if defined(TEST_HAVE_MAXPOOL)
extern const sdk::OpDef sdk_op_maxpool;
#endif
#if defined(TEST_HAVE_AVERAGEPOOL)
extern const sdk::OpDef sdk_op_averagepool;
#endif
#if defined(TEST_HAVE_MUL)
extern const sdk::OpDef sdk_op_mul;
#endif
#if defined(TEST_HAVE_QUANTIZELINEAR)
extern const sdk::OpDef sdk_op_quantizelinear;
#endif
#if defined(TEST_HAVE_ADD)
extern const sdk::OpDef sdk_op_add;
#endif
#if defined(TEST_HAVE_CONCAT)
extern const sdk::OpDef sdk_op_concat;
#endif
#if defined(TEST_HAVE_SWISH)
extern const sdk::OpDef sdk_op_swish;
#endif
#if SDK_FEATURE_INT8 && defined(TEST_HAVE_CONV)
#include "kernels/neon/conv_s8.h"  // (kWinoOB: the Winograd path's scratch)
#endif
#if defined(TEST_HAVE_GLOBALAVERAGEPOOL)
#include "kernels/neon/sum_neon.h"
#include "kernels/ref/misc.h"
extern const sdk::OpDef sdk_op_globalaveragepool;
#endif

static int g_failures = 0;
static std::vector<std::string> g_checked;

#define CHECK(cond, ...)                                         \
    do {                                                         \
        if (!(cond)) {                                           \
            fprintf(stderr, "%s:%d: FAILED: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                        \
            fprintf(stderr, "\n");                               \
            ++g_failures;                                        \
        }                                                        \
    } while (0)

#if SDK_FEATURE_INT8
using sdk::s8::Gemm;
using sdk::s8::GemmKernel;

struct GemmCase {
    int M, N, K;
    std::vector<int8_t> w, x;
    std::vector<int32_t> bias, mult, shift;
    int32_t out_zp, act_min, act_max;
};

static GemmCase make_case(std::mt19937& rng, int M, int N, int K, bool extreme) {
    GemmCase c;
    c.M = M;
    c.N = N;
    c.K = K;
    const int kp = sdk::s8::round_up_k(K);
    std::uniform_int_distribution<int> w8(-127, 127), x8(-128, 127), zp(-128, 127);
    std::vector<int8_t> wraw((size_t)M * K);
    for (auto& v : wraw) v = (int8_t)(extreme ? (rng() & 1 ? 127 : -127) : w8(rng));
    std::vector<int32_t> b(M);
    std::uniform_int_distribution<int32_t> bd(extreme ? -(1 << 28) : -20000, extreme ? (1 << 28) : 20000);
    for (auto& v : b) v = bd(rng);
    const int32_t x_zp = zp(rng);
    c.w.assign((size_t)M * kp, 0);
    c.bias.assign(M, 0);
    sdk::s8::gemm_pack(wraw.data(), M, K, kp, b.data(), x_zp, c.w.data(), c.bias.data());
    c.x.assign((size_t)N * kp, 0);
    for (int n = 0; n < N; ++n)
        for (int k = 0; k < K; ++k) c.x[(size_t)n * kp + k] = (int8_t)(extreme ? (rng() & 1 ? 127 : -128) : x8(rng));
    std::uniform_real_distribution<double> scale(extreme ? 1e-9 : 1e-5, extreme ? 4.0 : 0.05);
    for (int m = 0; m < M; ++m) {
        const sdk::s8::Mult q = sdk::s8::quantize_multiplier(scale(rng));
        c.mult.push_back(q.mult);
        c.shift.push_back(q.shift);
    }
    c.out_zp = zp(rng);
    c.act_min = -128;
    c.act_max = 127;
    if (rng() % 3 == 0) c.act_min = c.out_zp;  // fused Relu
    if (rng() % 4 == 0) c.act_max = c.act_min + (int)(rng() % (128 - (c.act_min < 0 ? 0 : c.act_min)));
    return c;
}

static Gemm view(const GemmCase& c, std::vector<int8_t>& y, bool transposed) {
    Gemm g;
    g.M = c.M;
    g.N = c.N;
    g.kp = sdk::s8::round_up_k(c.K);
    g.w = c.w.data();
    g.x = c.x.data();
    g.bias = c.bias.data();
    g.mult = c.mult.data();
    g.shift = c.shift.data();
    g.out_zp = c.out_zp;
    g.act_min = c.act_min;
    g.act_max = c.act_max;
    y.assign((size_t)c.M * c.N, 0x5a);
    g.y = y.data();
    g.ys_m = transposed ? 1 : c.N;
    g.ys_n = transposed ? c.M : 1;
    return g;
}

static void check_gemm_kernel(const char* name, GemmKernel kernel) {
    std::mt19937 rng(1234);
    const int shapes[][3] = {{1, 1, 1},   {2, 4, 16},   {3, 5, 17},   {8, 8, 27},   {16, 49, 144},
                             {7, 13, 200}, {32, 64, 288}, {5, 3, 1000}, {64, 9, 576}, {4, 4, 2048}};
    int cases = 0;
    for (int rep = 0; rep < 3; ++rep)
        for (const auto& s : shapes)
            for (int extreme = 0; extreme < 2; ++extreme)
                for (int tr = 0; tr < 2; ++tr) {
                    GemmCase c = make_case(rng, s[0], s[1], s[2], extreme != 0);
                    std::vector<int8_t> want, got;
                    Gemm gw = view(c, want, tr != 0);
                    Gemm gg = view(c, got, tr != 0);
                    sdk::s8::gemm_ref(gw, 0, c.M, 0, c.N);
                    // full range, then the same result computed as two uneven row/column blocks
                    kernel(gg, 0, c.M, 0, c.N);
                    CHECK(want == got, "%s: gemm %dx%dx%d (extreme=%d, transposed=%d) differs from ref", name,
                          c.M, c.N, c.K, extreme, tr);
                    std::vector<int8_t> got2;
                    Gemm g2 = view(c, got2, tr != 0);
                    const int mm = c.M / 3, nn = c.N / 2 + 1 < c.N ? c.N / 2 + 1 : c.N;
                    kernel(g2, 0, mm, 0, nn);
                    kernel(g2, mm, c.M, 0, nn);
                    kernel(g2, 0, c.M, nn, c.N);
                    CHECK(want == got2, "%s: blocked gemm %dx%dx%d differs from ref", name, c.M, c.N, c.K);
                    ++cases;
                }
    printf("int8 gemm kernel %-8s: %d random cases bit-exact vs ref\n", name, cases);
    g_checked.push_back(name);
}

static void check_requant_row(const char* name, sdk::s8::RequantRow fn) {
    std::mt19937 rng(99);
    int cases = 0;
    for (int rep = 0; rep < 1200; ++rep) {
        const int n = (int)(rng() % 70);
        std::vector<int32_t> acc(n);
        const bool extreme = rep % 4 == 0;
        for (auto& v : acc) v = extreme ? (int32_t)rng() : (int32_t)(rng() % 200001) - 100000;
        if (rep % 7 == 3)  // small values: ties and the zero point's neighbourhood at large multipliers
            for (auto& v : acc) v = (int32_t)(rng() % 41) - 20;
        // multipliers in [1e-7, 2], or anywhere in [2^-32, 2^31] (every shift; NEON's SQSHL saturates
        // for shift >= 0), or powers of two (round-half-up ties)
        const double real = rep % 3 == 1 ? exp2(std::uniform_real_distribution<double>(-32.0, 31.0)(rng))
                            : rep % 3 == 2 ? exp2((double)(int)(rng() % 60) - 31.0)
                                           : std::uniform_real_distribution<double>(1e-7, 2.0)(rng);
        const sdk::s8::Mult q = sdk::s8::quantize_multiplier(real);
        const int32_t zp = (int32_t)(rng() % 256) - 128;
        const int32_t lo = rep % 3 == 0 ? zp : -128, hi = rep % 5 == 0 ? std::min(127, (lo + 127) / 2 + 1) : 127;
        std::vector<int8_t> want(n + 1, 0x11), got(n + 1, 0x11);
        sdk::s8::requant_row_ref(acc.data(), n, q.mult, q.shift, zp, lo, hi, want.data());
        fn(acc.data(), n, q.mult, q.shift, zp, lo, hi, got.data());
        CHECK(want == got, "%s: requant row n=%d differs from ref (or wrote past the end)", name, n);
        ++cases;
    }
    printf("requant row kernel %-6s: %d random rows bit-exact vs ref\n", name, cases);
}

static void check_requant() {
    // mbqm(x) must be x * M rounded to nearest (|error| <= 1/2) unless it saturates
    std::mt19937 rng(7);
    int n = 0;
    for (int i = 0; i < 200000; ++i) {
        const int32_t x = (int32_t)rng();
        const int32_t shift = (int32_t)(rng() % 62) - 31;
        const int32_t mult = (int32_t)((1u << 30) + (rng() % (1u << 30)));
        const double exact = (double)x * ldexp((double)mult, shift - 31);
        const int32_t got = sdk::s8::mbqm(x, mult, shift);
        if (exact >= 2147483647.0) {
            CHECK(got == INT32_MAX, "mbqm(%d, %d, %d) should saturate high", x, mult, shift);
        } else if (exact <= -2147483648.0) {
            CHECK(got == INT32_MIN, "mbqm(%d, %d, %d) should saturate low", x, mult, shift);
        } else {
            CHECK(fabs((double)got - exact) <= 0.5 + 1e-6, "mbqm(%d, %d, %d) = %d, exact %f", x, mult, shift, got,
                  exact);
        }
        ++n;
    }
    const sdk::s8::Mult h = sdk::s8::quantize_multiplier(0.5);
    CHECK(h.mult == (1 << 30) && h.shift == 0, "quantize_multiplier(0.5) = %d, %d", h.mult, h.shift);
    CHECK(sdk::s8::mbqm(3, h.mult, h.shift) == 2 && sdk::s8::mbqm(-3, h.mult, h.shift) == -1,
          "round half up: mbqm(+-3, 0.5)");
    printf("requant: %d random mbqm values within 1/2 of exact\n", n);
}
#endif

#if SDK_FEATURE_FP32
typedef void (*SgemmFn)(int64_t, int, int, const float*, int64_t, int64_t, const float*, float*, int64_t,
                        const sdk::ref::GemmEpilogue&);

// A SIMD sgemm vs the portable one on the same packed panels: within 1e-5 (FMA rounds once).
static void check_sgemm(const char* name, void (*set_enabled)(int), SgemmFn fn) {
    std::mt19937 rng(5);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const int shapes[][3] = {{1, 1, 1},    {3, 7, 5},     {8, 8, 16}, {13, 29, 64}, {16, 64, 144},
                             {9, 100, 500}, {32, 17, 9}, {12, 9, 7}, {4, 8, 3},   {20, 24, 4}};
    int cases = 0;
    double worst = 0.0;
    for (const auto& sh : shapes)
        for (int variant = 0; variant < 7; ++variant) {
            const int M = sh[0], N = sh[1], K = sh[2];
            std::vector<float> A((size_t)M * K), B((size_t)K * N), bias(M);
            for (auto& v : A) v = nd(rng);
            for (auto& v : B) v = nd(rng);
            for (auto& v : bias) v = nd(rng);
            std::vector<float> panels((size_t)((N + sdk::ref::kNR - 1) / sdk::ref::kNR) * K * sdk::ref::kNR);
            sdk::ref::sgemm_pack_b(B.data(), N, 1, K, 0, N, panels.data());
            sdk::ref::GemmEpilogue e;
            e.alpha = variant == 1 ? 0.5f : 1.0f;
            e.row_bias = variant >= 2 ? bias.data() : nullptr;
            e.accumulate = variant == 3;
            // variants 4-6: HardSwish, Sigmoid, SiLU (with the row bias)
            e.act = {variant == 2 ? (int32_t)sdk::kActRelu : (variant == 3 ? (int32_t)sdk::kActClip : (variant >= 4 ? variant - 1 : 0)),
                     -1.0f, 1.5f};
            if (variant >= 4) e.row_bias = bias.data();
            std::vector<float> want((size_t)M * N, 0.25f), got((size_t)M * N, 0.25f);
            set_enabled(0);
            sdk::ref::sgemm_packed(M, N, K, A.data(), K, 1, panels.data(), want.data(), N, e);
            set_enabled(-1);
            fn(M, N, K, A.data(), K, 1, panels.data(), got.data(), N, e);
            for (size_t i = 0; i < want.size(); ++i) {
                const double d = fabs((double)want[i] - got[i]) / (1.0 + fabs((double)want[i]));
                worst = d > worst ? d : worst;
                CHECK(d <= 1e-5, "sgemm %s %dx%dx%d variant %d: %g vs %g", name, M, N, K, variant, got[i], want[i]);
            }
            ++cases;
        }
    printf("fp32 gemm kernel %-8s: %d random cases within 1e-5 of ref (worst %.2g)\n", name, cases, worst);
    g_checked.push_back(std::string(name) + "-f32");
}
#endif

#if SDK_FEATURE_FP32 && SDK_FEATURE_NEON && defined(__ARM_NEON)
// A packed once (neon_sgemm_pack_a, a conv's weights at load) through neon_sgemm_packed_a:
// within 1e-5 of a double-precision product (relative to 1 + the sum of |terms|), bit for bit
// the unpacked tiles' results on whole panels (the same tiles, the same order of rounding),
// every activation, K tails 0-3, partial panels, and nothing written past the nc columns.
static void check_sgemm_packed_a() {
    std::mt19937 rng(23);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    int cases = 0;
    double worst = 0.0;
    for (int M : {8, 16, 40, 136})  // (136: the driver's 64-row chunks of bias rows, the last one partial)
        for (int K : {1, 2, 3, 4, 5, 7, 16, 17, 30, 97})
            for (int N : {1, 6, 8, 12, 13, 24, 49})
                for (int variant = 0; variant < 7; ++variant) {
                    const int ldc = N + 3;
                    std::vector<float> A((size_t)M * K), B((size_t)K * N), bias(M), Ap((size_t)M * K, -9.0f);
                    for (auto& v : A) v = nd(rng);
                    for (auto& v : B) v = nd(rng);
                    for (auto& v : bias) v = nd(rng);
                    std::vector<float> panels((size_t)((N + sdk::ref::kNR - 1) / sdk::ref::kNR) * K * sdk::ref::kNR);
                    sdk::ref::sgemm_pack_b(B.data(), N, 1, K, 0, N, panels.data());
                    sdk::ref::neon_sgemm_pack_a(A.data(), K, M, K, Ap.data());
                    sdk::ref::GemmEpilogue e;
                    e.row_bias = variant % 3 ? bias.data() : nullptr;
                    // none, Relu, Clip, Clip with lo > hi, HardSwish, Sigmoid, SiLU
                    const int32_t kinds[7] = {sdk::kActNone, sdk::kActRelu, sdk::kActClip, sdk::kActClip,
                                              sdk::kActHardSwish, sdk::kActSigmoid, sdk::kActSilu};
                    e.act = {kinds[variant], variant == 3 ? 0.5f : -0.5f, variant == 3 ? -0.5f : 0.75f};
                    std::vector<float> want((size_t)M * ldc, 7.0f), got((size_t)M * ldc, 7.0f);
                    sdk::ref::neon_sgemm_set_enabled(-1);
                    sdk::ref::neon_sgemm_packed(M, N, K, A.data(), K, 1, panels.data(), want.data(), ldc, e);
                    sdk::ref::neon_sgemm_packed_a(M, N, K, Ap.data(), panels.data(), got.data(), ldc, e);
                    bool bad = false;
                    for (int m = 0; m < M && !bad; ++m)
                        for (int n = 0; n < ldc && !bad; ++n) {
                            const float g = got[(size_t)m * ldc + n];
                            if (n >= N) {
                                bad = g != 7.0f;
                                CHECK(!bad, "sgemm packed A %dx%dx%d variant %d: column %d written", M, N, K, variant, n);
                                continue;
                            }
                            double acc = e.row_bias ? bias[m] : 0.0, mag = fabs(acc);
                            for (int k = 0; k < K; ++k) {
                                const double t = (double)A[(size_t)m * K + k] * B[(size_t)k * N + n];
                                acc += t;
                                mag += fabs(t);
                            }
                            const double r = sdk::ref::act_f32((float)acc, e.act);
                            const double d = fabs(r - g) / (1.0 + mag);
                            worst = d > worst ? d : worst;
                            bad = !(d <= 1e-5);
                            CHECK(!bad, "sgemm packed A %dx%dx%d variant %d at %d,%d: %g vs %g", M, N, K, variant, m, n,
                                  g, r);
                            const float u = want[(size_t)m * ldc + n];
                            if (!bad) {  // the unpacked tiles too (Clip with lo > hi gave hi, not act_f32's lo)
                                bad = !(fabs(r - u) / (1.0 + mag) <= 1e-5);
                                CHECK(!bad, "sgemm unpacked A %dx%dx%d variant %d at %d,%d: %g vs %g", M, N, K,
                                      variant, m, n, u, r);
                            }
                            if (n < N / sdk::ref::kNR * sdk::ref::kNR && !bad) {
                                bad = memcmp(&g, &u, sizeof g) != 0;
                                CHECK(!bad, "sgemm packed A %dx%dx%d variant %d at %d,%d: %g, unpacked %g", M, N, K,
                                      variant, m, n, g, u);
                            }
                        }
                    ++cases;
                }
    // K in two chunks (a K-chunked conv): the first with the bias, the second accumulating with the
    // activation, each on its own packed A and panels: bit for bit one pass over the whole K
    // (accumulate is built with the Winograd part)
    int chunked = 0;
#if SDK_FEATURE_WINOGRAD
    for (int M : {8, 24})
        for (int K : {9, 30, 97})
            for (int N : {4, 13, 49}) {
                const int K1 = K / 2 + 1, K2 = K - K1, ldc = N + 3;
                std::vector<float> A((size_t)M * K), B((size_t)K * N), bias(M), Ap((size_t)M * K), Ap1((size_t)M * K1),
                    Ap2((size_t)M * K2);
                for (auto& v : A) v = nd(rng);
                for (auto& v : B) v = nd(rng);
                for (auto& v : bias) v = nd(rng);
                const size_t np = (size_t)(N + sdk::ref::kNR - 1) / sdk::ref::kNR * sdk::ref::kNR;
                std::vector<float> panels(np * K), p1(np * K1), p2(np * K2);
                sdk::ref::sgemm_pack_b(B.data(), N, 1, K, 0, N, panels.data());
                sdk::ref::sgemm_pack_b(B.data(), N, 1, K1, 0, N, p1.data());
                sdk::ref::sgemm_pack_b(B.data() + (size_t)K1 * N, N, 1, K2, 0, N, p2.data());
                sdk::ref::neon_sgemm_pack_a(A.data(), K, M, K, Ap.data());
                sdk::ref::neon_sgemm_pack_a(A.data(), K, M, K1, Ap1.data());
                sdk::ref::neon_sgemm_pack_a(A.data() + K1, K, M, K2, Ap2.data());
                sdk::ref::GemmEpilogue e, e1, e2;
                e.row_bias = e1.row_bias = bias.data();
                e.act = e2.act = {sdk::kActRelu, 0.0f, 0.0f};
                e2.accumulate = true;
                std::vector<float> want((size_t)M * ldc, 7.0f), got((size_t)M * ldc, 7.0f);
                sdk::ref::neon_sgemm_packed_a(M, N, K, Ap.data(), panels.data(), want.data(), ldc, e);
                sdk::ref::neon_sgemm_packed_a(M, N, K1, Ap1.data(), p1.data(), got.data(), ldc, e1);
                sdk::ref::neon_sgemm_packed_a(M, N, K2, Ap2.data(), p2.data(), got.data(), ldc, e2);
                CHECK(memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0,
                      "sgemm packed A %dx%dx%d in K chunks %d + %d differs from one pass", M, N, K, K1, K2);
                ++chunked;
            }
#endif
    printf("fp32 gemm packed A neon : %d cases within 1e-5 of double (worst %.2g), whole panels bit for bit the "
           "unpacked tiles; %d in two K chunks (accumulate) bit for bit one pass\n", cases, worst, chunked);
    g_checked.push_back("neon-f32-packed-a");
}
#endif

#if SDK_FEATURE_FP32 && SDK_FEATURE_X86
// The AVX2 dot-product kernel (Gemm with M == 1, B transposed) vs double-precision sums.
static void check_dots_avx2() {
    std::mt19937 rng(7);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    int cases = 0;
    for (int K : {1, 7, 8, 15, 16, 17, 33, 100, 1280})
        for (int n : {1, 3, 4, 5, 9}) {
            std::vector<float> a(K), b((size_t)K * n), out(n + 1, 7.0f);
            for (auto& v : a) v = nd(rng);
            for (auto& v : b) v = nd(rng);
            sdk::ref::x86_dots_avx2(a.data(), b.data(), K, n, out.data());
            for (int i = 0; i < n; ++i) {
                double want = 0.0, mag = 0.0;
                for (int k = 0; k < K; ++k) {
                    want += (double)a[k] * b[(size_t)i * K + k];
                    mag += fabs((double)a[k] * b[(size_t)i * K + k]);
                }
                CHECK(fabs(out[i] - want) <= 1e-5 * (1.0 + mag), "dots K%d n%d [%d]: %g vs %g", K, n, i, out[i], want);
            }
            CHECK(out[n] == 7.0f, "dots K%d n%d wrote past n", K, n);
            ++cases;
        }
    printf("fp32 dot kernel avx2     : %d random cases within 1e-5\n", cases);
}
#endif

#if SDK_FEATURE_FP32 && SDK_FEATURE_X86
// The 16-column-panel GEMM behind the x86 1x1 / im2col convs (x86_sgemm16_avx2, which
// hands wide tiles to the AVX-512 tile when that tier is on) vs double-precision sums:
// B in place (row stride ldb, blocks 16 floats apart) and as packed panels, every
// epilogue (alpha, row bias, accumulate, Relu / Clip / HardSwish), row counts around the
// 12- and 6-row tiles, column tails of 1-31.
static void check_sgemm16(const char* name) {
    std::mt19937 rng(5);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    int cases = 0;
    double worst = 0.0;
    for (int it = 0; it < 300; ++it) {
        const int M = it % 3 == 0 ? pick(1, 40) : pick(1, 14), K = pick(0, 3) ? pick(1, 64) : pick(65, 300);
        const int N = it % 2 ? pick(128, 300) : pick(1, 80);
        const bool packed = it % 4 >= 2;
        std::vector<float> A((size_t)M * K), B((size_t)K * N), bias(M);
        for (auto& v : A) v = nd(rng);
        for (auto& v : B) v = nd(rng);
        for (auto& v : bias) v = nd(rng);
        const int64_t nblk = (N + 15) / 16;
        std::vector<float> panels((size_t)nblk * K * 16, 0.0f);
        for (int k = 0; k < K; ++k)
            for (int c = 0; c < N; ++c) panels[(size_t)(c / 16) * K * 16 + (size_t)k * 16 + c % 16] = B[(size_t)k * N + c];
        sdk::ref::GemmEpilogue e;
        const int variant = it % 5;
        e.alpha = variant == 1 ? 0.5f : 1.0f;
        e.row_bias = variant >= 2 ? bias.data() : nullptr;
        e.accumulate = variant == 3;
        // variant 4: HardSwish, Sigmoid or SiLU in turn (fused on the register by the AVX-512 tile)
        e.act = {variant == 2 ? (int32_t)sdk::kActRelu
                              : (variant == 3 ? (int32_t)sdk::kActClip : (variant == 4 ? 3 + (it / 5) % 3 : 0)),
                 -1.0f, 1.5f};
        const int64_t ldc = N + pick(0, 5);
        std::vector<float> C((size_t)M * ldc + 16, 0.25f);
        if (packed)
            sdk::ref::x86_sgemm16_avx2(M, N, K, A.data(), K, panels.data(), 16, (int64_t)16 * K, C.data(), ldc, e);
        else
            sdk::ref::x86_sgemm16_avx2(M, N, K, A.data(), K, B.data(), N, 16, C.data(), ldc, e);
        for (int m = 0; m < M; ++m)
            for (int64_t c = 0; c < ldc; ++c) {
                const float got = C[(size_t)m * ldc + c];
                if (c >= N) {
                    CHECK(got == 0.25f, "sgemm16 %s M%d N%d K%d wrote column %d past N", name, M, N, K, (int)c);
                    continue;
                }
                double s = 0.0, mag = 0.0;
                for (int k = 0; k < K; ++k) {
                    s += (double)A[(size_t)m * K + k] * B[(size_t)k * N + c];
                    mag += fabs((double)A[(size_t)m * K + k] * B[(size_t)k * N + c]);
                }
                s *= e.alpha;
                if (e.row_bias) s += e.row_bias[m];
                if (e.accumulate) s += 0.25;
                const float want = sdk::ref::act_f32((float)s, e.act);
                const double d = fabs((double)want - got) / (1.0 + mag);
                worst = d > worst ? d : worst;
                if (!(d <= 1e-5)) {
                    CHECK(false, "sgemm16 %s M%d N%d K%d %s variant %d at (%d,%d): %g vs %g", name, M, N, K,
                          packed ? "packed" : "in place", variant, m, (int)c, got, want);
                    m = M;
                    break;
                }
            }
        ++cases;
    }
    printf("fp32 gemm16 kernel %-6s: %d random cases within 1e-5 (worst %.2g)\n", name, cases, worst);
    g_checked.push_back(std::string(name) + "-f32-gemm16");
}
#endif

#if SDK_FEATURE_FP32 && defined(TEST_HAVE_CONV)
// fp32 Conv with the SIMD kernels (GEMM tiles, depthwise) vs with them switched off, on
// random geometries: odd sizes, pads, strides, dilations, groups, depth multipliers and
// every fused activation. Within 1e-5 (FMA rounds once).
static void check_conv_f32(const char* name, void (*set_enabled)(int)) {
    // every 4th geometry also on pools of 2 and 3 threads (the tile / output-channel splits)
    sdk::ThreadPool* pools[2] = {sdk::pool_create(2), sdk::pool_create(3)};
    int pooled = 0;
    std::mt19937 rng(11);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    int cases = 0;
    double worst = 0.0;
    for (int it = 0; it < 490; ++it) {
        sdk::ConvGeom g;
        memset(&g, 0, sizeof g);
        // 0-1 depthwise, 2 pointwise, 3 grouped, 4 dense KxK, 5 3x3 stride 2 (a stem with
        // 1-4 input channels, or depthwise), 6 depthwise 3x3 pad 1 (MobileNet's; stride 1:
        // the AVX-512 flat-plane kernel, planes from 1x1 to 60 wide) or 5x5 pad 2: the direct kernels,
        // edges and tails included
        const int kind = it % 7;
        g.N = pick(1, 2);
        g.KH = kind == 2 ? 1 : pick(1, 5);
        g.KW = kind == 2 ? 1 : (pick(0, 3) ? g.KH : pick(1, 5));
        g.sh = pick(1, 3);
        g.sw = kind <= 1 ? pick(1, 2) : pick(1, 3);
        g.dh = pick(0, 3) ? 1 : 2;
        g.dw = pick(0, 3) ? 1 : 2;
        if (kind == 2 && pick(0, 1)) g.sh = g.sw = 1;
        g.pt = pick(0, 2); g.pl = pick(0, 2); g.pb = pick(0, 2); g.pr = pick(0, 2);
        g.H = pick(1, 20) + (g.KH - 1) * g.dh;
        g.W = pick(1, 40) + (g.KW - 1) * g.dw;
        if (kind == 1) g.W = pick(7, 120);  // long rows: the vector loads of wide planes
        int C = pick(1, 12);
        const bool dw = kind <= 1 || kind == 6 || (kind == 5 && it % 12 == 11);
        if (kind == 5) {
            g.KH = g.KW = 3;
            g.sh = g.sw = 2;
            g.dh = g.dw = 1;
            g.H = pick(1, 40) + 2;
            g.W = pick(1, 70) + 2;
            if (!dw) C = pick(1, 4);
            if (!dw && pick(0, 1)) {  // MobileNet's stem padding (the AVX-512 stem), rows up to 75 outputs wide
                g.pt = g.pl = 1;
                g.W = pick(1, 150);
            }
            // ResNet's 7x7 stem (or 5x5, 7x5): the AVX-512 stem's other widths (own generator:
            // the other cases keep their draws)
            std::mt19937 rng7(1000 + it);
            auto pick7 = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng7); };
            if (dw && pick7(0, 1) == 0) {  // depthwise 5x5 stride 2 pads 2 (MNASNet's: the AVX-512 s2 kernel's 5x5 form)
                g.KH = g.KW = 5;
                g.pt = g.pl = 2;
                g.pb = pick7(0, 2);
                g.pr = pick7(0, 2);
                g.H = pick7(1, 40) + 2;
                g.W = pick7(0, 1) ? pick7(1, 20) + 2 : pick7(1, 70) + 2;
            }
            if (!dw && pick7(0, 2) == 0) {
                g.KH = pick7(0, 1) ? 7 : 5;
                g.KW = pick7(0, 2) ? g.KH : 12 - g.KH;
                g.pt = pick7(0, 3); g.pl = pick7(0, 3); g.pb = pick7(0, 3); g.pr = pick7(0, 3);
                g.H = pick7(1, 30) + g.KH - 1;
                g.W = pick7(1, 120) + g.KW - 1;
            }
        }
        if (kind == 6) {
            g.KH = g.KW = 3;
            g.sh = g.sw = pick(0, 3) ? 1 : 2;
            g.dh = g.dw = 1;
            g.pt = g.pl = g.pb = g.pr = 1;
            g.H = pick(1, 30);
            g.W = pick(0, 2) ? pick(1, 20) : pick(1, 60);
            // a third of them 5x5 pad 2 stride 1 (MNASNet's / EfficientNet's: the AVX-512 flat-plane
            // kernel's 5x5 form), planes 1x1 to 40x60 (own generator: the other cases keep their draws)
            std::mt19937 rng5(3000 + it);
            auto pick5 = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng5); };
            if (pick5(0, 2) == 0) {
                g.KH = g.KW = 5;
                g.sh = g.sw = pick5(0, 2) ? 1 : 2;  // (stride 2: the AVX-512 s2 kernel's 5x5 form)
                g.pt = g.pl = g.pb = g.pr = 2;
                g.H = pick5(1, 40);
                g.W = pick5(0, 2) ? pick5(1, 20) : pick5(1, 60);
            }
        }
        if (kind == 4 && it % 14 == 4 && g.KH * g.KW > 1) {  // a long K: the K-chunked im2col path
            C = pick(30, 72);
            g.H = pick(2, 14) + (g.KH - 1) * g.dh;
            g.W = pick(2, 16) + (g.KW - 1) * g.dw;
        }
        if (kind == 2 && it % 28 == 9) {
            // a long K (257-700 input channels): x86's K-blocked 1x1 path, in place (below 64
            // output channels) or packed, and planes whose width leaves 1-2 columns (7x7: 49)
            // for the dot kernel with the weights' row longer than the block (own generator:
            // the other cases keep their draws)
            std::mt19937 rngk(2000 + it);
            auto pickk = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rngk); };
            C = pickk(257, 700);
            if (pickk(0, 2)) {
                g.sh = g.sw = 1;
                g.pt = g.pl = g.pb = g.pr = 0;
            }
            g.H = pickk(1, 9);
            g.W = pickk(0, 1) ? g.H : pickk(1, 12);
        }
        g.C = kind == 3 ? C * 2 : C;
        g.group = dw ? g.C : (kind == 3 ? 2 : 1);
        g.OC = dw ? g.C * pick(1, 2) : (kind == 3 ? 2 * pick(1, 9) : pick(1, kind == 2 ? 80 : 40));
        if (kind == 2 && it % 14 == 9) {  // a long K over a small plane (the projections of 7x7 / 14x14
            // MobileNet blocks): x86 reads the input in place in one tile (own generator)
            std::mt19937 rngp(2000 + it);
            auto pickp = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rngp); };
            g.sh = g.sw = 1;
            g.pt = g.pl = g.pb = g.pr = 0;
            g.dh = g.dw = 1;
            g.H = pickp(1, 16);
            g.W = pickp(1, 16);
            g.C = pickp(100, 300);
            if (pickp(0, 2) == 0) {  // a squeeze-excitation 1x1 (the x86 dot kernel), K past its stack column too
                g.H = g.W = 1;
                g.C = pickp(100, 1200);
            }
            g.OC = pickp(50, 200);
        }
        if (kind == 3 && it % 14 == 10) {  // RegNet's grouped 3x3 (8 channels a group, stride 1 or 2, pad 1) and
            // 4-16 wide groups: x86's direct grouped kernel, output blocks of 4 whole and cut (own generator)
            std::mt19937 rngg(4000 + it);
            auto pickg = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rngg); };
            const int cg = pickg(0, 1) ? 8 : pickg(2, 16), groups = pickg(2, 6);
            g.KH = g.KW = 3;
            g.sh = g.sw = pickg(1, 2);
            g.dh = g.dw = 1;
            g.pt = g.pl = g.pb = g.pr = 1;
            g.H = pickg(1, 30);
            g.W = pickg(1, 40);
            g.C = cg * groups;
            g.group = groups;
            g.OC = groups * (pickg(0, 1) ? cg : pickg(1, 20));
        }
        if (it == 4 || it == 8) {  // (on 2-3 threads) squeeze 1x1s whose input outweighs their weights,
            // read in place: x86 splits the pixels of one 13x13 tile, of three 27x27 tiles (as four)
            g.N = g.group = 1;
            g.KH = g.KW = g.sh = g.sw = g.dh = g.dw = 1;
            g.pt = g.pl = g.pb = g.pr = 0;
            g.H = g.W = it == 4 ? 13 : 27;
            g.C = it == 4 ? 96 : 40;
            g.OC = it == 4 ? 24 : 20;
        }
        if (it == 12 || it == 16) {  // (on 2-3 threads) a 1x1 with more channels than pixels over a
            // small plane: x86 splits its channels, read in place in ~4 blocks a thread (K <= 48), or
            // packed whole once per thread (squeezenet1_1's classifier, smaller)
            g.N = g.group = 1;
            g.KH = g.KW = g.sh = g.sw = g.dh = g.dw = 1;
            g.pt = g.pl = g.pb = g.pr = 0;
            g.H = g.W = 13;
            g.C = it == 12 ? 40 : 200;
            g.OC = 300;
        }
        g.OH = (g.H + g.pt + g.pb - (g.KH - 1) * g.dh - 1) / g.sh + 1;
        g.OW = (g.W + g.pl + g.pr - (g.KW - 1) * g.dw - 1) / g.sw + 1;
        g.act.kind = pick(0, 5);
        g.act.lo = -0.5f;
        g.act.hi = 0.75f;
        set_enabled(-1);  // plan (and scratch) for the SIMD kernels; the ref path ignores the extra
        sdk::ref::ConvF32Plan plan = sdk::ref::conv_f32_plan(g);
        const size_t sb = sdk::ref::conv_f32_thread_scratch_bytes(plan);
        std::vector<float> x((size_t)g.N * g.C * g.H * g.W), w((size_t)g.OC * (g.C / g.group) * g.KH * g.KW), b(g.OC);
        for (auto& v : x) v = nd(rng);
        for (auto& v : w) v = nd(rng);
        for (auto& v : b) v = nd(rng);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // the weights packed as at load (ops/conv.cpp)
        std::vector<float> wpk((size_t)sdk::ref::conv_f32_packed_floats(g, plan));
        if (!wpk.empty()) sdk::ref::conv_f32_pack(g, plan, w.data(), wpk.data());
#endif
        const size_t ny = (size_t)g.N * g.OC * g.OH * g.OW;
        std::vector<float> want(ny + 16, 7.0f), got(ny + 16, 7.0f);  // +16: nothing written past the end
        std::vector<float> scratch(sb / sizeof(float) + 16);
        const float* bp = pick(0, 3) ? b.data() : nullptr;
        set_enabled(0);
        sdk::ref::conv_f32(g, plan, x.data(), w.data(), bp, want.data(), scratch.data(), sb, nullptr);
        set_enabled(-1);
        sdk::ref::conv_f32(g, plan, x.data(), w.data(), bp, got.data(), scratch.data(), sb, nullptr);
        // sum of |terms| per output: the tiers sum in different orders (FMA, K chunks), so
        // they may differ by a few ulps of it, not of the (possibly much smaller) result
        std::vector<double> mags(want.size(), 0.0);
        {  // the best tier against a direct convolution in double (im2col, padding, runs of panels)
            const int cg = g.C / g.group, ocg = g.OC / g.group;
            size_t i = 0;
            bool bad = false;
            for (int n = 0; n < g.N && !bad; ++n)
                for (int oc = 0; oc < g.OC && !bad; ++oc)
                    for (int oh = 0; oh < g.OH && !bad; ++oh)
                        for (int ow = 0; ow < g.OW && !bad; ++ow, ++i) {
                            double acc = bp ? bp[oc] : 0.0, mag = fabs(acc);
                            const int gi = oc / ocg;
                            for (int c = 0; c < cg; ++c)
                                for (int kh = 0; kh < g.KH; ++kh)
                                    for (int kw = 0; kw < g.KW; ++kw) {
                                        const int ih = oh * g.sh - g.pt + kh * g.dh, iw = ow * g.sw - g.pl + kw * g.dw;
                                        if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                        const double t = (double)w[(((size_t)oc * cg + c) * g.KH + kh) * g.KW + kw] *
                                                         x[(((size_t)n * g.C + gi * cg + c) * g.H + ih) * g.W + iw];
                                        acc += t;
                                        mag += fabs(t);
                                    }
                            const float ref = sdk::ref::act_f32((float)acc, g.act);
                            mags[i] = mag;
                            if (!(fabs((double)ref - got[i]) <= 1e-5 * (1.0 + mag))) {
                                CHECK(false, "conv %s vs direct: N%d C%d %dx%d OC%d k%dx%d s%d,%d d%d,%d p%d,%d g%d at %zu: %g vs %g",
                                      name, g.N, g.C, g.H, g.W, g.OC, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl,
                                      g.group, i, got[i], ref);
                                bad = true;
                            }
                        }
        }
        for (int pi = 0; it % 4 == 0 && pi < 2; ++pi) {
            if (!pools[pi]) continue;
            const size_t stride = (sb + 63) / 64 * 64;
            std::vector<float> ts(stride / sizeof(float) * sdk::pool_threads(pools[pi]) + 16);
            std::vector<float> got_mt(ny + 16, 7.0f);
            sdk::ref::conv_f32(g, plan, x.data(), w.data(), bp, got_mt.data(), ts.data(), stride, pools[pi]);
            // the same bits as on 1 thread (NEON: the output-channel split keeps whole packed groups;
            // x86: tiles and channel blocks only change which thread computes a column or a row)
            CHECK(memcmp(got_mt.data(), got.data(), ny * sizeof(float)) == 0,
                  "conv %s %d threads: not the 1-thread bits (N%d C%d %dx%d OC%d k%dx%d s%d,%d g%d)", name, pi + 2,
                  g.N, g.C, g.H, g.W, g.OC, g.KH, g.KW, g.sh, g.sw, g.group);
            for (size_t i = 0; i < want.size(); ++i) {
                const double d = fabs((double)want[i] - got_mt[i]) / (1.0 + fabs((double)want[i]) + mags[i]);
                if (!(d <= 1e-5)) {
                    CHECK(false, "conv %s %d threads: N%d C%d %dx%d OC%d k%dx%d s%d,%d g%d at %zu: %g vs %g", name,
                          pi + 2, g.N, g.C, g.H, g.W, g.OC, g.KH, g.KW, g.sh, g.sw, g.group, i, got_mt[i], want[i]);
                    break;
                }
            }
            ++pooled;
        }
        for (size_t i = 0; i < want.size(); ++i) {
            const double d = fabs((double)want[i] - got[i]) / (1.0 + fabs((double)want[i]) + mags[i]);
            worst = d > worst ? d : worst;
            if (!(d <= 1e-5)) {
                CHECK(false, "conv %s: N%d C%d %dx%d OC%d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d g%d act%d at %zu: %g vs %g",
                      name, g.N, g.C, g.H, g.W, g.OC, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.pb, g.pr,
                      g.group, g.act.kind, i, got[i], want[i]);
                break;
            }
        }
        ++cases;
    }
    for (sdk::ThreadPool* p : pools) sdk::pool_destroy(p);
    printf("fp32 conv kernels %-7s: %d random geometries within 1e-5 of ref (relative to 1 + |ref| + the sum of |terms|; worst %.2g; %d on 2-3 threads) and of a "
           "direct convolution\n", name, cases, worst, pooled);
    g_checked.push_back(std::string(name) + "-f32-conv");
}
#endif

#if SDK_FEATURE_FP32 && SDK_FEATURE_NEON && defined(__ARM_NEON) && defined(TEST_HAVE_GEMM)
// A single row times B^T (a classifier's Gemm: kernels/ref/gemm_f32.cpp's gemv_bt, whose NEON
// path runs 4 outputs at a time, then single outputs) against a double-precision dot
// product: N % 4 leftovers, K % 8 tails, bias (C), alpha and every fused activation;
// nothing written past y.
static void check_gemv_f32(const char* name, void (*set_enabled)(int)) {
    std::mt19937 rng(77);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    int cases = 0;
    for (int it = 0; it < 240; ++it) {
        sdk::ref::GemmF32Plan p;
        memset(&p, 0, sizeof p);
        p.M = 1;
        p.N = 1 + (int)(rng() % 37);
        p.K = 1 + (int)(rng() % 70);
        p.transB = true;
        p.alpha = it % 5 == 0 ? 0.5f : 1.0f;
        p.beta = 1.0f;
        p.act.kind = (int)(rng() % 6);
        p.act.lo = -0.5f;
        p.act.hi = 0.75f;
        p.has_c = it % 2 == 0;
        p.c_rs = 0;
        p.c_cs = 1;
        std::vector<float> a(p.K), b((size_t)p.N * p.K), c(p.N);
        for (auto& v : a) v = nd(rng);
        for (auto& v : b) v = nd(rng);
        for (auto& v : c) v = nd(rng);
        std::vector<float> got(p.N + 8, 5.0f);
        set_enabled(-1);
        sdk::ref::gemm_f32(p, a.data(), b.data(), c.data(), got.data(), nullptr, nullptr);
        for (int i = 0; i < 8; ++i) CHECK(got[p.N + i] == 5.0f, "gemv %s N%d K%d wrote past y", name, p.N, p.K);
        for (int n = 0; n < p.N; ++n) {
            double acc = 0.0, mag = 0.0;
            for (int k = 0; k < p.K; ++k) {
                acc += (double)a[k] * b[(size_t)n * p.K + k];
                mag += fabs((double)a[k] * b[(size_t)n * p.K + k]);
            }
            acc *= p.alpha;
            if (p.has_c) acc += c[n];
            const float want = sdk::ref::act_f32((float)acc, p.act);
            if (!(fabs((double)want - got[n]) <= 1e-5 * (1.0 + mag + fabs(c[n])))) {
                CHECK(false, "gemv %s N%d K%d act%d at %d: %g vs %g", name, p.N, p.K, p.act.kind, n, got[n], want);
                break;
            }
        }
        ++cases;
    }
    printf("fp32 gemv (Gemm, one row) %s: %d random cases within 1e-5 of a double dot product\n", name, cases);
    g_checked.push_back(std::string(name) + "-f32-gemv");
}
#endif

#if SDK_FEATURE_FP32 && defined(TEST_HAVE_CONV)
// Winograd F(4x4,3x3) (kernels/ref/conv_f32_wino.cpp) against a direct convolution in double:
// dense 3x3 stride 1, odd plane sizes (partial tiles, tile rows that do not fill a vector of
// 4 tiles), pads 0-2 (asymmetric too), channel counts that are not multiples of the vector
// width, every fused activation, with and without bias; 1, 2 and 3 threads. `tier`: the GEMM
// tier's test hook value (0: the portable GEMM, -1: the SIMD tile).
static void check_wino_f32(const char* name, void (*set_enabled)(int), int tier) {
#if !SDK_FEATURE_WINOGRAD
    (void)set_enabled;
    (void)tier;
    printf("fp32 winograd %-11s: not built (-Dwinograd=false)\n", name);
#else
    sdk::ThreadPool* pools[2] = {sdk::pool_create(2), sdk::pool_create(3)};
    std::mt19937 rng(23);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    int cases = 0, pooled = 0, small_tiles = 0, packed = 0;
    double worst = 0.0;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    const bool neon = true;  // planes below 13x13 take F(2x2,3x3); a third of the cases force it, a third F(4x4)
#else
    const bool neon = false;
#endif
    for (int it = 0; it < 120; ++it) {
        const int mode = neon ? 1 + it % 3 : 1;
        sdk::ref::conv_f32_set_wino(mode);
        sdk::ConvGeom g;
        memset(&g, 0, sizeof g);
        g.N = pick(1, 2);
        g.KH = g.KW = 3;
        g.sh = g.sw = g.dh = g.dw = 1;
        g.group = 1;
        const int pad = pick(0, 3);  // 0, 1 (most), 2, or asymmetric
        g.pt = g.pl = g.pb = g.pr = pad == 3 ? 1 : pad;
        if (pad == 3) {
            g.pt = pick(0, 2); g.pl = pick(0, 2); g.pb = pick(0, 2); g.pr = pick(0, 2);
        }
        g.H = pick(1, it % 5 == 0 ? 40 : 19);
        g.W = pick(1, it % 5 == 0 ? 40 : 23);
        if (g.H + g.pt + g.pb < 3) g.H = 3;
        if (g.W + g.pl + g.pr < 3) g.W = 3;
        g.C = it % 6 == 5 ? pick(33, 80) : pick(2, 19);  // (C 1 = group 1: depthwise)
        g.OC = pick(1, it % 4 == 3 ? 110 : 30);
        if (it == 0) {  // 14 x 14 tiles: x86's 3 tile blocks become 4 (on 3 threads 3 channel blocks of 8-16)
            g.H = g.W = 55;
            g.pt = g.pl = g.pb = g.pr = 1;
            g.C = 5;
            g.OC = 40;
        }
        if (it % 4 == 2) {  // NEON: channels in 4s and output channels in 8s take U packed for the packed-A tiles
            g.C = (g.C + 3) / 4 * 4;
            g.OC = (g.OC + 7) / 8 * 8;
        }
        packed += neon && tier != 0 && g.C % 4 == 0 && g.OC % 8 == 0;
        g.OH = g.H + g.pt + g.pb - 2;
        g.OW = g.W + g.pl + g.pr - 2;
        g.act.kind = it % 6;
        g.act.lo = -0.5f;
        g.act.hi = 0.75f;
        set_enabled(-1);
        const sdk::ref::ConvF32Plan plan = sdk::ref::conv_f32_plan(g);
        CHECK(plan.wino_rb > 0, "wino %s: a 3x3 stride-1 conv %dx%dx%d did not plan Winograd", name, g.C, g.H, g.W);
        const int want_mt = mode == 2 || (mode == 1 && neon && (g.OH < 13 || g.OW < 13)) ? 2 : 4;
        CHECK(plan.wino_mt == want_mt, "wino %s: %dx%d planned F(%dx%d), want F(%dx%d)", name, g.OH, g.OW, plan.wino_mt,
              plan.wino_mt, want_mt, want_mt);
        small_tiles += plan.wino_mt == 2;
        set_enabled(tier);
        const size_t sb = sdk::ref::conv_f32_thread_scratch_bytes(plan);
        std::vector<float> x((size_t)g.N * g.C * g.H * g.W), w((size_t)g.OC * g.C * 9), b(g.OC);
        for (auto& v : x) v = nd(rng);
        for (auto& v : w) v = nd(rng);
        for (auto& v : b) v = nd(rng);
        const size_t ny = (size_t)g.N * g.OC * g.OH * g.OW;
        std::vector<float> got(ny + 16, 7.0f);
        std::vector<float> scratch(sb / sizeof(float) + 16);
        const float* bp = it % 5 != 1 ? b.data() : nullptr;
        sdk::ref::conv_f32(g, plan, x.data(), w.data(), bp, got.data(), scratch.data(), sb, nullptr);
        for (size_t i = ny; i < got.size(); ++i) CHECK(got[i] == 7.0f, "wino %s wrote past the output", name);
        // The weights transformed at load (conv_f32_wino_keep: the rule keeps ARM's F(2x2) layers;
        // `all` every plan): the same output, bit for bit, in less scratch.
        CHECK((sdk::ref::conv_f32_wino_keep_bytes(g, plan, false) > 0) == (plan.wino_mt == 2),
              "wino %s: F(%dx%d) layer %s its weights from load", name, plan.wino_mt, plan.wino_mt,
              plan.wino_mt == 2 ? "does not keep" : "keeps");
        sdk::ref::ConvF32Plan kplan = plan;
        std::vector<float> kept(sdk::ref::conv_f32_wino_keep_bytes(g, plan, true) / sizeof(float) + 16, 9.0f);
        sdk::ref::conv_f32_wino_keep(g, kplan, w.data(), kept.data());
        for (size_t i = kept.size() - 16; i < kept.size(); ++i)
            CHECK(kept[i] == 9.0f, "wino %s: the load-time transform wrote past its buffer", name);
        const size_t ksb = sdk::ref::conv_f32_thread_scratch_bytes(kplan);
        CHECK(kplan.wino_u == kept.data() && ksb < sb, "wino %s: kept weights not planned (scratch %zu of %zu)", name,
              ksb, sb);
        {
            std::vector<float> got_k(ny + 16, 7.0f), kscratch(ksb / sizeof(float) + 16);
            sdk::ref::conv_f32(g, kplan, x.data(), nullptr, bp, got_k.data(), kscratch.data(), ksb, nullptr);
            CHECK(memcmp(got_k.data(), got.data(), (ny + 16) * sizeof(float)) == 0,
                  "wino %s: weights kept from load differ from the per-run transform: N%d C%d %dx%d OC%d F(%dx%d)", name,
                  g.N, g.C, g.H, g.W, g.OC, plan.wino_mt, plan.wino_mt);
        }
        // Winograd's rounding error scales with the tile's inputs, not with one output's own
        // terms (an output beside the padding has few), so the bound is relative to the case's
        // largest sum of |terms|: the zoo's "max error against max |output|" per layer. F(4,3)'s
        // transforms (coefficients up to 5 in B, 8 in A) leave ~1-3e-6 of it in fp32.
        std::vector<double> want(ny);
        double maxmag = 0.0;
        size_t i = 0;
        for (int n = 0; n < g.N; ++n)
            for (int oc = 0; oc < g.OC; ++oc)
                for (int oh = 0; oh < g.OH; ++oh)
                    for (int ow = 0; ow < g.OW; ++ow, ++i) {
                        double acc = bp ? bp[oc] : 0.0, mag = fabs(acc);
                        for (int c = 0; c < g.C; ++c)
                            for (int kh = 0; kh < 3; ++kh)
                                for (int kw = 0; kw < 3; ++kw) {
                                    const int ih = oh - g.pt + kh, iw = ow - g.pl + kw;
                                    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                    const double t = (double)w[(((size_t)oc * g.C + c) * 3 + kh) * 3 + kw] *
                                                     x[(((size_t)n * g.C + c) * g.H + ih) * g.W + iw];
                                    acc += t;
                                    mag += fabs(t);
                                }
                        want[i] = sdk::ref::act_f32((float)acc, g.act);
                        maxmag = mag > maxmag ? mag : maxmag;
                    }
        for (i = 0; i < ny; ++i) {
            const double d = fabs(want[i] - got[i]) / (1.0 + maxmag);
            worst = d > worst ? d : worst;
            if (!(d <= 5e-6)) {
                CHECK(false, "wino %s vs direct: N%d C%d %dx%d OC%d p%d,%d,%d,%d act%d at %zu: %g vs %g (max sum |terms| %g)",
                      name, g.N, g.C, g.H, g.W, g.OC, g.pt, g.pl, g.pb, g.pr, g.act.kind, i, got[i], want[i], maxmag);
                break;
            }
        }
        for (int pi = 0; it % 3 == 0 && pi < 2; ++pi) {
            if (!pools[pi]) continue;
            const size_t stride = (sb + 63) / 64 * 64;
            std::vector<float> ts(stride / sizeof(float) * sdk::pool_threads(pools[pi]) + 16);
            std::vector<float> got_mt(ny, 7.0f);
            sdk::ref::conv_f32(g, plan, x.data(), w.data(), bp, got_mt.data(), ts.data(), stride, pools[pi]);
            std::vector<float> got_kmt(ny, 7.0f);  // kept weights on the pool: as the per-run path on it
            const size_t kstride = (sdk::ref::conv_f32_thread_scratch_bytes(kplan) + 63) / 64 * 64;
            std::vector<float> kts(kstride / sizeof(float) * sdk::pool_threads(pools[pi]) + 16);
            sdk::ref::conv_f32(g, kplan, x.data(), nullptr, bp, got_kmt.data(), kts.data(), kstride, pools[pi]);
            CHECK(memcmp(got_kmt.data(), got_mt.data(), ny * sizeof(float)) == 0,
                  "wino %s %d threads: weights kept from load differ from the per-run transform", name, pi + 2);
#if SDK_FEATURE_X86
            // the 1-thread bits: the tile blocks do not depend on the thread count (an even number
            // of equal blocks); channel blocks only change which thread computes a row
            CHECK(memcmp(got_mt.data(), got.data(), ny * sizeof(float)) == 0,
                  "wino %s %d threads: not the 1-thread bits (N%d C%d %dx%d OC%d)", name, pi + 2, g.N, g.C, g.H, g.W,
                  g.OC);
#endif
            for (size_t k = 0; k < ny; ++k) {
                if (!(fabs((double)got_mt[k] - got[k]) <= 1e-5 * (1.0 + fabs((double)got[k])))) {
                    CHECK(false, "wino %s %d threads: N%d C%d %dx%d OC%d at %zu: %g vs %g", name, pi + 2, g.N, g.C,
                          g.H, g.W, g.OC, k, got_mt[k], got[k]);
                    break;
                }
            }
            ++pooled;
        }
        ++cases;
    }
    sdk::ref::conv_f32_set_wino(-1);
    set_enabled(-1);
    for (sdk::ThreadPool* p : pools) sdk::pool_destroy(p);
    printf("fp32 winograd %-11s: %d random 3x3 geometries (%d of them F(2x2,3x3)) within 5e-6 of a direct convolution "
           "in double (relative to the largest sum of |terms|; worst %.2g; %d on 2-3 threads; %d with C %% 4 == 0 and "
           "OC %% 8 == 0, NEON's packed U)\n", name, cases, small_tiles, worst, pooled, packed);
    g_checked.push_back(std::string(name) + "-f32-wino");
#endif
}
#endif

// ---- one node through its OpDef (prepare, then run) as a session runs it, on tensors and
// attributes the test builds: the int8 paths choose their kernels at prepare, so the ref
// tier (SDK_INT8_GEMM=ref) and the SIMD tier run the same op in the same process.
struct NodeRun {
    std::vector<sdk::Tensor> ins, outs;  // shapes, dtypes, quantization, constant data
    std::vector<void*> in_data, out_data;
    std::vector<sdk::Attr> attrs;
    std::vector<std::vector<int32_t>> ints;  // attribute storage
    std::vector<std::vector<float>> floats;
    size_t thread_scratch = 0;  // what prepare requested (a kernel choice the test can see)

    void attr_ints(const char* name, std::vector<int32_t> v) {
        ints.push_back(std::move(v));
        attrs.push_back({name, sdk::kAttrInts, (uint32_t)ints.back().size(), nullptr});
    }
    void attr_floats(const char* name, std::vector<float> v) {
        floats.push_back(std::move(v));
        attrs.push_back({name, sdk::kAttrFloats, (uint32_t)floats.back().size(), nullptr});
    }
    bool run(const sdk::OpDef& op) {
        size_t ii = 0, fi = 0;  // (vectors of vectors may have moved: bind the data now)
        for (auto& a : attrs) a.data = a.type == sdk::kAttrInts ? (const void*)ints[ii++].data() : floats[fi++].data();
        sdk::Model m;
        memset(&m, 0, sizeof m);
        sdk::Node n;
        memset(&n, 0, sizeof n);
        n.name = "node";
        n.type = op.type;
        n.op = &op;
        n.num_inputs = (int)ins.size();
        n.num_outputs = (int)outs.size();
        n.attrs = attrs.data();
        n.num_attrs = (int)attrs.size();
        std::vector<const sdk::Tensor*> io;
        for (auto& t : ins) io.push_back(&t);
        for (auto& t : outs) io.push_back(&t);
        m.io_tensors = io.data();
        sdk::PrepareContext pc{&m, &n};
        const sdk_status st = op.prepare(pc);
        bool ok = st == SDK_OK;
        if (!ok) fprintf(stderr, "prepare failed: %s\n", sdk::last_error());
        thread_scratch = n.thread_scratch_bytes;
        if (ok) {
            void* scratch = sdk::aligned_alloc64(n.scratch_bytes + 64);
            const size_t stride = sdk::align_up(n.thread_scratch_bytes);
            void* ts = stride ? sdk::aligned_alloc64(stride) : nullptr;
            std::vector<const sdk::Tensor*> it, ot;
            for (auto& t : ins) it.push_back(&t);
            for (auto& t : outs) ot.push_back(&t);
            sdk::RunContext rc;
            memset(&rc, 0, sizeof rc);
            rc.node = &n;
            rc.op_data = n.op_data;
            rc.in_data = in_data.data();
            rc.out_data = out_data.data();
            rc.in_tensors = it.data();
            rc.out_tensors = ot.data();
            rc.scratch = scratch;
            rc.scratch_bytes = n.scratch_bytes;
            rc.num_inputs = n.num_inputs;
            rc.num_outputs = n.num_outputs;
            rc.thread_scratch_base = ts;
            rc.thread_scratch_stride = stride;
            ok = op.run(rc) == SDK_OK;
            sdk::aligned_free(scratch);
            sdk::aligned_free(ts);
        }
        sdk::free_alloc_chain(m.allocs);
        return ok;
    }
};

static sdk::Tensor make_tensor(const char* name, sdk::DType dt, std::initializer_list<int32_t> dims,
                               const sdk::QuantParams* q, const void* const_data) {
    sdk::Tensor t{};
    t.name = name;
    t.dtype = dt;
    for (int32_t d : dims) t.shape.dims[t.shape.rank++] = d;
    t.quant = q;
    t.const_data = const_data;
    t.flags = const_data ? (uint32_t)sdk::kTensorConstant : 0u;
    t.bytes = (size_t)t.shape.count() * sdk::dtype_size(dt);
    return t;
}

// The int8 tier for the next prepare: "ref" (portable) or "" (the best this build and CPU run).
static void set_int8_tier(const char* v) {
    if (*v)
        setenv("SDK_INT8_GEMM", v, 1);
    else
        unsetenv("SDK_INT8_GEMM");
}

#if SDK_FEATURE_FP32 && SDK_FEATURE_WINOGRAD && defined(TEST_HAVE_CONV)
// fp32 Conv through its OpDef with constant weights: on ARM its F(2x2,3x3) layers (planes below
// 13x13) transform the weights once at prepare (conv_f32_wino_keep) and need no U in the
// per-thread scratch; F(4x4) layers and x86 keep none. Either way the output is bit-identical
// to the per-run path (the same weights given as a non-constant input).
static void check_conv_f32_wino_kept() {
    std::mt19937 rng(31);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    int cases = 0, kept = 0;
    for (int it = 0; it < 12; ++it) {
        const int C = 4 + it * 5 % 37, OC = 1 + it * 11 % 70, H = it % 3 == 2 ? 14 : 5 + it % 8, W = H + it % 2;
        const int OH = H, OW = W;  // pads 1
        std::vector<float> x((size_t)C * H * W), w((size_t)OC * C * 9), b(OC);
        for (auto& v : x) v = nd(rng);
        for (auto& v : w) v = nd(rng);
        for (auto& v : b) v = nd(rng);
        std::vector<float> out[2];
        size_t ts[2] = {0, 0};
        for (int konst = 0; konst < 2; ++konst) {
            out[konst].assign((size_t)OC * OH * OW + 16, 7.0f);
            NodeRun r;
            r.ins = {make_tensor("x", sdk::DType::F32, {1, C, H, W}, nullptr, nullptr),
                     make_tensor("w", sdk::DType::F32, {OC, C, 3, 3}, nullptr, konst ? w.data() : nullptr),
                     make_tensor("b", sdk::DType::F32, {OC}, nullptr, b.data())};
            r.outs = {make_tensor("y", sdk::DType::F32, {1, OC, OH, OW}, nullptr, nullptr)};
            r.in_data = {x.data(), w.data(), b.data()};
            r.out_data = {out[konst].data()};
            r.attr_ints("pads", {1, 1, 1, 1});
            r.attr_ints("activation", {it % 2});
            CHECK(r.run(sdk_op_conv), "fp32 winograd conv (weights %s) failed to run", konst ? "constant" : "an input");
            ts[konst] = r.thread_scratch;
        }
        CHECK(memcmp(out[0].data(), out[1].data(), out[0].size() * sizeof(float)) == 0,
              "fp32 winograd conv C%d OC%d %dx%d: weights kept from load differ from the per-run transform", C, OC, H, W);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
        const bool want_kept = OH >= 6 && OH < 13;  // F(2x2) (below 6x6: the im2col GEMM)
#else
        const bool want_kept = false;
#endif
        CHECK((ts[1] < ts[0]) == want_kept, "fp32 winograd conv C%d OC%d %dx%d: weights %s from load (scratch %zu vs %zu)",
              C, OC, H, W, want_kept ? "not kept" : "kept", ts[1], ts[0]);
        kept += ts[1] < ts[0];
        ++cases;
    }
    printf("fp32 winograd conv op: %d geometries, constant weights bit-identical to per-run (%d kept from load)\n", cases,
           kept);
    g_checked.push_back("f32-wino-kept");
}
#endif

#if SDK_FEATURE_INT8 && defined(TEST_HAVE_CONV)
// Int8 depthwise Conv (3x3 stride 1/2 mostly: the NEON kernel; other kernels and
// strides the portable loops) on the SIMD tier vs the ref tier: bit-exact, on random
// geometries (odd widths, 1-wide planes, asymmetric pads, zero points, Relu/Clip clamps,
// per-channel multipliers above and below 1, saturated inputs).
static void check_conv_s8_depthwise(const char* name, const char* simd_tier) {
    std::mt19937 rng(21);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    auto real = [&](double lo, double hi) { return (float)std::uniform_real_distribution<double>(lo, hi)(rng); };
    int cases = 0, simd = 0;
    for (int it = 0; it < 300; ++it) {
        const int C = pick(1, 10);
        const int k = it % 6 == 5 ? pick(1, 5) : (it % 6 == 4 ? 5 : 3);  // 5x5: the NEON kernel too
        const int s = pick(1, 2), sw = it % 10 == 9 ? 3 - s : s;
        const int dil = it % 15 == 14 ? 2 : 1;
        int pads[4];
        for (int& p : pads) p = it % 4 == 0 ? 1 : pick(0, 2);
        const int eff = (k - 1) * dil + 1;
        const int H = std::max(pick(1, 24), eff - pads[0] - pads[2]);
        const int W = std::max(it % 3 == 0 ? pick(1, 16) : pick(1, 70), eff - pads[1] - pads[3]);
        const int OH = (H + pads[0] + pads[2] - eff) / s + 1, OW = (W + pads[1] + pads[3] - eff) / sw + 1;
        const int act = pick(0, 2);
        const float clip_lo = real(-1.0, 0.0), clip_hi = real(0.2, 2.0);
        std::vector<float> xs = {real(0.01, 0.1)}, ys = {it % 7 == 3 ? real(1e-5, 1e-4) : real(0.01, 0.3)};
        std::vector<int32_t> xz = {pick(-128, 127)}, yz = {pick(-128, 127)};
        std::vector<float> ws(C);
        std::vector<int32_t> wz(C, 0);
        for (auto& v : ws) v = real(0.002, 0.05);
        std::vector<int8_t> w((size_t)C * k * k);
        for (auto& v : w) v = (int8_t)(it % 8 == 1 ? (pick(0, 1) ? 127 : -127) : pick(-127, 127));
        if (it % 50 == 7) w[0] = -128;  // a weight the NEON kernel declines
        std::vector<int32_t> b(C);
        for (auto& v : b) v = pick(-20000, 20000);
        std::vector<int8_t> x((size_t)C * H * W);
        const int fill = it % 11 == 10 ? 1 : (it % 11 == 9 ? 2 : 0);
        for (auto& v : x) v = (int8_t)(fill == 1 ? -128 : (fill == 2 ? 127 : pick(-128, 127)));
        const sdk::QuantParams qx{-1, 1, xs.data(), xz.data()}, qy{-1, 1, ys.data(), yz.data()};
        const sdk::QuantParams qw{0, (uint32_t)C, ws.data(), wz.data()};
        std::vector<int8_t> want((size_t)C * OH * OW + 16, 0x5a), got(want.size(), 0x5a);
        bool took_simd = false;
        for (int tier = 0; tier < 2; ++tier) {
            NodeRun r;
            r.ins = {make_tensor("x", sdk::DType::I8, {1, C, H, W}, &qx, nullptr),
                     make_tensor("w", sdk::DType::I8, {C, 1, k, k}, &qw, w.data()),
                     make_tensor("b", sdk::DType::I32, {C}, nullptr, b.data())};
            r.outs = {make_tensor("y", sdk::DType::I8, {1, C, OH, OW}, &qy, nullptr)};
            r.in_data = {x.data(), w.data(), b.data()};
            r.out_data = {tier ? got.data() : want.data()};
            r.attr_ints("pads", {pads[0], pads[1], pads[2], pads[3]});
            r.attr_ints("strides", {s, sw});
            r.attr_ints("dilations", {dil, dil});
            r.attr_ints("group", {C});
            r.attr_ints("activation", {act});
            if (act == 2) r.attr_floats("activation_params", {clip_lo, clip_hi});
            set_int8_tier(tier ? simd_tier : "ref");
            CHECK(r.run(sdk_op_conv), "%s: int8 depthwise conv failed to run", name);
            if (tier) took_simd = r.thread_scratch > 0;  // (the portable loops request none)
        }
        set_int8_tier("");
        simd += took_simd;
        CHECK(want == got, "%s: int8 depthwise C%d %dx%d k%d s%d,%d d%d p%d,%d,%d,%d act%d differs from ref", name, C,
              H, W, k, s, sw, dil, pads[0], pads[1], pads[2], pads[3], act);
        ++cases;
    }
    printf("int8 depthwise conv %-5s: %d random geometries bit-exact vs ref (%d on the 3x3/5x5 kernel)\n", name, cases,
           simd);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    CHECK(simd > cases / 2, "%s: the NEON 3x3 depthwise kernel took only %d of %d cases", name, simd, cases);
    g_checked.push_back(std::string(name) + "-s8-dw");
#endif
}
#endif

#if SDK_FEATURE_INT8 && defined(TEST_HAVE_CONV)
// Int8 dense and grouped Conv (im2col + GEMM: on NEON the transposing im2col with its
// padded row copies, the 4-row GEMM and its 1-3 column tails) on the SIMD tier vs the ref
// tier: bit-exact, on random geometries (1x1 pointwise, 3x3/5x5/7x7 kernels, strides 1-3,
// dilations, asymmetric pads, groups, odd channel counts and widths, zero points, clamps).
static void check_conv_s8_dense(const char* name) {
    std::mt19937 rng(33);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    auto real = [&](double lo, double hi) { return (float)std::uniform_real_distribution<double>(lo, hi)(rng); };
    int cases = 0;
    for (int it = 0; it < 160; ++it) {
        const int kinds[] = {1, 3, 3, 5, 7};
        const int kh = kinds[pick(0, 4)], kw = it % 9 == 8 ? kinds[pick(0, 4)] : kh;
        const int s = it % 5 == 4 ? 3 : pick(1, 2), sw = it % 7 == 6 ? pick(1, 3) : s;
        const int dil = it % 13 == 12 ? 2 : 1;
        const int group = it % 6 == 5 ? pick(2, 3) : 1;
        const int C = group * (it % 4 == 3 ? pick(10, 40) : pick(1, 9)), OC = group * pick(1, 11);
        int pads[4];
        for (int& p : pads) p = kh == 1 && it % 2 ? 0 : pick(0, kh / 2 + 1);
        const int eh = (kh - 1) * dil + 1, ew = (kw - 1) * dil + 1;
        const int H = std::max(pick(1, 20), eh - pads[0] - pads[2]);
        const int W = std::max(it % 3 == 0 ? pick(1, 12) : pick(1, 40), ew - pads[1] - pads[3]);
        const int OH = (H + pads[0] + pads[2] - eh) / s + 1, OW = (W + pads[1] + pads[3] - ew) / sw + 1;
        const int act = pick(0, 2);
        const float clip_lo = real(-1.0, 0.0), clip_hi = real(0.2, 2.0);
        std::vector<float> xs = {real(0.01, 0.1)}, ys = {real(0.05, 0.5)};
        std::vector<int32_t> xz = {pick(-128, 127)}, yz = {pick(-128, 127)};
        std::vector<float> ws(OC);
        std::vector<int32_t> wz(OC, 0);
        for (auto& v : ws) v = real(0.002, 0.02);
        const int cg = C / group;
        std::vector<int8_t> w((size_t)OC * cg * kh * kw);
        for (auto& v : w) v = (int8_t)(it % 8 == 1 ? (pick(0, 1) ? 127 : -127) : pick(-127, 127));
        std::vector<int32_t> b(OC);
        for (auto& v : b) v = pick(-20000, 20000);
        std::vector<int8_t> x((size_t)C * H * W);
        for (auto& v : x) v = (int8_t)(it % 11 == 10 ? -128 : pick(-128, 127));
        const sdk::QuantParams qx{-1, 1, xs.data(), xz.data()}, qy{-1, 1, ys.data(), yz.data()};
        const sdk::QuantParams qw{0, (uint32_t)OC, ws.data(), wz.data()};
        std::vector<int8_t> want((size_t)OC * OH * OW + 16, 0x5a), got(want.size(), 0x5a);
        for (int tier = 0; tier < 2; ++tier) {
            NodeRun r;
            r.ins = {make_tensor("x", sdk::DType::I8, {1, C, H, W}, &qx, nullptr),
                     make_tensor("w", sdk::DType::I8, {OC, cg, kh, kw}, &qw, w.data()),
                     make_tensor("b", sdk::DType::I32, {OC}, nullptr, b.data())};
            r.outs = {make_tensor("y", sdk::DType::I8, {1, OC, OH, OW}, &qy, nullptr)};
            r.in_data = {x.data(), w.data(), b.data()};
            r.out_data = {tier ? got.data() : want.data()};
            r.attr_ints("pads", {pads[0], pads[1], pads[2], pads[3]});
            r.attr_ints("strides", {s, sw});
            r.attr_ints("dilations", {dil, dil});
            r.attr_ints("group", {group});
            r.attr_ints("activation", {act});
            if (act == 2) r.attr_floats("activation_params", {clip_lo, clip_hi});
            set_int8_tier(tier ? "" : "ref");
            CHECK(r.run(sdk_op_conv), "%s: int8 conv failed to run", name);
        }
        set_int8_tier("");
        CHECK(want == got, "%s: int8 conv C%d OC%d g%d %dx%d k%dx%d s%d,%d d%d p%d,%d,%d,%d act%d differs from ref", name,
              C, OC, group, H, W, kh, kw, s, sw, dil, pads[0], pads[1], pads[2], pads[3], act);
        ++cases;
    }
    printf("int8 dense conv %-5s: %d random geometries bit-exact vs ref\n", name, cases);
    g_checked.push_back(std::string(name) + "-s8-conv");
}
#endif

#if SDK_FEATURE_INT8 && defined(TEST_HAVE_CONV) && SDK_FEATURE_NEON && defined(__ARM_NEON)
// Int8 3x3 stride-1 Conv by integer Winograd F(2x2, 3x3) or F(4x4, 3x3)
// (kernels/neon/conv_s8_wino.cpp, the plain NEON tier) vs the ref tier: bit-exact on random
// geometries (1-wide and odd planes, pads 0-2 on each side, channel counts off the 4/8 tiles,
// extreme weights and inputs whose transformed sums reach the int16/int32 bounds, zero
// points, clamps); a layer whose weights break F(4x4)'s bound (128 sum |w| >= 2^25) takes
// F(2x2), and one that breaks F(2x2)'s (sum |w| >= 2^22) keeps the im2col GEMM.
static void check_conv_s8_wino() {
    std::mt19937 rng(45);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    auto real = [&](double lo, double hi) { return (float)std::uniform_real_distribution<double>(lo, hi)(rng); };
    int cases = 0, wino = 0, four = 0;
    for (int it = 0; it < 82; ++it) {
        const bool huge = it == 80;  // sum |w| >= 2^22: not exact by Winograd, the GEMM instead
        const bool big = it == 81;   // 128 sum |w| >= 2^25: F(2x2), not F(4x4)
        const int C = huge ? 3700 : (big ? 240 : pick(8, 40)), OC = huge || big ? 16 : pick(16, 41);
        int pads[4];
        for (int& p : pads) p = it % 4 == 0 ? 1 : pick(0, 2);
        const int H = huge ? 2 : (big ? 16 : std::max(it % 5 == 0 ? pick(12, 30) : pick(1, 20), 3 - pads[0] - pads[2]));
        const int W = huge ? 2 : (big ? 16 : std::max(it % 3 == 0 ? pick(1, 40) : pick(1, 20), 3 - pads[1] - pads[3]));
        const int OH = H + pads[0] + pads[2] - 2, OW = W + pads[1] + pads[3] - 2;
        const int act = pick(0, 2);
        const float clip_lo = real(-1.0, 0.0), clip_hi = real(0.2, 2.0);
        const int extreme = huge || big ? 1 : it % 6;  // 1: |w| = 127, 2: x at -128, 3: x at 127
        std::vector<float> xs = {real(0.01, 0.1)}, ys = {real(0.05, 0.5) * (extreme ? 40.0f : 1.0f)};
        std::vector<int32_t> xz = {pick(-128, 127)}, yz = {pick(-128, 127)};
        std::vector<float> ws(OC);
        std::vector<int32_t> wz(OC, 0);
        for (auto& v : ws) v = real(0.002, 0.02);
        std::vector<int8_t> w((size_t)OC * C * 9);
        for (auto& v : w) v = (int8_t)(extreme == 1 ? (pick(0, 1) ? 127 : -127) : pick(-127, 127));
        if (extreme == 4)  // every tap of a channel alike: the transforms' largest values
            for (size_t i = 0; i < w.size(); ++i) w[i] = (int8_t)(i / 9 % 2 ? 127 : -127);
        std::vector<int32_t> b(OC);
        for (auto& v : b) v = pick(-20000, 20000);
        std::vector<int8_t> x((size_t)C * H * W);
        for (auto& v : x) v = (int8_t)(extreme == 2 || extreme == 4 ? -128 : (extreme == 3 ? 127 : pick(-128, 127)));
        const sdk::QuantParams qx{-1, 1, xs.data(), xz.data()}, qy{-1, 1, ys.data(), yz.data()};
        const sdk::QuantParams qw{0, (uint32_t)OC, ws.data(), wz.data()};
        std::vector<int8_t> want((size_t)OC * OH * OW + 16, 0x5a), got(want.size(), 0x5a);
        bool took = false, took4 = false;
        for (int tier = 0; tier < 2; ++tier) {
            NodeRun r;
            r.ins = {make_tensor("x", sdk::DType::I8, {1, C, H, W}, &qx, nullptr),
                     make_tensor("w", sdk::DType::I8, {OC, C, 3, 3}, &qw, w.data()),
                     make_tensor("b", sdk::DType::I32, {OC}, nullptr, b.data())};
            r.outs = {make_tensor("y", sdk::DType::I8, {1, OC, OH, OW}, &qy, nullptr)};
            r.in_data = {x.data(), w.data(), b.data()};
            r.out_data = {tier ? got.data() : want.data()};
            r.attr_ints("pads", {pads[0], pads[1], pads[2], pads[3]});
            r.attr_ints("strides", {1, 1});
            r.attr_ints("dilations", {1, 1});
            r.attr_ints("group", {1});
            r.attr_ints("activation", {act});
            if (act == 2) r.attr_floats("activation_params", {clip_lo, clip_hi});
            set_int8_tier(tier ? "neon" : "ref");
            CHECK(r.run(sdk_op_conv), "int8 winograd conv failed to run");
            if (tier) took = r.thread_scratch > 0;  // (the im2col GEMM requests none)
            // F(4x4)'s thread scratch: V and M of 36 products
            if (tier) took4 = r.thread_scratch == (size_t)36 * ((C + 3) & ~3) * 8 * 2 + 36 * sdk::s8::kWinoOB * 8 * 4;
        }
        set_int8_tier("");
        CHECK(took != huge, "int8 winograd: C%d OC%d %dx%d %s the Winograd path", C, OC, H, W,
              took ? "took" : "did not take");
        CHECK(!(big && took4), "int8 winograd: C%d with 128 sum |w| >= 2^25 took F(4x4)", C);
        wino += took;
        four += took4;
        CHECK(want == got, "int8 winograd conv C%d OC%d %dx%d p%d,%d,%d,%d act%d extreme%d differs from ref", C, OC, H, W,
              pads[0], pads[1], pads[2], pads[3], act, extreme);
        ++cases;
    }
    CHECK(four >= 20 && wino - four >= 12, "int8 winograd: only %d F(4x4) and %d F(2x2) cases", four, wino - four);
    printf("int8 winograd conv neon: %d random geometries bit-exact vs ref (%d by Winograd, %d of them F(4x4))\n",
           cases, wino, four);
    g_checked.push_back("neon-s8-wino");
}
#endif

// Random pooling geometries: kernels 1x1 to 4x4 (2x2 and 3x3 often), strides 1-2 (3 now
// and then), pads below the kernel, ceil_mode, dilations (MaxPool), odd and 1-wide planes.
struct PoolCase {
    int C, H, W, KH, KW, sh, sw, dh, dw, pads[4], ceil, include_pad, OH, OW;
};

static PoolCase random_pool(std::mt19937& rng, int it, bool dilations, bool tall = false, bool wide = false) {
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    PoolCase c;
    const int shape = it % 4;  // 2x2/2, 3x3/2, 3x3/1, anything
    c.KH = c.KW = shape == 0 ? 2 : 3;
    c.sh = c.sw = shape == 2 ? 1 : 2;
    if (shape == 3) {
        c.KH = pick(1, 4);
        c.KW = pick(0, 2) ? c.KH : pick(1, 4);
        c.sh = pick(1, 3);
        c.sw = pick(0, 4) ? pick(1, 2) : 3;
    }
    c.dh = c.dw = 1;
    if (dilations && shape == 3 && pick(0, 3) == 0) {
        c.dh = pick(1, 2);
        c.dw = pick(1, 2);
    }
    const int eh = (c.KH - 1) * c.dh + 1, ew = (c.KW - 1) * c.dw + 1;
    for (int i = 0; i < 4; ++i) c.pads[i] = pick(0, 3) ? pick(0, (i % 2 ? ew : eh) - 1) : 0;
    if (shape == 2 && pick(0, 1)) c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1;
    c.ceil = pick(0, 3) == 0;
    c.include_pad = pick(0, 1);
    c.C = pick(1, 6);
    c.H = std::max(tall ? pick(40, 90) : pick(1, 20), eh);  // tall: past the x86 kernels' padded-copy path
    c.W = std::max(wide ? pick(1000, 2600) : (pick(0, 2) ? pick(1, 80) : pick(1, 12)), ew);  // wide: past a row buffer
    if (wide) c.H = std::min(c.H, eh + 2);
    auto out = [&](int in, int k, int s, int d, int pb, int pe) {  // ops/pool_op.h pool_out_size
        const int e = (k - 1) * d + 1, span = in + pb + pe - e;
        int o = (c.ceil ? (span + s - 1) / s : span / s) + 1;
        if (c.ceil && (o - 1) * s >= in + pb) --o;
        return o;
    };
    c.OH = out(c.H, c.KH, c.sh, c.dh, c.pads[0], c.pads[2]);
    c.OW = out(c.W, c.KW, c.sw, c.dw, c.pads[1], c.pads[3]);
    return c;
}

#if SDK_FEATURE_FP32 && (SDK_FEATURE_NEON || SDK_FEATURE_X86) && (defined(TEST_HAVE_MAXPOOL) || defined(TEST_HAVE_AVERAGEPOOL))
typedef void (*PoolF32Fn)(const sdk::ref::PoolParams&, const float*, float*, sdk::ThreadPool*);

// fp32 MaxPool / AveragePool with the SIMD planes vs with them switched off (the ref
// planes): MaxPool exactly, AveragePool within 1e-5 (ARMv7 multiplies by the reciprocal).
static void check_pool_f32(const char* name, const char* op, PoolF32Fn fn, void (*set_enabled)(int),
                           bool dilations) {
    std::mt19937 rng(31);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    int cases = 0;
    double worst = 0.0;
    for (int it = 0; it < 400; ++it) {
        const PoolCase c = random_pool(rng, it, dilations, it % 5 == 4);
        sdk::ref::PoolParams p = {1, c.C, c.H, c.W, c.OH, c.OW, c.KH, c.KW, c.sh, c.sw, c.dh, c.dw,
                                  c.pads[0], c.pads[1], c.pads[2], c.pads[3], c.include_pad != 0, false};
        p.N = 1 + it % 2;
        std::vector<float> x((size_t)p.N * c.C * c.H * c.W);
        for (auto& v : x) v = nd(rng);
        const size_t ny = (size_t)p.N * c.C * c.OH * c.OW;
        std::vector<float> want(ny + 16, 7.0f), got(ny + 16, 7.0f);  // +16: nothing written past the end
        set_enabled(0);
        fn(p, x.data(), want.data(), nullptr);
        set_enabled(-1);
        fn(p, x.data(), got.data(), nullptr);
        for (size_t i = 0; i < want.size(); ++i) {
            const double d = fabs((double)want[i] - got[i]) / (1.0 + fabs((double)want[i]));
            worst = d > worst ? d : worst;
            if (!(d <= 1e-5)) {
                CHECK(false, "%s %s: C%d %dx%d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d ceil%d cip%d at %zu: %g vs %g", op, name,
                      c.C, c.H, c.W, c.KH, c.KW, c.sh, c.sw, c.dh, c.dw, c.pads[0], c.pads[1], c.pads[2], c.pads[3],
                      c.ceil, c.include_pad, i, got[i], want[i]);
                break;
            }
        }
        ++cases;
    }
    printf("fp32 %-11s %-6s: %d random geometries within 1e-5 of ref (worst %.2g)\n", op, name, cases, worst);
    g_checked.push_back(std::string(name) + "-f32-" + op);
}

#if defined(TEST_HAVE_MAXPOOL)
// fp32 MaxPool 3x3 stride 2 (the NEON plane that keeps each input row's maxima for the next
// output row) vs the ref planes, bit for bit: pads 0-2, ceil_mode, rows wider than its 64-column
// chunks, and inputs with NaN, +-0 (the ref keeps the first of equal zeros in tap order), +-inf.
static void check_maxpool3s2_f32(const char* name, void (*set_enabled)(int)) {
    std::mt19937 rng(37);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const float special[] = {NAN, 0.0f, -0.0f, INFINITY, -INFINITY};
    int cases = 0;
    for (int it = 0; it < 160; ++it) {
        PoolCase c;
        c.KH = c.KW = 3;
        c.sh = c.sw = 2;
        c.dh = c.dw = 1;
        for (int i = 0; i < 4; ++i) c.pads[i] = pick(0, 2) ? pick(0, 2) : 0;
        c.ceil = pick(0, 1);
        c.C = pick(1, 3);
        c.H = pick(3, 24);
        c.W = it % 4 == 0 ? pick(130, 300) : pick(3, 70);
        auto out = [&](int in, int pb, int pe) {
            const int span = in + pb + pe - 3;
            int o = (c.ceil ? (span + 1) / 2 : span / 2) + 1;
            if (c.ceil && (o - 1) * 2 >= in + pb) --o;
            return o;
        };
        c.OH = out(c.H, c.pads[0], c.pads[2]);
        c.OW = out(c.W, c.pads[1], c.pads[3]);
        sdk::ref::PoolParams p = {1, c.C, c.H, c.W, c.OH, c.OW, 3, 3, 2, 2, 1, 1,
                                  c.pads[0], c.pads[1], c.pads[2], c.pads[3], false, false};
        std::vector<float> x((size_t)c.C * c.H * c.W);
        const int mode = it % 3;  // 0: normal values; 1: some specials; 2: mostly +-0 below negatives
        for (auto& v : x) {
            v = nd(rng);
            if (mode == 1 && pick(0, 7) == 0) v = special[pick(0, 4)];
            if (mode == 2) v = pick(0, 1) ? (pick(0, 1) ? 0.0f : -0.0f) : (pick(0, 9) ? -fabsf(v) : NAN);
        }
        // every other case a Relu's output (p.nonneg: the plain-max plane), with denormals and ties
        p.nonneg = it % 2 == 1;
        if (p.nonneg)
            for (auto& v : x) {
                if (pick(0, 15) == 0) v = pick(0, 1) ? 1e-40f * (float)pick(1, 3) : 1.5f;
                v = v > 0.0f ? v : 0.0f;
            }
        const size_t ny = (size_t)c.C * c.OH * c.OW;
        std::vector<float> want(ny + 16, 7.0f), got(ny + 16, 7.0f);  // +16: nothing written past the end
        set_enabled(0);
        sdk::ref::maxpool_f32(p, x.data(), want.data(), nullptr);
        set_enabled(-1);
        sdk::ref::maxpool_f32(p, x.data(), got.data(), nullptr);
        for (size_t i = 0; i < want.size(); ++i) {
            uint32_t a, b;
            memcpy(&a, &want[i], 4);
            memcpy(&b, &got[i], 4);
            if (a != b) {
                CHECK(false, "MaxPool 3x3/2 %s: C%d %dx%d p%d,%d,%d,%d ceil%d mode %d nonneg %d at %zu: %g (0x%08x) vs ref %g (0x%08x)",
                      name, c.C, c.H, c.W, c.pads[0], c.pads[1], c.pads[2], c.pads[3], c.ceil, mode, (int)p.nonneg, i, got[i], b,
                      want[i], a);
                break;
            }
        }
        ++cases;
    }
    printf("fp32 MaxPool 3x3/2 %-6s: %d random geometries bit-exact vs ref (NaN, +-0, +-inf; half of them Relu outputs)\n",
           name, cases);
    g_checked.push_back(std::string(name) + "-f32-maxpool3s2");
}

#if (SDK_FEATURE_NEON || SDK_FEATURE_X86) && SDK_FEATURE_WINOGRAD
// MaxPool's prepare marks an input a Relu made (PoolParams::nonneg: the plain-max plane): Conv with
// a fused Relu, the Relu op, Concat / MaxPool of such tensors; not other activations, graph inputs
// or a Concat with one of those.
static void check_maxpool_relu_input() {
    struct Case {
        const char* what;
        const char* producer;  // of tensor 1: "Conv" (activation act), "Relu", "Concat" (of 2 and 3), "none"
        int act;               // Conv's activation (-1: no attribute)
        const char* in2;       // Concat's inputs 2 and 3: "Conv", "Relu" or "none" (a graph input)
        const char* in3;
        bool want;
    };
    const Case cases[] = {
        {"Conv+Relu", "Conv", 1, "", "", true},           {"Conv+Clip", "Conv", 2, "", "", false},
        {"Conv", "Conv", -1, "", "", false},              {"Relu", "Relu", 0, "", "", true},
        {"graph input", "none", 0, "", "", false},       {"Concat(Conv+Relu, Relu)", "Concat", 1, "Conv", "Relu", true},
        {"Concat(Conv+Relu, input)", "Concat", 1, "Conv", "none", false},
        {"Concat(Conv+Clip, Relu)", "Concat", 2, "Conv", "Relu", false},
    };
    int checked = 0;
    for (const Case& c : cases) {
        // tensors: 0 the graph input, 1 the pool's input, 2-3 Concat's inputs, 4 the pool's output
        std::vector<sdk::Tensor> t(5);
        for (int i = 0; i < 5; ++i) {
            t[i].name = "t";
            t[i].dtype = sdk::DType::F32;
            t[i].shape.rank = 4;
            const int32_t d[4] = {1, 1, i == 4 ? 3 : 8, i == 4 ? 3 : 8};
            for (int k = 0; k < 4; ++k) t[i].shape.dims[k] = d[k];
            t[i].bytes = (size_t)t[i].shape.count() * 4;
        }
        int32_t act = c.act, ks[2] = {3, 3}, st[2] = {2, 2};
        const sdk::Attr conv_act = {"activation", sdk::kAttrInts, 1, &act};
        const sdk::Attr pool_attrs[2] = {{"kernel_shape", sdk::kAttrInts, 2, ks}, {"strides", sdk::kAttrInts, 2, st}};
        std::vector<sdk::Node> nodes;
        std::vector<std::vector<int32_t>> io;  // per node: inputs then outputs (kept alive)
        auto add = [&](const char* type, std::vector<int32_t> in, int32_t out, bool with_act) {
            sdk::Node n;
            memset(&n, 0, sizeof n);
            n.name = type;
            n.type = type;
            in.push_back(out);
            io.push_back(in);
            n.num_inputs = (int)in.size() - 1;
            n.num_outputs = 1;
            n.attrs = with_act ? &conv_act : nullptr;
            n.num_attrs = with_act ? 1 : 0;
            nodes.push_back(n);
        };
        io.reserve(8);
        auto producer = [&](const char* kind, int32_t out) {
            if (!strcmp(kind, "Conv")) add("Conv", {0}, out, c.act >= 0);
            if (!strcmp(kind, "Relu")) add("Relu", {0}, out, false);
        };
        if (!strcmp(c.producer, "Concat")) {
            producer(c.in2, 2);
            producer(c.in3, !strcmp(c.in3, "none") ? -1 : 3);
            add("Concat", {2, !strcmp(c.in3, "none") ? 0 : 3}, 1, false);
        } else {
            producer(c.producer, 1);
        }
        add("MaxPool", {!strcmp(c.producer, "none") ? 0 : 1}, 4, false);
        for (size_t i = 0; i < nodes.size(); ++i) {  // (io's vectors no longer move)
            nodes[i].inputs = io[i].data();
            nodes[i].outputs = io[i].data() + nodes[i].num_inputs;
        }
        sdk::Node& pool = nodes.back();
        pool.attrs = pool_attrs;
        pool.num_attrs = 2;
        pool.op = &sdk_op_maxpool;
        const sdk::Tensor* pio[2] = {&t[pool.inputs[0]], &t[4]};
        sdk::Model m;
        memset(&m, 0, sizeof m);
        m.tensors = t.data();
        m.num_tensors = 5;
        m.nodes = nodes.data();
        m.num_nodes = (int32_t)nodes.size();
        m.io_tensors = pio;
        sdk::PrepareContext pc{&m, &pool};
        const sdk_status s = sdk_op_maxpool.prepare(pc);
        CHECK(s == SDK_OK && pool.op_data, "MaxPool prepare (%s) failed: %s", c.what, sdk::last_error());
        if (s == SDK_OK && pool.op_data) {
            const bool got = static_cast<const sdk::ref::PoolParams*>(pool.op_data)->nonneg;
            CHECK(got == c.want, "MaxPool after %s: nonneg %d, want %d", c.what, (int)got, (int)c.want);
        }
        sdk::free_alloc_chain(m.allocs);
        ++checked;
    }
    printf("fp32 MaxPool input from a Relu: %d graphs marked as they should be\n", checked);
    g_checked.push_back("f32-maxpool-relu-input");
}
#endif
#endif
#endif

#if SDK_FEATURE_INT8 && defined(TEST_HAVE_SWISH)
// The int8 table lookup of the element-wise ops (Swish here; x86: the AVX512-VBMI loop) on the
// SIMD tier vs the ref tier: every int8 input, lengths around the 64-byte steps.
static void check_lut_s8(const char* name) {
    std::mt19937 rng(61);
    std::vector<int8_t> table(256);
    for (auto& v : table) v = (int8_t)std::uniform_int_distribution<int>(-128, 127)(rng);
    std::vector<float> sc = {0.05f};
    std::vector<int32_t> zp = {3};
    const sdk::QuantParams q{-1, 1, sc.data(), zp.data()};
    int cases = 0;
    for (int n : {1, 63, 64, 65, 256, 300, 1000}) {
        std::vector<int8_t> x((size_t)n);
        for (int i = 0; i < n; ++i) x[(size_t)i] = (int8_t)(i < 256 ? i - 128 : (int)(rng() & 255) - 128);
        std::vector<int8_t> want((size_t)n + 64, 0x5a), got(want.size(), 0x5a);
        for (int tier = 0; tier < 2; ++tier) {
            NodeRun r;
            r.ins = {make_tensor("x", sdk::DType::I8, {1, n}, &q, nullptr),
                     make_tensor("t", sdk::DType::I8, {256}, nullptr, table.data())};
            r.outs = {make_tensor("y", sdk::DType::I8, {1, n}, &q, nullptr)};
            r.in_data = {x.data(), table.data()};
            r.out_data = {tier ? got.data() : want.data()};
            set_int8_tier(tier ? "" : "ref");
            CHECK(r.run(sdk_op_swish), "%s: int8 Swish failed to run", name);
        }
        set_int8_tier("");
        for (int i = 0; i < n && i < 256; ++i) CHECK(want[(size_t)i] == table[(size_t)i], "%s: ref lookup %d", name, i);
        CHECK(want == got, "%s: int8 table lookup of %d values differs from ref", name, n);
        ++cases;
    }
    printf("int8 table lookup %-6s : %d lengths identical to ref\n", name, cases);
}
#endif

#if SDK_FEATURE_INT8 && defined(TEST_HAVE_MUL)
// Int8 Mul (squeeze-excitation shapes: [1, C, H, W] * [1, C, 1, 1] either way round, and
// same shapes) on the SIMD tier (`simd_tier`) vs the ref tier: bit-exact, with multipliers
// below and above 1, extreme zero points and saturated inputs.
static void check_mul_s8(const char* name, const char* simd_tier) {
    std::mt19937 rng(57);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    auto real = [&](double lo, double hi) { return (float)std::uniform_real_distribution<double>(lo, hi)(rng); };
    int cases = 0;
    for (int it = 0; it < 200; ++it) {
        const int C = pick(1, 9), H = pick(1, 9), W = pick(1, 40);
        const int form = it % 3;  // 0 same shape, 1 b per channel, 2 a per channel
        const int32_t ca = form == 2 ? 1 : H, wa = form == 2 ? 1 : W, cb = form == 1 ? 1 : H, wb = form == 1 ? 1 : W;
        std::vector<float> as = {real(0.01, 0.2)}, bs = {real(0.002, 0.05)},
                           ys = {it % 4 == 3 ? real(1e-5, 1e-4) : real(0.001, 0.05)};
        std::vector<int32_t> az = {it % 7 == 0 ? -128 : pick(-128, 127)}, bz = {it % 7 == 1 ? 127 : pick(-128, 127)},
                             yz = {pick(-128, 127)};
        const sdk::QuantParams qa{-1, 1, as.data(), az.data()}, qb{-1, 1, bs.data(), bz.data()},
            qy{-1, 1, ys.data(), yz.data()};
        std::vector<int8_t> a((size_t)C * ca * wa), b((size_t)C * cb * wb);
        const int fill = it % 11 == 10 ? 1 : (it % 11 == 9 ? 2 : 0);
        for (auto& v : a) v = (int8_t)(fill == 1 ? -128 : (fill == 2 ? 127 : pick(-128, 127)));
        for (auto& v : b) v = (int8_t)(fill == 1 ? 127 : (fill == 2 ? -128 : pick(-128, 127)));
        std::vector<int8_t> want((size_t)C * H * W + 16, 0x5a), got(want.size(), 0x5a);
        for (int tier = 0; tier < 2; ++tier) {
            NodeRun r;
            r.ins = {make_tensor("a", sdk::DType::I8, {1, C, ca, wa}, &qa, nullptr),
                     make_tensor("b", sdk::DType::I8, {1, C, cb, wb}, &qb, nullptr)};
            r.outs = {make_tensor("y", sdk::DType::I8, {1, C, H, W}, &qy, nullptr)};
            r.in_data = {a.data(), b.data()};
            r.out_data = {tier ? got.data() : want.data()};
            set_int8_tier(tier ? simd_tier : "ref");
            CHECK(r.run(sdk_op_mul), "%s: int8 Mul failed to run", name);
        }
        set_int8_tier("");
        CHECK(want == got, "%s: int8 Mul C%d %dx%d form %d differs from ref", name, C, H, W, form);
        ++cases;
    }
    printf("int8 Mul %-15s: %d random cases bit-exact vs ref\n", name, cases);
    g_checked.push_back(std::string(name) + "-s8-mul");
}
#endif

#if SDK_FEATURE_INT8 && defined(TEST_HAVE_ADD)
#if defined(TEST_HAVE_QUANTIZELINEAR)
// QuantizeLinear f32 -> int8 (ops/quantizelinear.cpp: AArch64 and ARMv7 NEON blocks, AVX2 on
// x86, the scalar tail) vs the formula round_half_even(x / s) + zp, NaN -> zp, clamp: ties at
// every half, NaN, +-inf, huge, denormal and -0 inputs, lengths off the 8-blocks.
static void check_quantize_f32() {
    std::mt19937 rng(71);
    int cases = 0;
    for (int it = 0; it < 6; ++it) {
        const float sc = it % 2 ? 0.0371f : 1.0f / 64.0f;  // 1/64: x / s exact, so the halves tie
        std::vector<float> scs = {sc};
        std::vector<int32_t> zps = {it == 2 ? -128 : (it == 3 ? 127 : (int)(rng() % 256) - 128)};
        const int n = 8 * (it + 3) + it % 5;
        std::vector<float> x(n);
        for (int i = 0; i < n; ++i) {
            const int k = (int)(rng() % 12);
            x[i] = k == 0   ? ((float)((int)(rng() % 301) - 150) + 0.5f) * sc  // a tie (or near one)
                   : k == 1 ? NAN
                   : k == 2 ? (rng() & 1 ? INFINITY : -INFINITY)
                   : k == 3 ? (rng() & 1 ? 3e38f : -1e30f)
                   : k == 4 ? (rng() & 1 ? 1e-40f : -0.0f)
                   : k == 5 ? (float)(4194304.0 + (rng() % 8) * 0.5) * sc  // |x / s| near 2^22
                            : std::uniform_real_distribution<float>(-200.0f, 200.0f)(rng) * sc;
        }
        const sdk::QuantParams qy{-1, 1, scs.data(), zps.data()};
        std::vector<int8_t> got((size_t)n + 16, 0x5a), want(got.size(), 0x5a);
        for (int i = 0; i < n; ++i) {
            float v = nearbyintf(x[i] / sc) + (float)zps[0];
            if (v != v) v = (float)zps[0];
            want[i] = (int8_t)(v < -128.0f ? -128 : (v > 127.0f ? 127 : (int32_t)v));
        }
        NodeRun r;
        r.ins = {make_tensor("x", sdk::DType::F32, {1, n}, nullptr, nullptr)};
        r.outs = {make_tensor("y", sdk::DType::I8, {1, n}, &qy, nullptr)};
        r.in_data = {x.data()};
        r.out_data = {got.data()};
        CHECK(r.run(sdk_op_quantizelinear), "QuantizeLinear failed to run");
        CHECK(want == got, "QuantizeLinear n%d scale %g zp%d differs from round_half_even(x / s) + zp", n, sc, zps[0]);
        ++cases;
    }
    printf("QuantizeLinear f32->int8: %d cases (ties, NaN, inf, denormals) exact\n", cases);
}
#endif

// Int8 Add (same shapes; NEON: kernels/neon/add_s8.cpp, x86: kernels/x86/add_s8.cpp) on the
// SIMD tier vs the ref tier's table loop, bit-exact: scales far apart either way, zero points
// at the ends, Relu/Clip clamps, saturated inputs, lengths off the 8/16-element blocks.
static void check_add_s8(const char* name) {
    std::mt19937 rng(61);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    auto real = [&](double lo, double hi) { return (float)std::uniform_real_distribution<double>(lo, hi)(rng); };
    int cases = 0;
    for (int it = 0; it < 200; ++it) {
        const int C = pick(1, 9), H = pick(1, 9), W = pick(1, 40);
        const float base = real(0.005, 0.2);
        std::vector<float> as = {base}, bs = {it % 3 == 0 ? base * real(0.01, 0.2) : base * real(0.5, 5.0)},
                           ys = {it % 4 == 3 ? real(1e-4, 1e-3) : real(0.005, 0.3)};
        std::vector<int32_t> az = {it % 7 == 0 ? -128 : pick(-128, 127)}, bz = {it % 7 == 1 ? 127 : pick(-128, 127)},
                             yz = {pick(-128, 127)};
        const sdk::QuantParams qa{-1, 1, as.data(), az.data()}, qb{-1, 1, bs.data(), bz.data()},
            qy{-1, 1, ys.data(), yz.data()};
        std::vector<int8_t> a((size_t)C * H * W), b(a.size());
        const int fill = it % 11 == 10 ? 1 : (it % 11 == 9 ? 2 : 0);
        for (auto& v : a) v = (int8_t)(fill == 1 ? -128 : (fill == 2 ? 127 : pick(-128, 127)));
        for (auto& v : b) v = (int8_t)(fill == 1 ? 127 : (fill == 2 ? -128 : pick(-128, 127)));
        const int act = pick(0, 2);
        const float lo = real(-1.0, 0.0), hi = real(0.1, 3.0);
        std::vector<int8_t> want((size_t)C * H * W + 16, 0x5a), got(want.size(), 0x5a);
        for (int tier = 0; tier < 2; ++tier) {
            NodeRun r;
            r.ins = {make_tensor("a", sdk::DType::I8, {1, C, H, W}, &qa, nullptr),
                     make_tensor("b", sdk::DType::I8, {1, C, H, W}, &qb, nullptr)};
            r.outs = {make_tensor("y", sdk::DType::I8, {1, C, H, W}, &qy, nullptr)};
            r.in_data = {a.data(), b.data()};
            r.out_data = {tier ? got.data() : want.data()};
            r.attr_ints("activation", {act});
            if (act == 2) r.attr_floats("activation_params", {lo, hi});
            set_int8_tier(tier ? "" : "ref");
            CHECK(r.run(sdk_op_add), "%s: int8 Add failed to run", name);
        }
        set_int8_tier("");
        CHECK(want == got, "%s: int8 Add C%d %dx%d act%d differs from ref", name, C, H, W, act);
        ++cases;
    }
    printf("int8 Add %-15s: %d random cases bit-exact vs ref\n", name, cases);
    g_checked.push_back(std::string(name) + "-s8-add");
}
#endif

#if SDK_FEATURE_INT8 && defined(TEST_HAVE_CONCAT)
// Int8 Concat (AArch64: the requantizing inputs by TBL/TBX lookups) on the SIMD tier vs the
// ref tier: 1-3 inputs, some with the output's quantization (copied), others requantized,
// along channels and along the last axis, lengths around the 16-byte steps.
static void check_concat_s8(const char* name) {
    std::mt19937 rng(71);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    int cases = 0;
    for (int it = 0; it < 60; ++it) {
        const int n = pick(1, 3), H = pick(1, 6), W = pick(1, 40), axis = it % 4 == 3 ? 3 : 1;
        std::vector<float> ys = {std::uniform_real_distribution<float>(0.01f, 0.2f)(rng)};
        std::vector<int32_t> yz = {pick(-128, 127)};
        std::vector<std::vector<float>> xs(n);
        std::vector<std::vector<int32_t>> xz(n);
        std::vector<std::vector<int8_t>> x(n);
        std::vector<sdk::QuantParams> qx(n);
        std::vector<int> C(n), Wi(n);
        int Ct = 0, Wt = 0;
        for (int i = 0; i < n; ++i) {
            const bool same = pick(0, 3) == 0;
            xs[i] = {same ? ys[0] : ys[0] * std::uniform_real_distribution<float>(0.1f, 4.0f)(rng)};
            xz[i] = {same ? yz[0] : pick(-128, 127)};
            qx[i] = sdk::QuantParams{-1, 1, xs[i].data(), xz[i].data()};
            C[i] = axis == 1 ? pick(1, 5) : 2;
            Wi[i] = axis == 3 ? pick(1, 40) : W;
            Ct += C[i];
            Wt += Wi[i];
            x[i].resize((size_t)C[i] * H * Wi[i]);
            for (auto& v : x[i]) v = (int8_t)pick(-128, 127);
        }
        const int OC = axis == 1 ? Ct : 2, OW = axis == 3 ? Wt : W;
        std::vector<int8_t> want((size_t)OC * H * OW + 16, 0x5a), got(want.size(), 0x5a);
        const sdk::QuantParams qy{-1, 1, ys.data(), yz.data()};
        for (int tier = 0; tier < 2; ++tier) {
            NodeRun r;
            for (int i = 0; i < n; ++i) {
                r.ins.push_back(make_tensor("x", sdk::DType::I8, {1, C[i], H, Wi[i]}, &qx[i], nullptr));
                r.in_data.push_back(x[i].data());
            }
            r.outs = {make_tensor("y", sdk::DType::I8, {1, OC, H, OW}, &qy, nullptr)};
            r.out_data = {tier ? got.data() : want.data()};
            r.attr_ints("axis", {axis});
            set_int8_tier(tier ? "" : "ref");
            CHECK(r.run(sdk_op_concat), "%s: int8 Concat failed to run", name);
        }
        set_int8_tier("");
        CHECK(want == got, "%s: int8 Concat of %d inputs axis %d differs from ref", name, n, axis);
        ++cases;
    }
    printf("int8 Concat %-12s: %d random cases bit-exact vs ref\n", name, cases);
}
#endif

#if SDK_FEATURE_INT8 && (defined(TEST_HAVE_MAXPOOL) || defined(TEST_HAVE_AVERAGEPOOL))
// Int8 MaxPool / AveragePool op on the SIMD tier vs the ref tier, bit-exact.
static void check_pool_s8(const char* name, const sdk::OpDef& op, bool dilations) {
    std::mt19937 rng(41);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    int cases = 0, planes = 0, simd = 0;
    for (int it = 0; it < 420; ++it) {
        const PoolCase c = random_pool(rng, it, dilations, false, it >= 400);  // the last 20: rows of 1000-2600
        std::vector<float> sc = {0.05f};
        std::vector<int32_t> zp = {it % 5 == 0 ? (pick(0, 1) ? -128 : 127) : pick(-128, 127)};
        const sdk::QuantParams q{-1, 1, sc.data(), zp.data()};
        std::vector<int8_t> x((size_t)c.C * c.H * c.W);
        const int fill = it % 9 == 8 ? 1 : (it % 9 == 7 ? 2 : 0);
        for (auto& v : x) v = (int8_t)(fill == 1 ? -128 : (fill == 2 ? 127 : pick(-128, 127)));
        std::vector<int8_t> want((size_t)c.C * c.OH * c.OW + 16, 0x5a), got(want.size(), 0x5a);
        for (int tier = 0; tier < 2; ++tier) {
            NodeRun r;
            r.ins = {make_tensor("x", sdk::DType::I8, {1, c.C, c.H, c.W}, &q, nullptr)};
            r.outs = {make_tensor("y", sdk::DType::I8, {1, c.C, c.OH, c.OW}, &q, nullptr)};
            r.in_data = {x.data()};
            r.out_data = {tier ? got.data() : want.data()};
            r.attr_ints("kernel_shape", {c.KH, c.KW});
            r.attr_ints("strides", {c.sh, c.sw});
            r.attr_ints("pads", {c.pads[0], c.pads[1], c.pads[2], c.pads[3]});
            r.attr_ints("ceil_mode", {c.ceil});
            if (dilations)
                r.attr_ints("dilations", {c.dh, c.dw});
            else
                r.attr_ints("count_include_pad", {c.include_pad});
            set_int8_tier(tier ? "" : "ref");
            CHECK(r.run(op), "%s %s: failed to run", op.type, name);
            if (tier) simd += r.thread_scratch > 0;  // (x86: the AVX2 planes' padded plane)
        }
        set_int8_tier("");
        CHECK(want == got, "%s %s: C%d %dx%d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d ceil%d cip%d zp%d differs from ref",
              op.type, name, c.C, c.H, c.W, c.KH, c.KW, c.sh, c.sw, c.dh, c.dw, c.pads[0], c.pads[1], c.pads[2],
              c.pads[3], c.ceil, c.include_pad, zp[0]);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
        // the NEON planes themselves, whatever the op's dispatch chose
        if (c.sw <= 2 && c.KH <= 16) {
            const sdk::s8::PoolGeom g = {1,    c.C,  c.H,  c.W,  c.OH, c.OW,     c.KH,     c.KW,     c.sh,
                                         c.sw, c.dh, c.dw, c.pads[0], c.pads[1], c.pads[2], c.pads[3], c.include_pad};
            std::vector<int8_t> direct(want.size(), 0x5a);
            for (int ch = 0; ch < c.C; ++ch) {
                const int8_t* xc = x.data() + (size_t)ch * c.H * c.W;
                int8_t* yc = direct.data() + (size_t)ch * c.OH * c.OW;
                if (dilations)
                    sdk::s8::maxpool_plane_s8_neon(g, xc, yc);
                else
                    sdk::s8::averagepool_plane_s8_neon(g, zp[0], xc, yc);
            }
            CHECK(want == direct, "%s neon plane: C%d %dx%d k%dx%d s%d,%d p%d,%d,%d,%d differs from ref", op.type, c.C,
                  c.H, c.W, c.KH, c.KW, c.sh, c.sw, c.pads[0], c.pads[1], c.pads[2], c.pads[3]);
            ++planes;
        }
#endif
        ++cases;
    }
    printf("int8 %-11s %-6s: %d random geometries bit-exact vs ref", op.type, name, cases);
    if (planes) printf(" (and %d through the NEON planes directly)", planes);
    if (simd) printf(" (%d on the AVX2 planes)", simd);
    printf("\n");
    g_checked.push_back(std::string(name) + "-s8-" + op.type);
}
#endif

#if SDK_FEATURE_FP32 && (SDK_FEATURE_NEON || SDK_FEATURE_X86) && defined(TEST_HAVE_CONV)
// fp32 depthwise 3x3 and 5x5 (the NEON kernel's shapes): stride 1 or 2, asymmetric pads
// 0-2 (5x5: 0-3), depth multipliers 1-2, planes 1 to 70 wide, every activation (SiLU too); NEON on vs
// off, within 1e-5.
static void check_dw3x3_f32(const char* name, void (*set_enabled)(int)) {
    std::mt19937 rng(13);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    int cases = 0, cases5 = 0;
    double worst = 0.0;
    for (int it = 0; it < 300; ++it) {
        sdk::ConvGeom g;
        memset(&g, 0, sizeof g);
        const int k = it % 3 == 2 ? 5 : 3;
        const int pmax = k == 5 ? 3 : 2;
        g.N = pick(1, 2);
        g.C = pick(1, 6);
        g.group = g.C;
        g.OC = g.C * pick(1, 2);
        g.KH = g.KW = k;
        g.sh = g.sw = pick(1, 2);
        g.dh = g.dw = 1;
        g.pt = pick(0, pmax); g.pl = pick(0, pmax); g.pb = pick(0, pmax); g.pr = pick(0, pmax);
        g.H = std::max(pick(1, 20), k - g.pt - g.pb);
        g.W = std::max(it % 4 ? pick(1, 70) : pick(1, 9), k - g.pl - g.pr);
        g.OH = (g.H + g.pt + g.pb - k) / g.sh + 1;
        g.OW = (g.W + g.pl + g.pr - k) / g.sw + 1;
        g.act.kind = pick(0, 5);
        g.act.lo = -0.5f;
        g.act.hi = 0.75f;
        set_enabled(-1);
        const sdk::ref::ConvF32Plan plan = sdk::ref::conv_f32_plan(g);
#if SDK_FEATURE_NEON
        CHECK(plan.neon_dw, "%s: depthwise %dx%d s%d not planned on the NEON kernel", name, k, k, g.sh);
#endif
        const size_t sb = sdk::ref::conv_f32_thread_scratch_bytes(plan);
        std::vector<float> x((size_t)g.N * g.C * g.H * g.W), w((size_t)g.OC * k * k), b(g.OC);
        for (auto& v : x) v = nd(rng);
        for (auto& v : w) v = nd(rng);
        for (auto& v : b) v = nd(rng);
        const size_t ny = (size_t)g.N * g.OC * g.OH * g.OW;
        std::vector<float> want(ny + 16, 7.0f), got(ny + 16, 7.0f), scratch(sb / sizeof(float) + 16);
        const float* bp = pick(0, 3) ? b.data() : nullptr;
        set_enabled(0);
        sdk::ref::conv_f32(g, plan, x.data(), w.data(), bp, want.data(), scratch.data(), sb, nullptr);
        set_enabled(-1);
        sdk::ref::conv_f32(g, plan, x.data(), w.data(), bp, got.data(), scratch.data(), sb, nullptr);
        for (size_t i = 0; i < want.size(); ++i) {
            const double d = fabs((double)want[i] - got[i]) / (1.0 + fabs((double)want[i]));
            worst = d > worst ? d : worst;
            if (!(d <= 1e-5)) {
                CHECK(false, "dw%dx%d %s: N%d C%d OC%d %dx%d s%d p%d,%d,%d,%d act%d at %zu: %g vs %g", k, k, name, g.N, g.C,
                      g.OC, g.H, g.W, g.sh, g.pt, g.pl, g.pb, g.pr, g.act.kind, i, got[i], want[i]);
                break;
            }
        }
        ++cases;
        cases5 += k == 5;
    }
    printf("fp32 depthwise 3x3/5x5 %-6s: %d random geometries (%d 5x5) within 1e-5 of ref (worst %.2g)\n", name, cases,
           cases5, worst);
    g_checked.push_back(std::string(name) + "-f32-dw3x3");
}
#endif

#if defined(TEST_HAVE_GLOBALAVERAGEPOOL)
// GlobalAveragePool: fp32 with the NEON sum on vs off (within 1e-5), int8 op on the SIMD
// tier vs the ref tier (bit-exact), on plane sizes around the vector steps.
static void check_gap(const char* name) {
    std::mt19937 rng(51);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    int cases = 0;
    double worst = 0.0;
    for (int it = 0; it < 120; ++it) {
        const int C = pick(1, 9), H = pick(1, 20), W = it % 4 ? pick(1, 20) : pick(1, 40);
#if SDK_FEATURE_FP32 && SDK_FEATURE_NEON && defined(__ARM_NEON)
        {
            std::normal_distribution<float> nd(0.5f, 1.0f);
            std::vector<float> x((size_t)C * H * W), want(C + 4, 7.0f), got(C + 4, 7.0f);
            for (auto& v : x) v = nd(rng);
            sdk::ref::neon_sgemm_set_enabled(0);
            sdk::ref::globalaveragepool_f32(x.data(), want.data(), C, (int64_t)H * W, nullptr);
            sdk::ref::neon_sgemm_set_enabled(-1);
            sdk::ref::globalaveragepool_f32(x.data(), got.data(), C, (int64_t)H * W, nullptr);
            for (size_t i = 0; i < want.size(); ++i) {
                const double d = fabs((double)want[i] - got[i]) / (1.0 + fabs((double)want[i]));
                worst = d > worst ? d : worst;
                CHECK(d <= 1e-5, "fp32 GlobalAveragePool %s C%d %dx%d [%zu]: %g vs %g", name, C, H, W, i, got[i], want[i]);
            }
        }
#endif
#if SDK_FEATURE_INT8
        std::vector<float> xs = {0.05f}, ys = {it % 5 == 0 ? 0.001f : 0.03f};
        std::vector<int32_t> xz = {pick(-128, 127)}, yz = {pick(-128, 127)};
        const sdk::QuantParams qx{-1, 1, xs.data(), xz.data()}, qy{-1, 1, ys.data(), yz.data()};
        std::vector<int8_t> x((size_t)C * H * W);
        const int fill = it % 7 == 6 ? 1 : (it % 7 == 5 ? 2 : 0);
        for (auto& v : x) v = (int8_t)(fill == 1 ? -128 : (fill == 2 ? 127 : pick(-128, 127)));
        std::vector<int8_t> want(C + 16, 0x5a), got(want.size(), 0x5a);
        for (int tier = 0; tier < 2; ++tier) {
            NodeRun r;
            r.ins = {make_tensor("x", sdk::DType::I8, {1, C, H, W}, &qx, nullptr)};
            r.outs = {make_tensor("y", sdk::DType::I8, {1, C, 1, 1}, &qy, nullptr)};
            r.in_data = {x.data()};
            r.out_data = {tier ? got.data() : want.data()};
            set_int8_tier(tier ? "" : "ref");
            CHECK(r.run(sdk_op_globalaveragepool), "int8 GlobalAveragePool %s: failed to run", name);
        }
        set_int8_tier("");
        CHECK(want == got, "int8 GlobalAveragePool %s: C%d %dx%d zp%d differs from ref", name, C, H, W, xz[0]);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
        for (int ch = 0; ch < C; ++ch) {  // the NEON sum itself
            int32_t sum = 0;
            const int8_t* xc = x.data() + (size_t)ch * H * W;
            for (int i = 0; i < H * W; ++i) sum += xc[i];
            CHECK(sdk::s8::neon_sum_s8(xc, H * W) == sum, "neon_sum_s8 of %d values differs", H * W);
        }
#endif
#endif
        ++cases;
    }
    printf("GlobalAveragePool %-6s: %d random planes (fp32 within 1e-5 of ref, worst %.2g; int8 bit-exact)\n", name,
           cases, worst);
}
#endif

#if SDK_FEATURE_FP32 && SDK_FEATURE_NEON && defined(__ARM_NEON) && defined(TEST_HAVE_ADD) && defined(TEST_HAVE_MUL)
#include "kernels/ref/binary.h"
// The NEON Add/Mul rows (kernels/neon/binary_f32.cpp) vs the scalar formula: both operands
// contiguous or one broadcast, Add with no/Relu/Clip/HardSwish, NaN/Inf/-0 sprinkled in, in
// place too: the same bits (NEON's add and multiply are IEEE but for denormals, of which
// there are none here).
static void check_binary_neon() {
    std::mt19937 rng(11);
    std::normal_distribution<float> nd(0.0f, 2.0f);
    const float specials[] = {NAN, INFINITY, -INFINITY, -0.0f, 0.0f, 1.5f, -0.5f};
    int cases = 0;
    for (int n : {1, 3, 4, 5, 8, 13, 64, 67})
        for (int units = 0; units < 3; ++units)
            for (int op = 0; op < 5; ++op) {  // 0 Mul, 1 Add, 2 Add+Relu, 3 Add+Clip, 4 Add+HardSwish
                for (int inplace = 0; inplace < 2; ++inplace) {
                    std::vector<float> a(n), b(n), y(n), want(n);
                    for (int i = 0; i < n; ++i) {
                        a[i] = i % 7 == 3 ? specials[(i / 7) % 7] : nd(rng);
                        b[i] = i % 5 == 1 ? specials[(i / 5 + 3) % 7] : nd(rng);
                    }
                    const uint8_t unit[2] = {(uint8_t)(units != 2), (uint8_t)(units != 1)};
                    sdk::ref::ActParams act = {op == 2 ? (int32_t)sdk::kActRelu
                                                       : (op == 3 ? (int32_t)sdk::kActClip
                                                                  : (op == 4 ? (int32_t)sdk::kActHardSwish : 0)),
                                               -0.75f, 1.25f};
                    for (int i = 0; i < n; ++i) {
                        const float x = unit[0] ? a[i] : a[0], z = unit[1] ? b[i] : b[0];
                        want[i] = op == 0 ? x * z : sdk::ref::act_f32(x + z, act);
                    }
                    const bool ip = inplace && unit[0];  // y aliases a (the op's in-place case)
                    const void* in[2] = {a.data(), b.data()};
                    float* out = ip ? a.data() : y.data();
                    const bool ran = sdk::neon_binary_row_f32(op == 0, in, unit, out, n, op == 0 ? nullptr : &act);
                    CHECK(ran, "neon_binary_row_f32 declined with the NEON tier on");
                    for (int i = 0; i < n; ++i) {
                        const bool same = (isnan(want[i]) && isnan(out[i])) ||
                                          (want[i] == out[i] && signbit(want[i]) == signbit(out[i]));
                        CHECK(same, "binary row neon op %d n %d units %d inplace %d at %d: %g vs %g", op, n, units,
                              ip, i, out[i], want[i]);
                    }
                    ++cases;
                }
            }
    printf("fp32 Add/Mul rows neon   : %d cases identical to the scalar rows (NaN/Inf/-0, broadcast, in place)\n",
           cases);
}
#endif

#if SDK_FEATURE_FP32 && (SDK_FEATURE_X86 || (SDK_FEATURE_NEON && defined(__ARM_NEON)))
// The fused Relu/Clip on the register vs act_f32 with NaN, +-Inf and values on the clip
// bounds (random data never has them): the same values, NaN where ref has NaN, the same
// sign of zero. Full 8-column panels (the register path) and a 3-column tail.
static void check_sgemm_specials(const char* name, void (*set_enabled)(int), SgemmFn fn) {
    const float nan = NAN, inf = INFINITY;
    const int M = 15, N = 11, K = 2;
    // row 0 NaN, rows 1-2 +-Inf, row 3 zero (a -0 bias), rows 4-6 ordinary values; again in
    // rows 8-14 (row 7 ordinary): the 8-row AArch64 tile, the 4-row and 1-row tiles all meet them
    const float A7[7 * K] = {nan, 1.0f, inf, 0.0f, -inf, 0.0f, 0.0f, 0.0f, 0.5f, -0.25f, -1.0f, 2.0f, 0.75f, 0.0f};
    const float bias7[7] = {0.0f, 0.0f, 0.0f, -0.0f, -0.5f, 0.75f, 0.0f};
    float A[M * K], bias[M];
    for (int r = 0; r < M; ++r) {
        const int q = r < 7 ? r : (r == 7 ? 5 : r - 8);
        A[r * K] = r == 7 ? -0.5f : A7[q * K];
        A[r * K + 1] = A7[q * K + 1];
        bias[r] = bias7[q];
    }
    float B[K * N];
    for (int i = 0; i < K * N; ++i) B[i] = (float)(i % 5) - 2.0f + (i % 3) * 0.5f;  // -2 .. 3, zeros included
    std::vector<float> panels((size_t)((N + 7) / 8) * K * 8);
    sdk::ref::sgemm_pack_b(B, N, 1, K, 0, N, panels.data());
    int cases = 0;
    // act: none, Relu, Clip, then HardSwish, Sigmoid, SiLU (the AVX-512 tile applies these on
    // the register too)
    for (int act = 0; act < 6; ++act)
        for (int accumulate = 0; accumulate < 2; ++accumulate) {
            sdk::ref::GemmEpilogue e;
            e.row_bias = bias;
            e.accumulate = accumulate != 0;
            e.act = {act == 1 ? (int32_t)sdk::kActRelu : (act == 2 ? (int32_t)sdk::kActClip : (act >= 3 ? act : 0)),
                     -0.5f, 0.75f};
            std::vector<float> want((size_t)M * N), got((size_t)M * N);
            for (size_t i = 0; i < want.size(); ++i) want[i] = got[i] = i % 4 == 0 ? -0.0f : (i % 4 == 1 ? nan : 0.25f);
            set_enabled(0);
            sdk::ref::sgemm_packed(M, N, K, A, K, 1, panels.data(), want.data(), N, e);
            set_enabled(-1);
            fn(M, N, K, A, K, 1, panels.data(), got.data(), N, e);
            for (size_t i = 0; i < want.size(); ++i) {
                // HardSwish/Sigmoid/SiLU: finite values may differ by FMA rounding (an ulp);
                // NaN, infinities and the sign of zero must not
                const bool close = act >= 3 && isfinite(want[i]) && isfinite(got[i]) &&
                                   fabs((double)want[i] - got[i]) <= 1e-6 * (1.0 + fabs((double)want[i]));
                const bool same = (isnan(want[i]) && isnan(got[i])) ||
                                  ((want[i] == got[i] || close) && signbit(want[i]) == signbit(got[i]));
                CHECK(same, "sgemm %s specials act %d acc %d at (%zu, %zu): %g vs %g", name, act, accumulate, i / N,
                      i % N, got[i], want[i]);
            }
            ++cases;
        }
    printf("fp32 gemm kernel %-8s: NaN/Inf/-0 epilogue as ref's, 6 activations (%d cases)\n", name, cases);
}
#endif

#if SDK_FEATURE_FP32 && SDK_FEATURE_X86
// Test hook for the SSE4.1 tier: the AVX2 tier off, then 0 = ref, otherwise SSE4.1.
static void sse41_tier(int on) {
    sdk::ref::x86_sgemm_set_enabled(0);
    sdk::ref::x86_f32_set_sse41(on != 0);
}
#endif

#if defined(TEST_HAVE_SPMM)
// The sparse x dense kernels (kernels/ref/spmm.h): the build's best tier (set_enabled(1)) and
// the portable one against a double-precision sum over the nonzeros, bias and activation
// included, on random CSR matrices of every density (empty rows too) and pixel counts that
// hit every tile and tail; guard values after Y catch writes past the end.
static void check_spmm(const char* name, void (*set_enabled)(int)) {
    std::mt19937 rng(1234);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const int Ps[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 64, 70, 196};
    const double densities[] = {0.0, 0.05, 0.3, 1.0};
    const int acts[] = {sdk::kActNone, sdk::kActRelu, sdk::kActClip, sdk::kActHardSwish, sdk::kActSilu};
    int cases = 0;
    for (int P : Ps)
        for (double dens : densities)
            for (int act : acts) {
                const int M = 1 + (int)(rng() % 13), K = 1 + (int)(rng() % 40);
                std::vector<uint32_t> row_ptr(1, 0);
                std::vector<int32_t> xoff;
                std::vector<float> vals;
                std::vector<int> cols;
                for (int m = 0; m < M; ++m) {
                    for (int k = 0; k < K; ++k)
                        if ((double)(rng() % 1000) < dens * 1000.0) {
                            cols.push_back(k);
                            xoff.push_back(k * P);
                            vals.push_back(u(rng));
                        }
                    row_ptr.push_back((uint32_t)vals.size());
                }
                std::vector<float> x((size_t)K * P), b(M);
                for (auto& v : x) v = u(rng) * 4.0f;
                for (auto& v : b) v = u(rng);
                sdk::ref::SpmmPlan sp;
                sp.M = M;
                sp.K = K;
                sp.P = P;
                sp.row_ptr = row_ptr.data();
                sp.xoff = xoff.data();
                sp.values = vals.data();
                sp.act.kind = act;
                sp.act.lo = -0.5f;
                sp.act.hi = 0.75f;
                const bool with_bias = rng() % 4 != 0;
                std::vector<float> got((size_t)M * P + 8, 123.0f), ref((size_t)M * P + 8, 123.0f);
                set_enabled(1);
                sdk::ref::spmm_f32(sp, x.data(), with_bias ? b.data() : nullptr, got.data(), nullptr);
                set_enabled(0);
                sdk::ref::spmm_f32_rows_ref(sp, x.data(), with_bias ? b.data() : nullptr, ref.data(), 0, M);
                set_enabled(-1);
                for (int i = 0; i < 8; ++i)
                    CHECK(got[(size_t)M * P + i] == 123.0f && ref[(size_t)M * P + i] == 123.0f,
                          "spmm %s M%d K%d P%d wrote past Y", name, M, K, P);
                for (int m = 0; m < M; ++m)
                    for (int p = 0; p < P; ++p) {
                        double acc = with_bias ? b[m] : 0.0, mag = fabs(acc);
                        for (uint32_t j = row_ptr[m]; j < row_ptr[m + 1]; ++j) {
                            acc += (double)vals[j] * x[(size_t)cols[j] * P + p];
                            mag += fabs((double)vals[j] * x[(size_t)cols[j] * P + p]);
                        }
                        const float want = sdk::ref::act_f32((float)acc, sp.act);
                        const float g = got[(size_t)m * P + p], r = ref[(size_t)m * P + p];
                        const double tol = 1e-5 * (1.0 + mag);
                        if (!(fabs(g - want) <= tol && fabs(r - want) <= tol)) {
                            CHECK(false, "spmm %s M%d K%d P%d density %.2f act %d at (%d,%d): %s %g, ref %g, exact %g",
                                  name, M, K, P, dens, act, m, p, name, g, r, want);
                            return;
                        }
                    }
                ++cases;
            }
    printf("fp32 spmm kernel %-8s: %d cases vs double precision\n", name, cases);
    g_checked.push_back(std::string("spmm-") + name);
}
static void spmm_ref_tier(int) {}
#endif

namespace sdk {
uint32_t crc32_update_fast(uint32_t crc, const uint8_t* p, size_t n);  // kernels/ref/common.cpp
}

// The loader's fast CRC-32 (CRC32X/CRC32W steps of 32 bytes where the CPU has them, else
// slicing by 4) against the bitwise definition, for every length around its step sizes and
// every start alignment (the word-aligned step and the unaligned fallback), and across calls.
static void check_crc32() {
    std::mt19937 rng(11);
    std::vector<uint8_t> buf(4096 + 8);
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    auto bitwise = [](uint32_t crc, const uint8_t* p, size_t n) {
        for (size_t i = 0; i < n; ++i) {
            crc ^= p[i];
            for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
        }
        return crc;
    };
    int bad = 0;
    for (size_t off = 0; off < 8; ++off)
        for (size_t n = 0; n <= 200; ++n)
            bad += sdk::crc32_update_fast(0xFFFFFFFFu, buf.data() + off, n) != bitwise(0xFFFFFFFFu, buf.data() + off, n);
    const uint32_t whole = bitwise(0xFFFFFFFFu, buf.data(), 4096);
    bad += sdk::crc32_update_fast(0xFFFFFFFFu, buf.data(), 4096) != whole;
    bad += sdk::crc32_update_fast(sdk::crc32_update_fast(0xFFFFFFFFu, buf.data(), 1000), buf.data() + 1000, 3096) != whole;
    CHECK(bad == 0, "crc32_update_fast differs from the bitwise CRC-32 in %d cases", bad);
    CHECK((sdk::crc32_update_fast(0xFFFFFFFFu, reinterpret_cast<const uint8_t*>("123456789"), 9) ^ 0xFFFFFFFFu) ==
              0xCBF43926u, "crc32_update_fast(\"123456789\") is not the CRC-32 check value");
    printf("crc32 fast path: checked against the bitwise CRC-32\n");
}

int main(int argc, char** argv) {
    std::vector<std::string> required;
    for (int i = 1; i + 1 < argc; i += 2)
        if (strcmp(argv[i], "--require") == 0) required.push_back(argv[i + 1]);
    check_crc32();
#if SDK_FEATURE_INT8
    check_requant();
    check_gemm_kernel("ref", sdk::s8::gemm_ref);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    check_gemm_kernel("neon", sdk::s8::gemm_neon);
    check_requant_row("neon", sdk::s8::requant_row_neon);
#endif
#if defined(SDK_FEATURE_DOTPROD) && SDK_FEATURE_DOTPROD
    if (!sdk::s8::kDotprodCompiled)
        printf("int8 gemm kernel dotprod : selected, but the compiler lacked the dotprod flag (plain NEON)\n");
    else if (sdk::s8::cpu_has_dotprod())
        check_gemm_kernel("dotprod", sdk::s8::gemm_neon_dotprod);
    else
        printf("int8 gemm kernel dotprod : compiled in, CPU lacks it (skipped)\n");
#endif
#if SDK_FEATURE_X86
    if (sdk::s8::cpu_has_avx2()) {
        check_gemm_kernel("avx2", sdk::s8::gemm_avx2);
        check_requant_row("avx2", sdk::s8::requant_row_avx2);
    } else
        printf("int8 gemm kernel avx2    : compiled in, CPU lacks it (skipped)\n");
    if (sdk::s8::cpu_has_sse41())
        check_gemm_kernel("sse41", sdk::s8::gemm_sse41);
    else
        printf("int8 gemm kernel sse41   : compiled in, CPU lacks it (skipped)\n");
#endif
    printf("run-time choice: %s\n", sdk::s8::gemm_kernel_name(sdk::s8::gemm_kernel()));
#endif
#if SDK_FEATURE_FP32 && SDK_FEATURE_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    {
        // the 8-column-panel entry point on both tiers: its AVX2 tile, then the AVX-512 one
        sdk::ref::x86_f32_set_avx512(0);
        check_sgemm("avx2", sdk::ref::x86_sgemm_set_enabled, sdk::ref::x86_sgemm_packed_avx2);
        check_sgemm_specials("avx2", sdk::ref::x86_sgemm_set_enabled, sdk::ref::x86_sgemm_packed_avx2);
        sdk::ref::x86_f32_set_avx512(-1);
        if (sdk::ref::x86_f32_avx512_enabled()) {
            check_sgemm("avx512", sdk::ref::x86_sgemm_set_enabled, sdk::ref::x86_sgemm_packed_avx2);
            check_sgemm_specials("avx512", sdk::ref::x86_sgemm_set_enabled, sdk::ref::x86_sgemm_packed_avx2);
        } else {
            printf("fp32 gemm kernel avx512  : compiled in, CPU lacks AVX512F or SDK_F32_GEMM=avx2 (skipped)\n");
        }
        check_dots_avx2();
        sdk::ref::x86_f32_set_avx512(0);
        check_sgemm16("avx2");
        sdk::ref::x86_f32_set_avx512(-1);
        if (sdk::ref::x86_f32_avx512_enabled()) check_sgemm16("avx512");
#if defined(TEST_HAVE_CONV)
        // both tiers: the AVX2 kernels alone, then with the AVX-512 ones where the CPU has them
        sdk::ref::x86_f32_set_avx512(0);
        check_conv_f32("avx2", sdk::ref::x86_sgemm_set_enabled);
        check_wino_f32("avx2", sdk::ref::x86_sgemm_set_enabled, -1);
        check_wino_f32("ref", sdk::ref::x86_sgemm_set_enabled, 0);
#if SDK_FEATURE_WINOGRAD
        check_conv_f32_wino_kept();  // x86: nothing kept, the same output
#endif
        check_dw3x3_f32("avx2", sdk::ref::x86_sgemm_set_enabled);
#if defined(TEST_HAVE_MAXPOOL)
        check_pool_f32("avx2", "MaxPool", sdk::ref::maxpool_f32, sdk::ref::x86_sgemm_set_enabled, true);
        check_maxpool3s2_f32("avx2", sdk::ref::x86_sgemm_set_enabled);  // (the Relu-input plane: nonneg)
#if SDK_FEATURE_WINOGRAD
        check_maxpool_relu_input();
#endif
#endif
#if defined(TEST_HAVE_AVERAGEPOOL)
        check_pool_f32("avx2", "AveragePool", sdk::ref::averagepool_f32, sdk::ref::x86_sgemm_set_enabled, true);
#endif
        sdk::ref::x86_f32_set_avx512(-1);
        if (sdk::ref::x86_f32_avx512_enabled()) {
            check_conv_f32("avx512", sdk::ref::x86_sgemm_set_enabled);
            check_wino_f32("avx512", sdk::ref::x86_sgemm_set_enabled, -1);
        } else
            printf("fp32 conv kernels avx512 : compiled in, CPU lacks AVX512F or SDK_F32_GEMM=avx2 (skipped)\n");
#endif
    } else
        printf("fp32 gemm kernel avx2    : compiled in, CPU lacks AVX2/FMA (skipped)\n");
    // the SSE4.1 tier (CPUs without AVX2), forced on here with the AVX2 tier off
    if (__builtin_cpu_supports("sse4.1")) {
        check_sgemm("sse41", sse41_tier, sdk::ref::x86_sgemm_packed_sse41);
        check_sgemm_specials("sse41", sse41_tier, sdk::ref::x86_sgemm_packed_sse41);
#if defined(TEST_HAVE_CONV)
        check_conv_f32("sse41", sse41_tier);
        check_wino_f32("sse41", sse41_tier, -1);
#endif
        sdk::ref::x86_f32_set_sse41(-1);
        sdk::ref::x86_sgemm_set_enabled(-1);
    } else
        printf("fp32 gemm kernel sse41   : compiled in, CPU lacks SSE4.1 (skipped)\n");
#endif
#if SDK_FEATURE_FP32 && SDK_FEATURE_NEON && defined(__ARM_NEON)  // the GEMM tile: AArch64 8x8 FMLA, ARMv7 4x8 VMLA
    check_sgemm("neon", sdk::ref::neon_sgemm_set_enabled, sdk::ref::neon_sgemm_packed);
    check_sgemm_specials("neon", sdk::ref::neon_sgemm_set_enabled, sdk::ref::neon_sgemm_packed);
    check_sgemm_packed_a();
#if defined(TEST_HAVE_ADD) && defined(TEST_HAVE_MUL)
    check_binary_neon();
#endif
#endif
#if SDK_FEATURE_FP32 && SDK_FEATURE_NEON && defined(__ARM_NEON)  // the depthwise and pooling kernels: ARMv7 too
#if defined(TEST_HAVE_CONV)
    check_conv_f32("neon", sdk::ref::neon_sgemm_set_enabled);
    check_wino_f32("neon", sdk::ref::neon_sgemm_set_enabled, -1);
    check_wino_f32("ref", sdk::ref::neon_sgemm_set_enabled, 0);
#if SDK_FEATURE_WINOGRAD
    check_conv_f32_wino_kept();
#endif
    check_dw3x3_f32("neon", sdk::ref::neon_sgemm_set_enabled);
#endif
#if defined(TEST_HAVE_GEMM)
    check_gemv_f32("neon", sdk::ref::neon_sgemm_set_enabled);
#endif
#if defined(TEST_HAVE_MAXPOOL)
    check_pool_f32("neon", "MaxPool", sdk::ref::maxpool_f32, sdk::ref::neon_sgemm_set_enabled, true);
    check_maxpool3s2_f32("neon", sdk::ref::neon_sgemm_set_enabled);
#if SDK_FEATURE_WINOGRAD
    check_maxpool_relu_input();
#endif
#endif
#if defined(TEST_HAVE_AVERAGEPOOL)
    check_pool_f32("neon", "AveragePool", sdk::ref::averagepool_f32, sdk::ref::neon_sgemm_set_enabled, false);
#endif
#endif
#if SDK_FEATURE_INT8
    // int8 ops on the best tier vs SDK_INT8_GEMM=ref (on x86 the AVX2 depthwise kernels)
    const char* tier = sdk::s8::gemm_kernel_name(sdk::s8::gemm_kernel());
#if defined(TEST_HAVE_CONV)
    check_conv_s8_dense(tier);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    check_conv_s8_wino();
#endif
#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
    // on a VNNI CPU the best tier runs the VNNI depthwise rows; the plain AVX2 ones too
    if (sdk::s8::pl_kind() == sdk::s8::kPlVnni) {
        check_conv_s8_depthwise("vnni", "");
        check_conv_s8_depthwise("avx2", "avx2");
    } else {
        check_conv_s8_depthwise(tier, "");
    }
#else
    check_conv_s8_depthwise(tier, "");
#endif
#if SDK_FEATURE_DOTPROD
    if (strcmp(tier, "dotprod") == 0) check_conv_s8_depthwise("neon", "neon");  // the SMULL rows too
#endif
#endif
#if defined(TEST_HAVE_MUL)
    check_mul_s8(tier, "");
#endif
#if defined(TEST_HAVE_ADD)
    check_add_s8(tier);
#endif
#if defined(TEST_HAVE_QUANTIZELINEAR)
    check_quantize_f32();
#endif
#if defined(TEST_HAVE_CONCAT)
    check_concat_s8(tier);
#endif
#if defined(TEST_HAVE_SWISH)
    check_lut_s8(tier);
#endif
#if defined(TEST_HAVE_MAXPOOL)
    check_pool_s8(tier, sdk_op_maxpool, true);
#endif
#if defined(TEST_HAVE_AVERAGEPOOL)
    check_pool_s8(tier, sdk_op_averagepool, false);
#endif
#endif
#if defined(TEST_HAVE_GLOBALAVERAGEPOOL)
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    check_gap("neon");
#elif SDK_FEATURE_X86 && SDK_FEATURE_INT8 && (defined(__x86_64__) || defined(__i386__))
    check_gap(sdk::s8::cpu_has_avx2() ? "avx2" : "ref");  // (int8: the AVX2 sum)
#else
    check_gap("ref");
#endif
#endif
#if defined(TEST_HAVE_SPMM)
    check_spmm("ref", spmm_ref_tier);
#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        check_spmm("avx2", sdk::ref::x86_sgemm_set_enabled);
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    check_spmm("neon", sdk::ref::neon_sgemm_set_enabled);
#endif
#endif
    for (const auto& r : required) {
        bool found = false;
        for (const auto& c : g_checked) found = found || c == r;
        CHECK(found, "required kernel '%s' was not exercised by this build/CPU", r.c_str());
    }
    if (g_failures) {
        fprintf(stderr, "%d failure(s)\n", g_failures);
        return 1;
    }
    printf("all kernel checks passed\n");
    return 0;
}
