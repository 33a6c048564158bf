// Cast: the input's values in the output's dtype, between f32, f16, i64, i32, i8, u8 and
// bool (raw values: quantized tensors are refused). Integers wrap when narrowed (as numpy);
// floats become integers by truncation toward zero, NaN becoming 0 and values outside
// int64 saturating (C leaves those undefined); f32 -> f16 rounds to nearest even
// (core/half.h); any nonzero (NaN too) is true. In place when the sizes allow (kOpInplace):
// each block of elements is read before it is written.
#include "core/half.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

constexpr int kBlock = 256;

struct CastData {
    DType from, to;
#if SDK_FEATURE_STORAGE
    uint8_t saturate;    // float8 targets: out of range -> the largest finite value (else NaN or Inf)
    uint8_t round_mode;  // float8e8m0 targets: 0 up, 1 down, 2 nearest
#endif
};

#if SDK_FEATURE_STORAGE
// ---- storage types (SDK_FEATURE_STORAGE): exact conversions as ONNX's reference (ml_dtypes)
bool is_float(DType t) {
    return t == DType::F32 || t == DType::F16 || (t >= DType::BF16 && t <= DType::F4E2M1);
}

// A small float format: exponent bits, mantissa bits, bias; the largest finite code (sign
// bit clear), the code of an overflow without saturation and of NaN (sign added unless
// `uz`: a single NaN 0x80 and no -0).
struct MiniFloat {
    uint8_t ebits, mbits, bias, max_code, ovf_code, nan_code, uz, sat_always;
};
const MiniFloat* minifloat(DType t) {
    static const MiniFloat kF[] = {
        {4, 3, 7, 0x7e, 0x7f, 0x7f, 0, 0},    // F8E4M3FN
        {4, 3, 8, 0x7f, 0x80, 0x80, 1, 0},    // F8E4M3FNUZ
        {5, 2, 15, 0x7b, 0x7c, 0x7e, 0, 0},   // F8E5M2 (overflow: Inf)
        {5, 2, 16, 0x7f, 0x80, 0x80, 1, 0},   // F8E5M2FNUZ
        {0, 0, 0, 0, 0, 0, 0, 0},             // F8E8M0 (its own code)
        {2, 1, 1, 0x7, 0x7, 0x8, 0, 1},       // F4E2M1: saturates always, no NaN
    };
    return &kF[static_cast<int>(t) - static_cast<int>(DType::F8E4M3FN)];
}

inline uint32_t fbits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}
inline float bitsf(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}

float mini_decode(const MiniFloat& F, uint32_t c) {
    const uint32_t sbit = 1u << (F.ebits + F.mbits);
    const uint32_t mag = c & (sbit - 1);
    const bool neg = (c & sbit) != 0;
    if (F.uz ? c == 0x80 : (F.ebits == 4 ? mag == 0x7f : (F.ebits == 5 && mag > 0x7c)))
        return bitsf((neg ? 0x80000000u : 0) | 0x7fc00000u);  // NaN (its sign kept, as ml_dtypes)
    if (!F.uz && F.ebits == 5 && mag == 0x7c) return bitsf((neg ? 0x80000000u : 0) | 0x7f800000u);  // Inf
    const uint32_t e = mag >> F.mbits, m = mag & ((1u << F.mbits) - 1);
    float v;
    if (e == 0) {  // subnormal: m * 2^(1 - bias - mbits)
        v = static_cast<float>(m) * bitsf(static_cast<uint32_t>(127 + 1 - F.bias - F.mbits) << 23);
    } else {
        v = bitsf(((e - F.bias + 127) << 23) | (m << (23 - F.mbits)));
    }
    return neg ? -v : v;
}

