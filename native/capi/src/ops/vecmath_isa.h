// The vector kernels, written once over a vector type and included by each
// instruction set's translation unit inside its own namespace, after it
// defines VF (float lanes, with half loads and stores) and VD (double
// lanes). Everything here has internal linkage or lives in that namespace,
// so no out-of-line copy compiled for one instruction set can be picked by
// the linker for code of another. Kept free of standard-library calls for
// the same reason.

namespace {

// SLEEF entry points, resolved once by make_table.
template <class VT> struct Fns {
  static inline typename VT::V (*unary[int(VFn::kCount)])(typename VT::V);
  static inline typename VT::V (*binary[int(VFn2::kCount)])(typename VT::V, typename VT::V);
};

// Storage of one dtype in the lanes of VT.
template <class VT, class S> struct Io {
  using V = typename VT::V;
  static V ld(const S* p) { return VT::load(p); }
  static void st(S* p, V v) { VT::store(p, v); }
};
template <> struct Io<VF, f16> {
  static VF::V ld(const f16* p) { return VF::load_f16(reinterpret_cast<const uint16_t*>(p)); }
  static void st(f16* p, VF::V v) { VF::store_f16(reinterpret_cast<uint16_t*>(p), v); }
};
template <> struct Io<VF, bf16> {
  static VF::V ld(const bf16* p) { return VF::load_bf16(reinterpret_cast<const uint16_t*>(p)); }
  static void st(bf16* p, VF::V v) { VF::store_bf16(reinterpret_cast<uint16_t*>(p), v); }
};

// Inverse error function in float lanes: the single-precision minimax
// polynomials in t = log(1 - y^2) that the scalar path (and MLX) use. The
// log is taken in double lanes and rounded, so t is the correctly rounded
// float log (as the C library's) and results match MLX's bit for bit
// (random normal draws depend on it).
inline VF::V erfinv_f32(VF::V y) {
  using V = VF::V;
  const V a = VF::fma(VF::neg(y), y, VF::set1(1.0f));
  auto log = Fns<VD>::unary[int(VFn::Log)];
  const V t = VF::from_pd(log(VF::lo_pd(a)), log(VF::hi_pd(a)));
  static const float tail[] = {2.93243101e-8f, 1.22150334e-6f, 2.84108955e-5f, 3.93552968e-4f, 3.02698812e-3f,
                               4.83185798e-3f, -2.64646143e-1f, 8.40016484e-1f};
  static const float body[] = {1.43285448e-7f, 1.22774793e-6f, 1.12963626e-7f, -5.61530760e-5f, -1.47697632e-4f,
                               2.31468678e-3f, 1.15392581e-2f, -2.32015476e-1f, 8.86226892e-1f};
  V p = VF::set1(3.03697567e-10f), q = VF::set1(5.43877832e-9f);
  for (float c : tail) p = VF::fma(p, t, VF::set1(c));
  for (float c : body) q = VF::fma(q, t, VF::set1(c));
  return VF::mul(y, VF::sel(VF::gt(VF::abs(t), VF::set1(6.125f)), p, q));
}

// Where SLEEF's functions stop short of the format's range: above `big`
// their results overflow or lose precision early, and the tails use
// exp(x - ln 2) with ln 2 split in two (x - ln2_hi is exact there) or
// log(x) + ln 2.
template <class VT> struct Range;
template <> struct Range<VF> {
  static constexpr float exp_big = 1e30f;  // float exp needs no tail
  static constexpr float hyp_big = 88.0f, log1p_big = 1e38f, asinh_big = 1e19f;
  static constexpr float ln2_hi = 6.9313812256e-01f, ln2_lo = 9.0580006145e-06f, ln2 = 0.693147181f;
};
template <> struct Range<VD> {
  static constexpr double exp_big = 709.0, hyp_big = 709.0, log1p_big = 1e307, asinh_big = 1e154;
  static constexpr double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10,
                          ln2 = 0.6931471805599453094;
};

// e^x / 2 for x above hyp_big (or e^x when `twice`), without overflowing early.
template <class VT> inline typename VT::V exp_tail(typename VT::V x, bool twice) {
  using R = Range<VT>;
  const typename VT::V e = Fns<VT>::unary[int(VFn::Exp)](VT::sub(x, VT::set1(R::ln2_hi)));
  typename VT::V r = VT::fma(e, VT::set1(-R::ln2_lo), e);
  r = VT::sel(VT::unord(r, r), e, r);  // e infinite: inf - inf
  return twice ? VT::add(r, r) : r;
}

template <class VT, int F> inline typename VT::V apply1(typename VT::V x) {
  using V = typename VT::V;
  using R = Range<VT>;
  auto fn = [](VFn f) { return Fns<VT>::unary[int(f)]; };
  if constexpr (F == int(VFn::Sigmoid)) {
    // e^-|x| never overflows: 1 / (1 + e) for x > 0, e / (1 + e) below.
    const V e = fn(VFn::Exp)(VT::neg(VT::abs(x)));
    const V d = VT::add(VT::set1(1), e);
    return VT::sel(VT::gt(x, VT::set1(0)), VT::div(VT::set1(1), d), VT::div(e, d));
  } else if constexpr (F == int(VFn::Erfinv)) {
    return erfinv_f32(x);
  } else if constexpr ((F == int(VFn::Erf) || F == int(VFn::Log)) && std::is_same_v<VT, VF>) {
    // float erf and log in double lanes, rounded once: the correctly rounded
    // value, as the C library's erff and logf give and MLX uses, so random
    // draws built on them (truncated normal, gumbel) match MLX bit for bit.
    auto fd = Fns<VD>::unary[F];
    return VF::from_pd(fd(VF::lo_pd(x)), fd(VF::hi_pd(x)));
  } else if constexpr (F == int(VFn::Exp)) {
    const V r = fn(VFn::Exp)(x);
    const auto big = VT::gt(x, VT::set1(R::exp_big));
    return VT::any(big) ? VT::sel(big, exp_tail<VT>(x, true), r) : r;
  } else if constexpr (F == int(VFn::Sinh) || F == int(VFn::Cosh)) {
    const V r = fn(VFn(F))(x);
    const auto big = VT::gt(VT::abs(x), VT::set1(R::hyp_big));
    if (!VT::any(big)) return r;
    const V t = exp_tail<VT>(VT::abs(x), false);
    return VT::sel(big, F == int(VFn::Sinh) ? VT::copysign(t, x) : t, r);
  } else if constexpr (F == int(VFn::Log1p) || F == int(VFn::Arccosh)) {
    const V r = fn(VFn(F))(x);
    const auto big = VT::gt(x, VT::set1(F == int(VFn::Log1p) ? R::log1p_big : R::asinh_big));
    if (!VT::any(big)) return r;
    const V l = fn(VFn::Log)(x);
    return VT::sel(big, F == int(VFn::Log1p) ? l : VT::add(l, VT::set1(R::ln2)), r);
  } else if constexpr (F == int(VFn::Arcsinh)) {
    const V r = fn(VFn::Arcsinh)(x);
    const auto big = VT::gt(VT::abs(x), VT::set1(R::asinh_big));
    if (!VT::any(big)) return r;
    return VT::sel(big, VT::copysign(VT::add(fn(VFn::Log)(VT::abs(x)), VT::set1(R::ln2)), x), r);
  } else {
    return Fns<VT>::unary[F](x);
  }
}

template <class VT, int F> inline typename VT::V apply2(typename VT::V x, typename VT::V y) {
  using V = typename VT::V;
  if constexpr (F == int(VFn2::LogAddExp)) {
    // max + log1p(e^-|x - y|); equal arguments (also equal infinities) add
    // log 2, -inf with -inf stays -inf, and a NaN on either side gives NaN.
    // The rounding error of x - y (two-sum) goes back into e^-|x - y|.
    const V m = VT::max(x, y);
    const V s = VT::sub(x, y), bb = VT::sub(s, x);
    V err = VT::sub(VT::sub(x, VT::sub(s, bb)), VT::add(y, bb));
    err = VT::sel(VT::unord(err, err), VT::set1(0), err);
    const V d = VT::sel(VT::eq(x, y), VT::set1(0), VT::abs(s));
    V e = Fns<VT>::unary[int(VFn::Exp)](VT::neg(d));
    e = VT::fma(e, VT::neg(VT::xor_sign(err, s)), e);  // |x - y| = |s| + sign(s) err
    V r = VT::add(m, Fns<VT>::unary[int(VFn::Log1p)](e));
    r = VT::sel(VT::eq(m, VT::set1(-__builtin_inf())), m, r);
    return VT::sel(VT::unord(x, y), VT::add(x, y), r);
  } else {
    return Fns<VT>::binary[F](x, y);
  }
}

// Whole vectors in place; the tail goes through a padded copy.
template <class VT, class S, int F>
void unary_kernel(const void* const* in, const bool*, void* out, int64_t n, const EwParams&) {
  constexpr int W = VT::W;
  const S* a = static_cast<const S*>(in[0]);
  S* o = static_cast<S*>(out);
  int64_t i = 0;
  for (; i + W <= n; i += W) Io<VT, S>::st(o + i, apply1<VT, F>(Io<VT, S>::ld(a + i)));
  if (i < n) {
    S ti[W] = {}, to[W];
    for (int64_t k = 0; k < n - i; k++) ti[k] = a[i + k];
    Io<VT, S>::st(to, apply1<VT, F>(Io<VT, S>::ld(ti)));
    for (int64_t k = 0; k < n - i; k++) o[i + k] = to[k];
  }
}

template <class VT, class S, int F>
void binary_kernel(const void* const* in, const bool* scalar, void* out, int64_t n, const EwParams&) {
  using V = typename VT::V;
  constexpr int W = VT::W;
  const S* a = static_cast<const S*>(in[0]);
  const S* b = static_cast<const S*>(in[1]);
  S* o = static_cast<S*>(out);
  const bool sa = scalar[0], sb = scalar[1];
  S pa[W], pb[W];
  for (int k = 0; k < W; k++) pa[k] = a[0], pb[k] = b[0];
  const V va = Io<VT, S>::ld(pa), vb = Io<VT, S>::ld(pb);
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    const V x = sa ? va : Io<VT, S>::ld(a + i), y = sb ? vb : Io<VT, S>::ld(b + i);
    Io<VT, S>::st(o + i, apply2<VT, F>(x, y));
  }
  if (i < n) {
    S tx[W] = {}, ty[W] = {}, to[W];
    for (int64_t k = 0; k < n - i; k++) tx[k] = a[sa ? 0 : i + k], ty[k] = b[sb ? 0 : i + k];
    Io<VT, S>::st(to, apply2<VT, F>(Io<VT, S>::ld(tx), Io<VT, S>::ld(ty)));
    for (int64_t k = 0; k < n - i; k++) o[i + k] = to[k];
  }
}

