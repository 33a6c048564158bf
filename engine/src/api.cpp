// The public C API (engine.h): argument checks and conversions around the core.
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/half.h"
#include "core/model.h"
#include "core/session.h"
#include "core/session_use.h"
#include "core/status.h"
#include "sdkengine/engine.h"

#ifndef SDK_VERSION_STRING
#define SDK_VERSION_STRING "0.0.0"
#endif

// The handles are the core objects themselves (no wrapper allocation): sdk_model and
// sdk_session stay incomplete types, only ever cast.
static sdk::Model* M(const sdk_model* h) { return reinterpret_cast<sdk::Model*>(const_cast<sdk_model*>(h)); }
static sdk::Session* S(sdk_session* h) { return reinterpret_cast<sdk::Session*>(h); }

using sdk::set_error;

namespace {

// The scale and zero point of a graph input/output (per tensor); scale 0 for float tensors.
struct Affine {
    float scale;
    int32_t zp;
};

Affine io_affine(const sdk::Tensor& x) {
    if (x.quant && x.quant->count >= 1) return Affine{x.quant->scales[0], x.quant->zero_points[0]};
    return Affine{0.0f, 0};
}

sdk_status fill_info(const sdk::Model* m, int32_t t, sdk_tensor_info* info) {
    const sdk::Tensor& x = m->tensors[t];
    memset(info, 0, sizeof *info);
    info->name = x.name;
    info->dtype = static_cast<int32_t>(x.dtype);
    info->rank = x.shape.rank;
    for (int i = 0; i < SDK_MAX_RANK; ++i) info->dims[i] = x.shape.dims[i];
    info->byte_size = x.bytes;
    const Affine a = io_affine(x);
    info->scale = a.scale;
    info->zero_point = a.zp;
    return SDK_OK;
}

// One message shape for every NULL argument: "<function>: <argument> is NULL".
sdk_status null_arg(const char* fn, const char* what) {
    return set_error(SDK_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, what);
}

bool check_model(const sdk_model* model, const char* fn) {
    if (model) return true;
    null_arg(fn, "model");
    return false;
}

bool check_session(const sdk_session* session, const char* fn) {
    if (session) return true;
    null_arg(fn, "session");
    return false;
}

// The tensor of graph input (output = false) or output `index`, or -1 with the error set.
int32_t io_tensor(const sdk::Model* m, bool output, int32_t index, const char* fn) {
    const int32_t n = output ? m->num_outputs : m->num_inputs;
    const char* what = output ? "output" : "input";
    if (index < 0 || index >= n) {
        set_error(SDK_ERR_INVALID_ARGUMENT, "%s: %s index %d out of range (model has %d %ss)", fn, what, index, n,
                  what);
        return -1;
    }
    return (output ? m->outputs : m->inputs)[index];
}

sdk_status model_info(const sdk_model* model, bool output, int32_t index, sdk_tensor_info* out_info,
                      const char* fn) {
    if (!check_model(model, fn)) return SDK_ERR_INVALID_ARGUMENT;
    if (!out_info) return null_arg(fn, "out_info");
    int32_t t = io_tensor(M(model), output, index, fn);
    return t < 0 ? SDK_ERR_INVALID_ARGUMENT : fill_info(M(model), t, out_info);
}

int32_t find_named(const sdk_model* model, bool output, const char* name, const char* fn) {
    if (!check_model(model, fn)) return -1;
    if (!name) return null_arg(fn, "name"), -1;
    const sdk::Model* m = M(model);
    const int32_t* list = output ? m->outputs : m->inputs;
    const int32_t n = output ? m->num_outputs : m->num_inputs;
    for (int32_t i = 0; i < n; ++i)
        if (strcmp(m->tensors[list[i]].name, name) == 0) return i;
    set_error(SDK_ERR_INVALID_ARGUMENT, "model has no %s named '%.64s' (it has: ", output ? "output" : "input", name);
    for (int32_t i = 0; i < n; ++i) sdk::append_error(i ? ", '" : "'", m->tensors[list[i]].name, "'");
    sdk::append_error(")", "", "");
    return -1;
}

// The session's tensor for input/output `index` and its memory, with the caller's `size`
// (bytes or elements) and `data` checked; outputs need a successful run first. Returned by
// value (no out-parameters: their stack slots would cost each caller a stack-protector
// canary); on failure x is nullptr and `status` says why.
enum SizeCheck { kNoSize, kBytes, kElements };
struct IO {
    const sdk::Tensor* x;
    union {
        void* mem;
        sdk_status status;
    };
};

IO session_io(sdk_session* session, bool output, int32_t index, const void* data, size_t size, SizeCheck check,
              const char* fn) {
    IO io{nullptr, {nullptr}};
    io.status = SDK_ERR_INVALID_ARGUMENT;
    if (!check_session(session, fn)) return io;
    const sdk::Session* s = S(session);
    const sdk::Model* m = s->model;
    int32_t t = io_tensor(m, output, index, fn);
    if (t < 0) return io;
    if (output && !s->has_run) {
        io.status = set_error(SDK_ERR_STATE, "%s: no outputs yet (call sdk_session_run first)", fn);
        return io;
    }
    const sdk::Tensor& x = m->tensors[t];
    const size_t want = check == kElements ? x.bytes / sdk::dtype_size(x.dtype) : x.bytes;
    if (check != kNoSize && size != want) {
        set_error(SDK_ERR_INVALID_ARGUMENT, "%s: %s '%s' has %zu %s, got %zu", fn, output ? "output" : "input", x.name,
                  want, check == kElements ? "elements" : "bytes", size);
        return io;
    }
    if (check != kNoSize && !data && size) {
        null_arg(fn, "data");
        return io;
    }
    io.x = &x;
    io.mem = s->tensor_data[t];
    return io;
}

// Float -> the quantized dtype: round half to even (as QuantizeLinear and the converter's
// numpy reference, np.rint), saturate; NaN becomes the zero point (real 0). nearbyintf is a
// single instruction on arm64 (no libm import) and rounds half to even in the default mode.
int32_t quantize(float x, Affine a, float lo, float hi) {
    float v = nearbyintf(x / a.scale) + static_cast<float>(a.zp);
    if (v != v) v = static_cast<float>(a.zp);
    if (v <= lo) return static_cast<int32_t>(lo);
    if (v >= hi) return hi >= 2147483647.0f ? INT32_MAX : static_cast<int32_t>(hi);
    return static_cast<int32_t>(v);
}

// A size_t option field: its value when the caller's struct (struct_size bytes) covers it
// and it is not 0, else the default. Option structs only grow at the end (engine.h).
size_t option_size(const void* options, uint32_t struct_size, size_t offset, size_t fallback) {
    if (!options || struct_size < offset + sizeof(size_t)) return fallback;
    size_t v;
    memcpy(&v, static_cast<const char*>(options) + offset, sizeof v);
    return v ? v : fallback;
}

size_t model_limit(const sdk_model_options* o) {
    return option_size(o, o ? o->struct_size : 0, offsetof(sdk_model_options, max_model_bytes),
                       SDK_DEFAULT_MAX_MODEL_BYTES);
}

sdk_status bad_struct_size(const char* fn, const char* type, uint32_t size) {
    return set_error(SDK_ERR_INVALID_ARGUMENT, "%s: options->struct_size is %u; set it to sizeof(%s)", fn, size, type);
}

sdk_status create_session(const sdk_model* model, int threads, size_t limit, sdk_session** out_session,
                          const char* fn) {
    if (!out_session) return null_arg(fn, "out_session");
    *out_session = nullptr;
    if (!check_model(model, fn)) return SDK_ERR_INVALID_ARGUMENT;
    if (threads < 0) return set_error(SDK_ERR_INVALID_ARGUMENT, "%s: num_threads is %d (use 0 or more)", fn, threads);
    return sdk::session_create(M(model), threads, reinterpret_cast<sdk::Session**>(out_session), limit);
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

// (the exported functions call these, not each other: a call between exported functions
// goes through the PLT)
static sdk_status load_file(const char* path, const sdk_model_options* options, sdk_model** out_model) {
    static const char fn[] = "sdk_model_load_file";
    if (!out_model) return null_arg(fn, "out_model");
    *out_model = nullptr;
    if (options && !options->struct_size) return bad_struct_size(fn, "sdk_model_options", 0);
    const size_t limit = model_limit(options);
    if (!path) return null_arg(fn, "path");
    // open/fstat/mmap (or read)/close: no stdio
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return set_error(SDK_ERR_IO, "cannot open model file '%s'", path);
    struct stat sb;
    const uint8_t* bytes = nullptr;
    size_t size = 0, got = 0;
    sdk::Backing backing = sdk::Backing::kHeap;
    sdk_status st = SDK_OK;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 0) {
        st = set_error(SDK_ERR_IO, "model path '%s' is not a regular file", path);
    } else {
        size = static_cast<size_t>(sb.st_size);
        // Zero-copy: a read-only private mapping (page aligned, so the weights are used in
        // place); its pages are clean and shared with the page cache, so the system can drop
        // them under memory pressure instead of the app's private memory holding a copy. An
        // empty file or a failed map falls back to reading into memory.
        void* p = size ? mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
        if (p != MAP_FAILED) {
            bytes = static_cast<const uint8_t*>(p);
            backing = sdk::Backing::kMapped;
            got = size;
        } else if (static_cast<uint64_t>(sb.st_size) > limit) {  // a copy counts against the limit
            st = sdk::model_limit_error(static_cast<uint64_t>(sb.st_size), limit, "the copy of the file");
        } else if (!(bytes = static_cast<const uint8_t*>(sdk::aligned_alloc64(size)))) {
            st = set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory for the model (%zu bytes)", size);
        }
    }
    while (st == SDK_OK && got < size) {
        ssize_t r = read(fd, const_cast<uint8_t*>(bytes) + got, size - got);
        if (r <= 0) st = set_error(SDK_ERR_IO, "cannot read model file '%s'", path);
        else got += static_cast<size_t>(r);
    }
    close(fd);  // a mapping stays valid after close
    if (st != SDK_OK) {
        sdk::release_bytes(bytes, size, backing);
        return st;
    }
    st = sdk::load_model(bytes, size, backing, reinterpret_cast<sdk::Model**>(out_model), limit);  // takes bytes over
    if (st != SDK_OK) sdk::prefix_error("%s: ", path);
    return st;
}

static sdk_status load_memory(const void* data, size_t size, const sdk_model_options* options,
                              sdk_model** out_model) {
    static const char fn[] = "sdk_model_load_memory";
    if (!out_model) return null_arg(fn, "out_model");
    *out_model = nullptr;
    if (options && !options->struct_size) return bad_struct_size(fn, "sdk_model_options", 0);
    const size_t limit = model_limit(options);
    if (!data && size) return null_arg(fn, "data");
    if (size > limit) return sdk::model_limit_error(size, limit, "the copy of the file");
    uint8_t* bytes = static_cast<uint8_t*>(sdk::aligned_alloc64(size));
    if (!bytes) return set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory for the model (%zu bytes)", size);
    if (size) memcpy(bytes, data, size);
    return sdk::load_model(bytes, size, sdk::Backing::kHeap, reinterpret_cast<sdk::Model**>(out_model), limit);
}

static sdk_status load_in_place(const void* data, size_t size, const sdk_model_options* options,
                                sdk_model** out_model) {
    // The format aligns the weights to 64 bytes within the file: only a 64-byte aligned
    // buffer keeps them aligned in place; anything else is copied once by load_memory, which
    // also reports NULL arguments and a bad struct_size.
    if (!data || !out_model || reinterpret_cast<uintptr_t>(data) % sdk::kAlign != 0 ||
        (options && !options->struct_size))
        return load_memory(data, size, options, out_model);
    // the caller's bytes are not charged (they are its own, e.g. a mapping); the model's are
    return sdk::load_model(static_cast<const uint8_t*>(data), size, sdk::Backing::kBorrowed,
                           reinterpret_cast<sdk::Model**>(out_model), model_limit(options));
}

sdk_status sdk_model_load_memory_in_place(const void* data, size_t size, sdk_model** out_model) {
    return load_in_place(data, size, nullptr, out_model);
}

sdk_status sdk_model_load_memory_in_place_ex(const void* data, size_t size, const sdk_model_options* options,
                                             sdk_model** out_model) {
    return load_in_place(data, size, options, out_model);
}

sdk_status sdk_model_load_file(const char* path, sdk_model** out_model) { return load_file(path, nullptr, out_model); }

sdk_status sdk_model_load_file_ex(const char* path, const sdk_model_options* options, sdk_model** out_model) {
    return load_file(path, options, out_model);
}

sdk_status sdk_model_load_memory(const void* data, size_t size, sdk_model** out_model) {
    return load_memory(data, size, nullptr, out_model);
}

sdk_status sdk_model_load_memory_ex(const void* data, size_t size, const sdk_model_options* options,
                                    sdk_model** out_model) {
    return load_memory(data, size, options, out_model);
}

void sdk_model_free(sdk_model* model) { sdk::free_model(M(model)); }

int32_t sdk_model_input_count(const sdk_model* model) {
    return check_model(model, "sdk_model_input_count") ? M(model)->num_inputs : 0;
}

int32_t sdk_model_output_count(const sdk_model* model) {
    return check_model(model, "sdk_model_output_count") ? M(model)->num_outputs : 0;
}

sdk_status sdk_model_input_info(const sdk_model* model, int32_t index, sdk_tensor_info* out_info) {
    return model_info(model, false, index, out_info, "sdk_model_input_info");
}

sdk_status sdk_model_output_info(const sdk_model* model, int32_t index, sdk_tensor_info* out_info) {
    return model_info(model, true, index, out_info, "sdk_model_output_info");
}

int32_t sdk_model_find_input(const sdk_model* model, const char* name) {
    return find_named(model, false, name, "sdk_model_find_input");
}

int32_t sdk_model_find_output(const sdk_model* model, const char* name) {
    return find_named(model, true, name, "sdk_model_find_output");
}

sdk_status sdk_model_memory_info(const sdk_model* model, sdk_memory_info* out_info) {
    static const char fn[] = "sdk_model_memory_info";
    if (!check_model(model, fn)) return SDK_ERR_INVALID_ARGUMENT;
    if (!out_info) return null_arg(fn, "out_info");
    const sdk::Model* m = M(model);
    out_info->weights_bytes = m->weights_bytes;
    out_info->arena_bytes = m->arena_bytes;
    out_info->arena_lower_bound = m->arena_lower_bound;
    out_info->naive_bytes = m->naive_bytes;
    out_info->packed_weights_bytes = m->packed_bytes;
    return SDK_OK;
}

sdk_status sdk_session_create(const sdk_model* model, const sdk_session_options* options, sdk_session** out_session) {
    return create_session(model, options ? options->num_threads : 1, SDK_DEFAULT_MAX_SESSION_BYTES, out_session,
                          "sdk_session_create");
}

sdk_status sdk_session_create_ex(const sdk_model* model, const sdk_session_options_ex* options,
                                 sdk_session** out_session) {
    static const char fn[] = "sdk_session_create_ex";
    if (options && options->struct_size < offsetof(sdk_session_options_ex, num_threads) + sizeof(int32_t)) {
        if (out_session) *out_session = nullptr;
        return bad_struct_size(fn, "sdk_session_options_ex", options->struct_size);
    }
    return create_session(model, options ? options->num_threads : 1,
                          option_size(options, options ? options->struct_size : 0,
                                      offsetof(sdk_session_options_ex, max_session_bytes),
                                      SDK_DEFAULT_MAX_SESSION_BYTES),
                          out_session, fn);
}

void sdk_session_free(sdk_session* session) {
    if (session && !sdk::session_enter(S(session), "sdk_session_free")) return;  // in use: leak, never pull it away
    sdk::session_free(S(session));
}

sdk_status sdk_session_set_input(sdk_session* session, int32_t index, const void* data, size_t size) {
    sdk::SessionUse use(session, "sdk_session_set_input");
    if (use.busy) return SDK_ERR_STATE;
    IO io = session_io(session, false, index, data, size, kBytes, "sdk_session_set_input");
    if (!io.x) return io.status;
    if (size) memcpy(io.mem, data, size);
    S(session)->input_set[index] = 1;
    return SDK_OK;
}

sdk_status sdk_session_set_input_f32(sdk_session* session, int32_t index, const float* data, size_t count) {
    static const char fn[] = "sdk_session_set_input_f32";
    sdk::SessionUse use(session, fn);
    if (use.busy) return SDK_ERR_STATE;
    IO io = session_io(session, false, index, data, count, kElements, fn);
    if (!io.x) return io.status;
    const sdk::DType dt = io.x->dtype;
    if (dt == sdk::DType::I64 || dt == sdk::DType::BOOL)
        return set_error(SDK_ERR_INVALID_ARGUMENT,
                         "%s: input '%.64s' holds %s values, not numbers to convert from float: pass them with "
                         "sdk_session_set_input (int64_t or one byte 0/1 per element)",
                         fn, io.x->name, dt == sdk::DType::I64 ? "int64" : "bool");
    S(session)->input_set[index] = 1;
    if (dt == sdk::DType::F32) {
        if (count) memcpy(io.mem, data, count * 4);
        return SDK_OK;
    }
    if (dt == sdk::DType::F16) {
        for (size_t i = 0; i < count; ++i) static_cast<uint16_t*>(io.mem)[i] = sdk::float_to_half(data[i]);
        return SDK_OK;
    }
    Affine a = io_affine(*io.x);
    if (a.scale == 0.0f) a.scale = 1.0f;  // an integer input without quantization: plain conversion
    const float lo = dt == sdk::DType::I8 ? -128.0f : (dt == sdk::DType::U8 ? 0.0f : -2147483648.0f);
    const float hi = dt == sdk::DType::I8 ? 127.0f : (dt == sdk::DType::U8 ? 255.0f : 2147483647.0f);
    for (size_t i = 0; i < count; ++i) {
        const int32_t q = quantize(data[i], a, lo, hi);
        if (dt == sdk::DType::I32) static_cast<int32_t*>(io.mem)[i] = q;
        else static_cast<uint8_t*>(io.mem)[i] = static_cast<uint8_t>(q);  // int8 and uint8: the low byte
    }
    return SDK_OK;
}

sdk_status sdk_session_input_buffer(sdk_session* session, int32_t index, void** out_data, size_t* out_size) {
    static const char fn[] = "sdk_session_input_buffer";
    sdk::SessionUse use(session, fn);
    if (use.busy) return SDK_ERR_STATE;
    IO io = session_io(session, false, index, nullptr, 0, kNoSize, fn);
    if (!io.x) return io.status;
    if (!out_data || !out_size) return null_arg(fn, "out_data or out_size");
    *out_data = io.mem;
    *out_size = io.x->bytes;
    S(session)->input_set[index] = 1;  // the caller writes it through the pointer
    return SDK_OK;
}

sdk_status sdk_session_run(sdk_session* session) {
    sdk::SessionUse use(session, "sdk_session_run");
    if (use.busy) return SDK_ERR_STATE;
    if (!check_session(session, "sdk_session_run")) return SDK_ERR_INVALID_ARGUMENT;
    return sdk::session_run(S(session));
}

sdk_status sdk_session_get_output(sdk_session* session, int32_t index, void* data, size_t size) {
    sdk::SessionUse use(session, "sdk_session_get_output");
    if (use.busy) return SDK_ERR_STATE;
    IO io = session_io(session, true, index, data, size, kBytes, "sdk_session_get_output");
    if (!io.x) return io.status;
    if (size) memcpy(data, io.mem, size);
    return SDK_OK;
}

sdk_status sdk_session_get_output_f32(sdk_session* session, int32_t index, float* data, size_t count) {
    sdk::SessionUse use(session, "sdk_session_get_output_f32");
    if (use.busy) return SDK_ERR_STATE;
    IO io = session_io(session, true, index, data, count, kElements, "sdk_session_get_output_f32");
    if (!io.x) return io.status;
    Affine a = io_affine(*io.x);
    if (a.scale == 0.0f) a.scale = 1.0f;
    for (size_t i = 0; i < count; ++i) {
        int64_t q = 0;
        switch (io.x->dtype) {
            case sdk::DType::F32: data[i] = static_cast<const float*>(io.mem)[i]; continue;
            case sdk::DType::F16: data[i] = sdk::half_to_float(static_cast<const uint16_t*>(io.mem)[i]); continue;
            case sdk::DType::I8: q = static_cast<const int8_t*>(io.mem)[i]; break;
            case sdk::DType::U8:
            case sdk::DType::BOOL: q = static_cast<const uint8_t*>(io.mem)[i]; break;
            case sdk::DType::I32: q = static_cast<const int32_t*>(io.mem)[i]; break;
            case sdk::DType::I64: q = static_cast<const int64_t*>(io.mem)[i]; break;
        }
        data[i] = a.scale * static_cast<float>(q - a.zp);
    }
    return SDK_OK;
}

sdk_status sdk_session_output_buffer(sdk_session* session, int32_t index, const void** out_data, size_t* out_size) {
    static const char fn[] = "sdk_session_output_buffer";
    sdk::SessionUse use(session, fn);
    if (use.busy) return SDK_ERR_STATE;
    IO io = session_io(session, true, index, nullptr, 0, kNoSize, fn);
    if (!io.x) return io.status;
    if (!out_data || !out_size) return null_arg(fn, "out_data or out_size");
    *out_data = io.mem;
    *out_size = io.x->bytes;
    return SDK_OK;
}

}  // extern "C"
