// Element-wise SIMD kernels vs the ref (libm) kernels: HardSwish, Sigmoid, SiLU (the
// kernels of the ops and of the fused activations, kernels/ref/act_f32.h), Tanh, Exp and
// both GELUs, on every tier the build and CPU have (NEON on ARMv7/AArch64; AVX2 and AVX-512 on x86), random inputs of every
// tail length plus the special values (+-0, +-inf, NaN, tiny, huge, the approximations'
// clamp points). Accuracy: |simd - ref| <= 2e-6 * |ref| + 1e-6, NaN where ref is NaN
// (not identical: compilers contract a * b + c into FMA where the ISA has it, in the ref
// kernels too). Runs natively and under qemu for ARM cross builds (Meson's
// exe_wrapper); `--require <tier>` fails when a named tier was not exercised.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <random>
#include <string>
#include <vector>

#include "core/op.h"
#include "kernels/ref/act_f32.h"
#include "kernels/ref/sgemm_f32.h"
#include "kernels/ref/unary.h"
#if SDK_FEATURE_X86
#include "kernels/sgemm_x86.h"
#endif

static int g_failures = 0;
static bool g_finite_only = false;  // SiLU: the span's exp clamps, so SiLU(-inf) is -inf * tiny, not NaN
static std::vector<std::string> g_tiers;

typedef void (*Fn)(const float* x, float* y, int64_t n);

static std::vector<float> inputs(std::mt19937& rng, int n) {
    static const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-30f, -1e-30f, 1e-45f, 88.3f, -88.3f,
                                    88.8f, -103.9f, -104.0f, 7.9f, -7.9f, 9.0f, 4.0f, -4.0f, 3.0f, -3.0f, 0.0004f,
                                    -0.0004f, 1e4f, -1e4f, 3e38f, -3e38f, 0.5f, -0.5f};
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::uniform_real_distribution<float> wide(-30.0f, 30.0f);
    std::vector<float> x(n);
    for (int i = 0; i < n; ++i) {
        const int r = static_cast<int>(rng() % 8);
        x[i] = r == 0 ? special[rng() % (sizeof special / sizeof special[0])] : (r < 4 ? wide(rng) : 3.0f * nd(rng));
    }
    return x;
}

static bool close(float got, float want, bool exact, float x) {
    if (isinf(x) && g_finite_only) return true;
    if (isnan(want)) return isnan(got);
    if (exact) return got == want || (got == 0.0f && want == 0.0f);
    if (isinf(want)) return got == want;
    return fabsf(got - want) <= 2e-6f * fabsf(want) + 1e-6f;
}

static void check(const char* name, const char* tier, Fn simd, Fn ref, bool exact = false) {
    std::mt19937 rng(1234);
    int cases = 0, bad = 0;
    for (int n = 1; n <= 67; ++n) {
        for (int rep = 0; rep < 6; ++rep) {
            std::vector<float> x = inputs(rng, n), a(n), b(n), c(x);
            simd(x.data(), a.data(), n);
            ref(x.data(), b.data(), n);
            simd(c.data(), c.data(), n);  // in place
            for (int i = 0; i < n; ++i) {
                if ((!close(a[i], b[i], exact, x[i]) || memcmp(&a[i], &c[i], 4) != 0) && bad++ < 5)
                    fprintf(stderr, "FAILED: %s %s: x=%.9g simd=%.9g ref=%.9g (in place %.9g)\n", name, tier,
                            (double)x[i], (double)a[i], (double)b[i], (double)c[i]);
            }
            ++cases;
        }
    }
    g_failures += bad;
    if (bad) fprintf(stderr, "FAILED: %s %s: %d values\n", name, tier, bad);
    printf("elementwise %-10s %-7s: %d random arrays (lengths 1..67) %s ref\n", name, tier, cases,
           exact ? "identical to" : "within 2e-6 of");
}

