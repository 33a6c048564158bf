// LogSoftmax along one axis (fp32); see ops/softmax_op.h.
// sdk-kernels: softmax
#include "ops/softmax_op.h"

extern const sdk::OpDef sdk_op_logsoftmax = {"LogSoftmax", sdk::softmax::prepare, sdk::softmax::run<true>,
                                             sdk::kOpNone};
