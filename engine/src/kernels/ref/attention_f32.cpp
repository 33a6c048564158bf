// fp32 attention (see kernels/ref/attention.h).
#include "kernels/ref/attention.h"

#include <math.h>
#include <string.h>

#include "kernels/ref/sgemm_f32.h"

namespace sdk {
namespace ref {

namespace {

inline int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

typedef float v4 __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

inline v4 splat(float f) { return v4{f, f, f, f}; }
inline v4 select(v4i m, v4 a, v4 b) { return (v4)(((v4i)a & m) | ((v4i)b & ~m)); }

// e^x in 4 lanes (Cephes' expf: range reduction by ln 2, degree-5 polynomial, 2^n from the
// exponent bits; ~1 ulp); exactly 0 below -87.3 (so masked keys, -inf, weigh nothing).
inline v4 exp_v4(v4 x) {
    const v4i under = x < splat(-87.3365448f);
    x = select(x > splat(88.3762626f), splat(88.3762626f), x);
    x = select(under, splat(-87.3365448f), x);
    v4 fx = x * splat(1.44269504088896341f) + splat(0.5f);
    v4i n = __builtin_convertvector(fx, v4i);
    v4 fn = __builtin_convertvector(n, v4);
    n -= (v4i)(fn > fx) & v4i{1, 1, 1, 1};  // floor
    fn = __builtin_convertvector(n, v4);
    x -= fn * splat(0.693359375f);
    x -= fn * splat(-2.12194440e-4f);
    const v4 z = x * x;
    v4 y = splat(1.9875691500e-4f);
    y = y * x + splat(1.3981999507e-3f);
    y = y * x + splat(8.3334519073e-3f);
    y = y * x + splat(4.1665795894e-2f);
    y = y * x + splat(1.6666665459e-1f);
    y = y * x + splat(5.0000001201e-1f);
    y = y * z + x + splat(1.0f);
    const v4i bits = (n + v4i{127, 127, 127, 127}) << 23;
    return select(under, splat(0.0f), y * (v4)bits);
}

struct Job {
    const AttentionF32Plan* p;
    const float *q, *k, *v;
    const void* mask;
    const void* nonpad;
    float *y, *qk;
    const RunContext* ctx;
};

// The bias of row (b, h, i) added into sc[0..L); returns whether any key is allowed.
bool add_bias(const AttentionF32Plan& p, const Job& j, int64_t b, int64_t h, int64_t i, int64_t off, int64_t valid,
              float* sc) {
    const int64_t L = p.l;
    const float ninf = -INFINITY;
    bool any = false;
    const float* fm = nullptr;
    const uint8_t* bm = nullptr;
    if (p.mask_kind == 1) fm = static_cast<const float*>(j.mask) + b * p.mask_sb + h * p.mask_sh + i * p.mask_ss;
    if (p.mask_kind == 2) bm = static_cast<const uint8_t*>(j.mask) + b * p.mask_sb + h * p.mask_sh + i * p.mask_ss;
    const int64_t pos = i + off;  // the query's absolute position
    for (int64_t t = 0; t < L; ++t) {
        float bias = 0.0f;
        if (p.mask_kind) {
            if (t >= p.mask_l) bias = ninf;
            else if (fm) bias = fm[t];
            else if (!bm[t]) bias = ninf;
        }
        if (p.causal && t > pos) bias = ninf;
        if (p.left >= 0 && pos - t > p.left) bias = ninf;
        if (p.right >= 0 && t - pos > p.right) bias = ninf;
        if (t >= valid) bias = ninf;
        if (bias != ninf) any = true;
        sc[t] += bias;
    }
    return any;
}

void softmax_row(float* sc, int64_t L, bool any) {
    if (!any) {
        for (int64_t t = 0; t < L; ++t) sc[t] = 0.0f;
        return;
    }
#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
    if (x86_sgemm_avx2_enabled()) return x86_attn_softmax_row_avx2(sc, L);  // kernels/x86/attention_f32.cpp
#endif
    float m = -INFINITY;
    for (int64_t t = 0; t < L; ++t) m = sc[t] > m ? sc[t] : m;
    if (m == -INFINITY) m = 0.0f;
    float s = 0.0f;
    int64_t t = 0;
    v4 acc = splat(0.0f);
    for (; t + 4 <= L; t += 4) {
        v4 v;
        memcpy(&v, sc + t, sizeof v);
        v = exp_v4(v - splat(m));
        memcpy(sc + t, &v, sizeof v);
        acc += v;
    }
    s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (; t < L; ++t) {
        float e = expf(sc[t] - m);
        sc[t] = e;
        s += e;
    }
    const float r = s == 0.0f ? 1.0f : 1.0f / s;
    for (t = 0; t < L; ++t) sc[t] *= r;
}

void heads(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const AttentionF32Plan& p = *j.p;
    const int64_t L = p.l, D = p.d, Dv = p.dv, S = p.s;
    float* kp = static_cast<float*>(j.ctx->thread_scratch());
    float* vp = kp + round_up(L, kNR) * D;
    float* sc = vp + round_up(Dv, kNR) * L;
    GemmEpilogue es, ev;
    es.alpha = p.scale;
    for (int64_t bh = begin; bh < end; ++bh) {
        const int64_t b = bh / p.hq, h = bh % p.hq, hk = h / (p.hq / p.hkv);
        const float* kb = j.k + (b * p.hkv + hk) * L * D;
        const float* vb = j.v + (b * p.hkv + hk) * L * Dv;
        // K^T as the B operand: element (d, t) = K[t][d] (or Kt[d][t])
        if (p.k_transposed) sgemm_pack_b(kb, L, 1, (int)D, 0, (int)L, kp);
        else sgemm_pack_b(kb, 1, D, (int)D, 0, (int)L, kp);
        sgemm_pack_b(vb, Dv, 1, (int)L, 0, (int)Dv, vp);
        int64_t off = p.offset, valid = L;
        if (p.nonpad_kind) {
            valid = p.nonpad_kind == 1 ? static_cast<const int64_t*>(j.nonpad)[b]
                                       : static_cast<const int32_t*>(j.nonpad)[b];
            off = valid - S;
        }
        const bool need_bias = p.mask_kind || p.causal || p.left >= 0 || p.right >= 0 || valid < L;
        for (int64_t i0 = 0; i0 < S; i0 += kAttnRows) {
            const int64_t rows = S - i0 < kAttnRows ? S - i0 : kAttnRows;
            const float* qrows = j.q + (bh * S + i0) * D;
            sgemm_packed(rows, (int)L, (int)D, qrows, D, 1, kp, sc, L, es);
            for (int64_t r = 0; r < rows; ++r) {
                float* row = sc + r * L;
                float* qo = j.qk ? j.qk + (bh * S + i0 + r) * L : nullptr;
                if (p.softcap > 0.0f)
                    for (int64_t t = 0; t < L; ++t) row[t] = p.softcap * tanhf(row[t] / p.softcap);
                if (qo && p.qk_mode <= 1) memcpy(qo, row, (size_t)L * sizeof(float));
                bool any = need_bias ? add_bias(p, j, b, h, i0 + r, off, valid, row) : true;
                if (qo && p.qk_mode == 2) memcpy(qo, row, (size_t)L * sizeof(float));
                softmax_row(row, L, any);
                if (qo && p.qk_mode == 3) memcpy(qo, row, (size_t)L * sizeof(float));
            }
            sgemm_packed(rows, (int)Dv, (int)L, sc, L, 1, vp, j.y + (bh * S + i0) * Dv, Dv, ev);
        }
    }
}

}  // namespace

size_t attention_f32_thread_scratch_bytes(const AttentionF32Plan& p) {
    int64_t n = round_up(p.l, kNR) * p.d + round_up(p.dv, kNR) * p.l + (int64_t)kAttnRows * p.l;
    return (size_t)n * sizeof(float);
}

void attention_f32(const AttentionF32Plan& p, const float* q, const float* k, const float* v, const void* mask,
                   const void* nonpad, float* y, float* qk, const RunContext& ctx) {
    Job j = {&p, q, k, v, mask, nonpad, y, qk, &ctx};
    if (p.l == 0 || p.d == 0) {  // no keys (or empty heads): every row is fully masked
        for (int64_t i = 0; i < (int64_t)p.batch * p.hq * p.s * p.dv; ++i) y[i] = 0.0f;
        if (qk)
            for (int64_t i = 0; i < (int64_t)p.batch * p.hq * p.s * p.l; ++i) qk[i] = 0.0f;
        if (p.l == 0) return;
    }
    const int64_t work = (int64_t)p.s * p.l * (p.d + p.dv);
    int64_t grain = work > 0 ? (1 << 16) / work : 1;
    parallel_for(ctx.pool, (int64_t)p.batch * p.hq, grain < 1 ? 1 : grain, heads, &j);
}

}  // namespace ref
}  // namespace sdk
