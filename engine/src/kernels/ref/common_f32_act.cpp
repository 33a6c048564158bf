// The dispatch of the SIMD fp32 element-wise kernels: the tier (vec_tier_f32) that
// Tanh, Exp and Gelu follow, and HardSwish (hardswish_span_f32), compiled into every build
// with fp32 kernels as any Conv/Gemm/Add may carry a fused HardSwish. The tier follows the
// fp32 GEMM's switches (SDK_F32_GEMM=ref: scalar). (Sigmoid and SiLU: sigmoid_span_f32 in
// kernels/ref/act_f32.h.)
#include "kernels/ref/act_f32.h"
#include "kernels/ref/sgemm_f32.h"
#include "kernels/ref/unary.h"

namespace sdk {

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
namespace ref {
bool x86_f32_avx512_enabled();  // kernels/x86/common_f32.cpp
}  // namespace ref
#endif

int vec_tier_f32() {
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    return ref::neon_sgemm_enabled() ? 1 : 0;
#elif SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
    if (!ref::x86_sgemm_avx2_enabled()) return 0;
#if defined(__x86_64__)
    return ref::x86_f32_avx512_enabled() ? 2 : 1;
#else
    return 1;
#endif
#else
    return 0;
#endif
}

void ref::hardswish_span_f32(const float* x, float* y, int64_t n) {
    const int tier = vec_tier_f32();
    (void)tier;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    if (tier) return neon::hardswish_f32(x, y, n);
#elif SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#if defined(__x86_64__)
    if (tier == 2) return x86::hardswish_avx512(x, y, n);
#endif
    if (tier == 1) return x86::hardswish_avx2(x, y, n);
#endif
    for (int64_t i = 0; i < n; ++i) y[i] = ref::hardswish_f32(x[i]);
}

}  // namespace sdk
