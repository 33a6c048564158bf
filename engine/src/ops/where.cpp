// Where: y = C ? X : Y with numpy broadcasting of the three (rank <= 6); C bool, X and Y
// of one dtype, any (the kernel moves elements of 1, 2, 4 or 8 bytes).
// Output may reuse any same-size input that dies here (kOpInplaceAny): element i reads
// its inputs before writing.
// sdk-kernels: binary
#include "ops/binary_op.h"

namespace sdk {
namespace {

template <class T>
void row(const void* const* in, const uint8_t* unit, void* out, int64_t n, const void*) {
    const uint8_t* c = static_cast<const uint8_t*>(in[0]);
    const T* a = static_cast<const T*>(in[1]);
    const T* b = static_cast<const T*>(in[2]);
    T* y = static_cast<T*>(out);
    const int64_t uc = unit[0], ua = unit[1], ub = unit[2];
    for (int64_t i = 0; i < n; ++i) y[i] = c[i * uc] ? a[i * ua] : b[i * ub];
}

sdk_status prepare(PrepareContext& ctx) {
    BroadcastPlan plan;
    sdk_status st = binary::check_shapes(ctx, &plan, 3);
    if (st != SDK_OK) return st;
    const Tensor& c = *ctx.input(0);
    const Tensor& a = *ctx.input(1);
    const Tensor& b = *ctx.input(2);
    const Tensor& y = *ctx.output(0);
    if (c.dtype != DType::BOOL)
        return ctx.fail(SDK_ERR_BAD_MODEL, "condition '%.64s' is %s; expected bool", c.name, dtype_name(c.dtype));
    if (b.dtype != a.dtype || y.dtype != a.dtype)
        return ctx.fail(SDK_ERR_BAD_MODEL, "X, Y and the output have different dtypes (%s, %s, %s)",
                        dtype_name(a.dtype), dtype_name(b.dtype), dtype_name(y.dtype));
    if ((st = opu::check_dtype_supported(ctx, a)) != SDK_OK) return st;
    float sa, sb, sy;
    int32_t za, zb, zy;
    const bool qa = opu::per_tensor_quant(a, &sa, &za), qb = opu::per_tensor_quant(b, &sb, &zb),
               qy = opu::per_tensor_quant(y, &sy, &zy);
    if (qa != qy || qb != qy || (qy && (sa != sy || sb != sy || za != zy || zb != zy)))
        return ctx.fail(SDK_ERR_BAD_MODEL, "X, Y and the output must share one quantization (Where cannot requantize)");
    binary::Data* d = opu::alloc_op_data<binary::Data>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    const size_t e = dtype_size(a.dtype);
    d->b.plan = plan;
    d->b.fn = e == 1 ? row<uint8_t> : e == 2 ? row<uint16_t> : e == 4 ? row<uint32_t> : row<uint64_t>;
    d->b.params = nullptr;
    d->b.esize[0] = 1;
    d->b.esize[1] = d->b.esize[2] = d->b.esize[3] = static_cast<uint8_t>(e);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_where = {"Where", sdk::prepare, sdk::binary::run, sdk::kOpInplaceAny};