// the kernels under test, per tier: the spans and the <op>_best_f32 dispatchers follow the
// tier switches set before each round
static void sigmoid(const float* x, float* y, int64_t n) { sdk::ref::sigmoid_span_f32(x, y, n, false); }
static void silu(const float* x, float* y, int64_t n) { sdk::ref::sigmoid_span_f32(x, y, n, true); }
static void hardswish(const float* x, float* y, int64_t n) { sdk::ref::hardswish_span_f32(x, y, n); }
#if defined(TEST_HAVE_GELU)
static void gelu_erf(const float* x, float* y, int64_t n) { sdk::gelu_best_f32(x, y, n, 0); }
static void gelu_tanh(const float* x, float* y, int64_t n) { sdk::gelu_best_f32(x, y, n, 1); }
static void gelu_erf_ref(const float* x, float* y, int64_t n) { sdk::ref::gelu_f32(x, y, n, 0); }
static void gelu_tanh_ref(const float* x, float* y, int64_t n) { sdk::ref::gelu_f32(x, y, n, 1); }
#endif
// libm truths (sdk::ref::sigmoid_f32 itself is the vector formula's lane 0)
static void sigmoid_ref(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + expf(-x[i]));
}
static void silu_ref(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + expf(-x[i]));
}
#if SDK_FEATURE_NEON && defined(__aarch64__)
// The AArch64 NEON Sigmoid/SiLU span (kernels/neon/common_f32_act.cpp) is sigmoid_vec's
// formula with FMA at the places GCC contracts it: that formula in scalar fmaf, which the
// span must match bit for bit.
static float sigmoid_fma(float x) {
    if (x != x) return x;
    float t = -x;
    t = t > 88.0f ? 88.0f : t;
    t = t < -87.3365447504f ? -87.3365447504f : t;
    const float nn = fmaf(t, 1.44269504088896341f, 12582912.0f) - 12582912.0f;
    float r = fmaf(-nn, 0.693359375f, t);
    r = fmaf(nn, 2.12194440e-4f, r);
    float p = fmaf(r, 1.9875691500e-4f, 1.3981999507e-3f);
    p = fmaf(r, p, 8.3334519073e-3f);
    p = fmaf(r, p, 4.1665795894e-2f);
    p = fmaf(r, p, 1.6666665459e-1f);
    p = fmaf(r, p, 5.0000001201e-1f);
    p = fmaf(r * p, r, r) + 1.0f;
    const int32_t bits = ((int32_t)nn + 127) << 23;
    float e;
    memcpy(&e, &bits, 4);
    const float s = 1.0f / fmaf(p, e, 1.0f);
    return x < -88.0f ? 0.0f : s;
}
static void sigmoid_fma_span(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = sigmoid_fma(x[i]);
}
static void silu_fma_span(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * sigmoid_fma(x[i]);
}
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON) && !defined(__aarch64__)
// The ARMv7 NEON Sigmoid/SiLU span (kernels/neon/common_f32_act.cpp) rewrites sigmoid_vec's
// steps with the same roundings: bit for bit the scalar lane form (VFP, one rounding per
// operation), but for denormal inputs, which NEON flushes to zero (taken as 0 here).
static float flushed(float x) { return fabsf(x) < 1.17549435e-38f ? 0.0f * x : x; }
static void sigmoid_vfp_span(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = sdk::ref::sigmoid_f32(flushed(x[i]));
}
static void silu_vfp_span(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = flushed(flushed(x[i]) * sdk::ref::sigmoid_f32(flushed(x[i])));
}
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
// The NEON HardSwish span's arithmetic, lane by lane: x * min(max(x * (1/6) + 1/2, 0), 1) with
// the multiply-add fused on AArch64 (FMLA) and rounded apart on ARMv7 (VMLA, denormals
// flushed as NEON does); identical results required.
static float hardswish_lane(float x) {
#if defined(__aarch64__)
    float t = fmaf(x, 1.0f / 6.0f, 0.5f);
#else
    x = flushed(x);
    float t = flushed(flushed(flushed(x * (1.0f / 6.0f)) + 0.5f));
#endif
    t = t < 0.0f ? 0.0f : t;  // (a NaN goes through both)
    t = t > 1.0f ? 1.0f : t;
#if defined(__aarch64__)
    return x * t;
#else
    return flushed(x * t);
#endif
}
static void hardswish_lane_span(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = hardswish_lane(x[i]);
}
#endif
static void hardswish_ref(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = sdk::ref::hardswish_f32(x[i]);
}

#if ((SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))) || (SDK_FEATURE_NEON && defined(__aarch64__))) && \
    (defined(TEST_HAVE_ADD) || defined(TEST_HAVE_MUL))
