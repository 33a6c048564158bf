// Kernel tests of the data-movement family's SIMD paths (issue 11, family B) against the
// portable code, natively and under qemu (Meson's exe_wrapper):
//   - Softmax / LogSoftmax rows and lane blocks (NEON, AVX2): within 1e-5 relative, tails,
//     -inf entries;
//   - Resize row blend (NEON, AVX2), the 2x nearest row (1- and 4-byte elements), and the
//     whole fp32 Resize op with the SIMD rows on vs off on random geometries and modes;
//   - the int8 Resize op on every tier is the portable code (its result is pinned to
//     quantize.simulate by tests/test_ops_data.py and the cross-ISA model runs).
// Prints what it checked; `--require <name>` fails when a named check did not run.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <random>
#include <string>
#include <vector>

#include "core/alloc.h"
#include "core/model.h"
#include "core/op.h"
#include "core/status.h"
#if defined(TEST_HAVE_SOFTMAX)
#include "kernels/ref/softmax.h"
#endif
#if defined(TEST_HAVE_RESIZE)
#include "kernels/ref/resize.h"
extern const sdk::OpDef sdk_op_resize;
#endif

static int g_failures = 0;
static std::vector<std::string> g_checked;

#define CHECK(cond, ...)                          \
    do {                                          \
        if (!(cond)) {                            \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);         \
            fprintf(stderr, "\n");                \
            ++g_failures;                         \
        }                                         \
    } while (0)

static bool near(float got, float want, double tol) {
    if (isinf(want)) return got == want;
    return fabs((double)got - want) <= tol * (1.0 + fabs((double)want));
}

#if defined(TEST_HAVE_SOFTMAX)
typedef void (*RowFn)(const float*, float*, int64_t, bool);
typedef void (*LanesFn)(const float*, float*, int64_t, int64_t, int64_t, bool);

// Softmax along a strided axis: blocks of up to 64 neighbouring lanes.
static void check_softmax_lanes(const char* name, LanesFn fn) {
    std::mt19937 rng(9);
    std::normal_distribution<float> nd(0.0f, 3.0f);
    int cases = 0;
    for (int it = 0; it < 200; ++it) {
        const int64_t n = 1 + rng() % 40, w = 1 + rng() % sdk::ref::kSoftmaxLanes, inner = w + rng() % 5;
        std::vector<float> x(n * inner), want(n * inner + 8, 7.0f), got(want.size(), 7.0f);
        for (auto& v : x) v = nd(rng);
        const bool log = it % 2;
        sdk::ref::softmax_lanes_f32(x.data(), want.data(), n, inner, w, log);
        fn(x.data(), got.data(), n, inner, w, log);
        for (int64_t k = 0; k < n; ++k)
            for (int64_t i = 0; i < inner; ++i) {
                const size_t at = (size_t)(k * inner + i);
                if (i >= w) {  // lanes outside the block are not written
                    CHECK(got[at] == 7.0f, "%s softmax lanes wrote lane %lld outside the block", name, (long long)i);
                    continue;
                }
                if (!near(got[at], want[at], 1e-5)) {
                    CHECK(false, "%s %s lanes n=%lld w=%lld at (%lld, %lld): %g vs %g", name,
                          log ? "LogSoftmax" : "Softmax", (long long)n, (long long)w, (long long)k, (long long)i, got[at],
                          want[at]);
                    k = n;
                    break;
                }
            }
        ++cases;
    }
    printf("fp32 Softmax lanes %-6s: %d random blocks (both ops) within 1e-5 of ref\n", name, cases);
    g_checked.push_back(std::string(name) + "-softmax-lanes");
}

static void check_softmax(const char* name, RowFn fn) {
    std::mt19937 rng(7);
    std::normal_distribution<float> nd(0.0f, 3.0f);
    int cases = 0;
    double worst = 0.0;
    for (int it = 0; it < 300; ++it) {
        const int64_t n = it < 70 ? it + 1 : (it % 3 ? 1 + rng() % 1200 : 8 * (1 + rng() % 100));
        std::vector<float> x(n), want(n + 8, 7.0f), got(n + 8, 7.0f);
        for (auto& v : x) v = nd(rng) * (it % 5 == 0 ? 20.0f : 1.0f);
        if (it % 7 == 3 && n > 2) x[rng() % n] = -INFINITY;  // a masked position
        if (it % 11 == 5) for (auto& v : x) v = 1.5f;
        const bool log = it % 2;
        sdk::ref::softmax_row_f32(x.data(), want.data(), n, log);
        fn(x.data(), got.data(), n, log);
        for (size_t i = 0; i < want.size(); ++i) {
            if (!isinf(want[i])) {
                const double d = fabs((double)want[i] - got[i]) / (1.0 + fabs((double)want[i]));
                worst = d > worst ? d : worst;
            }
            if (!near(got[i], want[i], 1e-5)) {
                CHECK(false, "%s %s row n=%lld at %zu: %g vs %g", name, log ? "LogSoftmax" : "Softmax", (long long)n, i,
                      got[i], want[i]);
                break;
            }
        }
        ++cases;
    }
    printf("fp32 Softmax rows %-6s: %d random rows (both ops) within 1e-5 of ref (worst %.2g)\n", name, cases, worst);
    g_checked.push_back(std::string(name) + "-softmax");
}
#endif

