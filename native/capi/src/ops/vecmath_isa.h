// The vector kernels, written once over a vector type and included by each
// instruction set's translation unit inside its own namespace, after it
// defines VF (float lanes, with half loads and stores) and VD (double
// lanes). Everything here has internal linkage or lives in that namespace,
// so no out-of-line copy compiled for one instruction set can be picked by
// the linker for code of another. Kept free of standard-library calls for
// the same reason.

namespace {

// Every helper inlined into its kernel: out of line, a call reloads its
// constants (GCC left estrin and pow_f32 out of line).
#define VM_INLINE __attribute__((always_inline)) inline
// GCC's first instruction scheduling pass under register pressure, for the
// kernels that measure faster with it (unary_kernel_sched); other
// compilers (clang in the fuzz builds) take their own schedule.
#if defined(__GNUC__) && !defined(__clang__)
#define VM_SCHEDULED __attribute__((optimize("schedule-insns", "sched-pressure", "rename-registers")))
#else
#define VM_SCHEDULED
#endif

// SLEEF entry points, resolved once by make_table.
template <class VT> struct Fns {
  static inline typename VT::V (*unary[int(VFn::kCount)])(typename VT::V);
  static inline typename VT::V (*binary[int(VFn2::kCount)])(typename VT::V, typename VT::V);
};

// Storage of one dtype in the lanes of VT; st<true> stores non-temporally
// (the address on a whole vector's bytes).
template <class VT, class S> struct Io {
  using V = typename VT::V;
  static V ld(const S* p) { return VT::load(p); }
  template <bool NT = false> static void st(S* p, V v) {
    if constexpr (NT) VT::stream(p, v);
    else VT::store(p, v);
  }
};
template <> struct Io<VF, f16> {
  static VF::V ld(const f16* p) { return VF::load_f16(reinterpret_cast<const uint16_t*>(p)); }
  template <bool NT = false> static void st(f16* p, VF::V v) { VF::store_f16(reinterpret_cast<uint16_t*>(p), v, NT); }
};
template <> struct Io<VF, bf16> {
  static VF::V ld(const bf16* p) { return VF::load_bf16(reinterpret_cast<const uint16_t*>(p)); }
  template <bool NT = false> static void st(bf16* p, VF::V v) { VF::store_bf16(reinterpret_cast<uint16_t*>(p), v, NT); }
};
// A store whose kind is decided once a call (see kStreamStores).
template <class VT, class S> VM_INLINE void store_nt_if(S* p, typename VT::V v, bool nt) {
  if (nt) Io<VT, S>::template st<true>(p, v);
  else Io<VT, S>::st(p, v);
}

// ---- double-lane cores for float results (pow on AVX-512) -----------------
// Accurate to 2^-34 relative or better, so the float result they round to
// is the correctly rounded one except within about 2^-10 ulp of a tie;
// cheaper than SLEEF's double functions, which aim at double precision.

const LogTable* g_log = nullptr;  // set by make_table

constexpr double kLog2e = 1.4426950408889634074;

// c[0] x^(N-1) + ... + c[N-1] by Horner's rule in the lanes of Ops (VF or VD).
template <class Ops, class T, size_t N>
VM_INLINE typename Ops::V horner(typename Ops::V x, const T (&c)[N]) {
  typename Ops::V p = Ops::set1(c[0]);
  for (size_t i = 1; i < N; i++) p = Ops::fma(p, x, Ops::set1(c[i]));
  return p;
}

// The same polynomial as two Horner chains in x2 = x^2, the coefficients
// of even and of odd powers, joined by one more fused multiply-add: half the
// dependency chain for the multiply of x2 (often at hand), where a
// kernel's chains bind more than its units' throughput. Not where the two
// halves cancel (alternating series near x = 1: logaddexp's log1p and
// arctan2's series lost 0.2-1.4 ulp).
template <class Ops, class T, size_t N>
VM_INLINE typename Ops::V horner2(typename Ops::V x, typename Ops::V x2, const T (&c)[N]) {
  static_assert(N >= 2);
  typename Ops::V a = Ops::set1(c[0]), b = Ops::set1(c[1]);
  for (size_t i = 2; i < N; i += 2) a = Ops::fma(a, x2, Ops::set1(c[i]));
  for (size_t i = 3; i < N; i += 2) b = Ops::fma(b, x2, Ops::set1(c[i]));
  // a ends on the constant term when N is odd, on the linear one when even
  return N % 2 ? Ops::fma(b, x, a) : Ops::fma(a, x, b);
}

// log1p(r) - r = r^2 q(r) on [-1/32, 1/16], highest coefficient first: a
// least-squares fit on Chebyshev nodes weighted to log1p's relative error
// (made for this library) of degree 5, 2^-39.6, for pow, whose exponent y
// log2 x multiplies the error by up to 150.
constexpr double kLogQ5[] = {0.13001428707485546, -0.1664984461741186, 0.20001808440395313, -0.25000038529579516,
                             0.3333333272118205,  -0.499999999891511};

// log2 x of a positive normal double (pow's, on AVX-512): x = 2^k m with
// m in interval i (LogTable), r = m invc_i - 1 (exact but for one rounding,
// -1/32 <= r < 1/16), log2 x = k + log2c_i + log1p(r) log2 e. Next to 1, k
// + log2c_i is exactly 0: the result keeps log1p's relative precision.
enum class Base { E, Two, Ten };
VM_INLINE VD::V log2_core(VD::V x) {
  const VD::V k = VD::exponent(x), m = VD::mantissa(x);
  const VD::V r = VD::fma(m, VD::lookup16(g_log->invc, m, 48), VD::set1(-1.0));
  const VD::V u = VD::fma(VD::mul(r, r), horner<VD>(r, kLogQ5), r);
  return VD::fma(u, VD::set1(kLog2e), VD::add(k, VD::lookup16(g_log->log2c, m, 48)));
}

// log's values where x is not a positive finite number: -inf at 0, NaN
// below 0 and at NaN, inf at inf.
VM_INLINE VD::V log_special(VD::V x, VD::V r) {
  r = VD::sel(VD::eq(x, VD::set1(0.0)), VD::set1(-__builtin_inf()), r);
  r = VD::sel(VD::gt(VD::set1(0.0), x), VD::set1(__builtin_nan("")), r);
  return VD::sel(VD::unord(x, x), x, VD::sel(VD::eq(x, VD::set1(__builtin_inf())), x, r));
}

// 2^f - 1 = f P(f) for |f| <= 1/32, highest coefficient first: a
// least-squares fit on Chebyshev nodes weighted to the relative error,
// reweighted toward the minimax (made for this library), 2^-32 relative.
constexpr double kExp2TabP[] = {0.009618152113183441, 0.05550541077089871, 0.240226507034056, 0.6931471804009994};

// 2^t as s (1 + q) for |t| <= 1000 (pow's, on AVX-512): n = round(16 t)
// comes with the rounding of that product plus 1.5 2^52 (n in its low
// bits), f = t - n/16 (exact), s = 2^(n/16) the table's 2^(j/16) for j = n
// mod 16 with n's bits shifted into the exponent (LogTable), q = f P(f). A
// NaN stays NaN in q.
VM_INLINE void exp2_tab(VD::V t, VD::V& s, VD::V& q) {
  const VD::V shift = VD::set1(0x1.8p52), kd = VD::fma(t, VD::set1(16.0), shift);
  const VD::V f = VD::fma(VD::sub(kd, shift), VD::set1(-1.0 / 16), t);
  s = VD::add_shl48(VD::lookup16(g_log->exp2, kd, 0), kd);
  q = VD::mul(f, horner<VD>(f, kExp2TabP));
}

// g over the float lanes widened to double, rounded once on the way back.
template <class G> VM_INLINE VF::V via_pd(VF::V x, G g) { return VF::from_pd(g(VF::lo_pd(x)), g(VF::hi_pd(x))); }
template <class G> VM_INLINE VF::V via_pd(VF::V x, VF::V y, G g) {
  return VF::from_pd(g(VF::lo_pd(x), VF::lo_pd(y)), g(VF::hi_pd(x), VF::hi_pd(y)));
}

// AVX2's log_sum and base-e log_ff: 8 intervals, one permute a table and
// no blend. wh = 2^k m with m in [0.7071, 1.4142) (VF::split_off: wh's
// bits less kLogTab8Off, whose bits 20-22 are m's interval; the interval
// [0.957, 1.039) takes invc = 1); invc_i has five bits and |r| < 0.0623
// (below 1/16: exact in the fma, and P's range); |hi_i| >= |r| in every
// interval but the one of 1, where hi_i = 0. In-process A/B (1M float32 in
// cache, 1 thread), against the 16 intervals (two permutes and a blend a
// table): log1p 0.78-0.82x, arcsinh 0.83-0.84x, arccosh 0.79-0.83x,
// arctanh 0.85x, erfinv 0.79x the time.
struct LogTab8 {
  float invc[8], hi[8], lo[8];
};
constexpr uint32_t kLogTab8Off = 0x3f350000;  // 0.70703125
alignas(64) constexpr LogTab8 kLogTab8 = {
    {1.375f, 1.25f, 1.1875f, 1.0625f, 1.0f, 0.90625f, 0.8125f, 0.75f},
    {-0.318450928f, -0.223144531f, -0.171844482f, -0.0606231689f, 0.0f, 0.0984344482f, 0.207641602f, 0.287689209f},
    {-2.80338418e-06f, 9.79935749e-07f, -5.77450464e-06f, -1.45287117e-06f, 0.0f, 5.62457126e-06f, -2.23678421e-06f,
     -7.13653253e-06f}};
// AVX-512's 16 intervals: m in [0.75, 1.5), i m's top four mantissa bits,
// invc_i of five bits (1 for the two intervals next to 1, |r| < 1/16).
struct LogTab {
  float invc[16], hi[16], lo[16];
};
alignas(64) constexpr LogTab kLogTab = {
    {1.0f, 0.90625f, 0.875f, 0.8125f, 0.78125f, 0.75f, 0.71875f, 0.6875f, 1.3125f, 1.25f, 1.1875f, 1.1875f, 1.125f,
     1.0625f, 1.0625f, 1.0f},
    {0.0f, 0.0984344482f, 0.133529663f, 0.207641602f, 0.246856689f, 0.287689209f, 0.330245972f, 0.374694824f,
     -0.27192688f, -0.223144531f, -0.171844482f, -0.171844482f, -0.117782593f, -0.0606231689f, -0.0606231689f, 0.0f},
    {0.0f, 5.62457126e-06f, 1.72953855e-06f, -2.23678421e-06f, 3.38847849e-06f, -7.13653253e-06f, -4.28480917e-06f,
     -1.3747773e-06f, -6.83560074e-06f, 9.79935749e-07f, -5.77450464e-06f, -5.77450464e-06f, -4.42882936e-07f,
     -1.45287117e-06f, -1.45287117e-06f, 0.0f}};
// log1p(r) - r = r^2 P(r) on kLogTab's |r| < 1/16, P's coefficients from
// the highest: 2^-27 relative to log1p(r) (log_sum's and log_late's).
constexpr float kLogP16[] = {-0.158323988f, 0.200216949f, -0.250013053f, 0.333333254f, -0.5f};
// 4 intervals of m, each table 4 values held twice, looked up by one in-lane
// permute (vpermilps, bits 21-22 of the split's bits: one slot of the
// multiply-add pipes, where kLogTab8's lane-crossing vpermps takes two and 8
// cycles' latency). invc 1.375, 1.125, 1, 0.8125 (three and four bits: r =
// m invc - 1 exact in one fma); erfinv's log splits at kLogTab4Off, AVX2's
// log_sum at kLogSumOff (below).
struct LogTab4 {
  float invc[8], hi[8], lo[8];
};
constexpr uint32_t kLogTab4Off = 0x3f2aa000;  // 0.666504
alignas(64) constexpr LogTab4 kLogTab4 = {
    {1.375f, 1.125f, 1.0f, 0.8125f, 1.375f, 1.125f, 1.0f, 0.8125f},
    {-0x1.4618p-2f, -0x1.e27p-4f, 0.0f, 0x1.a94p-3f, -0x1.4618p-2f, -0x1.e27p-4f, 0.0f, 0x1.a94p-3f},
    {-0x1.78438cp-19f, -0x1.db8abcp-22f, 0.0f, -0x1.2c3752p-19f, -0x1.78438cp-19f, -0x1.db8abcp-22f, 0.0f,
     -0x1.2c3752p-19f}};
// log_sum's split of the same table: m in [0.6875, 1.375), intervals
// [0.6875, 0.8125), [0.8125, 0.9375), [0.9375, 1.125) (invc = 1: the log
// keeps log1p's relative precision next to 1) and [1.125, 1.375); r in
// [-0.0859, 0.125). Where hi and r cancel (next to 0.9375 and 1.125), r^2 is
// at most 0.063 of the log (kLogTab4Off's split: 0.18, kLogTab8's 0.088), so
// P's and the tail's roundings weigh less than with either.
constexpr uint32_t kLogSumOff = 0x3f300000;  // 0.6875
// kLogTab8 halved, for log_sum's kHalf.
constexpr LogTab8 halved(const LogTab8& t) {
  LogTab8 h{};
  for (int i = 0; i < 8; i++) h.invc[i] = t.invc[i] / 2, h.hi[i] = t.hi[i] / 2, h.lo[i] = t.lo[i] / 2;
  return h;
}
alignas(64) constexpr LogTab8 kLogTab8Half = halved(kLogTab8);

// The front end of the float32 logs in float lanes (log_ff's base e,
// log_sum, log_late, erfinv_log) on table T: wh = 2^k m (AVX2: m in
// [kOff's float, twice it), VF::split_off; AVX-512's LogTab: split75), k
// plus kadd, r = m invc - c exact in one fma, hi = k ln2_hi c + ch exact
// (both on the grid of 2^-16 c), s + e = hi + r by a fast two-sum (hi is 0
// or larger than |r|); lo(x) = k ln2_lo c + x, x the table's tl and what
// the caller adds. kHalf: c = 1/2, on a halved table (log_sum's).
template <class O, bool kHalf = false> struct LogHead {
  using V = typename O::V;
  static constexpr float c = kHalf ? 0.5f : 1.0f;
  V k, r, hi, tl, s, e;
  VM_INLINE V lo(V x) const { return O::fma(k, O::set1(1.42860677e-06f * c), x); }
  // s + (e + (r^2 P(r) + lo(x))), P by Horner's rule (x = tl: nothing added)
  template <size_t N> VM_INLINE V horner_sum(const float (&p)[N], V x) const {
    return O::add(s, O::add(e, O::fma(O::mul(r, r), horner<O>(r, p), lo(x))));
  }
  template <size_t N> VM_INLINE V horner_sum(const float (&p)[N]) const { return horner_sum(p, tl); }
};
template <class O, uint32_t kOff = 0, bool kHalf = false, class T>
VM_INLINE LogHead<O, kHalf> log_head(typename O::V wh, const T& t, const typename O::V* kadd = nullptr) {
  using V = typename O::V;
  constexpr float c = LogHead<O, kHalf>::c;
  V k, m, ci, ch, tl;
  if constexpr (std::is_same_v<T, LogTab>) {
    m = O::split75(wh, k);
    ci = O::lookup16m(t.invc, m), ch = O::lookup16m(t.hi, m), tl = O::lookup16m(t.lo, m);
  } else if constexpr (std::is_same_v<T, LogTab4>) {
    const auto b = O::template split_off<kOff>(wh, k, m);
    ci = O::lookup_iv4(t.invc, b), ch = O::lookup_iv4(t.hi, b), tl = O::lookup_iv4(t.lo, b);
  } else {
    const auto b = O::template split_off<kOff>(wh, k, m);
    ci = O::lookup_iv(t.invc, b), ch = O::lookup_iv(t.hi, b), tl = O::lookup_iv(t.lo, b);
  }
  if (kadd) k = O::add(k, *kadd);
  const V r = O::fma(m, ci, O::set1(-c));
  const V hi = O::fma(k, O::set1(0.693145752f * c), ch);
  const V s = O::add(hi, r), e = O::add(O::sub(hi, s), r);
  // whole, from locals: fields filled one by one (k by reference to split_off) kept the struct in memory
  // through GCC's inlining choices, which then left erfinv's one-vector lambda out of line
  return {k, r, hi, tl, s, e};
}

// ---- AVX2: float32 log, log2 and log10 in float lanes ----------------------
// The double-lane logs were bound on Zen 3 by their lookups (4 gathers a
// vector of 8 floats; a 16-double lookup by permutes takes 4 lane-crossing
// permutes and 3 blends a vector of 4) and by the conversions between float
// and double lanes: conversions and lane-crossing permutes all go through
// one pipe there, one a cycle (measured). Here everything is in float lanes,
// with a float tail. Base e: log_head on kLogTab8 (m in [0.7071, 1.4142),
// one permute a table, |r| < 0.0623). log1p(r) = r - r^2/2 + r^3/3 + r^4
// q(r), q a fit made for this library (mpmath, least squares on Chebyshev
// nodes reweighted toward minimax, coefficients rounded to float one by
// one: 2^-35.9 relative to log1p on [-0.0584, 0.0623]), with r^2 an exact
// product (its fma residual r2e) and r - r^2/2 a fast two-sum sL + eL.
// Every other term is summed below r^3/3, which enters last in one fused
// multiply-add: r3 = r^3 rounded and r2e r/3 below it, so that the terms at
// r^3's scale round once. Then k ln2 + ln c (A, the head's hi, exact; B = k
// L_lo + lo, rounded) and log1p(r): A + sL by a fast two-sum (|A| > |sL| or
// A = 0 in every interval), the low parts in a tail, rounded once. Over
// every positive float against double, the float is the correctly rounded
// one but for 4027 inputs, each within 2^-9.25 ulp of a tie (log_core's
// 2^-34 leaves 2^-10; the farthest, at 0x1.0ba0c2p+0 in interval 5, where A
// and log1p(r) cancel, errs by 2^-32.8 relative or more). In interval 4 (m
// next to 1) k = 0, invc = 1 and A = B = 0: the result keeps log1p's
// relative precision. Session 25: on log_ff's own table (1/c of 24 bits at
// the intervals' centres, |r| < 0.0565) r took a rounded product and its
// residual pe, with pe (1 - r + r^2 - r^3) in the tail; the five-bit invc
// drop those five operations, for 0.85x the time (3583 inputs not correctly
// rounded, within 2^-9.89 ulp of a tie). Against 16 intervals (two permutes
// and a blend a table), in-cache time on Zen 3 0.8x (the blends share the
// pipes of the fused multiply-adds, which bind here).
// Bases 2 and 10: x = 2^k m with m in [kLogOff, 2 kLogOff) by subtracting
// kLogOff's bits (VF::split_off), m's interval i from the next three bits,
// and their own float tables of 8 looked up with one permute each
// (VF::lookup_iv). p = m (1/c) rounded and its fma residual pe give r = m
// (1/c) - 1 = rh + pe exactly (p - 1 is exact: p is within 0.06 of 1).
// Bases 2 and 10 (session 25, to 0.56 and 0.59 ulp where the float-float
// tail above gave 0.5002): log_b x = A + rh e_hi + (pe e_f (1 - rh) + rh
// G(rh) + k L_lo), e_f = log_b e rounded to float, G(r) = (log_b(1 + r) -
// r e_hi) / r of degree 5 with log_b e - e_hi as its constant term (fits
// made for this library: least squares on Chebyshev nodes, reweighted
// toward minimax; log_b(1 + r) to 2^-30 relative on |r| <= 0.0565 and
// 0.0585, coefficients rounded to float). Each base has its own 1/c, chosen
// near the interval's centre so that -log_b(1/c) lies within 2^-33 of the
// grid of 2^-16 (base 2) or 2^-18 (base 10): A = k L_hi + that, exact, and
// no low part to look up (|r| then reaches 0.0563 and 0.0583 where it was
// 0.0559; one permute and one add fewer: log2 0.97-0.98x, log10 0.91x the
// time). rh e_hi is exact: in base 10 e_hi = 7/16 (rh, a multiple of 2^-24
// below 0.059, has 20 bits at most; 0.97x the time of e_hi = e_f), in base
// 2 e_hi = e_f and its product's fma residual goes to the tail (e_hi = 3/2
// left 0.598 ulp for 0.98x). A + rh e_hi is a fast two-sum; the rest, at
// most about 2^-4.5 of the result, is a plain float tail (pe rh^2 left out:
// under 0.02 ulp). Every positive float against double: log2 max 0.5532
// ulp (at 0x1.0ebe7ep+0), log10 0.5851 (at 0x1.0e01acp+0, r = -0.058 where A
// and rh e_hi cancel); 0.67x the time of the float-float form in base 2
// (with four vectors a step), 0.62x in base 10.
// The templates take the float operations (AVX2's VF) as a parameter, so
// that nothing here is compiled for another instruction set.

// Every lane takes log_ff alone: x positive normal and finite.
template <class O> VM_INLINE bool log_ff_ordinary(typename O::V x) { return O::all(O::positive_normal(x)); }

// log_b x as above; kadd is added to k (a subnormal's scaling).
template <Base B, class O> VM_INLINE typename O::V log_ff(typename O::V x, const typename O::V* kadd = nullptr) {
  using V = typename O::V;
  const V one = O::set1(1.0f);
  if constexpr (B == Base::E) {
    static constexpr float q[] = {0x1.236592p-3f, -0x1.5698cp-3f, 0x1.999adp-3f, -0x1.ffffa6p-3f};
    const V third = O::set1(1.0f / 3);
    const auto h = log_head<O, kLogTab8Off>(x, kLogTab8, kadd);
    const V r = h.r, r2 = O::mul(r, r), r2e = O::fma(r, r, O::neg(r2));
    const V hh = O::mul(r2, O::set1(-0.5f));
    const V sL = O::add(r, hh), eL = O::add(O::sub(r, sL), hh);
    const V r3 = O::mul(r2, r), r4 = O::mul(r2, r2);
    // q by one Horner chain: with the scheduling of unary_kernel_sched, 0.97-0.98x the time of two chains
    const V u = O::fma(r4, horner<O>(r, q), O::fma(r2e, O::fma(r, third, O::set1(-0.5f)), eL));
    const V s = O::add(h.hi, sL), e = O::sub(sL, O::sub(s, h.hi));
    return O::add(s, O::fma(r3, third, O::add(u, O::add(e, h.lo(h.tl)))));
  }
  V k, m;
  const auto t = O::split_off(x, k, m);
  if (kadd) k = O::add(k, *kadd);
  // bases 2 and 10: their own 1/c (within 0.0063 and 0.0042 of the centre's 1/c) where -log_b(1/c) is
  // within 2^-33.2 of the grid of 2^-16 and 2^-34.2 of that of 2^-18 (searched in double, checked in
  // mpmath), and that grid value
  static constexpr float kInvc2[] = {0x1.574cb6p+0f, 0x1.3d0852p+0f, 0x1.256ab6p+0f, 0x1.1252acp+0f,
                                     1.0f,           0x1.ca70d4p-1f, 0x1.9b7d02p-1f, 0x1.7694b2p-1f};
  static constexpr float kLog2c[] = {-0x1.b17cp-2f, -0x1.3be4p-2f, -0x1.931p-3f, -0x1.988p-4f,
                                     0.0f,          0x1.4678p-3f,  0x1.42dcp-2f, 0x1.cdbp-2f};
  static constexpr float kInvc10[] = {0x1.56f7eap+0f, 0x1.3ccd64p+0f, 0x1.25b81ep+0f, 0x1.122bbep+0f,
                                      1.0f,           0x1.c928e6p-1f, 0x1.9c5a22p-1f, 0x1.76e43p-1f};
  static constexpr float kLog10c[] = {-0x1.042p-3f, -0x1.7b14p-4f, -0x1.e9p-5f,   -0x1.e7fp-6f,
                                      0.0f,         0x1.931p-5f,   0x1.8108p-4f,  0x1.153ap-3f};
  const V ic = O::lookup_iv(B == Base::Two ? kInvc2 : kInvc10, t);
  const V ch = O::lookup_iv(B == Base::Two ? kLog2c : kLog10c, t);
  const V p = O::mul(m, ic);
  const V pe = O::fma(m, ic, O::neg(p)), rh = O::sub(p, one);
  static constexpr float g[] = {B == Base::Two ? -0x1.eeb896p-3f : -0x1.294626p-4f,
                                B == Base::Two ? 0x1.286794p-2f : 0x1.651b8p-4f,
                                B == Base::Two ? -0x1.7153f2p-2f : -0x1.bcb7aep-4f,
                                B == Base::Two ? 0x1.ec706p-2f : 0x1.287a3cp-3f,
                                B == Base::Two ? -0x1.715476p-1f : -0x1.bcb7b2p-3f,
                                B == Base::Two ? 0x1.4ae0cp-26f : -0x1.a42756p-9f};
  // log_b e as a float; e_hi: in base 10 7/16, so that rh e_hi is exact (rh has 20 bits at most)
  const V ef = O::set1(B == Base::Two ? 0x1.715476p+0f : 0x1.bcb7b2p-2f), eh = B == Base::Two ? ef : O::set1(0.4375f);
  const V a = B == Base::Two ? O::add(k, ch) : O::fma(k, O::set1(0x1.344p-2f), ch);
  const V ph = O::mul(rh, eh), s = O::add(a, ph);
  V e = O::sub(ph, O::sub(s, a));
  if constexpr (B == Base::Two) e = O::add(O::fma(rh, eh, O::neg(ph)), e);
  else e = O::fma(k, O::set1(0x1.3509f8p-18f), e);
  const V t1 = O::fma(pe, O::fma(rh, O::neg(ef), ef), e);
  return O::add(s, O::fma(rh, horner<O>(rh, g), t1));
}

// log, log2 and log10 of float lanes by log_ff, special values put in.
template <int F, class O> VM_INLINE typename O::V log_ff_f32(typename O::V x) {
  using V = typename O::V;
  constexpr Base B = F == int(VFn::Log2) ? Base::Two : F == int(VFn::Log10) ? Base::Ten : Base::E;
  if (log_ff_ordinary<O>(x)) return log_ff<B, O>(x);
  const V one = O::set1(1.0f), zero = O::set1(0.0f), inf = O::set1(__builtin_inff());
  const auto ok = O::mand(O::gt(x, O::set1(0x1.fffffcp-127f)), O::gt(inf, x));
  const auto sub = O::mand(O::gt(x, zero), O::gt(O::set1(0x1p-126f), x));
  const V kadd = O::sel(sub, O::set1(-24.0f), zero);
  V r = log_ff<B, O>(O::sel(ok, x, O::sel(sub, O::mul(x, O::set1(0x1p24f)), one)), &kadd);
  r = O::sel(O::eq(x, zero), O::neg(inf), O::sel(O::gt(zero, x), O::set1(__builtin_nanf("")), r));
  return O::sel(O::unord(x, x), x, O::sel(O::eq(x, inf), inf, r));
}

// The reduction of e^(t + lo) in float lanes, for |t| <= 104 and |lo| <=
// ulp(t): n = round(t log2 e), h = t - n ln2_hi (exact in the fused
// multiply-add: both terms lie on the grid of 2^-25 and differ by less than
// 1/2), l = lo - n ln2_lo; e^(t + lo) = 2^n e^(h + l). e^r - 1 = r + r^2
// P(r) for |r| <= ln2/2, P of degree 4 fitted as kExpTabP is (2^-26.3
// relative with its coefficients rounded to float; the series to r^7 it
// replaced, 2^-27, took one more fused multiply-add). Inline, these cost
// less than a call of SLEEF's exp.
constexpr float kExpP[] = {0.0013728563f, 0.008363297f, 0.04166891f, 0.16666572f, 0.49999994f};
VM_INLINE void exp_reduce(VF::V t, VF::V lo, VF::V& n, VF::V& h, VF::V& l) {
  const VF::V shift = VF::set1(0x1.8p23f);  // rounds to a whole number: fewer operations than round()
  n = VF::sub(VF::fma(t, VF::set1(1.44269504f), shift), shift);
  h = VF::fma(n, VF::set1(-0.693147182f), t);
  l = VF::fma(n, VF::set1(1.90465430e-09f), lo);
}

// exp_reduce's n, h and l in the lanes of O (VF or VF::Pair) for no lo, l
// = -n ln2_lo by a product (where lo's fused multiply-add would put a cycle
// more on the chain through r), and kn = n + 1.5 2^23, whose bits hold n
// for O::scale_bits.
template <class O> struct ExpSplit {
  typename O::V kn, n, h, l;
};
template <class O> VM_INLINE ExpSplit<O> exp_split(typename O::V t) {
  using V = typename O::V;
  const V shift = O::set1(0x1.8p23f), kn = O::fma(t, O::set1(1.44269504f), shift), n = O::sub(kn, shift);
  return {kn, n, O::fma(n, O::set1(-0.693147182f), t), O::mul(n, O::set1(1.90465430e-09f))};
}

// e^(lo - d) for d >= 0 and |lo| <= ulp(d) (d = inf gives 0, NaN stays NaN),
// from r = h + l rounded (cheaper than exp_parts; about 0.1 ulp less exact).
VM_INLINE VF::V exp_neg(VF::V d, VF::V lo) {
  const VF::V big = VF::set1(104.0f);  // e^-104 rounds to 0
  VF::V n, h, l;
  exp_reduce(VF::neg(VF::min(big, d)), VF::sel(VF::gt(d, big), VF::set1(0.0f), lo), n, h, l);  // d's NaN wins the min
  const VF::V r = VF::add(h, l);
  const VF::V r2 = VF::mul(r, r);
  return VF::scale(VF::add(VF::set1(1.0f), VF::fma(r2, horner2<VF>(r, r2, kExpP), r)), n);
}

// e^(t + lo) as exp_neg computes e^(lo - d), for |t| < 86 in every lane
// (AVX2 only: O is its VF): the result is a normal float there (2^-125 at
// least), so 2^n goes into its exponent bits by an integer add of n taken
// from the rounding shift's bits (O::scale_bits), where VF::scale takes
// seven integer operations and two multiplies, and t needs no clamp. The
// same bits as exp_neg where both apply. softmax's row pass (Zen 3, a row
// of 4096 in L1, one core): 1.07 -> 0.72 ns an element with the sum below.
template <class O> VM_INLINE typename O::V exp_mid(typename O::V t, typename O::V lo) {
  using V = typename O::V;
  const V shift = O::set1(0x1.8p23f), kn = O::fma(t, O::set1(1.44269504f), shift), n = O::sub(kn, shift);
  const V h = O::fma(n, O::set1(-0.693147182f), t), l = O::fma(n, O::set1(1.90465430e-09f), lo);
  const V r = O::add(h, l), r2 = O::mul(r, r);
  return O::scale_bits(O::add(O::set1(1.0f), O::fma(r2, horner2<O>(r, r2, kExpP), r)), kn);
}

// x - m = s + err exactly (a two-sum).
template <class O> VM_INLINE void two_diff(typename O::V x, typename O::V nm, typename O::V& s, typename O::V& err) {
  s = O::add(x, nm);
  const typename O::V bb = O::sub(s, x);
  err = O::add(O::sub(x, O::sub(s, bb)), O::sub(nm, bb));
}

// e^x in float lanes, by exp_reduce and exp_neg's polynomial, for x
// clamped to [-104, 89] (0 and inf beyond; a NaN passes through the clamp):
// e^(h + l) = (1 + h) + (l + r^2 P(r)), r = h + l rounded, 1 + h as a fast
// two-sum, rounded once before the exact scaling (exp_neg's 1 + (r + r^2
// P) reached 0.99 ulp). AVX2 takes it: SLEEF's is a call a vector there
// (1.3 against 0.9 ns an element in cache).
VM_INLINE VF::V exp_f32(VF::V x) {
  VF::V n, h, l;
  exp_reduce(VF::min(VF::set1(89.0f), VF::max(VF::set1(-104.0f), x)), VF::set1(0.0f), n, h, l);
  const VF::V r = VF::add(h, l), r2 = VF::mul(r, r), one = VF::set1(1.0f);
  const VF::V t = VF::fma(r2, horner2<VF>(r, r2, kExpP), l);
  const VF::V s = VF::add(one, h), se = VF::add(VF::sub(one, s), h);
  return VF::scale(VF::add(s, VF::add(se, t)), n);
}

// expm1 in float lanes (the double-lane form spent its time converting and
// looking up on AVX2, and took the same time on AVX-512): x clamped to
// [-20, 89] (-1 and inf in float beyond; a NaN passes through the clamp),
// reduced as exp_f32: e^x - 1 =
// 2^n (h - d + l + z^2/2 + z^3 Q(z)) for z = h + l = r + rl (r rounded, rl
// exact), with d + dl = 2^-n - 1 exactly (a two-sum; d alone is exact for
// |n| <= 24). h - d is a fast two-sum (|d| >= 1/2 > |h| unless d = 0), and
// so is its sum with r^2/2 (|h - d| >= 0.15 > r^2/2 unless d = 0, where h
// - d = h); the residuals, r^2's (fma), dl, l, rl r and r^3 Q(r) make the
// tail, rounded once with the rest before the exact scaling. Where n = 1
// the sum is about 0.2 and z^2 P(z) a quarter of it: in float arithmetic
// as exp_f32's r^2 P(r) it left 1.05 ulp; r^2/2 in the tail (its fma last,
// no second two-sum) left 0.69 ulp for no time saved (session 25). Q: e^r -
// 1 - r - r^2/2 = r^3 Q(r), a fit relative to e^r - 1 made for this
// library (2^-31 on |r| <= ln2/2 with its coefficients rounded one by one;
// kExpP, fitted relative to e^r, left 1.34 ulp). Next to 0 (n = 0, d = 0)
// the result is x plus the tail: it keeps its relative precision. e^x - 1
// has x's sign: the copysign keeps -0. With `mid` (every lane below 87, so
// that n <= 126 and the result is normal), 2^-n and the scaling by 2^n come
// from the rounding shift's bits (O::pow2neg's and VF::scale_bits' integer
// operations alone, where VF::scale takes seven and two multiplies): the
// same bits; and no upper clamp, x's sign by an or (0.90-0.91x the time,
// the same bits). With `narrow` (every |x| below 16.5: |n| <= 24) no clamp
// and dl = 0 (session 25: one compare where (-16.5, 87) took two and dl by
// a fast two-sum: 0.84-0.90x the time, the same bits).
template <class O, bool mid, bool narrow = false> VM_INLINE typename O::V expm1_core(typename O::V x) {
  using V = typename O::V;
  static constexpr float q[] = {0.000197424306f, 0.00139336893f, 0.00833356753f, 0.0416664779f, 0.166666657f};
  // mid: x below 87, no upper clamp; narrow: |x| below 16.5, no clamp
  const V lo = narrow ? x : VF::max(VF::set1(-20.0f), x), xc = mid ? lo : VF::min(VF::set1(89.0f), lo);
  const auto [kk, n, h, l] = exp_split<VF>(xc);
  const V r = VF::add(h, l), rl = VF::add(VF::sub(h, r), l), one = VF::set1(1.0f), half = VF::set1(0.5f);
  const V r2 = VF::mul(r, r), r2e = VF::fma(r, r, VF::neg(r2));
  const V p = mid ? O::pow2neg_bits(kk) : O::pow2neg(VF::min(n, VF::set1(126.0f))), d = VF::sub(p, one);
  const V s = VF::sub(h, d), e = VF::sub(h, VF::add(s, d));
  const V hr2 = VF::mul(r2, half), s2 = VF::add(s, hr2), e2 = VF::sub(hr2, VF::sub(s2, s));
  const V t = VF::fma(VF::mul(r, r2), horner2<VF>(r, r2, q), VF::fma(rl, r, VF::fma(r2e, half, l)));
  V v;
  if constexpr (narrow) {
    v = VF::add(s2, VF::add(VF::add(e, e2), t));  // |n| <= 24: d is exact, dl = 0
  } else {
    const V bb = VF::sub(d, p), dl = VF::add(VF::sub(p, VF::sub(d, bb)), VF::sub(VF::neg(one), bb));
    v = VF::add(s2, VF::add(VF::add(e, e2), VF::sub(t, dl)));
  }
  // mid: x's sign by an or (for -0; elsewhere the result has x's sign or is +0)
  if constexpr (mid) return O::or_sign(O::scale_bits(v, kk), x);
  return VF::copysign(VF::scale(v, n), x);
}
template <class O> VM_INLINE typename O::V expm1_fl(typename O::V x) {
  const auto below = O::gt(O::set1(87.0f), x);
  if (O::all(O::gt(O::set1(16.5f), O::abs(x)))) return expm1_core<O, true, true>(x);  // NaN fails
  if (O::all(below)) return expm1_core<O, true>(x);
  return expm1_core<O, false>(x);
}

// sigmoid in float lanes: with e = e^-|x| (exp_neg, in [0, 1]; 0 for an
// infinite x, NaN for NaN), the quotient q = u / (1 + e) for u = 1 (x > 0)
// or e (below): q0 = u r0 from the reciprocal r0 (VF::recip_seed), then one
// correction q0 + r0 (u - q0 (1 + e)) with 1 + e as an exact sum (a fast
// two-sum), rounded once. sigmoid_q (O: VF, or on AVX2 VF::Pair) from e.
template <class O> VM_INLINE typename O::V sigmoid_q(typename O::V x, typename O::V e) {
  using V = typename O::V;
  const V one = O::set1(1.0f);
  const V d = O::add(one, e), dl = O::add(O::sub(one, d), e);
  const V u = O::sel(O::gt(x, O::set1(0.0f)), one, e), r0 = O::recip_seed(d);
  const V q0 = O::mul(u, r0);
  return O::fma(O::fma(O::neg(q0), dl, O::fma(O::neg(q0), d, u)), r0, q0);
}

// sigmoid where |x| < 16 in every lane, on AVX2 (O: VF or VF::Pair); false
// (r untouched) elsewhere (session 27): 1/(1 + E) for E = e^-x whatever
// x's sign, so no select of the numerator and no product with it
// (sigmoid_q's u). E = 2^n (1 + p) reduced as exp_mid, p = r + r^2 P(r) not
// rounded into 1 + p: d = (1 + 2^n) + 2^n p by one fused multiply-add (1 +
// 2^n exact for |n| <= 23) and dl its error (c - d exact), so that E's
// error is P's and r's alone; P by Estrin's scheme (three steps after r^2
// where exp_mid's horner2 takes four: 0.96-0.98x the time). q = q0 (1 + u
// + u^2) from the 12-bit estimate q0 of 1/d and u = 1 - q0 (d + dl) (off
// by u^3 < 2^-33). In-process A/B (1M float32 in cache, 1 thread) against
// sigmoid_q: 0.76-0.80x the time. E rounded to float (as exp_mid) doubled
// the error for x < 0 where 1/E's mantissa is next to 2 (2.44 ulp); q0 by a
// division took 1.02x. Over every float in (-16, 16) max 1.0023 ulp
// against 1/(1 + expl(-x)) (sigmoid_q 1.52; beyond, its 1.5343 at -16.95).
template <class O> VM_INLINE typename O::V sigmoid_e(typename O::V x) {
  using V = typename O::V;
  const V one = O::set1(1.0f);
  const auto [kn, n, h, l] = exp_split<O>(O::neg(x));
  const V r = O::add(h, l);
  const V r2 = O::mul(r, r);
  const V q = O::fma(r2, O::fma(r2, O::set1(kExpP[0]), O::fma(O::set1(kExpP[1]), r, O::set1(kExpP[2]))),
                     O::fma(O::set1(kExpP[3]), r, O::set1(kExpP[4])));
  const V p = O::fma(r2, q, r), e = O::scale_bits(one, kn), c = O::add(one, e);
  const V d = O::fma(e, p, c), dl = O::fma(e, p, O::sub(c, d)), q0 = O::rcp_est(d);
  const V u = O::fma(O::neg(q0), dl, O::fma(O::neg(q0), d, one));
  return O::fma(q0, O::fma(u, u, u), q0);
}
template <class O> VM_INLINE bool sigmoid_mid(typename O::V x, typename O::V& r) {
  if (!O::all(O::gt(O::set1(16.0f), O::abs(x)))) return false;  // NaN fails
  r = sigmoid_e<O>(x);
  return true;
}

VM_INLINE VF::V sigmoid_f32(VF::V x) { return sigmoid_q<VF>(x, exp_neg(VF::abs(x), VF::set1(0.0f))); }

// AVX2's sigmoid where a lane is not below 16 in magnitude: sigmoid_e's
// lanes below 16 (every lane with sigmoid_mid's bits there; 1 + 2^n is not
// exact beyond), sigmoid_f32's elsewhere.
template <class O> VM_INLINE typename O::V sigmoid_fl(typename O::V x) {
  return O::sel(O::gt(O::set1(16.0f), O::abs(x)), sigmoid_e<O>(x), sigmoid_f32(x));
}

// sinh and cosh of a in [0, 90] (and NaN) in float lanes, one formula for
// every a: a = n ln2 + rh + rl (n = round(a log2 e), a - n ln2_hi exact as
// in exp_reduce, rh + rl a fast two-sum with n ln2_lo), so that with S =
// (1 - 4^-n) / 2 and C = (1 + 4^-n) / 2, sinh a = 2^n (S cosh r + C sinh r)
// and cosh a = 2^n (C cosh r + S sinh r). C = cn + cnl exactly (from n =
// 12 on, 4^-n / 2 is below half an ulp of 1/2); S = sn rounded, within
// 2^-27 of it. cosh r = 1 + cr and sinh r = rh + sr3 + rl (...) by their series on rh
// (|rh| <= ln2/2: to rh^6 and rh^7, 2^-27 relative). The caller sums a
// product with rh exactly (its fma residual) and the rest in a tail,
// rounded once before the exact scaling by 2^n; next to 0 (n = 0, S = 0,
// rh = a) nothing cancels. The path where |x| >= 87 (hyp_fl).
struct HypParts {
  VF::V n, rh, rl, sn, cn, cnl, cr, sr3;
};
VM_INLINE HypParts hyp_parts(VF::V a) {
  using V = VF::V;
  static constexpr float ce[] = {1.0f / 720, 1.0f / 24, 0.5f}, co[] = {1.0f / 5040, 1.0f / 120, 1.0f / 6};
  const V half = VF::set1(0.5f);
  HypParts p;
  const auto [kn, n, h, l] = exp_split<VF>(a);
  p.n = n;
  p.rh = VF::add(h, l);
  p.rl = VF::add(VF::sub(h, p.rh), l);
  // 4^-n / 2, its exponent held to -61 (the scaling's range on AVX2), past which it no longer counts
  const V q2 = VF::scale(VF::set1(1.0f), VF::max(VF::fma(p.n, VF::set1(-2.0f), VF::set1(-1.0f)), VF::set1(-61.0f)));
  p.sn = VF::sub(half, q2);
  p.cn = VF::add(half, q2);
  p.cnl = VF::add(VF::sub(half, p.cn), q2);
  const V s = VF::mul(p.rh, p.rh);
  p.cr = VF::mul(s, horner<VF>(s, ce));
  p.sr3 = VF::mul(VF::mul(p.rh, s), horner<VF>(s, co));
  return p;
}

// sinh a for a >= 0 from hyp_parts: 2^n (sn + cn rh + [sn cr + cn sr3 + rl
// (sn rh + cn) + cnl rh]) with cn rh an exact product and sn + cn rh a
// fast two-sum (sn >= |cn rh| but for n = 0, where sn = 0).
VM_INLINE VF::V sinh_core(VF::V a) {
  using V = VF::V;
  const HypParts p = hyp_parts(a);
  const V pm = VF::mul(p.cn, p.rh), pe = VF::fma(p.cn, p.rh, VF::neg(pm));
  const V hi = VF::add(p.sn, pm), lo = VF::add(VF::sub(p.sn, hi), pm);
  V t = VF::fma(VF::fma(p.sn, p.rh, p.cn), p.rl, VF::fma(p.cnl, p.rh, pe));
  t = VF::fma(p.sn, p.cr, VF::fma(p.cn, p.sr3, t));
  return VF::scale(VF::add(hi, VF::add(t, lo)), p.n);
}

// cosh a for a >= 0 from hyp_parts: 2^n (cn + sn rh + [cn cr + sn sr3 + rl
// (cn rh + sn) + cnl]) with sn rh an exact product and cn + sn rh a fast
// two-sum (cn >= 1/2 >= |sn rh|).
VM_INLINE VF::V cosh_core(VF::V a) {
  using V = VF::V;
  const HypParts p = hyp_parts(a);
  const V pm = VF::mul(p.sn, p.rh), pe = VF::fma(p.sn, p.rh, VF::neg(pm));
  const V hi = VF::add(p.cn, pm), lo = VF::add(VF::sub(p.cn, hi), pm);
  V t = VF::fma(VF::fma(p.cn, p.rh, p.sn), p.rl, VF::add(pe, p.cnl));
  t = VF::fma(p.cn, p.cr, VF::fma(p.sn, p.sr3, t));
  return VF::scale(VF::add(hi, VF::add(t, lo)), p.n);
}

// sinh and cosh of a in [0, 87) (AVX2 session 27, AVX-512 29): hyp_parts'
// formula with 2^n folded into S and C up front, so that no scaling waits at the
// end: P = 2^(n-1) and Q = 2^(-n-1) from the rounding shift's bits (n <=
// 126; Q is 0 at 126), sn = P - Q, cn = P + Q and cn's low part cnl. The
// head u + v h (sinh: u = sn, v = cn; cosh: u = cn, v = sn) on h, exact,
// by an exact product and a fast two-sum; its low parts, v l (l = n ln2_lo)
// and cnl h (sinh) or cnl (cosh) make a tail t summed while the series run.
// The series on rh = h + l rounded (rl left out), s (u ev + pm od) with pm =
// v h rounded, as s c1 + s^2 (c2 + s c3), c_i = u ce_i + pm co_i: the
// products of the coefficients come while s is formed, three fused
// multiply-adds after it, then the head once. ev: a fit made for this
// library (Lawson's weighted least squares on s in [0, 0.1202], 1/2 kept,
// the others rounded to float one by one): cosh r - 1 to 2^-33.2 absolute
// where the series to r^6 left 2^-27.5 (0.13 ulp of sinh at n = 1, r next
// to -ln2/2). In-process A/B (1M float32 in cache, 1 thread) against
// sinh_core and cosh_core two a step: sinh 0.83-0.84x, cosh 0.86-0.87x the
// time; four a step 1.06-1.27x. Over every float (against sinhl, coshl):
// sinh max 0.8099 ulp (0.8641 before), cosh 0.7098 (0.8058). O: VF or
// VF::Pair. AVX-512 (Zen 5 in L1, 1 thread) against sinh_core and
// cosh_core: sinh 0.72x, cosh 0.75x the time; the same maxima.
template <class O, bool Sinh> VM_INLINE typename O::V hyp_scaled(typename O::V a) {
  using V = typename O::V;
  static constexpr float ce[] = {0x1.6d4f1p-10f, 0x1.5554e6p-5f, 0.5f}, co[] = {1.0f / 5040, 1.0f / 120, 1.0f / 6};
  const auto [kn, n, h, l] = exp_split<O>(a);
  const V rh = O::add(h, l), s = O::mul(rh, rh);
  const V P = O::scale_bits(O::set1(0.5f), kn), Q = O::pow2neg_half_bits(kn);
  const V sn = O::sub(P, Q), cn = O::add(P, Q), cnl = O::add(O::sub(P, cn), Q);
  // the head's pair: sinh sn + cn h, cosh cn + sn h
  const V u = Sinh ? sn : cn, v = Sinh ? cn : sn;
  const V pm = O::mul(v, h), pe = O::fma(v, h, O::neg(pm));
  const V hi = O::add(u, pm), lo = O::add(O::sub(u, hi), pm);
  const V t = O::add(lo, O::fma(v, l, Sinh ? O::fma(cnl, h, pe) : O::add(pe, cnl)));
  // s (u ev + pm od) = s c1 + s^2 (c2 + s c3), c_i = u ce_i + pm co_i
  const V c1 = O::fma(pm, O::set1(co[2]), O::mul(u, O::set1(ce[2])));
  const V c2 = O::fma(pm, O::set1(co[1]), O::mul(u, O::set1(ce[1])));
  const V c3 = O::fma(pm, O::set1(co[0]), O::mul(u, O::set1(ce[0])));
  return O::add(hi, O::fma(s, c1, O::fma(O::mul(s, s), O::fma(s, c3, c2), t)));
}

// sinh and cosh where |x| < 87 in every lane (O: VF or AVX2's VF::Pair);
// false (r untouched) elsewhere: hyp_scaled, and sinh's sign by an xor.
template <class O, bool Sinh> VM_INLINE bool hyp_mid(typename O::V x, typename O::V& r) {
  const typename O::V a = O::abs(x);
  if (!O::all(O::gt(O::set1(87.0f), a))) return false;  // NaN fails
  r = hyp_scaled<O, Sinh>(a);
  if constexpr (Sinh) r = O::xor_sign(r, x);
  return true;
}

// sinh x = sign(x) sinh |x|, |x| clamped to 90 (inf in float); a NaN
// passes through.
VM_INLINE VF::V sinh_f32(VF::V x) {
  return VF::copysign(sinh_core(VF::min(VF::set1(90.0f), VF::abs(x))), x);  // the min keeps a NaN
}

// cosh x = cosh |x|, |x| clamped to 90 (inf in float); a NaN passes through.
VM_INLINE VF::V cosh_f32(VF::V x) { return cosh_core(VF::min(VF::set1(90.0f), VF::abs(x))); }

// sinh and cosh where a lane is not below 87 in magnitude:
// hyp_scaled's lanes below 87 (every lane with hyp_mid's bits there), the
// functions above elsewhere.
template <bool Sinh> VM_INLINE VF::V hyp_fl(VF::V x) {
  const VF::V a = VF::abs(x), r = hyp_scaled<VF, Sinh>(VF::min(VF::set1(87.0f), a));
  return VF::sel(VF::gt(VF::set1(87.0f), a), Sinh ? VF::xor_sign(r, x) : r, Sinh ? sinh_f32(x) : cosh_f32(x));
}

// log(wh + wl) + kadd ln2 in float lanes (no wl or kadd: 0), for a positive
// normal wh below 1.5 2^127 and |wl| <= ulp(wh), rounded once: log_head,
// then log1p(r) - r = r^2 P(r) (fits made for this library: AVX2's on |r|
// < 1/16, 2^-31.4 relative to log1p(r); AVX-512's 2^-27, which AVX2's 8
// intervals (kLogTab8) could not take: next to 1 they cancel up to 1.57
// times |r|); the table's and ln2's low parts and wl / wh make the tail.
// O: VF, or on AVX2 VF::Pair (two vectors a step). kHalf (AVX2): half
// the log, the same bits as the log times 1/2 (arctanh's), one multiplication fewer:
// every term halved where it is made, exactly (r/2 = m invc/2 - 1/2, the
// tables and ln2's parts halved, 1/2 / wh; P's coefficients times 2^(5 -
// i), so that Horner's rule in r/2 gives 2 P(r) / 2^5 at every step):
// arctanh 0.93x the time. kRel (AVX2: arccosh's, and with kHalf arctanh's;
// arcsinh's until session 26, now log_late's): *wl is log(w / wh) itself
// (halved with kHalf), added to the table's low part with no factor 1/wh,
// and P is taken by Estrin's scheme (r^2 beside the two linear parts: a
// shorter chain than Horner's) onto e + lo summed first (arctanh, session
// 25: 0.97-0.99x the time of Horner's). AVX2's kRel without kHalf
// (arccosh's, session 26) splits at kLogSumOff and looks kLogTab4 up by
// in-lane permutes; |r| < 0.125 takes P of six coefficients (p4, a fit made
// for this library: mpmath, least squares on Chebyshev nodes reweighted
// toward minimax, coefficients rounded to float; 2^-31.15 relative to
// log1p on [-0.0859, 0.125]): in-process A/B 0.92-0.98x the time, arccosh
// max 0.5988 ulp (0.5542 on kLogTab8). The other uses keep kLogTab8: on
// the 4 intervals log1p took 1.02-1.05x the time (0.5937 ulp), arctanh
// (kHalf) 0.98-0.99x and 0.6163 ulp, over its 0.6.
template <class O = VF, bool kHalf = false, bool kRel = false>
VM_INLINE typename O::V log_sum(typename O::V wh, const typename O::V* wl, const typename O::V* kadd = nullptr) {
  using V = typename O::V;
  static_assert((!kHalf && !kRel) || VF::W == 8);
  static constexpr float p4[] = {0x1.0871a6p-3f, -0x1.580628p-3f, 0x1.99ec0ap-3f, -0x1.fffe3cp-3f, 0x1.55553cp-2f, -0.5f};
  static constexpr float p8[] = {-0x1.56ec92p-3f, 0x1.9b3268p-3f, -0x1.ffff66p-3f, 0x1.555516p-2f, -0.5f};
  static constexpr float p8h[] = {p8[0] * 32, p8[1] * 16, p8[2] * 8, p8[3] * 4, p8[4] * 2};
  constexpr const float(&p)[5] = VF::W == 8 ? (kHalf ? p8h : p8) : kLogP16;  // AVX-512 keeps its fit
  constexpr bool k4 = VF::W == 8 && kRel && !kHalf;
  LogHead<O, kHalf> h;
  if constexpr (k4) h = log_head<O, kLogSumOff>(wh, kLogTab4, kadd);
  else if constexpr (VF::W == 8) h = log_head<O, kLogTab8Off, kHalf>(wh, kHalf ? kLogTab8Half : kLogTab8, kadd);
  else h = log_head<O>(wh, kLogTab, kadd);
  const V r = h.r;
  if constexpr (kRel) {
    const V r2 = O::mul(r, r);
    constexpr const float* c = k4 ? p4 + 1 : p;  // P's last five coefficients (p4's first times r below)
    const V c0 = k4 ? O::fma(r, O::set1(p4[0]), O::set1(c[0])) : O::set1(c[0]);
    const V q = O::fma(r2, O::fma(r2, c0, O::fma(r, O::set1(c[1]), O::set1(c[2]))), O::fma(r, O::set1(c[3]), O::set1(c[4])));
    return O::add(h.s, O::fma(r2, q, O::add(h.e, h.lo(O::add(*wl, h.tl)))));
  }
  // no wl (null): no division (erfinv 0.94x the time on Zen 3), and 0 / wh added nothing
  const V rw = kHalf ? O::div(O::set1(h.c), wh) : O::recip_seed(wh);
  return h.horner_sum(p, wl ? O::fma(*wl, rw, h.tl) : h.tl);
}

// log(wh) + lc + kadd ln2, lc = log(w / wh) added last (its chain, that of
// asinh_wg, atanh_core or acosh_w, is the longer): arcsinh's, and
// AVX-512's arctanh's and arccosh's. AVX2 (session 26): as log_sum's kRel takes it, P split by r^2 and r^4
// (r^4 beside the linear parts) and of four coefficients: log1p(r) = r -
// r^2/2 + r^3 (c3 + c4 r + c5 r^2), a fit made here (mpmath: least squares
// on Chebyshev nodes reweighted toward minimax, coefficients rounded to
// float; 2^-25.79 relative on r in [-0.0584, 0.0623], where log_sum's five
// reach 2^-31.4). One fused multiply-add fewer a vector: in-process A/B
// 0.95-0.97x the time; float32 arcsinh max 0.8421 ulp over every float
// (0.5801 before; next to w = 1.039, where hi and r cancel in interval 5),
// bound 0.85. The lc chain put last alone took 1.00x. AVX-512 (session 29):
// log_head on kLogTab and kLogP16 by Horner's rule (the four-coefficient
// fit left 0.8621 ulp at w = 1.0625, where hi and r cancel).
template <class O>
VM_INLINE typename O::V log_late(typename O::V wh, typename O::V lc, const typename O::V* kadd = nullptr) {
  using V = typename O::V;
  if constexpr (VF::W == 16) {
    const auto h = log_head<O>(wh, kLogTab, kadd);
    const V t = O::add(h.e, O::fma(O::mul(h.r, h.r), horner<O>(h.r, kLogP16), h.lo(h.tl)));
    return O::add(h.s, O::add(t, lc));
  } else {
    const auto h = log_head<O, kLogTab8Off>(wh, kLogTab8, kadd);
    const V r = h.r, r2 = O::mul(r, r), r4 = O::mul(r2, r2);
    const V t1 = O::fma(r2, O::fma(r, O::set1(0x1.555608p-2f), O::set1(-0.5f)), O::add(h.e, h.lo(h.tl)));
    const V t2 = O::fma(r4, O::fma(r, O::set1(0x1.977a7ap-3f), O::set1(-0x1.008902p-2f)), t1);
    return O::add(h.s, O::add(t2, lc));
  }
}

// log1p_fl where every lane of x is in (-1, 2^127) and at least 2^-12 in
// magnitude (O: VF::Pair, two vectors a step), false elsewhere.
template <class O> VM_INLINE bool log1p_mid(typename O::V x, typename O::V& r) {
  using V = typename O::V;
  const V one = O::set1(1.0f);
  const auto ok = O::mand(O::mand(O::gt(x, O::set1(-1.0f)), O::gt(O::set1(0x1p127f), x)), O::gt(O::abs(x), O::set1(0x1.fffffep-13f)));
  if (!O::all(ok)) return false;
  const V w = O::add(one, x), bb = O::sub(w, one);
  const V wl = O::add(O::sub(one, O::sub(w, bb)), O::sub(x, bb));
  r = log_sum<O>(w, &wl);
  return true;
}

// log1p x on AVX2 (0.59x log_ff's time): log_sum of 1 + x as an exact
// two-sum w + wl (w positive normal for x > -1); from 2^127 on, of x/2 with
// one ln2 more. Below 2^-12, x - x^2/2 + x^3/3 (the next term is below
// 2^-38 of it): there log_sum's s + wl/w cancel (1.2 ulp at -2^-24.7), and
// -0 stays -0.
VM_INLINE VF::V log1p_fl(VF::V x) {
  using V = VF::V;
  const V one = VF::set1(1.0f), w = VF::add(one, x), bb = VF::sub(w, one);
  V wl = VF::add(VF::sub(one, VF::sub(w, bb)), VF::sub(x, bb));
  const V top = VF::set1(0x1p127f), inf = VF::set1(__builtin_inff()), zero = VF::set1(0.0f);
  V r;
  const bool ordinary = VF::all(VF::mand(VF::gt(x, VF::neg(one)), VF::gt(top, x)));
  if (ordinary) {
    r = log_sum(w, &wl);
  } else {
    const auto big = VF::gt(x, VF::set1(0x1.fffffep126f)), ok = VF::gt(x, VF::neg(one));
    const V kadd = VF::sel(big, one, zero);
    wl = VF::sel(ok, VF::sel(big, zero, wl), zero);
    r = log_sum(VF::sel(big, VF::min(VF::mul(x, VF::set1(0.5f)), top), VF::sel(ok, w, one)), &wl, &kadd);
  }
  const auto small = VF::gt(VF::set1(0x1p-12f), VF::abs(x));
  if (VF::any(small)) r = VF::sel(small, VF::fma(VF::mul(x, x), VF::fma(x, VF::set1(1.0f / 3), VF::set1(-0.5f)), x), r);
  if (ordinary) return r;
  r = VF::sel(VF::eq(x, inf), inf, VF::sel(VF::eq(x, VF::neg(one)), VF::neg(inf), r));
  return VF::sel(VF::unord(x, x), x, VF::sel(VF::gt(VF::neg(one), x), VF::set1(__builtin_nanf("")), r));
}

// The odd series a + c3 a^3 + c5 a^5 in float lanes where |a| < below
// (2^-10 or 2^-12: the next term below 2^-36 relative), where the logs of
// arcsinh and arctanh would lose relative precision to the rounding of
// their argument near 1; on a branch, rare where inputs come at random.
// (Session 20 had the series from 2^-6 in every vector: under 2^-6 a fifth
// of arctanh's vectors over [-1, 1] took it, and the mispredicted branch
// cost more than the series; the logs now hold further down.)
template <class O = VF>
VM_INLINE typename O::V odd_small(typename O::V a, typename O::V r, float c3, float c5, float below) {
  const auto small = O::gt(O::set1(below), a);
  if (!O::any(small)) return r;
  const typename O::V s = O::mul(a, a);
  return O::sel(small, O::fma(O::mul(s, O::fma(s, O::set1(c5), O::set1(c3))), a, a), r);
}

// arcsinh |x| = log(w), w = |x| + sqrt(x^2 + 1), in float lanes as
// log(wh) + log(w / wh) (log_late). From 2^12 on, log(2|x|) + 1/(4x^2): wh
// = |x|/2, log(w / wh) = 1/(4x^2), kadd 2. The _mid forms (O: VF or
// VF::Pair) take the arguments below 2^12 (arcsinh), in (1, 2^12)
// (arccosh) or in (-1, 1) (arctanh) and return false (r untouched) where a
// lane is beyond.
// w's parts (session 25, AVX2; AVX-512 since session 29): wh = a + th
// rsqrt(th), th = a^2 + 1 rounded once, a 12-bit (AVX-512: 14-bit) w that
// the square root's latency does not hold up (AVX2: the exact w = wh + wl
// with a correctly rounded root took 1.0x the time with 8 operations fewer
// a vector; session 26: wh = a + sqrt(th) with the first-order c alone, 4
// operations fewer, 1.11x: the divider), corrected to second order: w
// solves w^2 - 2a w - 1 = 0, so g = 1 + 2a wh - wh^2 = (w - wh)(wh + 1/w),
// exactly g = (2a - u) wh - u with u = wh - 1 (exact below 2^24; taken as
// 1 - wh), 2a - u exact where u is within [a, 2a] (Sterbenz; where the
// estimate leaves u just under a, a below 2^-4, its rounding is below
// 2^-24 a^2, far under the result's ulp), one rounding in the fma; c = g /
// h, h = wh^2 + 1, is (w - wh) / wh to first order, and log(w / wh) = c +
// c^2 (1/h - 1/2) + O(c^3), |c| <= 2^-11. With r0 the estimate of 1/h, c0
// = g r0 and e0 = 1 - h r0: c = c0 (1 + e0) and the log is c0 (1 + e0 +
// c0 (r0 - 1/2)) within 2^-34, the Newton step folded into the
// second-order term (session 26: two operations fewer a vector with g's,
// 0.97x the time). AVX2: max 0.5801 ulp over every float below 2^40 with
// log_sum's kRel (session 25), 0.8421 with log_late. AVX-512 (session 29:
// it took x^2 + 1 as an exact sum, its correctly rounded root and that
// root's residual, w = wh + wl by a fast two-sum, then log_sum with wl /
// wh by the estimate; Zen 5 in L1, 1 thread: 0.86-0.88x the time with
// this): every float within 0.5753 ulp (was 0.5480).
template <class O> VM_INLINE void asinh_wg(typename O::V a, typename O::V& wh, typename O::V& lc) {
  using V = typename O::V;
  const V one = O::set1(1.0f), th = O::fma(a, a, one);
  wh = O::fma(th, O::rsqrt_est(th), a);
  const V nu = O::sub(one, wh), v = O::fma(a, O::set1(2.0f), nu);
  const V h = O::fma(wh, wh, one), r0 = O::rcp_est(h), e0 = O::fma(O::neg(h), r0, one);
  const V c0 = O::mul(O::fma(v, wh, nu), r0);
  lc = O::fma(c0, O::fma(c0, O::add(r0, O::set1(-0.5f)), e0), c0);
}

// Where odd_small's series takes over from the log: from 2^-10 (session
// 26): with g's exact residual the log holds below 2^-6 (AVX2, every float
// in [2^-10, 2^-6): max 0.6612 ulp), and uniform inputs in [-8, 8] give a
// pair of vectors a lane below 2^-6 3.1% of the time, below 2^-10 0.2%
// (the branch taken and mispredicted less): 0.968-0.987x the time.
constexpr float kAsinhSeries = 0x1p-10f;

template <class O> VM_INLINE bool asinh_mid(typename O::V x, typename O::V& r) {
  using V = typename O::V;
  const V a = O::abs(x);
  if (!O::all(O::gt(O::set1(0x1p12f), a))) return false;
  V wh, lc;
  asinh_wg<O>(a, wh, lc);
  // the log and the series are +0 or above: x's sign by xor, not
  // copysign's and-not (arcsinh 0.97-0.99x, arctanh 0.97-0.98x the time)
  r = O::xor_sign(odd_small<O>(a, log_late<O>(wh, lc), -1.0f / 6, 3.0f / 40, kAsinhSeries), x);
  return true;
}

VM_INLINE VF::V asinh_f32(VF::V x) {
  using V = VF::V;
  V r;
  if (asinh_mid<VF>(x, r)) return r;
  const V a = VF::abs(x), inf = VF::set1(__builtin_inff());
  const auto big = VF::mand(VF::gt(a, VF::set1(0x1.fffffep11f)), VF::gt(inf, a));
  const V kadd = VF::sel(big, VF::set1(2.0f), VF::set1(0.0f)), ra = VF::rcp_est(a);
  V wh, lc;
  asinh_wg<VF>(a, wh, lc);
  // from 2^12 on w = a/2 + 1/(8a) (kadd 2), log(w / wh) = 1/(4a^2)
  wh = VF::sel(big, VF::mul(VF::set1(0.5f), a), wh);
  lc = VF::sel(big, VF::mul(VF::mul(VF::set1(0.25f), ra), ra), lc);
  r = odd_small(a, log_late<VF>(VF::min(wh, VF::set1(0x1p127f)), lc, &kadd), -1.0f / 6, 3.0f / 40, kAsinhSeries);
  r = VF::sel(VF::unord(x, x), x, VF::sel(VF::eq(a, inf), inf, r));
  return VF::copysign(r, x);
}

// arccosh x = log(w), w = x + sqrt(x^2 - 1) for x >= 1, in float lanes as
// log(wh) + log(w / wh); from 2^12 on, log(2x) - 1/(4x^2) (wh = x/2,
// log(w / wh) = -1/(4x^2), kadd 2). Session 25 (AVX2): where it took x^2
// - 1 by a two-product, its square root s + sl and w = wh + wl by a fast
// two-sum, then log_sum, it took the root of x^2 - 1 rounded once (an fma,
// ready sooner), 1/(2s) by the rsqrt estimate and wl / wh by the
// reciprocal estimate: every float in [1, 2^12) within 0.5674 ulp (0.5463
// before), in-process A/B 0.96-0.97x the time. Session 26: no root. wh = x + t1
// rsqrt(t1), t1 = x^2 - 1 rounded once, a 12-bit (AVX-512: 14-bit) w off
// the estimate's latency (as asinh_wg's); w solves w^2 - 2x w + 1 = 0, so
// g = 2x wh - wh^2 - 1 = (w - wh)(wh - 1/w), exactly (2x - wh) wh - 1
// (2x - wh exact, Sterbenz; one rounding in the fma), and with c = g /
// (wh^2 - 1) (a division, off the log's chain) log(w / wh) = c - c^2
// (1/(wh^2 - 1) + 1/2) (the estimate of 1/(wh^2 - 1) there), |c| <=
// 2^-11, into the log as it is (no two-sum of x + s, no reciprocal of wh).
// x = 1 (wh^2 - 1 = 0) takes acosh_f32. Every float in (1, 2^12) within
// 0.5542 ulp (at 0x1.00322ep+0); in-process A/B 0.90-0.91x the time (g
// against t1 rounded, t1 - (wh - x)^2, took the same time and 0.8676 ulp).
// Then on AVX2 log_sum's kRel on 4 intervals (in-lane lookups): within
// 0.5988 ulp (at 0x1.01970cp+0), 0.92-0.98x the time. AVX-512 (session 29:
// it kept session 25's exact w with a correctly rounded root and two
// divisions): log_late, every float within 0.5415 ulp (was 0.5366); Zen 5
// in L1, 1 thread: 0.86x the time.
template <class O> VM_INLINE void acosh_w(typename O::V x, typename O::V& wh, typename O::V& lc) {
  using V = typename O::V;
  const V one = O::set1(1.0f);
  const V t1 = O::fma(x, x, O::neg(one));
  wh = O::fma(t1, O::rsqrt_est(t1), x);
  const V g = O::fma(O::fma(x, O::set1(2.0f), O::neg(wh)), wh, O::neg(one)), h = O::fma(wh, wh, O::neg(one));
  const V c = O::div(g, h);
  lc = O::fma(O::mul(c, c), O::sub(O::set1(-0.5f), O::rcp_est(h)), c);
}
// log(wh) + lc (+ kadd ln2): AVX2's by log_sum's kRel, AVX-512's by log_late.
template <class O>
VM_INLINE typename O::V acosh_log(typename O::V wh, typename O::V lc, const typename O::V* kadd = nullptr) {
  if constexpr (VF::W == 8) return log_sum<O, false, true>(wh, &lc, kadd);
  else return log_late<O>(wh, lc, kadd);
}

template <class O> VM_INLINE bool acosh_mid(typename O::V x, typename O::V& r) {
  if (!O::all(O::template bits_in<0x3f800001, 0x05ffffff>(x))) return false;  // (1, 2^12)
  typename O::V wh, lc;
  acosh_w<O>(x, wh, lc);
  r = acosh_log<O>(wh, lc);
  return true;
}

VM_INLINE VF::V acosh_f32(VF::V x) {
  using V = VF::V;
  V r;
  if (acosh_mid<VF>(x, r)) return r;
  const V one = VF::set1(1.0f), inf = VF::set1(__builtin_inff());
  V wh, lc;
  acosh_w<VF>(x, wh, lc);
  const auto big = VF::mand(VF::gt(x, VF::set1(0x1.fffffep11f)), VF::gt(inf, x));
  wh = VF::sel(big, VF::mul(VF::set1(0.5f), x), wh);
  const V ir = VF::rcp_est(x);
  lc = VF::sel(big, VF::mul(VF::mul(VF::set1(-0.25f), ir), ir), lc);  // log(w / wh) = -1/(4x^2)
  const V kadd = VF::sel(big, VF::set1(2.0f), VF::set1(0.0f));
  const auto above = VF::gt(wh, one);  // below 1 and NaN: any ordinary argument, replaced below; 1: 0
  wh = VF::sel(above, wh, one), lc = VF::sel(above, lc, VF::set1(0.0f));
  r = acosh_log<VF>(VF::min(wh, VF::set1(0x1p127f)), lc, &kadd);
  const V nan = VF::set1(__builtin_nanf(""));
  return VF::sel(VF::unord(x, x), x, VF::sel(VF::gt(one, x), nan, VF::sel(VF::eq(x, inf), inf, r)));
}

// arctanh x = log(w) / 2, w = (1 + x) / (1 - x) for |x| < 1, in float
// lanes: 1 + x and 1 - x as exact sums ph + pl and dh + dl (fast
// two-sums), then the log of their quotient. Of the signed x (session 26;
// w < 1 for x < 0, the log negative: no sign to take off and put back),
// and atanh_mid only where every |x| is in [2^-12, 1) (one integer test);
// below, odd_small's series (on a branch: rare where inputs come at random
// over (-1, 1); the series from 2^-6 in every vector cost 1.1x the time on
// AVX2).
// AVX2 (session 25): wh = ph / dh by one division and (w - wh) / wh as the
// residual times 1/(2 + 2x) (equal to first order, the residual being
// 2^-23 of 1 + x; a division off the chain), half the log by log_sum's
// kRel: every float in [2^-12, 1) within 0.5791 ulp, (-1, -2^-12] within
// 0.5382 ulp.
// AVX-512 (session 29): wh = ph e, e the 14-bit estimate of 1/dh, and lc
// = log(w / wh) into log_late, then halved. With g = ph + pl - wh (dh +
// dl) (the product's residual by an fma, exact but for a rounding far
// below it), w / wh = 1 / (1 - u), u = g / (ph + pl), so lc = u + u^2/2 +
// O(u^3), |u| <= 2^-13; u = c0 (1 + e0) to 2^-28 relative, with rho the
// estimate of 1/ph, c0 = g rho and e0 = 1 - ph rho (pl / ph, below 2^-24,
// left out), so lc = c0 (1 + e0 + c0/2) (terms below 2^-40 left out). It
// took 1/(1 - x) to 2^-27 (the estimate and a Newton step), wh and wl by
// the residual, then log_sum (its reciprocal of wh a third estimate), and
// the series in every vector from 2^-6: Zen 5 in L1, 1 thread, 0.86-0.90x
// the time with this. Every float in (-1, 1) within 0.5561 ulp (was 0.5482).
template <class O> VM_INLINE typename O::V atanh_core(typename O::V x, typename O::V a, bool ordinary) {
  using V = typename O::V;
  const V one = O::set1(1.0f);
  const V ph = O::add(one, x), pl = O::sub(x, O::sub(ph, one));
  const V dh = O::sub(one, x), dl = O::sub(O::sub(one, dh), x);
  const auto in = O::gt(one, a);  // 1 and beyond: any ordinary w, replaced by atanh_f32
  V r;
  if constexpr (VF::W == 8) {
    const V q = O::div(O::set1(0.5f), ph);  // 1/(2 + 2x)
    const V wh = O::div(ph, dh);
    const V wl = O::mul(O::fnma(wh, dl, O::add(O::fnma(wh, dh, ph), pl)), q);
    r = log_sum<O, true, true>(ordinary ? wh : O::sel(in, wh, one), &wl);
  } else {
    const V wh = O::mul(ph, O::rcp_est(dh));
    const V rho = O::rcp_est(ph), e0 = O::fma(O::neg(ph), rho, one);
    const V g = O::fma(O::neg(wh), dl, O::add(O::fma(O::neg(wh), dh, ph), pl));
    const V c0 = O::mul(g, rho);
    const V lc = O::fma(c0, O::fma(c0, O::set1(0.5f), e0), c0);
    r = O::mul(O::set1(0.5f), ordinary ? log_late<O>(wh, lc) : log_late<O>(O::sel(in, wh, one), O::keep(in, lc)));
  }
  return ordinary ? r : odd_small<O>(a, r, 1.0f / 3, 1.0f / 5, 0x1p-12f);
}

template <class O> VM_INLINE bool atanh_mid(typename O::V x, typename O::V& r) {
  const typename O::V a = O::abs(x);
  if (!O::all(O::template bits_in<0x39800000, 0x06000000>(a))) return false;
  r = atanh_core<O>(x, a, true);
  return true;
}

VM_INLINE VF::V atanh_f32(VF::V x) {
  using V = VF::V;
  V r;
  if (atanh_mid<VF>(x, r)) return r;
  const V a = VF::abs(x), one = VF::set1(1.0f), inf = VF::set1(__builtin_inff()), nan = VF::set1(__builtin_nanf(""));
  r = atanh_core<VF>(x, a, false);
  r = VF::sel(VF::unord(x, x), x, VF::sel(VF::gt(a, one), nan, VF::sel(VF::eq(a, one), inf, r)));
  return VF::copysign(r, x);
}

// pi/2 as a float and the rest.
constexpr float kPio2Hi = 1.57079637f, kPio2Lo = -4.37113883e-08f;

// K - m (v + t) rounded once, for K = kk pi/2 with kk in {0, 1, 2}, m a
// power of two times +-1, |m v| <= |K| unless K = 0, and |t| far below |v|:
// K - m v is an exact two-sum (fast: the larger operand first), and pi/2's
// low part joins t in the tail.
template <class O = VF>
VM_INLINE typename O::V pio2_multiple_minus(typename O::V kk, typename O::V m, typename O::V v, typename O::V t) {
  using V = typename O::V;
  const V kh = O::mul(kk, O::set1(kPio2Hi)), u = O::mul(m, v);
  const V hi = O::sub(kh, u);
  const V lo = O::sub(O::sub(kh, hi), u);
  return O::add(hi, O::add(lo, O::fma(O::neg(m), t, O::mul(kk, O::set1(kPio2Lo)))));
}

// arctan x = sign(x) arctan a in float lanes, a = |x|: a up to tan pi/8,
// from there to tan 3pi/8, or beyond gives the quotient u = a, (a - 1)/(a +
// 1) or -1/a (|u| <= tan pi/8) and K = 0, pi/4 or pi/2; arctan a = K + u +
// u s P(s) with s = u^2 plus the quotient's error ul (its fma residual and
// the rounding errors of a - 1 and a + 1) times 1/(1 + s), summed with K.
// P: degree 4 (session 25; was 6), a fit made for this library (mpmath,
// least squares on Chebyshev nodes of s in [0, 0.1716] reweighted toward
// minimax, coefficients rounded to float one at a time with a refit): u +
// u s P(s) within 2^-30.4 of arctan u relative (degree 3: 2^-25.5, 0.86
// ulp). Every float: max 0.6578 ulp (was 0.6047 on the sweep); 0.97x the
// time, then under unary_kernel_sched 0.95-0.97x. Then AVX2 takes ul for
// ul / (1 + s) (one fma less; 0.95-0.96x): every float 0.8146 ulp, bound
// 0.82 (MLX's 0.829); AVX-512 keeps ul (1 - s), 0.6578 ulp.
// a is clamped to 2^100 (arctan of inf is pi/2); a NaN passes through.
// O: VF, or on AVX2 VF::Pair (atan_mid: every lane, never false). The
// selects against 0 as ands with the mask (O::keep) instead of blends
// (0.93-0.94x the time: on Zen 3 the blends seem to compete with the
// multiplies and fused multiply-adds for their pipes), the quotient by one
// division, and K + (u + t) summed with m = -1 spelled out, x's sign by an
// xor (0.975x, the same bits). Session 29: AVX-512 so too (it took the
// quotient by the reciprocal to 2^-27, blends and P of degree 6; Zen 5 in
// L1, 1 thread: 0.88x the time).
template <class O> VM_INLINE typename O::V atan_core(typename O::V x) {
  using V = typename O::V;
  static constexpr float c4[] = {-0.0609004684f, 0.105991676f, -0.14244391f, 0.199985281f, -0.333333164f};
  const V a = O::min(O::set1(0x1p100f), O::abs(x)), one = O::set1(1.0f);  // a's NaN wins
  const auto mid = O::gt(a, O::set1(0.414213568f)), far = O::gt(a, O::set1(2.41421366f));
  // a - 1 and a + 1 as a - om and an + o1 with om = 1 in the middle
  // interval and 0 elsewhere, an = a from tan pi/8 on and 0 below, o1 = 1
  // up to tan 3pi/8 and 0 beyond: a and 1 below, a and a beyond (num then
  // -1 by its select), exact, so their errors el1 and el2 are 0 outside
  // the middle with no mask after, and den takes no blend (the same bits;
  // 0.97-0.98x the time, then den's blend gone 0.95x; num's too, as aa -
  // om with aa = a up to tan 3pi/8 and 0 beyond, took 1.07x); kk = K / (pi/2)
  const auto nf = O::mandnot(far, mid);
  const V om = O::keep(nf, one), an = O::keep(mid, a), o1 = O::mandnot(far, one), nm = O::sub(a, om);
  const V den = O::add(an, o1);
  const V el1 = O::sub(a, O::add(nm, om)), el2 = O::sub(an, O::sub(den, o1));
  const V num = O::sel(far, O::neg(one), nm);
  const V kk = O::add(O::keep(mid, O::set1(0.5f)), O::keep(far, O::set1(0.5f)));
  // the quotient's error is in res below
  const V u = O::div(num, den);
  const V res = O::fma(O::neg(u), el2, O::add(O::fma(O::neg(u), den, num), el1));
  const V s = O::mul(u, u);
  const V ul = O::mul(res, O::rcp_est(den));
  const V t = O::fma(O::mul(u, s), horner<O>(s, c4), VF::W == 8 ? ul : O::fma(O::neg(ul), s, ul));  // ul / (1 + s) ~ ul (1 - s)
  // K + (u + t) as pio2_multiple_minus with m = -1 spelled out (kk pi/2's
  // low part is exact, so t joins it in one fma: the same bits), and x's
  // sign by an xor (the sum is +0 or more)
  const V kh = O::mul(kk, O::set1(kPio2Hi)), hi = O::add(kh, u);
  const V r = O::add(hi, O::add(O::add(O::sub(kh, hi), u), O::fma(kk, O::set1(kPio2Lo), t)));
  return O::xor_sign(r, x);
}

template <class O> VM_INLINE bool atan_mid(typename O::V x, typename O::V& r) {
  r = atan_core<O>(x);
  return true;
}

VM_INLINE VF::V atan_f32(VF::V x) { return atan_core<VF>(x); }

// arctan2(y, x) in float lanes: with n = min(|y|, |x|) and d = max, q = n/d
// in [0, 1] by one division, arctan(q + ql) = q + q s P(s) + ql / (1 + s),
// s = q^2, P a least-squares fit made for this library (2^-26 relative),
// ql / (1 + s) as the division's residual n - q d times the estimate of
// 1/(d (1 + s)), which is not 0 below 2^126 (AVX2: 0.96-0.97x the time of
// q = n (1/d) and ql from the residual; 1.009 ulp, was 0.9936; AVX-512 so
// too since session 29: 0.93x); then K - m arctan by pio2_multiple_minus
// (|y| > |x| takes pi/2 - a, x negative pi - a, both pi/2 + a) and y's
// sign. Zeros on both sides, infinities and NaN take SLEEF's.
// atan2_core takes n and d (scaled where n is tiny, and by 1/4 from
// 2^125); atan2_mid takes finite arguments with n above 2^-100 and both
// below 2^125 and returns false (r untouched) where a lane has others.
template <class O>
VM_INLINE typename O::V atan2_after(typename O::V y, typename O::V x, typename O::M swap, typename O::V q, typename O::V s,
                                    typename O::V qls);
// q = n/d by one division, s = q^2 and ql / (1 + s) as qls = (n - q d) /
// (d (1 + s)) by one estimate (d (1 + s) below 2^126, where it is not 0)
template <class O>
VM_INLINE void atan2_quotient(typename O::V n, typename O::V d, typename O::V& q, typename O::V& s, typename O::V& qls) {
  q = O::div(n, d), s = O::mul(q, q);
  qls = O::mul(O::fma(O::neg(q), d, n), O::rcp_est(O::fma(d, s, d)));
}
template <class O>
VM_INLINE typename O::V atan2_core(typename O::V y, typename O::V x, typename O::V ay, typename O::V ax, typename O::V n,
                                   typename O::V d) {
  typename O::V q, s, qls;
  atan2_quotient<O>(n, d, q, s, qls);
  return atan2_after<O>(y, x, O::gt(ay, ax), q, s, qls);
}
// atan2_core after the quotient: swap = |y| > |x|.
template <class O>
VM_INLINE typename O::V atan2_after(typename O::V y, typename O::V x, typename O::M swap, typename O::V q, typename O::V s,
                                    typename O::V qls) {
  using V = typename O::V;
  static constexpr float c[] = {-0.000678746321f, 0.00482027885f, -0.0160464682f, 0.0341348872f,
                                -0.0542305969f,   0.0724410266f,  -0.0898015276f, 0.110933714f,
                                -0.142840266f,    0.199999183f,   -0.333333313f};
  const V one = O::set1(1.0f);
  // c10 + s (c9 + s (L(s) + s^4 H(s))), L from c8 down to c5 and H from c4
  // down to c0 by Horner's rule side by side: the chain 7 fused
  // multiply-adds after s where Horner's rule took 10, and the same last
  // three steps (with the last two: 1.026 ulp, 0.97x the time on AVX2).
  static constexpr float lo[] = {c[5], c[6], c[7], c[8]}, hi[] = {c[0], c[1], c[2], c[3], c[4]};
  const V s2 = O::mul(s, s);
  V p = O::fma(O::fma(O::mul(s2, s2), horner<O>(s, hi), horner<O>(s, lo)), s, O::set1(c[9]));
  p = O::fma(p, s, O::set1(c[10]));
  const V t = O::fma(O::mul(q, s), p, qls);
  // arctan2 = K - m a: m = -1 for a alone, +1 for pi/2 - a and pi - a, -1 for pi/2 + a
  const V xs = O::xor_sign(one, x);  // +-1 with x's sign (-0 counts as negative)
  // ands and an xor instead of blends (as atan_core)
  const V m = O::xor_sign(xs, O::mandnot(swap, O::set1(-0.0f)));
  const V kk = O::sub(one, O::mandnot(swap, xs));
  // y's sign by an xor (the sum is +0 or more; 0.986x the time of the copysign on AVX2)
  return O::xor_sign(pio2_multiple_minus<O>(kk, m, q, t), y);
}

template <class O> VM_INLINE bool atan2_mid(typename O::V y, typename O::V x, typename O::V& r) {
  using V = typename O::V;
  const V ay = O::abs(y), ax = O::abs(x);
  // a NaN in either wins one of n and d (min and max return their second
  // operand then), so that d below 2^125 (the estimate of 1/(d (1 + s)))
  // with n above 2^-100 checks both (the same bits, 0.98x the time)
  const V n = O::min(ay, ax), d = O::max(ax, ay);
  if (!O::all(O::mand(O::gt(n, O::set1(0x1p-100f)), O::gt(O::set1(0x1p125f), d)))) return false;
  r = atan2_core<O>(y, x, ay, ax, n, d);
  return true;
}

VM_INLINE VF::V atan2_f32(VF::V y, VF::V x) {
  using V = VF::V;
  V r;
  if (atan2_mid<VF>(y, x, r)) return r;
  const V ay = VF::abs(y), ax = VF::abs(x), one = VF::set1(1.0f), inf = VF::set1(__builtin_inff());
  V n = VF::min(ay, ax), d = VF::max(ay, ax);
  const auto ok = VF::mand(VF::mand(VF::gt(inf, ay), VF::gt(inf, ax)), VF::gt(d, VF::set1(0.0f)));
  if (!VF::all(VF::gt(n, VF::set1(0x1p-100f)))) {
    // both scaled by 2^64 below 2^60, so that the residual below stays normal
    const V sc = VF::sel(VF::gt(VF::set1(0x1p60f), d), VF::set1(0x1p64f), one);
    n = VF::mul(n, sc), d = VF::mul(d, sc);
  }
  {
    // d below 2^125 for the estimate of 1/(d (1 + s)) in atan2_core
    const V sc = VF::sel(VF::gt(d, VF::set1(0x1.fffffep124f)), VF::set1(0.25f), one);
    n = VF::mul(n, sc), d = VF::mul(d, sc);
  }
  r = atan2_core<VF>(y, x, ay, ax, n, d);
  return VF::all(ok) ? r : VF::sel(ok, r, Fns<VF>::binary[int(VFn2::Arctan2)](y, x));
}

// arctan2 on AVX2 over kAtan2Block vectors (ly(k) and lx(k) the k-th
// vector of y and of x, st(k, r) its store) in two passes: every
// vector's check and atan2_quotient (the division) first, then every
// atan2_after. Each vector's
// chain (division, then the polynomial) was latency bound a vector a step.
// A block with a lane that atan2_mid does not take goes through atan2_f32
// a vector at a time: the same bits either way. In-process A/B (1M float32
// in cache, 1 thread): 0.96-0.97x the time of a vector a step; blocks of 4
// vectors 1.20x and of 16 1.15x the time of 8; s and qls in the second
// pass 1.00x.
constexpr int kAtan2Block = 8;
template <class LY, class LX, class ST, class F = VF> VM_INLINE void atan2_block(LY ly, LX lx, ST st) {
  using V = typename F::V;
  V q[kAtan2Block], s[kAtan2Block], qls[kAtan2Block];
  typename F::M sw[kAtan2Block];
  V nlo, dhi;
  for (int k = 0; k < kAtan2Block; k++) {
    // d as the greater bits of |x| and |y| (NaN where either is NaN; max
    // elsewhere): the block's least n and greatest d by 2 operations a
    // vector, checked once (atan2_mid's check, the same bits; 0.98-0.99x
    // the time of its compares and and a vector)
    const V y = ly(k), x = lx(k), ay = F::abs(y), ax = F::abs(x), n = F::min(ay, ax), d = F::max_bits(ax, ay);
    sw[k] = F::gt(ay, ax);
    nlo = k ? F::min_bits(nlo, n) : n, dhi = k ? F::max_bits(dhi, d) : d;
    atan2_quotient<F>(n, d, q[k], s[k], qls[k]);
  }
  if (!F::all(F::mand(F::gt(nlo, F::set1(0x1p-100f)), F::gt(F::set1(0x1p125f), dhi)))) {
    for (int k = 0; k < kAtan2Block; k++) st(k, atan2_f32(ly(k), lx(k)));
    return;
  }
  for (int k = 0; k < kAtan2Block; k++) st(k, atan2_after<F>(ly(k), lx(k), sw[k], q[k], s[k], qls[k]));
}

// asin s = s + s z P(z) for s in [0, 1/2] and z = s^2 (P a least-squares
// fit made for this library, 2^-31 relative), for arcsin and arccos with a =
// |x|: up to 1/2 (big false), s = a and t = s z P(z); above, s = sqrt(z) for
// z = (1 - a)/2 (exact) and t takes the square root's rounding error (its
// fma residual) too, so that asin a = pi/2 - 2 (s + t). |x| > 1 and NaN give
// NaN (a negative z). Returns big.
VM_INLINE VF::M asin_parts(VF::V x, VF::V& s, VF::V& t) {
  using V = VF::V;
  static constexpr float p[] = {0.0374836177f, 0.0144608654f, 0.0318023376f, 0.0445174947f, 0.0750050247f, 0.166666597f};
  const V a = VF::abs(x), half = VF::set1(0.5f);
  const auto big = VF::gt(a, half);
  const V zb = VF::fma(a, VF::neg(half), half);
  const V sb = VF::sqrt(zb);
  const V lb = VF::mul(VF::fma(VF::neg(sb), sb, zb), VF::mul(half, VF::rsqrt_est(VF::max(zb, VF::set1(0x1p-126f)))));
  const V z = VF::sel(big, zb, VF::mul(a, a));
  s = VF::sel(big, sb, a);
  t = VF::fma(VF::mul(s, z), horner<VF>(z, p), VF::sel(big, lb, VF::set1(0.0f)));
  return big;
}

// arccos in float lanes, from asin_parts: up to 1/2, arccos x = pi/2 -
// asin x; above, arccos a = 2 asin s and arccos -a = pi - 2 asin s; the sum
// by pio2_multiple_minus.
VM_INLINE VF::V acos_f32(VF::V x) {
  using V = VF::V;
  V s, t;
  const auto big = asin_parts(x, s, t);
  // m = sign(x) below 1/2, -2 sign(x) above; K = pi/2 below, 0 or pi above
  const V one = VF::set1(1.0f), xs = VF::xor_sign(one, x);
  const V m = VF::sel(big, VF::mul(xs, VF::set1(-2.0f)), xs);
  const V kk = VF::sel(big, VF::sub(one, xs), one);
  return pio2_multiple_minus(kk, m, s, t);
}

// arcsin x = sign(x) asin a in float lanes, from asin_parts: s + t up to
// 1/2, pi/2 - 2 (s + t) above, by pio2_multiple_minus.
VM_INLINE VF::V asin_f32(VF::V x) {
  using V = VF::V;
  V s, t;
  const auto big = asin_parts(x, s, t);
  const V one = VF::set1(1.0f);
  const V r = pio2_multiple_minus(VF::sel(big, one, VF::set1(0.0f)), VF::sel(big, VF::set1(2.0f), VF::neg(one)), s, t);
  return VF::copysign(r, x);
}

// The reduction of |a| < 2^12 (kTrigSmall) in float lanes: a = n pi/2 +
// rh + rl, |rh| <= pi/4 (rh + rl to about 2^-45 relative), n = round(a
// 2/pi) held in k's low bits (the rounding shift, so n & 3 is read from
// k's bits, for either sign). P1 = pi/2 rounded to float: r1 = a - n P1 is
// exact (a and n P1 lie on the grid of ulp(a) or 2^-24, whichever is
// coarser, and differ by less than 1); then n (pi/2 - P1) = n (D1 + D2 +
// D3): n D1 as an exact product p + pe (its fma residual), r1 + p by a fast
// two-sum, exact here although |r1| may be below |p| because r1 is a
// multiple of ulp(p) (r1 is 0 or on the grid of 2^-24, |p| < 2^-13); n D2
// in the tail, n D3 (below n 2^-76) left out.
constexpr float kTrigSmall = 0x1p12f;
template <class O = VF> VM_INLINE typename O::V trig_reduce(typename O::V a, typename O::V& rh, typename O::V& rl) {
  using V = typename O::V;
  const V shift = O::set1(0x1.8p23f), k = O::fma(a, O::set1(0x1.45f306p-1f), shift), n = O::sub(k, shift);
  const V r1 = O::fma(n, O::set1(-0x1.921fb6p0f), a);
  const V d1 = O::set1(0x1.777a5cp-25f), p = O::mul(n, d1), pe = O::fma(n, d1, O::neg(p));
  rh = O::add(r1, p);
  rl = O::fma(n, O::set1(0x1.ee59dap-50f), O::add(O::sub(p, O::sub(rh, r1)), pe));
  return k;
}

// sin and cos of r = rh + rl (|rh| <= pi/4), each as an unrounded sum of a
// float and a small tail: sin r = rh + (rh s S(s) + rl (1 - s/2)), s =
// rh^2; cos r = (1 - s/2) + (s^2 C(s) - rl rh) with 1 - s/2 as an exact sum
// (s's rounding error from its fma residual). S and C: least-squares fits
// made for this library (2^-28 and 2^-31 relative).
template <class O = VF>
VM_INLINE void sincos_reduced(typename O::V rh, typename O::V rl, typename O::V& sl, typename O::V& ch,
                              typename O::V& cl) {
  using V = typename O::V;
  static constexpr float cs_[] = {2.44357798e-05f, -0.00138873409f, 0.0416666456f};
  static constexpr float sn_[] = {2.71819135e-06f, -0.000198393202f, 0.00833332911f, -0.166666672f};
  const V s = O::mul(rh, rh), half = O::set1(0.5f), one = O::set1(1.0f);
  const V hl = O::fma(rh, rh, O::neg(s));  // s + hl = rh^2
  sl = O::fma(O::mul(rh, s), horner<O>(s, sn_), O::fma(O::mul(rl, O::neg(half)), s, rl));
  ch = O::fma(s, O::neg(half), one);
  const V wl = O::fma(s, O::neg(half), O::sub(one, ch));
  cl = O::fma(O::neg(rl), rh, O::fma(O::mul(s, s), horner<O>(s, cs_), O::fma(hl, O::neg(half), wl)));
}

// sin x and cos x in float lanes for |x| < 2^12 (beyond, and inf and NaN,
// SLEEF's): by n mod 4, sin x = sign(x) (sin r, cos r, -sin r, -cos r) and
// cos x = (cos r, -sin r, -cos r, sin r).
template <bool Sin, class O = VF> VM_INLINE typename O::V sincos_core(typename O::V x, typename O::V a) {
  using V = typename O::V;
  V rh, rl, sl, ch, cl;
  const V k = trig_reduce<O>(a, rh, rl);
  sincos_reduced<O>(rh, rl, sl, ch, cl);
  const V sn = O::add(rh, sl), cs = O::add(ch, cl);
  const auto odd = O::bit_set(k, 0);
  V r;
  if constexpr (Sin) {
    r = O::xor_sign(O::sel(odd, cs, sn), O::xor_sign(O::bit_to_sign(k, 1), x));
  } else {
    // the sign flips for n mod 4 in {1, 2}: bit 1 of n + 1 (k + 1 exact)
    r = O::xor_sign(O::sel(odd, sn, cs), O::bit_to_sign(O::add(k, O::set1(1.0f)), 1));
  }
  return r;
}

template <bool Sin> VM_INLINE VF::V sincos_f32(VF::V x) {
  const VF::V a = VF::abs(x), r = sincos_core<Sin>(x, a);
  const auto ok = VF::gt(VF::set1(kTrigSmall), a);
  return VF::all(ok) ? r : VF::sel(ok, r, Fns<VF>::unary[int(Sin ? VFn::Sin : VFn::Cos)](x));
}

// sin and cos on AVX2 two vectors a step (O: VF::Pair) where every lane is
// below 2^12; false (r untouched) elsewhere. The same bits; with
// unary_kernel_sched, in cache 0.90-0.91x the time of sin a vector a step
// and 0.92x of cos's (cos two a step without it 0.96-0.97x).
template <bool Sin, class O> VM_INLINE bool sincos_mid(typename O::V x, typename O::V& r) {
  const typename O::V a = O::abs(x);
  if (!O::all(O::gt(O::set1(kTrigSmall), a))) return false;
  r = sincos_core<Sin, O>(x, a);
  return true;
}

// float32 tan x in double lanes (half a float vector) for |x| < 2^12 and
// +-0: x = n pi/2 + r with n = round(x 2/pi) and r by two fused
// multiply-adds (pi/2 as P1 + P2, doubles: n P1 is exact within the fma,
// r1 = x - n P1 is rounded once, to within 2^-53 |r1|, and |r1 - r| <
// 2^-41), then tan r = r (a0 + a1 s) / (1 + b1 s + b2 s^2), s = r^2, and
// for odd n -1/tan r: one division, its operands swapped by n's parity.
// The rational is a minimax fit of tan(r)/r on |r| <= pi/4 made for this
// library (2^-26.07 relative; a0 is free, so the error equioscillates at
// one more point): every float in (0, 2^12) within 0.7372 ulp (the float
// lanes' compensated form of sessions 25-29 had 0.8922). Session 31 (Zen
// 5, in cache, 1 thread), against that form: AVX-512 0.87x the time (37
// arithmetic operations a vector of 16 there, 20 and 4 conversions here;
// 512-bit arithmetic issues 2 a cycle and binds both), AVX2 0.96-1.0x;
// 64M float32 from memory at 2 threads 0.81-0.85x. A degree 2 numerator
// (2^-35) took 1.08x the time, the quotient as a reciprocal estimate and
// a correction 1.18x (two more operations a half; the divider runs beside
// the pipes), and without P2 it erred by 35 ulp (at 252.898209).
template <class D> VM_INLINE typename D::V tan_pd(typename D::V x) {
  using V = typename D::V;
  const V shift = D::set1(0x1.8p52), k = D::fma(x, D::set1(0x1.45f306dc9c883p-1), shift), n = D::sub(k, shift);
  const V r = D::fma(n, D::set1(-0x1.1a62633145c07p-54), D::fma(n, D::set1(-0x1.921fb54442d18p+0), x));
  const V s = D::mul(r, r);
  const V num = D::mul(r, D::fma(D::set1(-0.0958017809378287), s, D::set1(0.9999999858349207)));
  const V den = D::fma(D::fma(D::set1(0.00971686140349858), s, D::set1(-0.4291357860483516)), s, D::set1(1.0));
  const auto odd = D::bit_set(k, 0);
  return D::div(D::diff_or(odd, D::set1(0.0), den, num), D::sel(odd, num, den));
}

// Where tan_pd takes x (|x| < 2^12): one integer test.
VM_INLINE VF::M tan_in_range(VF::V x) { return VF::template bits_in<0, 0x45800000>(VF::abs(x)); }

// tan_pd on a float vector, its halves widened in registers.
VM_INLINE VF::V tan_f32(VF::V x) {
  const VF::V r = VF::from_pd(tan_pd<VD>(VF::lo_pd(x)), tan_pd<VD>(VF::hi_pd(x)));
  const auto ok = tan_in_range(x);
  return VF::all(ok) ? r : VF::sel(ok, r, Fns<VF>::unary[int(VFn::Tan)](x));
}

// x^y for positive finite x and finite y: 2^t, t = y log2 x clamped to
// [-200, 200] (float results are 0 or inf beyond; a relative error of
// 2^-39.6 in log2 x moves |t| <= 150 by 2^-32). On AVX2 neither takes a
// table, whose 16-double lookups (4 permutes and 3 blends a vector of 4)
// bound the time on Zen 3: log2 x by log2_div, and 2^t = 2^n 2^f (n =
// round(t), |f| <= 1/2) with 2^f = 1 + f Q(f), Q of degree 6 (2^-34.3
// relative), n added to the exponent's bits. In-process A/B (1M float32 in
// cache, 1 thread, best of 9): the exponential 0.80-0.97x the time (six
// runs, median 0.84x), then the log 0.74-0.78x (three runs); session 23,
// both polynomials of the degree the bound needs (they were series to f^10
// and s^17, 2^-41 and 2^-50): 0.88x (two runs), the float32 sweep's worst
// 0.5007 ulp (was 0.5000); then each polynomial by Horner's rule, not
// horner2: four chains interleaved hide the latency, and horner2's extra
// live values spilled registers: 0.94-0.95x (two runs; session 24's
// pow_block with horner2 for 2^f: 1.045-1.05x); n put in by kd's bits
// shifted left by 52 (VD::add_shl52, no fma for 16 n) and split_sqrt2's m
// from u's mantissa bits (an and and an add, not a shift and two
// subtractions): the same bits, 0.98-0.99x and 0.97-0.98x (two runs
// each); no clamp of t where every |y| is below 6: 0.94-0.95x (two runs).
// Session 24: pow_block (below), the same bits, 0.80x in all.
//
// log2 x for a positive normal double on AVX2: x = 2^k m with m in
// [sqrt(1/2), sqrt(2)), s = (m - 1)/(m + 1) (m - 1 and m + 1 exact: m has
// float's 24 bits; one rounding in the division), log2 m = s (2/ln2 + z
// P(z)), z = s^2 (|s| <= 0.172), P of degree 4: k + log2 m within 2^-44.9
// relative, also next to 1 (degree 3: 2^-37.6, too close to the 2^-37.6
// that |t| = 150 allows). The polynomials of pow: fits to the relative
// error (Lawson's reweighted least squares on Chebyshev nodes, made for
// this library).
template <class D> VM_INLINE typename D::V log2_div_s(typename D::V x, typename D::V& k) {
  using V = typename D::V;
  const V m = D::split_sqrt2(x, k), one = D::set1(1.0);
  return D::div(D::sub(m, one), D::add(m, one));
}
template <class D> VM_INLINE typename D::V log2_div_poly(typename D::V s, typename D::V k) {
  using V = typename D::V;
  static constexpr double q[] = {0.2825298693895235, 0.3199354516393952, 0.4122083856941766, 0.5770779533439291,
                                 0.9617966940573225};
  const V z = D::mul(s, s);
  return D::add(k, D::fma(D::mul(s, z), horner<D>(z, q), D::mul(s, D::set1(2.8853900817779268))));
}
// log2_div_s gives s and k, log2_div_poly k + log2 m.
template <class D> VM_INLINE typename D::V log2_div(typename D::V x) {
  typename D::V k;
  const typename D::V s = log2_div_s<D>(x, k);
  return log2_div_poly<D>(s, k);
}
// 2^t for |t| <= 200 (t clamped), or below 6 * 149 (2^n still normal).
template <class D> VM_INLINE typename D::V pow_exp2(typename D::V t) {
  using V = typename D::V;
  static constexpr double c[] = {1.5196156568746122e-05, 0.00015466756326490937, 0.0013333935055474498,
                                 0.009618038132028245,   0.0555041036599154,     0.24022651066561376,
                                 0.6931471807045329,     1.0};
  const V shift = D::set1(0x1.8p52), kd = D::add(t, shift), n = D::sub(kd, shift), f = D::sub(t, n);
  return D::add_shl52(horner<D>(f, c), kd);
}
// pow_core on AVX2 (D: VD or VD::Pair::Pair).
template <class D> VM_INLINE typename D::V pow_core_w4(typename D::V x, typename D::V y) {
  return pow_exp2<D>(D::min(D::set1(200.0), D::max(D::set1(-200.0), D::mul(y, log2_div<D>(x)))));
}
// pow_core of kPowBlock steps of 16 floats at x and y (AVX2's VD as D,
// its VF as F) stored at o where every x is positive finite and every y
// finite (false, nothing stored, where not): each step's four double
// vectors as one chain of D::Pair::Pair, the same bits as pow_core on each.
// In three passes over the steps: k and s = (m - 1)/(m + 1), then t = y
// log2 x, then 2^t: chains of a third of the latency where each step's
// log and exponential were one, so that the core's window holds more of
// them. The block's lanes are checked at once by the least and greatest
// bits of x and of |y|, and the clamp of t left out where every |y| < 6
// (it changes no float result). In-process A/B (1M float32 in cache, 1
// thread, best of 9, two runs each; power = x^x over [0.1, 4), power_h =
// x^0.5): two passes (t, then 2^t) 0.90x and 0.87x the time of each step
// at once (pow_core_halves); three 0.91-0.92x and 0.90-0.91x; the check a
// block 0.96x and 0.97x. Blocks of 4 or 16 steps, four passes (2^t's n
// and f apart), two steps at a time (VD::Pair) in each pass, and passes
// interleaved (the next step's division beside this one's polynomials)
// were each as fast or slower. SX or SY: that operand a scalar (2 W
// kPowBlock copies at x or y), checked once; a scalar base's log2 taken
// once (power_b, 0.5^x: 0.60x the time).
constexpr int kPowBlock = 8;
template <class D, bool SX = false, bool SY = false, class F = VF>
VM_INLINE bool pow_block(const float* x, const float* y, float* o) {
  using Q = typename D::Pair::Pair;
  constexpr int W = F::W;
  auto ld = [](const float* p) {
    return typename Q::V{{F::lo_pd_at(p), F::hi_pd_at(p)}, {F::lo_pd_at(p + W), F::hi_pd_at(p + W)}};
  };
  typename F::V xlo = F::load(x), xhi = xlo, ya = F::abs(F::load(y));
  for (int i = W; i < 2 * W * kPowBlock; i += W) {
    if constexpr (!SX) {
      const typename F::V v = F::load(x + i);
      xlo = F::min_bits(xlo, v), xhi = F::max_bits(xhi, v);
    }
    if constexpr (!SY) ya = F::max_bits(ya, F::abs(F::load(y + i)));
  }
  const typename F::V inf = F::set1(__builtin_inff());
  if (!F::all(F::mand(F::mand(F::gt(xlo, F::set1(0.0f)), F::gt(inf, xhi)), F::gt(inf, ya)))) return false;
  const bool small = F::all(F::gt(F::set1(6.0f), ya));
  auto tofy = [small](typename Q::V y, typename Q::V l) {
    typename Q::V t = Q::mul(y, l);
    if (!small) t = Q::min(Q::set1(200.0), Q::max(Q::set1(-200.0), t));
    return t;
  };
  typename Q::V t[kPowBlock], k[kPowBlock];
  if constexpr (SX) {
    // a scalar base (its 2 W kPowBlock copies at x): log2 x once
    const typename Q::V s0 = log2_div_s<Q>(ld(x), k[0]), l = log2_div_poly<Q>(s0, k[0]);
    for (int s = 0; s < kPowBlock; s++) t[s] = tofy(ld(y + 2 * W * s), l);
  } else {
    for (int s = 0; s < kPowBlock; s++) t[s] = log2_div_s<Q>(ld(x + 2 * W * s), k[s]);
    for (int s = 0; s < kPowBlock; s++) t[s] = tofy(ld(y + 2 * W * s), log2_div_poly<Q>(t[s], k[s]));
  }
  for (int s = 0; s < kPowBlock; s++) {
    const typename Q::V q = pow_exp2<Q>(t[s]);
    F::store_pd_halves(o + 2 * W * s, q.a.a, q.a.b);
    F::store_pd_halves(o + 2 * W * s + W, q.b.a, q.b.b);
  }
  return true;
}
VM_INLINE VD::V pow_core(VD::V x, VD::V y) {
  if constexpr (VF::W == 8) {
    return pow_core_w4<VD>(x, y);
  } else {
    const VD::V t = VD::min(VD::set1(200.0), VD::max(VD::set1(-200.0), VD::mul(y, log2_core(x))));
    VD::V s, q;
    exp2_tab(t, s, q);
    return VD::fma(s, q, s);
  }
}

// Where pow_core takes the lanes as they are: |x| (ax) positive finite and y finite.
VM_INLINE VF::M pow_finite(VF::V ax, VF::V y) {
  const VF::V inf = VF::set1(__builtin_inff());
  return VF::mand(VF::mand(VF::gt(ax, VF::set1(0.0f)), VF::gt(inf, ax)), VF::gt(inf, VF::abs(y)));
}
// Every lane of x positive finite and of y finite: pow_core alone.
VM_INLINE bool pow_ordinary(VF::V x, VF::V y) { return VF::all(pow_finite(x, y)); }

// pow_core's arguments for pow_f32: |x| and y where pow_finite, else 1 and 1.
VM_INLINE void pow_args(VF::V x, VF::V y, VF::V& a, VF::V& b) {
  const VF::V one = VF::set1(1.0f), ax = VF::abs(x);
  const auto fin = pow_finite(ax, y);
  a = VF::sel(fin, ax, one), b = VF::sel(fin, y, one);
}
// pow_f32's result from r, pow_core of pow_args.
VM_INLINE VF::V pow_fix(VF::V x, VF::V y, VF::V r) {
  using V = VF::V;
  const V zero = VF::set1(0.0f), one = VF::set1(1.0f), inf = VF::set1(__builtin_inff());
  const V ax = VF::abs(x), ay = VF::abs(y);
  const auto fin = pow_finite(ax, y);
  const V w = VF::sel(VF::gt(one, ax), VF::neg(y), y);  // y times the sign of log |x|
  r = VF::sel(fin, r, VF::sel(VF::gt(w, zero), inf, zero));
  r = VF::sel(VF::mand(VF::eq(ax, one), VF::eq(ay, inf)), one, r);
  const V h = VF::mul(y, VF::set1(0.5f));
  const auto whole = VF::eq(VF::round(y), y), even = VF::eq(VF::round(h), h);  // inf counts as even
  const auto negx = VF::gt(zero, VF::xor_sign(one, x));                          // -0 too
  r = VF::sel(VF::mand(negx, whole), VF::sel(even, r, VF::neg(r)), r);
  r = VF::sel(VF::mand(VF::gt(zero, x), VF::gt(inf, ax)), VF::sel(whole, r, VF::set1(__builtin_nanf(""))), r);
  r = VF::sel(VF::unord(x, y), VF::add(x, y), r);
  return VF::sel(VF::eq(y, zero), one, VF::sel(VF::eq(x, one), one, r));
}
// x^y in float lanes, with C's (and MLX's) special values. Positive finite
// x with finite y (every lane, in the common case) is pow_core alone.
// Otherwise pow_core gives |x|^y where |x| is positive finite and y finite;
// a zero or infinite |x| or an infinite y gives inf where y and log |x| have
// the same sign and 0 where not; a negative x takes the sign of -1 to an odd
// whole y and gives NaN for a y that is not whole; (+-1)^(+-inf) = 1, a NaN
// makes NaN, and x^0 = 1^y = 1 (NaN too).
VM_INLINE VF::V pow_f32(VF::V x, VF::V y) {
  using V = VF::V;
  auto core = [](V a, V b) { return via_pd(a, b, [](VD::V p, VD::V q) { return pow_core(p, q); }); };
  if (pow_ordinary(x, y)) return core(x, y);
  V a, b;
  pow_args(x, y, a, b);
  return pow_fix(x, y, core(a, b));
}
// pow_f32 of two float vectors (AVX2's VD as D), the four double vectors
// of pow_core as one chain (as pow_block's steps): the same bits. Where
// every x is finite and nonzero and every y finite (negative bases: x^2 of
// signed data), pow_fix reduces to the sign of -1 to a whole y and NaN for
// a y not whole, for x < 0 (pow_core gives 1 exactly at y = 0 and at |x|
// = 1). In-process A/B, x^2 over [-4, 4) (1M float32 in cache, 1 thread):
// 0.73x the time of pow_f32 a vector a step, then the short fix 0.765x.
template <class D> VM_INLINE void pow_f32_pair(VF::V x0, VF::V y0, VF::V x1, VF::V y1, VF::V& r0, VF::V& r1) {
  using Q = typename D::Pair::Pair;
  const VF::V zero = VF::set1(0.0f), ax0 = VF::abs(x0), ax1 = VF::abs(x1);
  auto run = [](VF::V a0, VF::V b0, VF::V a1, VF::V b1) {
    return pow_core_w4<Q>({{VF::lo_pd(a0), VF::hi_pd(a0)}, {VF::lo_pd(a1), VF::hi_pd(a1)}},
                          {{VF::lo_pd(b0), VF::hi_pd(b0)}, {VF::lo_pd(b1), VF::hi_pd(b1)}});
  };
  if (VF::all(VF::mand(pow_finite(ax0, y0), pow_finite(ax1, y1)))) {
    const typename Q::V q = run(ax0, y0, ax1, y1);
    auto sign = [zero](VF::V x, VF::V y, VF::V r) {
      const VF::V h = VF::mul(y, VF::set1(0.5f));
      const auto whole = VF::eq(VF::round(y), y), even = VF::eq(VF::round(h), h);
      return VF::sel(VF::gt(zero, x), VF::sel(whole, VF::sel(even, r, VF::neg(r)), VF::set1(__builtin_nanf(""))), r);
    };
    r0 = sign(x0, y0, VF::from_pd(q.a.a, q.a.b)), r1 = sign(x1, y1, VF::from_pd(q.b.a, q.b.b));
    return;
  }
  VF::V a0, b0, a1, b1;
  pow_args(x0, y0, a0, b0), pow_args(x1, y1, a1, b1);
  const typename Q::V q = run(a0, b0, a1, b1);
  r0 = pow_fix(x0, y0, VF::from_pd(q.a.a, q.a.b)), r1 = pow_fix(x1, y1, VF::from_pd(q.b.a, q.b.b));
}

// float erf in float lanes: below 1/2, x + x q(x^2); on [1/2, 4),
// fourteen intervals of width 1/4, each a degree-6 polynomial in t = |x| -
// center (2^-27.8 relative) whose constant term is split in two floats (the
// sum keeps 0.5 ulp); from 3.92 on, erf rounds to 1. Least-squares fits
// (made for this library) on Chebyshev nodes.
VM_INLINE VF::V erf_f32(VF::V x) {
  using V = VF::V;
  static constexpr float q[] = {0.000107768043f, -0.00085032708f, 0.00522317598f, -0.026866097f,
                                0.112837911f,    -0.376126379f,   0.128379166f};
  // Row 0: the constant term's low part; rows 1-7: coefficients of t^0..t^6 per interval.
  alignas(64) static constexpr float tab[8][16] = {
      {-5.9339591e-09f, -2.02875707e-08f, 1.52094621e-08f, 6.90458712e-09f, -8.55809557e-09f, 2.78574888e-08f, -1.3342321e-08f, 2.83955526e-08f, 2.18697345e-08f, 7.69008413e-09f, -2.36353181e-09f, -2.71420539e-08f, 2.88304247e-09f, 1.7090704e-08f, 1.7090704e-08f, 1.7090704e-08f},
      {0.623240888f, 0.784075081f, 0.888388216f, 0.948170066f, 0.978443742f, 0.99199003f, 0.997345984f, 0.999217033f, 0.999794602f, 0.999952137f, 0.999990106f, 0.999998212f, 0.999999702f, 0.99999994f, 0.99999994f, 0.99999994f},
      {0.763499558f, 0.524745047f, 0.318273962f, 0.170359775f, 0.0804722533f, 0.0335458256f, 0.0123408195f, 0.004006478f, 0.00114787545f, 0.00029022852f, 6.47588095e-05f, 1.27517887e-05f, 2.21593518e-06f, 3.39826215e-07f, 3.39826215e-07f, 3.39826215e-07f},
      {-0.477187216f, -0.459151924f, -0.358058214f, -0.234244689f, -0.13076742f, -0.0628984272f, -0.0262242425f, -0.00951538421f, -0.00301317219f, -0.00083440647f, -0.000202371011f, -4.30371838e-05f, -8.03273269e-06f, -1.31681804e-06f, -1.31681804e-06f, -1.31681804e-06f},
      {-0.0556750335f, 0.0929193199f, 0.16245012f, 0.157938018f, 0.114842042f, 0.0674422309f, 0.0330378376f, 0.0137305073f, 0.00489027007f, 0.00150241388f, 0.000399957993f, 9.25591885e-05f, 1.86663929e-05f, 3.2866094e-06f, 3.2866094e-06f, 3.2866094e-06f},
      {0.176457658f, 0.112397164f, 0.027975278f, -0.0304992069f, -0.0497186705f, -0.0422603488f, -0.0263612848f, -0.0131334104f, -0.00541430619f, -0.00188171561f, -0.000557537249f, -0.000141869852f, -3.11619187e-05f, -5.93056257e-06f, -5.93056257e-06f, -5.93056257e-06f},
      {-0.0270198453f, -0.0666887909f, -0.0610505976f, -0.0306454115f, -0.00231001992f, 0.0113225942f, 0.0124421343f, 0.00836069975f, 0.00423715916f, 0.00172829046f, 0.000584557536f, 0.000166693615f, 4.04948514e-05f, 8.43944872e-06f, 8.43944872e-06f, 8.43944872e-06f},
      {-0.0411279947f, -0.0104271444f, 0.0153415995f, 0.0220229402f, 0.0143957734f, 0.0041514067f, -0.00177652808f, -0.00309472275f, -0.00224565249f, -0.00114445877f, -0.000455929723f, -0.000148195482f, -4.01850266e-05f, -9.21248557e-06f, -9.21248557e-06f, -9.21248557e-06f}};
  const V a = VF::abs(x), quarter = VF::set1(0.25f);
  const auto small = VF::gt(VF::set1(0.5f), a);
  // The series always (cheap): a branch on whether some lane needs it is
  // taken at random on mixed inputs, and each misprediction in a stream also
  // drops the loads in flight after it.
  V r = VF::fma(a, horner<VF>(VF::mul(a, a), q), a);
  if (!VF::all(small)) {
    // the interval j = floor(4 |x| - 2) in [0, 13] (NaN: any; the result is NaN)
    const V jf = VF::trunc(VF::min(VF::set1(13.0f), VF::max(VF::fma(a, VF::set1(4.0f), VF::set1(-2.0f)), VF::set1(0.0f))));
    const V t = VF::sub(a, VF::fma(jf, quarter, VF::set1(0.625f)));
    V p = VF::lookup16(tab[7], jf);
    for (int i = 6; i >= 2; i--) p = VF::fma(p, t, VF::lookup16(tab[i], jf));
    const V big = VF::add(VF::lookup16(tab[1], jf), VF::fma(p, t, VF::lookup16(tab[0], jf)));
    r = VF::sel(small, r, VF::sel(VF::gt(a, VF::set1(3.92f)), VF::set1(1.0f), big));
  }
  return VF::sel(VF::unord(x, x), x, VF::copysign(r, x));
}

// AVX2's float erf in one chain of fused multiply-adds a lane, with its
// coefficients looked up in tables of 8 (one lane-crossing permute each,
// where erf_f32's sixteen intervals take two and a blend: on Zen 3 the
// permutes share one pipe). Interval j = round(2|x| - 1/2), in the low bits
// of j + 1.5 2^23, which is all the permute reads: j = 0 (|x| <= 1/2) takes
// |x| + |x| q(x^2), q of degree 5 (2^-30 relative); j = 1..7, [1/2, 4) in
// intervals of width 1/2, a degree-6 polynomial in t = |x| - c_j, c_j = j/2
// + 0.248289794, a float for which every erf(c_j) lies within 0.067 ulp of
// a float (searched), so that the constant term is one float (2^-25
// relative in interval 1, 2^-27.3 or better beyond; coefficients rounded to
// float one by one with a refit). Session 25: this (0.96 ulp, every float32
// input checked) where a degree-7 polynomial with its constant term in two
// floats kept 0.75 ulp: 0.82-0.83x the time; the degree-7 polynomial on
// these centres with one float at t^0 took 1.11x this one's time. From
// 3.92 on, erf rounds to 1: |x| is clamped to 3.98, where interval 7's
// polynomial gives 1, so that no select follows (a NaN passes the min,
// quieted). Least-squares fits on Chebyshev nodes, weighted to the relative
// error (made for this library, mpmath). The series in its own chain took
// 1.1x the time.
template <class O> VM_INLINE typename O::V erf_ff(typename O::V x) {
  using V = typename O::V;
  // Row 0: the constant term; rows 1-6: coefficients of t^1..t^6 per interval
  // (interval 0: 0 and the series' q(s) from s^0 to s^5).
  alignas(32) static constexpr float tab[7][8] = {
      {0.0f, 0.710054696f, 0.922494769f, 0.986581147f, 0.998525023f, 0.999898374f, 0.999995649f, 0.999999881f},
      {0.128379166f, 0.644581079f, 0.237533927f, 0.0530915186f, 0.0071974569f, 0.000591833901f, 2.95202553e-05f, 8.92512048e-07f},
      {-0.376126289f, -0.482333153f, -0.296511203f, -0.0928197578f, -0.0161822028f, -0.00162690633f, -9.61094993e-05f, -2.84157181e-06f},
      {0.112835392f, 0.0256940722f, 0.167563543f, 0.0905070528f, 0.0218578428f, 0.00278050313f, 0.000197152433f, 8.07055494e-06f},
      {-0.0268406197f, 0.151140824f, -0.00573465647f, -0.0481544137f, -0.0191711877f, -0.00326826703f, -0.000281593413f, -3.00620613e-05f},
      {0.005107556f, -0.0509737991f, -0.0469864458f, 0.00587441027f, 0.0106099891f, 0.00284408964f, 0.000335969729f, 1.93987162e-05f},
      {-0.000631553645f, -0.0269054826f, 0.0206263438f, 0.0090319775f, -0.00284968759f, -0.00179208908f, -0.00034135516f, 0.000125955325f}};
  const V a = O::min(O::set1(3.98f), O::abs(x));
  const auto small = O::gt(O::set1(0x1.000002p-1f), a);  // a <= 1/2, where j = 0 (a tie goes to even)
  // j's bits (from 4 on and for NaN any: those lanes are replaced)
  const V shift = O::set1(0x1.8p23f), jb = O::add(O::fma(a, O::set1(2.0f), O::set1(-0.5f)), shift);
  const V t = O::sub(a, O::fma(O::sub(jb, shift), O::set1(0.5f), O::set1(0.248289794f)));
  const V u = O::sel(small, O::mul(a, a), t);
  V p = O::lookup8(tab[6], jb);
  for (int i = 5; i >= 1; i--) p = O::fma(p, u, O::lookup8(tab[i], jb));
  const V r = O::fma(p, O::sel(small, a, t), O::sel(small, a, O::lookup8(tab[0], jb)));
  return O::xor_sign(r, x);  // r is +0 or more
}

// float tanh in float lanes, one formula for every a = |x| (clamped to
// 9.1, past 9.02 where tanh rounds to 1): tanh a = N / D with E = e^-2a =
// 2^n (1 + p), n = round(-2a log2 e) held to -24 or more (max on the
// rounding shift's kn), -2a = n ln2 + r (h = a + n ln2_hi / 2 exact, as in
// exp_reduce), p = r + r^2 P(r); N = 1 - E and D = 1 + E = 2 - N, each an
// exact sum hi + lo (fast two-sums). 1 - 2^n is exact (r reaches -1.6 for
// a in [8.49, 9.1], where 1 + p is off by up to 2^-8: N by 2^-32, 2^-8
// ulp; tanh there is 1 - 2^-24 or 1). Next to 0, n = 0 and r = -2a
// exactly, so N keeps its relative precision. r/2 = n ln2_lo / 2 - h by
// one fused multiply-add, with P's coefficients scaled by powers of 2 for
// it and 2^(n+1) from kn's bits (a NaN's kn gives any 2^n: h is NaN); N =
// (u - 2^n r) - 2^n r^2 P(r) for u = 1 - 2^n, u - 2^n r an exact two-sum
// beside P, so that P's term joins one add later (0.956-0.958x); then q0 =
// nh / dh by one division and one correction that takes both low parts,
// its factor the estimate of 1/dh. Max 0.9369 ulp over every float32. A
// NaN passes through (the min keeps it). O: VF, or on AVX2 VF::Pair::Pair
// through tanh_mid. Session 25 (AVX2; AVX-512 since session 29, 0.97x the
// time, the same maximum): fewer operations and shorter chains than n
// unclamped, 2^n by scaling and p rounded to ph + pl, and the quotient
// from the reciprocal to 2^-27 (0.90x the time with four vectors a step).
template <class O> VM_INLINE typename O::V tanh_core(typename O::V x) {
  using V = typename O::V;
  static constexpr float pp[] = {32 * kExpP[0], 16 * kExpP[1], 8 * kExpP[2], 4 * kExpP[3], 2 * kExpP[4]};
  const V one = O::set1(1.0f), two = O::set1(2.0f), shift = O::set1(0x1.8p23f);
  const V a = O::min(O::set1(9.1f), O::abs(x));
  const V kn = O::max(O::fma(a, O::set1(-2.88539008f), shift), O::set1(0x1.8p23f - 24.0f));
  const V n = O::sub(kn, shift);
  const V h = O::fma(n, O::set1(0.346573591f), a);
  const V rh = O::fma(n, O::set1(0.5f * 1.90465430e-09f), O::neg(h));
  const V s2 = O::scale_bits(two, kn), sr = O::mul(s2, rh);
  const V u = O::fma(s2, O::set1(-0.5f), one);
  const V w = O::sub(u, sr), wl = O::sub(O::sub(u, w), sr);
  const V st = O::mul(O::mul(s2, O::mul(rh, rh)), horner<O>(rh, pp));
  const V nh = O::sub(w, st), nl = O::add(O::sub(O::sub(w, nh), st), wl);
  const V dh = O::sub(two, nh);
  const V dl = O::sub(O::sub(O::sub(two, dh), nh), nl);
  const V q0 = O::div(nh, dh), e = O::sub(O::fma(O::neg(q0), dh, nh), O::fma(q0, dl, O::neg(nl)));
  return O::xor_sign(O::fma(e, O::rcp_est(dh), q0), x);  // +0 or more
}

// tanh on AVX2 (O: VF or VF::Pair): every lane takes tanh_core; never false.
template <class O> VM_INLINE bool tanh_mid(typename O::V x, typename O::V& r) {
  r = tanh_core<O>(x);
  return true;
}

// logaddexp in float lanes: max + log1p(e), e = e^-|x - y| in [0, 1] by
// exp_neg, with the rounding error of x - y (two-sum) put into its argument;
// log1p(e) = e + e^2 Q(e), Q a least-squares fit made for this library
// (2^-27 relative on [0, 1]). Equal arguments (also equal infinities) give
// max + log 2, -inf with -inf stays -inf, and a NaN on either side gives NaN.
constexpr float kLaeQ[] = {0.00197942927f, -0.0131511483f, 0.040927805f,  -0.0817866251f, 0.123712368f,
                           -0.160846025f,  0.198849961f,   -0.249863669f, 0.333324879f,   -0.499999791f};

// logaddexp_f32 where |x - y| < 86 in every lane, on AVX2 (O: VF or
// VF::Pair); false (r untouched) elsewhere: min - max = -|x - y| as a
// two-sum (t + tl) and e = e^(t + tl) by exp_mid, the same bits as
// exp_neg there. Where t > -86 x and y are finite: max(x, y) is y and
// min(y, x) is x when either is NaN, so a NaN on either side makes t NaN.
// Q by Horner's rule: Estrin's scheme (the pairs of coefficients all
// negative on [0, 1]) took 0.92-1.0x the time but 2.70 ulp at 20,000
// samples a binade (2.41 with Horner; bound 2.5), Horner in two parts 2.50.
template <class O> VM_INLINE bool logaddexp_mid(typename O::V x, typename O::V y, typename O::V& r) {
  using V = typename O::V;
  const V m = O::max(x, y);
  // mn - m = t + tl, two_diff's sum with -m - bb as -(m + bb): no negation
  // (the same bits but NaN payloads; 0.977x the time)
  const V mn = O::min(y, x), t = O::sub(mn, m), bb = O::sub(t, mn);
  if (!O::all(O::gt(t, O::set1(-86.0f)))) return false;
  const V tl = O::sub(O::sub(mn, O::sub(t, bb)), O::add(m, bb));
  const V e = exp_mid<O>(t, tl);
  r = O::add(m, O::fma(O::mul(e, e), horner<O>(e, kLaeQ), e));
  return true;
}

VM_INLINE VF::V logaddexp_f32(VF::V x, VF::V y) {
  using V = VF::V;
  if constexpr (VF::W == 8) {
    V r;
    if (logaddexp_mid<VF>(x, y, r)) return r;
  }
  const V m = VF::max(x, y);
  const V s = VF::sub(x, y), bb = VF::sub(s, x);
  V err = VF::sub(VF::sub(x, VF::sub(s, bb)), VF::add(y, bb));
  // x - y finite (so x and y are): nothing special in any lane
  const bool ordinary = VF::all(VF::eq(VF::sub(s, s), VF::set1(0.0f)));
  if (!ordinary) err = VF::sel(VF::unord(err, err), VF::set1(0.0f), err);
  const V d = ordinary ? VF::abs(s) : VF::sel(VF::eq(x, y), VF::set1(0.0f), VF::abs(s));
  const V e = exp_neg(d, VF::neg(VF::xor_sign(err, s)));  // |x - y| = |s| + sign(s) err
  V r = VF::add(m, VF::fma(VF::mul(e, e), horner<VF>(e, kLaeQ), e));
  if (ordinary) return r;
  r = VF::sel(VF::eq(m, VF::set1(-__builtin_inff())), m, r);
  return VF::sel(VF::unord(x, y), VF::add(x, y), r);
}

// Inverse error function in float lanes: the single-precision minimax
// polynomials in t = log(1 - y^2) that the scalar path (and MLX) use, t by
// erfinv_log on AVX2 (within 0.5632 ulp), log_sum on AVX-512 (about 0.55).
// The C library's logf that MLX calls is not correctly rounded either:
// over 4M uniform draws in (-1, 1) the results differ from the scalar
// path's (glibc's logf) in 0.0395% of them (log_sum's 8 intervals 0.0338%,
// its 16 0.0335%, a correctly rounded log 0.034%); the seeded normal draws
// in the tests match MLX's.
// erfinv's body polynomial in t (|t| <= 6.125).
template <class O> VM_INLINE typename O::V erfinv_body(typename O::V t) {
  static constexpr float body[] = {1.43285448e-7f, 1.22774793e-6f, 1.12963626e-7f, -5.61530760e-5f, -1.47697632e-4f,
                                   2.31468678e-3f, 1.15392581e-2f, -2.32015476e-1f, 8.86226892e-1f};
  typename O::V q = O::set1(5.43877832e-9f);
  for (float c : body) q = O::fma(q, t, O::set1(c));
  return q;
}

// erfinv's polynomials in t, times y.
template <class O> VM_INLINE typename O::V erfinv_poly(typename O::V y, typename O::V t) {
  using V = typename O::V;
  static constexpr float tail[] = {2.93243101e-8f, 1.22150334e-6f, 2.84108955e-5f, 3.93552968e-4f, 3.02698812e-3f,
                                   4.83185798e-3f, -2.64646143e-1f, 8.40016484e-1f};
  const V q = erfinv_body<O>(t);
  // the tail's polynomial only when a lane needs it (|y| above about 0.9989)
  const auto far = O::gt(O::abs(t), O::set1(6.125f));
  if (!O::any(far)) return O::mul(y, q);
  V p = O::set1(3.03697567e-10f);
  for (float c : tail) p = O::fma(p, t, O::set1(c));
  return O::mul(y, O::sel(far, p, q));
}

// erfinv's t = log a for a in (0, 1] on AVX2 (log_sum elsewhere): log_sum's
// method (log_head, r^2 P(r) by Horner's rule) on 4 intervals where log_sum
// has 8 (but for arccosh), so that each table is one in-lane permute
// (vpermilps, bits 21-22 of a's bits less kLogTab4Off) and not a
// lane-crossing one. m in [0.6665, 1.333); the interval of 1, [0.9165,
// 1.083), takes invc = 1, the others 1.375, 1.125, 0.8125 (three and four
// bits: r exact), so |r| < 0.121. P of degree 5, a fit made for this library
// (mpmath, least squares on Chebyshev nodes reweighted toward minimax,
// coefficients rounded to float): 2^-29.8 relative to log1p on [-0.1205,
// 0.0886]. Every a in [2^-30, 1] against long double: max 0.5632 ulp
// (log_sum 0.5269), 0.030% not correctly rounded (0.009%); over 4M uniform
// draws in (-1, 1) erfinv's results differ from the scalar path's (glibc's
// logf) in 0.0395% (log_sum: 0.0338%; the float32 max 2.197 ulp as before).
// In-process A/B against log_sum: 0.968-0.973x the time (four runs).
template <class O> VM_INLINE typename O::V erfinv_log(typename O::V a) {
  static constexpr float p[] = {0x1.480422p-3f, -0x1.58ade0p-3f, 0x1.9936d0p-3f, -0x1.fffcacp-3f, 0x1.555576p-2f, -0.5f};
  if constexpr (VF::W != 8) return log_sum<O>(a, nullptr);
  else return log_head<O, kLogTab4Off>(a, kLogTab4).horner_sum(p);
}

// erfinv where |y| < 1 in every lane (O: VF or VF::Pair); false (r untouched) elsewhere.
// Where every a = 1 - y^2 exceeds 0.0022 (t above -6.12, no lane
// near the tail's -6.125), the body alone: the test on a, made before the
// log, replaces a > 0's and the one on t after it (the same bits; in-process
// A/B 0.970-0.986x the time).
template <class O> VM_INLINE bool erfinv_mid(typename O::V y, typename O::V& r) {
  using V = typename O::V;
  const V a = O::fma(O::neg(y), y, O::set1(1.0f));
  if (O::all(O::gt(a, O::set1(0.0022f)))) {
    r = O::mul(y, erfinv_body<O>(erfinv_log<O>(a)));
    return true;
  }
  if (!O::all(O::gt(a, O::set1(0.0f)))) return false;
  r = erfinv_poly<O>(y, erfinv_log<O>(a));
  return true;
}

VM_INLINE VF::V erfinv_f32(VF::V y) {
  using V = VF::V;
  V r;
  if (erfinv_mid<VF>(y, r)) return r;
  const V a = VF::fma(VF::neg(y), y, VF::set1(1.0f)), one = VF::set1(1.0f);
  // a <= 1: 0 at |y| = 1 (t = -inf), negative beyond and NaN for NaN (t = NaN)
  const auto pos = VF::gt(a, VF::set1(0.0f));
  const V t = VF::sel(pos, erfinv_log<VF>(VF::sel(pos, a, one)),
                      VF::sel(VF::eq(a, VF::set1(0.0f)), VF::set1(-__builtin_inff()), VF::set1(__builtin_nanf(""))));
  // a NaN argument comes back (quieted), whichever operand the compiler puts first in y times NaN
  return VF::sel(VF::unord(y, y), VF::add(y, y), erfinv_poly<VF>(y, t));
}

// SLEEF's double erfc (1.5 ulp), for erfinv_f64; set by make_table.
VD::V (*g_erfc)(VD::V) = nullptr;

// erfinv in double lanes. erfinv_poly's float polynomials, on SLEEF's
// double log, guess |x| to 1e-6 relative or better where 1 - y^2 >= 2^-24
// (|y| below about 1 - 2^-25; farther out they diverge); two Halley steps
// (cubic: erf'' = -2x erf') on erf, or on erfc above 0.5 (where 1 - |y| is
// exact and erf x - |y| would cancel), finish it. Below 2^-30, x = y
// sqrt(pi)/2 (the y^3 term is under 2^-61 of it; SLEEF's erf loses
// precision on subnormals). The lanes nearer 1, at or past it, and NaN take
// the scalar refinement (erfinv_scalar), which starts from a guess good
// there.
VM_INLINE VD::V erfinv_f64(VD::V y) {
  using V = VD::V;
  const V one = VD::set1(1.0), t = VD::abs(y), q = VD::sub(one, t);
  const V a = VD::mul(q, VD::add(one, t));
  // out-of-reach lanes (a NaN a included, max taking its second operand) get a harmless guess
  V x = VD::abs(erfinv_poly<VD>(t, Fns<VD>::unary[int(VFn::Log)](VD::max(a, VD::set1(0x1p-24)))));
  const auto upper = VD::gt(t, VD::set1(0.5));
  const bool any_upper = VD::any(upper), all_upper = VD::all(upper);
  for (int k = 0; k < 2; k++) {
    V f = any_upper ? VD::sub(q, g_erfc(x)) : VD::set1(0.0);
    if (!all_upper) f = VD::sel(upper, f, VD::sub(Fns<VD>::unary[int(VFn::Erf)](x), t));
    // d = f / f', f' = 2/sqrt(pi) e^-x^2; Halley: x - d / (1 + x d)
    const V d = VD::div(f, VD::mul(VD::set1(1.1283791670955126), Fns<VD>::unary[int(VFn::Exp)](VD::neg(VD::mul(x, x)))));
    x = VD::sub(x, VD::div(d, VD::fma(x, d, one)));
  }
  const auto tiny = VD::gt(VD::set1(0x1p-30), t);
  if (VD::any(tiny)) x = VD::sel(tiny, VD::fma(t, VD::set1(0x1.c5bf891b4ef6bp-1), VD::mul(t, VD::set1(-0x1.618f13eb7ca89p-55))), x);
  const V r = VD::copysign(x, y);
  if (!VD::any(VD::gt(VD::set1(0x1p-24), a)) && !VD::any(VD::unord(a, a))) return r;
  double as[VD::W], ys[VD::W], rs[VD::W];
  VD::store(as, a), VD::store(ys, y), VD::store(rs, r);
  for (int i = 0; i < VD::W; i++)
    if (!(as[i] >= 0x1p-24)) rs[i] = erfinv_scalar(ys[i]);
  return VD::load(rs);
}

// The float functions computed here (the others are SLEEF's). float log is
// the correctly rounded value but next to ties, as the C library's logf that
// MLX uses, so random draws built on it (gumbel) match MLX's.
template <int F> constexpr bool kOwnF32 =
    F == int(VFn::Log) || F == int(VFn::Log1p) || F == int(VFn::Expm1) || F == int(VFn::Sinh) ||
    F == int(VFn::Cosh) || F == int(VFn::Tanh) || F == int(VFn::Arcsinh) || F == int(VFn::Arccosh) ||
    F == int(VFn::Arctanh) || F == int(VFn::Arctan) || F == int(VFn::Tan) || F == int(VFn::Erf) ||
    F == int(VFn::Arccos) || F == int(VFn::Arcsin) || F == int(VFn::Log2) || F == int(VFn::Log10) ||
    F == int(VFn::Sigmoid) || F == int(VFn::Sin) || F == int(VFn::Cos);
template <int F> VM_INLINE VF::V own_f32(VF::V x) {
  if constexpr (F == int(VFn::Log) || F == int(VFn::Log2) || F == int(VFn::Log10)) return log_ff_f32<F, VF>(x);
  else if constexpr (F == int(VFn::Sigmoid)) {
    VF::V r;
    if (sigmoid_mid<VF>(x, r)) return r;
    return sigmoid_fl<VF>(x);
  }
  else if constexpr (F == int(VFn::Sin)) return sincos_f32<true>(x);
  else if constexpr (F == int(VFn::Cos)) return sincos_f32<false>(x);
  else if constexpr (F == int(VFn::Log1p)) return log1p_fl(x);
  else if constexpr (F == int(VFn::Expm1)) return expm1_fl<VF>(x);
  else if constexpr (F == int(VFn::Sinh) || F == int(VFn::Cosh)) {
    VF::V r;
    if (hyp_mid<VF, F == int(VFn::Sinh)>(x, r)) return r;
    return hyp_fl<F == int(VFn::Sinh)>(x);
  }
  else if constexpr (F == int(VFn::Tanh)) {
    return tanh_core<VF>(x);
  }
  else if constexpr (F == int(VFn::Arcsinh)) return asinh_f32(x);
  else if constexpr (F == int(VFn::Arccosh)) return acosh_f32(x);
  else if constexpr (F == int(VFn::Arctanh)) return atanh_f32(x);
  else if constexpr (F == int(VFn::Arctan)) return atan_f32(x);
  else if constexpr (F == int(VFn::Tan)) return tan_f32(x);
  else if constexpr (F == int(VFn::Arccos)) return acos_f32(x);
  else if constexpr (F == int(VFn::Arcsin)) return asin_f32(x);
  else if constexpr (VF::W == 8) return erf_ff<VF>(x);
  else return erf_f32(x);  // AVX-512: erf_ff took 0.66x the time but 0.9593 ulp where this has 0.6590
}

// ---- double-double sums, for the float64 kernels below ----------------------

struct DD {
  VD::V hi, lo;
};
// a + b exactly as hi + lo, where a's exponent is at least b's (or a = 0).
VM_INLINE DD fast_two_sum(VD::V a, VD::V b) {
  const VD::V s = VD::add(a, b);
  return {s, VD::add(VD::sub(a, s), b)};
}
// a + b exactly as hi + lo, for any a and b.
VM_INLINE DD two_sum(VD::V a, VD::V b) {
  const VD::V s = VD::add(a, b), bb = VD::sub(s, a);
  return {s, VD::add(VD::sub(a, VD::sub(s, bb)), VD::sub(b, bb))};
}

// ---- float64 arctangents and tan ------------------------------------------

#include "vecmath_f64_atan.h"
#include "vecmath_f64_tan.h"

// ---- float64 logs and power ------------------------------------------------

#include "vecmath_f64_log.h"

// Where SLEEF's functions stop short of the format's range: above `big`
// their results overflow or lose precision early, and the tails use
// exp(x - ln 2) with ln 2 split in two (x - ln2_hi is exact there) or
// log(x) + ln 2.
template <class VT> struct Range;
template <> struct Range<VF> {  // the other float functions with tails are computed here
  static constexpr float exp_big = 1e30f;  // float exp needs no tail
  static constexpr float ln2_hi = 6.9313812256e-01f, ln2_lo = 9.0580006145e-06f;
};
template <> struct Range<VD> {
  static constexpr double exp_big = 709.0, hyp_big = 709.0, log1p_big = 1e307, asinh_big = 1e154;
  static constexpr double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10,
                          ln2 = 0.6931471805599453094;
};

// e^x / 2 for x above hyp_big (or e^x when `twice`), without overflowing early.
template <class VT> VM_INLINE typename VT::V exp_tail(typename VT::V x, bool twice) {
  using R = Range<VT>;
  const typename VT::V e = Fns<VT>::unary[int(VFn::Exp)](VT::sub(x, VT::set1(R::ln2_hi)));
  typename VT::V r = VT::fma(e, VT::set1(-R::ln2_lo), e);
  r = VT::sel(VT::unord(r, r), e, r);  // e infinite: inf - inf
  return twice ? VT::add(r, r) : r;
}

// r, but x + c x^3 where |x| < 2^-26 (x^5's term is under 2^-100 of x
// there): SLEEF's double sinh, tanh, arcsinh and arctanh err by a whole ulp
// near 2^-53 and on subnormals. Zeros come back as they are.
template <class VT> VM_INLINE typename VT::V odd_tiny(typename VT::V x, typename VT::V r, double c) {
  const auto small = VT::gt(VT::set1(0x1p-26), VT::abs(x));
  if (!VT::any(small)) return r;
  const typename VT::V t = VT::fma(VT::mul(VT::mul(x, x), VT::set1(c)), x, x);
  return VT::sel(small, VT::sel(VT::eq(x, VT::set1(0)), x, t), r);
}

// Always inline: out of line, every call would load its constants again.
template <class VT, int F> __attribute__((always_inline)) inline typename VT::V apply1(typename VT::V x) {
  using V = typename VT::V;
  using R = Range<VT>;
  auto fn = [](VFn f) { return Fns<VT>::unary[int(f)]; };
  if constexpr (kOwnF32<F> && std::is_same_v<VT, VF>) {
    return own_f32<F>(x);
  } else if constexpr (F == int(VFn::Exp) && std::is_same_v<VT, VF> && VF::W == 8) {
    return exp_f32(x);
  } else if constexpr (F == int(VFn::Sigmoid)) {
    // e^-|x| never overflows: 1 / (1 + e) for x > 0, e / (1 + e) below.
    const V e = fn(VFn::Exp)(VT::neg(VT::abs(x)));
    const V d = VT::add(VT::set1(1), e);
    return VT::sel(VT::gt(x, VT::set1(0)), VT::div(VT::set1(1), d), VT::div(e, d));
  } else if constexpr (F == int(VFn::Erfinv)) {
    if constexpr (std::is_same_v<VT, VD>) return erfinv_f64(x);
    else return erfinv_f32(x);
  } else if constexpr (std::is_same_v<VT, VD> && (F == int(VFn::Arctan) || F == int(VFn::Arcsin) || F == int(VFn::Arccos) || F == int(VFn::Tan))) {
    if constexpr (F == int(VFn::Arctan)) return atan_f64(x);
    else if constexpr (F == int(VFn::Arcsin)) return asin_f64(x);
    else if constexpr (F == int(VFn::Arccos)) return acos_f64(x);
    else return tan_f64(x);
  } else if constexpr (F == int(VFn::Exp)) {
    const V r = fn(VFn::Exp)(x);
    const auto big = VT::gt(x, VT::set1(R::exp_big));
    return VT::any(big) ? VT::sel(big, exp_tail<VT>(x, true), r) : r;
  } else if constexpr (F == int(VFn::Sinh) || F == int(VFn::Cosh)) {
    V r = fn(VFn(F))(x);
    const auto big = VT::gt(VT::abs(x), VT::set1(R::hyp_big));
    if (VT::any(big)) {
      const V t = exp_tail<VT>(VT::abs(x), false);
      r = VT::sel(big, F == int(VFn::Sinh) ? VT::copysign(t, x) : t, r);
    }
    return F == int(VFn::Sinh) ? odd_tiny<VT>(x, r, 1.0 / 6) : r;
  } else if constexpr (F == int(VFn::Tanh) || F == int(VFn::Arctanh)) {
    return odd_tiny<VT>(x, fn(VFn(F))(x), F == int(VFn::Tanh) ? -1.0 / 3 : 1.0 / 3);
  } else if constexpr (std::is_same_v<VT, VD> && (F == int(VFn::Log) || F == int(VFn::Log2) || F == int(VFn::Log1p))) {
    return log_f64<F>(x);
  } else if constexpr (F == int(VFn::Log1p) || F == int(VFn::Arccosh)) {
    const V r = fn(VFn(F))(x);
    const auto big = VT::gt(x, VT::set1(F == int(VFn::Log1p) ? R::log1p_big : R::asinh_big));
    if (!VT::any(big)) return r;
    const V l = fn(VFn::Log)(x);
    return VT::sel(big, F == int(VFn::Log1p) ? l : VT::add(l, VT::set1(R::ln2)), r);
  } else if constexpr (F == int(VFn::Expm1)) {
    // SLEEF's double expm1 errs by up to 0.75 ulp near 2^-53, where x +
    // x^2/2 rounds to x, and 0.99 near -37, where the result nears -1.
    // Below 2^-20 the series to x^3 is within 2^-12 ulp; below -10, e^x's
    // own error is under 2^-13 ulp of -1 + e^x, rounded once.
    V r = fn(VFn::Expm1)(x);
    const auto small = VT::gt(VT::set1(0x1p-20), VT::abs(x)), low = VT::gt(VT::set1(-10), x);
    if (VT::any(low)) r = VT::sel(low, VT::add(VT::set1(-1), fn(VFn::Exp)(x)), r);
    if (!VT::any(small)) return r;
    const V t = VT::fma(VT::mul(x, x), VT::fma(x, VT::set1(1.0 / 6), VT::set1(0.5)), x);
    return VT::sel(small, VT::sel(VT::eq(x, VT::set1(0)), x, t), r);  // x * x + -0 would be +0
  } else if constexpr (F == int(VFn::Arcsinh)) {
    V r = fn(VFn::Arcsinh)(x);
    const auto big = VT::gt(VT::abs(x), VT::set1(R::asinh_big));
    if (VT::any(big)) r = VT::sel(big, VT::copysign(VT::add(fn(VFn::Log)(VT::abs(x)), VT::set1(R::ln2)), x), r);
    return odd_tiny<VT>(x, r, -1.0 / 6);
  } else {
    return Fns<VT>::unary[F](x);
  }
}

template <class VT, int F> __attribute__((always_inline)) inline typename VT::V apply2(typename VT::V x, typename VT::V y) {
  using V = typename VT::V;
  if constexpr (F == int(VFn2::Arctan2) && std::is_same_v<VT, VF>) {
    return atan2_f32(x, y);
  } else if constexpr (F == int(VFn2::LogAddExp) && std::is_same_v<VT, VF>) {
    return logaddexp_f32(x, y);
  } else if constexpr (F == int(VFn2::Power) && std::is_same_v<VT, VF>) {
    return pow_f32(x, y);
  } else if constexpr (F == int(VFn2::Arctan2) && std::is_same_v<VT, VD>) {
    return atan2_f64(x, y);
  } else if constexpr (F == int(VFn2::Power)) {
    return pow_f64(x, y);
  } else if constexpr (F == int(VFn2::LogAddExp)) {
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

// Whole vectors in place (the caller takes the tail, through a padded
// copy), stored non-temporally with NT.
template <class VT, class S, bool NT = false, class Fn> VM_INLINE int64_t whole_vectors(S* o, int64_t n, Fn fn) {
  constexpr int W = VT::W;
  int64_t i = 0;
  for (; i + W <= n; i += W) Io<VT, S>::template st<NT>(o + i, fn(i));
  return i;
}
// The same, the store kind decided once a call.
template <class VT, class S, class Fn> VM_INLINE int64_t whole_vectors(S* o, int64_t n, bool nt, Fn fn) {
  return nt ? whole_vectors<VT, S, true>(o, n, fn) : whole_vectors<VT, S>(o, n, fn);
}

// Past the cache (EwParams::stream) the kernels store ordinarily, but for
// the cheapest functions (at most 0.23 ns an element in cache on 1 thread
// of Zen 5), whose loops memory binds at 2 threads: there a non-temporal
// store saves the read of each output line, elsewhere it stalled the loop.
// Session 30 (Zen 5, 64M float32, 2 threads, libraries alternated,
// ordinary / non-temporal): tan 0.69-0.87x the time, tanh 0.77-0.86x,
// arcsinh 0.80-0.94x, erf 0.81-0.89x, sin 0.88-0.92x, expm1 0.80-0.87x,
// arctan 0.78-0.94x, softmax 8192x4096 0.76x, in every run; exp, sigmoid,
// log10 and arcsin 1.05-1.16x at a quiet hour and 0.71-1.0x at a noisy
// one (sinh, cosh and log 0.99-1.01x at the quiet hour: left ordinary). A
// loop of loads, K fused multiply-adds a vector and stores: non-temporal
// stores took 0.80x the time at K = 0-8, 1.11-1.17x at K = 32.
template <int F> constexpr bool kStreamStores = F == int(VFn::Exp) || F == int(VFn::Exp2) || F == int(VFn::Log1p) ||
                                                F == int(VFn::Log2) || F == int(VFn::Log10) || F == int(VFn::Sigmoid) ||
                                                F == int(VFn::Arcsin) || F == int(VFn::Arccos);
// Whether p starts a whole vector's aligned slot (non-temporal stores need it).
template <class VT, class S> VM_INLINE bool on_slot(const S* p) {
  return reinterpret_cast<uintptr_t>(p) % (sizeof(S) * VT::W) == 0;
}

// Passes from memory (EwParams::stream) prefetch their inputs 2 KiB ahead,
// one prefetch a vector: with a function's arithmetic between the loads,
// the hardware prefetcher alone kept too few lines in flight at 2 threads,
// and it stops at every 4 KiB boundary (session 18: log1p over 64M float32
// 0.87-0.91x the time at 2 threads).
template <class S> VM_INLINE void ahead(const S* p) { __builtin_prefetch(reinterpret_cast<const char*>(p) + 2048, 0, 3); }

// pow over float32 in double lanes: a vector whose lanes are all ordinary
// reads its two halves straight into double lanes and stores the two
// results as halves, two loads and two stores instead of a lane shuffle
// each way (session 20, in cache: 0.95-0.96x the time; expm1, log and
// log1p, in double lanes on AVX-512 until session 29, 0.90-0.93x); the
// others take the whole function.
// Returns the elements done (whole vectors). With a pair_core (pow_block
// on AVX2), blocks of 2 W kPowBlock floats take it where it takes them
// (their lanes all ordinary), the others two vectors a step through
// pair_full (pow_f32_pair) if given, else full. SA or SB: that operand is a
// scalar, read from 2 W kPowBlock copies of it.
struct NoPairCore {};
template <bool SA = false, bool SB = false, class Ordinary, class Core, class Full, class PairCore = NoPairCore,
          class PairFull = NoPairCore>
VM_INLINE int64_t by_halves(const float* a, const float* b, float* o, int64_t n, const EwParams& prm, Ordinary ordinary,
                            Core core, Full full, PairCore pair_core = {}, PairFull pair_full = {}) {
  constexpr int W = VF::W;
  constexpr int64_t B = 2 * W * kPowBlock;
  float ca[B], cb[B];
  if constexpr (SA) for (int k = 0; k < B; k++) ca[k] = a[0];
  if constexpr (SB) for (int k = 0; k < B; k++) cb[k] = b[0];
  auto at = [&](int64_t j) { return SA ? ca : a + j; };
  auto bt = [&](int64_t j) { return SB ? cb : b + j; };
  int64_t j = 0;
  if constexpr (!std::is_same_v<PairCore, NoPairCore>) {
    for (; j + B <= n; j += B) {
      if (prm.stream)
        for (int64_t k = 0; k < B; k += 2 * W) {
          if (!SA) ahead(a + j + k);
          if (!SB && b != a) ahead(b + j + k);
        }
      if (pair_core(at(j), bt(j), o + j)) continue;
      for (int64_t k = 0; k < B; k += 2 * W) {
        const VF::V x = VF::load(at(j) + k), y = VF::load(bt(j) + k), x1 = VF::load(at(j) + k + W), y1 = VF::load(bt(j) + k + W);
        VF::V r0, r1;
        if constexpr (std::is_same_v<PairFull, NoPairCore>) r0 = full(x, y), r1 = full(x1, y1);
        else pair_full(x, y, x1, y1, r0, r1);
        VF::store(o + j + k, r0), VF::store(o + j + k + W, r1);
      }
    }
  }
  for (; j + W <= n; j += W) {
    if (prm.stream) {
      if (!SA) ahead(a + j);
      if (!SB && b != a) ahead(b + j);
    }
    const VF::V x = VF::load(at(j)), y = VF::load(bt(j));
    if (ordinary(x, y)) {
      VF::store_pd_halves(o + j, core(VF::lo_pd_at(at(j)), VF::lo_pd_at(bt(j))), core(VF::hi_pd_at(at(j)), VF::hi_pd_at(bt(j))));
    } else {
      VF::store(o + j, full(x, y));
    }
  }
  return j;
}

// The unary float functions that AVX2 runs two vectors a step through
// VF::Pair, each by its _mid form (false where a lane of either vector is
// not an ordinary argument: both vectors then take the function a vector).
// The same operations on each vector as a vector a step, interleaved: the
// same bits.
template <int F> constexpr bool kPairF32 = F == int(VFn::Erfinv) || F == int(VFn::Arcsinh) || F == int(VFn::Arccosh) ||
                                           F == int(VFn::Arctanh) || F == int(VFn::Sinh) || F == int(VFn::Cosh) ||
                                           F == int(VFn::Tanh) || F == int(VFn::Erf) || F == int(VFn::Arctan) ||
                                           F == int(VFn::Sigmoid) || F == int(VFn::Log1p) ||
                                           F == int(VFn::Log2) || F == int(VFn::Log10) || F == int(VFn::Log) ||
                                           F == int(VFn::Cos) || F == int(VFn::Sin);
// erfinv four vectors a step (VF::Pair::Pair): its chain is one log_sum
// and one polynomial, with few values live. In-process A/B (1M float32 in
// cache, 1 thread): 0.82-0.83x the time of two a step; arcsinh, arccosh
// and arctanh four a step took 1.02-1.19x (registers spilled), sinh, cosh
// and arctan 1.12-1.16x, tanh and tan 1.0-1.02x, erf 1.09-1.11x, log1p
// 1.12x. Two a step against one: log1p 0.92-0.93x, log2 0.98x (in six
// runs); log 1.02x and log10 1.03-1.04x with GCC's default scheduling,
// 0.96x and 0.96-0.97x under unary_kernel_sched's. With that scheduling,
// four a step took 1.05-1.12x for log, log2, log10, log1p and the inverse
// hyperbolics.
// cos four a step (session 24): 0.98-1.0x in eight runs, sin 1.03x, erf
// 1.07x, tanh 1.00x. Session 25: log2 (without its float-float tail)
// 0.93x in five runs (0.99x once its own table took a permute off), log10
// 1.00-1.04x and, on its own table, 1.02-1.03x; log (on kLogTab8)
// 1.09-1.10x; tanh (after its shorter chains, tanh_core) 0.902-0.903x;
// arccosh once its divisions were gone 0.945-0.961x in three runs,
// arctanh (one division fewer) still 1.09-1.14x. erfinv eight a step
// 1.09-1.10x; erfinv four a step software-pipelined (the next four's
// log_sum before the last four's polynomial) 1.08-1.20x.
template <int F> constexpr bool kQuadF32 = F == int(VFn::Erfinv) || F == int(VFn::Cos) || F == int(VFn::Log2) ||
                                           F == int(VFn::Tanh) || F == int(VFn::Arccosh);
// The float kernels that unary_kernel_sched compiles on AVX2 (with the four-a-step ones of kFourStep).
template <int F> constexpr bool kSchedF32 = F == int(VFn::Log) || F == int(VFn::Log2) || F == int(VFn::Log10) ||
                                            F == int(VFn::Arcsinh) || F == int(VFn::Arccosh) || F == int(VFn::Arctanh) ||
                                            F == int(VFn::Tan) || F == int(VFn::Sinh) || F == int(VFn::Cosh) ||
                                            F == int(VFn::Expm1) || F == int(VFn::Erfinv) || F == int(VFn::Sin) ||
                                            F == int(VFn::Cos) || F == int(VFn::Arctan);
// The float64 kernels that run four vectors a step, compiled by
// unary_kernel_sched (whose scheduling pass interleaves them): their
// dependency chains (vecmath_f64_atan.h's division, square root and
// series; vecmath_f64_tan.h's two-sums and division) bound them. In cache,
// 1 thread, against a vector a step: AVX-512 arctan 0.71x, arcsin 0.77x,
// arccos 0.78x, tan 0.76x; AVX2 arctan 0.78x, arcsin 0.77x, arccos 0.76x,
// tan 0.75x (arctan, arcsin, arccos two a step: 0.88-0.89x, AVX2 0.79-0.87x; two
// without the scheduling pass 0.98-1.0x but AVX-512's arctan 0.89x; the
// pass alone 1.0-1.02x).
template <int F>
constexpr bool kFourF64 = F == int(VFn::Arcsin) || F == int(VFn::Arccos) || F == int(VFn::Arctan) || F == int(VFn::Tan);
// AVX-512's float arctan, tanh, arctanh and arcsinh four vectors a step
// too, under unary_kernel_sched (session 28, Zen 5, in cache, 1 thread,
// best of 9 against a vector a step: tanh 0.87x, arctan 0.90x, arctanh
// 0.97x, arcsinh 0.99-1.01x, in session 31 0.99x; four a step without
// the scheduling pass 0.98-1.0x, the scheduling pass alone 0.96x for
// arctanh, 0.99-1.0x for the others). tan (0.95x then) runs a vector a
// step since session 31's tan_pd (four a step the same time in a test
// loop).
template <int F>
constexpr bool kFour512 = F == int(VFn::Arctanh) || F == int(VFn::Arcsinh) || F == int(VFn::Arctan) || F == int(VFn::Tanh);
template <class VT, int F>
constexpr bool kFourStep = (kFourF64<F> && std::is_same_v<VT, VD>) || (kFour512<F> && std::is_same_v<VT, VF> && VT::W == 16);
template <int F, class O> VM_INLINE bool pair_mid(typename O::V x, typename O::V& r) {
  if constexpr (F == int(VFn::Erfinv)) return erfinv_mid<O>(x, r);
  else if constexpr (F == int(VFn::Arcsinh)) return asinh_mid<O>(x, r);
  else if constexpr (F == int(VFn::Arccosh)) return acosh_mid<O>(x, r);
  else if constexpr (F == int(VFn::Sinh) || F == int(VFn::Cosh)) return hyp_mid<O, F == int(VFn::Sinh)>(x, r);
  else if constexpr (F == int(VFn::Tanh)) return tanh_mid<O>(x, r);
  else if constexpr (F == int(VFn::Erf)) return r = erf_ff<O>(x), true;
  else if constexpr (F == int(VFn::Arctan)) return atan_mid<O>(x, r);
  else if constexpr (F == int(VFn::Sigmoid)) return sigmoid_mid<O>(x, r);
  else if constexpr (F == int(VFn::Arctanh)) return atanh_mid<O>(x, r);
  else if constexpr (F == int(VFn::Log1p)) return log1p_mid<O>(x, r);
  else if constexpr (F == int(VFn::Sin) || F == int(VFn::Cos)) return sincos_mid<F == int(VFn::Sin), O>(x, r);
  else {
    if (!log_ff_ordinary<O>(x)) return false;
    r = log_ff<F == int(VFn::Log2) ? Base::Two : F == int(VFn::Log10) ? Base::Ten : Base::E, O>(x);
    return true;
  }
}

template <class VT, class S, int F>
VM_INLINE void unary_body(const void* const* in, void* out, int64_t n, const EwParams& prm) {
  constexpr int W = VT::W;
  const S* a = static_cast<const S*>(in[0]);
  S* o = static_cast<S*>(out);
  const bool pf = prm.stream, nt = kStreamStores<F> && prm.stream && on_slot<VT>(o);
  const auto st = [nt](S* p, typename VT::V v) { store_nt_if<VT>(p, v, nt); };
  int64_t i = 0;
  auto vectors = [a, o, n, pf, nt](int64_t from) {
    const auto fn = [a, pf, from](int64_t j) {
      if (pf) ahead(a + from + j);
      return apply1<VT, F>(Io<VT, S>::ld(a + from + j));
    };
    return from + whole_vectors<VT, S>(o + from, n - from, nt, fn);
  };
  if constexpr (kPairF32<F> && std::is_same_v<VT, VF> && VT::W == 8) {
    using P = typename VT::Pair;
    if constexpr (kQuadF32<F>) {
      using Q = typename P::Pair;
      for (; i + 4 * W <= n; i += 4 * W) {
        if (pf) ahead(a + i), ahead(a + i + 2 * W);
        auto ld = [a, i](int k) { return Io<VT, S>::ld(a + i + k * W); };
        const typename VT::V x0 = ld(0), x1 = ld(1), x2 = ld(2), x3 = ld(3);
        typename Q::V r;
        if (!pair_mid<F, Q>({{x0, x1}, {x2, x3}}, r))
          r = {{apply1<VT, F>(x0), apply1<VT, F>(x1)}, {apply1<VT, F>(x2), apply1<VT, F>(x3)}};
        st(o + i, r.a.a), st(o + i + W, r.a.b), st(o + i + 2 * W, r.b.a), st(o + i + 3 * W, r.b.b);
      }
    }
    for (; i + 2 * W <= n; i += 2 * W) {
      if (pf) ahead(a + i);
      const typename VT::V x0 = Io<VT, S>::ld(a + i), x1 = Io<VT, S>::ld(a + i + W);
      typename P::V r;
      if (!pair_mid<F, P>({x0, x1}, r)) r = {apply1<VT, F>(x0), apply1<VT, F>(x1)};
      st(o + i, r.a), st(o + i + W, r.b);
    }
    i = vectors(i);
  } else if constexpr (F == int(VFn::Tan) && std::is_same_v<VT, VF> && std::is_same_v<S, float>) {
    // tan_pd's halves read straight into double lanes and stored as halves:
    // 0.91x the time of widening and joining them in registers (the
    // shuffles share the pipes). Stored ordinarily (not in kStreamStores).
    for (; i + W <= n; i += W) {
      if (pf) ahead(a + i);
      const VF::V x = VF::load(a + i);
      if (!VF::all(tan_in_range(x))) VF::store(o + i, tan_f32(x));
      else VF::store_pd_halves(o + i, tan_pd<VD>(VF::lo_pd_at(a + i)), tan_pd<VD>(VF::hi_pd_at(a + i)));
    }
  } else if constexpr (kFourStep<VT, F>) {
    for (; i + 4 * W <= n; i += 4 * W) {
      if (pf)
        for (int k = 0; k < 4; k++) ahead(a + i + k * W);
      auto ld = [a, i](int k) { return Io<VT, S>::ld(a + i + k * W); };
      const typename VT::V x0 = ld(0), x1 = ld(1), x2 = ld(2), x3 = ld(3);
      const typename VT::V r0 = apply1<VT, F>(x0), r1 = apply1<VT, F>(x1), r2 = apply1<VT, F>(x2), r3 = apply1<VT, F>(x3);
      st(o + i, r0), st(o + i + W, r1), st(o + i + 2 * W, r2), st(o + i + 3 * W, r3);
    }
    i = vectors(i);
  } else {
    i = vectors(0);
  }
  if (i < n) {
    S ti[W] = {}, to[W];
    for (int64_t k = 0; k < n - i; k++) ti[k] = a[i + k];
    Io<VT, S>::st(to, apply1<VT, F>(Io<VT, S>::ld(ti)));
    for (int64_t k = 0; k < n - i; k++) o[i + k] = to[k];
  }
}

template <class VT, class S, int F>
void unary_kernel(const void* const* in, const bool*, void* out, int64_t n, const EwParams& prm) {
  unary_body<VT, S, F>(in, out, n, prm);
}
// The same with GCC's first instruction scheduling pass (off by default
// on x86), register pressure in mind (-fsched-pressure), and registers
// renamed after allocation (-frename-registers, for the second pass): for
// the kernels in kSchedF32 it leaves fewer values spilled to the stack.
// The same bits; in-process A/B (1M float32 in cache, 1 thread): log2
// 0.95x, log10 0.95x, arcsinh 0.94x, arctanh 0.95-0.97x (0.85-0.86x since
// its series moved to a branch), log 0.94x and arccosh 0.98x with two a
// step (below); log1p 0.99-1.01x (not taken). The scheduling pass alone
// took 1.07-1.18x, with -fira-loop-pressure 1.0-1.09x. For the whole
// file it took tan, sinh and cosh to 0.86-0.91x but arctan to 1.10x and
// erf to 1.07x: so a kernel at a time, measured. Added after (the lead,
// two runs each): tan 0.91x, sinh 0.90x, cosh 0.86x, sin 0.97x, expm1
// 0.97-0.99x, erfinv 0.98-0.99x; not taken: cos 1.02x a vector a step
// (taken since it runs four a step, part E of session 24), tanh, sigmoid,
// arcsin, arccos, log1p 1.00-1.01x, and for binary_kernel arctan2
// 0.98-1.0x, logaddexp 1.02x, power 1.04x. Session 24 part E: cos two a
// step (kPairF32) with it 0.96-0.98x the time of two a step without (a
// vector a step: 1.02x); tanh, erf, arctan 0.97-1.07x, not taken.
// Session 25: arctan (P of degree 4) 0.95-0.97x in four runs, taken.
// Session 31: tan in double lanes (tan_pd) without it 1.03x, kept.
template <class VT, class S, int F>
VM_SCHEDULED void unary_kernel_sched(const void* const* in, const bool*, void* out, int64_t n, const EwParams& prm) {
  unary_body<VT, S, F>(in, out, n, prm);
}

template <class VT, class S, int F>
void binary_kernel(const void* const* in, const bool* scalar, void* out, int64_t n, const EwParams& prm) {
  using V = typename VT::V;
  constexpr int W = VT::W;
  const S* a = static_cast<const S*>(in[0]);
  const S* b = static_cast<const S*>(in[1]);
  S* o = static_cast<S*>(out);
  const bool sa = scalar[0], sb = scalar[1];
  S pa[W], pb[W];
  for (int k = 0; k < W; k++) pa[k] = a[0], pb[k] = b[0];
  const V va = Io<VT, S>::ld(pa), vb = Io<VT, S>::ld(pb);
  const bool fa = prm.stream && !sa, fb = prm.stream && !sb;
  auto vectors = [&](int64_t from) {
    return from + whole_vectors<VT, S>(o + from, n - from, [&](int64_t j) {
      j += from;
      if (fa) ahead(a + j);
      if (fb) ahead(b + j);
      const V x = sa ? va : Io<VT, S>::ld(a + j), y = sb ? vb : Io<VT, S>::ld(b + j);
      return apply2<VT, F>(x, y);
    });
  };
  // The commonest scalar exponents take one correctly rounded operation:
  // x^2 is x x, x^0.5 sqrt x + 0 (+0 at -0) and x^-1 1/x, with pow's
  // special values (x^2 and x^0.5 give inf at -inf, a NaN is kept), at the
  // speed of a copy; the tail too, so no element takes pow. The half types
  // round the float result again, which for these operations is the
  // correctly rounded half (24 bits >= 2 x 11 + 2).
  enum class Easy { None, Square, Sqrt, Reciprocal } easy = Easy::None;
  if constexpr (F == int(VFn2::Power) && std::is_same_v<VT, VF>) {
    if (sb && !sa) {
      if (VT::all(VT::eq(vb, VT::set1(2.0f)))) easy = Easy::Square;
      else if (VT::all(VT::eq(vb, VT::set1(0.5f)))) easy = Easy::Sqrt;
      else if (VT::all(VT::eq(vb, VT::set1(-1.0f)))) easy = Easy::Reciprocal;
    }
  }
  const auto square = [](V x) { return VT::mul(x, x); };
  const auto recip = [](V x) { return VT::div(VT::set1(1.0f), x); };
  const auto root = [](V x) {
    const V inf = VT::set1(__builtin_inff());
    return VT::sel(VT::eq(x, VT::neg(inf)), inf, VT::add(VT::sqrt(x), VT::set1(0.0f)));
  };
  const auto easy_op = [&](V x) { return easy == Easy::Square ? square(x) : easy == Easy::Sqrt ? root(x) : recip(x); };
  // power's easy exponents are as cheap as the functions of kStreamStores
  const bool easy_nt = prm.stream && on_slot<VT>(o);
  const auto easy_vectors = [&](auto op) {
    const auto fn = [&](int64_t j) {
      if (fa) ahead(a + j);
      return op(Io<VT, S>::ld(a + j));
    };
    return whole_vectors<VT, S>(o, n, easy_nt, fn);
  };
  // a vector in (a scalar operand's, or one of its elements) and out
  const auto ld = [](const S* p, bool s, V v) { return s ? v : Io<VT, S>::ld(p); };
  const auto st = [](S* p, V v) { Io<VT, S>::st(p, v); };
  int64_t i;
  if (easy != Easy::None) {
    i = easy == Easy::Square ? easy_vectors(square) : easy == Easy::Sqrt ? easy_vectors(root) : easy_vectors(recip);
  } else if constexpr (F == int(VFn2::Power) && std::is_same_v<VT, VF> && VT::W == 8 && std::is_same_v<S, float>) {
    // a scalar operand (x^0.5, 2^x) as 2 W kPowBlock copies: x^0.5 0.62x
    // the time of a vector a step through pow_f32 (session 23)
    if (sa && sb) i = vectors(0);
    else if (sa) i = by_halves<true, false>(a, b, o, n, prm, pow_ordinary, pow_core, pow_f32, pow_block<VD, true>, pow_f32_pair<VD>);
    else if (sb) i = by_halves<false, true>(a, b, o, n, prm, pow_ordinary, pow_core, pow_f32, pow_block<VD, false, true>, pow_f32_pair<VD>);
    else i = by_halves(a, b, o, n, prm, pow_ordinary, pow_core, pow_f32, pow_block<VD>, pow_f32_pair<VD>);
  } else if constexpr (F == int(VFn2::Power) && std::is_same_v<VT, VF> && std::is_same_v<S, float>) {
    i = !sa && !sb ? by_halves(a, b, o, n, prm, pow_ordinary, pow_core, pow_f32) : vectors(0);
  } else if constexpr (F == int(VFn2::Arctan2) && std::is_same_v<VT, VF> && VT::W == 8) {
    for (i = 0; i + kAtan2Block * W <= n; i += kAtan2Block * W) {
      for (int k = 0; k < kAtan2Block; k++) {
        if (fa) ahead(a + i + k * W);
        if (fb) ahead(b + i + k * W);
      }
      atan2_block([&](int k) { return ld(a + i + k * W, sa, va); }, [&](int k) { return ld(b + i + k * W, sb, vb); },
                  [&](int k, V r) { st(o + i + k * W, r); });
    }
    i = vectors(i);
  } else if constexpr (F == int(VFn2::LogAddExp) && std::is_same_v<VT, VF> && VT::W == 8) {
    // logaddexp four vectors a step, then two, through VF::Pair
    // (logaddexp_mid); a step with a lane beyond it takes the function a
    // vector. Zen 3, 4096 floats in L1: logaddexp two a step 0.885x the
    // time of a vector a step; four a step (VF::Pair::Pair, its chain about
    // 90 cycles a vector with few values live) 0.84x the time of two (1M
    // float32, 1 thread). arctan2 takes blocks of vectors (atan2_block,
    // above): since its quotient is one division, two a step took
    // 1.02-1.03x the time of a vector a step (session 24; four a step
    // 1.13-1.18x, session 22).
    using P = typename VT::Pair;
    i = 0;
    using Q = typename P::Pair;
    for (; i + 4 * W <= n; i += 4 * W) {
      if (fa) ahead(a + i), ahead(a + i + 2 * W);
      if (fb) ahead(b + i), ahead(b + i + 2 * W);
      auto lx = [&](int k) { return ld(a + i + k * W, sa, va); };
      auto ly = [&](int k) { return ld(b + i + k * W, sb, vb); };
      const V x0 = lx(0), x1 = lx(1), x2 = lx(2), x3 = lx(3), y0 = ly(0), y1 = ly(1), y2 = ly(2), y3 = ly(3);
      typename Q::V r;
      if (!logaddexp_mid<Q>({{x0, x1}, {x2, x3}}, {{y0, y1}, {y2, y3}}, r))
        r = {{apply2<VT, F>(x0, y0), apply2<VT, F>(x1, y1)}, {apply2<VT, F>(x2, y2), apply2<VT, F>(x3, y3)}};
      st(o + i, r.a.a), st(o + i + W, r.a.b), st(o + i + 2 * W, r.b.a), st(o + i + 3 * W, r.b.b);
    }
    for (; i + 2 * W <= n; i += 2 * W) {
      if (fa) ahead(a + i);
      if (fb) ahead(b + i);
      const V x0 = ld(a + i, sa, va), x1 = ld(a + i + W, sa, va), y0 = ld(b + i, sb, vb), y1 = ld(b + i + W, sb, vb);
      typename P::V r;
      if (!logaddexp_mid<P>({x0, x1}, {y0, y1}, r)) r = {apply2<VT, F>(x0, y0), apply2<VT, F>(x1, y1)};
      st(o + i, r.a), st(o + i + W, r.b);
    }
    i = vectors(i);
  } else {
    i = vectors(0);
  }
  if (i < n) {
    S tx[W] = {}, ty[W] = {}, to[W];
    for (int64_t k = 0; k < n - i; k++) tx[k] = a[sa ? 0 : i + k], ty[k] = b[sb ? 0 : i + k];
    const V x = Io<VT, S>::ld(tx), y = Io<VT, S>::ld(ty);
    Io<VT, S>::st(to, easy != Easy::None ? easy_op(x) : apply2<VT, F>(x, y));
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

// The maxima of `rows` rows (at most kRowStreams) `stride` apart, read as
// interleaved streams, 256 bytes of each row in turn: one core keeps more
// lines in flight that way than reading one row after another (session 16:
// 16 streams a thread read at 1.6-1.9x one stream's rate here).
template <class VT, class T> void rows_max(const T* x, int64_t stride, int64_t rows, int64_t n, T* m) {
  using V = typename VT::V;
  constexpr int W = VT::W;
  constexpr int64_t kStep = 256 / sizeof(T);
  V acc[kRowStreams];
  for (int64_t j = 0; j < rows; j++) acc[j] = VT::set1(-__builtin_inf());
  int64_t i = 0;
  for (; i + kStep <= n; i += kStep)
    for (int64_t j = 0; j < rows; j++) {
      const T* p = x + j * stride + i;
      V a = acc[j];
      for (int64_t k = 0; k < kStep; k += W) a = VT::max(VT::load(p + k), a);  // max(NaN, a) is a: NaNs skipped
      acc[j] = a;
    }
  for (int64_t j = 0; j < rows; j++) {
    const T* p = x + j * stride;
    V a = acc[j];
    int64_t k = i;
    for (; k + W <= n; k += W) a = VT::max(VT::load(p + k), a);
    T r = VT::hmax(a);
    for (; k < n; k++) r = p[k] > r ? p[k] : r;
    m[j] = r;
  }
}

// e^(x - m) with the rounding error of x - m (two-sum) put back: a plain
// exp(x - m) loses |x - m| ulps for the rows' small values. Float lanes take
// the inline exp_neg, which reduces e^(s + err) with err in its low part (x
// - m is at most 60 here: logcumsumexp's climb; exp_reduce holds to 104)
// and turns an infinite -s into 0: a call of SLEEF's exp a vector made the
// row passes compute-bound once their reads came from L2 (session 18).
template <class VT> VM_INLINE typename VT::V exp_diff(typename VT::V x, typename VT::V m) {
  using V = typename VT::V;
  const V nm = VT::neg(m), s = VT::add(x, nm), bb = VT::sub(s, x);
  V err = VT::add(VT::sub(x, VT::sub(s, bb)), VT::sub(nm, bb));
  if constexpr (std::is_same_v<VT, VF>) return exp_neg(VF::neg(s), err);
  err = VT::sel(VT::unord(err, err), VT::set1(0), err);  // infinite x: nothing to put back
  const V e = Fns<VT>::unary[int(VFn::Exp)](s);
  return VT::fma(e, err, e);
}

// x / s as x (h + l), h = 1/s rounded and l its residual over s: a
// quotient within about half an ulp, for the price of one more fma (x h
// alone adds 1/s's rounding to every output).
template <class VT, class T> struct Quotient {
  using V = typename VT::V;
  T h, l;
  V vh, vl;
  explicit Quotient(T s) : h(T(1) / s), l(std::fma(-s, h, T(1)) * h), vh(VT::set1(h)), vl(VT::set1(l)) {}
  V operator()(V v) const { return VT::fma(v, vh, VT::mul(v, vl)); }
  T operator()(T v) const { return std::fma(v, h, v * l); }
};

// o = x / s by Quotient.
template <class VT, class T> void row_divide(const T* x, T s, T* o, int64_t n) {
  const Quotient<VT, T> q(s);
  int64_t i = whole_vectors<VT, T>(o, n, [x, &q](int64_t j) { return q(VT::load(x + j)); });
  for (; i < n; i++) o[i] = q(x[i]);
}

// row_exp_sum on AVX2 (O is its VF): two vectors a step take exp_mid when
// |x - m| < 86 in every lane (any row of finite values within 86 of its
// maximum), else exp_neg (infinities, NaNs, the far tail); the sum in
// double lanes, which needs no compensation for a row's terms (each at
// most e^60) and rounds once. On Zen 3 the Kahan sums' chain and its
// select cost about as much as exp_mid's saving over exp_neg (a row of
// 4096 in L1: 1.07 ns an element before, 1.03 with double sums and
// exp_neg, 0.72 with both; Kahan sums over four accumulators without the
// select instead of double sums 0.69-0.72). With m = 0 (the callers pass 0
// for a row whose maximum is in [0, RowKernels::zero_shift]) x - m is x:
// the two-sum's five operations a vector go (0.59 -> 0.49 in the same run).
template <class O, bool Shift> float row_exp_sum_w8(const float* x, float m, float* o, int64_t n, const float* next) {
  using V = typename O::V;
  const V nm = O::set1(-m), lim = O::set1(86.0f), zero = O::set1(0.0f);
  auto diff = [nm, zero](V v, V& s, V& err) {
    if constexpr (Shift) two_diff<O>(v, nm, s, err);
    else s = v, err = zero;
  };
  VD::V a0 = VD::set1(0.0), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    if (next) __builtin_prefetch(next + i, 0, 2);  // one line a step
    V s0, s1, l0, l1, e0, e1;
    diff(O::load(x + i), s0, l0);
    diff(O::load(x + i + 8), s1, l1);
    if (O::all(O::mand(O::gt(lim, O::abs(s0)), O::gt(lim, O::abs(s1))))) {  // a NaN fails
      e0 = exp_mid<O>(s0, l0), e1 = exp_mid<O>(s1, l1);
    } else {
      e0 = exp_neg(O::neg(s0), l0), e1 = exp_neg(O::neg(s1), l1);
    }
    if (o) O::store(o + i, e0), O::store(o + i + 8, e1);
    a0 = VD::add(a0, O::lo_pd(e0)), a1 = VD::add(a1, O::hi_pd(e0));
    a2 = VD::add(a2, O::lo_pd(e1)), a3 = VD::add(a3, O::hi_pd(e1));
  }
  for (; i < n; i += 8) {
    float t[8], e[8];
    const int64_t len = n - i < 8 ? n - i : 8;
    for (int k = 0; k < 8; k++) t[k] = k < len ? x[i + k] : -__builtin_inff();
    V s, l;
    diff(O::load(t), s, l);
    const V v = exp_neg(O::neg(s), l);
    O::store(e, v);
    for (int64_t k = 0; k < len; k++)
      if (o) o[i + k] = e[k];
    a0 = VD::add(a0, O::lo_pd(v)), a1 = VD::add(a1, O::hi_pd(v));
  }
  return float(VD::hsum(VD::add(VD::add(a0, a1), VD::add(a2, a3))));
}

template <class VT, class T> T row_exp_sum(const T* x, T m, T* o, int64_t n, const T* next) {
  if constexpr (std::is_same_v<VT, VF> && VF::W == 8)
    return m == 0 ? row_exp_sum_w8<VF, false>(x, m, o, n, next) : row_exp_sum_w8<VF, true>(x, m, o, n, next);
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
    if (next) __builtin_prefetch(next + i, 0, 2), __builtin_prefetch(next + i + W, 0, 2);
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
  // The lanes by two-sums: a plain horizontal sum rounds log2(W) times,
  // up to 1.5 ulp of the result (softmax reached 5.1 ulp over 6.7M outputs).
  T ls[W], lc[W];
  VT::store(ls, s0);
  VT::store(lc, c0);
  T hi = 0, lo = 0;
  for (int k = 0; k < W; k++) {
    const T t = hi + ls[k], bb = t - hi;
    lo += (hi - (t - bb)) + (ls[k] - bb) - lc[k];
    hi = t;
  }
  return hi - hi == 0 ? hi + lo : hi;  // an infinite or NaN sum: its low part is NaN
}

template <class VT, class S, int F> void fill_unary(VecTable& t, int slot) {
  if constexpr ((kSchedF32<F> && VT::W == 8) || kFourStep<VT, F>)
    t.unary[F][slot] = &unary_kernel_sched<VT, S, F>;
  else t.unary[F][slot] = &unary_kernel<VT, S, F>;
}
template <class VT, class S, int F> void fill_binary(VecTable& t, int slot) {
  t.binary[F][slot] = &binary_kernel<VT, S, F>;
}
template <int... F> void fill_all_unary(VecTable& t, std::integer_sequence<int, F...>) {
  (fill_unary<VF, f16, F>(t, 0), ...);
  (fill_unary<VF, bf16, F>(t, 1), ...);
  (fill_unary<VF, float, F>(t, 2), ...);
  (fill_unary<VD, double, F>(t, 3), ...);
}
template <int... F> void fill_all_binary(VecTable& t, std::integer_sequence<int, F...>) {
  (fill_binary<VF, f16, F>(t, 0), ...);
  (fill_binary<VF, bf16, F>(t, 1), ...);
  (fill_binary<VF, float, F>(t, 2), ...);
  (fill_binary<VD, double, F>(t, 3), ...);
}

// Resolves every SLEEF function this table calls; null when one is missing.
// erfc comes with the double suffix `erfc_suffix` (SLEEF has no 1-ulp one).
const VecTable* make_table(SymFn sym, const char* name, const char* fsuffix, const char* dsuffix, const char* erfc_suffix) {
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
  g_erfc = reinterpret_cast<VD::V (*)(VD::V)>(resolve("erfc", erfc_suffix));
  if (!g_erfc) return nullptr;
  g_log = &log_table();
  static VecTable t{};
  t.name = name;
  fill_all_unary(t, std::make_integer_sequence<int, int(VFn::kCount)>{});
  fill_all_binary(t, std::make_integer_sequence<int, int(VFn2::kCount)>{});
  t.rows_f32 = {&row_max<VF, float>, &rows_max<VF, float>, &row_exp_sum<VF, float>, &row_divide<VF, float>,
                VF::W == 8 ? 60.0f : -1.0f};
  t.rows_f64 = {&row_max<VD, double>, &rows_max<VD, double>, &row_exp_sum<VD, double>, &row_divide<VD, double>, -1.0};
  return &t;
}

}  // namespace
