// Register tiles of float32 products, shared by attention (fast.cpp) and the
// quantized products (quantized.cpp): R rows of one operand, each value
// broadcast, times a panel of kPanel columns of the other, packed so that a
// panel's row is kPanel adjacent floats. The R x kPanel sums stay in vector
// registers for the whole inner dimension: 24 of the 32 AVX-512 registers
// at R = 12 (12 of AVX2's 16 at R = 3, where Lanes is a pair).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

namespace mlxc {

// 16 float lanes (GCC/Clang vector extension: one AVX-512 register, or
// pairs and quads of narrower ones on other CPUs), loaded from any float
// address; never passed by value, whose ABI differs between instruction sets.
using Lanes = float __attribute__((vector_size(64), aligned(4), may_alias));
inline const Lanes& lanes_at(const float* p) { return *reinterpret_cast<const Lanes*>(p); }

constexpr int64_t kPanel = 32;
// Tile shapes by the registers the build has: panel tiles of kTileRows rows;
// prefill's value tiles (fast.cpp) of kValueRows rows times kValueVecs
// vectors (24 sums of AVX-512's 32 registers, 12 of AVX2's 16 as pairs).
#if defined(__AVX512F__)
constexpr int kTileRows = 12, kValueRows = 6, kValueVecs = 4;
#else
constexpr int kTileRows = 3, kValueRows = 3, kValueVecs = 2;
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
// kPanel rows y_j of one panel (NV = 2), or its first half (NV = 1); with
// Add, s_r[j] += that instead. Never inlined: in a larger function the R
// row pointers lose their registers.
template <int R, bool Add = false, int NV = 2>
__attribute__((noinline)) void panel_tile(const float* const* x, const float* panel, int64_t D, float scale, float* s, int64_t lds) {
  static_assert(kPanel == 32 && (NV == 1 || NV == 2), "a panel is two vectors");
  Lanes acc[R][NV] = {};
  for (int64_t p = 0; p < D; p++) {
    Lanes y[NV];
    for (int u = 0; u < NV; u++) y[u] = lanes_at(panel + p * kPanel + 16 * u);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      const float v = x[r][p];
      for (int u = 0; u < NV; u++) acc[r][u] += v * y[u];
    }
  }
  for (int r = 0; r < R; r++)
    for (int u = 0; u < NV; u++) {
      Lanes a = acc[r][u] * scale;
      if constexpr (Add) a += lanes_at(s + r * lds + 16 * u);
      std::memcpy(s + r * lds + 16 * u, &a, sizeof a);
    }
}

}  // namespace mlxc
