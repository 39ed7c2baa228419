// tan in double lanes (VD), included by vecmath_isa.h inside its namespace
// (no standard-library calls). The result is a double-double within about
// 2^-72 relative of tan x (the d^5 term's rounding; the series' remainder
// is under 2^-79), rounded once at the end: a __float128 sweep of 4 million
// arguments over every binade found each result correctly rounded (SLEEF's
// u10 tan was up to 0.62 ulp off; the C library's, which MLX calls, 0.58).
//
// Reduction to x = N pi/2 + r, r = rh + rl: below 2^30 by Cody-Waite
// (tan_reduce_small); above, a vector Payne-Hanek (tan_reduce_large): |x| =
// m 2^(e-52), m a whole number below 2^53, so |x| 2/pi = m G with G = 2/pi
// 2^(e-52), and m (G mod 2) differs from m G by an even number (tan needs
// only the parity of N). G mod 2 as four doubles on a fixed grid (bits
// 2^0..2^-52, 2^-53..2^-105, 2^-106..2^-158, 2^-159..2^-211) from a table by
// e: each m T_j is exact as two doubles (fma) but the last, dropping m
// 2^-211 <= 2^-158. The whole part N of the sum is taken off and f = m G - N
// (|f| <= 1/2) kept as a double-double by two-sums in the order where
// cancellation happens, so its absolute error stays near 2^-155 (|f| is at
// least ~2^-62 for doubles). r = f pi/2.
//
// tan of |r| <= pi/4 + a little: c = i/16 next to |r|, d = |r| - c exact,
// tan d = d + d^3/3 + d^5 P(d^2) (the Taylor series to d^13; |d| <= 1/32,
// d^3/3 in double-double), tan c from a table, tan|r| = (tan c + tan d)/(1
// - tan c tan d), numerator and denominator double-double; N odd: tan x =
// -cot r, the same quotient upside down. One double-double division
// (residual by fma), rounded once.

// The bits of 2/pi from 2^-1 on, 64 a word (Machin's formula in integers).
constexpr uint64_t kTwoOverPiBits[19] = {
    0xa2f9836e4e441529ull, 0xfc2757d1f534ddc0ull, 0xdb6295993c439041ull, 0xfe5163abdebbc561ull,
    0xb7246e3a424dd2e0ull, 0x06492eea09d1921cull, 0xfe1deb1cb129a73eull, 0xe88235f52ebb4484ull,
    0xe99c7026b45f7e41ull, 0x3991d639835339f4ull, 0x9c845f8bbdf9283bull, 0x1ff897ffde05980full,
    0xef2f118b5a0a6d1full, 0x6d367ecf27cb09b7ull, 0x4f463f669e5fea2dull, 0x7527bac7ebe5f17bull,
    0x3d0739f78a5292eaull, 0x6bfb5fb11f8d5d08ull, 0x56033046fc7b6babull};

// Exponents e from kTanEMin to 1023 (x below 2^-27 returns x).
constexpr int kTanEMin = -27, kTanRows = 1023 - kTanEMin + 1;
struct TanPiTable {
  double t[kTanRows * 4];
};
constexpr TanPiTable make_tan_pi_table() {
  TanPiTable tab{};
  const double scale[4] = {0x1p-52, 0x1p-105, 0x1p-158, 0x1p-211};
  for (int row = 0; row < kTanRows; row++) {
    const int e = row + kTanEMin;
    for (int j = 0; j < 4; j++) {
      uint64_t acc = 0;
      // bit 2^k of G is 2/pi's bit 2^-(e - 52 - k)
      for (int k = -53 * j; k >= -52 - 53 * j; k--) {
        const int i = e - 52 - k;
        const uint64_t b = i >= 1 ? (kTwoOverPiBits[(i - 1) / 64] >> (63 - (i - 1) % 64)) & 1 : 0;
        acc = 2 * acc + b;
      }
      tab.t[row * 4 + j] = double(acc) * scale[j];
    }
  }
  return tab;
}
alignas(64) constexpr TanPiTable kTanPi = make_tan_pi_table();

// tan(i/16) as hi + lo (__float128 tanq, rounded twice).
alignas(64) constexpr double kTan16Hi[16] = {
    0.0, 0x1.005577854df01p-4, 0x1.01577af1511a5p-3, 0x1.84906f1132568p-3, 0x1.05785a43c4c56p-2, 0x1.4ad71ed51ce39p-2,
    0x1.9312d859bf8bp-2, 0x1.def49eaab37a1p-2, 0x1.17b4f5bf3474ap-1, 0x1.42c8ba0e9537ap-1, 0x1.7166689d41efp-1,
    0x1.a46cb2be6a0b2p-1, 0x1.dcfa36110eeecp-1, 0x1.0e442aa4c1eap+0, 0x1.328a395115a5ep+0, 0x1.5cb0bfc1558p+0};
