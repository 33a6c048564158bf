// libFuzzer target over the public C API: load a .sdkm file, create a session, set the
// inputs, run, read every output (docs/fuzzing.md).
//
//     meson setup b engine -Dops=<all> -Disa=x86 -Dtests=true -Dfuzz=true \
//         -Db_sanitize=address,undefined -Db_lundef=false        (CXX=clang++)
//     b/tests/fuzz_load_run CORPUS/ SEEDS/ -max_total_time=60
//
// The same entry point is linked into fuzz_replay (any compiler, no libFuzzer), which runs
// saved inputs: the regression files in tests/data/ run through it in the normal and the
// sanitizer builds.
//
// An input is a .sdkm file whose header the harness completes before loading: the file
// size and the CRC are recomputed (so mutations reach the structural checks instead of
// failing the checksum; tests/test_loader.py covers the checksum itself), and the header's
// reserved byte 28 chooses how the model is run:
//     bit 0      2 threads (else 1)
//     bits 1-2   int8 kernels: best for the CPU, ref, sse41, avx2   (SDK_INT8_GEMM)
//     bits 3-4   fp32 kernels: best for the CPU, ref, sse41, avx2   (SDK_F32_GEMM)
//     bits 5-6   input bytes: pseudo-random, all 0x80, all 0x7F, alternating 0x80/0x7F (float
//                inputs: +-inf, NaN, -0, +-FLT_MAX, a denormal, 1 in turn)
//     bit 7      float inputs through sdk_session_set_input_f32 (quantized by the engine)
// The loader ignores the reserved field, so a seed written by sdkbuild runs with 0.
//
// Besides sanitizer reports and crashes, the harness aborts on a broken contract: a failed
// call without a message, a message with control bytes, SDK_ERR_INTERNAL, a status the
// call may not return, or a loaded model whose run fails for any reason but memory.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "fuzz_stats.h"
#include "sdkengine/engine.h"

// Test hooks of the x86 fp32 tiers (kernels/sgemm_x86.h): weak, so builds without them link.
namespace sdk {
namespace ref {
__attribute__((weak)) void x86_sgemm_set_enabled(int on);
__attribute__((weak)) void x86_f32_set_avx512(int on);
__attribute__((weak)) void x86_f32_set_sse41(int on);
}  // namespace ref
}  // namespace sdk

FuzzStats g_fuzz_stats;

