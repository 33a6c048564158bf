// Transpose with `perm` (required; a permutation of 0..rank-1).
#include "core/op.h"
#include "kernels/ref/misc.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor* x = ctx.input(0);
    const int r = x->shape.rank;
    const Attr* pa = ctx.attr("perm");
    if (!pa) return ctx.fail(SDK_ERR_BAD_MODEL, "attribute 'perm' is required");
    int32_t perm[kMaxRank];
    if ((st = opu::ints_exact(ctx, "perm", perm, r, perm)) != SDK_OK) return st;
    bool seen[kMaxRank] = {false, false, false, false, false, false};
    for (int i = 0; i < r; ++i) {
        if (perm[i] < 0 || perm[i] >= r || seen[perm[i]])
            return ctx.fail(SDK_ERR_BAD_MODEL, "perm is not a permutation of 0..%d", r - 1);
        seen[perm[i]] = true;
    }
    Shape out;
    out.rank = r;
    ref::TransposeParams p = {};
    int64_t strides[kMaxRank], s = 1;
    for (int i = r - 1; i >= 0; --i) {
        strides[i] = s;
        s *= x->shape.dims[i];
    }
    // drop size-1 output dims: they do not move anything
    for (int i = 0; i < r; ++i) {
        out.dims[i] = x->shape.dims[perm[i]];
        if (out.dims[i] == 1) continue;
        p.dims[p.rank] = out.dims[i];
        p.in_strides[p.rank] = strides[perm[i]];
        ++p.rank;
    }
    // merge output dims that stay adjacent in the input (ShuffleNet's channel shuffle
    // [1, g, C/g, H, W] -> [1, C/g, g, H, W] copies whole H x W planes, not W-float rows)
    int k = 0;
    for (int i = 1; i < p.rank; ++i) {
        if (p.in_strides[k] == p.in_strides[i] * p.dims[i]) {
            p.dims[k] *= p.dims[i];
            p.in_strides[k] = p.in_strides[i];
        } else {
            ++k;
            p.dims[k] = p.dims[i];
            p.in_strides[k] = p.in_strides[i];
        }
    }
    if (p.rank > 0) p.rank = k + 1;
    if (p.rank == 0) {
        p.rank = 1;
        p.dims[0] = 1;
        p.in_strides[0] = 1;
    }
    p.elem_size = (int32_t)dtype_size(x->dtype);
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
    return opu::keep_f32_data(ctx, p);
}

sdk_status run(const RunContext& ctx) {
    ref::transpose_copy(*static_cast<const ref::TransposeParams*>(ctx.op_data), ctx.in_data[0], ctx.out_data[0]);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_transpose = {"Transpose", sdk::prepare, sdk::run, sdk::kOpNone};
