// The two products of prefill attention on AMX (attention_amx.cpp): scores
// S = Q K^T and outputs O = P V, each operand split exactly into 3 bfloat16
// parts and 6 of the 9 products of parts accumulated in fp32 tiles (the 3
// left out are below float32's rounding). The softmax between them is in
// float32: its maxima and sums with the caller (fast.cpp), its exponentials
// here, taken as the weights are split (amx_pack_weights).
#pragma once
#include <cstdint>

#include "amx.h"

namespace mlxc {

constexpr int64_t kAmxBlock = 32;  // rows of a block of A (2 tiles), and keys or value columns of a block of B
constexpr int64_t kAmxBlockValues = 3 * 2 * kAmxTile;  // a block's 3 parts of 2 tiles for one step of 32
constexpr int64_t kAmxMinAttentionRows = 64;  // query rows per kv head below which the register tiles serve

// A block of rows as A operand: up to 32 rows (pointers; those from n on
// zero) of K floats (a multiple of 32), K / 32 steps of kAmxBlockValues.
// Each row is divided by a power of two first, unit[r], so that its largest
// value is in [1, 2); the result has a bit for each row that holds a value
// that is not finite (written as zeros).
uint32_t amx_pack_rows(const float* const* rows, int64_t n, int64_t K, uint16_t* block, float* unit);

// Softmax weights as A operand of the outputs, in one pass over the
// scores: for rows r < n of s (rows ld floats apart), exp(s[r][j] - m[r])
// for keys j < vis[r] and 0 past them up to width (a multiple of 32), split
// into parts as amx_pack_rows does, unscaled (the rows from n on zero);
// sums[r] is row r's sum of weights.
void amx_pack_weights(const float* s, int64_t ld, int64_t n, int64_t width, const float* m, const int64_t* vis, uint16_t* block, float* sums);

// Keys as B operand of the scores: n rows of D floats (D a multiple of 32),
// ceil(n / 32) blocks of 32 keys, each D / 32 steps; each key divided by a
// power of two, unit[j] (the keys up to the next multiple of 32 zero, unit 1).
// False if a value is not finite.
bool amx_pack_keys(const float* k, int64_t n, int64_t D, uint16_t* kp, float* unit);

// Values as B operand of the outputs: n rows of Dv floats (Dv a multiple of
// 32), Dv / 32 blocks of 32 columns, each ceil(n / 32) steps of 32 rows;
// each column divided by a power of two, unit[c]. False if a value is not finite.
bool amx_pack_values(const float* v, int64_t n, int64_t Dv, uint16_t* vp, float* unit);

// c[r][32 i + j] = sum over `steps` steps of a's rows times block i of b's
// columns, for i < blocks (block i at b + i * bstride), r < 32, j < 32 (j <
// 16 for the last block with last_half: its other columns are not written);
// c's rows ldc floats apart. done(ctx, i), if given, is called once block
// i is in c: while block i + 1's products run, so that what it does with
// block i overlaps them.
using AmxBlockDone = void (*)(void* ctx, int64_t block);
void amx_block_products(const uint16_t* a, const uint16_t* b, int64_t bstride, int64_t blocks, int64_t steps, float* c, int64_t ldc, bool last_half = false, AmxBlockDone done = nullptr, void* ctx = nullptr);

}  // namespace mlxc
