// arctan, arctan2, arcsin and arccos in double lanes (VD), included by
// vecmath_isa.h inside its namespace (no standard-library calls). Each
// result is a double-double within about 2^-70 relative of the exact value,
// rounded once at the end: the correctly rounded double except within about
// 2^-17 ulp of a tie (the C library's functions, which MLX calls for
// float64, are as close; SLEEF's u10 functions were up to 0.93 ulp off).
//
// One core for all four, arctan(n/d) for doubles 0 <= n <= d: c = i/16
// (i = 0..15) next to q = n/d, t = (n - c d)/(d + c n) in
// double-double (|t| <= 1/31), arctan q = arctan c + arctan t with arctan c
// from a table (hi + lo) and arctan t = t - t^3/3 + t^5 Q(t^2) (the Taylor
// series to t^13: the rest is under 2^-73 t), t^3/3 in double-double.
// The callers add K + m arctan q (K = 0, pi/2 or pi, m = +-1, K's low part
// also taking arcsin's and arccos's correction) and the sign.

// arctan(i/16) as hi + lo (__float128 atanq, rounded twice).
alignas(64) constexpr double kAtan16Hi[16] = {
    0.0, 0x1.ff55bb72cfdeap-5, 0x1.fd5ba9aac2f6ep-4, 0x1.7b97b4bce5b02p-3, 0x1.f5b75f92c80ddp-3, 0x1.362773707ebccp-2,
    0x1.6f61941e4def1p-2, 0x1.a64eec3cc23fdp-2, 0x1.dac670561bb4fp-2, 0x1.0657e94db30dp-1, 0x1.1e00babdefeb4p-1,
    0x1.345f01cce37bbp-1, 0x1.4978fa3269ee1p-1, 0x1.5d58987169b18p-1, 0x1.700a7c5784634p-1, 0x1.819d0b7158a4dp-1};
alignas(64) constexpr double kAtan16Lo[16] = {
    0.0, -0x1.c934d86d23f1dp-60, -0x1.cd37686760c17p-59, 0x1.347b0b4f881cap-58, 0x1.8ab6e3cf7afbdp-57,
    -0x1.963a544b672d8p-57, -0x1.c63aae6f6e918p-56, -0x1.24dec1b50b7ffp-56, 0x1.a2b7f222f65e2p-56,
    -0x1.d5b495f6349e6p-56, -0x1.928df287a668fp-58, 0x1.1021137c71102p-55, 0x1.2419a87f2a458p-56,
    0x1.0028e4bc5e7cap-57, -0x1.8c34d25aadef6p-56, -0x1.bf76229d3b917p-56};
constexpr double kPi64Hi = 0x1.921fb54442d18p+1, kPi64Lo = 0x1.1a62633145c07p-53;
// arctan t = t - t^3/3 + t^5 Q(t^2): Q's Taylor coefficients, highest first.
constexpr double kAtanQ[] = {1.0 / 13, -1.0 / 11, 1.0 / 9, -1.0 / 7, 1.0 / 5};

// The reduction: kd (i in its low bits) and t = th + tl for 0 <= n <= d and
// q0 within 2^-10.4 of n/d relative. i = round(16 q0 - 2^-8), at most 15:
// from i = 1 on, c d is within a factor 2 of n, so n - c d is exact
// (Sterbenz) with c d as the sum of two products (fma), and so is c n.
// 1/(d + c n) by one division; th = N r within 2 ulps, its residual exact
// by fma.
VM_INLINE void atan_reduce(VD::V n, VD::V d, VD::V q0, VD::V& kd, VD::V& th, VD::V& tl) {
  using V = VD::V;
  const V shift = VD::set1(0x1.8p52);
  kd = VD::add(VD::min(VD::fma(q0, VD::set1(16.0), VD::set1(-0x1p-8)), VD::set1(15.0)), shift);
  const V c = VD::mul(VD::sub(kd, shift), VD::set1(0.0625));
  const V p = VD::mul(c, d), pe = VD::fma(c, d, VD::neg(p));
  const V nh = VD::sub(n, p);
  const V p2 = VD::mul(c, n), p2e = VD::fma(c, n, VD::neg(p2));
  const V dh = VD::add(d, p2), dl = VD::add(VD::add(VD::sub(d, dh), p2), p2e);
  const V r = VD::div(VD::set1(1.0), dh);
  th = VD::mul(nh, r);
  tl = VD::mul(VD::sub(VD::fma(VD::neg(th), dh, nh), VD::fma(th, dl, pe)), r);
}

