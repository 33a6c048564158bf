// The public C API (engine.h): argument checks and conversions around the core.
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/model.h"
#include "core/quant.h"
#include "core/session.h"
#include "core/status.h"
#include "sdkengine/engine.h"

#ifndef SDK_VERSION_STRING
#define SDK_VERSION_STRING "0.0.0"
#endif

struct sdk_model {
    sdk::Model* m;
};

struct sdk_session {
    sdk::Session* s;
};

using sdk::set_error;

namespace {

sdk_status fill_info(const sdk::Model* m, int32_t t, sdk_tensor_info* info) {
    const sdk::Tensor& x = m->tensors[t];
    memset(info, 0, sizeof *info);
    info->name = x.name;
    info->dtype = static_cast<int32_t>(x.dtype);
    info->rank = x.shape.rank;
    for (int i = 0; i < SDK_MAX_RANK; ++i) info->dims[i] = x.shape.dims[i];
    info->byte_size = x.bytes;
    if (x.quant && x.quant->count >= 1) {
        info->scale = x.quant->scales[0];
        info->zero_point = x.quant->zero_points[0];
    }
    return SDK_OK;
}

bool check_model(const sdk_model* model, const char* fn) {
    if (model && model->m) return true;
    set_error(SDK_ERR_INVALID_ARGUMENT, "%s: model is NULL", fn);
    return false;
}

bool check_session(const sdk_session* session, const char* fn) {
    if (session && session->s) return true;
    set_error(SDK_ERR_INVALID_ARGUMENT, "%s: session is NULL", fn);
    return false;
}

// The graph input/output `index` of the session, or -1 with the error set.
int32_t input_tensor(const sdk::Model* m, int32_t index, const char* fn) {
    if (index < 0 || index >= m->num_inputs) {
        set_error(SDK_ERR_INVALID_ARGUMENT, "%s: input index %d out of range (model has %d inputs)", fn, index,
                  m->num_inputs);
        return -1;
    }
    return m->inputs[index];
}

int32_t output_tensor(const sdk::Model* m, int32_t index, const char* fn) {
    if (index < 0 || index >= m->num_outputs) {
        set_error(SDK_ERR_INVALID_ARGUMENT, "%s: output index %d out of range (model has %d outputs)", fn, index,
                  m->num_outputs);
        return -1;
    }
    return m->outputs[index];
}

sdk_status finish_load(uint8_t* bytes, size_t size, sdk_model** out_model) {
    sdk::Model* m = nullptr;
    sdk_status st = sdk::load_model(bytes, size, &m);  // takes ownership of bytes
    if (st != SDK_OK) return st;
    sdk_model* h = sdk::alloc_array<sdk_model>(1);
    if (!h) {
        sdk::free_model(m);
        return set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory loading the model");
    }
    h->m = m;
    *out_model = h;
    return SDK_OK;
}

}  // namespace

