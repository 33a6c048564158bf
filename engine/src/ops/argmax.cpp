// ArgMax: the index of the largest element along `axis`; see ops/arg_op.h.
#include "ops/arg_op.h"

extern const sdk::OpDef sdk_op_argmax = {"ArgMax", sdk::arg_op::prepare, sdk::arg_op::run<true>, sdk::kOpNone};