// arctan(i/16) + arctan(th + tl) as hi + lo. t^3/3 = (p + pe + th se)/3 +
// s tl with s + se = th^2 and p + pe = th s exactly; p/3 = qh + qr/3 with
// qr exact by fma. hi + lo from two fast two-sums (arctan(i/16) >= 2|t|
// from i = 1 on; i = 0 adds 0).
VM_INLINE void atan_sum(VD::V kd, VD::V th, VD::V tl, VD::V& hi, VD::V& lo) {
  using V = VD::V;
  const V ah = VD::lookup16(kAtan16Hi, kd, 0), al = VD::lookup16(kAtan16Lo, kd, 0);
  const V s = VD::mul(th, th), se = VD::fma(th, th, VD::neg(s));
  const V p = VD::mul(th, s), pe = VD::fma(th, s, VD::neg(p));
  const V third = VD::set1(1.0 / 3);
  const V qh = VD::mul(p, third), qr = VD::fma(qh, VD::set1(-3.0), p);
  const V ql = VD::fma(VD::fma(th, se, VD::add(qr, pe)), third, VD::mul(s, tl));
  const V small = VD::fma(VD::mul(p, s), horner2<VD>(s, VD::mul(s, s), kAtanQ), VD::sub(tl, ql));
  const V s1 = VD::add(ah, th), e1 = VD::sub(th, VD::sub(s1, ah));
  hi = VD::sub(s1, qh);
  lo = VD::add(VD::add(VD::sub(VD::sub(s1, hi), qh), e1), VD::add(al, small));
}

// K + m (hi + lo) rounded once, K = kh + kl in {0, pi/2, pi}, m = +-1, |hi| <= K where K is not 0.
VM_INLINE VD::V atan_quadrant(VD::V kh, VD::V kl, VD::V m, VD::V hi, VD::V lo) {
  const VD::V u = VD::mul(m, hi), r = VD::add(kh, u);
  const VD::V e = VD::sub(u, VD::sub(r, kh));
  return VD::add(r, VD::add(e, VD::fma(m, lo, kl)));
}

// arctan x = sign(x) arctan a: a <= 1 takes arctan(a/1), beyond pi/2 -
// arctan(1/a). a clamped to 2^1000 (arctan of inf is pi/2: the correction
// rounds away); a NaN passes through (min's second operand).
VM_INLINE VD::V atan_f64(VD::V x) {
  using V = VD::V;
  const V one = VD::set1(1.0), zero = VD::set1(0.0);
  const V a = VD::min(VD::set1(0x1p1000), VD::abs(x));
  const auto big = VD::gt(a, one);
  V kd, th, tl, hi, lo;
  atan_reduce(VD::min(one, a), VD::max(one, a), VD::min(a, VD::recip_est(a)), kd, th, tl);
  atan_sum(kd, th, tl, hi, lo);
  const V r = atan_quadrant(VD::sel(big, VD::set1(kPi64Hi / 2), zero), VD::sel(big, VD::set1(kPi64Lo / 2), zero),
                            VD::sel(big, VD::set1(-1.0), one), hi, lo);
  return VD::xor_sign(r, x);
}

// arctan2(y, x) for finite (y, x) not both zero: n = min(|y|, |x|), d =
// max; K = pi/2 where |y| > |x|, else pi for x < 0; m = -1 where exactly
// one of those holds. n and d are scaled by 2^600 or 2^-600 where d is
// below 2^-500 or above 2^500 (no overflow in d + c n, no underflow in the
// residuals); where q = n/d is below 2^-500, arctan q is q itself, the
// division's correctly rounded quotient (n scaled down may lose bits).
// Zeros, infinities and NaN: SLEEF's results, per lane.
VM_INLINE VD::V atan2_f64(VD::V y, VD::V x) {
  using V = VD::V;
  const V one = VD::set1(1.0), zero = VD::set1(0.0), inf = VD::set1(__builtin_inf());
  const V ay = VD::abs(y), ax = VD::abs(x);
  const auto swap = VD::gt(ay, ax);
  const V n = VD::min(ay, ax), d = VD::max(ay, ax);
  const V q0 = VD::div(n, d);
  const V sc = VD::sel(VD::gt(VD::set1(0x1p-500), d), VD::set1(0x1p600),
                       VD::sel(VD::gt(d, VD::set1(0x1p500)), VD::set1(0x1p-600), one));
  V kd, th, tl, hi, lo;
  atan_reduce(VD::mul(n, sc), VD::mul(d, sc), q0, kd, th, tl);
  const auto tiny = VD::gt(VD::set1(0x1p-500), q0);
  th = VD::sel(tiny, q0, th);
  tl = VD::sel(tiny, zero, tl);
  atan_sum(kd, th, tl, hi, lo);
  const auto negx = VD::gt(zero, x);
  const V kh = VD::sel(swap, VD::set1(kPi64Hi / 2), VD::sel(negx, VD::set1(kPi64Hi), zero));
  const V kl = VD::sel(swap, VD::set1(kPi64Lo / 2), VD::sel(negx, VD::set1(kPi64Lo), zero));
  V r = VD::xor_sign(atan_quadrant(kh, kl, VD::xor_sign(VD::sel(swap, VD::set1(-1.0), one), x), hi, lo), y);
  // |y| + |x| neither 0, inf nor NaN: every argument taken here
  const V u = VD::add(ay, ax);
  const auto bad = VD::eq(VD::sel(VD::gt(u, zero), u, inf), inf);
  if (VD::any(bad)) r = VD::sel(bad, Fns<VD>::binary[int(VFn2::Arctan2)](y, x), r);
  return r;
}