namespace {

constexpr size_t kLimit = 64u << 20;  // model and session limits while fuzzing (fast runs)

[[noreturn]] void broken(const char* what, const char* call, sdk_status st) {
    fprintf(stderr, "fuzz_load_run: contract broken: %s (%s returned %d: '%s')\n", what, call, (int)st,
            sdk_last_error());
    abort();
}

// A failed call must name the problem in a printable message.
void check_failure(const char* call, sdk_status st) {
    if (st < SDK_OK || st > SDK_ERR_INTERNAL) broken("unknown status", call, st);
    if (st == SDK_ERR_INTERNAL) broken("internal error", call, st);
    const char* msg = sdk_last_error();
    if (!msg[0]) broken("failure without a message", call, st);
    for (const char* p = msg; *p; ++p)
        if ((unsigned char)*p < 0x20 || *p == 0x7F) broken("control byte in the message", call, st);
    g_fuzz_stats.by_status[st]++;
}

uint32_t crc32(const uint8_t* p, size_t n) {
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

void set_tiers(uint8_t cfg) {
    static const char* const kTier[4] = {nullptr, "ref", "sse41", "avx2"};
    const char* s8 = kTier[(cfg >> 1) & 3];
    const char* f32 = kTier[(cfg >> 3) & 3];
    if (s8) setenv("SDK_INT8_GEMM", s8, 1);
    else unsetenv("SDK_INT8_GEMM");
    if (f32) setenv("SDK_F32_GEMM", f32, 1);
    else unsetenv("SDK_F32_GEMM");
    // the fp32 tiers cache their choice: back to "auto", which reads the variable again
    if (sdk::ref::x86_sgemm_set_enabled) sdk::ref::x86_sgemm_set_enabled(-1);
    if (sdk::ref::x86_f32_set_avx512) sdk::ref::x86_f32_set_avx512(-1);
    if (sdk::ref::x86_f32_set_sse41) sdk::ref::x86_f32_set_sse41(-1);
}

void fill(uint8_t* p, size_t n, uint8_t cfg, uint32_t* seed, int32_t dtype) {
    const int mode = (cfg >> 5) & 3;
    if (mode == 3 && dtype == SDK_DTYPE_F32) {  // float extremes: +-inf, NaN, -0, +-max, denormal
        static const uint32_t kSpecial[8] = {0x7F800000u, 0xFF800000u, 0x7FC00000u, 0x80000000u,
                                             0x7F7FFFFFu, 0xFF7FFFFFu, 0x00000001u, 0x3F800000u};
        for (size_t i = 0; i + 4 <= n; i += 4) memcpy(p + i, &kSpecial[(i / 4) % 8], 4);
        return;
    }
    for (size_t i = 0; i < n; ++i) {
        uint8_t v;
        if (mode == 0) {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 17;
            *seed ^= *seed << 5;
            v = (uint8_t)*seed;
        } else {
            v = mode == 1 ? 0x80 : (mode == 2 ? 0x7F : ((i & 1) ? 0x7F : 0x80));
        }
        p[i] = dtype == SDK_DTYPE_BOOL ? (v & 1) : v;  // a bool byte holds 0 or 1
    }
}

void run_model(sdk_model* m, uint8_t cfg, uint32_t seed) {
    sdk_session_options_ex o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.num_threads = (cfg & 1) ? 2 : 1;
    o.max_session_bytes = kLimit;
    sdk_session* s = nullptr;
    sdk_status st = sdk_session_create_ex(m, &o, &s);
    if (st != SDK_OK) {
        if (st != SDK_ERR_OUT_OF_MEMORY) broken("session refused for a loaded model", "sdk_session_create_ex", st);
        check_failure("sdk_session_create_ex", st);
        g_fuzz_stats.session_refused++;
        return;
    }
    const int32_t nin = sdk_model_input_count(m), nout = sdk_model_output_count(m);
    for (int32_t i = 0; i < nin; ++i) {
        sdk_tensor_info info;
        if ((st = sdk_model_input_info(m, i, &info)) != SDK_OK) broken("input info", "sdk_model_input_info", st);
        void* p = nullptr;
        size_t n = 0;
        const bool f32_path = (cfg & 0x80) && info.dtype != SDK_DTYPE_I64 && info.dtype != SDK_DTYPE_BOOL;
        if (f32_path) {
            size_t count = 1;
            for (int k = 0; k < info.rank; ++k) count *= (size_t)info.dims[k];
            std::vector<float> x(count + 1);
            fill(reinterpret_cast<uint8_t*>(x.data()), count * 4, cfg, &seed, SDK_DTYPE_F32);
            st = sdk_session_set_input_f32(s, i, x.data(), count);
            if (st != SDK_OK) broken("set_input_f32 of the right size", "sdk_session_set_input_f32", st);
        } else {
            st = sdk_session_input_buffer(s, i, &p, &n);
            if (st != SDK_OK || n != info.byte_size) broken("input buffer", "sdk_session_input_buffer", st);
            fill(static_cast<uint8_t*>(p), n, cfg, &seed, info.dtype);
        }
    }
    st = sdk_session_run(s);
    if (st != SDK_OK) {
        // a loaded model must run; only memory may run out, or input values the ops check at run
        // time be refused (an index out of range for Gather*/ScatterND: INVALID_ARGUMENT)
        if (st != SDK_ERR_OUT_OF_MEMORY && st != SDK_ERR_INVALID_ARGUMENT)
            broken("a loaded model failed to run", "sdk_session_run", st);
        check_failure("sdk_session_run", st);
        g_fuzz_stats.run_refused++;
    } else {
        g_fuzz_stats.ran++;
        for (int32_t i = 0; i < nout; ++i) {
            sdk_tensor_info info;
            if ((st = sdk_model_output_info(m, i, &info)) != SDK_OK) broken("output info", "sdk_model_output_info", st);
            size_t count = 1;
            for (int k = 0; k < info.rank; ++k) count *= (size_t)info.dims[k];
            std::vector<float> y(count + 1);
            if ((st = sdk_session_get_output_f32(s, i, y.data(), count)) != SDK_OK)
                broken("output as float", "sdk_session_get_output_f32", st);
            const void* q = nullptr;
            size_t n = 0;
            if ((st = sdk_session_output_buffer(s, i, &q, &n)) != SDK_OK || n != info.byte_size)
                broken("output buffer", "sdk_session_output_buffer", st);
            volatile uint8_t sink = 0;
            for (size_t k = 0; k < n; k += 64) sink = sink ^ static_cast<const uint8_t*>(q)[k];  // reads must be valid
        }
        // a run consumes its inputs: a second run without new ones is refused
        if (nin > 0) {
            st = sdk_session_run(s);
            if (st != SDK_ERR_STATE) broken("second run without inputs", "sdk_session_run", st);
            check_failure("sdk_session_run", st);
        }
    }
    sdk_session_free(s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    g_fuzz_stats.inputs++;
    std::vector<uint8_t> b(data, data + size);
    uint8_t cfg = 0;
    uint32_t seed = 0x9E3779B9u;
    if (size >= 32) {
        cfg = b[28];
        const uint64_t n = size;
        memcpy(b.data() + 16, &n, 8);
        const uint32_t c = crc32(b.data() + 32, size - 32);
        memcpy(b.data() + 24, &c, 4);
        seed ^= c;
    }
    set_tiers(cfg);
    sdk_model_options mo;
    memset(&mo, 0, sizeof mo);
    mo.struct_size = sizeof mo;
    mo.max_model_bytes = kLimit;
    sdk_model* m = nullptr;
    sdk_status st = sdk_model_load_memory_ex(b.data(), b.size(), &mo, &m);
    if (st != SDK_OK) {
        if (m) broken("a model handle after a failed load", "sdk_model_load_memory_ex", st);
        if (st != SDK_ERR_BAD_MODEL && st != SDK_ERR_UNSUPPORTED && st != SDK_ERR_OUT_OF_MEMORY)
            broken("unexpected load status", "sdk_model_load_memory_ex", st);
        check_failure("sdk_model_load_memory_ex", st);
        g_fuzz_stats.load_refused++;
        return 0;
    }
    sdk_memory_info mi;
    if ((st = sdk_model_memory_info(m, &mi)) != SDK_OK) broken("memory info", "sdk_model_memory_info", st);
    run_model(m, cfg, seed);
    sdk_model_free(m);
    return 0;
}
