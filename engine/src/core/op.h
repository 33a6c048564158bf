// The contract between the engine core and the ops.
//
// Each op is one file, engine/src/ops/<op>.cpp (file stem = lower-case op type, e.g.
// "globalaveragepool.cpp" for GlobalAveragePool), defining exactly one
//
//     extern const sdk::OpDef sdk_op_<stem>;
//
// The build generates the registry (src/ops_registry.cpp) from the selected op list, so
// an op that is not selected is not compiled at all. Kernels live in
// engine/src/kernels/<isa>/<op>_<dtype>[_<variant>].cpp and are compiled only when their
// op, dtype (f32, s8) and ISA (ref, neon, x86) are selected; an op file guards calls to
// optional kernels with the SDK_FEATURE_* macros below.
//
// Compile-time feature macros (0 or 1, always defined):
//   SDK_FEATURE_FP32, SDK_FEATURE_INT8, SDK_FEATURE_NEON, SDK_FEATURE_X86, SDK_FEATURE_THREADS,
//   SDK_FEATURE_DOTPROD, SDK_FEATURE_SPARSE (sparse weights: core/sparse.h, ops/sparse_op.h)
//
// How to write an op (see ops/relu.cpp for an elementwise in-place op with f32 and s8
// kernels, ops/reshape.cpp for an alias op without a run function):
//   - Define the OpDef with external linkage, type string first (select_sources.py reads
//     it to list the available ops):
//         extern const sdk::OpDef sdk_op_relu = {"Relu", prepare, run, sdk::kOpInplace};
//     Everything else in the file goes into an anonymous namespace.
//   - prepare() validates input/output count, dtypes, shapes and attributes, computes the
//     output shape and calls ctx.check_output_shape(); it parses attributes once into
//     op data (ctx.alloc + ctx.set_op_data) so run() does no parsing. Any failure returns
//     ctx.fail(status, "...") with a message naming the problem (SDK_ERR_BAD_MODEL for an
//     inconsistent file, SDK_ERR_UNSUPPORTED for a valid model this build cannot run,
//     e.g. int8 data in a build without SDK_FEATURE_INT8).
//   - run() only computes; it returns SDK_OK (or SDK_ERR_INTERNAL on a broken invariant).
//   - Kernels: kernels/<isa>/<op>_<dtype>[_<variant>].cpp with dtype f32 / s8, declared in
//     a header next to them (kernels/ref/<op>.h). Kernels shared by several ops: name them
//     after a group (kernels/ref/binary_f32.cpp) and put `// sdk-kernels: binary` in each
//     op file that uses them. kernels/<isa>/common_<dtype>*.cpp is compiled whenever any op
//     is; see engine/tools/select_sources.py for the full convention.
//   - Helpers for ops: ops/op_util.h (arity, dtype, rank and attribute checks with clear
//     messages, fused activations, op data), core/quant.h (TFLite-style fixed-point
//     requantization); ops/*_op.h are skeletons shared by families of ops.
//   - Data is contiguous, row-major (NCHW). Inputs of kOpInplace ops may alias output 0.
//
// No C++ standard library, no exceptions, no RTTI: only libc/libm/pthread are available.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sdkengine/engine.h"

// Everything declared here is internal to the library: hidden declarations let the
// compiler reach extern data (the registry, the build info) directly instead of through
// GOT entries, each of which costs a dynamic relocation.
#pragma GCC visibility push(hidden)

namespace sdk {

// Codes as stored in .sdkm files and in sdk_dtype. BOOL is one byte holding 0 or 1.
// Codes 8..22 are storage types (sdk_dtype): only with SDK_FEATURE_STORAGE, only Cast reads
// or writes them (the loader refuses them on any other op).
enum class DType : uint8_t {
    F32 = 1, I8 = 2, I32 = 3, U8 = 4, I64 = 5, BOOL = 6, F16 = 7,
    I16 = 8, U16 = 9, U32 = 10, U64 = 11, BF16 = 12, F8E4M3FN = 13, F8E4M3FNUZ = 14, F8E5M2 = 15,
    F8E5M2FNUZ = 16, F8E8M0 = 17, F4E2M1 = 18, I4 = 19, U4 = 20, I2 = 21, U2 = 22
};
constexpr int kMaxComputeDType = 7;
#if SDK_FEATURE_STORAGE
constexpr int kMaxDType = 22;
#else
constexpr int kMaxDType = 7;
#endif

// Bytes per element (1 for the sub-byte storage types: see dtype_bits).
inline size_t dtype_size(DType t) {
    switch (t) {
        case DType::F32:
        case DType::I32: return 4;
        case DType::I64: return 8;
        case DType::F16: return 2;
#if SDK_FEATURE_STORAGE
        case DType::U32: return 4;
        case DType::U64: return 8;
        case DType::I16:
        case DType::U16:
        case DType::BF16: return 2;
#endif
        default: return 1;
    }
}

#if SDK_FEATURE_STORAGE
inline bool is_storage(DType t) { return static_cast<int>(t) > kMaxComputeDType; }
// Bits per element of the packed sub-byte types, 0 for the others.
inline int dtype_subbits(DType t) {
    return t == DType::F4E2M1 || t == DType::I4 || t == DType::U4 ? 4 : (t == DType::I2 || t == DType::U2 ? 2 : 0);
}
#endif

constexpr int kMaxRank = SDK_MAX_RANK;

struct Shape {
    int32_t rank = 0;
    int32_t dims[kMaxRank] = {0, 0, 0, 0, 0, 0};

