// One fp32 3x3 stride-1 conv layer (pads 1, Relu fused), run `reps` times, for counting
// instructions under qemu's insn plugin (bench/wino_count.py: count(reps 2) - count(reps 1)
// is one run of the layer, deterministic whatever the machine's load).
//   wino_count C H OC MODE REPS
//   MODE g: the im2col GEMM path; w: Winograd as the engine runs it (F(4x4,3x3), on ARM
//   F(2x2,3x3) below 13x13; weights transformed per run); 2 / 4: Winograd with F(2x2) / F(4x4)
//   forced (ARM); t: only Winograd's per-run weight transform of the layer (all output
//   channels, as one single-threaded run does it).
// It includes the Winograd driver's source to reach its internal weight transform; link it
// with an engine build's internal archive (libsdkengine_internal.a), built with -Dwinograd=true.
#include "kernels/ref/conv_f32_wino.cpp"

#include <stdio.h>

int main(int argc, char** argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: wino_count C H OC g|w|t REPS\n");
        return 2;
    }
    sdk::ConvGeom g;
    memset(&g, 0, sizeof g);
    g.N = 1;
    g.C = atoi(argv[1]);
    g.H = g.W = g.OH = g.OW = atoi(argv[2]);
    g.OC = atoi(argv[3]);
    const char mode = argv[4][0];
    const int reps = atoi(argv[5]);
    g.KH = g.KW = 3;
    g.sh = g.sw = g.dh = g.dw = 1;
    g.pt = g.pl = g.pb = g.pr = 1;
    g.group = 1;
    g.act.kind = sdk::kActRelu;
    const size_t nx = (size_t)g.C * g.H * g.W, nw = (size_t)g.OC * g.C * 9, ny = (size_t)g.OC * g.H * g.W;
    float* x = (float*)malloc(nx * 4);
    float* w = (float*)malloc(nw * 4);
    float* b = (float*)calloc(g.OC, 4);
    float* y = (float*)malloc(ny * 4);
    for (size_t i = 0; i < nx; ++i) x[i] = (float)((i * 7919) % 13) * 0.1f - 0.6f;
    for (size_t i = 0; i < nw; ++i) w[i] = (float)((i * 104729) % 11) * 0.01f - 0.05f;
    sdk::ref::conv_f32_set_wino(mode == 'g' ? 0 : mode == '2' ? 2 : mode == '4' ? 3 : 1);  // 2, 4: F(2x2), F(4x4) forced (ARM)
    const sdk::ref::ConvF32Plan plan = sdk::ref::conv_f32_plan(g);
    if ((plan.wino_rb > 0) != (mode != 'g')) {
        fprintf(stderr, "plan mismatch\n");
        return 1;
    }
    const size_t sb = sdk::ref::conv_f32_thread_scratch_bytes(plan);
    float* s = (float*)calloc(sb / 4 + 16, 4);
    for (int r = 0; r < reps; ++r) {
        if (mode == 't') {
            sdk::ref::WinoJob j;
            memset(&j, 0, sizeof j);
            j.g = &g;
            j.w = w;
            // once per channel block, per tile block too where there are several channel blocks
            const int MT = plan.wino_mt, TH = (g.OH + MT - 1) / MT, nob = (g.OC + plan.wino_ob - 1) / plan.wino_ob;
            const int nblk = nob == 1 ? 1 : (TH + plan.wino_rb - 1) / plan.wino_rb;
            for (int blk = 0; blk < nblk; ++blk)
                for (int o0 = 0; o0 < g.OC; o0 += plan.wino_ob)
                    (MT == 2 ? sdk::ref::wino_weights<2> : sdk::ref::wino_weights<4>)(j, o0, g.OC - o0 < plan.wino_ob ? g.OC - o0 : plan.wino_ob, s);
        } else {
            sdk::ref::conv_f32(g, plan, x, w, b, y, s, sb, nullptr);
        }
    }
    printf("%g\n", (double)y[ny / 2]);
    return 0;
}
