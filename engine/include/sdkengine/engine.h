/*
 * sdkengine public C API.
 *
 * Everything an application, a binding (JNI, Objective-C) or a test touches goes
 * through this header: opaque handles, status codes and plain C types only.
 * The library exports exactly these symbols (plus JNI_OnLoad when the JNI glue is
 * linked in); everything else is hidden.
 *
 * Threading: a sdk_model is immutable after loading and may be shared by any number of
 * sessions on any threads. A sdk_session is single-threaded: use one session per thread
 * (sessions share the model's read-only weights, so extra sessions cost only their
 * arena). A session may move between threads, but a call on a session while another
 * thread is inside a call on the same session is refused with SDK_ERR_STATE ("the session
 * is in use on another thread"), never run on shared buffers; sdk_session_free on such a
 * session frees nothing (the last error says so). The check covers calls only: memory from
 * sdk_session_input_buffer/output_buffer belongs to the session, so read and write it from
 * the thread that uses the session. sdk_last_error() is per thread.
 *
 * Memory: a model file is small but may ask for much memory (a 768-byte file can plan a
 * 4 GiB arena). Loading and session creation check what they will hold against a limit
 * (sdk_model_options.max_model_bytes, sdk_session_options_ex.max_session_bytes; defaults
 * below) before allocating it, and fail with SDK_ERR_OUT_OF_MEMORY naming the figure,
 * the limit and the option.
 *
 * The *_ex option structs grow at the end only. The engine reads the fields that lie inside
 * `struct_size` bytes and gives every other field its default, so code built against an
 * older header keeps working: zero the struct, set struct_size = sizeof(the struct), then
 * the fields you need (0 in a field = its default). A struct_size too small for the
 * first field after it is SDK_ERR_INVALID_ARGUMENT.
 */
#ifndef SDKENGINE_ENGINE_H
#define SDKENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define SDK_API __declspec(dllexport)
#else
#define SDK_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sdk_status {
    SDK_OK = 0,
    SDK_ERR_INVALID_ARGUMENT = 1, /* a NULL handle, an index out of range, a wrong size */
    SDK_ERR_IO = 2,               /* the model file could not be opened or read */
    SDK_ERR_BAD_MODEL = 3,        /* not a valid .sdkm file: truncated, corrupted, inconsistent */
    SDK_ERR_UNSUPPORTED = 4,      /* the model needs an op, dtype or feature this build lacks */
    SDK_ERR_OUT_OF_MEMORY = 5,
    SDK_ERR_STATE = 6,            /* e.g. reading outputs before sdk_session_run succeeded */
    SDK_ERR_INTERNAL = 7
} sdk_status;

typedef enum sdk_dtype {
    SDK_DTYPE_F32 = 1,
    SDK_DTYPE_I8 = 2,
    SDK_DTYPE_I32 = 3,
    SDK_DTYPE_U8 = 4,
    SDK_DTYPE_I64 = 5,
    SDK_DTYPE_BOOL = 6, /* one byte, 0 or 1 */
    SDK_DTYPE_F16 = 7,  /* IEEE half precision */
    /* Storage types (engine builds with the `storage` option, which sdkbuild turns on only
     * when a model has such tensors; a build without it refuses a model using them with
     * SDK_ERR_BAD_MODEL "unknown dtype N"). The engine holds and converts them (Cast, ONNX semantics) but
     * computes with wider types. Sub-byte types are packed as ONNX packs them: element 0 in
     * the lowest bits of byte 0; byte_size = ceil(count * bits / 8). The _f32 convenience
     * calls refuse them (SDK_ERR_INVALID_ARGUMENT): pass the raw bytes. */
    SDK_DTYPE_I16 = 8,
    SDK_DTYPE_U16 = 9,
    SDK_DTYPE_U32 = 10,
    SDK_DTYPE_U64 = 11,
    SDK_DTYPE_BF16 = 12,          /* bfloat16 */
    SDK_DTYPE_F8E4M3FN = 13,      /* float8: 4 exponent bits, 3 mantissa bits, no Inf, NaN 0x7f/0xff */
    SDK_DTYPE_F8E4M3FNUZ = 14,    /* as E4M3FN, bias 8, one NaN (0x80), no -0 */
    SDK_DTYPE_F8E5M2 = 15,        /* IEEE-like: Inf and NaN */
    SDK_DTYPE_F8E5M2FNUZ = 16,    /* bias 16, one NaN (0x80), no Inf, no -0 */
    SDK_DTYPE_F8E8M0 = 17,        /* power of two 2^(code - 127), NaN 0xff (microscaling scales) */
    SDK_DTYPE_F4E2M1 = 18,        /* float4, two per byte */
    SDK_DTYPE_I4 = 19,            /* two per byte */
    SDK_DTYPE_U4 = 20,
    SDK_DTYPE_I2 = 21,            /* four per byte */
    SDK_DTYPE_U2 = 22
} sdk_dtype;

