// The products of prefill attention on AMX (see attention_amx.h).
//
// Each float32 operand is split into 3 bfloat16 parts, hi + mid + lo, that
// sum to it exactly (rows, keys or value columns first scaled by powers of
// two so that no part is subnormal: tiles read those as 0). Of the 9
// products of parts, hi.hi, hi.mid, mid.hi, hi.lo, mid.mid and lo.hi are
// accumulated into one fp32 tile; the other three are 2^-24 of the product
// or less, below float32's rounding, so the sums are as accurate as float32
// dot products. On AMX a tdpbf16ps is a 16 x 16 tile of sums over 32
// values, 16 times the multiply-adds of an AVX-512 FMA: 6 of them are
// still fewer cycles than the FMAs, when the host's AMX runs at its rate.
//
// Layouts (bfloat16 values): a block is 32 rows of A, or 32 columns of B
// (keys of the scores, value columns of the outputs); a step is 32 values of
// the inner dimension, 3 parts of 2 tiles. A tile of A is 16 rows of 32
// values; a tile of B is 16 pairs of the inner dimension times 16 columns,
// a pair's 2 values adjacent. Each block product keeps 2 x 2 accumulator
// tiles, with 2 tiles of A and 2 of B, so that each tile load feeds 2 or 4
// tdpbf16ps.
#include "attention_amx.h"

#include "softmax_exp.h"

#include <cmath>
#include <cstring>
#include <vector>

