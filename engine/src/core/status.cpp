#include "core/status.h"

#include <stdio.h>
#include <string.h>

namespace sdk {

namespace {
// A plain array: thread_local of a trivial type needs no guard and no destructor.
constexpr size_t kErrorSize = 512;
thread_local char t_error[kErrorSize];
}  // namespace

sdk_status set_error_v(sdk_status status, const char* fmt, va_list ap) {
    vsnprintf(t_error, kErrorSize, fmt, ap);
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
    char old[kErrorSize];
    memcpy(old, t_error, kErrorSize);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t_error, kErrorSize, fmt, ap);
    va_end(ap);
    if (n >= 0 && static_cast<size_t>(n) < kErrorSize) snprintf(t_error + n, kErrorSize - n, "%s", old);
}

const char* last_error() { return t_error; }

void clear_error() { t_error[0] = '\0'; }

}  // namespace sdk