#define SDK_MAX_RANK 6

typedef struct sdk_model sdk_model;
typedef struct sdk_session sdk_session;

/* Description of a graph input or output. `name` points into the model and lives as
 * long as the model. For int8 tensors `scale`/`zero_point` give real = scale * (q - zp);
 * for float tensors scale is 0 and zero_point 0. */
typedef struct sdk_tensor_info {
    const char *name;
    int32_t dtype; /* sdk_dtype */
    int32_t rank;
    int32_t dims[SDK_MAX_RANK];
    size_t byte_size;
    float scale;
    int32_t zero_point;
} sdk_tensor_info;

/* Memory figures of a model, in bytes. */
typedef struct sdk_memory_info {
    size_t weights_bytes;       /* read-only constants, shared by all sessions */
    size_t arena_bytes;         /* planned activation arena of one session */
    size_t arena_lower_bound;   /* largest set of tensors live at any one step */
    size_t naive_bytes;         /* sum of all activation tensors (no reuse) */
    size_t packed_weights_bytes;/* weights repacked at load for the chosen kernels */
} sdk_memory_info;

/* Defaults of the memory limits (0 in an option field selects them; SIZE_MAX = no limit). */
#define SDK_DEFAULT_MAX_MODEL_BYTES ((size_t)1 << 30)   /* 1 GiB */
#define SDK_DEFAULT_MAX_SESSION_BYTES ((size_t)1 << 30) /* 1 GiB */

typedef struct sdk_session_options {
    int32_t num_threads; /* 0 or 1 = run on the calling thread only; more: num_threads - 1 worker
                          * threads, started by the session's first run that has parallel work */
} sdk_session_options;

/* sdk_session_create_ex's options: sdk_session_options plus the memory limit, growable. */
typedef struct sdk_session_options_ex {
    uint32_t struct_size;     /* sizeof(sdk_session_options_ex) */
    int32_t num_threads;      /* as in sdk_session_options */
    size_t max_session_bytes; /* limit on the session's own memory: activation arena, scratch and
                               * per-thread scratch; 0 = SDK_DEFAULT_MAX_SESSION_BYTES */
} sdk_session_options_ex;

typedef struct sdk_model_options {
    uint32_t struct_size;   /* sizeof(sdk_model_options) */
    size_t max_model_bytes; /* limit on what the loaded model holds: the copy of the file, its
                             * tables and the weights packed at load; 0 = SDK_DEFAULT_MAX_MODEL_BYTES */
} sdk_model_options;

/* ---- library ------------------------------------------------------------------- */

/* "MAJOR.MINOR.PATCH" of the engine. */
SDK_API const char *sdk_version(void);

/* JSON object describing this build: {"version":..,"ops":[..],"features":[..],
 * "isa":..}. Static string, never freed. */
SDK_API const char *sdk_build_info(void);

/* Message of the last failed call on this thread ("" if none). Valid until the next
 * failing call on the same thread. */
SDK_API const char *sdk_last_error(void);

/* Human-readable name of a status code. */
SDK_API const char *sdk_status_string(sdk_status status);

/* ---- models -------------------------------------------------------------------- */

/* Loads a .sdkm file without copying it: the file is mapped read-only and its weights are
 * used in place (the mapping's pages are clean file pages the system may drop and re-read,
 * not the app's private memory). Do not modify or truncate the file while the model is
 * loaded. Where mapping fails the file is read into memory instead. */
SDK_API sdk_status sdk_model_load_file(const char *path, sdk_model **out_model);

/* Loads from memory. The bytes are copied, so the caller may free them on return. */
SDK_API sdk_status sdk_model_load_memory(const void *data, size_t size, sdk_model **out_model);

/* sdk_model_load_file and sdk_model_load_memory with options (NULL = defaults): a model that would hold more than
 * max_model_bytes fails with SDK_ERR_OUT_OF_MEMORY before that memory is allocated
 * (a mapped file's pages do not count: they are the system's clean, droppable file pages). */
SDK_API sdk_status sdk_model_load_file_ex(const char *path, const sdk_model_options *options,
                                          sdk_model **out_model);
SDK_API sdk_status sdk_model_load_memory_ex(const void *data, size_t size, const sdk_model_options *options,
                                            sdk_model **out_model);