alignas(64) constexpr double kTan16Lo[16] = {
    0.0, -0x1.f35b10671bea1p-58, -0x1.fba60a478d2bp-59, 0x1.20efcd2f809c2p-60, -0x1.9c6bfe7769a3dp-58,
    -0x1.b8c42b22fff4bp-56, -0x1.de9ddeb7d418p-57, 0x1.1e48c7a265428p-56, 0x1.0c5e59201e209p-55,
    -0x1.1817d3747956ap-56, -0x1.f44ffce65ed2bp-55, -0x1.29a64ecb1df2ep-56, -0x1.f3cf665127fd2p-57,
    -0x1.1f90dd92d21f9p-55, -0x1.024b36c9c6f62p-54, 0x1.f83174257dca8p-54};
// pi/2 in three doubles (each the rounded rest).
constexpr double kPio2[3] = {0x1.921fb54442d18p+0, 0x1.1a62633145c07p-54, -0x1.f1976b7ed8fbcp-110};
// tan d = d + d^3/3 + d^5 P(d^2): P's Taylor coefficients, highest first.
constexpr double kTanP[] = {21844.0 / 6081075, 1382.0 / 155925, 62.0 / 2835, 17.0 / 315, 2.0 / 15};

// The large-argument reduction (the file's top comment) for a = |x| >= 2^-27
// finite: r = rh + rl (signed, |r| <= pi/4 + a little) and the multiple of
// pi/2 taken off, n (only its parity is that of the whole multiple).
VM_INLINE void tan_reduce_large(VD::V a, VD::V& rh, VD::V& rl, VD::V& n) {
  using V = VD::V;
  const V e = VD::exponent(a), m = VD::mul(VD::mantissa(a), VD::set1(0x1p52));
  const V row = VD::mul(VD::sub(e, VD::set1(double(kTanEMin))), VD::set1(4.0));
  const V t0 = VD::gather_whole(kTanPi.t, row), t1 = VD::gather_whole(kTanPi.t + 1, row);
  const V t2 = VD::gather_whole(kTanPi.t + 2, row), t3 = VD::gather_whole(kTanPi.t + 3, row);
  const V p0 = VD::mul(m, t0), p0l = VD::fma(m, t0, VD::neg(p0));
  const V p1 = VD::mul(m, t1), p1l = VD::fma(m, t1, VD::neg(p1));
  const V p2 = VD::mul(m, t2), p2l = VD::fma(m, t2, VD::neg(p2));
  const V p3 = VD::mul(m, t3);
  // p0 mod 2 (exact, in [-1, 1]) plus p0l: both on the grid 2^-52 and at
  // most 1.5 (p0 >= 2^53 is even), so exact too
  const V w = VD::add(VD::fma(VD::round(VD::mul(p0, VD::set1(0.5))), VD::set1(-2.0), p0), p0l);
  const DD s = two_sum(w, p1);
  n = VD::round(s.hi);
  const DD f1 = two_sum(VD::sub(s.hi, n), s.lo), f2 = two_sum(f1.hi, p1l), f3 = two_sum(f2.hi, p2);
  const DD f = two_sum(f3.hi, VD::add(VD::add(VD::add(f1.lo, f2.lo), f3.lo), VD::add(p2l, p3)));
  // r = f pi/2
  const V ph = VD::set1(kPio2[0]), pl = VD::set1(kPio2[1]);
  rh = VD::mul(f.hi, ph);
  rl = VD::add(VD::fma(f.hi, ph, VD::neg(rh)), VD::fma(f.hi, pl, VD::mul(f.lo, ph)));
}

// The same for a below kTanSmall (Cody-Waite): n = round(a 2/pi), r = a - n
// P1 - n P2 - n P3 (pi/2 in three doubles): a - n P1 is exact (Sterbenz, n
// P1 = p + pe by fma), then two-sums with pe and n P2 (exact by fma too),
// n P3 and the low parts into the tail (absolute error near n 2^-159).
constexpr double kTanSmall = 0x1p30;
VM_INLINE void tan_reduce_small(VD::V a, VD::V& rh, VD::V& rl, VD::V& n) {
  using V = VD::V;
  const V c1 = VD::set1(kPio2[0]), c2 = VD::set1(kPio2[1]);
  n = VD::round(VD::mul(a, VD::set1(0x1.45f306dc9c883p-1)));
  const V p = VD::mul(n, c1), pe = VD::fma(n, c1, VD::neg(p));
  const V q = VD::mul(n, c2), qe = VD::fma(n, c2, VD::neg(q));
  const DD s1 = two_sum(VD::sub(a, p), VD::neg(pe)), s2 = two_sum(s1.hi, VD::neg(q));
  const DD r = two_sum(s2.hi, VD::sub(VD::add(s1.lo, s2.lo), VD::fma(n, VD::set1(kPio2[2]), qe)));
  rh = r.hi, rl = r.lo;
}