// Round to nearest even; out of range: saturate (or F.sat_always) -> max, else the overflow code.
uint32_t mini_encode(const MiniFloat& F, float f, bool saturate) {
    const uint32_t b = fbits(f);
    const uint32_t sign = b >> 31, ax = b & 0x7fffffffu;
    const uint32_t sbit = 1u << (F.ebits + F.mbits);
    const uint32_t sgn = sign * sbit;
    // NaN: float4 has none; ml_dtypes (ONNX's reference) gives -0 for +NaN and +0 for -NaN
    if (ax > 0x7f800000u) return F.uz ? 0x80 : (F.sat_always ? sgn ^ sbit : sgn | F.nan_code);
    uint32_t code;
    if (ax == 0x7f800000u) {
        code = 0xffffffu;  // Inf: overflows
    } else {
        const uint32_t ex = ax >> 23;
        const int e = ex ? static_cast<int>(ex) - 127 : -126;  // value = full * 2^(e - 23)
        const uint64_t full = (ax & 0x7fffffu) | (ex ? 0x800000u : 0);
        const int emin = 1 - F.bias;
        const int eu = e < emin ? emin : e;
        const int k = (eu - F.mbits) - (e - 23);  // right shift onto the target's ulp (>= 1 here)
        uint64_t n = 0;
        if (k <= 40) {
            const uint64_t q = full >> k, rem = full & ((uint64_t(1) << k) - 1), half = uint64_t(1) << (k - 1);
            n = q + (rem > half || (rem == half && (q & 1)));
        }
        const int64_t c = (static_cast<int64_t>(eu + F.bias - 1) << F.mbits) + static_cast<int64_t>(n);
        code = c > 0xffffff ? 0xffffffu : static_cast<uint32_t>(c);
    }
    if (code > F.max_code) {
        if (saturate || F.sat_always) return sgn | F.max_code;
        return F.uz ? 0x80 : (sgn | F.ovf_code);
    }
    if (code == 0 && F.uz) return 0;  // no -0
    return sgn | code;
}

// ONNX's float -> float8e8m0 (onnx.numpy_helper.to_float8e8m0): the exponent byte, rounded.
uint8_t e8m0_encode(float f, bool saturate, int mode) {
    const uint32_t b = fbits(f);
    uint32_t e = (b >> 23) & 0xff;
    if (e == 0xff) return 0xff;
    bool up = false;
    if (mode == 2) {
        const bool g = b & 0x400000u, r = b & 0x200000u, s = b & 0x1fffffu, lsb = e > 0;
        up = g && (r || s || lsb);
    } else if (mode == 0) {
        up = (b & 0x7fffffu) != 0;
    }
    if (up && saturate && e == 0xfe) up = false;
    return static_cast<uint8_t>(e + up);
}

float e8m0_decode(uint8_t c) {
    if (c == 0xff) return bitsf(0x7fc00000u);
    return c == 0 ? bitsf(0x00400000u) : bitsf(static_cast<uint32_t>(c) << 23);
}

int sub_bits(DType t) { return t == DType::I2 || t == DType::U2 ? 2 : 4; }

void load_storage(DType t, const void* x, int64_t i, int n, float* f, int64_t* v) {
    const uint8_t* p = static_cast<const uint8_t*>(x);
    switch (t) {
        case DType::I16: for (int k = 0; k < n; ++k) v[k] = static_cast<const int16_t*>(x)[i + k]; break;
        case DType::U16: for (int k = 0; k < n; ++k) v[k] = static_cast<const uint16_t*>(x)[i + k]; break;
        case DType::U32: for (int k = 0; k < n; ++k) v[k] = static_cast<const uint32_t*>(x)[i + k]; break;
        case DType::U64: for (int k = 0; k < n; ++k) v[k] = static_cast<int64_t>(static_cast<const uint64_t*>(x)[i + k]); break;
        case DType::BF16:
            for (int k = 0; k < n; ++k) f[k] = bitsf(static_cast<uint32_t>(static_cast<const uint16_t*>(x)[i + k]) << 16);
            break;
        case DType::F8E8M0: for (int k = 0; k < n; ++k) f[k] = e8m0_decode(p[i + k]); break;
        case DType::F8E4M3FN:
        case DType::F8E4M3FNUZ:
        case DType::F8E5M2:
        case DType::F8E5M2FNUZ: {
            const MiniFloat& F = *minifloat(t);
            for (int k = 0; k < n; ++k) f[k] = mini_decode(F, p[i + k]);
            break;
        }
        default: {  // packed: F4E2M1, I4, U4, I2, U2
            const int bits = sub_bits(t), per = 8 / bits;
            const uint32_t mask = (1u << bits) - 1;
            const bool sgn = t == DType::I4 || t == DType::I2;
            for (int k = 0; k < n; ++k) {
                const int64_t j = i + k;
                const uint32_t c = (p[j / per] >> ((j % per) * bits)) & mask;
                if (t == DType::F4E2M1) f[k] = mini_decode(*minifloat(t), c);
                else v[k] = sgn && (c >> (bits - 1)) ? static_cast<int64_t>(c) - (1 << bits) : c;
            }
            break;
        }
    }
}

// to a sub-byte integer from a float: truncated toward zero, 0 when out of range or NaN
// (ml_dtypes, which ONNX's reference uses)
int64_t sub_from_float(DType t, float a) {
    const int bits = sub_bits(t);
    const bool sgn = t == DType::I4 || t == DType::I2;
    const float lo = sgn ? -static_cast<float>(1 << (bits - 1)) : 0.0f;
    const float hi = sgn ? static_cast<float>((1 << (bits - 1)) - 1) : static_cast<float>((1 << bits) - 1);
    if (!(a > lo - 1.0f && a < hi + 1.0f)) return 0;
    return static_cast<int64_t>(a);
}

