// Memory planning: which activation tensors share a buffer (in-place ops, aliases), each
// buffer's lifetime, and its offset in the session arena.
#include "core/planner.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "core/model.h"
#include "core/status.h"

namespace sdk {

namespace {

// Placement orders tried; the plan with the smallest arena wins. Greedy by size is the
// classic (TFLite's) heuristic; by size x lifetime places long-lived big tensors first,
// which often packs the short-lived ones around them better.
enum Order { kBySize = 0, kBySizeTimesLife = 1, kByFirstUse = 2, kNumOrders = 3 };

uint64_t key(const PlanBuffer& b, int order) {
    uint64_t size = align_up(b.size);
    if (order == kBySizeTimesLife) return size * static_cast<uint64_t>(b.last - b.first + 1);
    return size;
}

bool before_in(const PlanBuffer* b, int32_t i, int32_t j, int order) {  // placement order
    if (order == kByFirstUse && b[i].first != b[j].first) return b[i].first < b[j].first;
    uint64_t ki = key(b[i], order), kj = key(b[j], order);
    if (ki != kj) return ki > kj;
    if (b[i].first != b[j].first) return b[i].first < b[j].first;
    return i < j;
}

void sort_order(const PlanBuffer* b, int32_t* order, int32_t n, int mode) {
    auto before = [mode](const PlanBuffer* bb, int32_t i, int32_t j) { return before_in(bb, i, j, mode); };
    // Heap sort: O(n log n) without recursion or the standard library.
    auto sift = [&](int32_t root, int32_t end) {
        for (;;) {
            int32_t child = 2 * root + 1;
            if (child >= end) return;
            // max-heap where "greater" = placed later, so the sorted array is in placement order
            if (child + 1 < end && before(b, order[child], order[child + 1])) ++child;
            if (!before(b, order[root], order[child])) return;
            int32_t t = order[root];
            order[root] = order[child];
            order[child] = t;
            root = child;
        }
    };
    for (int32_t i = n / 2 - 1; i >= 0; --i) sift(i, n);
    for (int32_t end = n - 1; end > 0; --end) {
        int32_t t = order[0];
        order[0] = order[end];
        order[end] = t;
        sift(0, end);
    }
}


// One greedy best-fit pass in the given order; offsets into out[], returns the arena size.
uint64_t place(const PlanBuffer* bufs, int32_t n, int mode, int32_t* order, int32_t* by_offset, uint64_t* out) {
    for (int32_t i = 0; i < n; ++i) order[i] = i;
    sort_order(bufs, order, n, mode);
    // Each placement scans the placed buffers by offset once: O(n) per buffer.
    int32_t placed = 0;
    uint64_t arena = 0;
    for (int32_t k = 0; k < n; ++k) {
        const PlanBuffer& b = bufs[order[k]];
        const uint64_t size = align_up(b.size);
        uint64_t prev_end = 0, best = ~uint64_t(0), best_gap = ~uint64_t(0);
        for (int32_t j = 0; j < placed; ++j) {
            const PlanBuffer& o = bufs[by_offset[j]];
            if (o.first > b.last || b.first > o.last) continue;  // not live at the same time
            const uint64_t off = out[by_offset[j]];
            if (off > prev_end) {
                uint64_t gap = off - prev_end;
                if (gap >= size && gap < best_gap) {
                    best_gap = gap;
                    best = prev_end;
                }
            }
            const uint64_t end = off + align_up(o.size);
            if (end > prev_end) prev_end = end;
        }
        const uint64_t offset = best != ~uint64_t(0) ? best : prev_end;
        out[order[k]] = offset;
        int32_t at = placed;
        while (at > 0 && out[by_offset[at - 1]] > offset) {
            by_offset[at] = by_offset[at - 1];
            --at;
        }
        by_offset[at] = order[k];
        ++placed;
        if (offset + size > arena) arena = offset + size;
    }
    return arena;
}

}  // namespace

bool plan_buffers(PlanBuffer* bufs, int32_t n, PlanResult* result) {
    result->arena_bytes = result->lower_bound = result->naive_bytes = 0;
    if (n <= 0) return true;
    int32_t* order = alloc_array<int32_t>(n);
    int32_t* by_offset = alloc_array<int32_t>(n);  // placed buffers, sorted by offset
    uint64_t* offsets = alloc_array<uint64_t>(n);
    if (!order || !by_offset || !offsets) {
        free(order);
        free(by_offset);
        free(offsets);
        return false;
    }
    uint64_t best = ~uint64_t(0);
    for (int mode = 0; mode < kNumOrders; ++mode) {
        uint64_t arena = place(bufs, n, mode, order, by_offset, offsets);
        if (arena < best) {
            best = arena;
            for (int32_t i = 0; i < n; ++i) bufs[i].offset = offsets[i];
        }
    }
    result->arena_bytes = best;
    int32_t max_step = 0;
    for (int32_t i = 0; i < n; ++i) {
        result->naive_bytes += align_up(bufs[i].size);
        if (bufs[i].last > max_step) max_step = bufs[i].last;
    }
    // Lower bound: the largest total size live at one step (sweep over step deltas).
    int64_t* delta = alloc_array<int64_t>(static_cast<size_t>(max_step) + 2);
    bool ok = delta != nullptr;
    if (ok) {
        for (int32_t i = 0; i < n; ++i) {
            if (bufs[i].first < 0 || bufs[i].last < bufs[i].first) continue;
            delta[bufs[i].first] += static_cast<int64_t>(align_up(bufs[i].size));
            delta[bufs[i].last + 1] -= static_cast<int64_t>(align_up(bufs[i].size));
        }
        int64_t live = 0;
        for (int32_t s = 0; s <= max_step; ++s) {
            live += delta[s];
            if (static_cast<uint64_t>(live) > result->lower_bound) result->lower_bound = static_cast<uint64_t>(live);
        }
    }
    free(delta);
    free(order);
    free(by_offset);
    free(offsets);
    return ok;
}

sdk_status plan_model(Model* m) {
    const int32_t nt = m->num_tensors;
    const int32_t steps = m->num_nodes > 0 ? m->num_nodes : 1;
    m->tensor_offset = alloc_array<size_t>(nt);
    m->tensor_const = alloc_array<const void*>(nt);
    int32_t* root = alloc_array<int32_t>(nt);      // buffer-sharing root of each tensor
    int32_t* first = alloc_array<int32_t>(nt);     // per tensor: producing step
    int32_t* last = alloc_array<int32_t>(nt);      // per tensor: last consuming step
    int32_t* rlast = alloc_array<int32_t>(nt);     // per root: last step of any member
    uint32_t* rflags = alloc_array<uint32_t>(nt);  // per root: union of member flags
    int32_t* buffer = alloc_array<int32_t>(nt);    // per root: buffer index
    PlanBuffer* bufs = alloc_array<PlanBuffer>(nt);
    sdk_status st = SDK_OK;
    if (!m->tensor_offset || !m->tensor_const || !root || !first || !last || !rlast || !rflags || !buffer || !bufs) {
        st = set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory planning the arena");
    }
    if (st == SDK_OK) {
        for (int32_t t = 0; t < nt; ++t) {
            root[t] = t;
            first[t] = -1;
            last[t] = -1;
            buffer[t] = -1;
            m->tensor_offset[t] = kNoOffset;
        }
        for (int32_t i = 0; i < m->num_inputs; ++i) {
            first[m->inputs[i]] = 0;
            last[m->inputs[i]] = steps - 1;  // inputs persist: a session may run again
        }
        for (int32_t s = 0; s < m->num_nodes; ++s) {
            const Node& n = m->nodes[s];
            for (int k = 0; k < n.num_inputs; ++k)
                if (n.inputs[k] >= 0 && last[n.inputs[k]] < s) last[n.inputs[k]] = s;
            for (int k = 0; k < n.num_outputs; ++k) {
                first[n.outputs[k]] = s;
                if (last[n.outputs[k]] < s) last[n.outputs[k]] = s;
            }
        }
        for (int32_t i = 0; i < m->num_outputs; ++i) last[m->outputs[i]] = steps - 1;
        for (int32_t t = 0; t < nt; ++t) {
            rlast[t] = last[t];
            rflags[t] = m->tensors[t].flags;
        }
        // Sharing, in node order: an alias output joins its input's root; an in-place
        // output joins input 0's root (kOpInplaceAny: the first fitting input's) when no
        // member of that root is used later, the root is no graph input/output and not a
        // constant, and the sizes match.
        for (int32_t s = 0; s < m->num_nodes; ++s) {
            const Node& n = m->nodes[s];
            if (!n.op || n.num_inputs < 1 || n.num_outputs < 1 || n.inputs[0] < 0) continue;
            const int32_t in = n.inputs[0], out = n.outputs[0];
            const int32_t r = root[in];
            if (n.op->flags & kOpAlias) {
                if (m->tensors[in].bytes != m->tensors[out].bytes) {
                    st = set_error(SDK_ERR_INTERNAL, "node '%s': alias op with different input/output sizes", n.name);
                    break;
                }
                root[out] = r;
                if (rlast[out] > rlast[r]) rlast[r] = rlast[out];
                rflags[r] |= rflags[out];
            } else if (n.op->flags & (kOpInplace | kOpInplaceAny)) {
                const int candidates = (n.op->flags & kOpInplaceAny) ? n.num_inputs : 1;
                const uint32_t blocked = kTensorConstant | kTensorGraphInput | kTensorGraphOutput;
                for (int k = 0; k < candidates; ++k) {
                    const int32_t ik = n.inputs[k];
                    if (ik < 0) continue;
                    const int32_t rk = root[ik];
                    if (rlast[rk] != s || (rflags[rk] & blocked) || (rflags[out] & kTensorGraphInput) ||
                        m->tensors[rk].bytes != m->tensors[out].bytes || m->tensors[ik].bytes != m->tensors[out].bytes)
                        continue;
                    bool other_use = false;  // another output of this node in the same buffer
                    for (int j = 1; j < n.num_outputs; ++j) other_use = other_use || root[n.outputs[j]] == rk;
                    if (other_use) continue;
                    root[out] = rk;
                    if (rlast[out] > rlast[rk]) rlast[rk] = rlast[out];
                    rflags[rk] |= rflags[out];
                    break;
                }
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
        PlanResult res;
        if (!plan_buffers(bufs, nb, &res)) {
            st = set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory planning the arena");
        } else if (res.naive_bytes > SIZE_MAX / 2) {
            st = set_error(SDK_ERR_UNSUPPORTED, "model needs more activation memory than this platform can address");
        } else {
            for (int32_t t = 0; t < nt; ++t)
                if (!(m->tensors[t].flags & kTensorConstant) && buffer[root[t]] >= 0)
                    m->tensor_offset[t] = static_cast<size_t>(bufs[buffer[root[t]]].offset);
            m->arena_bytes = static_cast<size_t>(res.arena_bytes);
            m->arena_lower_bound = static_cast<size_t>(res.lower_bound);
            // naive: every activation tensor its own buffer, no sharing at all
            m->naive_bytes = 0;
            for (int32_t t = 0; t < nt; ++t)
                if (!(m->tensors[t].flags & kTensorConstant) && first[t] >= 0)
                    m->naive_bytes += align_up(m->tensors[t].bytes);
        }
    }
    free(root);
    free(first);
    free(last);
    free(rlast);
    free(rflags);
    free(buffer);
    free(bufs);
    return st;
}

}  // namespace sdk
