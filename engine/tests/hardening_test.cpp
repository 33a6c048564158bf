// Tests of the C API's hardening (issue 14), run natively, under qemu and in the sanitizer
// builds (TSan for the threads): the session's thread-safety contract, the memory limits
// and their option structs, control bytes in messages.
//     hardening_test MODEL.sdkm      (the model of tools/make_test_model.py)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/session.h"
#include "core/session_use.h"
#include "sdkengine/engine.h"

static int g_failures = 0;
#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++g_failures;                                                            \
        }                                                                            \
    } while (0)

static bool has(const char* fragment) { return strstr(sdk_last_error(), fragment) != nullptr; }

static std::vector<uint8_t> read_file(const char* path) {
    std::vector<uint8_t> out;
    FILE* f = fopen(path, "rb");
    if (!f) return out;
    uint8_t buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
    fclose(f);
    return out;
}

static uint32_t crc32(const uint8_t* p, size_t n) {
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        crc ^= p[i];
        for (int k = 0; k < 8; ++k) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
    }
    return crc ^ 0xFFFFFFFFu;
}

// Sets both inputs of the test model (x: 64 floats, q: 16 int8) and runs; true on success
// with the right outputs, false when refused (status in *st).
static bool set_and_run(sdk_session* s, sdk_status* st) {
    float x[64], y[64];
    for (int i = 0; i < 64; ++i) x[i] = static_cast<float>(i % 9) - 4.0f;
    int8_t q[16] = {0};
    if ((*st = sdk_session_set_input(s, 0, x, sizeof x)) != SDK_OK) return false;
    if ((*st = sdk_session_set_input(s, 1, q, sizeof q)) != SDK_OK) return false;
    if ((*st = sdk_session_run(s)) != SDK_OK) return false;
    if ((*st = sdk_session_get_output(s, 0, y, sizeof y)) != SDK_OK) return false;
    for (int i = 0; i < 64; ++i)
        if (y[i] != (x[i] > 0 ? x[i] : 0.0f)) {
            *st = SDK_ERR_INTERNAL;  // a wrong output: never acceptable
            return false;
        }
    return true;
}

static void test_session_in_use(sdk_model* m) {
    sdk_session* s = nullptr;
    CHECK(sdk_session_create(m, nullptr, &s) == SDK_OK);
    if (!s) return;
    // Deterministic: hold the session as a call on another thread does.
    sdk::Session* core = reinterpret_cast<sdk::Session*>(s);
    CHECK(sdk::session_enter(core, "test"));
    float x[64] = {0};
    void* p = nullptr;
    size_t n = 0;
    CHECK(sdk_session_set_input(s, 0, x, sizeof x) == SDK_ERR_STATE);
    CHECK(has("sdk_session_set_input: the session is in use on another thread"));
    CHECK(has("use one session per thread"));
    CHECK(sdk_session_set_input_f32(s, 0, x, 64) == SDK_ERR_STATE);
    CHECK(sdk_session_input_buffer(s, 0, &p, &n) == SDK_ERR_STATE);
    CHECK(sdk_session_run(s) == SDK_ERR_STATE && has("sdk_session_run: the session is in use on another thread"));
    CHECK(sdk_session_get_output(s, 0, x, sizeof x) == SDK_ERR_STATE);
    CHECK(sdk_session_get_output_f32(s, 0, x, 64) == SDK_ERR_STATE);
    const void* cp = nullptr;
    CHECK(sdk_session_output_buffer(s, 0, &cp, &n) == SDK_ERR_STATE);
    sdk_session_free(s);  // refused: the session stays valid for its user
    CHECK(has("sdk_session_free: the session is in use on another thread"));
    __atomic_store_n(&core->in_use, 0, __ATOMIC_RELEASE);  // that call returns
    sdk_status st = SDK_OK;
    CHECK(set_and_run(s, &st));
    CHECK(__atomic_load_n(&core->in_use, __ATOMIC_RELAXED) == 0);  // every call let go

    // Real threads on one session: each call either runs on its own or is refused; a run
    // that goes through gives the right output; TSan sees no race.
    std::atomic<int> ok{0}, busy{0}, stale{0}, wrong{0};
    auto hammer = [&] {
        for (int i = 0; i < 400; ++i) {
            sdk_status t = SDK_OK;
            if (set_and_run(s, &t)) {
                ++ok;
            } else if (t == SDK_ERR_STATE && has("in use on another thread")) {
                ++busy;
            } else if (t == SDK_ERR_STATE) {
                ++stale;  // the other thread's run consumed the inputs between our set and run
            } else {
                ++wrong;
            }
        }
    };
    std::thread a(hammer), b(hammer);
    a.join();
    b.join();
    CHECK(wrong == 0);
    CHECK(ok > 0);
    printf("session in use: %d runs, %d refused as busy, %d refused as stale inputs\n", ok.load(), busy.load(),
           stale.load());
    sdk_session_free(s);
}

