// Helpers every build with ops gets (engine/tools/select_sources.py compiles kernels/ref/
// common.cpp whenever an op is selected), kept out of the op-less engine's size budget.
//
// The loader's CRC-32 (IEEE, reflected 0xEDB88320) over a model file, which was 85 % of
// the cost of loading a 14 MB model on arm64 one byte a step: 4 bytes a step through 4
// tables ("slicing by 4"), or 8 bytes per CRC32X instruction on AArch64 CPUs with the CRC
// extension (checked at run time: HWCAP_CRC32; every Apple arm64 CPU has it), 4 bytes per
// CRC32W on ARMv8 CPUs running ARMv7 code (HWCAP2_CRC32). The
// generated op registry points the loader at crc32_update_fast (kCrc32Update,
// core/status.h), so static links keep this file; its constructor builds the tables.
#include <stdint.h>
#include <string.h>

#include "core/status.h"

#if defined(__aarch64__) && (defined(__linux__) || defined(__ANDROID__) || defined(__APPLE__))
#define SDK_CRC_HW 1
#if !defined(__APPLE__)
#include <sys/auxv.h>
#endif
#endif

#if defined(__arm__) && !defined(__aarch64__) && (defined(__linux__) || defined(__ANDROID__))
// ARMv7 code on an ARMv8 CPU (most armeabi-v7a devices today) has the CRC32 instructions in
// AArch32 too (HWCAP2_CRC32); the assembler is told so for these instructions only.
#define SDK_CRC_HW32 1
#include <sys/auxv.h>
#endif

namespace sdk {
namespace {

uint32_t g_crc4[4][256];

#if SDK_CRC_HW32
inline uint32_t crc32w_a32(uint32_t crc, uint32_t v) {
    __asm__(".arch armv8-a\n.arch_extension crc\ncrc32w %0, %0, %1\n.arch armv7-a" : "+r"(crc) : "r"(v));
    return crc;
}
uint32_t crc32_hw(uint32_t crc, const uint8_t* p, size_t n) {
    // 32 bytes a step: two LDMs of 4 words and 8 CRC32Ws, 12 instructions where the word
    // loop below takes 48 (load, CRC32W and 4 of loop control per word). LDM needs a word-
    // aligned address: the loader's CRC starts 32 bytes into a 64-byte aligned file.
    if ((reinterpret_cast<uintptr_t>(p) & 3) == 0 && n >= 32) {
        register uint32_t a __asm__("r4"), b __asm__("r5"), c __asm__("r6"), d __asm__("r12");
        const uint8_t* const end = p + (n & ~static_cast<size_t>(31));
        __asm__ volatile(
            ".arch armv8-a\n.arch_extension crc\n"
            "1:\n\t"
            "ldm %[p]!, {%[a], %[b], %[c], %[d]}\n\t"
            "crc32w %[crc], %[crc], %[a]\n\tcrc32w %[crc], %[crc], %[b]\n\t"
            "crc32w %[crc], %[crc], %[c]\n\tcrc32w %[crc], %[crc], %[d]\n\t"
            "ldm %[p]!, {%[a], %[b], %[c], %[d]}\n\t"
            "crc32w %[crc], %[crc], %[a]\n\tcrc32w %[crc], %[crc], %[b]\n\t"
            "crc32w %[crc], %[crc], %[c]\n\tcrc32w %[crc], %[crc], %[d]\n\t"
            "cmp %[p], %[end]\n\t"
            "bne 1b\n\t"
            ".arch armv7-a"
            : [crc] "+r"(crc), [p] "+r"(p), [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [d] "=&r"(d)
            : [end] "r"(end)
            : "cc", "memory");
        n &= 31;
    }
    for (; n >= 4; n -= 4, p += 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        crc = crc32w_a32(crc, v);
    }
    for (; n > 0; --n, ++p) crc = g_crc4[0][(crc ^ *p) & 0xFF] ^ (crc >> 8);
    return crc;
}
#endif

uint32_t crc32_slice4(uint32_t crc, const uint8_t* p, size_t n) {
    for (; n >= 4; n -= 4, p += 4) {
        crc ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        crc = g_crc4[3][crc & 0xFF] ^ g_crc4[2][(crc >> 8) & 0xFF] ^ g_crc4[1][(crc >> 16) & 0xFF] ^
              g_crc4[0][crc >> 24];
    }
    for (; n > 0; --n, ++p) crc = g_crc4[0][(crc ^ *p) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if SDK_CRC_HW
// The builtins, not arm_acle.h's __crc32d: older clang headers define those only when the
// whole file is compiled with +crc, which a function's target attribute does not change.
#if defined(__clang__)
#define SDK_CRC_TARGET __attribute__((target("crc")))
#define SDK_CRC32D(c, v) __builtin_arm_crc32d(c, v)
#define SDK_CRC32B(c, v) __builtin_arm_crc32b(c, v)
#else
#define SDK_CRC_TARGET __attribute__((target("+crc")))
#define SDK_CRC32D(c, v) __builtin_aarch64_crc32x(c, v)
#define SDK_CRC32B(c, v) __builtin_aarch64_crc32b(c, v)
#endif
SDK_CRC_TARGET uint32_t crc32_hw(uint32_t crc, const uint8_t* p, size_t n) {
    // 32 bytes a step (two LDPs, 4 CRC32Xs, one loop test) where one word a step spends as
    // much on the loop as on the CRC
    for (; n >= 32; n -= 32, p += 32) {
        uint64_t v[4];
        memcpy(v, p, 32);
        crc = SDK_CRC32D(crc, v[0]);
        crc = SDK_CRC32D(crc, v[1]);
        crc = SDK_CRC32D(crc, v[2]);
        crc = SDK_CRC32D(crc, v[3]);
    }
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        crc = SDK_CRC32D(crc, v);
    }
    for (; n > 0; --n, ++p) crc = SDK_CRC32B(crc, *p);
    return crc;
}
#endif

#if SDK_CRC_HW || SDK_CRC_HW32
bool g_crc_hw;
#endif

__attribute__((constructor)) void init_crc() {
#if SDK_CRC_HW
#if defined(__APPLE__)
    g_crc_hw = true;
#else
    g_crc_hw = (getauxval(AT_HWCAP) & (1u << 7)) != 0;  // HWCAP_CRC32
#endif
    if (g_crc_hw) return;
#endif
#if SDK_CRC_HW32
    g_crc_hw = (getauxval(AT_HWCAP2) & (1u << 4)) != 0;  // HWCAP2_CRC32 (the byte tail uses table 0)
#endif
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        g_crc4[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
        for (int t = 1; t < 4; ++t) g_crc4[t][i] = (g_crc4[t - 1][i] >> 8) ^ g_crc4[0][g_crc4[t - 1][i] & 0xFF];
}

}  // namespace

uint32_t crc32_update_fast(uint32_t crc, const uint8_t* p, size_t n) {
#if SDK_CRC_HW || SDK_CRC_HW32
    if (g_crc_hw) return crc32_hw(crc, p, n);
#endif
    return crc32_slice4(crc, p, n);
}

}  // namespace sdk