namespace mlxc {

#if MLXC_AMX

namespace {

constexpr int64_t kTile = kAmxTile, kPart = 2 * kAmxTile;  // a part of a step: 2 tiles

// Parts by truncation: each part is the top 16 bits of what is left of the
// value, so the 3 parts sum to it exactly (the last holds at most 8
// significant bits), and a part costs 2 integer operations where rounding
// to nearest (amx_take_part) costs 4. Their products left out are then up
// to 2^-23 of |a b| instead of 2^-24: still within float32's rounding of a
// sum of 32 or more products.
MLXC_AMX_TARGET inline __m512i rest_of(__m512i v) {
  return _mm512_castps_si512(_mm512_sub_ps(_mm512_castsi512_ps(v), _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32(int(0xffff0000u))))));
}
// The 3 parts of 32 floats (v0 then v1) as 32 bfloat16 values each, part p's at dst + p * kPart.
MLXC_AMX_TARGET inline void split32(__m512 v0, __m512 v1, uint16_t* dst) {
  const __m512i odd = _mm512_set_epi16(63, 61, 59, 57, 55, 53, 51, 49, 47, 45, 43, 41, 39, 37, 35, 33, 31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  __m512i a = _mm512_castps_si512(v0), b = _mm512_castps_si512(v1);
  for (int p = 0; p < 3; p++) {
    _mm512_storeu_si512(dst + p * kPart, _mm512_permutex2var_epi16(a, odd, b));  // the top halves, in order
    if (p < 2) {
      a = rest_of(a);
      b = rest_of(b);
    }
  }
}

// The largest magnitude of n floats (n a multiple of 16) and whether all are finite.
MLXC_AMX_TARGET float max_abs(const float* x, int64_t n, bool& finite) {
  const __m512 inf = _mm512_set1_ps(INFINITY);
  __m512 mx = _mm512_setzero_ps();
  __mmask16 bad = 0;
  for (int64_t i = 0; i < n; i += 16) {
    const __m512 a = _mm512_abs_ps(_mm512_loadu_ps(x + i));
    bad |= _mm512_cmp_ps_mask(a, inf, _CMP_NLT_UQ);  // inf or NaN
    mx = _mm512_max_ps(mx, a);
  }
  finite = !bad;
  return _mm512_reduce_max_ps(mx);
}

MLXC_AMX_TARGET uint32_t pack_rows(const float* const* rows, int64_t n, int64_t K, uint16_t* block, float* unit) {
  uint32_t bad = 0;
  for (int64_t r = 0; r < kAmxBlock; r++) {
    uint16_t* row = block + (r / 16) * kTile + (r % 16) * 32;
    const float* x = r < n ? rows[r] : nullptr;
    unit[r] = 1.0f;
    float inv = 1.0f;
    bool finite = true;
    const float m = x ? max_abs(x, K, finite) : 0.0f;
    if (!finite) {
      bad |= uint32_t(1) << r;
      x = nullptr;
    } else {
      const int e = amx_unit_exponent(m);
      unit[r] = std::ldexp(1.0f, e);
      inv = std::ldexp(1.0f, -e);
    }
    const __m512 scale = _mm512_set1_ps(inv);
    for (int64_t ks = 0; ks < K / 32; ks++) {
      const __m512 v0 = x ? _mm512_mul_ps(_mm512_loadu_ps(x + 32 * ks), scale) : _mm512_setzero_ps();
      const __m512 v1 = x ? _mm512_mul_ps(_mm512_loadu_ps(x + 32 * ks + 16), scale) : _mm512_setzero_ps();
      split32(v0, v1, row + ks * kAmxBlockValues);
    }
  }
  return bad;
}

MLXC_AMX_TARGET void pack_weights(const float* s, int64_t ld, int64_t n, int64_t width, const float* m, const int64_t* vis, uint16_t* block, float* sums) {
  for (int64_t r = 0; r < kAmxBlock; r++) {
    uint16_t* row = block + (r / 16) * kTile + (r % 16) * 32;
    const int64_t v = r < n ? vis[r] : 0;
    const float* x = s + r * ld;
    __m512 sum = _mm512_setzero_ps();
    for (int64_t j = 0; j < width; j += 32) {
      __m512 e0 = _mm512_setzero_ps(), e1 = _mm512_setzero_ps();
      if (j < v) {
        // the keys a row does not see weigh 0 (their scores may be anything)
        const int64_t left = v - j;
        const __mmask16 k0 = left >= 16 ? 0xffff : __mmask16((1u << left) - 1), k1 = left >= 32 ? 0xffff : left <= 16 ? 0 : __mmask16((1u << (left - 16)) - 1);
        Lanes16 w0, w1;
        exp_weight_into(Lanes16(lanes16_at(x + j) - m[r]), w0);
        e0 = _mm512_maskz_mov_ps(k0, __m512(w0));
        if (k1) {
          exp_weight_into(Lanes16(lanes16_at(x + j + 16) - m[r]), w1);
          e1 = _mm512_maskz_mov_ps(k1, __m512(w1));
        }
        sum = _mm512_add_ps(sum, _mm512_add_ps(e0, e1));
      }
      split32(e0, e1, row + (j / 32) * kAmxBlockValues);
    }
    if (r < n) sums[r] = _mm512_reduce_add_ps(sum);
  }
}

// dst = src transposed, each a tile as 16 x 16 words (pairs of bfloat16).
MLXC_AMX_TARGET void transpose_tile(const uint16_t* src, uint16_t* dst) {
  __m512i r[16], t[16];
  for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_si512(src + 32 * i);
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  // each 128-bit lane of r[i] now holds column (lane's 4 rows) i of its 4 x 4 block
  for (int i = 0; i < 4; i++) {
    t[i] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0xdd);
  }
  for (int i = 0; i < 4; i++) {
    _mm512_storeu_si512(dst + 32 * i, _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88));
    _mm512_storeu_si512(dst + 32 * (i + 8), _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd));
    _mm512_storeu_si512(dst + 32 * (i + 4), _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0x88));
    _mm512_storeu_si512(dst + 32 * (i + 12), _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0xdd));
  }
}

// A block of 32 keys packed as rows (A's layout), then each tile
// transposed: B's layout for the same steps and parts.
MLXC_AMX_TARGET bool pack_keys(const float* k, int64_t n, int64_t D, uint16_t* kp, float* unit) {
  const int64_t steps = D / 32, blocks = (n + kAmxBlock - 1) / kAmxBlock;
  const AmxBuffer<uint16_t> rows_block = amx_buffer<uint16_t>(size_t(steps * kAmxBlockValues));
  const float* rows[kAmxBlock];
  for (int64_t b = 0; b < blocks; b++) {
    const int64_t j0 = b * kAmxBlock, m = std::min(kAmxBlock, n - j0);
    for (int64_t r = 0; r < m; r++) rows[r] = k + (j0 + r) * D;
    if (pack_rows(rows, m, D, rows_block.get(), unit + j0)) return false;
    for (int64_t t = 0; t < steps * 6; t++) transpose_tile(rows_block.get() + t * kTile, kp + b * steps * kAmxBlockValues + t * kTile);
  }
  return true;
}

