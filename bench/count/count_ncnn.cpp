// Instruction-count harness for ncnn (bench/arm_count.py), the twin of count_engine.c:
//     count_ncnn MODEL.param STAGE [RUNS [OUT]]
// STAGE 0 exits at once, 1 loads param + bin (ncnn packs and transforms weights there:
// load and prepare), 2 also runs RUNS inferences on 1 thread, fp32 storage and arithmetic
// (fp16/bf16 off), the same input pattern as count_engine. Blob names: in0 / out0
// (sdkbuild/ncnn_export.py). int8 models (ncnn2int8's output) run int8 as ncnn does by
// default (opt.use_int8_inference). OUT (stage 2, run without the counter): the output's
// float32 values are written there (arm_count.py's cosine check of int8 against fp32).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: count_ncnn MODEL.param STAGE [RUNS [OUT]] (dims from the Input layer)\n");
        return 2;
    }
    const int stage = atoi(argv[2]), runs = argc > 3 ? atoi(argv[3]) : 1;
    if (stage == 0) return 0;
    ncnn::Net net;
    net.opt.num_threads = 1;
    net.opt.use_vulkan_compute = false;
    net.opt.use_fp16_storage = net.opt.use_fp16_packed = net.opt.use_fp16_arithmetic = false;
    net.opt.use_bf16_storage = false;
    char bin[4096];
    snprintf(bin, sizeof bin, "%s", argv[1]);
    char* dot = strrchr(bin, '.');
    if (!dot) return 2;
    strcpy(dot, ".bin");
    if (net.load_param(argv[1]) != 0 || net.load_model(bin) != 0) {
        fprintf(stderr, "count_ncnn: cannot load %s\n", argv[1]);
        return 1;
    }
    if (stage >= 2) {
        // the Input layer's w h c (layer 0 of the exported param: "Input input 0 1 in0 0=W 1=H 2=C")
        int w = 1, h = 1, c = 1;
        FILE* f = fopen(argv[1], "r");
        char line[4096];
        while (f && fgets(line, sizeof line, f)) {
            if (strncmp(line, "Input", 5) != 0) continue;
            const char* p;
            if ((p = strstr(line, " 0="))) w = atoi(p + 3);
            if ((p = strstr(line, " 1="))) h = atoi(p + 3);
            if ((p = strstr(line, " 2="))) c = atoi(p + 3);
            break;
        }
        if (f) fclose(f);
        ncnn::Mat in(w, h, c);
        unsigned r = 12345u;
        for (int q = 0; q < c; ++q) {
            float* d = in.channel(q);
            for (int i = 0; i < w * h; ++i) {
                r = r * 1103515245u + 12345u;
                d[i] = (float)((r >> 8) & 0xffff) / 32768.0f - 1.0f;
            }
        }
        for (int k = 0; k < runs; ++k) {
            ncnn::Extractor ex = net.create_extractor();
            ex.input("in0", in);
            ncnn::Mat out;
            if (ex.extract("out0", out) != 0) {
                fprintf(stderr, "count_ncnn: extract failed\n");
                return 1;
            }
            if (argc > 4 && k == runs - 1) {
                ncnn::Mat flat = out.reshape(out.w * out.h * out.d * out.c);  // drops the channel padding
                FILE* o = fopen(argv[4], "wb");
                if (!o || fwrite((const float*)flat, sizeof(float), flat.w, o) != (size_t)flat.w) {
                    fprintf(stderr, "count_ncnn: cannot write the output to %s\n", argv[4]);
                    return 1;
                }
                fclose(o);
            }
        }
    }
    return 0;
}
