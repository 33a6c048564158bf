// AVX512 HardSwish: the HardSwish op and the fused activation of Conv/Gemm/Add
// (hardswish_span_f32, kernels/ref/act_f32.h), chosen at run time.
#include "kernels/ref/unary.h"

#if SDK_FEATURE_X86 && defined(__x86_64__)
#include "kernels/x86/vec_target.h"

SDK_VEC_TARGET_BEGIN("avx512f,avx2,fma")
#define SDK_VEC_AVX512 1
#include "kernels/x86/vec_x86.h"
#include "kernels/vec_math.h"

namespace sdk {
namespace x86 {

void hardswish_avx512(const float* x, float* y, int64_t n) { vmath::span<VAvx512, vmath::Math<VAvx512>::hardswish>(x, y, n); }

}  // namespace x86
}  // namespace sdk
SDK_VEC_TARGET_END
#endif
