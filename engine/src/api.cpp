// The public C API (engine.h): argument checks and conversions around the core.
//
// Size: the exported functions are thin: each passes its arguments on, in the registers they
// arrived in, plus a constant naming the call, to one shared implementation per family
// (loading, model queries, session calls), so the checks and messages exist once.
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

// The calls that share an implementation, named in their messages: one string of names (less
// their "sdk_", which the formats hold) and their offsets (no pointer table: no relocations;
// no fixed-width padding).
#define SDK_FUNCTIONS(X)                                                                         \
    X(kLoadFile, "model_load_file")                                                              \
    X(kLoadMemory, "model_load_memory")                                                          \
    X(kInputCount, "model_input_count")                                                          \
    X(kOutputCount, "model_output_count")                                                        \
    X(kInputInfo, "model_input_info")                                                            \
    X(kOutputInfo, "model_output_info")                                                          \
    X(kFindInput, "model_find_input")                                                            \
    X(kFindOutput, "model_find_output")                                                          \
    X(kMemoryInfo, "model_memory_info")                                                          \
    X(kCreate, "session_create")                                                                 \
    X(kCreateEx, "session_create_ex")                                                            \
    /* the session calls, in this order (session_io: kGetOutput and after read outputs) */      \
    X(kSetInput, "session_set_input")                                                            \
    X(kSetInputF32, "session_set_input_f32")                                                     \
    X(kInputBuffer, "session_input_buffer")                                                      \
    X(kGetOutput, "session_get_output")                                                          \
    X(kGetOutputF32, "session_get_output_f32")                                                   \
    X(kOutputBuffer, "session_output_buffer")                                                    \
    X(kRun, "session_run")
#define SDK_ENUM(id, name) id,
enum Fn { SDK_FUNCTIONS(SDK_ENUM) };
#undef SDK_ENUM
#define SDK_NAME(id, name) name "\0"
const char kNames[] = SDK_FUNCTIONS(SDK_NAME);
#undef SDK_NAME
struct NameOffsets {
    uint16_t at[kRun + 1];
    constexpr NameOffsets() : at() {
        const char* names[] = {
#define SDK_STR(id, name) name,
            SDK_FUNCTIONS(SDK_STR)
#undef SDK_STR
        };
        uint16_t pos = 0;
        for (int i = 0; i <= kRun; ++i) {
            at[i] = pos;
            for (const char* c = names[i]; *c; ++c) ++pos;
            ++pos;
        }
    }
};
constexpr NameOffsets kNameAt;
inline const char* fn_name(Fn id) { return kNames + kNameAt.at[id]; }

// The scale and zero point of a graph input/output (per tensor); scale 0 for float tensors.
struct Affine {
    float scale;
    int32_t zp;
};

Affine io_affine(const sdk::Tensor& x) {
    if (x.quant && x.quant->count >= 1) return Affine{x.quant->scales[0], x.quant->zero_points[0]};
    return Affine{0.0f, 0};
}

// One message shape for every NULL argument: "sdk_<function>: <argument> is NULL".
sdk_status null_arg(const char* fn, const char* what) {
    return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_%s: %s is NULL", fn, what);
}

// The tensor of graph input (output = false) or output `index`, or -1 with the error set.
int32_t io_tensor(const sdk::Model* m, bool output, int32_t index, const char* fn) {
    const int32_t n = output ? m->num_outputs : m->num_inputs;
    const char* what = output ? "output" : "input";
    if (index < 0 || index >= n) {
        set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_%s: %s index %d out of range (model has %d %ss)", fn, what, index, n,
                  what);
        return -1;
    }
    return (output ? m->outputs : m->inputs)[index];
}

// ---- loading

// A size_t option field: its value when the caller's struct (struct_size bytes) covers it
// and it is not 0, else the default. Option structs only grow at the end (engine.h).
size_t option_size(const void* options, uint32_t struct_size, size_t offset, size_t fallback) {
    if (!options || struct_size < offset + sizeof(size_t)) return fallback;
    size_t v;
    memcpy(&v, static_cast<const char*>(options) + offset, sizeof v);
    return v ? v : fallback;
}