#include "kernels/ref/binary.h"
// The x86 / AArch64 fp32 Add/Mul rows (kernels/{x86,neon}/binary_f32.cpp) vs scalar IEEE arithmetic
// (not ARMv7: its NEON flushes denormals, which the arrays include)
// (identical results): both operands arrays, or the second / first a broadcast scalar;
// Add with its fused Relu and Clip. The other operand: a fixed function of the index.
template <bool MUL, int VARIANT, int ACT>  // VARIANT 0: arrays, 1: b scalar, 2: a scalar
static void bin_row(const float* x, float* y, int64_t n, bool simd) {
    std::vector<float> o((size_t)n);
    for (int64_t i = 0; i < n; ++i) o[(size_t)i] = i % 7 == 3 ? -0.0f : 0.37f * (float)i - 5.0f;
    const float s = -1.25f;
    sdk::ref::ActParams act = {ACT, -2.0f, 3.5f};
    const float* a = VARIANT == 2 ? &s : x;
    const float* b = VARIANT == 0 ? o.data() : (VARIANT == 1 ? &s : x);
    if (simd) {
        const void* in[2] = {a, b};
        const uint8_t unit[2] = {VARIANT != 2, VARIANT != 1};
#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
        sdk::x86::binary_row_f32_avx2(MUL, in, unit, y, n, MUL ? nullptr : &act);
#else
        if (!sdk::neon_binary_row_f32(MUL, in, unit, y, n, MUL ? nullptr : &act)) fprintf(stderr, "FAILED: NEON row off\n");
#endif
        return;
    }
    for (int64_t i = 0; i < n; ++i) {
        const float av = a[VARIANT == 2 ? 0 : i], bv = b[VARIANT == 1 ? 0 : i];
        y[i] = sdk::ref::act_f32(MUL ? av * bv : av + bv, act);
    }
}
template <bool MUL, int VARIANT, int ACT>
static void bin_simd(const float* x, float* y, int64_t n) { bin_row<MUL, VARIANT, ACT>(x, y, n, true); }
template <bool MUL, int VARIANT, int ACT>
static void bin_ref(const float* x, float* y, int64_t n) { bin_row<MUL, VARIANT, ACT>(x, y, n, false); }
#define TEST_BINARY_ROWS 1
#endif

#if SDK_FEATURE_NEON && defined(__ARM_NEON) && defined(TEST_HAVE_MUL)
#include "kernels/ref/binary.h"
// The squeeze-excitation scale (kernels/neon/binary_f32.cpp: rows of inner floats, one value
// each) vs the NEON Mul row it replaces, one row at a time (the same bits: on ARMv7 the same
// NEON / VFP split of each row), and on AArch64 vs scalar IEEE products too; both operand
// orders, out of place and in place, row lengths 1..67 and MobileNetV3's 49 / 196 / 3136.
static void check_scale_rows() {
    std::mt19937 rng(99);
    int cases = 0, bad = 0;
    static const int extra[] = {196, 3136};
    for (int li = 1; li <= 69; ++li) {
        const int inner = li <= 67 ? li : extra[li - 68];
        for (int rows = 1; rows <= 5; rows += 2) {
            for (int order = 0; order < 2; ++order) {
                std::vector<float> x = inputs(rng, inner * rows), s = inputs(rng, rows), a(x.size()), b(x.size()),
                                   c(x);
                sdk::neon_scale_rows_f32(s.data(), x.data(), a.data(), inner, rows, order == 0);
                sdk::neon_scale_rows_f32(s.data(), c.data(), c.data(), inner, rows, order == 0);
                for (int r = 0; r < rows; ++r) {
                    const void* in[2] = {order == 0 ? (const void*)&s[r] : (const void*)&x[(size_t)r * inner],
                                         order == 0 ? (const void*)&x[(size_t)r * inner] : (const void*)&s[r]};
                    const uint8_t unit[2] = {(uint8_t)(order != 0), (uint8_t)(order == 0)};
                    if (!sdk::neon_binary_row_f32(true, in, unit, &b[(size_t)r * inner], inner, nullptr))
                        fprintf(stderr, "FAILED: NEON row off\n");
                }
                for (size_t i = 0; i < x.size(); ++i) {
                    bool ok = memcmp(&a[i], &b[i], 4) == 0 && memcmp(&a[i], &c[i], 4) == 0;
#if defined(__aarch64__)
                    const float sv = s[i / inner];
                    const float want = order == 0 ? sv * x[i] : x[i] * sv;
                    ok = ok && (memcmp(&a[i], &want, 4) == 0 || (isnan(a[i]) && isnan(want)));
#endif
                    if (!ok && bad++ < 5)
                        fprintf(stderr, "FAILED: scale rows inner %d rows %d order %d at %zu: %.9g vs row %.9g\n",
                                inner, rows, order, i, (double)a[i], (double)b[i]);
                }
                ++cases;
            }
        }
    }
    g_failures += bad;
    printf("elementwise %-10s %-7s: %d random planes identical to the Mul row\n", "ScaleRows", "neon", cases);
}
#endif

