// AArch64 fp32 GEMM assembly shared by the NEON tiles (kernels/neon/common_f32.cpp) and
// Winograd's GEMM (kernels/ref/conv_f32_wino.cpp).
#pragma once

// The 8 x 8 tile's 4-k step, shared by a64_tile8x8, a64_packed8 and wino_a64_gemm: A's 8 rows x 4 k in
// v0-v7 (row r in vr), B's k-steps 0-1 in v8-v11 (loaded by the caller), 2-3 loaded here,
// the 16 accumulators in v16-v31.
#define SDK_A64_FMLA8X8_K4 \
    "fmla v16.4s, v8.4s, v0.s[0]\n" \
    "fmla v17.4s, v9.4s, v0.s[0]\n" \
    "fmla v18.4s, v8.4s, v1.s[0]\n" \
    "fmla v19.4s, v9.4s, v1.s[0]\n" \
    "fmla v20.4s, v8.4s, v2.s[0]\n" \
    "fmla v21.4s, v9.4s, v2.s[0]\n" \
    "fmla v22.4s, v8.4s, v3.s[0]\n" \
    "fmla v23.4s, v9.4s, v3.s[0]\n" \
    "fmla v24.4s, v8.4s, v4.s[0]\n" \
    "fmla v25.4s, v9.4s, v4.s[0]\n" \
    "fmla v26.4s, v8.4s, v5.s[0]\n" \
    "fmla v27.4s, v9.4s, v5.s[0]\n" \
    "fmla v28.4s, v8.4s, v6.s[0]\n" \
    "fmla v29.4s, v9.4s, v6.s[0]\n" \
    "fmla v30.4s, v8.4s, v7.s[0]\n" \
    "fmla v31.4s, v9.4s, v7.s[0]\n" \
    "fmla v16.4s, v10.4s, v0.s[1]\n" \
    "fmla v17.4s, v11.4s, v0.s[1]\n" \
    "fmla v18.4s, v10.4s, v1.s[1]\n" \
    "fmla v19.4s, v11.4s, v1.s[1]\n" \
    "fmla v20.4s, v10.4s, v2.s[1]\n" \
    "fmla v21.4s, v11.4s, v2.s[1]\n" \
    "fmla v22.4s, v10.4s, v3.s[1]\n" \
    "fmla v23.4s, v11.4s, v3.s[1]\n" \
    "fmla v24.4s, v10.4s, v4.s[1]\n" \
    "fmla v25.4s, v11.4s, v4.s[1]\n" \
    "fmla v26.4s, v10.4s, v5.s[1]\n" \
    "fmla v27.4s, v11.4s, v5.s[1]\n" \
    "fmla v28.4s, v10.4s, v6.s[1]\n" \
    "fmla v29.4s, v11.4s, v6.s[1]\n" \
    "fmla v30.4s, v10.4s, v7.s[1]\n" \
    "fmla v31.4s, v11.4s, v7.s[1]\n" \
    "ld1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[b]], #64\n" \
    "fmla v16.4s, v8.4s, v0.s[2]\n" \
    "fmla v17.4s, v9.4s, v0.s[2]\n" \
    "fmla v18.4s, v8.4s, v1.s[2]\n" \
    "fmla v19.4s, v9.4s, v1.s[2]\n" \
    "fmla v20.4s, v8.4s, v2.s[2]\n" \
    "fmla v21.4s, v9.4s, v2.s[2]\n" \
    "fmla v22.4s, v8.4s, v3.s[2]\n" \
    "fmla v23.4s, v9.4s, v3.s[2]\n" \
    "fmla v24.4s, v8.4s, v4.s[2]\n" \
    "fmla v25.4s, v9.4s, v4.s[2]\n" \
    "fmla v26.4s, v8.4s, v5.s[2]\n" \
    "fmla v27.4s, v9.4s, v5.s[2]\n" \
    "fmla v28.4s, v8.4s, v6.s[2]\n" \
    "fmla v29.4s, v9.4s, v6.s[2]\n" \
    "fmla v30.4s, v8.4s, v7.s[2]\n" \
    "fmla v31.4s, v9.4s, v7.s[2]\n" \
    "fmla v16.4s, v10.4s, v0.s[3]\n" \
    "fmla v17.4s, v11.4s, v0.s[3]\n" \
    "fmla v18.4s, v10.4s, v1.s[3]\n" \
    "fmla v19.4s, v11.4s, v1.s[3]\n" \
    "fmla v20.4s, v10.4s, v2.s[3]\n" \
    "fmla v21.4s, v11.4s, v2.s[3]\n" \
    "fmla v22.4s, v10.4s, v3.s[3]\n" \
    "fmla v23.4s, v11.4s, v3.s[3]\n" \
    "fmla v24.4s, v10.4s, v4.s[3]\n" \
    "fmla v25.4s, v11.4s, v4.s[3]\n" \
    "fmla v26.4s, v10.4s, v5.s[3]\n" \
    "fmla v27.4s, v11.4s, v5.s[3]\n" \
    "fmla v28.4s, v10.4s, v6.s[3]\n" \
    "fmla v29.4s, v11.4s, v6.s[3]\n" \
    "fmla v30.4s, v10.4s, v7.s[3]\n" \
    "fmla v31.4s, v11.4s, v7.s[3]\n"