/* Loads from memory without copying when `data` is 64-byte aligned (e.g. a mapped file or
 * asset: mappings are page aligned): the model then reads its weights from `data`, which
 * must stay valid and unchanged until sdk_model_free. Unaligned data is copied, as by
 * sdk_model_load_memory (the caller may then free it on return); errors are reported as
 * sdk_model_load_memory's. With options (NULL = defaults), the limit covers what the model
 * allocates (its tables, packed weights, and the copy of unaligned data), not the caller's
 * `data` used in place. */
SDK_API sdk_status sdk_model_load_memory_in_place_ex(const void *data, size_t size, const sdk_model_options *options,
                                                     sdk_model **out_model);
/* The same with the default options (inline: one exported entry point less). */
static inline sdk_status sdk_model_load_memory_in_place(const void *data, size_t size, sdk_model **out_model) {
    return sdk_model_load_memory_in_place_ex(data, size, NULL, out_model);
}

/* Frees a model. Sessions created from it must be freed first. NULL is a no-op. */
SDK_API void sdk_model_free(sdk_model *model);

SDK_API int32_t sdk_model_input_count(const sdk_model *model);
SDK_API int32_t sdk_model_output_count(const sdk_model *model);
SDK_API sdk_status sdk_model_input_info(const sdk_model *model, int32_t index, sdk_tensor_info *out_info);
SDK_API sdk_status sdk_model_output_info(const sdk_model *model, int32_t index, sdk_tensor_info *out_info);
/* Index of the input/output called `name`, or -1 (with sdk_last_error set). */
SDK_API int32_t sdk_model_find_input(const sdk_model *model, const char *name);
SDK_API int32_t sdk_model_find_output(const sdk_model *model, const char *name);
SDK_API sdk_status sdk_model_memory_info(const sdk_model *model, sdk_memory_info *out_info);

/* ---- sessions ------------------------------------------------------------------ */

/* options may be NULL for defaults (one thread). The session's memory limit is
 * SDK_DEFAULT_MAX_SESSION_BYTES: a session that would need more fails with
 * SDK_ERR_OUT_OF_MEMORY before anything is allocated (sdk_session_create_ex sets it). */
SDK_API sdk_status sdk_session_create(const sdk_model *model, const sdk_session_options *options,
                                      sdk_session **out_session);
SDK_API sdk_status sdk_session_create_ex(const sdk_model *model, const sdk_session_options_ex *options,
                                         sdk_session **out_session);
/* Frees a session. NULL is a no-op; a session inside a call on another thread is not freed
 * (see Threading above). */
SDK_API void sdk_session_free(sdk_session *session);

/* Copies `size` bytes into input `index`; size must equal the input's byte_size and the
 * data must be of the input's dtype. */
SDK_API sdk_status sdk_session_set_input(sdk_session *session, int32_t index, const void *data, size_t size);

/* Float convenience: converts float data to the input's dtype (f16: rounded to nearest
 * even; int8/uint8/int32: quantized with its scale/zero point, or rounded when it has none).
 * int64 and bool inputs are refused (SDK_ERR_INVALID_ARGUMENT): pass them with
 * sdk_session_set_input. count is in elements. */
SDK_API sdk_status sdk_session_set_input_f32(sdk_session *session, int32_t index, const float *data, size_t count);

/* Pointer to the session's buffer for input `index` (byte_size bytes), for zero-copy
 * writes. The pointer stays valid until the session is freed, but a run reuses the memory:
 * call this again (and write the data) before each run. */
SDK_API sdk_status sdk_session_input_buffer(sdk_session *session, int32_t index, void **out_data, size_t *out_size);

/* Runs the model. A run consumes its inputs: their memory is reused for activations once
 * they have been read (keeping the arena small), so every input must be set again
 * (sdk_session_set_input*, or sdk_session_input_buffer and a write) before the next run;
 * otherwise this returns SDK_ERR_STATE naming the input. */
SDK_API sdk_status sdk_session_run(sdk_session *session);

/* Copies output `index` (after a successful run); size must equal its byte_size. */
SDK_API sdk_status sdk_session_get_output(sdk_session *session, int32_t index, void *data, size_t size);

/* Output as float (dequantized when int8; f16, integers and bool converted). count is in
 * elements. */
SDK_API sdk_status sdk_session_get_output_f32(sdk_session *session, int32_t index, float *data, size_t count);

/* Read-only pointer to output `index` inside the session (zero-copy), valid until the
 * next sdk_session_run or sdk_session_free. */
SDK_API sdk_status sdk_session_output_buffer(sdk_session *session, int32_t index, const void **out_data,
                                             size_t *out_size);

#ifdef __cplusplus
}
#endif

#endif /* SDKENGINE_ENGINE_H */
