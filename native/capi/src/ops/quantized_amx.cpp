// The many-row affine-quantized product on AMX (see quantized_amx.h).
//
// tdpbf16ps multiplies pairs of bfloat16 values and adds them to fp32: a
// 16x16 tile of sums over 32 values of k in about 16 cycles, 16 times the
// multiply-adds of an AVX-512 FMA. The codes (0-255) are exact in bfloat16;
// x is split into 1-3 bfloat16 parts that sum to it exactly, each part
// multiplied into the same fp32 tile. A group's tile is scaled by its
// scales into the caller's accumulators (AVX-512); the biases' share,
// sum_g b[n, g] sum(x over g), is the caller's (a small product).
//
// Blocking, per call (up to kAmxCols rows of w): k in chunks of kChunk; a
// chunk of w unpacked once to bfloat16 tiles (64 KiB, L2), then for each
// block of 32 rows of x, whose chunk of packed parts (24 KiB for 3 parts)
// stays in L1, every 32 rows of w: 4 accumulator tiles (2 x 2), 2 tiles of
// x and 2 of w, so that each tile load feeds 2 tdpbf16ps.
#include "quantized_amx.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

namespace mlxc {

int amx_parts_for(bool bfloat16, bool float16) { return bfloat16 ? 1 : float16 ? 2 : 3; }

#if MLXC_AMX

namespace {

constexpr int64_t kChunk = 128;      // k values per unpacked chunk of w (a multiple of every group size)
constexpr int64_t kTile = kAmxTile;
constexpr int64_t kPartStride = 2 * kTile;  // a block's 2 row tiles of one part, for one step of 32 k

MLXC_AMX_TARGET void pack_x(const float* x, int64_t rows, int64_t K, int64_t gs, int parts, uint16_t* block, float* unit, float* xsum) {
  const int64_t groups = K / gs;
  for (int64_t r = 0; r < kAmxRows; r++) {
    uint16_t* row = block + (r / 16) * kTile + (r % 16) * 32;
    if (r >= rows) {
      for (int64_t ks = 0; ks < K / 32; ks++)
        for (int p = 0; p < parts; p++) std::memset(row + (ks * parts + p) * kPartStride, 0, 64);
      unit[r] = 1.0f;
      std::fill(xsum + r * groups, xsum + (r + 1) * groups, 0.0f);
      continue;
    }
    const float* xr = x + r * K;
    __m512 mx = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; k += 16) mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_loadu_ps(xr + k)));
    const float m = _mm512_reduce_max_ps(mx);
    const int e = amx_unit_exponent(m);
    unit[r] = std::ldexp(1.0f, e);
    const __m512 inv = _mm512_set1_ps(std::ldexp(1.0f, -e));
    __m512 gsum = _mm512_setzero_ps();
    for (int64_t ks = 0; ks < K / 32; ks++) {
      __m512 v0 = _mm512_mul_ps(_mm512_loadu_ps(xr + 32 * ks), inv), v1 = _mm512_mul_ps(_mm512_loadu_ps(xr + 32 * ks + 16), inv);
      gsum = _mm512_add_ps(gsum, _mm512_add_ps(v0, v1));
      if ((32 * ks + 32) % gs == 0) {
        xsum[r * groups + 32 * ks / gs] = _mm512_reduce_add_ps(gsum);
        gsum = _mm512_setzero_ps();
      }
      uint16_t* dst = row + ks * parts * kPartStride;
      for (int p = 0; p < parts; p++) {
        const __m256bh h0 = amx_take_part(v0), h1 = amx_take_part(v1);
        std::memcpy(dst + p * kPartStride, &h0, 32);
        std::memcpy(dst + p * kPartStride + 16, &h1, 32);
      }
    }
  }
}

// A code's bfloat16 bits (codes are integers below 256: exact).
inline uint16_t code_bf16(uint32_t c) {
  const float f = float(c);
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return uint16_t(u >> 16);
}

