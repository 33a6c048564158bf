// The separable linear / cubic Resize shared by the fp32 and int8 kernel files
// (kernels/ref/resize_f32.cpp, resize_s8.cpp), parameterized by K:
//   K::In        element type (float / int8_t)
//   K::Acc       row cache type (float / int32_t: Q11 fixed point)
//   K::hrow(W, src, dst)            dst[j] = sum_t w[j, t] * src[idx[j, t]]
//   K::vrow(rows, h, oh, dst, len)  dst[j] = sum_t wh[oh, t] * rows[t][j] (converted to In)
//   K::kDirect   rows of an unresized W axis are read in place (no cache)
#pragma once

#include <string.h>

#include "kernels/ref/resize.h"

namespace sdk {
namespace ref {
namespace resize_impl {

template <class K>
struct FusedJob {
    const ResizePlan* p;
    const typename K::In* x;
    typename K::In* y;
    const RunContext* ctx;
    int64_t rows_per_task, tasks_per_plane;
};

// Task t: plane t / tasks_per_plane, output rows of a block of rows_per_task.
template <class K>
void fused_tasks(void* arg, int64_t t0, int64_t t1) {
    typedef typename K::In In;
    typedef typename K::Acc Acc;
    const FusedJob<K>& jb = *static_cast<const FusedJob<K>*>(arg);
    const ResizePlan& p = *jb.p;
    const ResizeAxis &H = p.h, &W = p.w;
    const int32_t nh = H.ntaps;
    const int64_t ow = W.out, iw = W.in;
    Acc* cache = static_cast<Acc*>(jb.ctx->thread_scratch());
    int32_t keys[kResizeMaxTaps];
    const Acc* rows[kResizeMaxTaps];
    const bool direct = K::kDirect && W.identity;
    for (int64_t t = t0; t < t1; ++t) {
        const int64_t plane = t / jb.tasks_per_plane;
        const int64_t r0 = (t % jb.tasks_per_plane) * jb.rows_per_task;
        const int64_t r1 = r0 + jb.rows_per_task < H.out ? r0 + jb.rows_per_task : H.out;
        const In* xp = jb.x + plane * H.in * iw;
        In* yp = jb.y + plane * H.out * ow;
        for (int32_t s = 0; s < nh; ++s) keys[s] = -1;
        for (int64_t oh = r0; oh < r1; ++oh) {
            const int32_t* need = H.idx + oh * nh;
            for (int32_t k = 0; k < nh; ++k) {
                const int32_t row = need[k];
                if (direct) {
                    rows[k] = reinterpret_cast<const Acc*>(xp + row * iw);
                    continue;
                }
                int32_t slot = -1;
                for (int32_t s = 0; s < nh && slot < 0; ++s)
                    if (keys[s] == row) slot = s;
                if (slot < 0) {  // a slot holding a row this output row does not need
                    for (int32_t s = 0; s < nh && slot < 0; ++s) {
                        bool used = false;
                        for (int32_t m = 0; m < nh && !used; ++m) used = keys[s] == need[m];
                        if (!used) slot = s;
                    }
                    keys[slot] = row;
                    K::hrow(W, xp + row * iw, cache + slot * ow);
                }
                rows[k] = cache + slot * ow;
            }
            K::vrow(rows, H, oh, yp + oh * ow, ow);
        }
    }
}

// The last two axes (planes of H x W), from x into y.
template <class K>
void fused(const ResizePlan& p, const typename K::In* x, typename K::In* y, int64_t planes, const RunContext& ctx) {
    FusedJob<K> jb = {&p, x, y, &ctx, 0, 0};
    // blocks of output rows big enough that re-filling the row cache at a block's start
    // costs little, small enough to share an image between threads
    const int64_t oh = p.h.out;
    int64_t per = (1 << 15) / (p.w.out > 0 ? p.w.out : 1);
    per = per < 4 ? 4 : per;
    const int threads = pool_threads(ctx.pool);
    if (threads > 1 && planes < 2 * threads) {
        const int64_t want = (oh * planes + 4 * threads - 1) / (4 * threads);
        if (want < per) per = want < 4 ? 4 : want;
    }
    jb.rows_per_task = per < oh ? per : oh;
    jb.tasks_per_plane = (oh + jb.rows_per_task - 1) / jb.rows_per_task;
    parallel_for(ctx.pool, planes * jb.tasks_per_plane, 1, fused_tasks<K>, &jb);
}

}  // namespace resize_impl
}  // namespace ref
}  // namespace sdk
