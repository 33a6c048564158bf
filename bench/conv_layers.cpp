// Per-layer timing of the fp32 Conv kernel as the engine plans it (conv_f32_plan: Winograd,
// the K-blocked 1x1 GEMM, im2col with K chunks, the tier the CPU has) on the dense conv
// shapes of the zoo's ResNets, SqueezeNet, Inception, DenseNet and ConvNeXt: 1x1 (stride 1
// and 2), 3x3 (stride 1 and 2), on 56x56 to 7x7 planes, Relu fused, batch 1, 1 thread.
// Thread CPU time (CLOCK_THREAD_CPUTIME_ID), min and median of --reps runs: the CPU time of
// the measuring thread does not count the time other processes hold the core. Compare two
// engines by building this against each (A/B of a branch against main), interleaved by hand.
//   c++ -O2 -std=c++17 -I engine/src -I engine/include bench/conv_layers.cpp
//       BUILD/libsdkengine_internal.a BUILD/libsdkengine_core.a -lpthread -o conv_layers   (one line)
//   ./conv_layers [reps] [C OC H K stride]   (one geometry instead of the list)
// BUILD: any engine build with Conv (the libraries sit next to libsdkengine.so). Tiers as the
// engine reads them: SDK_F32_GEMM=avx2 (no AVX-512), =ref.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <vector>

#include "kernels/ref/conv.h"

static double now_us() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

int main(int argc, char** argv) {
    const int reps = argc > 1 ? atoi(argv[1]) : 15;
    struct L { int C, OC, H, K, s; };
    std::vector<L> layers = {
        {1024, 512, 14, 1, 1}, {2048, 512, 7, 1, 1}, {512, 2048, 7, 1, 1}, {256, 128, 56, 1, 1},
        {256, 64, 56, 1, 1},   {64, 256, 56, 1, 1},  {640, 160, 14, 1, 1}, {160, 640, 14, 1, 1},
        {1280, 320, 7, 1, 1},  {40, 160, 56, 1, 1},  {512, 1000, 13, 1, 1}, {16, 64, 55, 1, 1},
        {512, 64, 13, 1, 1},   {1024, 2048, 14, 1, 2}, {64, 128, 56, 1, 2}, {512, 512, 7, 3, 1},
        {192, 320, 7, 3, 1},   {512, 512, 14, 3, 2}, {256, 256, 28, 3, 2}, {128, 128, 56, 3, 2},
        {256, 256, 14, 3, 1},  {64, 64, 56, 3, 1},   {128, 32, 56, 3, 1},  {16, 64, 55, 3, 1},
        {64, 256, 13, 3, 1},
    };
    if (argc > 6) layers = {{atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6])}};
    printf("%-28s %-22s %10s %10s %8s\n", "layer (C OC HxW KxK /s)", "plan", "min us", "median us", "GFLOP/s");
    for (const L& l : layers) {
        sdk::ConvGeom g;
        memset(&g, 0, sizeof g);
        g.N = 1;
        g.C = l.C;
        g.OC = l.OC;
        g.H = g.W = l.H;
        g.KH = g.KW = l.K;
        g.sh = g.sw = l.s;
        g.dh = g.dw = 1;
        g.pt = g.pl = g.pb = g.pr = l.K / 2;
        g.group = 1;
        g.act.kind = sdk::kActRelu;
        g.OH = (g.H + 2 * g.pt - g.KH) / g.sh + 1;
        g.OW = (g.W + 2 * g.pl - g.KW) / g.sw + 1;
        const sdk::ref::ConvF32Plan plan = sdk::ref::conv_f32_plan(g);
        const size_t sb = sdk::ref::conv_f32_thread_scratch_bytes(plan);
        std::vector<float> x((size_t)g.C * g.H * g.W), w((size_t)g.OC * g.C * g.KH * g.KW), b(g.OC);
        std::vector<float> y((size_t)g.OC * g.OH * g.OW), scratch(sb / sizeof(float) + 16);
        for (size_t i = 0; i < x.size(); ++i) x[i] = (float)(i % 7) * 0.1f - 0.3f;
        for (size_t i = 0; i < w.size(); ++i) w[i] = (float)(i % 5) * 0.1f - 0.2f;
        for (int i = 0; i < g.OC; ++i) b[i] = 0.01f * (float)i;
        std::vector<double> t;
        for (int r = 0; r < reps + 2; ++r) {
            const double t0 = now_us();
            sdk::ref::conv_f32(g, plan, x.data(), w.data(), b.data(), y.data(), scratch.data(), sb, nullptr);
            if (r >= 2) t.push_back(now_us() - t0);  // 2 warm-up runs
        }
        std::sort(t.begin(), t.end());
        const double flops = 2.0 * g.OC * g.OH * g.OW * (double)g.C * g.KH * g.KW;
        char name[64], how[64];
        snprintf(name, sizeof name, "%d %d %dx%d %dx%d /%d", g.C, g.OC, g.H, g.W, g.KH, g.KW, g.sh);
        if (plan.wino_rb)
            snprintf(how, sizeof how, "winograd ob %d", plan.wino_ob);
        else
            snprintf(how, sizeof how, "gemm tile %d kc %d", plan.tile, plan.kc);
        printf("%-28s %-22s %10.1f %10.1f %8.1f\n", name, how, t[0], t[t.size() / 2], flops / t[0] * 1e-3);
    }
    return 0;
}