void store_storage(const CastData& d, void* y, int64_t i, int n, const float* f, const int64_t* v, bool from_float,
                   bool from_u64) {
    const DType t = d.to;
    uint8_t* o = static_cast<uint8_t*>(y);
    if (is_float(t)) {
        float tmp[kBlock];
        if (!from_float) {
            for (int k = 0; k < n; ++k)
                tmp[k] = from_u64 ? static_cast<float>(static_cast<uint64_t>(v[k])) : static_cast<float>(v[k]);
            f = tmp;
        }
        if (t == DType::BF16) {
            for (int k = 0; k < n; ++k) {
                const uint32_t b = fbits(f[k]);
                static_cast<uint16_t*>(y)[i + k] = static_cast<uint16_t>(
                    (b & 0x7fffffffu) > 0x7f800000u ? (b >> 16) | 0x40u : (b + 0x7fffu + ((b >> 16) & 1)) >> 16);
            }
        } else if (t == DType::F8E8M0) {
            for (int k = 0; k < n; ++k) o[i + k] = e8m0_encode(f[k], d.saturate, d.round_mode);
        } else if (t == DType::F4E2M1) {
            const MiniFloat& F = *minifloat(t);
            for (int k = 0; k < n; k += 2) {
                const uint32_t lo = mini_encode(F, f[k], true), hi = k + 1 < n ? mini_encode(F, f[k + 1], true) : 0;
                o[(i + k) / 2] = static_cast<uint8_t>(lo | (hi << 4));
            }
        } else {
            const MiniFloat& F = *minifloat(t);
            for (int k = 0; k < n; ++k) o[i + k] = static_cast<uint8_t>(mini_encode(F, f[k], d.saturate));
        }
        return;
    }
    const int sb = dtype_subbits(t);
    int64_t tmp[kBlock];
    if (from_float) {
        for (int k = 0; k < n; ++k) {
            const float a = f[k];
            if (sb) tmp[k] = sub_from_float(t, a);
            else if (t == DType::U64 && a >= 9.2233720368547758e18f && a < 1.8446744073709552e19f)
                tmp[k] = static_cast<int64_t>(static_cast<uint64_t>(a));
            else tmp[k] = a != a ? 0 : (a >= 9.2233720368547758e18f ? INT64_MAX : (a < -9.2233720368547758e18f ? INT64_MIN
                                                                                                              : (int64_t)a));
        }
        v = tmp;
    }
    switch (t) {  // wraps (two's complement)
        case DType::I16:
        case DType::U16: for (int k = 0; k < n; ++k) static_cast<uint16_t*>(y)[i + k] = (uint16_t)(uint64_t)v[k]; break;
        case DType::U32: for (int k = 0; k < n; ++k) static_cast<uint32_t*>(y)[i + k] = (uint32_t)(uint64_t)v[k]; break;
        case DType::U64: for (int k = 0; k < n; ++k) static_cast<uint64_t*>(y)[i + k] = (uint64_t)v[k]; break;
        default: {  // packed I4, U4, I2, U2 (blocks start at a multiple of 4 elements)
            const int per = 8 / sb;
            const uint32_t mask = (1u << sb) - 1;
            for (int k = 0; k < n; k += per) {
                uint32_t byte = 0;
                for (int j = 0; j < per && k + j < n; ++j) byte |= ((uint32_t)(uint64_t)v[k + j] & mask) << (j * sb);
                o[(i + k) / per] = static_cast<uint8_t>(byte);
            }
            break;
        }
    }
}
#else
bool is_float(DType t) { return t == DType::F32 || t == DType::F16; }
#endif

// block -> float or int64 staging
void load(DType t, const void* x, int64_t i, int n, float* f, int64_t* v) {
#if SDK_FEATURE_STORAGE
    if (is_storage(t)) return load_storage(t, x, i, n, f, v);
#endif
    switch (t) {
        case DType::F32: for (int k = 0; k < n; ++k) f[k] = static_cast<const float*>(x)[i + k]; break;
        case DType::F16: for (int k = 0; k < n; ++k) f[k] = half_to_float(static_cast<const uint16_t*>(x)[i + k]); break;
        case DType::I64: for (int k = 0; k < n; ++k) v[k] = static_cast<const int64_t*>(x)[i + k]; break;
        case DType::I32: for (int k = 0; k < n; ++k) v[k] = static_cast<const int32_t*>(x)[i + k]; break;
        case DType::I8: for (int k = 0; k < n; ++k) v[k] = static_cast<const int8_t*>(x)[i + k]; break;
        default: for (int k = 0; k < n; ++k) v[k] = static_cast<const uint8_t*>(x)[i + k]; break;  // U8, BOOL
    }
}

