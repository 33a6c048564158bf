// Portable int8 GEMM (the truth every SIMD kernel is tested against), weight packing,
// and the run-time choice of the int8 GEMM kernel.
#include <stdlib.h>
#include <string.h>

#include "core/status.h"  // str_eq

#include "kernels/gemm_s8.h"

#if defined(__linux__) || defined(__ANDROID__)
#include <sys/auxv.h>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif

namespace sdk {
namespace s8 {

void gemm_ref(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1) {
    for (int32_t m = m0; m < m1; ++m) {
        const int8_t* wr = g.w + (int64_t)m * g.kp;
        for (int32_t n = n0; n < n1; ++n) {
            const int8_t* xc = g.x + (int64_t)n * g.kp;
            int32_t acc = g.bias[m];
            for (int32_t k = 0; k < g.kp; ++k) acc += (int32_t)wr[k] * (int32_t)xc[k];
            g.y[m * g.ys_m + n * g.ys_n] = gemm_out(g, m, acc);
        }
    }
}

void requant_row_ref(const int32_t* acc, int32_t n, int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi,
                     int8_t* y) {
    for (int32_t i = 0; i < n; ++i) {
        const int64_t v = (int64_t)mbqm(acc[i], mult, shift) + zp;
        y[i] = (int8_t)(v < lo ? lo : (v > hi ? hi : v));
    }
}

// Once per weight at load: vectorized and optimized for speed in any build (one scalar add
// a weight at -Os was most of an int8 model's load on ARM after the accumulator check).
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
int32_t sum_s8(const int8_t* w, int32_t n) {
    uint32_t s = 0;  // (wraps as the int32 sum it stands for would, without its undefined behaviour)
    for (int32_t i = 0; i < n; ++i) s += static_cast<uint32_t>(static_cast<int32_t>(w[i]));
    return static_cast<int32_t>(s);
}

void gemm_pack(const int8_t* w, int32_t M, int32_t k, int32_t kp, const int32_t* bias_in, int32_t x_zp,
               int8_t* packed, int32_t* bias_out) {
    for (int32_t m = 0; m < M; ++m) {
        const int8_t* src = w + (int64_t)m * k;
        int8_t* dst = packed + (int64_t)m * kp;
        memcpy(dst, src, (size_t)k);
        memset(dst + k, 0, (size_t)(kp - k));
        bias_out[m] = (bias_in ? bias_in[m] : 0) - x_zp * sum_s8(src, k);
    }
}

bool cpu_has_dotprod() {
#if defined(__aarch64__) && (defined(__linux__) || defined(__ANDROID__))
    return (getauxval(AT_HWCAP) & (1UL << 20)) != 0;  // HWCAP_ASIMDDP
#elif defined(__aarch64__) && defined(__APPLE__)
    int v = 0;
    size_t n = sizeof v;
    return sysctlbyname("hw.optional.arm.FEAT_DotProd", &v, &n, nullptr, 0) == 0 && v != 0;
#else
    return false;
#endif
}

#if SDK_FEATURE_X86
bool cpu_has_avx2() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#endif

const char* gemm_kernel_name(GemmKernel k) {
#if defined(SDK_FEATURE_DOTPROD) && SDK_FEATURE_DOTPROD
    if (k == gemm_neon_dotprod) return "dotprod";
#endif
#if SDK_FEATURE_NEON
    if (k == gemm_neon) return "neon";
#endif
#if SDK_FEATURE_X86
    if (k == gemm_avx2) return "avx2";
    if (k == gemm_sse41) return "sse41";
#endif
    return k == gemm_ref ? "ref" : "?";
}

GemmKernel gemm_kernel() {
    const char* force = getenv("SDK_INT8_GEMM");
    const bool any = !force || !*force;
    if (!any && str_eq(force, "ref")) return gemm_ref;
#if defined(SDK_FEATURE_DOTPROD) && SDK_FEATURE_DOTPROD
    if ((any || str_eq(force, "dotprod")) && kDotprodCompiled && cpu_has_dotprod()) return gemm_neon_dotprod;
#endif
#if SDK_FEATURE_NEON
    if (any || str_eq(force, "neon")) return gemm_neon;
#endif
#if SDK_FEATURE_X86
    // "vnni" (AVX512-VNNI conv kernels, kernels/x86/conv_s8.h) runs the AVX2 kernel elsewhere
    if ((any || str_eq(force, "avx2") || str_eq(force, "vnni")) && cpu_has_avx2()) return gemm_avx2;
    // the SSE4.1 tier: CPUs without AVX2 (kernels/x86/common_s8_sse41.cpp)
    if ((any || str_eq(force, "sse41")) && cpu_has_sse41()) return gemm_sse41;
#endif
    return gemm_ref;
}

RequantRow requant_row_kernel() {
    const char* force = getenv("SDK_INT8_GEMM");
    if (force && (str_eq(force, "ref") || str_eq(force, "sse41"))) return requant_row_ref;  // sse41: no AVX2
#if SDK_FEATURE_NEON
    return requant_row_neon;
#endif
#if SDK_FEATURE_X86
    if (cpu_has_avx2()) return requant_row_avx2;
#endif
    return requant_row_ref;
}

}  // namespace s8
}  // namespace sdk

#include "kernels/ops_s8.h"

namespace sdk {
namespace s8 {

sdk_status read_clamp(PrepareContext& ctx, float out_scale, int32_t out_zp, int32_t* lo, int32_t* hi) {
    const int32_t kind = ctx.attr_int("activation", kActNone);
    float p[2] = {-INFINITY, INFINITY};
    if (kind == kActClip && ctx.attr_floats("activation_params", p, 2) != 2)
        return ctx.fail(SDK_ERR_BAD_MODEL, "Clip activation needs activation_params [min, max]");
    if (!activation_bounds(kind, p[0], p[1], out_scale, out_zp, lo, hi))
        return ctx.fail(SDK_ERR_UNSUPPORTED,
                        "fused activation %d has no int8 form (only Relu and Clip); quantize without fusing it", kind);
    return SDK_OK;
}

}  // namespace s8
}  // namespace sdk
