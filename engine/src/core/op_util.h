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
#if SDK_FEATURE_STORAGE
        case DType::I16: return "i16";
        case DType::U16: return "u16";
        case DType::U32: return "u32";
        case DType::U64: return "u64";
        case DType::BF16: return "bf16";
        case DType::F8E4M3FN: return "f8e4m3fn";
        case DType::F8E4M3FNUZ: return "f8e4m3fnuz";
        case DType::F8E5M2: return "f8e5m2";
        case DType::F8E5M2FNUZ: return "f8e5m2fnuz";
        case DType::F8E8M0: return "f8e8m0";
        case DType::F4E2M1: return "f4e2m1";
        case DType::I4: return "i4";
        case DType::U4: return "u4";
        case DType::I2: return "i2";
        case DType::U2: return "u2";
#endif
        default: break;  // only the storage types, in an engine built without them
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