// Row passes: two accumulators per pass keep the adds from serializing.
template <class VT, class T> T row_max(const T* x, int64_t n) {
  constexpr int W = VT::W;
  typename VT::V m0 = VT::set1(-__builtin_inf()), m1 = m0;
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    m0 = VT::max(VT::load(x + i), m0);  // max(NaN, m) is m: NaNs are skipped
    m1 = VT::max(VT::load(x + i + W), m1);
  }
  T r = VT::hmax(VT::max(m0, m1));
  for (; i < n; i++) r = x[i] > r ? x[i] : r;
  return r;
}

// e^(x - m) with the rounding error of x - m (two-sum) put back: a plain
// exp(x - m) loses |x - m| ulps for the rows' small values.
template <class VT> inline typename VT::V exp_diff(typename VT::V x, typename VT::V m) {
  using V = typename VT::V;
  const V nm = VT::neg(m), s = VT::add(x, nm), bb = VT::sub(s, x);
  V err = VT::add(VT::sub(x, VT::sub(s, bb)), VT::sub(nm, bb));
  err = VT::sel(VT::unord(err, err), VT::set1(0), err);  // infinite x: nothing to put back
  const V e = Fns<VT>::unary[int(VFn::Exp)](s);
  return VT::fma(e, err, e);
}

