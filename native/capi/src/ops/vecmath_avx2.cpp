// The vector kernels for AVX2 with FMA and F16C (8 float or 4 double lanes).
// Built with those extensions enabled (and AVX-512 disabled) whatever the
// rest of the library is built for; only called after the CPU check.
#include <immintrin.h>

#include <cmath>
#include <type_traits>
#include <utility>

#include "vecmath.h"

namespace mlxc {
namespace vec_avx2 {

// Two vectors of O as one (VF::Pair, VD::Pair, and pairs of those): each
// operation applied to both, so that a kernel's two dependency chains come
// interleaved in its instruction stream. On Zen 3 a chain of dependent operations as long as
// a whole function's (logaddexp's is about 90 cycles) leaves the units
// idle even with independent vectors after it: 16 dependent fused
// multiply-adds a vector took 0.64 cycles each, 24 took 0.79, against 0.56
// and 0.60 with 4 vectors interleaved (0.5 is the units' rate).
template <class O> struct Twice {
  struct V {
    typename O::V a, b;
  };
  using M = V;
  using Pair = Twice<Twice<O>>;
  template <class T> static V set1(T x) { return {O::set1(x), O::set1(x)}; }
  static V add(V x, V y) { return {O::add(x.a, y.a), O::add(x.b, y.b)}; }
  static V sub(V x, V y) { return {O::sub(x.a, y.a), O::sub(x.b, y.b)}; }
  static V mul(V x, V y) { return {O::mul(x.a, y.a), O::mul(x.b, y.b)}; }
  static V div(V x, V y) { return {O::div(x.a, y.a), O::div(x.b, y.b)}; }
  static V fma(V x, V y, V z) { return {O::fma(x.a, y.a, z.a), O::fma(x.b, y.b, z.b)}; }
  static V fnma(V x, V y, V z) { return {O::fnma(x.a, y.a, z.a), O::fnma(x.b, y.b, z.b)}; }
  static V max(V x, V y) { return {O::max(x.a, y.a), O::max(x.b, y.b)}; }
  static V min(V x, V y) { return {O::min(x.a, y.a), O::min(x.b, y.b)}; }
  static V neg(V x) { return {O::neg(x.a), O::neg(x.b)}; }
  static V abs(V x) { return {O::abs(x.a), O::abs(x.b)}; }
  static V copysign(V r, V x) { return {O::copysign(r.a, x.a), O::copysign(r.b, x.b)}; }
  static V xor_sign(V x, V y) { return {O::xor_sign(x.a, y.a), O::xor_sign(x.b, y.b)}; }
  static V sqrt(V x) { return {O::sqrt(x.a), O::sqrt(x.b)}; }
  static V rcp_est(V x) { return {O::rcp_est(x.a), O::rcp_est(x.b)}; }
  static V rsqrt_est(V x) { return {O::rsqrt_est(x.a), O::rsqrt_est(x.b)}; }
  static V recip_seed(V x) { return {O::recip_seed(x.a), O::recip_seed(x.b)}; }
  static V split_sqrt2(V x, V& k) { return {O::split_sqrt2(x.a, k.a), O::split_sqrt2(x.b, k.b)}; }
  struct Bits {
    decltype(O::split_off(typename O::V{}, std::declval<typename O::V&>(), std::declval<typename O::V&>())) a, b;
  };
  template <uint32_t Off = kLogOffBits> static Bits split_off(V x, V& k, V& m) {
    return {O::template split_off<Off>(x.a, k.a, m.a), O::template split_off<Off>(x.b, k.b, m.b)};
  }
  static V lookup_iv(const float* t, const Bits& i) { return {O::lookup_iv(t, i.a), O::lookup_iv(t, i.b)}; }
  static V lookup_iv4(const float* t, const Bits& i) { return {O::lookup_iv4(t, i.a), O::lookup_iv4(t, i.b)}; }
  static M positive_normal(V x) { return {O::positive_normal(x.a), O::positive_normal(x.b)}; }
  template <uint32_t Lo, uint32_t Span> static M bits_in(V x) { return {O::template bits_in<Lo, Span>(x.a), O::template bits_in<Lo, Span>(x.b)}; }
  static V add_shl52(V x, V y) { return {O::add_shl52(x.a, y.a), O::add_shl52(x.b, y.b)}; }
  static V scale_bits(V v, V k) { return {O::scale_bits(v.a, k.a), O::scale_bits(v.b, k.b)}; }
  static V pow2neg_half_bits(V k) { return {O::pow2neg_half_bits(k.a), O::pow2neg_half_bits(k.b)}; }
  static V lookup8(const float* t, V b) { return {O::lookup8(t, b.a), O::lookup8(t, b.b)}; }
  static V bit_to_sign(V x, int b) { return {O::bit_to_sign(x.a, b), O::bit_to_sign(x.b, b)}; }
  static M bit_set(V x, int b) { return {O::bit_set(x.a, b), O::bit_set(x.b, b)}; }
  static M bit_clear(V x, int b) { return {O::bit_clear(x.a, b), O::bit_clear(x.b, b)}; }
  static M gt(V x, V y) { return {O::gt(x.a, y.a), O::gt(x.b, y.b)}; }
  static M eq(V x, V y) { return {O::eq(x.a, y.a), O::eq(x.b, y.b)}; }
  static M unord(V x, V y) { return {O::unord(x.a, y.a), O::unord(x.b, y.b)}; }
  static M mand(M x, M y) { return {O::mand(x.a, y.a), O::mand(x.b, y.b)}; }
  static M mor(M x, M y) { return {O::mor(x.a, y.a), O::mor(x.b, y.b)}; }
  static M mandnot(M x, M y) { return {O::mandnot(x.a, y.a), O::mandnot(x.b, y.b)}; }
  static V keep(M m, V x) { return {O::keep(m.a, x.a), O::keep(m.b, x.b)}; }
  static V sel(M m, V x, V y) { return {O::sel(m.a, x.a, y.a), O::sel(m.b, x.b, y.b)}; }
  static bool all(M m) { return O::all(O::mand(m.a, m.b)); }
  static bool any(M m) { return O::any(O::mor(m.a, m.b)); }
};

struct VF {
  using V = __m256;
  using M = __m256;
  using Pair = Twice<VF>;
  static constexpr int W = 8;
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static void stream(float* p, V v) { _mm256_stream_ps(p, v); }  // p on 32 bytes
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }  // c - a b
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V neg(V a) { return -a; }  // as a float negation, which the compiler folds into fused multiply-adds
  static V abs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static V copysign(V r, V x) {
    const V s = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(s, r), _mm256_and_ps(s, x));
  }
  static V xor_sign(V a, V b) { return _mm256_xor_ps(a, _mm256_and_ps(b, _mm256_set1_ps(-0.0f))); }
  static V or_sign(V a, V b) { return _mm256_or_ps(a, _mm256_and_ps(b, _mm256_set1_ps(-0.0f))); }  // b's sign bit into a's
  static M gt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static M eq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  static M unord(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_UNORD_Q); }
  static bool any(M m) { return _mm256_movemask_ps(m) != 0; }
  static bool all(M m) { return _mm256_movemask_ps(m) == 0xff; }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  // The least and greatest of the lanes' bits as signed integers: the
  // order of positive floats, a negative one below them all, a NaN above
  // inf (neither lost, as in min and max).
  static V min_bits(V a, V b) { return _mm256_castsi256_ps(_mm256_min_epi32(_mm256_castps_si256(a), _mm256_castps_si256(b))); }
  static V max_bits(V a, V b) { return _mm256_castsi256_ps(_mm256_max_epi32(_mm256_castps_si256(a), _mm256_castps_si256(b))); }
  static V sqrt(V a) { return _mm256_sqrt_ps(a); }
  // 1/a and 1/sqrt(a) to about 2^-12 relative.
  static V rcp_est(V a) { return _mm256_rcp_ps(a); }
  static V rsqrt_est(V a) { return _mm256_rsqrt_ps(a); }
  // 1/a to 2^-14 or better: a seed for a quotient that one residual
  // correction finishes (q0 + r (n - q0 d) is then within 2^-27), or the
  // factor of a correction term; the 12-bit estimate would leave 2^-24.
  static V recip_seed(V a) { return div(set1(1.0f), a); }
  // x = 2^k m, m in [Off's float, twice it) (kLogOffBits: LogTable's; log_sum
  // takes its own), for positive normal x: k whole, m, and x's bits less
  // Off, whose bits 20-22 are m's interval.
  template <uint32_t Off = kLogOffBits> static __m256i split_off(V x, V& k, V& m) {
    const __m256i t = _mm256_sub_epi32(_mm256_castps_si256(x), _mm256_set1_epi32(int(Off)));
    const __m256i ki = _mm256_srai_epi32(t, 23);
    k = _mm256_cvtepi32_ps(ki);
    m = _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_castps_si256(x), _mm256_slli_epi32(ki, 23)));
    return t;
  }
  // Where Lo <= x's bits < Lo + Span as unsigned integers (for positive
  // float bounds: negative x and NaN fail): one integer add and compare in
  // place of two float compares and an and.
  template <uint32_t Lo, uint32_t Span> static M bits_in(V x) {
    const __m256i t = _mm256_add_epi32(_mm256_castps_si256(x), _mm256_set1_epi32(int(0x80000000u - Lo)));
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(int(0x80000000u + Span)), t));
  }
  // Where x is positive, normal and finite: its bits plus 2^23 are above
  // 2^24 - 1 as a signed integer (zero, subnormals, negatives, infinities
  // and NaNs are not); one integer add and compare, not two float compares.
  static M positive_normal(V x) {
    const __m256i b = _mm256_add_epi32(_mm256_castps_si256(x), _mm256_set1_epi32(0x00800000));
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(b, _mm256_set1_epi32(0x00ffffff)));
  }
  // t[i] (t holds 8 floats) for the interval i in split_off's bits.
  static V lookup_iv(const float* t, __m256i b) { return _mm256_permutevar8x32_ps(_mm256_loadu_ps(t), _mm256_srli_epi32(b, 20)); }
  // t[i] (t holds 4 floats twice) for the interval i in bits 21-22 of split_off's bits: one in-lane permute
  static V lookup_iv4(const float* t, __m256i b) { return _mm256_permutevar_ps(_mm256_loadu_ps(t), _mm256_srli_epi32(b, 21)); }
  static V trunc(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
  static V round(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // p 2^n for a whole n in [-150, 150], rounded once (to a subnormal too): two
  // normal powers of two, n/2 rounded down and the rest.
  // n's integer from the bits of n + 1.5 2^23 and halved by a shift: on Zen
  // 3 a conversion or a rounding goes through the pipe that the permutes
  // and the other conversions share.
  static V scale(V p, V n) {
    const __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(_mm256_add_ps(n, _mm256_set1_ps(0x1.8p23f))), _mm256_set1_epi32(0x4b400000));
    const __m256i h = _mm256_srai_epi32(ni, 1);
    auto pow2 = [](__m256i k) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23)); };
    return _mm256_mul_ps(_mm256_mul_ps(p, pow2(h)), pow2(_mm256_sub_epi32(ni, h)));
  }
  // v 2^n for a whole n in the low bits of k's bits (k = n + 1.5 2^23, as
  // the rounding shift leaves it), where v 2^n is a normal float: n added
  // to v's exponent bits (one shift and one integer add).
  static V scale_bits(V v, V k) {
    return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(v), _mm256_slli_epi32(_mm256_castps_si256(k), 23)));
  }
  // t[j] for a whole j in [0, 16) held in float lanes (t holds 16 floats):
  // each half by j's three low bits, its fourth bit (moved to the sign) picks.
  static V lookup16(const float* t, V j) {
    const __m256i i = _mm256_cvttps_epi32(j);
    return _mm256_blendv_ps(_mm256_permutevar8x32_ps(_mm256_loadu_ps(t), i), _mm256_permutevar8x32_ps(_mm256_loadu_ps(t + 8), i),
                            _mm256_castsi256_ps(_mm256_slli_epi32(i, 28)));
  }
  // 2^-n for a whole n in [-126, 126]: n's integer from the bits of n + 1.5
  // 2^23 (as scale), shifted into the exponent.
  static V pow2neg(V n) {
    const __m256i nb = _mm256_castps_si256(_mm256_add_ps(n, _mm256_set1_ps(0x1.8p23f)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_sub_epi32(_mm256_set1_epi32(0x4b400000 + 127), nb), 23));
  }
  // pow2neg(n) from k = n + 1.5 2^23 (the rounding shift's value) for n <= 126.
  static V pow2neg_bits(V k) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_sub_epi32(_mm256_set1_epi32(0x4b400000 + 127), _mm256_castps_si256(k)), 23));
  }
  // 2^(-n-1) from k = n + 1.5 2^23 for a whole n in [0, 126] (0 at 126).
  static V pow2neg_half_bits(V k) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_sub_epi32(_mm256_set1_epi32(0x4b400000 + 126), _mm256_castps_si256(k)), 23));
  }
  // t[j] (t holds 8 floats, on 32 bytes) for j in the three low bits of b's bits.
  static V lookup8(const float* t, V b) { return _mm256_permutevar8x32_ps(_mm256_load_ps(t), _mm256_castps_si256(b)); }
  static M mand(M a, M b) { return _mm256_and_ps(a, b); }
  static M mor(M a, M b) { return _mm256_or_ps(a, b); }
  static M mandnot(M a, M b) { return _mm256_andnot_ps(a, b); }  // b and not a
  // v where m, else +0: an and instead of a blend (arctan's four such
  // blends as ands: 0.93-0.94x the time on Zen 3, as if the blends took
  // the multiplies' pipes).
  static V keep(M m, V v) { return _mm256_and_ps(m, v); }
  // Where bit b of a's bits is set (in the sign, which is what sel reads); and that bit moved to the sign.
  static V bit_to_sign(V a, int b) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(a), 31 - b)); }
  static M bit_set(V a, int b) { return bit_to_sign(a, b); }
  static M bit_clear(V a, int b) { return _mm256_xor_ps(bit_to_sign(a, b), set1(-0.0f)); }
  static V sel(M m, V a, V b) { return _mm256_blendv_ps(b, a, m); }
  // a + b where m, else c.
  static V sum_or(M m, V a, V b, V c) { return sel(m, add(a, b), c); }
  static float hsum(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
  }
  static float hmax(V v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
  }
  // The low and high halves widened to double lanes, and back.
  static __m256d lo_pd(V v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
  static __m256d hi_pd(V v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }
  static V from_pd(__m256d lo, __m256d hi) { return _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo)); }
  // The halves of 8 floats at p widened to double lanes, read as two loads
  // (no shuffle); and two double vectors stored as the halves of 8 floats.
  static __m256d lo_pd_at(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
  static __m256d hi_pd_at(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p + 4)); }
  static void store_pd_halves(float* p, __m256d lo, __m256d hi) {
    _mm_storeu_ps(p, _mm256_cvtpd_ps(lo)), _mm_storeu_ps(p + 4, _mm256_cvtpd_ps(hi));
  }
  static V load_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  // Non-temporal (nt) stores need p on 16 bytes.
  static void store_h(uint16_t* p, __m128i h, bool nt) {
    if (nt) _mm_stream_si128(reinterpret_cast<__m128i*>(p), h);
    else _mm_storeu_si128(reinterpret_cast<__m128i*>(p), h);
  }
  static void store_f16(uint16_t* p, V v, bool nt) { store_h(p, _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), nt); }
  static V load_bf16(const uint16_t* p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  }
  // Round to nearest even; NaNs stay quiet NaNs (as float_to_bf16).
  static void store_bf16(uint16_t* p, V v, bool nt) {
    const __m256i u = _mm256_castps_si256(v);
    const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), odd));
    r = _mm256_blendv_epi8(r, _mm256_or_si256(u, _mm256_set1_epi32(0x400000)), _mm256_castps_si256(unord(v, v)));
    r = _mm256_srli_epi32(r, 16);
    store_h(p, _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1)), nt);
  }
};