sdk_status bad_struct_size(const char* fn, const char* type, uint32_t size) {
    return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_%s: struct_size is %u; set it to sizeof(sdk_%s)", fn, size, type);
}

// The size of the regular file open as `fd`, or -1. A function of its own: its struct stat
// is the one buffer of the file path that needs a stack-protector canary.
__attribute__((noinline)) int64_t regular_file_size(int fd) {
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 0) return -1;
    return sb.st_size;
}

#if SDK_FEATURE_OPS
constexpr size_t kMapShift = 64 * 1024;  // see the model file's mapping in load()
#endif

// The heap copy of a model (64-byte aligned), charged to the model's limit first; nullptr
// with the error set (SDK_ERR_OUT_OF_MEMORY either way).
uint8_t* heap_copy(size_t size, size_t limit) {
    if (size > limit) {
        sdk::model_limit_error(size, limit, "the copy of the file");
        return nullptr;
    }
    void* p = sdk::aligned_alloc64(size);
    if (!p) set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory for the model (%zu bytes)", size);
    return static_cast<uint8_t*>(p);
}

// sdk_model_load_file(_ex) (src: the path), sdk_model_load_memory(_ex) (src, size: the
// bytes, copied) and sdk_model_load_memory_in_place_ex (in_place: the bytes used in place;
// its errors are sdk_model_load_memory's, as engine.h says).
sdk_status load(const void* src, size_t size, const sdk_model_options* options, sdk_model** out_model, Fn id,
                bool in_place = false) {
    const char* fn = fn_name(id);
    if (!out_model) return null_arg(fn, "out_model");
    *out_model = nullptr;
    if (options && !options->struct_size) return bad_struct_size(fn, "model_options", 0);
    const size_t limit = option_size(options, options ? options->struct_size : 0,
                                     offsetof(sdk_model_options, max_model_bytes), SDK_DEFAULT_MAX_MODEL_BYTES);
    const char* path = static_cast<const char*>(src);
    uint8_t* bytes;
    sdk::Backing backing = sdk::Backing::kHeap;
    int fd = -1;  // the model file: open until the model is loaded (see the remap below)
    if (id != kLoadFile) {
        if (!src && size) return null_arg(fn, "data");
        // In place (the caller's bytes, not charged: they are its own, e.g. a mapping) only when
        // 64-byte aligned, as the format's weights need; anything else is copied once.
        if (in_place && src && reinterpret_cast<uintptr_t>(src) % sdk::kAlign == 0) {
            bytes = static_cast<uint8_t*>(const_cast<void*>(src));
            backing = sdk::Backing::kBorrowed;
        } else {
            if (!(bytes = heap_copy(size, limit))) return SDK_ERR_OUT_OF_MEMORY;
            if (size) memcpy(bytes, src, size);
        }
    } else {
        if (!path) return null_arg(fn, "path");
        // open/fstat/mmap (or read)/close: no stdio
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return set_error(SDK_ERR_IO, "cannot open model file '%s'", path);
        const int64_t fsize = regular_file_size(fd);
        size = static_cast<size_t>(fsize);
        // Zero-copy: a read-only private mapping (page aligned, so the weights are used in
        // place); its pages are clean and shared with the page cache, so the system can drop
        // them under memory pressure instead of the app's private memory holding a copy. An
        // empty file or a failed map falls back to reading into memory.
#if SDK_FEATURE_OPS
        // ... at an address 64 KiB past where the kernel would put it (a 2 MiB boundary for a
        // file of 2 MiB or more). The page cache holds a file in large folios (up to 2 MiB on
        // ext4) and a fault maps a whole folio that lies in one page table: reading one bias
        // would make 2 MiB of the file resident, one row of an embedding table (Gather) 2 MiB.
        // A folio that straddles page tables is mapped by fault-around (64 KiB) instead.
        // 64 KiB: a multiple of any page size. The file is mapped 64 KiB longer, then again
        // 64 KiB further on over that mapping, whose head is unmapped.
        void* p = MAP_FAILED;
        if (fsize > 0 && size <= SIZE_MAX - kMapShift &&
            (p = mmap(nullptr, size + kMapShift, PROT_READ, MAP_PRIVATE, fd, 0)) != MAP_FAILED) {
            void* q = mmap(static_cast<uint8_t*>(p) + kMapShift, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
            munmap(p, q == MAP_FAILED ? size + kMapShift : kMapShift);
            p = q;
        }
#else
        void* p = fsize > 0 ? mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
#endif
        sdk_status st = SDK_OK;
        bytes = nullptr;
        if (fsize < 0) {
            st = set_error(SDK_ERR_IO, "model path '%s' is not a regular file", path);
        } else if (p != MAP_FAILED) {
            bytes = static_cast<uint8_t*>(p);
            backing = sdk::Backing::kMapped;
        } else if (!(bytes = heap_copy(size, limit))) {
            st = SDK_ERR_OUT_OF_MEMORY;
        }
        for (size_t got = 0; st == SDK_OK && backing == sdk::Backing::kHeap && got < size;) {
            const ssize_t r = read(fd, bytes + got, size - got);
            if (r <= 0) st = set_error(SDK_ERR_IO, "cannot read model file '%s'", path);
            else got += static_cast<size_t>(r);
        }
        if (st != SDK_OK) {
            close(fd);
            sdk::release_bytes(bytes, size, backing);
            return st;
        }
    }
    sdk_status st = sdk::load_model(bytes, size, backing, reinterpret_cast<sdk::Model**>(out_model), limit);
    if (id == kLoadFile) {
#if SDK_FEATURE_OPS  // (an engine without ops prepares nothing: it has no pages to give back)
        // The CRC check read every page of the mapped file and the ops read what they pack,
        // so the whole file is resident now. The same file mapped again over the same range
        // (MAP_FIXED; mmap, not madvise: no further import) has no page in the process: runs
        // fault back in, from the page cache, only the weights they use in place; the sources
        // of packed copies (all int8 conv/gemm weights) and the tables stay out of the app's
        // RSS. A failed remap may leave a hole where the file was: the model is freed and
        // the load fails, rather than read it.
        if (st == SDK_OK && backing == sdk::Backing::kMapped &&
            mmap(bytes, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED) {
            sdk::free_model(reinterpret_cast<sdk::Model*>(*out_model));
            *out_model = nullptr;
            st = set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory loading the model");  // (the loader's string)
        }
#endif
        close(fd);  // a mapping stays valid after close
        if (st != SDK_OK) sdk::prefix_error("%s: ", path);  // (load_model took the bytes over)
    }
    return st;
}

// ---- model queries

bool check_model(const sdk_model* model, const char* fn) {
    if (model) return true;
    null_arg(fn, "model");
    return false;
}

__attribute__((noinline)) int32_t io_count(const sdk_model* model, Fn id) {
    if (!check_model(model, fn_name(id))) return 0;
    return id == kOutputCount ? M(model)->num_outputs : M(model)->num_inputs;
}

sdk_status model_info(const sdk_model* model, int32_t index, sdk_tensor_info* info, Fn id) {
    const char* fn = fn_name(id);
    if (!check_model(model, fn)) return SDK_ERR_INVALID_ARGUMENT;
    if (!info) return null_arg(fn, "out_info");
    const int32_t t = io_tensor(M(model), id == kOutputInfo, index, fn);
    if (t < 0) return SDK_ERR_INVALID_ARGUMENT;
    const sdk::Tensor& x = M(model)->tensors[t];
    memset(info, 0, sizeof *info);
    info->name = x.name;
    info->dtype = static_cast<int32_t>(x.dtype);
    info->rank = x.shape.rank;
    static_assert(sizeof info->dims == sizeof x.shape.dims, "dims");
    memcpy(info->dims, x.shape.dims, sizeof info->dims);
    info->byte_size = x.bytes;
    const Affine a = io_affine(x);
    info->scale = a.scale;
    info->zero_point = a.zp;
    return SDK_OK;
}

int32_t find_named(const sdk_model* model, const char* name, Fn id) {
    const char* fn = fn_name(id);
    const bool output = id == kFindOutput;
    if (!check_model(model, fn)) return -1;
    if (!name) return null_arg(fn, "name"), -1;
    const sdk::Model* m = M(model);
    const int32_t* list = output ? m->outputs : m->inputs;
    const int32_t n = output ? m->num_outputs : m->num_inputs;
    for (int32_t i = 0; i < n; ++i)
        if (sdk::str_eq(m->tensors[list[i]].name, name)) return i;
    set_error(SDK_ERR_INVALID_ARGUMENT, "model has no %s named '%.64s' (it has: ", output ? "output" : "input", name);
    for (int32_t i = 0; i < n; ++i) sdk::append_error(i ? ", '" : "'", m->tensors[list[i]].name, "'");
    sdk::append_error(")", "", "");
    return -1;
}

// ---- sessions

// sdk_session_create (options: sdk_session_options) and sdk_session_create_ex (options:
// sdk_session_options_ex; id kCreateEx). NULL options: one thread, the default limit.
sdk_status create(const sdk_model* model, const void* options, sdk_session** out_session, Fn id) {
    const char* fn = fn_name(id);
    int threads = 1;
    size_t limit = SDK_DEFAULT_MAX_SESSION_BYTES;
    if (options && id == kCreateEx) {
        const auto* o = static_cast<const sdk_session_options_ex*>(options);
        if (o->struct_size < offsetof(sdk_session_options_ex, num_threads) + sizeof(int32_t)) {
            if (out_session) *out_session = nullptr;
            return bad_struct_size(fn, "session_options_ex", o->struct_size);
        }
        threads = o->num_threads;
        limit = option_size(o, o->struct_size, offsetof(sdk_session_options_ex, max_session_bytes), limit);
    } else if (options) {
        threads = static_cast<const sdk_session_options*>(options)->num_threads;
    }
    if (!out_session) return null_arg(fn, "out_session");
    *out_session = nullptr;
    if (!check_model(model, fn)) return SDK_ERR_INVALID_ARGUMENT;
    if (threads < 0) return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_%s: num_threads is %d (use 0 or more)", fn, threads);
    return sdk::session_create(M(model), threads, reinterpret_cast<sdk::Session**>(out_session), limit);
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

// sdk_session_set_input_f32's conversion into input x's memory.
sdk_status set_f32(const sdk::Tensor& x, void* mem, const float* data, size_t count, const char* fn) {
    const sdk::DType dt = x.dtype;
    if (dt == sdk::DType::I64 || dt == sdk::DType::BOOL)
        return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_%s: input '%.64s' is %s, not float: set it with sdk_session_set_input",
                         fn, x.name, dt == sdk::DType::I64 ? "int64" : "bool");
    if (dt == sdk::DType::F32) {
        if (count) memcpy(mem, data, count * 4);
        return SDK_OK;
    }
    if (dt == sdk::DType::F16) {
        for (size_t i = 0; i < count; ++i) static_cast<uint16_t*>(mem)[i] = sdk::float_to_half(data[i]);
        return SDK_OK;
    }
    Affine a = io_affine(x);
    if (a.scale == 0.0f) a.scale = 1.0f;  // an integer input without quantization: plain conversion
    const float lo = dt == sdk::DType::I8 ? -128.0f : (dt == sdk::DType::U8 ? 0.0f : -2147483648.0f);
    const float hi = dt == sdk::DType::I8 ? 127.0f : (dt == sdk::DType::U8 ? 255.0f : 2147483647.0f);
    for (size_t i = 0; i < count; ++i) {
        const int32_t q = quantize(data[i], a, lo, hi);
        if (dt == sdk::DType::I32) static_cast<int32_t*>(mem)[i] = q;
        else static_cast<uint8_t*>(mem)[i] = static_cast<uint8_t>(q);  // int8 and uint8: the low byte
    }
    return SDK_OK;
}

// sdk_session_get_output_f32's conversion from output x's memory.
void get_f32(const sdk::Tensor& x, const void* mem, float* data, size_t count) {
    Affine a = io_affine(x);
    if (a.scale == 0.0f) a.scale = 1.0f;
    for (size_t i = 0; i < count; ++i) {
        int64_t q = 0;
        switch (x.dtype) {
            case sdk::DType::F32: data[i] = static_cast<const float*>(mem)[i]; continue;
            case sdk::DType::F16: data[i] = sdk::half_to_float(static_cast<const uint16_t*>(mem)[i]); continue;
            case sdk::DType::I8: q = static_cast<const int8_t*>(mem)[i]; break;
            case sdk::DType::U8:
            case sdk::DType::BOOL: q = static_cast<const uint8_t*>(mem)[i]; break;
            case sdk::DType::I32: q = static_cast<const int32_t*>(mem)[i]; break;
            case sdk::DType::I64: q = static_cast<const int64_t*>(mem)[i]; break;
        }
        data[i] = a.scale * static_cast<float>(q - a.zp);
    }
}

// A session call's work, with the session held: input/output `index`, its memory, the
// caller's data and size (bytes, or elements for the _f32 calls) checked; outputs need a
// successful run first. Buffer calls: `data` is out_data and `size` out_size.
sdk_status session_io(sdk::Session* s, int32_t index, void* data, uintptr_t size, Fn id) {
    const char* fn = fn_name(id);
    if (id == kRun) return sdk::session_run(s);
    const sdk::Model* m = s->model;
    const bool output = id >= kGetOutput;
    const int32_t t = io_tensor(m, output, index, fn);
    if (t < 0) return SDK_ERR_INVALID_ARGUMENT;
    if (output && !s->has_run) return set_error(SDK_ERR_STATE, "sdk_%s: no outputs yet (call sdk_session_run first)", fn);
    const sdk::Tensor& x = m->tensors[t];
    void* mem = s->tensor_data[t];
    if (id == kInputBuffer || id == kOutputBuffer) {
        if (!data || !size) return null_arg(fn, "out_data or out_size");
        *static_cast<void**>(data) = mem;
        *reinterpret_cast<size_t*>(size) = x.bytes;
    } else {
        const bool f32 = id == kSetInputF32 || id == kGetOutputF32;
#if SDK_FEATURE_STORAGE
        if (f32 && sdk::is_storage(x.dtype))
            return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_%s: '%s' has storage dtype %d, not float: use "
                             "sdk_session_%s with its raw bytes", fn, x.name, static_cast<int>(x.dtype),
                             output ? "get_output" : "set_input");
#endif
        const size_t want = f32 ? x.bytes / sdk::dtype_size(x.dtype) : x.bytes;
        if (size != want)
            return set_error(SDK_ERR_INVALID_ARGUMENT, "sdk_%s: %s '%s' has %zu %s, got %zu", fn,
                             output ? "output" : "input", x.name, want, f32 ? "elements" : "bytes",
                             static_cast<size_t>(size));
        if (!data && size) return null_arg(fn, "data");
        if (id == kSetInputF32) {
            const sdk_status st = set_f32(x, mem, static_cast<const float*>(data), size, fn);
            if (st != SDK_OK) return st;
        } else if (id == kGetOutputF32) {
            get_f32(x, mem, static_cast<float*>(data), size);
        } else if (size) {
            memcpy(output ? data : mem, output ? mem : data, size);
        }
    }
    if (!output) s->input_set[index] = 1;  // input_buffer: the caller writes it through the pointer
    return SDK_OK;
}

// Every session call but free: the session is held (its in-use flag) for the call's duration.
sdk_status session_call(sdk_session* session, int32_t index, void* data, uintptr_t size, Fn id) {
    const char* fn = fn_name(id);
    if (!session) return null_arg(fn, "session");
    sdk::Session* s = S(session);
    if (!sdk::session_enter(s, fn)) return SDK_ERR_STATE;
    const sdk_status st = session_io(s, index, data, size, id);
    __atomic_store_n(&s->in_use, 0, __ATOMIC_RELEASE);
    return st;
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

// (the exported functions call the shared ones, not each other: a call between exported
// functions goes through the PLT)
sdk_status sdk_model_load_file(const char* path, sdk_model** out_model) {
    return load(path, 0, nullptr, out_model, kLoadFile);
}

sdk_status sdk_model_load_file_ex(const char* path, const sdk_model_options* options, sdk_model** out_model) {
    return load(path, 0, options, out_model, kLoadFile);
}

sdk_status sdk_model_load_memory(const void* data, size_t size, sdk_model** out_model) {
    return load(data, size, nullptr, out_model, kLoadMemory);
}

sdk_status sdk_model_load_memory_ex(const void* data, size_t size, const sdk_model_options* options,
                                    sdk_model** out_model) {
    return load(data, size, options, out_model, kLoadMemory);
}

sdk_status sdk_model_load_memory_in_place_ex(const void* data, size_t size, const sdk_model_options* options,
                                             sdk_model** out_model) {
    return load(data, size, options, out_model, kLoadMemory, true);
}

void sdk_model_free(sdk_model* model) { sdk::free_model(M(model)); }

int32_t sdk_model_input_count(const sdk_model* model) { return io_count(model, kInputCount); }

int32_t sdk_model_output_count(const sdk_model* model) { return io_count(model, kOutputCount); }

sdk_status sdk_model_input_info(const sdk_model* model, int32_t index, sdk_tensor_info* out_info) {
    return model_info(model, index, out_info, kInputInfo);
}

sdk_status sdk_model_output_info(const sdk_model* model, int32_t index, sdk_tensor_info* out_info) {
    return model_info(model, index, out_info, kOutputInfo);
}

int32_t sdk_model_find_input(const sdk_model* model, const char* name) { return find_named(model, name, kFindInput); }

int32_t sdk_model_find_output(const sdk_model* model, const char* name) {
    return find_named(model, name, kFindOutput);
}

sdk_status sdk_model_memory_info(const sdk_model* model, sdk_memory_info* out_info) {
    const char* fn = fn_name(kMemoryInfo);
    if (!check_model(model, fn)) return SDK_ERR_INVALID_ARGUMENT;
    if (!out_info) return null_arg(fn, "out_info");
    const sdk::Model* m = M(model);
#define SDK_SAME_PLACE(field, info_field) \
    (offsetof(sdk::Model, field) - offsetof(sdk::Model, weights_bytes) == offsetof(sdk_memory_info, info_field))
    static_assert(SDK_SAME_PLACE(arena_bytes, arena_bytes) && SDK_SAME_PLACE(arena_lower_bound, arena_lower_bound) &&
                      SDK_SAME_PLACE(naive_bytes, naive_bytes) && SDK_SAME_PLACE(packed_bytes, packed_weights_bytes) &&
                      sizeof *out_info == 5 * sizeof(size_t),
                  "Model's figures in sdk_memory_info's order");
#undef SDK_SAME_PLACE
    memcpy(out_info, &m->weights_bytes, sizeof *out_info);
    return SDK_OK;
}

sdk_status sdk_session_create(const sdk_model* model, const sdk_session_options* options, sdk_session** out_session) {
    return create(model, options, out_session, kCreate);
}

sdk_status sdk_session_create_ex(const sdk_model* model, const sdk_session_options_ex* options,
                                 sdk_session** out_session) {
    return create(model, options, out_session, kCreateEx);
}

void sdk_session_free(sdk_session* session) {
    if (session && !sdk::session_enter(S(session), "session_free")) return;  // in use: leak, never pull it away
    sdk::session_free(S(session));
}

sdk_status sdk_session_set_input(sdk_session* session, int32_t index, const void* data, size_t size) {
    return session_call(session, index, const_cast<void*>(data), size, kSetInput);
}

sdk_status sdk_session_set_input_f32(sdk_session* session, int32_t index, const float* data, size_t count) {
    return session_call(session, index, const_cast<float*>(data), count, kSetInputF32);
}

sdk_status sdk_session_input_buffer(sdk_session* session, int32_t index, void** out_data, size_t* out_size) {
    return session_call(session, index, out_data, reinterpret_cast<uintptr_t>(out_size), kInputBuffer);
}

sdk_status sdk_session_run(sdk_session* session) { return session_call(session, 0, nullptr, 0, kRun); }

sdk_status sdk_session_get_output(sdk_session* session, int32_t index, void* data, size_t size) {
    return session_call(session, index, data, size, kGetOutput);
}

sdk_status sdk_session_get_output_f32(sdk_session* session, int32_t index, float* data, size_t count) {
    return session_call(session, index, data, count, kGetOutputF32);
}

sdk_status sdk_session_output_buffer(sdk_session* session, int32_t index, const void** out_data, size_t* out_size) {
    return session_call(session, index, const_cast<void**>(out_data), reinterpret_cast<uintptr_t>(out_size),
                        kOutputBuffer);
}

}  // extern "C"
