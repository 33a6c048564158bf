#include "core/status.h"

#include "core/alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace sdk {

#if SDK_FEATURE_THREADS
pthread_key_t g_index_key;
bool g_index_key_ok;
#endif

namespace {
// The per-thread message lives behind a pthread key rather than in `thread_local`:
// ELF TLS in a shared library makes glibc builds depend on the dynamic loader
// (__tls_get_addr in ld-linux) and needs emulated TLS below Android API 29; a key
// needs nothing beyond libc/pthread on every platform.
constexpr size_t kErrorSize = 1024;  // room for the list of compiled ops (60+ op types)
pthread_key_t g_key;
bool g_key_ok;
// Used only when a thread's buffer cannot be allocated: shared, so best effort.
char g_fallback[kErrorSize];

// The keys are made when the library is loaded: a
// constructor, not pthread_once (one libc import and a once-check per call fewer).
void free_buffer(void* p) { free(p); }  // (free itself would need a GOT entry and a relocation)

__attribute__((constructor)) void library_init() {
    g_key_ok = pthread_key_create(&g_key, free_buffer) == 0;
#if SDK_FEATURE_THREADS
    g_index_key_ok = pthread_key_create(&g_index_key, nullptr) == 0;
#endif
}

char* error_buffer(bool create) {
    if (!g_key_ok) return g_fallback;
    char* buf = static_cast<char*>(pthread_getspecific(g_key));
    if (buf || !create) return buf;
    buf = static_cast<char*>(calloc(1, kErrorSize));
    if (!buf || pthread_setspecific(g_key, buf) != 0) {
        free(buf);
        return g_fallback;
    }
    return buf;
}

// Names from the model (tensors, nodes, op types) reach the messages: C0 controls, DEL and
// the C1 controls U+0080-U+009F (UTF-8 C2 80-9F, which terminals obey too) become \xNN, so
// whoever prints a message shows the name instead of obeying it. Applied to the whole
// buffer after every change (idempotent: the escapes are printable).
void escape_controls(char* err) {
    uint8_t in[kErrorSize];
    memcpy(in, err, kErrorSize);
    in[kErrorSize - 1] = 0;
    size_t o = 0;
    for (size_t i = 0; in[i] && o < kErrorSize - 1; ++i) {
        const uint8_t c = in[i];
        const bool c1 = c == 0xC2 && in[i + 1] >= 0x80 && in[i + 1] < 0xA0;
        if (c >= 0x20 && c != 0x7F && !c1) {
            err[o++] = static_cast<char>(c);
            continue;
        }
        if (o + (c1 ? 8 : 4) > kErrorSize - 1) break;  // no room for the escape: the message ends here
        for (int k = c1 ? 2 : 1; k > 0; --k, ++i) {
            static const char hex[] = "0123456789abcdef";
            err[o++] = '\\';
            err[o++] = 'x';
            err[o++] = hex[in[i] >> 4];
            err[o++] = hex[in[i] & 15];
        }
        --i;
    }
    err[o] = '\0';
}
}  // namespace

int format(char* buf, size_t size, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

void append_error(const char* a, const char* b, const char* c) {
    char* err = error_buffer(true);
    size_t at = 0;
    while (at < kErrorSize - 1 && err[at]) ++at;
    for (int i = 0; i < 3; ++i)
        for (const char* s = i == 0 ? a : (i == 1 ? b : c); *s && at < kErrorSize - 1;) err[at++] = *s++;
    err[at] = '\0';
    escape_controls(err);
}

void* aligned_alloc64(size_t bytes) {
    if (bytes > SIZE_MAX - 3 * kAlign) return nullptr;
    void* base = calloc(1, align_up(bytes) + 2 * kAlign);  // the aligned size stays usable, as before
    if (!base) return nullptr;
    void** p = reinterpret_cast<void**>(align_up(reinterpret_cast<uintptr_t>(base) + kAlign));
    p[-1] = base;
    return p;
}

sdk_status set_error_v(sdk_status status, const char* fmt, va_list ap) {
    char* err = error_buffer(true);
    vsnprintf(err, kErrorSize, fmt, ap);
    escape_controls(err);
    return status;
}

sdk_status set_error(sdk_status status, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_error_v(status, fmt, ap);
    va_end(ap);
    return status;
}

void prefix_error(const char* fmt, ...) {
    char* err = error_buffer(true);
    char old[kErrorSize];
    memcpy(old, err, kErrorSize);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, kErrorSize, fmt, ap);
    va_end(ap);
    // append the old message, truncated to the buffer (old is NUL-terminated)
    size_t at = n < 0 ? 0 : static_cast<size_t>(n);
    for (const char* o = old; *o && at < kErrorSize - 1;) err[at++] = *o++;
    if (at < kErrorSize) err[at] = '\0';
    escape_controls(err);
}

const char* last_error() {
    const char* err = error_buffer(false);
    return err ? err : "";
}

void clear_error() {
    char* err = error_buffer(false);
    if (err) err[0] = '\0';
}

}  // namespace sdk