#if defined(TEST_HAVE_RESIZE)
// One node through its OpDef (prepare, then run), as a session runs it.
struct NodeRun {
    std::vector<sdk::Tensor> ins, outs;
    std::vector<void*> in_data, out_data;
    std::vector<sdk::Attr> attrs;
    std::vector<std::vector<int32_t>> ints;
    std::vector<std::vector<float>> floats;
    std::vector<std::string> strings;

    void attr_ints(const char* name, std::vector<int32_t> v) {
        ints.push_back(std::move(v));
        attrs.push_back({name, sdk::kAttrInts, (uint32_t)ints.back().size(), nullptr});
    }
    void attr_floats(const char* name, std::vector<float> v) {
        floats.push_back(std::move(v));
        attrs.push_back({name, sdk::kAttrFloats, (uint32_t)floats.back().size(), nullptr});
    }
    void attr_string(const char* name, const char* v) {
        strings.push_back(v);
        attrs.push_back({name, sdk::kAttrString, 1, nullptr});
    }
    bool run(const sdk::OpDef& op) {
        size_t ii = 0, fi = 0, si = 0;  // (vectors of vectors may have moved: bind the data now)
        for (auto& a : attrs)
            a.data = a.type == sdk::kAttrInts     ? (const void*)ints[ii++].data()
                     : a.type == sdk::kAttrFloats ? (const void*)floats[fi++].data()
                                                  : (const void*)strings[si++].c_str();
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
        bool ok = op.prepare(pc) == SDK_OK;
        if (!ok) fprintf(stderr, "prepare failed: %s\n", sdk::last_error());
        if (ok) {
            void* scratch = sdk::aligned_alloc64(n.scratch_bytes + 64);
            const size_t stride = sdk::align_up(n.thread_scratch_bytes);
            void* ts = stride ? sdk::aligned_alloc64(stride) : nullptr;
            sdk::RunContext rc;
            memset(&rc, 0, sizeof rc);
            rc.node = &n;
            rc.op_data = n.op_data;
            rc.in_data = in_data.data();
            rc.out_data = out_data.data();
            rc.in_tensors = io.data();
            rc.out_tensors = io.data() + ins.size();
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

static sdk::Tensor tensor(const char* name, sdk::DType dt, const std::vector<int32_t>& dims) {
    sdk::Tensor t{};
    t.name = name;
    t.dtype = dt;
    for (int32_t d : dims) t.shape.dims[t.shape.rank++] = d;
    t.bytes = (size_t)t.shape.count() * sdk::dtype_size(dt);
    return t;
}

typedef void (*BlendFn)(const float* const*, const float*, int32_t, float*, int64_t);
typedef void (*Dup2Fn)(const void*, void*, int64_t, int32_t);

static void check_resize_rows(const char* name, BlendFn blend, Dup2Fn dup2) {
    std::mt19937 rng(17);
    std::uniform_real_distribution<float> ud(-2.0f, 2.0f);
    int cases = 0;
    for (int it = 0; it < 400; ++it) {
        const int32_t n = 1 + it % 6;
        const int64_t len = it < 80 ? it : 1 + rng() % 300;
        std::vector<std::vector<float>> rows(n, std::vector<float>(len + 1));
        std::vector<const float*> ptrs;
        std::vector<float> w(n);
        for (auto& r : rows) {
            for (auto& v : r) v = ud(rng);
            ptrs.push_back(r.data());
        }
        for (auto& v : w) v = ud(rng);
        std::vector<float> want(len + 8, 7.0f), got(len + 8, 7.0f);
        sdk::ref::resize_vblend_f32(ptrs.data(), w.data(), n, want.data(), len);
        blend(ptrs.data(), w.data(), n, got.data(), len);
        for (size_t i = 0; i < want.size(); ++i)
            if (!near(got[i], want[i], 1e-5)) {
                CHECK(false, "%s row blend n=%d len=%lld at %zu: %g vs %g", name, n, (long long)len, i, got[i], want[i]);
                break;
            }
        for (int32_t es : {1, 4}) {
            std::vector<uint8_t> x(len * es + 1), a(2 * len * es + 16, 0x5a), b(a.size(), 0x5a);
            for (auto& v : x) v = (uint8_t)rng();
            for (int64_t j = 0; j < 2 * len; ++j) memcpy(&a[j * es], &x[(j / 2) * es], es);
            dup2(x.data(), b.data(), len, es);
            CHECK(a == b, "%s 2x nearest row, %d-byte elements, len %lld differs", name, es, (long long)len);
        }
        ++cases;
    }
    printf("Resize rows %-6s: %d random row blends within 1e-5 of ref, 2x nearest rows identical\n", name, cases);
    g_checked.push_back(std::string(name) + "-resize-rows");
}

// The fp32 Resize op with the SIMD rows on vs off, random geometries, every mode.
static void check_resize_op(const char* name) {
    static const char* const kModes[] = {"nearest", "linear", "cubic"};
    static const char* const kCoords[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                          "half_pixel_symmetric", "tf_crop_and_resize"};
    std::mt19937 rng(29);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    int cases = 0;
    for (int it = 0; it < 150; ++it) {
        const int C = 1 + rng() % 3, H = 1 + rng() % 13, W = 1 + rng() % 21;
        const int OH = it % 4 == 0 ? 2 * H : 1 + rng() % 30, OW = it % 4 == 0 ? 2 * W : 1 + rng() % 45;
        const char* mode = kModes[it % 3];
        const char* coord = kCoords[(it / 3) % 6];
        const bool aa = it % 5 == 1 && strcmp(mode, "nearest") != 0;
        std::vector<float> x((size_t)C * H * W);
        for (auto& v : x) v = nd(rng);
        std::vector<float> want((size_t)C * OH * OW + 16, 7.0f), got(want.size(), 7.0f);
        for (int simd = 0; simd < 2; ++simd) {
            NodeRun r;
            r.ins = {tensor("x", sdk::DType::F32, {1, C, H, W})};
            r.outs = {tensor("y", sdk::DType::F32, {1, C, OH, OW})};
            r.in_data = {x.data()};
            r.out_data = {simd ? got.data() : want.data()};
            r.attr_string("mode", mode);
            r.attr_string("coordinate_transformation_mode", coord);
            if (aa) r.attr_ints("antialias", {1});
            if (strcmp(coord, "tf_crop_and_resize") == 0) {
                r.attr_floats("roi", {0, 0, -0.1f, 0.2f, 1, 1, 0.8f, 1.3f});
                r.attr_floats("extrapolation_value", {0.5f});
            }
            sdk::ref::resize_set_simd(simd);
            CHECK(r.run(sdk_op_resize), "Resize %s: failed to run", name);
        }
        sdk::ref::resize_set_simd(-1);
        for (size_t i = 0; i < want.size(); ++i)
            if (!near(got[i], want[i], 1e-5)) {
                CHECK(false, "Resize op %s %s %s %dx%dx%d -> %dx%d at %zu: %g vs %g", name, mode, coord, C, H, W, OH, OW,
                      i, got[i], want[i]);
                break;
            }
        ++cases;
    }
    printf("fp32 Resize op %-6s: %d random geometries (nearest/linear/cubic, 6 coordinate modes) within 1e-5 of ref\n",
           name, cases);
    g_checked.push_back(std::string(name) + "-resize-op");
}
#endif

int main(int argc, char** argv) {
    std::vector<std::string> required;
    for (int i = 1; i + 1 < argc; i += 2)
        if (strcmp(argv[i], "--require") == 0) required.push_back(argv[i + 1]);
#if defined(TEST_HAVE_SOFTMAX) && SDK_FEATURE_FP32
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    check_softmax("neon", sdk::ref::neon_softmax_row_f32);
    check_softmax_lanes("neon", sdk::ref::neon_softmax_lanes_f32);
#endif
#if SDK_FEATURE_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        check_softmax("avx2", sdk::ref::x86_softmax_row_avx2);
        check_softmax_lanes("avx2", sdk::ref::x86_softmax_lanes_avx2);
    } else
        printf("fp32 Softmax rows avx2  : compiled in, CPU lacks AVX2/FMA (skipped)\n");
#endif
#endif
#if defined(TEST_HAVE_RESIZE)
#if SDK_FEATURE_NEON && defined(__ARM_NEON) && SDK_FEATURE_FP32
    check_resize_rows("neon", sdk::ref::neon_resize_vblend_f32, sdk::ref::neon_resize_dup2);
#endif
#if SDK_FEATURE_X86 && SDK_FEATURE_FP32
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        check_resize_rows("avx2", sdk::ref::x86_resize_vblend_avx2, sdk::ref::x86_resize_dup2_avx2);
    else
        printf("Resize rows avx2  : compiled in, CPU lacks AVX2/FMA (skipped)\n");
#endif
#if SDK_FEATURE_FP32
    sdk::ref::resize_set_simd(-1);
    if (sdk::ref::resize_simd())
        check_resize_op(SDK_FEATURE_NEON ? "neon" : "avx2");
    else
        printf("fp32 Resize op: no SIMD rows in this build/CPU (skipped)\n");
#endif
#endif
    for (const auto& r : required) {
        bool found = false;
        for (const auto& c : g_checked) found = found || c == r;
        CHECK(found, "required check '%s' was not run by this build/CPU", r.c_str());
    }
    if (g_failures) {
        fprintf(stderr, "%d failure(s)\n", g_failures);
        return 1;
    }
    printf("all data-movement kernel checks passed\n");
    return 0;
}
