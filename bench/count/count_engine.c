/* Instruction-count harness for the engine (bench/arm_count.py): under an instruction
 * counter (QEMU's insn plugin, or valgrind on the host) run
 *     count_engine MODEL.sdkm STAGE [RUNS [OUT]]
 * STAGE 0 exits before touching the model (process start-up only), 1 loads the model and
 * creates a 1-thread session, 2 also sets the input and runs RUNS inferences. Differences
 * between stages give the load+prepare cost and the cost per inference. The input is a
 * fixed pseudo-random pattern (the same bytes on every ISA). OUT (stage 2, run without the
 * counter): the first output's float32 values are written there, so arm_count.py can check
 * int8 against fp32 (cosine) on the ARM kernels themselves. */
#include <stdio.h>
#include <stdlib.h>

#include "sdkengine/engine.h"

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: count_engine MODEL.sdkm STAGE [RUNS [OUT]]\n");
        return 2;
    }
    int stage = atoi(argv[2]), runs = argc > 3 ? atoi(argv[3]) : 1;
    if (stage == 0) return 0;
    sdk_model* m = NULL;
    sdk_session* s = NULL;
    sdk_tensor_info in;
    if (sdk_model_load_file(argv[1], &m) != SDK_OK || sdk_model_input_info(m, 0, &in) != SDK_OK) {
        fprintf(stderr, "count_engine: %s\n", sdk_last_error());
        return 1;
    }
    sdk_session_options opt = {1};
    if (sdk_session_create(m, &opt, &s) != SDK_OK) {
        fprintf(stderr, "count_engine: %s\n", sdk_last_error());
        return 1;
    }
    if (stage >= 2) {
        size_t n = 1;
        for (int i = 0; i < in.rank; ++i) n *= (size_t)in.dims[i];
        float* x = (float*)malloc(n * sizeof(float));
        unsigned r = 12345u;
        for (size_t i = 0; i < n; ++i) {
            r = r * 1103515245u + 12345u;
            x[i] = (float)((r >> 8) & 0xffff) / 32768.0f - 1.0f;
        }
        for (int k = 0; k < runs; ++k) {
            if (sdk_session_set_input_f32(s, 0, x, n) != SDK_OK || sdk_session_run(s) != SDK_OK) {
                fprintf(stderr, "count_engine: %s\n", sdk_last_error());
                return 1;
            }
        }
        free(x);
        if (argc > 4) {
            sdk_tensor_info o;
            if (sdk_model_output_info(m, 0, &o) != SDK_OK) {
                fprintf(stderr, "count_engine: %s\n", sdk_last_error());
                return 1;
            }
            size_t no = 1;
            for (int i = 0; i < o.rank; ++i) no *= (size_t)o.dims[i];
            float* y = (float*)malloc(no * sizeof(float));
            FILE* f = fopen(argv[4], "wb");
            if (!y || !f || sdk_session_get_output_f32(s, 0, y, no) != SDK_OK || fwrite(y, sizeof(float), no, f) != no) {
                fprintf(stderr, "count_engine: cannot write the output to %s (%s)\n", argv[4], sdk_last_error());
                return 1;
            }
            fclose(f);
            free(y);
        }
    }
    sdk_session_free(s);
    sdk_model_free(m);
    return 0;
}
