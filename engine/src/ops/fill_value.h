// A float attribute (Pad's value, Resize's extrapolation_value) as one element of a
// tensor's dtype: f16 rounded, int8 with quantization quantized, integers truncated and
// saturated, bool as != 0. Header-only.
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/half.h"
#include "core/op.h"
#include "ops/op_util.h"

namespace sdk {
namespace opu {

inline uint64_t value_bytes(const Tensor& t, float v) {
    uint64_t out = 0;
    switch (t.dtype) {
        case DType::F32: memcpy(&out, &v, 4); break;
        case DType::F16: {
            uint16_t h = float_to_half(v);
            memcpy(&out, &h, 2);
            break;
        }
        case DType::I8: {
            float s = 1.0f;
            int32_t zp = 0;
            double q = opu::per_tensor_quant(t, &s, &zp) ? rint((double)v / s) + zp : trunc((double)v);
            int8_t b = (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
            memcpy(&out, &b, 1);
            break;
        }
        case DType::U8:
        case DType::BOOL: {
            double q = t.dtype == DType::BOOL ? (v != 0.0f) : trunc((double)v);
            uint8_t b = (uint8_t)(q < 0 ? 0 : (q > 255 ? 255 : q));
            memcpy(&out, &b, 1);
            break;
        }
        case DType::I32: {
            int32_t i = (int32_t)(v < -2147483648.0f ? -2147483647 - 1 : (v >= 2147483648.0f ? 2147483647 : v));
            memcpy(&out, &i, 4);
            break;
        }
        case DType::I64: {
            int64_t i = v < -9.2e18f ? INT64_MIN : (v > 9.2e18f ? INT64_MAX : (int64_t)v);
            memcpy(&out, &i, 8);
            break;
        }
    }
    return out;
}

}  // namespace opu
}  // namespace sdk
