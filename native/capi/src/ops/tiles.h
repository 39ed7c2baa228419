// Register tiles of float32 products, shared by attention (fast.cpp) and the
// quantized products (quantized.cpp): R rows of one operand, each value
// broadcast, times a panel of kPanel columns of the other, packed so that a
// panel's row is kPanel adjacent floats. The sums of a tile stay in vector
// registers for the whole inner dimension (kTileRows below).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

namespace mlxc {

// float32 lanes of the build's widest vector registers (GCC/Clang vector
// extension: 16 with AVX-512, 8 with AVX, else 4), loaded from any float
// address; never passed by value, whose ABI differs between instruction
// sets. A type wider than the registers is lowered piecewise through the
// stack: 16-lane tiles on an AVX2 build ran prefill at 2% of the FMA peak.
#if defined(__AVX512F__)
constexpr int kLanes = 16;
#elif defined(__AVX__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif
using Lanes = float __attribute__((vector_size(kLanes * sizeof(float)), aligned(4), may_alias));
inline const Lanes& lanes_at(const float* p) { return *reinterpret_cast<const Lanes*>(p); }
// One vector store. A memcpy of a Lanes is not: GCC's tuning for Zen moves
// memory in 16-byte pieces, so it went through the stack (decoding's value
// sums, one core in L3: 2x the time).
inline void store_lanes(float* p, const Lanes& v) { *reinterpret_cast<Lanes*>(p) = v; }
// 16 lanes whatever the build, for the AMX paths (run only on AVX-512 CPUs).
using Lanes16 = float __attribute__((vector_size(64), aligned(4), may_alias));
inline const Lanes16& lanes16_at(const float* p) { return *reinterpret_cast<const Lanes16*>(p); }

// lanes 0, 1, ..., kLanes - 1
inline Lanes lane_index() {
  Lanes v{};
  for (int i = 0; i < kLanes; i++) v[i] = float(i);
  return v;
}

// The sum of a vector's lanes: halves added down to 4 lanes, then pairs.
template <class V>
inline float hsum(const V& v) {
  constexpr int n = sizeof(V) / sizeof(float);
  float x[n];
  std::memcpy(x, &v, sizeof x);
  for (int w = n / 2; w >= 4; w /= 2)
    for (int i = 0; i < w; i++) x[i] += x[i + w];
  return (x[0] + x[2]) + (x[1] + x[3]);
}

// Tile shapes by the registers the build has: panels of kPanel columns,
// panel tiles of kTileRows rows, prefill's value tiles (fast.cpp) of
// kValueRows rows times kValueVecs vectors. AVX-512: 12 x 32 sums in 24 of
// its 32 registers. With 16 registers, 6 rows of 2 vectors (12 sums), the
// shape of BLIS's Haswell kernel: one core on Zen 3, CPU time, a panel in
// L1: 64-68 GFLOP/s of 6 x 16, against 35 of 3 x 32 (GCC spills a sum)
// and 13 of 3 x 32 with the panel's vectors as memory operands. Panels of
// 16 columns then, so that a tile reads whole lines of its panel.
#if defined(__AVX512F__)
constexpr int64_t kPanel = 32;
constexpr int kTileRows = 12, kValueRows = 6, kValueVecs = 4;
#else
constexpr int64_t kPanel = 2 * kLanes;
constexpr int kTileRows = 6, kValueRows = 6, kValueVecs = 2;
#endif

// Calls f(std::integral_constant<int, R>{}) for R = n, 1 <= n <= Max.
template <int Max, int R = 1, class F>
void with_rows(int64_t n, F&& f) {
  if constexpr (R < Max) {
    if (n != R) return with_rows<Max, R + 1>(n, std::forward<F>(f));
  }
  f(std::integral_constant<int, R>{});
}

// Rows y (n x D, row-major) into panels of kPanel rows, each D x kPanel
// with the rows fastest; the rows past n zero. By 64 values of D at a time,
// so that the part of a panel being written (8 KiB) stays in L1 however
// long the rows.
inline void pack_panels(const float* y, int64_t n, int64_t D, float* panels) {
  for (int64_t j0 = 0; j0 < n; j0 += kPanel) {
    float* panel = panels + j0 * D;
    const int64_t w = std::min(kPanel, n - j0);
    for (int64_t p0 = 0; p0 < D; p0 += 64) {
      const int64_t p1 = std::min(D, p0 + 64);
      for (int64_t j = 0; j < w; j++)
        for (int64_t p = p0; p < p1; p++) panel[p * kPanel + j] = y[(j0 + j) * D + p];
      for (int64_t j = w; j < kPanel; j++)
        for (int64_t p = p0; p < p1; p++) panel[p * kPanel + j] = 0.0f;
    }
  }
}

// s_r[j] = scale * (x_r . y_j) for R rows x_r (D values each) and the
// first W of the kPanel rows y_j of one panel (W = kPanel, or half of it);
// with Add, s_r[j] += that instead. Never inlined: in a larger function the
// R row pointers lose their registers.
template <int R, bool Add = false, int W = kPanel>
__attribute__((noinline)) void panel_tile(const float* const* x, const float* panel, int64_t D, float scale, float* s, int64_t lds) {
  static_assert(W % kLanes == 0 && W <= kPanel, "whole vectors of a panel");
  constexpr int NV = W / kLanes;
  Lanes acc[R][NV] = {};
  for (int64_t p = 0; p < D; p++) {
    Lanes y[NV];
    for (int u = 0; u < NV; u++) y[u] = lanes_at(panel + p * kPanel + kLanes * u);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      const float v = x[r][p];
      for (int u = 0; u < NV; u++) acc[r][u] += v * y[u];
    }
  }
  for (int r = 0; r < R; r++)
    for (int u = 0; u < NV; u++) {
      Lanes a = acc[r][u] * scale;
      if constexpr (Add) a += lanes_at(s + r * lds + kLanes * u);
      store_lanes(s + r * lds + kLanes * u, a);
    }
}

}  // namespace mlxc
