// Names for messages, shared by the core (context.cpp) and the ops (ops/op_util.h, the
// op files' helper header). Header-only, no stdlib.
#pragma once

#include "core/op.h"
#include "core/status.h"

namespace sdk {

inline const char* dtype_name(DType t) {
    switch (t) {
        case DType::F32: return "f32";
        case DType::I8: return "i8";
        case DType::I32: return "i32";
        case DType::U8: return "u8";
        case DType::I64: return "i64";
        case DType::BOOL: return "bool";
        case DType::F16: return "f16";
    }
    return "?";
}

// "[1, 3, 224, 224]" into buf (always NUL-terminated).
inline const char* shape_str(const Shape& s, char* buf, size_t n) {
    size_t len = 0;
    for (int i = 0; i <= s.rank && len < n; ++i) {
        int w = i < s.rank ? format(buf + len, n - len, "%s%d", i ? ", " : "[", s.dims[i])
                           : format(buf + len, n - len, "%s]", i ? "" : "[");
        if (w < 0) break;
        len += static_cast<size_t>(w);
    }
    return buf;
}

}  // namespace sdk