    int64_t count() const {
        int64_t n = 1;
        for (int i = 0; i < rank; ++i) n *= dims[i];
        return n;
    }
    bool equals(const Shape& o) const {
        if (rank != o.rank) return false;
        for (int i = 0; i < rank; ++i)
            if (dims[i] != o.dims[i]) return false;
        return true;
    }
};

// Affine quantization: real = scale * (q - zero_point). axis = -1 for per-tensor.
struct QuantParams {
    int32_t axis;
    uint32_t count;
    const float* scales;
    const int32_t* zero_points;
};

enum TensorFlags : uint32_t { kTensorConstant = 1, kTensorGraphInput = 2, kTensorGraphOutput = 4 };

struct Tensor {
    const char* name;
    DType dtype;
    Shape shape;
    uint32_t flags;
    const QuantParams* quant;  // nullptr when not quantized
    const void* const_data;    // constants only: read-only, 64-byte aligned, shared by sessions
    size_t bytes;              // element count * dtype size
};

enum AttrType : uint32_t { kAttrInts = 1, kAttrFloats = 2, kAttrString = 3 };

struct Attr {
    const char* name;
    AttrType type;
    uint32_t count;
    const void* data;  // int32_t[count], float[count] or a NUL-terminated string
};

enum Activation : int32_t { kActNone = 0, kActRelu = 1, kActClip = 2, kActHardSwish = 3, kActSigmoid = 4,
                            kActSilu = 5 };

struct Model;
struct Node;
struct ThreadPool;

// What prepare() sees: runs once per node at model load, after the loader has verified
// the file's structure. prepare() must check everything the kernel relies on (input
// count and dtypes, shapes, attributes) and fail cleanly otherwise.
struct PrepareContext {
    Model* model;
    Node* node;

    const char* node_name() const;
    int num_inputs() const;
    int num_outputs() const;
    const Tensor* input(int i) const;  // nullptr for an absent optional input (or i out of range)
    const Tensor* output(int i) const;

    const Attr* attr(const char* name) const;  // nullptr when absent
    int32_t attr_int(const char* name, int32_t fallback) const;
    float attr_float(const char* name, float fallback) const;
    // Copies up to max ints into out; returns the attribute's count, or -1 when absent.
    int attr_ints(const char* name, int32_t* out, int max) const;
    int attr_floats(const char* name, float* out, int max) const;
    const char* attr_string(const char* name, const char* fallback) const;

    // Output i's shape recorded in the file must equal what the op computes.
    sdk_status check_output_shape(int i, const Shape& expected);

    // Model-lifetime memory (parsed parameters, packed weights), 64-byte aligned, zeroed,
    // freed with the model; counted as packed_weights_bytes. nullptr on OOM (already
    // reported: just return SDK_ERR_OUT_OF_MEMORY).
    void* alloc(size_t bytes);
    void set_op_data(void* data);

    // Per-run scratch the kernel needs (e.g. an im2col buffer); a session allocates the
    // largest request once. 64-byte aligned. One block per session: a kernel that splits
    // work with parallel_for either partitions it itself or uses the per-thread kind below.
    void request_scratch(size_t bytes);

    // Scratch of `bytes` for EACH thread of the session's pool (e.g. a packing panel per
    // worker); in run(), RunContext::thread_scratch() inside a parallel_for callback gives
    // the calling thread's block. 64-byte aligned.
    void request_thread_scratch(size_t bytes);

    // Output 0 is the inputs' bytes end to end (a Concat with one outer step: batch 1 along
    // the channels). The planner may then give inputs their slice of output 0's memory (at
    // 64-byte aligned offsets, when nothing else keeps an input apart), so their producers
    // write there directly and run() finds such an input already in place: in_data[i] ==
    // the output plus the bytes of the inputs before it.
    void inputs_in_output();

