// PrepareContext: what an op's prepare() uses to inspect its node and record its needs.
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/model.h"
#include "core/op_util.h"
#include "core/status.h"

namespace sdk {

const char* PrepareContext::node_name() const { return node->name; }
int PrepareContext::num_inputs() const { return node->num_inputs; }
int PrepareContext::num_outputs() const { return node->num_outputs; }

const Tensor* PrepareContext::input(int i) const {
    if (i < 0 || i >= node->num_inputs) return nullptr;
    return model->io_tensors[node->io_offset + i];
}

const Tensor* PrepareContext::output(int i) const {
    if (i < 0 || i >= node->num_outputs) return nullptr;
    return model->io_tensors[node->io_offset + node->num_inputs + i];
}

const Attr* PrepareContext::attr(const char* name) const {
    for (int i = 0; i < node->num_attrs; ++i)
        if (str_eq(node->attrs[i].name, name)) return &node->attrs[i];
    return nullptr;
}

int32_t PrepareContext::attr_int(const char* name, int32_t fallback) const {
    const Attr* a = attr(name);
    if (!a || a->count < 1) return fallback;
    if (a->type == kAttrInts) return static_cast<const int32_t*>(a->data)[0];
    if (a->type == kAttrFloats) return static_cast<int32_t>(static_cast<const float*>(a->data)[0]);
    return fallback;
}

float PrepareContext::attr_float(const char* name, float fallback) const {
    const Attr* a = attr(name);
    if (!a || a->count < 1) return fallback;
    if (a->type == kAttrFloats) return static_cast<const float*>(a->data)[0];
    if (a->type == kAttrInts) return static_cast<float>(static_cast<const int32_t*>(a->data)[0]);
    return fallback;
}

int PrepareContext::attr_ints(const char* name, int32_t* out, int max) const {
    const Attr* a = attr(name);
    if (!a || a->type == kAttrString) return -1;
    int n = static_cast<int>(a->count > 0x7FFFFFFF ? 0x7FFFFFFF : a->count);
    for (int i = 0; i < n && i < max; ++i)
        out[i] = a->type == kAttrInts ? static_cast<const int32_t*>(a->data)[i]
                                      : static_cast<int32_t>(static_cast<const float*>(a->data)[i]);
    return n;
}

int PrepareContext::attr_floats(const char* name, float* out, int max) const {
    const Attr* a = attr(name);
    if (!a || a->type == kAttrString) return -1;
    int n = static_cast<int>(a->count > 0x7FFFFFFF ? 0x7FFFFFFF : a->count);
    for (int i = 0; i < n && i < max; ++i)
        out[i] = a->type == kAttrFloats ? static_cast<const float*>(a->data)[i]
                                        : static_cast<float>(static_cast<const int32_t*>(a->data)[i]);
    return n;
}

const char* PrepareContext::attr_string(const char* name, const char* fallback) const {
    const Attr* a = attr(name);
    if (!a || a->type != kAttrString) return fallback;
    return static_cast<const char*>(a->data);
}

sdk_status PrepareContext::check_output_shape(int i, const Shape& expected) {
    const Tensor* t = output(i);
    if (!t) return fail(SDK_ERR_BAD_MODEL, "output %d is missing", i);
    if (!t->shape.equals(expected)) {
        char a[96], b[96];
        shape_str(t->shape, a, sizeof a);
        shape_str(expected, b, sizeof b);
        return fail(SDK_ERR_BAD_MODEL, "output '%.64s' has shape %s in the file but the op computes %s", t->name, a, b);
    }
    return SDK_OK;
}

void* PrepareContext::alloc(size_t bytes) {
    if (model_charge(model, bytes, "packed weights and op data") != SDK_OK) {
        prefix_error("node '%.64s' (%s): ", node->name, node->type);
        return nullptr;
    }
    void* p = aligned_alloc64(bytes);
    if (!p) {
        set_error(SDK_ERR_OUT_OF_MEMORY, "node '%s' (%s): out of memory allocating %zu bytes", node->name,
                  node->type, bytes);
        return nullptr;
    }
    alloc_next(p) = model->allocs;
    model->allocs = p;
    model->packed_bytes += align_up(bytes);
    return p;
}

void PrepareContext::set_op_data(void* data) { node->op_data = data; }

void PrepareContext::request_scratch(size_t bytes) {
    if (bytes > node->scratch_bytes) node->scratch_bytes = bytes;
}

void PrepareContext::request_thread_scratch(size_t bytes) {
    if (bytes > node->thread_scratch_bytes) node->thread_scratch_bytes = bytes;
}

void PrepareContext::inputs_in_output() { node->inputs_in_output = true; }

sdk_status PrepareContext::fail(sdk_status status, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_error_v(status, fmt, ap);
    va_end(ap);
    prefix_error("node '%.64s' (%s): ", node->name, node->type);
    return status;
}

}  // namespace sdk
