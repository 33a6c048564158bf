// ARMv7 fp32 GEMM assembly shared by the NEON tiles (kernels/neon/common_f32.cpp) and
// Winograd's GEMM (kernels/ref/conv_f32_wino.cpp).
#pragma once

// The ARMv7 4 x 8 tile's 4-k step, shared by v7_tile4x8, v7_packed8 and wino_v7_gemm: A's 4 rows x 4 k in
// q0-q3 (row r in d(2r), d(2r+1)), B's 2 k of 8 columns (64 bytes) by one VLDM from %[b] (d8-d15 = q4, q5
// of k and q6, q7 of k + 1, as two VLD1s of 32 bytes would fill them), the 8 accumulators in q8-q15:
// 34 instructions per 32 VMLA (four VLD1s of B: 36).
#define SDK_V7_VMLA4X8_K4 \
    "vldmia %[b]!, {d8-d15}\n" \
    "vmla.f32 q8, q4, d0[0]\n" \
    "vmla.f32 q9, q5, d0[0]\n" \
    "vmla.f32 q10, q4, d2[0]\n" \
    "vmla.f32 q11, q5, d2[0]\n" \
    "vmla.f32 q12, q4, d4[0]\n" \
    "vmla.f32 q13, q5, d4[0]\n" \
    "vmla.f32 q14, q4, d6[0]\n" \
    "vmla.f32 q15, q5, d6[0]\n" \
    "vmla.f32 q8, q6, d0[1]\n" \
    "vmla.f32 q9, q7, d0[1]\n" \
    "vmla.f32 q10, q6, d2[1]\n" \
    "vmla.f32 q11, q7, d2[1]\n" \
    "vmla.f32 q12, q6, d4[1]\n" \
    "vmla.f32 q13, q7, d4[1]\n" \
    "vmla.f32 q14, q6, d6[1]\n" \
    "vmla.f32 q15, q7, d6[1]\n" \
    "vldmia %[b]!, {d8-d15}\n" \
    "vmla.f32 q8, q4, d1[0]\n" \
    "vmla.f32 q9, q5, d1[0]\n" \
    "vmla.f32 q10, q4, d3[0]\n" \
    "vmla.f32 q11, q5, d3[0]\n" \
    "vmla.f32 q12, q4, d5[0]\n" \
    "vmla.f32 q13, q5, d5[0]\n" \
    "vmla.f32 q14, q4, d7[0]\n" \
    "vmla.f32 q15, q5, d7[0]\n" \
    "vmla.f32 q8, q6, d1[1]\n" \
    "vmla.f32 q9, q7, d1[1]\n" \
    "vmla.f32 q10, q6, d3[1]\n" \
    "vmla.f32 q11, q7, d3[1]\n" \
    "vmla.f32 q12, q6, d5[1]\n" \
    "vmla.f32 q13, q7, d5[1]\n" \
    "vmla.f32 q14, q6, d7[1]\n" \
    "vmla.f32 q15, q7, d7[1]\n"