MLXC_AMX_TARGET bool pack_values(const float* v, int64_t n, int64_t Dv, uint16_t* vp, float* unit) {
  const int64_t steps = (n + kAmxBlock - 1) / kAmxBlock;
  const __m512 inf = _mm512_set1_ps(INFINITY);
  // the columns' largest magnitudes in one pass over the rows
  std::vector<float> mx(static_cast<size_t>(Dv)), inv(mx.size());
  __mmask16 bad = 0;
  for (int64_t j = 0; j < n; j++)
    for (int64_t c = 0; c < Dv; c += 16) {
      const __m512 a = _mm512_abs_ps(_mm512_loadu_ps(v + j * Dv + c));
      bad |= _mm512_cmp_ps_mask(a, inf, _CMP_NLT_UQ);
      _mm512_storeu_ps(mx.data() + c, _mm512_max_ps(_mm512_loadu_ps(mx.data() + c), a));
    }
  if (bad) return false;
  for (int64_t c = 0; c < Dv; c++) {
    const int e = amx_unit_exponent(mx[size_t(c)]);
    unit[c] = std::ldexp(1.0f, e);
    inv[size_t(c)] = std::ldexp(1.0f, -e);
  }
  for (int64_t j = 0; j < steps * kAmxBlock; j += 2) {
    const float* r0 = j < n ? v + j * Dv : nullptr;
    const float* r1 = j + 1 < n ? v + (j + 1) * Dv : nullptr;
    for (int64_t c = 0; c < Dv; c += 16) {
      const __m512 scale = _mm512_loadu_ps(inv.data() + c);
      __m512i a = _mm512_castps_si512(r0 ? _mm512_mul_ps(_mm512_loadu_ps(r0 + c), scale) : _mm512_setzero_ps());
      __m512i b = _mm512_castps_si512(r1 ? _mm512_mul_ps(_mm512_loadu_ps(r1 + c), scale) : _mm512_setzero_ps());
      uint16_t* dst = vp + ((c / kAmxBlock) * steps + j / kAmxBlock) * kAmxBlockValues + ((c % kAmxBlock) / 16) * kTile + (j % kAmxBlock) / 2 * 32;
      for (int p = 0; p < 3; p++) {
        // row j's top half low, row j + 1's high (0xd8: b's bits where the mask is set, else a's)
        _mm512_storeu_si512(dst + p * kPart, _mm512_ternarylogic_epi32(_mm512_srli_epi32(a, 16), b, _mm512_set1_epi32(int(0xffff0000u)), 0xd8));
        if (p < 2) {
          a = rest_of(a);
          b = rest_of(b);
        }
      }
    }
  }
  return true;
}

// The 2 x 2 accumulators (tiles 0-3) += the loaded tiles of A (4: rows
// 0-15, 5: rows 16-31) times those of B (6: columns 0-15, 7: columns 16-31);
// with Half, the first column's (0 and 2) alone.
template <bool Half>
MLXC_AMX_TARGET __attribute__((always_inline)) inline void products() {
  _tile_dpbf16ps(0, 4, 6);
  if (!Half) _tile_dpbf16ps(1, 4, 7);
  _tile_dpbf16ps(2, 5, 6);
  if (!Half) _tile_dpbf16ps(3, 5, 7);
}
// B's tile pair at b (tile 7 unless Half).
template <bool Half>
MLXC_AMX_TARGET __attribute__((always_inline)) inline void load_b(const uint16_t* b) {
  _tile_loadd(6, b, 64);
  if (!Half) _tile_loadd(7, b + kTile, 64);
}

