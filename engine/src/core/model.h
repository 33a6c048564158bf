// The in-memory model: what the loader builds from a verified .sdkm file. Immutable
// after loading, shared by all sessions.
#pragma once

#include "core/alloc.h"
#include "core/op.h"

namespace sdk {

struct Node {
    const char* name;
    const char* type;
    const OpDef* op;
    const int32_t* inputs;   // tensor indices; -1 = absent optional input
    const int32_t* outputs;  // tensor indices
    int num_inputs;
    int num_outputs;
    const Attr* attrs;
    int num_attrs;
    uint32_t io_offset;  // first entry of this node in Model::io_tensors (inputs, then outputs)
    void* op_data;
    size_t scratch_bytes;
    size_t thread_scratch_bytes;
    bool inputs_in_output;  // PrepareContext::inputs_in_output
};

// Model-lifetime blocks (PrepareContext::alloc, decoded constants) are aligned_alloc64 blocks
// chained through their slack: the word before the one aligned_free reads holds the next
// block (no separate list node to allocate).
inline void*& alloc_next(void* p) { return static_cast<void**>(p)[-2]; }
inline void free_alloc_chain(void* p) {
    while (p) {
        void* next = alloc_next(p);
        aligned_free(p);
        p = next;
    }
}

constexpr size_t kNoOffset = ~static_cast<size_t>(0);

// How Model::bytes is held; free_model releases it accordingly.
enum class Backing : uint8_t {
    kHeap,      // a 64-byte aligned copy (aligned_alloc64), owned
    kMapped,    // a read-only mmap of the file (page aligned), owned: munmap
    kBorrowed,  // the caller's memory, 64-byte aligned, used in place: the caller keeps it alive
};

// Plain data (zero-initialised with calloc by the loader).
struct Model {
    const uint8_t* bytes;  // the file: weights are used in place from here (see Backing)
    size_t size;
    Backing backing;
    const char* name;

    Tensor* tensors;
    int32_t num_tensors;
    QuantParams* quants;
    uint32_t num_quants;
    Attr* attrs;
    uint32_t num_attrs;
    Node* nodes;
    int32_t num_nodes;
    const int32_t* inputs;
    int32_t num_inputs;
    const int32_t* outputs;
    int32_t num_outputs;

    const Tensor** io_tensors;  // per node IO entry (nullptr for absent inputs)
    uint32_t num_io;

    // Memory plan (planner.cpp): per tensor, its arena offset (kNoOffset for constants
    // and tensors never produced) or, for an alias of a constant, the constant's data.
    size_t* tensor_offset;
    const void** tensor_const;  // in tensor_offset's block (freed with it)

    // sdk_memory_info's figures, in its order (sdk_model_memory_info copies them at once)
    size_t weights_bytes;
    size_t arena_bytes;
    size_t arena_lower_bound;
    size_t naive_bytes;
    size_t packed_bytes;
    size_t coded_bytes;  // stored size of the rANS-coded constants (decoded at load)
    size_t scratch_bytes;
    size_t thread_scratch_bytes;  // per pool thread, 64-byte aligned

    void* allocs;  // the chain of model-lifetime blocks (alloc_next)

    // Memory limit (sdk_model_options.max_model_bytes; 0 = none, for models built by hand in
    // tests) and what the model holds so far: the file copy, its tables and the packed
    // weights, charged before they are allocated.
    size_t max_bytes;
    size_t held_bytes;
};

// loader.cpp: `bytes` must be 64-byte aligned; the model takes it over as `backing` says
// (and releases it even on failure: free for kHeap, munmap for kMapped, nothing for kBorrowed).
// The model may hold at most max_bytes (a heap copy of the file included).
sdk_status load_model(const uint8_t* bytes, size_t size, Backing backing, Model** out, size_t max_bytes = SIZE_MAX);
void release_bytes(const uint8_t* bytes, size_t size, Backing backing);
void free_model(Model* m);

// Charges `bytes` (about to be allocated for `what`) to the model's memory limit; over the
// limit, SDK_ERR_OUT_OF_MEMORY with a message naming the need, the limit and the option.
sdk_status model_charge(Model* m, uint64_t bytes, const char* what);
// The same message for a need known before a model exists (the file copy).
sdk_status model_limit_error(uint64_t need, size_t limit, const char* what);

// planner.cpp: lifetimes, in-place/alias sharing and offsets for all activation tensors.
sdk_status plan_model(Model* m);

// Finds a registered op by type; nullptr when this build does not include it.
const OpDef* find_op(const char* type);

}  // namespace sdk
