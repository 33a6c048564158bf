// Per-layer timing of the fp32 Conv kernel: Winograd F(4x4,3x3) against the im2col GEMM path
// on the 3x3 stride-1 layers of resnet18 and squeezenet1_1 (and 7x7 planes for the rule).
// Thread CPU time (CLOCK_THREAD_CPUTIME_ID), min and median of --reps runs, 1 thread: the CPU
// time of the measuring thread does not count the time other processes hold the core.
//   c++ -O2 -std=c++17 -I engine/src -I engine/include bench/wino_layers.cpp \
//       BUILD/libsdkengine_internal.a -lpthread -o wino_layers   (BUILD: a tests=true engine build)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <vector>

#include "kernels/ref/conv.h"

static double now_ms() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

int main(int argc, char** argv) {
    const int reps = argc > 1 ? atoi(argv[1]) : 9;
    struct L { const char* name; int C, H, OC; };
    const L layers[] = {{"resnet18 l1 64x56", 64, 56, 64},   {"resnet18 l2 128x28", 128, 28, 128},
                        {"resnet18 l3 256x14", 256, 14, 256}, {"resnet18 l4 512x7", 512, 7, 512},
                        {"squeeze 16x55->64", 16, 55, 64},    {"squeeze 32x27->128", 32, 27, 128},
                        {"squeeze 48x13->192", 48, 13, 192},  {"squeeze 64x13->256", 64, 13, 256},
                        {"yolo 32x80->32", 32, 80, 32},       {"yolo 64x40->64", 64, 40, 64},
                        {"yolo 128x20->128", 128, 20, 128},   {"7x7 256", 256, 7, 256},
                        {"10x10 256", 256, 10, 256},          {"10x10 64", 64, 10, 64},
                        {"vgg 3x224->64", 3, 224, 64},        {"8x56->8", 8, 56, 8},
                        {"4x56->16", 4, 56, 16}};
    printf("| layer | GEMM min / median ms | Winograd min / median ms | wino/GEMM (min) |\n| --- | ---: | ---: | ---: |\n");
    for (const L& l : layers) {
        sdk::ConvGeom g;
        memset(&g, 0, sizeof g);
        g.N = 1; g.C = l.C; g.H = g.W = l.H; g.OC = l.OC; g.OH = g.OW = l.H;
        g.KH = g.KW = 3; g.sh = g.sw = g.dh = g.dw = 1; g.pt = g.pl = g.pb = g.pr = 1; g.group = 1;
        g.act.kind = sdk::kActRelu;
        std::vector<float> x((size_t)g.C * g.H * g.W), w((size_t)g.OC * g.C * 9), b(g.OC), y((size_t)g.OC * g.H * g.W);
        for (size_t i = 0; i < x.size(); ++i) x[i] = (float)((i * 7919) % 13) * 0.1f - 0.6f;
        for (size_t i = 0; i < w.size(); ++i) w[i] = (float)((i * 104729) % 11) * 0.01f - 0.05f;
        double res[2][2];
        for (int mode = 0; mode < 2; ++mode) {
            sdk::ref::conv_f32_set_wino(mode);
            const sdk::ref::ConvF32Plan plan = sdk::ref::conv_f32_plan(g);
            if ((plan.wino_rb > 0) != (mode == 1)) printf("(plan mismatch)\n");
            const size_t sb = sdk::ref::conv_f32_thread_scratch_bytes(plan);
            std::vector<float> s(sb / 4 + 16);
            std::vector<double> t;
            for (int r = 0; r < reps + 1; ++r) {
                const double t0 = now_ms();
                sdk::ref::conv_f32(g, plan, x.data(), w.data(), b.data(), y.data(), s.data(), sb, nullptr);
                if (r) t.push_back(now_ms() - t0);
            }
            std::sort(t.begin(), t.end());
            res[mode][0] = t[0];
            res[mode][1] = t[t.size() / 2];
        }
        printf("| %s | %.3f / %.3f | %.3f / %.3f | %.2f |\n", l.name, res[0][0], res[0][1], res[1][0], res[1][1],
               res[1][0] / res[0][0]);
    }
    return 0;
}