extern "C" {

const char* sdk_version(void) { return SDK_VERSION_STRING; }

const char* sdk_build_info(void) { return sdk::kBuildInfoJson; }

const char* sdk_last_error(void) { return sdk::last_error(); }

const char* sdk_status_string(sdk_status status) {
    switch (status) {
        case SDK_OK: return "ok";
        case SDK_ERR_INVALID_ARGUMENT: return "invalid argument";
        case SDK_ERR_IO: return "i/o error";
        case SDK_ERR_BAD_MODEL: return "bad model";
        case SDK_ERR_UNSUPPORTED: return "unsupported";
        case SDK_ERR_OUT_OF_MEMORY: return "out of memory";
        case SDK_ERR_STATE: return "invalid state";
        case SDK_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

sdk_status sdk_model_load_file(const char* path, sdk_model** out_model) {
    if (!out_model) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_model_load_file: out_model is NULL");
    *out_model = nullptr;
    if (!path) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_model_load_file: path is NULL");
    FILE* f = fopen(path, "rb");
    if (!f) return set_error(SDK_ERR_IO, "cannot open model file '%s'", path);
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return set_error(SDK_ERR_IO, "model path '%s' is not a regular file", path);
    }
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return set_error(SDK_ERR_IO, "cannot read model file '%s'", path);
    }
    uint8_t* bytes = static_cast<uint8_t*>(sdk::aligned_alloc64(static_cast<size_t>(size)));
    if (!bytes) {
        fclose(f);
        return set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory reading model file '%s' (%ld bytes)", path, size);
    }
    size_t got = size ? fread(bytes, 1, static_cast<size_t>(size), f) : 0;
    fclose(f);
    if (got != static_cast<size_t>(size)) {
        sdk::aligned_free(bytes);
        return set_error(SDK_ERR_IO, "cannot read model file '%s' (short read)", path);
    }
    sdk_status st = finish_load(bytes, static_cast<size_t>(size), out_model);
    if (st != SDK_OK) sdk::prefix_error("%s: ", path);
    return st;
}

sdk_status sdk_model_load_memory(const void* data, size_t size, sdk_model** out_model) {
    if (!out_model) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_model_load_memory: out_model is NULL");
    *out_model = nullptr;
    if (!data && size) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_model_load_memory: data is NULL");
    uint8_t* bytes = static_cast<uint8_t*>(sdk::aligned_alloc64(size));
    if (!bytes) return set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory copying the model (%zu bytes)", size);
    if (size) memcpy(bytes, data, size);
    return finish_load(bytes, size, out_model);
}

void sdk_model_free(sdk_model* model) {
    if (!model) return;
    sdk::free_model(model->m);
    free(model);
}

int32_t sdk_model_input_count(const sdk_model* model) {
    return check_model(model, "sdk_model_input_count") ? model->m->num_inputs : 0;
}

int32_t sdk_model_output_count(const sdk_model* model) {
    return check_model(model, "sdk_model_output_count") ? model->m->num_outputs : 0;
}

sdk_status sdk_model_input_info(const sdk_model* model, int32_t index, sdk_tensor_info* out_info) {
    if (!check_model(model, "sdk_model_input_info")) return SDK_ERR_INVALID_ARGUMENT;
    if (!out_info) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_model_input_info: out_info is NULL");
    int32_t t = input_tensor(model->m, index, "sdk_model_input_info");
    return t < 0 ? SDK_ERR_INVALID_ARGUMENT : fill_info(model->m, t, out_info);
}

sdk_status sdk_model_output_info(const sdk_model* model, int32_t index, sdk_tensor_info* out_info) {
    if (!check_model(model, "sdk_model_output_info")) return SDK_ERR_INVALID_ARGUMENT;
    if (!out_info) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_model_output_info: out_info is NULL");
    int32_t t = output_tensor(model->m, index, "sdk_model_output_info");
    return t < 0 ? SDK_ERR_INVALID_ARGUMENT : fill_info(model->m, t, out_info);
}

static int32_t find_named(const sdk::Model* m, const int32_t* list, int32_t n, const char* name, const char* what) {
    for (int32_t i = 0; i < n; ++i)
        if (strcmp(m->tensors[list[i]].name, name) == 0) return i;
    char names[256];
    size_t len = 0;
    names[0] = '\0';
    for (int32_t i = 0; i < n && len < sizeof names; ++i) {
        int w = snprintf(names + len, sizeof names - len, "%s'%s'", i ? ", " : "", m->tensors[list[i]].name);
        if (w < 0) break;
        len += static_cast<size_t>(w);
    }
    set_error(SDK_ERR_INVALID_ARGUMENT, "model has no %s named '%.64s' (it has: %s)", what, name, names);
    return -1;
}

int32_t sdk_model_find_input(const sdk_model* model, const char* name) {
    if (!check_model(model, "sdk_model_find_input")) return -1;
    if (!name) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_model_find_input: name is NULL"), -1;
    return find_named(model->m, model->m->inputs, model->m->num_inputs, name, "input");
}

int32_t sdk_model_find_output(const sdk_model* model, const char* name) {
    if (!check_model(model, "sdk_model_find_output")) return -1;
    if (!name) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_model_find_output: name is NULL"), -1;
    return find_named(model->m, model->m->outputs, model->m->num_outputs, name, "output");
}

sdk_status sdk_model_memory_info(const sdk_model* model, sdk_memory_info* out_info) {
    if (!check_model(model, "sdk_model_memory_info")) return SDK_ERR_INVALID_ARGUMENT;
    if (!out_info) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_model_memory_info: out_info is NULL");
    const sdk::Model* m = model->m;
    out_info->weights_bytes = m->weights_bytes;
    out_info->arena_bytes = m->arena_bytes;
    out_info->arena_lower_bound = m->arena_lower_bound;
    out_info->naive_bytes = m->naive_bytes;
    out_info->packed_weights_bytes = m->packed_bytes;
    return SDK_OK;
}

sdk_status sdk_session_create(const sdk_model* model, const sdk_session_options* options, sdk_session** out_session) {
    if (!out_session) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_session_create: out_session is NULL");
    *out_session = nullptr;
    if (!check_model(model, "sdk_session_create")) return SDK_ERR_INVALID_ARGUMENT;
    int threads = options ? options->num_threads : 1;
    if (threads < 0) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_session_create: num_threads is %d (use 0 or more)", threads);
    sdk_session* h = sdk::alloc_array<sdk_session>(1);
    if (!h) return set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory creating a session");
    sdk_status st = sdk::session_create(model->m, threads, &h->s);
    if (st != SDK_OK) {
        free(h);
        return st;
    }
    *out_session = h;
    return SDK_OK;
}

void sdk_session_free(sdk_session* session) {
    if (!session) return;
    sdk::session_free(session->s);
    free(session);
}

sdk_status sdk_session_set_input(sdk_session* session, int32_t index, const void* data, size_t size) {
    if (!check_session(session, "sdk_session_set_input")) return SDK_ERR_INVALID_ARGUMENT;
    const sdk::Model* m = session->s->model;
    int32_t t = input_tensor(m, index, "sdk_session_set_input");
    if (t < 0) return SDK_ERR_INVALID_ARGUMENT;
    const sdk::Tensor& x = m->tensors[t];
    if (size != x.bytes)
        return set_error(SDK_ERR_INVALID_ARGUMENT, "input '%s' takes %zu bytes, got %zu", x.name, x.bytes, size);
    if (!data && size) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_session_set_input: data is NULL");
    memcpy(session->s->tensor_data[t], data, size);
    return SDK_OK;
}

sdk_status sdk_session_set_input_f32(sdk_session* session, int32_t index, const float* data, size_t count) {
    if (!check_session(session, "sdk_session_set_input_f32")) return SDK_ERR_INVALID_ARGUMENT;
    const sdk::Model* m = session->s->model;
    int32_t t = input_tensor(m, index, "sdk_session_set_input_f32");
    if (t < 0) return SDK_ERR_INVALID_ARGUMENT;
    const sdk::Tensor& x = m->tensors[t];
    const size_t n = x.bytes / sdk::dtype_size(x.dtype);
    if (count != n)
        return set_error(SDK_ERR_INVALID_ARGUMENT, "input '%s' has %zu elements, got %zu", x.name, n, count);
    if (!data && count) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_session_set_input_f32: data is NULL");
    void* dst = session->s->tensor_data[t];
    float scale = 1.0f;
    int32_t zp = 0;
    if (x.quant) {
        scale = x.quant->scales[0];
        zp = x.quant->zero_points[0];
    }
    switch (x.dtype) {
        case sdk::DType::F32: memcpy(dst, data, count * 4); break;
        case sdk::DType::I8: {
            int8_t* q = static_cast<int8_t*>(dst);
            for (size_t i = 0; i < n; ++i) q[i] = sdk::quantize_s8(data[i], scale, zp);
            break;
        }
        case sdk::DType::U8: {
            uint8_t* q = static_cast<uint8_t*>(dst);
            for (size_t i = 0; i < n; ++i) {
                float v = roundf(data[i] / scale) + static_cast<float>(zp);
                q[i] = static_cast<uint8_t>(v != v || v < 0.0f ? 0 : (v > 255.0f ? 255 : static_cast<int>(v)));
            }
            break;
        }
        case sdk::DType::I32: {
            int32_t* q = static_cast<int32_t*>(dst);
            for (size_t i = 0; i < n; ++i) {
                float v = roundf(data[i] / scale) + static_cast<float>(zp);
                q[i] = v != v ? 0 : (v < -2147483648.0f ? INT32_MIN : (v >= 2147483647.0f ? INT32_MAX : static_cast<int32_t>(v)));
            }
            break;
        }
    }
    return SDK_OK;
}

sdk_status sdk_session_input_buffer(sdk_session* session, int32_t index, void** out_data, size_t* out_size) {
    if (!check_session(session, "sdk_session_input_buffer")) return SDK_ERR_INVALID_ARGUMENT;
    if (!out_data || !out_size) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_session_input_buffer: NULL output pointer");
    const sdk::Model* m = session->s->model;
    int32_t t = input_tensor(m, index, "sdk_session_input_buffer");
    if (t < 0) return SDK_ERR_INVALID_ARGUMENT;
    *out_data = session->s->tensor_data[t];
    *out_size = m->tensors[t].bytes;
    return SDK_OK;
}

sdk_status sdk_session_run(sdk_session* session) {
    if (!check_session(session, "sdk_session_run")) return SDK_ERR_INVALID_ARGUMENT;
    return sdk::session_run(session->s);
}

static sdk_status output_ready(sdk_session* session, int32_t index, const char* fn, int32_t* t) {
    if (!check_session(session, fn)) return SDK_ERR_INVALID_ARGUMENT;
    *t = output_tensor(session->s->model, index, fn);
    if (*t < 0) return SDK_ERR_INVALID_ARGUMENT;
    if (!session->s->has_run)
        return set_error(SDK_ERR_STATE, "%s: no successful sdk_session_run yet, so there are no outputs", fn);
    return SDK_OK;
}

sdk_status sdk_session_get_output(sdk_session* session, int32_t index, void* data, size_t size) {
    int32_t t;
    sdk_status st = output_ready(session, index, "sdk_session_get_output", &t);
    if (st != SDK_OK) return st;
    const sdk::Tensor& x = session->s->model->tensors[t];
    if (size != x.bytes)
        return set_error(SDK_ERR_INVALID_ARGUMENT, "output '%s' has %zu bytes, buffer is %zu", x.name, x.bytes, size);
    if (!data && size) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_session_get_output: data is NULL");
    memcpy(data, session->s->tensor_data[t], size);
    return SDK_OK;
}

sdk_status sdk_session_get_output_f32(sdk_session* session, int32_t index, float* data, size_t count) {
    int32_t t;
    sdk_status st = output_ready(session, index, "sdk_session_get_output_f32", &t);
    if (st != SDK_OK) return st;
    const sdk::Tensor& x = session->s->model->tensors[t];
    const size_t n = x.bytes / sdk::dtype_size(x.dtype);
    if (count != n)
        return set_error(SDK_ERR_INVALID_ARGUMENT, "output '%s' has %zu elements, got room for %zu", x.name, n, count);
    if (!data && count) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_session_get_output_f32: data is NULL");
    const void* src = session->s->tensor_data[t];
    float scale = 1.0f;
    int32_t zp = 0;
    if (x.quant) {
        scale = x.quant->scales[0];
        zp = x.quant->zero_points[0];
    }
    switch (x.dtype) {
        case sdk::DType::F32: memcpy(data, src, n * 4); break;
        case sdk::DType::I8:
            for (size_t i = 0; i < n; ++i) data[i] = scale * static_cast<float>(static_cast<const int8_t*>(src)[i] - zp);
            break;
        case sdk::DType::U8:
            for (size_t i = 0; i < n; ++i) data[i] = scale * static_cast<float>(static_cast<const uint8_t*>(src)[i] - zp);
            break;
        case sdk::DType::I32:
            for (size_t i = 0; i < n; ++i)
                data[i] = scale * static_cast<float>(static_cast<int64_t>(static_cast<const int32_t*>(src)[i]) - zp);
            break;
    }
    return SDK_OK;
}

sdk_status sdk_session_output_buffer(sdk_session* session, int32_t index, const void** out_data, size_t* out_size) {
    int32_t t;
    sdk_status st = output_ready(session, index, "sdk_session_output_buffer", &t);
    if (st != SDK_OK) return st;
    if (!out_data || !out_size) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_session_output_buffer: NULL output pointer");
    *out_data = session->s->tensor_data[t];
    *out_size = session->s->model->tensors[t].bytes;
    return SDK_OK;
}

}  // extern "C"