    // Record "node '<name>' (<op>): <message>" as the last error and return the status.
    sdk_status fail(sdk_status status, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
};

// Index of the calling thread in the running session's pool: 0 on the thread that called
// sdk_session_run, 1..pool_threads-1 in pool workers. Valid inside parallel_for callbacks.
int current_thread_index();

// What run() sees: all inputs are valid, outputs are allocated. op_data is shared by all
// sessions of the model (possibly running concurrently): treat it as read-only.
struct RunContext {
    const Node* node;
    const void* op_data;
    void* const* in_data;  // per input: data pointer (nullptr for absent optional inputs)
    void* const* out_data;
    const Tensor* const* in_tensors;
    const Tensor* const* out_tensors;
    void* scratch;
    size_t scratch_bytes;
    ThreadPool* pool;  // nullptr when single-threaded
    int num_inputs;
    int num_outputs;
    void* thread_scratch_base;     // pool_threads(pool) blocks of thread_scratch_stride bytes
    size_t thread_scratch_stride;  // the largest request_thread_scratch, 64-byte aligned

    // This thread's request_thread_scratch block (nullptr if none was requested).
    void* thread_scratch() const {
        if (!thread_scratch_base) return nullptr;
        return static_cast<char*>(thread_scratch_base) + static_cast<size_t>(current_thread_index()) * thread_scratch_stride;
    }

    template <typename T>
    const T* in(int i) const { return static_cast<const T*>(in_data[i]); }
    template <typename T>
    T* out(int i) const { return static_cast<T*>(out_data[i]); }
    const Tensor& input(int i) const { return *in_tensors[i]; }
    const Tensor& output(int i) const { return *out_tensors[i]; }
};

enum OpFlags : uint32_t {
    kOpNone = 0,
    // Elementwise: output 0 may reuse input 0's memory when input 0 dies at this node.
    kOpInplace = 1,
    // Output 0 is input 0's bytes under another shape (Reshape): no copy, shared memory.
    kOpAlias = 2,
    // Like kOpInplace, but output 0 may take the memory of ANY input of the same byte size
    // that dies at this node (first such input wins), e.g. Add/Mul whose residual operand
    // is input 1. Only for kernels where y[i] depends on in_k[i] alone for such inputs.
    kOpInplaceAny = 4,
};

struct OpDef {
    const char* type;  // op type as stored in .sdkm, e.g. "Conv"
    sdk_status (*prepare)(PrepareContext& ctx);
    sdk_status (*run)(const RunContext& ctx);  // may be nullptr for kOpAlias ops
    uint32_t flags;
};

// Thread pool: run fn(arg, begin, end) over [0, n) in chunks of at least `grain`
// iterations. Runs inline when pool is nullptr, has one thread, or n < 2 * grain (and
// when called from inside a callback), so ops call it unconditionally and size `grain`
// so a chunk pays for a hand-off (~1 µs: workers spin briefly between jobs). Chunks are
// claimed dynamically by the caller and the workers: one contiguous block per thread
// when n allows fewer than 4 grains per thread, otherwise ~4 blocks per thread. An op
// whose natural split is too coarse (a few big tasks) should split further itself.
typedef void (*ParallelFn)(void* arg, int64_t begin, int64_t end);
void parallel_for(ThreadPool* pool, int64_t n, int64_t grain, ParallelFn fn, void* arg);
int pool_threads(const ThreadPool* pool);

// The registry the build generates (src/ops_registry.cpp).
extern const OpDef* const kRegisteredOps[];
extern const int kRegisteredOpCount;
// JSON returned by sdk_build_info(), also generated.
extern const char kBuildInfoJson[];

}  // namespace sdk

#pragma GCC visibility pop

#ifndef SDK_FEATURE_FP32
#define SDK_FEATURE_FP32 1
#endif
#ifndef SDK_FEATURE_INT8
#define SDK_FEATURE_INT8 0
#endif
#ifndef SDK_FEATURE_NEON
#define SDK_FEATURE_NEON 0
#endif
#ifndef SDK_FEATURE_X86
#define SDK_FEATURE_X86 0
#endif
#ifndef SDK_FEATURE_THREADS
#define SDK_FEATURE_THREADS 1
#endif
#ifndef SDK_FEATURE_SPARSE
#define SDK_FEATURE_SPARSE 0
#endif
#ifndef SDK_FEATURE_DOTPROD
#define SDK_FEATURE_DOTPROD 0
#endif
#ifndef SDK_FEATURE_INPUTS_IN_OUTPUT  // builds with Concat: PrepareContext::inputs_in_output (the planner)
#define SDK_FEATURE_INPUTS_IN_OUTPUT 0
#endif
