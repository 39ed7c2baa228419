// What the AMX kernels share (quantized_amx.cpp, attention_amx.cpp): the
// runtime check, and inline helpers for building bfloat16 tiles and using
// them safely with GCC 12.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

#if defined(__x86_64__) && ((defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && __GNUC__ >= 11))
#define MLXC_AMX 1
#include <immintrin.h>
#endif

namespace mlxc {

// True when the CPU has AMX-TILE and AMX-BF16 (and the AVX-512 the kernels'
// epilogues use), the kernel enabled their tile state and granted this
// process its use (asked once), and MLXCOMPAT_AMX is not "0" (read at every
// call, so that a test can compare both paths).
bool amx_available();

constexpr int64_t kAmxTile = 512;  // bfloat16 values in a tile: 16 rows of 64 bytes

// The power of two e by which values whose largest magnitude is m (finite)
// are divided before they are split into parts: the largest then lies in
// [1, 2). 2^-e stays a float (e >= -100), and tiny values stay clear of
// bfloat16's subnormals, which tiles read as 0.
inline int amx_unit_exponent(float m) { return m > 0 ? std::max(std::ilogb(m), -100) : 0; }

// Tile operands and results 64-byte aligned: a tile row across two cache
// lines loads at half the rate (a block product from L1/L2 took 30 TSC
// cycles a tdpbf16ps misaligned by 16 bytes, as new[] leaves large arrays,
// against 16.7 aligned, in the same run).
struct AmxFree {
  void operator()(void* p) const { std::free(p); }
};
template <class T>
using AmxBuffer = std::unique_ptr<T[], AmxFree>;
template <class T>
AmxBuffer<T> amx_buffer(size_t n) {
  const size_t bytes = std::max<size_t>(64, (n * sizeof(T) + 63) / 64 * 64);
  T* p = static_cast<T*>(std::aligned_alloc(64, bytes));
  if (!p) throw std::bad_alloc();
  return AmxBuffer<T>(p);
}
// An aligned buffer of at least n values, reallocated only to grow.
template <class T>
T* amx_reserve(AmxBuffer<T>& b, size_t& capacity, size_t n) {
  if (n > capacity || !b) {
    b = amx_buffer<T>(n);
    capacity = n;
  }
  return b.get();
}

#if MLXC_AMX

#define MLXC_AMX_TARGET __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512bf16")))

// GCC 12's tile loads and stores are asm statements that do not say they
// read or write memory: this keeps the plain loads and stores of the same
// buffers on their side of them.
inline void memory_fence_for_tiles() { __asm__ volatile("" ::: "memory"); }

struct AmxTileConfig {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

// Every tile 16 rows of 64 bytes. A constant: GCC 12's _tile_loadconfig
// tells the compiler that it reads 8 bytes, and the stores to a local
// configuration were dropped once it was inlined (ldtilecfg then faulted on
// stale bytes).
constexpr AmxTileConfig amx_tile_config() {
  AmxTileConfig cfg{};
  cfg.palette = 1;
  for (int i = 0; i < 8; i++) {
    cfg.colsb[i] = 64;
    cfg.rows[i] = 16;
  }
  return cfg;
}
alignas(64) inline constexpr AmxTileConfig kAmxTileConfig = amx_tile_config();

MLXC_AMX_TARGET inline __m512 amx_widen(__m256bh h) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(reinterpret_cast<__m256i&>(h)), 16));
}

// The next bfloat16 part of v (nearest), taken off v: the parts taken in
// turn sum to the float32 value exactly (3 of them for any normal value).
MLXC_AMX_TARGET inline __m256bh amx_take_part(__m512& v) {
  const __m256bh h = _mm512_cvtneps_pbh(v);
  v = _mm512_sub_ps(v, amx_widen(h));
  return h;
}

#endif

}  // namespace mlxc
