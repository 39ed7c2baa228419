// The many-row product x w^T with affine-quantized w on AMX (quantized_amx.cpp):
// x split exactly into bfloat16 parts, the codes exact in bfloat16, a group's
// sums of q x in fp32 tiles (tdpbf16ps), then scaled by the group's scales.
#pragma once
#include <cstdint>

#include "amx.h"

namespace mlxc {

constexpr int64_t kAmxRows = 32;   // x's rows per packed block (2 tiles of 16)
constexpr int64_t kAmxCols = 256;  // w's rows per amx_qmm_columns call, at most
constexpr int64_t kAmxMRows = 256;  // x's rows per call, at most (its accumulators: 256 KiB)
constexpr int64_t kAmxMinRows = 16;  // fewer rows take the other paths

// bfloat16 parts that sum to a float32 value exactly: 1 for bfloat16 input,
// 2 for float16, 3 for float32.
int amx_parts_for(bool bfloat16, bool float16);

// bfloat16 values in a block of kAmxRows rows of K (a multiple of 32) values.
inline int64_t amx_block_values(int64_t K, int parts) { return kAmxRows * K * parts; }

// Rows [0, rows) of x (rows <= kAmxRows, K floats each, finite) into one
// block of packed parts (rows past `rows` zero). Each row is scaled by a
// power of two first, unit[r], so that its largest value is in [1, 2) and
// no part underflows; xsum[r * (K / gs) + g] is the sum of the scaled
// values of group g.
void amx_pack_x(const float* x, int64_t rows, int64_t K, int64_t gs, int parts, uint16_t* block, float* unit, float* xsum);

// The packed operands of one product.
struct AmxQmm {
  const uint16_t* xp;  // Mp / kAmxRows blocks from amx_pack_x
  int64_t Mp, K, gs;
  int parts;
  const uint32_t* w;   // N rows of K codes of `bits` bits, packed
  const float* s;      // N rows of K / gs scales
  int bits;
};

// acc[m * lda + j] += sum over groups g of s[n0 + j, g] sum_{k in g} q[n0 + j, k] x[m, k]
// (x scaled as packed) for m < Mp and j < n1 - n0 <= kAmxCols; acc has
// columns up to the next multiple of 32 (those past n1 - n0 get zeros added).
void amx_qmm_columns(const AmxQmm& a, int64_t n0, int64_t n1, float* acc, int64_t lda);

}  // namespace mlxc