template <class VT, class T> T row_exp_sum(const T* x, T m, T* o, int64_t n) {
  using V = typename VT::V;
  constexpr int W = VT::W;
  const V vm = VT::set1(m);
  // Compensated (Kahan) sums: 4096 terms in a few lanes would lose ulps.
  V s0 = VT::set1(0), s1 = s0, c0 = s0, c1 = s0;
  auto add = [](V& s, V& c, V e) {
    const V y = VT::sub(e, c), t = VT::add(s, y);
    c = VT::sub(VT::sub(t, s), y);
    c = VT::sel(VT::unord(c, c), VT::set1(0), c);  // an infinite term: the sum is inf or NaN anyway
    s = t;
  };
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const V e0 = exp_diff<VT>(VT::load(x + i), vm), e1 = exp_diff<VT>(VT::load(x + i + W), vm);
    if (o) VT::store(o + i, e0), VT::store(o + i + W, e1);
    add(s0, c0, e0);
    add(s1, c1, e1);
  }
  for (; i < n; i += W) {
    T t[W], e[W];
    const int64_t len = n - i < W ? n - i : W;
    for (int k = 0; k < W; k++) t[k] = k < len ? x[i + k] : T(-__builtin_inf());
    VT::store(e, exp_diff<VT>(VT::load(t), vm));
    for (int64_t k = 0; k < len; k++)
      if (o) o[i + k] = e[k];
    add(s0, c0, VT::load(e));
  }
  add(s0, c0, VT::neg(c1));
  add(s0, c0, s1);
  return VT::hsum(s0) - VT::hsum(c0);
}

