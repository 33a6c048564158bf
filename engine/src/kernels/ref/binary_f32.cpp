// Reference fp32 Add/Mul with broadcasting: rows of the innermost merged dimension, each
// with input strides 0 or 1, so the inner loops are plain vectorizable loops.
#include "kernels/ref/binary.h"

namespace sdk {
namespace ref {
namespace {

struct AddOp {
    static float f(float x, float y) { return x + y; }
};
struct MulOp {
    static float f(float x, float y) { return x * y; }
};

struct BinJob {
    const BroadcastPlan* p;
    const ActParams* act;
    const float *a, *b;
    float* y;
};

template <class Op>
void rows(void* arg, int64_t begin, int64_t end) {
    const BinJob& j = *static_cast<const BinJob*>(arg);
    const BroadcastPlan& p = *j.p;
    const int r = p.rank;
    const int64_t inner = p.dims[r - 1];
    const int64_t ia = p.sa[r - 1], ib = p.sb[r - 1];
    // multi-index of row `begin` over the outer dims
    int64_t idx[kMaxRank] = {0, 0, 0, 0, 0, 0};
    int64_t rem = begin, oa = 0, ob = 0;
    for (int i = r - 2; i >= 0; --i) {
        idx[i] = rem % p.dims[i];
        rem /= p.dims[i];
        oa += idx[i] * p.sa[i];
        ob += idx[i] * p.sb[i];
    }
    for (int64_t row = begin; row < end; ++row) {
        const float* a = j.a + oa;
        const float* b = j.b + ob;
        float* y = j.y + row * inner;
        if (ia == 1 && ib == 1) {
            for (int64_t i = 0; i < inner; ++i) y[i] = Op::f(a[i], b[i]);
        } else if (ia == 1) {
            const float bv = b[0];
            for (int64_t i = 0; i < inner; ++i) y[i] = Op::f(a[i], bv);
        } else if (ib == 1) {
            const float av = a[0];
            for (int64_t i = 0; i < inner; ++i) y[i] = Op::f(av, b[i]);
        } else {
            const float v = Op::f(a[0], b[0]);
            for (int64_t i = 0; i < inner; ++i) y[i] = v;
        }
        act_span_f32(y, inner, *j.act);
        // next row: odometer over the outer dims
        for (int i = r - 2; i >= 0; --i) {
            oa += p.sa[i];
            ob += p.sb[i];
            if (++idx[i] < p.dims[i]) break;
            oa -= p.sa[i] * p.dims[i];
            ob -= p.sb[i] * p.dims[i];
            idx[i] = 0;
        }
    }
}

// Same-shape operands (one merged row, e.g. a residual Add): element ranges, so the one
// row is still split over the threads.
template <class Op>
void flat(void* arg, int64_t begin, int64_t end) {
    const BinJob& j = *static_cast<const BinJob*>(arg);
    for (int64_t i = begin; i < end; ++i) j.y[i] = Op::f(j.a[i], j.b[i]);
    act_span_f32(j.y + begin, end - begin, *j.act);
}

}  // namespace

void binary_f32(BinaryKind kind, const BroadcastPlan& p, const ActParams& act, const float* a, const float* b,
                float* y, ThreadPool* pool) {
    BinJob j = {&p, &act, a, b, y};
    const int64_t inner = p.dims[p.rank - 1];
    const int64_t nrows = p.count / inner;
    if (nrows == 1 && p.sa[p.rank - 1] == 1 && p.sb[p.rank - 1] == 1) {
        parallel_for(pool, inner, 1 << 13, kind == kBinaryAdd ? flat<AddOp> : flat<MulOp>, &j);
        return;
    }
    int64_t grain = (1 << 14) / inner;
    if (grain < 1) grain = 1;
    parallel_for(pool, nrows, grain, kind == kBinaryAdd ? rows<AddOp> : rows<MulOp>, &j);
}

}  // namespace ref
}  // namespace sdk