// Columns k0..k0+kc of w's rows [0, 16 ntiles) (those from `valid` on as
// zeros) into tiles wt[(kc / 32) step][tile][16 pairs of k][16 rows][2].
MLXC_AMX_TARGET void unpack_w(const uint32_t* w, int bits, int64_t K, int64_t valid, int64_t ntiles, int64_t k0, int64_t kc, uint16_t* wt) {
  const int64_t wpr = K * bits / 32;
  if (bits == 4) {
    const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(int(wpr)));
    const __m512i m8 = _mm512_set1_epi32(0xff), m4 = _mm512_set1_epi32(15), high = _mm512_set1_epi32(int(0xffff0000u));
    for (int64_t t = 0; t < ntiles; t++) {
      const int64_t n = std::min<int64_t>(16, std::max<int64_t>(0, valid - 16 * t));
      const __mmask16 mask = __mmask16((1u << n) - 1);
      const uint32_t* base = w + (n ? 16 * t * wpr : 0) + k0 / 8;
      for (int64_t j = 0; j < kc / 8; j++) {
        // word j of each row: codes 8j..8j+7, pairs 4j..4j+3 of the chunk
        const __m512i v = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, idx, base + j, 4);
        uint16_t* dst = wt + ((j / 4) * ntiles + t) * kTile + (j % 4) * 4 * 32;
        for (int p = 0; p < 4; p++) {
          const __m512i pair = _mm512_and_si512(_mm512_srli_epi32(v, 8 * p), m8);
          const __m512i lo = _mm512_srli_epi32(_mm512_castps_si512(_mm512_cvtepi32_ps(_mm512_and_si512(pair, m4))), 16);
          const __m512i hi = _mm512_and_si512(_mm512_castps_si512(_mm512_cvtepi32_ps(_mm512_srli_epi32(pair, 4))), high);
          _mm512_storeu_si512(dst + p * 32, _mm512_or_si512(lo, hi));
        }
      }
    }
    return;
  }
  const uint64_t mask = (uint64_t(1) << bits) - 1;
  for (int64_t t = 0; t < ntiles; t++)
    for (int64_t r = 0; r < 16; r++) {
      const int64_t n = 16 * t + r;
      for (int64_t k = 0; k < kc; k++) {
        uint16_t v = 0;
        if (n < valid) {
          const int64_t bit = (k0 + k) * bits, word = n * wpr + (bit >> 5), shift = bit & 31;
          uint64_t u = w[word];
          if (shift + bits > 32) u |= uint64_t(w[word + 1]) << 32;
          v = code_bf16(uint32_t((u >> shift) & mask));
        }
        wt[((k / 32) * ntiles + t) * kTile + ((k % 32) / 2) * 32 + r * 2 + (k & 1)] = v;
      }
    }
}