// a = |x| <= 1 and s = sqrt(1 - a^2) as sh + sl: 1 - a^2 = wh + wl exactly
// where it is below 1/2 (a^2 = ph + pl by fma, 1 - ph exact), sl = (w -
// sh^2) y / 2 with y = 1/sqrt(wh) from the estimate and a Newton step
// (2^-23; wh is 0 only at a = 1, where the residual is 0). The core takes
// sh alone: with a^2 + s^2 = 1, arctan2(a, sh + sl) = arctan2(a, sh) - a sl
// and arctan2(sh + sl, x) = arctan2(sh, x) + x sl (to sl^2), a term for
// K's low part. Then n = min(a, sh), d = max, and q0 = min(v, 1/v) with v
// = a y0 (a/s, or s/a for its reciprocal) from the estimates alone (within
// 2^-10.4), beside the square root rather than after it.
VM_INLINE void asin_cos_part(VD::V a, VD::V& sh, VD::V& sl, VD::V& q0) {
  using V = VD::V;
  const V one = VD::set1(1.0);
  const V ph = VD::mul(a, a), pl = VD::fma(a, a, VD::neg(ph));
  const V wh = VD::sub(one, ph), wl = VD::sub(VD::sub(VD::sub(one, wh), ph), pl);
  sh = VD::sqrt(wh);
  const V wg = VD::max(wh, VD::set1(0x1p-60));
  const V y0 = VD::rsqrt_est(wg), v = VD::mul(a, y0);
  q0 = VD::min(v, VD::recip_est(v));
  const V hy = VD::mul(y0, VD::set1(0.5));
  const V y = VD::fma(hy, VD::fma(VD::neg(wg), VD::mul(y0, y0), one), y0);
  sl = VD::mul(VD::add(VD::fma(VD::neg(sh), sh, wh), wl), VD::mul(y, VD::set1(0.5)));
}

// Beyond [-1, 1] NaN, and a NaN passes through.
VM_INLINE VD::V asin_cos_special(VD::V x, VD::V a, VD::V r) {
  r = VD::sel(VD::gt(a, VD::set1(1.0)), VD::set1(__builtin_nan("")), r);
  return VD::sel(VD::unord(x, x), x, r);
}

// arctan(min(a, sh) / max(a, sh)) as hi + lo, with sh + sl = sqrt(1 - a^2):
// where arcsin and arccos both start.
VM_INLINE void asin_cos_atan(VD::V a, VD::V& sh, VD::V& sl, VD::V& hi, VD::V& lo) {
  VD::V q0, kd, th, tl;
  asin_cos_part(a, sh, sl, q0);
  atan_reduce(VD::min(a, sh), VD::max(a, sh), q0, kd, th, tl);
  atan_sum(kd, th, tl, hi, lo);
}

// arcsin x = sign(x) arctan2(a, s).
VM_INLINE VD::V asin_f64(VD::V x) {
  using V = VD::V;
  const V one = VD::set1(1.0), zero = VD::set1(0.0);
  const V a = VD::abs(x);
  V sh, sl, hi, lo;
  asin_cos_atan(a, sh, sl, hi, lo);
  const auto swap = VD::gt(a, sh);
  const V kl = VD::fma(VD::neg(a), sl, VD::sel(swap, VD::set1(kPi64Lo / 2), zero));
  const V r = atan_quadrant(VD::sel(swap, VD::set1(kPi64Hi / 2), zero), kl, VD::sel(swap, VD::set1(-1.0), one), hi, lo);
  return asin_cos_special(x, a, VD::xor_sign(r, x));
}

// arccos x = arctan2(s, x).
VM_INLINE VD::V acos_f64(VD::V x) {
  using V = VD::V;
  const V one = VD::set1(1.0), zero = VD::set1(0.0);
  const V a = VD::abs(x);
  V sh, sl, hi, lo;
  asin_cos_atan(a, sh, sl, hi, lo);
  const auto swap = VD::gt(sh, a), negx = VD::gt(zero, x);
  const V kh = VD::sel(swap, VD::set1(kPi64Hi / 2), VD::sel(negx, VD::set1(kPi64Hi), zero));
  const V kl = VD::fma(x, sl, VD::sel(swap, VD::set1(kPi64Lo / 2), VD::sel(negx, VD::set1(kPi64Lo), zero)));
  return asin_cos_special(x, a, atan_quadrant(kh, kl, VD::xor_sign(VD::sel(swap, VD::set1(-1.0), one), x), hi, lo));
}
