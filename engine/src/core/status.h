// Status codes and the per-thread last error message.
#pragma once

#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>

#include "sdkengine/engine.h"

namespace sdk {

// Formats the message into this thread's error buffer and returns `status`.
sdk_status set_error(sdk_status status, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
sdk_status set_error_v(sdk_status status, const char* fmt, va_list ap);
// Appends to the current message (for context such as the file name).
void prefix_error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
const char* last_error();
// Appends a, b and c to this thread's message (no formatting; for lists of names).
void append_error(const char* a, const char* b, const char* c);
// Makes the pthread keys (the message and worker index keys) on first use; false when they
// could not be made.
bool keys_ready();
// The loader's fast CRC-32 (IEEE) update (kernels/ref/common.cpp), set by the generated op
// registry in builds with ops; nullptr in the op-less engine (a bitwise loop instead).
extern uint32_t (*const kCrc32Update)(uint32_t crc, const uint8_t* p, size_t n) __attribute__((visibility("hidden")));
// a and b are equal C strings (the engine's one string comparison: strcmp is not imported;
// names are compared at load and kernel selection, never in a run).
bool str_eq(const char* a, const char* b);
// A memory limit's message (one format for the model's and the session's): who ("model",
// "session"), the bytes needed, for what, the limit, and the option that raises it.
#define SDK_LIMIT_FORMAT "the %s needs %llu bytes for %s, over its limit of %zu: raise %s if you trust the model"
// vsnprintf into buf (the engine's one formatting path: snprintf is not imported).
int format(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
void clear_error();

}  // namespace sdk
