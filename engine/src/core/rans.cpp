// Static byte-wise rANS with 12-bit probabilities and four interleaved states (symbol i
// uses state i % 4): the states' dependent multiply chains overlap, ~2-3x faster than one.
#include "core/rans.h"

#include <string.h>

#include "core/alloc.h"

namespace sdk {

namespace {

constexpr uint32_t kScaleBits = 12;
constexpr uint32_t kScale = 1u << kScaleBits;
constexpr uint32_t kRansL = 1u << 23;

inline uint32_t rd32(const uint8_t* p) { uint32_t v; memcpy(&v, p, 4); return v; }

struct Tables {
    uint16_t freq[256];
    uint16_t cum[256];
    uint8_t slot[kScale];  // cumulative slot -> symbol
};

}  // namespace

const char* rans_decode(const uint8_t* p, size_t size, uint8_t* out, size_t out_size) {
    if (size < 4) return "coded data shorter than its header";
    if (p[0] != 1 || p[1] != kScaleBits) return "unknown coding version";
    const uint32_t nsym = p[2] | (uint32_t(p[3]) << 8);
    if (nsym < 1 || nsym > 256) return "bad symbol count";
    Tables* t = alloc_array<Tables>(1);  // 4.6 KB: heap, not stack (zeroed by calloc)
    if (!t) return "out of memory";
    // the symbols: a list (fewer than 32) or a bitmap; then their frequencies, 1 or 2 bytes each
    size_t pos = 4;
    uint8_t syms[256];
    uint32_t n = 0;
    const char* err = nullptr;
    if (nsym < 32) {
        if (pos + nsym > size) err = "coded data shorter than its symbol table";
        for (uint32_t k = 0; k < nsym && !err; ++k) {
            syms[k] = p[pos + k];
            if (k && syms[k] <= syms[k - 1]) err = "bad symbol table";
        }
        pos += nsym;
        n = nsym;
    } else {
        if (pos + 32 > size) err = "coded data shorter than its symbol table";
        for (uint32_t s = 0; s < 256 && !err; ++s)
            if (p[pos + s / 8] >> (s % 8) & 1) syms[n++] = static_cast<uint8_t>(s);
        pos += 32;
        if (!err && n != nsym) err = "bad symbol table";
    }
    uint32_t total = 0;
    for (uint32_t k = 0; k < n && !err; ++k) {
        uint32_t f = pos < size ? p[pos++] : 0;
        if (f & 0x80) f = pos < size ? (f & 0x7F) | (uint32_t(p[pos++]) << 7) : 0;
        if (f == 0 || f > kScale - total) {
            err = "bad symbol table";
        } else {
            t->freq[syms[k]] = static_cast<uint16_t>(f);
            t->cum[syms[k]] = static_cast<uint16_t>(total);
            memset(t->slot + total, syms[k], f);
            total += f;
        }
    }
    const size_t table_end = pos + (4 - pos % 4) % 4;
    if (!err && table_end + 20 > size) err = "coded data shorter than its symbol table";
    if (!err && total != kScale) err = "symbol frequencies do not sum to the scale";
    uint32_t x[4] = {0, 0, 0, 0};
    const uint8_t* ptr = p;
    const uint8_t* end = p + size;
    if (!err) {
        ptr = p + table_end + 20;
        for (int k = 0; k < 4; ++k) x[k] = rd32(p + table_end + 4 * k);
        if (rd32(p + table_end + 16) != size - table_end - 20) err = "stream length does not match the data";
        for (int k = 0; k < 4 && !err; ++k)
            if (x[k] < kRansL) err = "bad start state";
    }
    for (size_t i = 0; i < out_size && !err; ++i) {
        uint32_t& s = x[i & 3];
        const uint8_t sym = t->slot[s & (kScale - 1)];
        out[i] = sym;
        s = t->freq[sym] * (s >> kScaleBits) + (s & (kScale - 1)) - t->cum[sym];
        while (s < kRansL) {
            if (ptr == end) {
                err = "stream ends before the tensor does";
                break;
            }
            s = (s << 8) | *ptr++;
        }
    }
    if (!err && (ptr != end || x[0] != kRansL || x[1] != kRansL || x[2] != kRansL || x[3] != kRansL))
        err = "stream does not end where the tensor does";
    free(t);
    return err;
}

}  // namespace sdk
