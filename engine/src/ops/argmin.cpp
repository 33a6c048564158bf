// ArgMin: the index of the smallest element along `axis`; see ops/arg_op.h.
#include "ops/arg_op.h"

extern const sdk::OpDef sdk_op_argmin = {"ArgMin", sdk::arg_op::prepare, sdk::arg_op::run<false>, sdk::kOpNone};
