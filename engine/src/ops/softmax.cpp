// Softmax along one axis (fp32); see ops/softmax_op.h.
#include "ops/softmax_op.h"

extern const sdk::OpDef sdk_op_softmax = {"Softmax", sdk::softmax::prepare, sdk::softmax::run<false>, sdk::kOpNone};