static void test_limits(sdk_model* m, const std::vector<uint8_t>& file) {
    sdk_memory_info mi;
    CHECK(sdk_model_memory_info(m, &mi) == SDK_OK);
    sdk_session_options_ex o;
    memset(&o, 0, sizeof o);
    sdk_session* s = nullptr;
    // struct_size must be set
    CHECK(sdk_session_create_ex(m, &o, &s) == SDK_ERR_INVALID_ARGUMENT && s == nullptr);
    CHECK(has("struct_size is 0; set it to sizeof(sdk_session_options_ex)"));
    // an older, shorter struct (only num_threads): the limit takes its default
    o.struct_size = 8;
    o.num_threads = 2;
    o.max_session_bytes = 1;  // beyond struct_size: not read
    CHECK(sdk_session_create_ex(m, &o, &s) == SDK_OK);
    sdk_session_free(s);
    o.struct_size = sizeof o;
    o.max_session_bytes = mi.arena_bytes / 2;
    CHECK(sdk_session_create_ex(m, &o, &s) == SDK_ERR_OUT_OF_MEMORY && s == nullptr);
    CHECK(has("the session needs") && has("max_session_bytes"));
    o.max_session_bytes = 0;  // the default
    CHECK(sdk_session_create_ex(m, &o, &s) == SDK_OK);
    sdk_session_free(s);
    CHECK(sdk_session_create_ex(m, nullptr, &s) == SDK_OK);  // NULL: defaults
    sdk_session_free(s);

    sdk_model_options mo;
    memset(&mo, 0, sizeof mo);
    sdk_model* m2 = nullptr;
    CHECK(sdk_model_load_memory_ex(file.data(), file.size(), &mo, &m2) == SDK_ERR_INVALID_ARGUMENT && !m2);
    mo.struct_size = sizeof mo;
    mo.max_model_bytes = file.size() - 1;
    CHECK(sdk_model_load_memory_ex(file.data(), file.size(), &mo, &m2) == SDK_ERR_OUT_OF_MEMORY && !m2);
    CHECK(has("for the copy of the file") && has("max_model_bytes"));
    mo.max_model_bytes = file.size();  // the copy fits, its tables do not
    CHECK(sdk_model_load_memory_ex(file.data(), file.size(), &mo, &m2) == SDK_ERR_OUT_OF_MEMORY && !m2);
    CHECK(has("max_model_bytes"));
    mo.max_model_bytes = 0;
    CHECK(sdk_model_load_memory_ex(file.data(), file.size(), &mo, &m2) == SDK_OK);
    sdk_model_free(m2);
    CHECK(sdk_model_load_memory_ex(file.data(), file.size(), nullptr, &m2) == SDK_OK);
    sdk_model_free(m2);

    // in place: the caller's aligned bytes are not charged, the model's tables are
    void* block = nullptr;
    CHECK(posix_memalign(&block, 64, file.size() + 64) == 0);
    memcpy(block, file.data(), file.size());
    // the least limit in place: what the model allocates itself, without the file
    size_t lo = 1, hi = size_t(1) << 30;
    while (lo < hi) {
        mo.max_model_bytes = lo + (hi - lo) / 2;
        if (sdk_model_load_memory_in_place_ex(block, file.size(), &mo, &m2) == SDK_OK) {
            sdk_model_free(m2);
            hi = mo.max_model_bytes;
        } else {
            lo = mo.max_model_bytes + 1;
        }
    }
    mo.max_model_bytes = lo;  // enough in place, not for a copy of the file as well
    CHECK(sdk_model_load_memory_in_place_ex(block, file.size(), &mo, &m2) == SDK_OK);
    sdk_model_free(m2);
    CHECK(sdk_model_load_memory_ex(block, file.size(), &mo, &m2) == SDK_ERR_OUT_OF_MEMORY && !m2);
    mo.max_model_bytes = 1;  // not even the tables fit
    CHECK(sdk_model_load_memory_in_place_ex(block, file.size(), &mo, &m2) == SDK_ERR_OUT_OF_MEMORY && !m2);
    CHECK(has("max_model_bytes"));
    uint8_t* unaligned = static_cast<uint8_t*>(block) + 8;  // copied: the copy is charged
    memmove(unaligned, block, file.size());
    mo.max_model_bytes = file.size() - 1;
    CHECK(sdk_model_load_memory_in_place_ex(unaligned, file.size(), &mo, &m2) == SDK_ERR_OUT_OF_MEMORY && !m2);
    CHECK(has("for the copy of the file"));
    mo.struct_size = 0;
    CHECK(sdk_model_load_memory_in_place_ex(block, file.size(), &mo, &m2) == SDK_ERR_INVALID_ARGUMENT && !m2);
    CHECK(sdk_model_load_memory_in_place_ex(unaligned, file.size(), nullptr, &m2) == SDK_OK);
    sdk_model_free(m2);
    free(block);
}