void store(const CastData& d, void* y, int64_t i, int n, const float* f, const int64_t* v, bool from_float) {
    const DType t = d.to;
#if SDK_FEATURE_STORAGE
    const bool from_u64 = d.from == DType::U64;
    if (is_storage(t)) return store_storage(d, y, i, n, f, v, from_float, from_u64);
#else
    constexpr bool from_u64 = false;
#endif
    if (t == DType::BOOL) {
        uint8_t* o = static_cast<uint8_t*>(y) + i;
        if (from_float) {
            for (int k = 0; k < n; ++k) o[k] = f[k] != 0.0f;  // NaN != 0: true
        } else {
            for (int k = 0; k < n; ++k) o[k] = v[k] != 0;
        }
        return;
    }
    if (is_float(t)) {
        float tmp[kBlock];
        if (!from_float) {
            for (int k = 0; k < n; ++k)
                tmp[k] = from_u64 ? static_cast<float>(static_cast<uint64_t>(v[k])) : static_cast<float>(v[k]);
            f = tmp;
        }
        if (t == DType::F32) {
            for (int k = 0; k < n; ++k) static_cast<float*>(y)[i + k] = f[k];
        } else {
            for (int k = 0; k < n; ++k) static_cast<uint16_t*>(y)[i + k] = float_to_half(f[k]);
        }
        return;
    }
    int64_t tmp[kBlock];
    if (from_float) {
        for (int k = 0; k < n; ++k) {
            const float a = f[k];
            tmp[k] = a != a ? 0 : (a >= 9.2233720368547758e18f ? INT64_MAX : (a < -9.2233720368547758e18f ? INT64_MIN
                                                                                                         : (int64_t)a));
        }
        v = tmp;
    }
    switch (t) {  // narrowing wraps (two's complement)
        case DType::I64: for (int k = 0; k < n; ++k) static_cast<int64_t*>(y)[i + k] = v[k]; break;
        case DType::I32: for (int k = 0; k < n; ++k) static_cast<int32_t*>(y)[i + k] = (int32_t)(uint32_t)(uint64_t)v[k]; break;
        default: for (int k = 0; k < n; ++k) static_cast<uint8_t*>(y)[i + k] = (uint8_t)(uint64_t)v[k]; break;  // I8, U8
    }
}

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& y = *ctx.output(0);
    if ((st = ctx.check_output_shape(0, x.shape)) != SDK_OK) return st;
    if (x.quant || y.quant)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "Cast takes raw values; '%.64s' is quantized", x.quant ? x.name : y.name);
    CastData* d = opu::alloc_op_data<CastData>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->from = x.dtype;
    d->to = y.dtype;
#if SDK_FEATURE_STORAGE
    d->saturate = static_cast<uint8_t>(ctx.attr_int("saturate", 1) != 0);
    const char* mode = ctx.attr_string("round_mode", "up");
    d->round_mode = mode[0] == 'd' ? 1 : (mode[0] == 'n' ? 2 : 0);
    if (mode[0] != 'u' && mode[0] != 'd' && mode[0] != 'n')
        return ctx.fail(SDK_ERR_BAD_MODEL, "round_mode '%.16s' is not up, down or nearest", mode);
#endif
    return SDK_OK;
}

struct Job {
    const RunContext* ctx;
    const CastData* d;
};

void run_range(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    float f[kBlock];
    int64_t v[kBlock];
    const bool from_float = is_float(j.d->from);
    for (int64_t i = begin; i < end; i += kBlock) {
        const int n = end - i < kBlock ? static_cast<int>(end - i) : kBlock;
        load(j.d->from, j.ctx->in_data[0], i, n, f, v);
        store(*j.d, j.ctx->out_data[0], i, n, f, v, from_float);
    }
}

sdk_status run(const RunContext& ctx) {
    Job job{&ctx, static_cast<const CastData*>(ctx.op_data)};
#if SDK_FEATURE_STORAGE
    if (is_storage(job.d->from) || is_storage(job.d->to)) {  // one thread: packed bytes are never split
        run_range(&job, 0, ctx.output(0).shape.count());
        return SDK_OK;
    }
#endif
    parallel_for(ctx.pool, ctx.output(0).shape.count(), 16384, run_range, &job);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_cast = {"Cast", sdk::prepare, sdk::run, sdk::kOpInplace};
