// Trilu: the upper (`upper` 1 [default]: j - i >= k) or lower (`upper` 0: j - i <= k)
// triangle of each matrix in the last two dims, `k` [0] (ONNX's k input, constant), any
// dtype; the rest becomes zero (int8 with quantization: its zero point). In place when the
// planner allows.
#include "ops/index_op.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const int r = x.shape.rank;
    if (r < 2) return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' has rank %d; Trilu needs rank >= 2", x.name, r);
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if ((st = opu::check_same_encoding(ctx, x, *ctx.output(0), "Trilu")) != SDK_OK) return st;
    ref::TriluParams* p = opu::alloc_op_data<ref::TriluParams>(ctx);
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    int32_t upper = 1, k = 0;
    if ((st = opu::int_attr(ctx, "upper", 1, &upper)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "k", 0, &k)) != SDK_OK) return st;
    p->upper = upper != 0;
    p->k = k;
    p->rows = x.shape.dims[r - 2];
    p->cols = x.shape.dims[r - 1];
    p->batch = x.shape.count() / (p->rows * p->cols);
    p->elem_size = (int32_t)dtype_size(x.dtype);
    float s;
    int32_t zp = 0;
    if (x.dtype == DType::I8 && opu::per_tensor_quant(x, &s, &zp)) p->zero = (uint8_t)(int8_t)zp;
    return ctx.check_output_shape(0, x.shape);
}

sdk_status run(const RunContext& ctx) {
    ref::trilu_copy(*static_cast<const ref::TriluParams*>(ctx.op_data), ctx.in_data[0], ctx.out_data[0]);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_trilu = {"Trilu", sdk::prepare, sdk::run, sdk::kOpInplace};