// A tensor name with control bytes reaches a message escaped.
static void test_escaped_names(const std::vector<uint8_t>& good) {
    std::vector<uint8_t> b = good;
    uint32_t nsec;
    memcpy(&nsec, &b[12], 4);
    uint64_t strings = 0, strings_size = 0, tensors = 0;
    for (uint32_t i = 0; i < nsec; ++i) {
        uint32_t kind;
        uint64_t off, size;
        memcpy(&kind, &b[32 + 24 * i], 4);
        memcpy(&off, &b[32 + 24 * i + 8], 8);
        memcpy(&size, &b[32 + 24 * i + 16], 8);
        if (kind == 1) strings = off, strings_size = size;
        if (kind == 2) tensors = off;
    }
    // tensor 1 is "a": its name becomes ESC (same length) and its first dim 2, so that
    // Relu's prepare names it in the shape message
    uint32_t name_ref;
    memcpy(&name_ref, &b[tensors + 64], 4);
    CHECK(strings && tensors && name_ref < strings_size && b[strings + name_ref] == 'a');
    if (!strings || !tensors) return;
    b[strings + name_ref] = 0x1b;
    const int32_t d = 2;
    memcpy(&b[tensors + 64 + 8], &d, 4);
    const uint32_t c = crc32(b.data() + 32, b.size() - 32);
    memcpy(&b[24], &c, 4);
    sdk_model* m = nullptr;
    CHECK(sdk_model_load_memory(b.data(), b.size(), &m) == SDK_ERR_BAD_MODEL);
    CHECK(has("output '\\x1b' has shape"));
    for (const char* p = sdk_last_error(); *p; ++p) CHECK(static_cast<unsigned char>(*p) >= 0x20);
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: hardening_test MODEL.sdkm\n");
        return 2;
    }
    std::vector<uint8_t> file = read_file(argv[1]);
    sdk_model* m = nullptr;
    if (sdk_model_load_file(argv[1], &m) != SDK_OK) {
        // a build without Relu/Reshape: nothing here applies
        printf("hardening_test: the test model does not load in this build (%s); skipped\n", sdk_last_error());
        return 0;
    }
    test_session_in_use(m);
    test_limits(m, file);
    test_escaped_names(file);
    sdk_model_free(m);
    if (g_failures) {
        fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    printf("hardening_test: all checks passed\n");
    return 0;
}