struct VD {
  using V = __m256d;
  using M = __m256d;
  using Pair = Twice<VD>;
  static constexpr int W = 4;
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static void stream(double* p, V v) { _mm256_stream_pd(p, v); }  // p on 32 bytes
  static V set1(double x) { return _mm256_set1_pd(x); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static V sub(V a, V b) { return _mm256_sub_pd(a, b); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V div(V a, V b) { return _mm256_div_pd(a, b); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V sqrt(V a) { return _mm256_sqrt_pd(a); }
  static V max(V a, V b) { return _mm256_max_pd(a, b); }
  static V neg(V a) { return -a; }  // as a float negation, which the compiler folds into fused multiply-adds
  static V abs(V a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a); }
  static V copysign(V r, V x) {
    const V s = _mm256_set1_pd(-0.0);
    return _mm256_or_pd(_mm256_andnot_pd(s, r), _mm256_and_pd(s, x));
  }
  static V xor_sign(V a, V b) { return _mm256_xor_pd(a, _mm256_and_pd(b, _mm256_set1_pd(-0.0))); }
  static V min(V a, V b) { return _mm256_min_pd(a, b); }
  static V round(V a) { return _mm256_round_pd(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V floor(V a) { return _mm256_round_pd(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
  // x = 2^exponent(x) * mantissa(x), mantissa in [1, 2), for positive normal x.
  static V exponent(V x) {
    const __m256i e = _mm256_srli_epi64(_mm256_castpd_si256(x), 52);
    const V big = _mm256_set1_pd(0x1p52);
    return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(e, _mm256_castpd_si256(big))), _mm256_set1_pd(0x1p52 + 1023));
  }
  static V mantissa(V x) {
    const __m256i m = _mm256_and_si256(_mm256_castpd_si256(x), _mm256_set1_epi64x(0x000fffffffffffffll));
    return _mm256_castsi256_pd(_mm256_or_si256(m, _mm256_castpd_si256(_mm256_set1_pd(1.0))));
  }
  // t[i], i the low 4 bits of src's bits shifted right by `shift`: each
  // quarter of t by i's two low bits (a lane-crossing permute of its
  // halves), bits 2 and 3 (moved to the sign) pick. Against a gather on Zen
  // 3: expm1 0.91x and power 0.92x the time in cache (and the double-lane
  // log 0.85x, before it moved to float lanes).
  static V lookup16(const double* t, V src, int shift) {
    const __m256i b = _mm256_castpd_si256(src);
    // 2 (i mod 4) in each lane's low half and 2 (i mod 4) + 1 in its high half
    const __m256i j = _mm256_and_si256(shift ? _mm256_srli_epi64(b, shift - 1) : _mm256_slli_epi64(b, 1), _mm256_set1_epi64x(6));
    const __m256i k = _mm256_or_si256(_mm256_shuffle_epi32(j, 0xa0), _mm256_set1_epi64x(1ll << 32));
    auto q = [k, t](int c) { return _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_loadu_ps(reinterpret_cast<const float*>(t + 4 * c)), k)); };
    const V b2 = _mm256_castsi256_pd(_mm256_slli_epi64(b, 61 - shift)), b3 = _mm256_castsi256_pd(_mm256_slli_epi64(b, 60 - shift));
    return _mm256_blendv_pd(_mm256_blendv_pd(q(0), q(1), b2), _mm256_blendv_pd(q(2), q(3), b2), b3);
  }
  // x = 2^k m with m in [sqrt(1/2), sqrt(2)), for positive normal x: k whole.
  static V split_sqrt2(V x, V& k) { return split_from<0x3fe6a09e667f3bcdll>(x, k); }
  // x = 2^k m with m in [c, 2c), c in [0.5, 1) of bits C, for positive
  // normal x: u = x's bits + 1.0's - c's has k + 1023 in its exponent
  // field, m's mantissa bits minus c's below it.
  template <long long C> static V split_from(V x, V& k) {
    const __m256i u = _mm256_add_epi64(_mm256_castpd_si256(x), _mm256_set1_epi64x(0x3ff0000000000000ll - C));
    const __m256i kb = _mm256_srli_epi64(u, 52);
    k = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(kb, _mm256_castpd_si256(_mm256_set1_pd(0x1p52)))), _mm256_set1_pd(0x1p52 + 1023));
    return _mm256_castsi256_pd(_mm256_add_epi64(_mm256_and_si256(u, _mm256_set1_epi64x(0x000fffffffffffffll)), _mm256_set1_epi64x(C)));
  }
  // The bits of a plus the bits of b shifted left by 52: a 2^n for b = n +
  // 1.5 2^52 (n's two's complement in b's low bits), a and a 2^n normal.
  static V add_shl52(V a, V b) {
    return _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(a), _mm256_slli_epi64(_mm256_castpd_si256(b), 52)));
  }
  // The bits of a plus the bits of b shifted left by 48.
  static V add_shl48(V a, V b) {
    return _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(a), _mm256_slli_epi64(_mm256_castpd_si256(b), 48)));
  }
  // x = 2^k m with m in [0.75, 1.5) and k whole, for positive finite x
  // (subnormal too: scaled by 2^54 first).
  static V split75(V x, V& k) {
    const V sub = _mm256_cmp_pd(x, _mm256_set1_pd(0x1p-1022), _CMP_LT_OQ);
    const V m = split_from<0x3fe8000000000000ll>(_mm256_blendv_pd(x, _mm256_mul_pd(x, _mm256_set1_pd(0x1p54)), sub), k);
    k = _mm256_sub_pd(k, _mm256_and_pd(sub, _mm256_set1_pd(54.0)));
    return m;
  }
  // t[i], i = b's bits & mask (a gather).
  static V gather(const double* t, V b, int64_t mask) {
    return _mm256_i64gather_pd(t, _mm256_and_si256(_mm256_castpd_si256(b), _mm256_set1_epi64x(mask)), 8);
  }
  // t[i] for i in [0, 48) in b's low 6 bits (t holds 48 doubles).
  static V lookup48(const double* t, V b) { return gather(t, b, 63); }
  // a 2^n, n = floor(j / 2^s) for b = j + 1.5 2^52 (j whole), a and a 2^n
  // normal: the bits of a plus those of b shifted right by s, then left by 52.
  static V add_exp(V a, V b, int s) {
    const __m256i n = _mm256_slli_epi64(_mm256_srli_epi64(_mm256_castpd_si256(b), s), 52);
    return _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(a), n));
  }
  static M gt(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
  static M eq(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_EQ_OQ); }
  static M unord(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_UNORD_Q); }
  static bool any(M m) { return _mm256_movemask_pd(m) != 0; }
  static bool all(M m) { return _mm256_movemask_pd(m) == 0xf; }
  static V sel(M m, V a, V b) { return _mm256_blendv_pd(b, a, m); }
  // a - b where m, else c.
  static V diff_or(M m, V a, V b, V c) { return sel(m, sub(a, b), c); }
  // Where bit b of a's bits is set (in the sign, which is what sel reads).
  static M bit_set(V a, int b) { return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(a), 63 - b)); }
  static double hsum(V v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }
  static double hmax(V v) {
    __m128d s = _mm_max_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_max_sd(s, _mm_unpackhi_pd(s, s)));
  }
  // 1/a to 2^-12 relative (an index or the seed of a Newton step) for a
  // in float's normal range, by float's estimate; 0 from 2^128 on.
  static V recip_est(V a) { return _mm256_cvtps_pd(_mm_rcp_ps(_mm256_cvtpd_ps(a))); }
  // 1/sqrt(a) to 2^-12 relative for a in float's normal range, as recip_est.
  static V rsqrt_est(V a) { return _mm256_cvtps_pd(_mm_rsqrt_ps(_mm256_cvtpd_ps(a))); }
  // t[i] for whole i in [0, 2^31) held as doubles, as AVX-512's (the masked
  // form: GCC 12 warns of the plain one's undefined source operand).
  static V gather_whole(const double* t, V i) {
    return _mm256_mask_i32gather_pd(_mm256_setzero_pd(), t, _mm256_cvtpd_epi32(i), _mm256_set1_pd(-0.0), 8);
  }
};

#include "vecmath_isa.h"

}  // namespace vec_avx2

const VecTable* vec_table_avx2(SymFn sym) { return vec_avx2::make_table(sym, "avx2", "f8_u10avx2", "d4_u10avx2", "d4_u15avx2"); }

}  // namespace mlxc
