#include "core/status.h"

#include "core/alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace sdk {

#if SDK_FEATURE_THREADS
pthread_key_t g_index_key;  // the thread pool's worker index (thread_pool.cpp)
#endif
// The pthread keys (this file's message key and the worker index key): 0 not made yet,
// 1 being made, 2 made, 3 failed (messages then go to a shared fallback buffer, and sessions
// run on the calling thread only). Made on first use: no library constructor (its
// .init_array, relocation and dynamic tags) and no pthread_once (an import).
int g_keys;

namespace {
pthread_key_t g_key;
void free_buffer(void* p) { free(p); }  // (free itself would need a GOT entry and a relocation)
}  // namespace

bool keys_ready() {
    int state = __atomic_load_n(&g_keys, __ATOMIC_ACQUIRE);
    if (state == 0 && __atomic_compare_exchange_n(&g_keys, &state, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
        bool ok = pthread_key_create(&g_key, free_buffer) == 0;
#if SDK_FEATURE_THREADS
        ok = ok && pthread_key_create(&g_index_key, nullptr) == 0;
#endif
        __atomic_store_n(&g_keys, ok ? 2 : 3, __ATOMIC_RELEASE);
        return ok;
    }
    while (state == 1) state = __atomic_load_n(&g_keys, __ATOMIC_ACQUIRE);  // being made: microseconds
    return state == 2;
}

namespace {
// The per-thread message lives behind a pthread key rather than in `thread_local`:
// ELF TLS in a shared library makes glibc builds depend on the dynamic loader
// (__tls_get_addr in ld-linux) and needs emulated TLS below Android API 29; a key
// needs nothing beyond libc/pthread on every platform.
constexpr size_t kErrorSize = 1024;  // room for the list of compiled ops (60+ op types)
// Used only when a thread's buffer cannot be allocated: shared, so best effort.
char g_fallback[kErrorSize];

char* error_buffer(bool create) {
    if (!keys_ready()) return g_fallback;
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
// buffer after every change (idempotent: the escapes are printable). In place: the rest of
// the message moves right (what no longer fits is cut), so no copy of the buffer is needed.
void escape_controls(char* err) {
    size_t len = 0;
    while (len < kErrorSize - 1 && err[len]) ++len;
    for (size_t i = 0; i < len; ++i) {
        const uint8_t c = static_cast<uint8_t>(err[i]), c2 = static_cast<uint8_t>(err[i + 1]);
        const size_t k = c == 0xC2 && c2 >= 0x80 && c2 < 0xA0 ? 2 : 1;  // bytes escaped
        if (c >= 0x20 && c != 0x7F && k == 1) continue;
        if (i + 4 * k > kErrorSize - 1) {  // no room for the escape: the message ends here
            len = i;
            break;
        }
        const size_t grow = 3 * k, end = len + grow > kErrorSize - 1 ? kErrorSize - 1 - grow : len;
        for (size_t j = end; j-- > i + k;) err[j + grow] = err[j];
        for (size_t m = k; m-- > 0;) {  // backwards: the escape of byte m overwrites bytes > m only
            static const char hex[] = "0123456789abcdef";
            const uint8_t b = m ? c2 : c;
            char* o = err + i + 4 * m;
            o[0] = '\\';
            o[1] = 'x';
            o[2] = hex[b >> 4];
            o[3] = hex[b & 15];
        }
        len = end + grow;
        i += 4 * k - 1;
    }
    err[len] = '\0';
}
}  // namespace

bool str_eq(const char* a, const char* b) {
    while (*a && *a == *b) ++a, ++b;
    return *a == *b;
}

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
    vsnprintf(err, kErrorSize, fmt, ap);
    va_end(ap);
    old[kErrorSize - 1] = '\0';
    append_error(old, "", "");  // the old message after it, cut to the buffer; escapes the whole
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
