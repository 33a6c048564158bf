// Runs a .sdkm model through the public C API and writes its first output's raw bytes:
//     run_model MODEL.sdkm INPUT.f32 THREADS OUTPUT.bin
// INPUT.f32 holds the first input as raw float32 (quantized by the engine for an int8
// input). Two runs on one session (the second on warm buffers and started workers). For
// the cross-ISA end-to-end checks of tests/test_kernels.py, run natively or under qemu.
#include <stdio.h>
#include <stdlib.h>

#include <vector>

#include "sdkengine/engine.h"

int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: run_model MODEL.sdkm INPUT.f32 THREADS OUTPUT.bin\n");
        return 2;
    }
    sdk_model* m = nullptr;
    sdk_session* s = nullptr;
    sdk_tensor_info in, out;
    if (sdk_model_load_file(argv[1], &m) != SDK_OK || sdk_model_input_info(m, 0, &in) != SDK_OK ||
        sdk_model_output_info(m, 0, &out) != SDK_OK) {
        fprintf(stderr, "run_model: %s\n", sdk_last_error());
        return 1;
    }
    size_t n = 1;
    for (int i = 0; i < in.rank; ++i) n *= (size_t)in.dims[i];
    std::vector<float> x(n);
    FILE* f = fopen(argv[2], "rb");
    if (!f || fread(x.data(), sizeof(float), n, f) != n) {
        fprintf(stderr, "run_model: cannot read %zu floats from %s\n", n, argv[2]);
        return 1;
    }
    fclose(f);
    sdk_session_options opt = {atoi(argv[3])};
    if (sdk_session_create(m, &opt, &s) != SDK_OK) {
        fprintf(stderr, "run_model: %s\n", sdk_last_error());
        return 1;
    }
    std::vector<unsigned char> y(out.byte_size);
    for (int run = 0; run < 2; ++run) {
        if (sdk_session_set_input_f32(s, 0, x.data(), n) != SDK_OK || sdk_session_run(s) != SDK_OK ||
            sdk_session_get_output(s, 0, y.data(), y.size()) != SDK_OK) {
            fprintf(stderr, "run_model: %s\n", sdk_last_error());
            return 1;
        }
    }
    f = fopen(argv[4], "wb");
    if (!f || fwrite(y.data(), 1, y.size(), f) != y.size()) return 1;
    fclose(f);
    sdk_session_free(s);
    sdk_model_free(m);
    return 0;
}