// One block's steps into the zeroed accumulators: parts hi 0, mid 1, lo 2;
// the products from the smallest, A's lo with B's hi, to A's hi with B's
// lo, each pair of parts changing one operand: 14 tile loads a step for 24
// products (their order within a step made no difference measured; the
// alignment of the tiles' rows did).
template <bool Half>
MLXC_AMX_TARGET __attribute__((always_inline)) inline void block_steps(const uint16_t* a, const uint16_t* bi, int64_t steps) {
  _tile_loadd(4, a + 2 * kPart, 64);
  _tile_loadd(5, a + 2 * kPart + kTile, 64);
  load_b<Half>(bi);
  for (int64_t s = 0; s < steps; s++) {
    const uint16_t *as = a + s * kAmxBlockValues, *bs = bi + s * kAmxBlockValues;
    products<Half>();  // lo.hi
    _tile_loadd(4, as + kPart, 64);
    _tile_loadd(5, as + kPart + kTile, 64);
    products<Half>();  // mid.hi
    load_b<Half>(bs + kPart);
    products<Half>();  // mid.mid
    _tile_loadd(4, as, 64);
    _tile_loadd(5, as + kTile, 64);
    products<Half>();  // hi.mid
    load_b<Half>(bs);
    products<Half>();  // hi.hi
    load_b<Half>(bs + 2 * kPart);
    products<Half>();  // hi.lo
    if (s + 1 < steps) {  // the next step's lo and hi
      _tile_loadd(4, as + kAmxBlockValues + 2 * kPart, 64);
      _tile_loadd(5, as + kAmxBlockValues + 2 * kPart + kTile, 64);
      load_b<Half>(bs + kAmxBlockValues);
    }
  }
}

MLXC_AMX_TARGET void block_products(const uint16_t* a, const uint16_t* b, int64_t bstride, int64_t blocks, int64_t steps, float* c, int64_t ldc, bool last_half, AmxBlockDone done, void* ctx) {
  memory_fence_for_tiles();
  _tile_loadconfig(&kAmxTileConfig);
  for (int64_t i = 0; i < blocks; i++) {
    const bool half = last_half && i + 1 == blocks;
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    if (half) block_steps<true>(a, b + i * bstride, steps);
    else block_steps<false>(a, b + i * bstride, steps);
    // the previous block's results, while this one's products are in flight
    if (done && i) {
      memory_fence_for_tiles();
      done(ctx, i - 1);
      memory_fence_for_tiles();
    }
    float* ci = c + kAmxBlock * i;
    _tile_stored(0, ci, ldc * 4);
    _tile_stored(2, ci + 16 * ldc, ldc * 4);
    if (!half) {
      _tile_stored(1, ci + 16, ldc * 4);
      _tile_stored(3, ci + 16 * ldc + 16, ldc * 4);
    }
  }
  // a held tile state costs every context switch of this pool thread 8 KiB more
  _tile_release();
  memory_fence_for_tiles();
  if (done && blocks) done(ctx, blocks - 1);
}

}  // namespace

uint32_t amx_pack_rows(const float* const* rows, int64_t n, int64_t K, uint16_t* block, float* unit) { return pack_rows(rows, n, K, block, unit); }
void amx_pack_weights(const float* s, int64_t ld, int64_t n, int64_t width, const float* m, const int64_t* vis, uint16_t* block, float* sums) { pack_weights(s, ld, n, width, m, vis, block, sums); }
bool amx_pack_keys(const float* k, int64_t n, int64_t D, uint16_t* kp, float* unit) { return pack_keys(k, n, D, kp, unit); }
bool amx_pack_values(const float* v, int64_t n, int64_t Dv, uint16_t* vp, float* unit) { return pack_values(v, n, Dv, vp, unit); }
void amx_block_products(const uint16_t* a, const uint16_t* b, int64_t bstride, int64_t blocks, int64_t steps, float* c, int64_t ldc, bool last_half, AmxBlockDone done, void* ctx) { block_products(a, b, bstride, blocks, steps, c, ldc, last_half, done, ctx); }

#else

uint32_t amx_pack_rows(const float* const*, int64_t, int64_t, uint16_t*, float*) { return 0; }
void amx_pack_weights(const float*, int64_t, int64_t, int64_t, const float*, const int64_t*, uint16_t*, float*) {}
bool amx_pack_keys(const float*, int64_t, int64_t, uint16_t*, float*) { return false; }
bool amx_pack_values(const float*, int64_t, int64_t, uint16_t*, float*) { return false; }
void amx_block_products(const uint16_t*, const uint16_t*, int64_t, int64_t, int64_t, float*, int64_t, bool, AmxBlockDone, void*) {}

#endif

}  // namespace mlxc
