// Reshape: the same bytes under another shape. The example of an alias op (kOpAlias):
// no run function and no copy; the planner gives the output the input's memory.
// The converter resolves the target shape (no 0 or -1 entries remain).
#include "ops/op_util.h"

namespace {

using namespace sdk;

sdk_status prepare(PrepareContext& ctx) {
    // ONNX Reshape may carry the shape as a second (constant) input; the converter moves
    // it into the attribute, but tolerate the constant input being left in place.
    sdk_status st = opu::check_arity(ctx, 1, 2, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& y = *ctx.output(0);
    Shape target;
    int n = ctx.attr_ints("shape", target.dims, kMaxRank);
    if (n < 0) return ctx.fail(SDK_ERR_BAD_MODEL, "the required 'shape' attribute is missing");
    if (n > kMaxRank) return ctx.fail(SDK_ERR_UNSUPPORTED, "target rank %d exceeds the maximum %d", n, kMaxRank);
    target.rank = n;
    for (int i = 0; i < n; ++i)
        if (target.dims[i] < 1)
            return ctx.fail(SDK_ERR_BAD_MODEL, "target dimension %d is %d (must be resolved to >= 1 by the converter)",
                            i, target.dims[i]);
    // the target's element count without overflow: the attribute's dims are not bounded by the
    // loader (six int32s overflow int64), the input's are (2 GiB)
    const int64_t want = x.shape.count();
    int64_t have = 1;
    for (int i = 0; i < n && have <= want; ++i) have *= target.dims[i];
    if (have != want) {
        char a[96], b[96];
        return ctx.fail(SDK_ERR_BAD_MODEL, "cannot reshape %s (%lld elements) to %s", shape_str(x.shape, a, sizeof a),
                        static_cast<long long>(x.shape.count()), shape_str(target, b, sizeof b));
    }
    if ((st = opu::check_same_encoding(ctx, x, y, "Reshape")) != SDK_OK) return st;
    return ctx.check_output_shape(0, target);
}

}  // namespace

extern const sdk::OpDef sdk_op_reshape = {"Reshape", prepare, nullptr, sdk::kOpAlias};