template <class VT, class T> void row_scale(T* o, T s, int64_t n) {
  constexpr int W = VT::W;
  const typename VT::V vs = VT::set1(s);
  int64_t i = 0;
  for (; i + W <= n; i += W) VT::store(o + i, VT::mul(VT::load(o + i), vs));
  for (; i < n; i++) o[i] *= s;
}

template <class VT, class S, int F> void fill_unary(VecTable& t, int slot) {
  t.unary[F][slot] = &unary_kernel<VT, S, F>;
}
template <class VT, class S, int F> void fill_binary(VecTable& t, int slot) {
  t.binary[F][slot] = &binary_kernel<VT, S, F>;
}
// erfinv in float64 keeps its scalar Newton refinement.
template <int F> void fill_unary_f64(VecTable& t) {
  if constexpr (F != int(VFn::Erfinv)) fill_unary<VD, double, F>(t, 3);
}
template <int... F> void fill_all_unary(VecTable& t, std::integer_sequence<int, F...>) {
  (fill_unary<VF, f16, F>(t, 0), ...);
  (fill_unary<VF, bf16, F>(t, 1), ...);
  (fill_unary<VF, float, F>(t, 2), ...);
  (fill_unary_f64<F>(t), ...);
}
template <int... F> void fill_all_binary(VecTable& t, std::integer_sequence<int, F...>) {
  (fill_binary<VF, f16, F>(t, 0), ...);
  (fill_binary<VF, bf16, F>(t, 1), ...);
  (fill_binary<VF, float, F>(t, 2), ...);
  (fill_binary<VD, double, F>(t, 3), ...);
}

// Resolves every SLEEF function this table calls; null when one is missing.
const VecTable* make_table(SymFn sym, const char* name, const char* fsuffix, const char* dsuffix) {
  static const char* const unary_names[] = {
#define MLXC_VEC_NAME(e, s) s,
      MLXC_VEC_UNARY(MLXC_VEC_NAME)};
  static const char* const binary_names[] = {MLXC_VEC_BINARY(MLXC_VEC_NAME)};
#undef MLXC_VEC_NAME
  auto resolve = [&](const char* base, const char* suffix) -> void* {
    char full[64] = "Sleef_";
    int k = 6;
    for (const char* p = base; *p && k < 40; p++) full[k++] = *p;
    for (const char* p = suffix; *p && k < 63; p++) full[k++] = *p;
    full[k] = 0;
    return sym(full);
  };
  for (int f = 0; f < int(VFn::kCount); f++) {
    if (!unary_names[f]) continue;
    void* pf = resolve(unary_names[f], fsuffix);
    void* pd = resolve(unary_names[f], dsuffix);
    if (!pf || !pd) return nullptr;
    Fns<VF>::unary[f] = reinterpret_cast<VF::V (*)(VF::V)>(pf);
    Fns<VD>::unary[f] = reinterpret_cast<VD::V (*)(VD::V)>(pd);
  }
  for (int f = 0; f < int(VFn2::kCount); f++) {
    if (!binary_names[f]) continue;
    void* pf = resolve(binary_names[f], fsuffix);
    void* pd = resolve(binary_names[f], dsuffix);
    if (!pf || !pd) return nullptr;
    Fns<VF>::binary[f] = reinterpret_cast<VF::V (*)(VF::V, VF::V)>(pf);
    Fns<VD>::binary[f] = reinterpret_cast<VD::V (*)(VD::V, VD::V)>(pd);
  }
  static VecTable t{};
  t.name = name;
  fill_all_unary(t, std::make_integer_sequence<int, int(VFn::kCount)>{});
  fill_all_binary(t, std::make_integer_sequence<int, int(VFn2::kCount)>{});
  t.rows_f32 = {&row_max<VF, float>, &row_exp_sum<VF, float>, &row_scale<VF, float>};
  t.rows_f64 = {&row_max<VD, double>, &row_exp_sum<VD, double>, &row_scale<VD, double>};
  return &t;
}

}  // namespace