MLXC_AMX_TARGET void qmm_columns(const AmxQmm& a, int64_t n0, int64_t n1, float* acc, int64_t lda) {
  const int64_t cols = n1 - n0, ntiles = (cols + 31) / 32 * 2, groups = a.K / a.gs, steps = a.gs / 32, parts = a.parts;
  const int64_t block = amx_block_values(a.K, a.parts);
  // 64-byte aligned scratch: a chunk of w's tiles, the chunk's scales by column, the accumulator tiles
  struct Scratch {
    alignas(64) uint16_t wt[kAmxCols * kChunk];
    alignas(64) float st[kChunk / 32][kAmxCols];
    alignas(64) float c[4][16][16];
  };
  thread_local std::unique_ptr<Scratch> scratch(new Scratch);
  Scratch& S = *scratch;
  _tile_loadconfig(&kAmxTileConfig);
  for (int64_t k0 = 0; k0 < a.K; k0 += kChunk) {
    const int64_t kc = std::min(kChunk, a.K - k0), g0 = k0 / a.gs, gc = kc / a.gs;
    memory_fence_for_tiles();
    unpack_w(a.w + n0 * (a.K * a.bits / 32), a.bits, a.K, cols, ntiles, k0, kc, S.wt);
    for (int64_t g = 0; g < gc; g++)
      for (int64_t j = 0; j < 16 * ntiles; j++) S.st[g][j] = j < cols ? a.s[(n0 + j) * groups + g0 + g] : 0.0f;
    memory_fence_for_tiles();
    for (int64_t mb = 0; mb < a.Mp / kAmxRows; mb++) {
      const uint16_t* xb = a.xp + mb * block + (k0 / 32) * parts * kPartStride;
      float* ab = acc + mb * kAmxRows * lda;
      // the next block's chunk of x (24 KiB), into L2 a part per group: x is
      // too large for L2 (6 MiB at 256 x 4096), and its tiles from L3 made
      // every first pass over a block wait (the A/B: 0.89-0.92)
      const bool last = mb + 1 == a.Mp / kAmxRows;
      const char* next_x = reinterpret_cast<const char*>(last ? a.xp + ((k0 + kChunk) / 32) * parts * kPartStride : xb + block);
      const int64_t xbytes = last && k0 + kChunk >= a.K ? 0 : std::min(kChunk, a.K - k0 - (last ? kChunk : 0)) / 32 * parts * kPartStride * 2;
      const int64_t per_group = (xbytes / (ntiles / 2 * gc) + 63) / 64 * 64;
      int64_t fetched = 0;
      for (int64_t nb = 0; nb < ntiles / 2; nb++) {
        for (int64_t g = 0; g < gc; g++) {
          memory_fence_for_tiles();
          _tile_zero(0);
          _tile_zero(1);
          _tile_zero(2);
          _tile_zero(3);
          for (int64_t st = 0; st < steps; st++) {
            const int64_t ks = g * steps + st;
            const uint16_t* bt = S.wt + (ks * ntiles + 2 * nb) * kTile;
            _tile_loadd(6, bt, 64);
            _tile_loadd(7, bt + kTile, 64);
            for (int64_t p = 0; p < parts; p++) {
              const uint16_t* at = xb + (ks * parts + p) * kPartStride;
              _tile_loadd(4, at, 64);
              _tile_loadd(5, at + kTile, 64);
              _tile_dpbf16ps(0, 4, 6);
              _tile_dpbf16ps(1, 4, 7);
              _tile_dpbf16ps(2, 5, 6);
              _tile_dpbf16ps(3, 5, 7);
            }
          }
          _tile_stored(0, S.c[0], 64);
          _tile_stored(1, S.c[1], 64);
          _tile_stored(2, S.c[2], 64);
          _tile_stored(3, S.c[3], 64);
          memory_fence_for_tiles();
          const __m512 s0 = _mm512_load_ps(S.st[g] + 32 * nb), s1 = _mm512_load_ps(S.st[g] + 32 * nb + 16);
          for (int r = 0; r < 16; r++) {
            float* top = ab + r * lda + 32 * nb;
            float* bottom = top + 16 * lda;
            _mm512_storeu_ps(top, _mm512_fmadd_ps(_mm512_load_ps(S.c[0][r]), s0, _mm512_loadu_ps(top)));
            _mm512_storeu_ps(top + 16, _mm512_fmadd_ps(_mm512_load_ps(S.c[1][r]), s1, _mm512_loadu_ps(top + 16)));
            _mm512_storeu_ps(bottom, _mm512_fmadd_ps(_mm512_load_ps(S.c[2][r]), s0, _mm512_loadu_ps(bottom)));
            _mm512_storeu_ps(bottom + 16, _mm512_fmadd_ps(_mm512_load_ps(S.c[3][r]), s1, _mm512_loadu_ps(bottom + 16)));
          }
          for (const int64_t end = std::min(xbytes, fetched + per_group); fetched < end; fetched += 64) _mm_prefetch(next_x + fetched, _MM_HINT_T1);
        }
      }
    }
  }
  // a held tile state costs every context switch of this pool thread 8 KiB more
  _tile_release();
}

}  // namespace

void amx_pack_x(const float* x, int64_t rows, int64_t K, int64_t gs, int parts, uint16_t* block, float* unit, float* xsum) { pack_x(x, rows, K, gs, parts, block, unit, xsum); }

void amx_qmm_columns(const AmxQmm& a, int64_t n0, int64_t n1, float* acc, int64_t lda) { qmm_columns(a, n0, n1, acc, lda); }

#else

void amx_pack_x(const float*, int64_t, int64_t, int64_t, int, uint16_t*, float*, float*) {}
void amx_qmm_columns(const AmxQmm&, int64_t, int64_t, float*, int64_t) {}

#endif

}  // namespace mlxc
