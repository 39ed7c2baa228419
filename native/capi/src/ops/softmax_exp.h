// The exponential of softmax weights, shared by prefill attention's two
// paths (fast.cpp's register tiles, attention_amx.cpp's weights as parts).
#pragma once
#include <cstdint>

#include "tiles.h"

namespace mlxc {

// exp(x) of softmax weights (x <= 0 after the row's maximum is taken off):
// 2^n e^r with |r| <= ln2 / 2 and e^r = 1 + r + r^2 P(r), P of degree 5
// (Cephes' expf coefficients), 1.01 ulp at most over every third float of
// [-87, 0] against a double exp, 0 where the result would be subnormal. About
// 17 vector operations in registers, where the engine's exp (SLEEF's,
// through a call per vector) took 15% of a prefill.
// V: Lanes, or Lanes16 on the AMX paths, where the result is written to e:
// a 16-float vector passed or returned by value outside AVX-512 code changes
// the ABI (clang refuses it; the AMX callers carry AVX-512 as a function
// attribute, this template does not).
template <class V>
__attribute__((always_inline)) inline void exp_weight_into(const V& in, V& e) {
  typedef int32_t Ints __attribute__((vector_size(sizeof(V))));
  const V x = in < -88.0f ? V{} - 88.0f : in;  // e^-88 is under 2^-126: n stays >= -127 (a NaN passes)
  const V round = V{} + 0x1.8p23f, kn = x * 1.44269504f + round, n = kn - round;
  const V r = (x - n * 0.693145752f) - n * 1.42860677e-6f;  // ln 2 in two parts: n ln2_hi is exact
  V p = r * 1.9875691500e-4f + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const Ints scale = (Ints(kn) << 23) + 0x3f800000;  // kn's low bits hold n: 2^n, 0 at n = -127
  e = p * V(scale);
}

inline Lanes exp_weight(Lanes x) {
  Lanes e;
  exp_weight_into(x, e);
  return e;
}

}  // namespace mlxc