static void round_of(const char* tier) {
    const int t = sdk::vec_tier_f32();
    const char* got = t == 2 ? "avx512" : t == 1 ? (SDK_FEATURE_NEON ? "neon" : "avx2") : "scalar";
    if (strcmp(got, tier) != 0) {
        fprintf(stderr, "FAILED: tier %s requested, the dispatch runs %s\n", tier, got);
        ++g_failures;
        return;
    }
    g_tiers.push_back(tier);
    check("Sigmoid", tier, sigmoid, sigmoid_ref);
    g_finite_only = true;
    check("SiLU", tier, silu, silu_ref);
    g_finite_only = false;
#if SDK_FEATURE_NEON && defined(__aarch64__)
    if (strcmp(tier, "neon") == 0) {
        check("Sigmoid", "neon-fma", sigmoid, sigmoid_fma_span, true);
        check("SiLU", "neon-fma", silu, silu_fma_span, true);
    }
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON) && !defined(__aarch64__)
    if (strcmp(tier, "neon") == 0) {
        check("Sigmoid", "neon-vfp", sigmoid, sigmoid_vfp_span, true);
        check("SiLU", "neon-vfp", silu, silu_vfp_span, true);
    }
#endif
    check("HardSwish", tier, hardswish, hardswish_ref);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    if (strcmp(tier, "neon") == 0) check("HardSwish", "neon-lane", hardswish, hardswish_lane_span, true);
#endif
#if defined(TEST_BINARY_ROWS)
    if (strcmp(tier, "scalar") != 0) {
        check("Add", tier, bin_simd<false, 0, 0>, bin_ref<false, 0, 0>, true);
        check("Add+Relu", tier, bin_simd<false, 0, sdk::kActRelu>, bin_ref<false, 0, sdk::kActRelu>, true);
        check("Add+Clip", tier, bin_simd<false, 1, sdk::kActClip>, bin_ref<false, 1, sdk::kActClip>, true);
        check("Add s+x", tier, bin_simd<false, 2, sdk::kActRelu>, bin_ref<false, 2, sdk::kActRelu>, true);
        check("Mul", tier, bin_simd<true, 0, 0>, bin_ref<true, 0, 0>, true);
        check("Mul x*s", tier, bin_simd<true, 1, 0>, bin_ref<true, 1, 0>, true);
        check("Mul s*x", tier, bin_simd<true, 2, 0>, bin_ref<true, 2, 0>, true);
    }
#endif
#if defined(TEST_HAVE_TANH)
    check("Tanh", tier, sdk::tanh_best_f32, sdk::ref::tanh_f32);
#endif
#if defined(TEST_HAVE_EXP)
    check("Exp", tier, sdk::exp_best_f32, sdk::ref::exp_f32);
#endif
#if defined(TEST_HAVE_GELU)
    check("Gelu", tier, gelu_erf, gelu_erf_ref);
    check("Gelu-tanh", tier, gelu_tanh, gelu_tanh_ref);
#endif
}

int main(int argc, char** argv) {
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    sdk::ref::neon_sgemm_set_enabled(1);
    round_of("neon");
#if defined(TEST_HAVE_MUL)
    check_scale_rows();
#endif
    sdk::ref::neon_sgemm_set_enabled(0);
    round_of("scalar");
    sdk::ref::neon_sgemm_set_enabled(-1);
#elif SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        sdk::ref::x86_sgemm_set_enabled(1);
        sdk::ref::x86_f32_set_avx512(0);
        round_of("avx2");
        sdk::ref::x86_f32_set_avx512(1);
        if (sdk::ref::x86_f32_avx512_enabled())
            round_of("avx512");
        else
            printf("elementwise avx512 : not in this build (x86_64 only) or CPU lacks AVX512F (skipped)\n");
    } else {
        printf("elementwise avx2   : compiled in, CPU lacks AVX2/FMA (skipped)\n");
    }
    sdk::ref::x86_sgemm_set_enabled(0);
    round_of("scalar");
    sdk::ref::x86_sgemm_set_enabled(-1);
    sdk::ref::x86_f32_set_avx512(-1);
#else
    round_of("scalar");
#endif
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--require") != 0) continue;
        bool seen = false;
        for (const std::string& t : g_tiers) seen = seen || t == argv[i + 1];
        if (!seen) {
            fprintf(stderr, "FAILED: tier %s was required but not exercised\n", argv[i + 1]);
            ++g_failures;
        }
    }
    if (g_failures) {
        fprintf(stderr, "%d element-wise kernel check(s) FAILED\n", g_failures);
        return 1;
    }
    printf("all element-wise kernel checks passed\n");
    return 0;
}