// tan x = x where x + x^3/3 rounds to x (|x| < 2^-27, subnormals too);
// inf and NaN give NaN (x - x). Lanes below kTanSmall take tan_reduce_small,
// the rest tan_reduce_large (only when a vector holds one).
VM_INLINE VD::V tan_f64(VD::V x) {
  using V = VD::V;
  const V one = VD::set1(1.0), inf = VD::set1(__builtin_inf());
  const V ax = VD::abs(x);
  const auto finite = VD::gt(inf, ax);
  const V a = VD::sel(finite, VD::max(ax, VD::set1(0x1p-27)), one);
  V rh, rl, n;
  tan_reduce_small(VD::min(a, VD::set1(kTanSmall)), rh, rl, n);
  const auto large = VD::gt(a, VD::set1(kTanSmall));
  if (VD::any(large)) {
    V rh2, rl2, n2;
    tan_reduce_large(a, rh2, rl2, n2);
    rh = VD::sel(large, rh2, rh);
    rl = VD::sel(large, rl2, rl);
    n = VD::sel(large, n2, n);
  }
  const auto odd = VD::gt(VD::abs(VD::fma(VD::round(VD::mul(n, VD::set1(0.5))), VD::set1(-2.0), n)), VD::set1(0.5));
  const V sign = VD::xor_sign(VD::xor_sign(x, rh), VD::sel(odd, VD::set1(-1.0), one));
  rl = VD::xor_sign(rl, rh);
  rh = VD::abs(rh);
  // tan d, d = |r| - i/16
  const V shift = VD::set1(0x1.8p52);
  const V kd = VD::add(VD::mul(rh, VD::set1(16.0)), shift);
  const V dh = VD::sub(rh, VD::mul(VD::sub(kd, shift), VD::set1(0.0625)));
  // tan d = uh + ul, normalized by a last fast two-sum (the division's
  // correction is first order): d^3/3 = qh + ql with p + pe = dh d2 and d2 + d2e = dh^2 exactly,
  // qr = p - 3 qh exact by fma (where i = 0, tan d is the result: a double
  // d^3/3 cost 2^-11 ulp)
  const V d2 = VD::mul(dh, dh), d2e = VD::fma(dh, dh, VD::neg(d2));
  const V p = VD::mul(dh, d2), pe = VD::fma(dh, d2, VD::neg(p));
  const V qh = VD::mul(p, VD::set1(1.0 / 3)), qr = VD::fma(qh, VD::set1(-3.0), p);
  const V ql = VD::fma(VD::fma(dh, d2e, VD::add(qr, pe)), VD::set1(1.0 / 3), VD::fma(rl, d2, rl));
  const V u1 = VD::add(dh, qh);
  const V u2 = VD::add(VD::sub(qh, VD::sub(u1, dh)), VD::fma(VD::mul(p, d2), horner2<VD>(d2, VD::mul(d2, d2), kTanP), ql));
  const V uh = VD::add(u1, u2), ul = VD::sub(u2, VD::sub(uh, u1));
  // numerator tan c + tan d (a fast two-sum: tan c is 0 or above |tan d|),
  // denominator 1 - tan c tan d
  const V th = VD::lookup16(kTan16Hi, kd, 0), tl = VD::lookup16(kTan16Lo, kd, 0);
  const V nh = VD::add(th, uh), nl = VD::add(VD::sub(uh, VD::sub(nh, th)), VD::add(tl, ul));
  const V q = VD::mul(th, uh), qe = VD::fma(th, uh, VD::neg(q));
  const V dnh = VD::sub(one, q);
  const V dnl = VD::sub(VD::sub(VD::sub(one, dnh), q), VD::fma(th, ul, VD::fma(tl, uh, qe)));
  const V ah = VD::sel(odd, dnh, nh), al = VD::sel(odd, dnl, nl);
  const V bh = VD::sel(odd, nh, dnh), bl = VD::sel(odd, nl, dnl);
  // (ah + al)/(bh + bl) by one division: y within an ulp or two, the
  // residual's quotient by the same reciprocal
  const V rb = VD::div(one, bh), y = VD::mul(ah, rb);
  const V r = VD::xor_sign(VD::fma(VD::sub(VD::add(VD::fma(VD::neg(y), bh, ah), al), VD::mul(y, bl)), rb, y), sign);
  return VD::sel(VD::gt(VD::set1(0x1p-27), ax), x, VD::sel(finite, r, VD::sub(x, x)));
}
