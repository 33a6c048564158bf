// AVX2 fp32 Add and Mul rows (the broadcast walker's row kernels, kernels/ref/binary.h):
// both operands contiguous, or one a scalar broadcast along the row (a channel's SE scale,
// a bias); Add's fused Relu/Clip on the register (act_f32's comparisons exactly), other
// activations over the stored row. The size-first library's scalar loops ran a
// residual Add at ~1 element per cycle. Chosen at run time with the fp32 AVX2 tier.
#include "kernels/ref/binary.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>

#include "kernels/ref/act_f32.h"
#include "kernels/unroll.h"

namespace sdk {
namespace x86 {
namespace {

template <bool MUL>
__attribute__((target("avx2,fma"), always_inline)) inline __m256 op8(__m256 a, __m256 b) {
    return MUL ? _mm256_mul_ps(a, b) : _mm256_add_ps(a, b);
}

// kind: 0 none, 1 Relu, 2 Clip (lo, hi): act_f32's comparisons exactly (NaN: Relu -> 0, Clip keeps it)
template <int KIND>
__attribute__((target("avx2,fma"), always_inline)) inline __m256 act8(__m256 v, __m256 lo, __m256 hi) {
    if (KIND == 1) v = _mm256_max_ps(v, _mm256_setzero_ps());
    if (KIND == 2) v = _mm256_blendv_ps(_mm256_min_ps(hi, v), lo, _mm256_cmp_ps(v, lo, _CMP_LT_OQ));
    return v;
}

template <bool MUL, int KIND>
SDK_HOT_TARGET("avx2,fma")
void row(const float* a, const float* b, float* y, int64_t n, int ua, int ub, float lo_, float hi_) {
    const __m256 lo = _mm256_set1_ps(lo_), hi = _mm256_set1_ps(hi_);
#define fin(v) act8<KIND>(v, lo, hi)
    int64_t i = 0;
    if (ua && ub) {
        for (; i + 16 <= n; i += 16) {
            const __m256 v0 = op8<MUL>(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
            const __m256 v1 = op8<MUL>(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
            _mm256_storeu_ps(y + i, fin(v0));
            _mm256_storeu_ps(y + i + 8, fin(v1));
        }
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, fin(op8<MUL>(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i))));
    } else {
        // one operand a scalar: keep the operand order (a op b) for NaN payloads
        const float* v = ua ? a : b;
        const __m256 s = _mm256_set1_ps(ua ? b[0] : a[0]);
        for (; i + 16 <= n; i += 16) {
            const __m256 x0 = _mm256_loadu_ps(v + i), x1 = _mm256_loadu_ps(v + i + 8);
            _mm256_storeu_ps(y + i, fin(ua ? op8<MUL>(x0, s) : op8<MUL>(s, x0)));
            _mm256_storeu_ps(y + i + 8, fin(ua ? op8<MUL>(x1, s) : op8<MUL>(s, x1)));
        }
        for (; i + 8 <= n; i += 8) {
            const __m256 x0 = _mm256_loadu_ps(v + i);
            _mm256_storeu_ps(y + i, fin(ua ? op8<MUL>(x0, s) : op8<MUL>(s, x0)));
        }
    }
#undef fin
    for (; i < n; ++i) {  // the tail: scalar, as the ref row
        const float av = a[ua ? i : 0], bv = b[ub ? i : 0];
        float r = MUL ? av * bv : av + bv;
        if (KIND == 1) r = r > 0.0f ? r : 0.0f;
        if (KIND == 2) r = ref::clip_f32(r, lo_, hi_);
        y[i] = r;
    }
}

}  // namespace

void binary_row_f32_avx2(bool mul, const void* const* in, const uint8_t* unit, void* out, int64_t n,
                         const ref::ActParams* act) {
    const float* a = static_cast<const float*>(in[0]);
    const float* b = static_cast<const float*>(in[1]);
    float* y = static_cast<float*>(out);
    const int kind = act ? act->kind : kActNone;
    const float lo = act ? act->lo : 0.0f, hi = act ? act->hi : 0.0f;
    if (mul)
        row<true, 0>(a, b, y, n, unit[0], unit[1], lo, hi);
    else if (kind == kActRelu)
        row<false, 1>(a, b, y, n, unit[0], unit[1], lo, hi);
    else if (kind == kActClip)
        row<false, 2>(a, b, y, n, unit[0], unit[1], lo, hi);
    else
        row<false, 0>(a, b, y, n, unit[0], unit[1], lo, hi);
    if (act && kind != kActNone && kind != kActRelu && kind != kActClip) ref::act_span_f32(y, n, *act);
}

}  // namespace x86
}  // namespace sdk
#endif
