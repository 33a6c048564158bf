// Memory planning: which activation tensors share a buffer (in-place ops, aliases), each
// buffer's lifetime, and its offset in the session arena.
#include "core/planner.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/model.h"
#include "core/status.h"

namespace sdk {

namespace {

// The greedy pass's seed order is TFLite's greedy-by-size; a bounded local search then
// improves the order (see plan_buffers). Its work budget, in pair checks (one placed buffer
// looked at while placing another), keeps load time bounded on huge graphs (a 10k-node
// graph gets the seed pass and a few steps) while small and mid-sized models get a
// thorough search. (Five more seed orders -- size x lifetime, breadth, lifetime, first and
// last use -- gave the same arenas on the example models and the ResNet/MobileNet shapes
// of tests/test_planner.py once the search runs, for ~500 B of code.)
constexpr uint64_t kClimbWork = 1000000;  // about 2 ms on a desktop core
constexpr uint64_t kClimbIterWork = 32;    // a local search step's own cost (copies, random picks)
constexpr uint64_t kClimbItersPerBuffer = 200;  // small graphs have few orders worth trying

// A placed buffer; the placed ones are kept sorted by offset so that the best-fit scan
// reads memory in order.
struct Slot {
    int32_t first, last;
    uint64_t offset, end;
};

struct Planner {
    const PlanBuffer* b;
    int32_t n;
    const uint64_t* size;  // aligned sizes
    Slot* slots;           // placed buffers, by offset
    int32_t* hit;          // scratch: the placed buffers live at the same time as the new one
    uint64_t work;         // pair checks so far
};

// One greedy best-fit pass in the given order: each buffer goes into the smallest gap
// between already-placed, time-overlapping buffers that fits it, else on top of them.
// Writes offsets into out[] and returns the arena size; stops early (returning a value
// > cutoff) as soon as the arena exceeds cutoff.
uint64_t place(Planner& p, const int32_t* order, uint64_t cutoff, uint64_t* out) {
    int32_t placed = 0;
    uint64_t arena = 0;
    for (int32_t k = 0; k < p.n; ++k) {
        const int32_t i = order[k];
        const int32_t bf = p.b[i].first, bl = p.b[i].last;
        const uint64_t size = p.size[i];
        // Pass 1 (branch-free): which placed buffers share a step with this one. On long
        // graphs most do not, so pass 2 looks at a few.
        int32_t hits = 0;
        for (int32_t j = 0; j < placed; ++j) {
            p.hit[hits] = j;
            hits += (p.slots[j].first <= bl) & (bf <= p.slots[j].last);
        }
        p.work += static_cast<uint64_t>(placed) + 1;
        uint64_t prev_end = 0, best = ~uint64_t(0), best_gap = ~uint64_t(0);
        for (int32_t h = 0; h < hits; ++h) {
            const Slot& o = p.slots[p.hit[h]];
            if (o.offset > prev_end) {
                const uint64_t gap = o.offset - prev_end;
                if (gap >= size && gap < best_gap) {
                    best_gap = gap;
                    best = prev_end;
                }
            }
            if (o.end > prev_end) prev_end = o.end;
        }
        const uint64_t offset = best != ~uint64_t(0) ? best : prev_end;
        out[i] = offset;
        int32_t lo = 0, hi = placed;  // insert after the placed buffers at offsets <= this one
        while (lo < hi) {
            const int32_t mid = lo + (hi - lo) / 2;
            if (p.slots[mid].offset <= offset) lo = mid + 1;
            else hi = mid;
        }
        for (int32_t j = placed; j > lo; --j) p.slots[j] = p.slots[j - 1];  // (no memmove import)
        p.slots[lo] = Slot{bf, bl, offset, offset + size};
        ++placed;
        if (offset + size > arena) {
            arena = offset + size;
            if (arena > cutoff) return arena;
        }
    }
    return arena;
}

// Greedy-by-size order: larger first, then earlier first, then by index: a stable sort (merge
// sort, bottom-up: no recursion, no standard library) of the indices in increasing order, so
// the order is unique and plans are deterministic. `tmp`: n scratch entries; returns the
// array that holds the sorted order (order or tmp).
int32_t* sort_order(int32_t* order, int32_t* tmp, int32_t n, const uint64_t* size, const PlanBuffer* b) {
    for (int32_t w = 1; w < n; w *= 2) {
        for (int32_t lo = 0; lo < n; lo += 2 * w) {
            const int32_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            for (int32_t k = lo, i = lo, j = mid; k < hi; ++k) {
                bool right = i >= mid;
                if (!right && j < hi) {
                    const int32_t x = order[j], y = order[i];  // the right one only if strictly before
                    right = size[x] != size[y] ? size[x] > size[y] : b[x].first < b[y].first;
                }
                tmp[k] = right ? order[j++] : order[i++];
            }
        }
        int32_t* const t = order;
        order = tmp;
        tmp = t;
    }
    return order;
}

uint64_t next_random(uint64_t x) {  // xorshift64 step: deterministic, so plans are reproducible
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

bool valid(const PlanBuffer& b) { return b.first >= 0 && b.last >= b.first; }

}  // namespace

bool plan_buffers(PlanBuffer* bufs, int32_t n, PlanResult* result) {
    result->arena_bytes = result->lower_bound = result->naive_bytes = 0;
    if (n <= 0) return true;
    int32_t max_step = 0;
    for (int32_t i = 0; i < n; ++i) {
        result->naive_bytes += align_up(bufs[i].size);
        if (bufs[i].last > max_step) max_step = bufs[i].last;
    }
    const size_t steps = static_cast<size_t>(max_step) + 1, un = static_cast<size_t>(n);
    // All scratch in one zeroed block, in 8-byte words: per buffer 3 u64 arrays, a Slot
    // (3 words) and 3 i32 arrays (2); then the per-step live deltas.
    static_assert(sizeof(Slot) == 24, "scratch layout");
    uint64_t* block = nullptr;
    if (un <= SIZE_MAX / 128 && steps <= SIZE_MAX / 16) block = alloc_array<uint64_t>(8 * un + steps + 1 + 6);
    if (!block) return false;
    uint64_t* size = block;            // aligned sizes
    uint64_t* offsets = size + un;     // the trial pass's offsets
    uint64_t* current = offsets + un;  // the local search's current plan's offsets
    Slot* slots = static_cast<Slot*>(static_cast<void*>(current + un));
    int32_t* order = static_cast<int32_t*>(static_cast<void*>(slots + un));  // the local search's current order
    int32_t* trial = order + un;
    int32_t* hit = trial + un;
    int64_t* delta = reinterpret_cast<int64_t*>(block + 8 * un);  // per step: change of the live total
    // Lower bound: the largest total size live at one step (a sweep over the step deltas).
    for (int32_t i = 0; i < n; ++i) {
        size[i] = align_up(bufs[i].size);
        order[i] = i;
        if (!valid(bufs[i])) continue;
        delta[bufs[i].first] += static_cast<int64_t>(size[i]);
        delta[bufs[i].last + 1] -= static_cast<int64_t>(size[i]);
    }
    int64_t running = 0;
    for (size_t s = 0; s < steps; ++s) {
        running += delta[s];
        if (static_cast<uint64_t>(running) > result->lower_bound) result->lower_bound = static_cast<uint64_t>(running);
    }
    if (sort_order(order, trial, n, size, bufs) == trial) {  // the sorted order is the current one
        int32_t* const t = order;
        order = trial;
        trial = t;
    }
    // (the Planner in the block too: a local whose address is taken costs a stack canary)
    static_assert(sizeof(Planner) <= 6 * sizeof(uint64_t), "scratch layout");
    Planner& p = *reinterpret_cast<Planner*>(block + 8 * un + steps + 1);
    p = Planner{bufs, n, size, slots, hit, 0};
    uint64_t best = place(p, order, ~uint64_t(0), current);
    // Local search (hill climbing with plateau moves, as TVM's USMP hill climb): take a
    // buffer that ends at the top of the current plan, move it to a random position of the
    // order (or swap it with the buffer there), re-run the greedy pass and keep the new
    // order unless its arena is larger. Ends at the lower bound (optimal) or when the work
    // budget is spent (before a pass is measured, its cost is taken as every pair checked).
    uint64_t rng = 0x9E3779B97F4A7C15ull, last_pass = static_cast<uint64_t>(n) * (n + 1) / 2;
    const uint64_t climb_end = p.work + kClimbWork;
    for (uint64_t iter = 0; best > result->lower_bound && n > 1 && p.work + last_pass <= climb_end &&
                            iter < kClimbItersPerBuffer * un;
         ++iter) {
        int32_t pick = -1, seen = 0;  // a uniformly random buffer at the top (reservoir)
        for (int32_t k = 0; k < n; ++k) {
            if (current[order[k]] + size[order[k]] != best) continue;
            rng = next_random(rng);
            if (rng % static_cast<uint64_t>(++seen) == 0) pick = k;
        }
        const uint64_t r = rng = next_random(rng);
        if (pick < 0 || (r & 3) == 0) pick = static_cast<int32_t>((r >> 8) % un);
        int32_t to = static_cast<int32_t>((r >> 40) % un);
        if (to == pick) to = (to + 1) % n;
        // trial = order with `pick` swapped with `to` or moved to `to` (the ones between shift by one)
        const bool swap = (r >> 2) & 1;
        for (int32_t k = 0; k < n; ++k) {
            int32_t from = k;
            if (k == pick && swap) from = to;
            else if (!swap && to < pick && k > to && k <= pick) from = k - 1;
            else if (!swap && pick < to && k >= pick && k < to) from = k + 1;
            trial[k] = order[from];
        }
        trial[to] = order[pick];
        const uint64_t before_work = p.work;
        const uint64_t arena = place(p, trial, best, offsets);
        p.work += un + kClimbIterWork;
        last_pass = p.work - before_work;
        if (arena > best) continue;
        best = arena;  // (a pass that was not cut short wrote every offset)
        int32_t* const o = order;  // the trial becomes the current order and plan: swap, no copies
        order = trial;
        trial = o;
        uint64_t* const c = current;
        current = offsets;
        offsets = c;
    }
    for (int32_t i = 0; i < n; ++i) bufs[i].offset = current[i];
    result->arena_bytes = best;
    free(block);
    return true;
}

sdk_status plan_model(Model* m) {
    const int32_t nt = m->num_tensors;
    const int32_t steps = m->num_nodes > 0 ? m->num_nodes : 1;
    const size_t un = static_cast<size_t>(nt);
    // The plan (kept by the model: offsets, then the constant each alias of a constant
    // reads) in one block, the scratch in another: fewer allocations and checks.
    m->tensor_offset = alloc_array<size_t>(2 * un);
    if (m->tensor_offset) m->tensor_const = reinterpret_cast<const void**>(m->tensor_offset + un);
    // buffer-sharing root of each tensor (then, in builds with Concat, each tensor's byte offset
    // in its root's buffer: 64-bit words after the five int32 arrays)
    int32_t* root = alloc_array<int32_t>(SDK_FEATURE_INPUTS_IN_OUTPUT ? 7 * un + 1 : 5 * un);
    int32_t* first = root + un;                    // per tensor: producing step
    // per tensor: last consuming step; for a root, once the sharing is decided, the last step
    // of any member (a tensor that joins a root is never read through its own entry again)
    int32_t* rlast = first + un;
    uint32_t* rflags = reinterpret_cast<uint32_t*>(rlast + un);  // per root: union of member flags
    int32_t* buffer = rlast + 2 * un;              // per root: buffer index
#if SDK_FEATURE_INPUTS_IN_OUTPUT
    uint64_t* sub = reinterpret_cast<uint64_t*>(buffer + un + (un & 1));  // (8-byte aligned)
#endif
    PlanBuffer* bufs = alloc_array<PlanBuffer>(un + 1);  // + the PlanResult (heap, not stack)
    sdk_status st = SDK_OK;
    if (!m->tensor_offset || !root || !bufs) st = set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory loading the model");
    if (st == SDK_OK) {
        // "none" is INT32_MIN, not -1: a fill with -1 bytes becomes a memset call (an import)
        for (int32_t t = 0; t < nt; ++t) {
            root[t] = t;
            first[t] = rlast[t] = buffer[t] = INT32_MIN;
            rflags[t] = m->tensors[t].flags;
        }
        // A graph input lives from the start to its last reader, like any tensor: a run
        // consumes its inputs (the session makes the caller set them again; TFLite Micro
        // plans inputs the same way), which keeps an input-sized block out of the peak.
        for (int32_t i = 0; i < m->num_inputs; ++i) first[m->inputs[i]] = rlast[m->inputs[i]] = 0;
        for (int32_t s = 0; s < m->num_nodes; ++s) {
            const Node& n = m->nodes[s];
            for (int k = 0; k < n.num_inputs; ++k)
                if (n.inputs[k] >= 0 && rlast[n.inputs[k]] < s) rlast[n.inputs[k]] = s;
            for (int k = 0; k < n.num_outputs; ++k) {
                first[n.outputs[k]] = s;
                if (rlast[n.outputs[k]] < s) rlast[n.outputs[k]] = s;
            }
        }
        for (int32_t i = 0; i < m->num_outputs; ++i) rlast[m->outputs[i]] = steps - 1;
#if SDK_FEATURE_INPUTS_IN_OUTPUT
        // Inputs laid in their consumer's output (PrepareContext::inputs_in_output: a batch-1
        // channel Concat): such an input joins the output's root at its byte offset, so its
        // producer writes the output's slice and the copy goes away (squeezenet1_1: 8 Concats,
        // ~5 % of a run). Nodes from the last back: an output that is itself laid in a later
        // node's output already has its root and offset, and its inputs go there at once (the
        // roots stay one level deep). An input stays apart when it is a graph input, output
        // or constant, already laid in another output (a later node's or twice in this one),
        // produced by an alias op (its memory is its source's, planned below) or at an
        // offset that is not 64-byte aligned (kernels may assume the arena's alignment). The
        // root then lives from its first member's production to its last member's use.
        for (int32_t s = m->num_nodes - 1; s >= 0; --s) {
            const Node& n = m->nodes[s];
            if (!n.inputs_in_output) continue;
            const int32_t out = n.outputs[0], r = root[out];
            uint64_t at = sub[out];
            for (int k = 0; k < n.num_inputs; at += m->tensors[n.inputs[k]].bytes, ++k) {
                const int32_t ik = n.inputs[k];
                if (ik == out || root[ik] != ik || first[ik] < 0 || (rflags[ik] & (kTensorConstant | kTensorGraphInput | kTensorGraphOutput)) || (at & 63) ||
                    (m->nodes[first[ik]].op->flags & kOpAlias))
                    continue;
                root[ik] = r;
                sub[ik] = at;
                if (first[ik] < first[r]) first[r] = first[ik];
                if (rlast[ik] > rlast[r]) rlast[r] = rlast[ik];
                rflags[r] |= rflags[ik];
            }
        }
#endif
        // Sharing, in node order: an alias output joins its input's root; an in-place
        // output joins input 0's root (kOpInplaceAny: the first fitting input's) when no
        // member of that root is used later, the root is no graph output and not a
        // constant, and the sizes match.
        for (int32_t s = 0; s < m->num_nodes && st == SDK_OK; ++s) {
            const Node& n = m->nodes[s];
            const uint32_t f = n.op ? n.op->flags : 0;
            if (!(f & (kOpAlias | kOpInplace | kOpInplaceAny)) || n.num_inputs < 1 || n.inputs[0] < 0) continue;
            const int32_t out = n.outputs[0];
#if SDK_FEATURE_INPUTS_IN_OUTPUT
            if (root[out] != out) continue;  // laid in a later output (above): it keeps that slice
#endif
            const size_t bytes = m->tensors[out].bytes;
            const int candidates = (f & kOpInplaceAny) ? n.num_inputs : 1;
            for (int k = 0; k < candidates; ++k) {
                const int32_t ik = n.inputs[k];
                if (ik < 0) continue;
                const int32_t rk = root[ik];
                if (f & kOpAlias) {  // the output IS the input's memory: no conditions, but the sizes
                    if (m->tensors[ik].bytes != bytes)
                        st = set_error(SDK_ERR_INTERNAL, "node '%s': alias op changes the size", n.name);
                } else {
                    const uint32_t blocked = kTensorConstant | kTensorGraphOutput;  // inputs are consumed
                    bool ok = rlast[rk] == s && !(rflags[rk] & blocked) && !(rflags[out] & kTensorGraphInput) &&
                              m->tensors[rk].bytes == bytes && m->tensors[ik].bytes == bytes;
                    for (int j = 1; j < n.num_outputs; ++j) ok = ok && root[n.outputs[j]] != rk;  // no other output there
                    if (!ok) continue;
                }
                root[out] = rk;
#if SDK_FEATURE_INPUTS_IN_OUTPUT
                sub[out] = sub[ik];  // the input's bytes, wherever they are in the root's buffer
#endif
                if (rlast[out] > rlast[rk]) rlast[rk] = rlast[out];
                rflags[rk] |= rflags[out];
                break;
            }
        }
    }
    int32_t nb = 0;
    if (st == SDK_OK) {
        for (int32_t t = 0; t < nt; ++t) {
            const Tensor& x = m->tensors[t];
            if (x.flags & kTensorConstant) continue;
            const int32_t r = root[t];
            if (m->tensors[r].flags & kTensorConstant) {  // alias of a constant
                m->tensor_const[t] = m->tensors[r].const_data;
                continue;
            }
            if (first[r] < 0) continue;  // never produced (unused tensor)
            if (buffer[r] < 0) {
                buffer[r] = nb;
                bufs[nb] = PlanBuffer{m->tensors[r].bytes, first[r], rlast[r], 0};
                ++nb;
            }
            if (x.bytes > bufs[buffer[r]].size) bufs[buffer[r]].size = x.bytes;
        }
        static_assert(sizeof(PlanResult) <= sizeof(PlanBuffer), "PlanResult in the bufs block");
        PlanResult& res = *reinterpret_cast<PlanResult*>(bufs + un);
        if (!plan_buffers(bufs, nb, &res)) {
            st = set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory loading the model");
        } else if (res.naive_bytes > SIZE_MAX / 2) {
            st = set_error(SDK_ERR_UNSUPPORTED, "activations exceed this platform's address space");
        } else {
            m->arena_bytes = static_cast<size_t>(res.arena_bytes);
            m->arena_lower_bound = static_cast<size_t>(res.lower_bound);
            // naive: every activation tensor its own buffer, no sharing at all
            for (int32_t t = 0; t < nt; ++t) {
                const bool constant = m->tensors[t].flags & kTensorConstant;
                m->tensor_offset[t] = !constant && buffer[root[t]] >= 0 ? static_cast<size_t>(bufs[buffer[root[t]]].offset)
#if SDK_FEATURE_INPUTS_IN_OUTPUT
                                                                              + static_cast<size_t>(sub[t])
#endif
                                                                        : kNoOffset;
                if (!constant && first[t] >= 0) m->naive_bytes += align_up(m->tensors[t].bytes);
            }
        }
    }
    free(root);
    free(bufs);
    return st;
}

}  // namespace sdk
