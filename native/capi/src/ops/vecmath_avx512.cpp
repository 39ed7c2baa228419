// The vector kernels for AVX-512F (16 float or 8 double lanes). Built with
// AVX-512 enabled whatever the rest of the library is built for; only called
// after the CPU check.
#include <immintrin.h>

#include <cmath>
#include <type_traits>
#include <utility>

#include "vecmath.h"

namespace mlxc {
namespace vec_avx512 {

struct VF {
  using V = __m512;
  using M = __mmask16;
  static constexpr int W = 16;
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void stream(float* p, V v) { _mm512_stream_ps(p, v); }  // p on 64 bytes
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V neg(V a) { return -a; }  // as a float negation, which the compiler folds into fused multiply-adds
  static V abs(V a) { return _mm512_abs_ps(a); }
  static V copysign(V r, V x) {
    const __m512i s = _mm512_set1_epi32(int(0x80000000u));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_andnot_si512(s, _mm512_castps_si512(r)),
                                               _mm512_and_si512(s, _mm512_castps_si512(x))));
  }
  static bool any(M m) { return m != 0; }
  static bool all(M m) { return m == 0xffff; }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V sqrt(V a) { return _mm512_sqrt_ps(a); }
  // 1/a and 1/sqrt(a) to about 2^-14 relative.
  static V rcp_est(V a) { return _mm512_rcp14_ps(a); }
  static V rsqrt_est(V a) { return _mm512_rsqrt14_ps(a); }
  // 1/a to 2^-14 or better: a seed for a quotient that one residual
  // correction finishes (q0 + r (n - q0 d) is then within 2^-27), or the
  // factor of a correction term; the estimate alone.
  static V recip_seed(V a) { return rcp_est(a); }
  // x = 2^k m with m in [0.75, 1.5), for positive normal x below 1.5 2^127;
  // k whole: the exponent of x 4/3 (rounded to float, its mantissa reaches 2
  // exactly where x's reaches 1.5, which every mantissa was checked for).
  static V split75(V x, V& k) {
    k = _mm512_getexp_ps(_mm512_mul_ps(x, _mm512_set1_ps(4.0f / 3)));
    return _mm512_getmant_ps(x, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_zero);
  }
  // x = 2^k m, m in [Off's float, twice it), for positive normal x: k
  // whole, m, and x's bits less Off, whose bits 20-22 are m's interval.
  template <uint32_t Off = kLogOffBits> static __m512i split_off(V x, V& k, V& m) {
    const __m512i t = _mm512_sub_epi32(_mm512_castps_si512(x), _mm512_set1_epi32(int(Off)));
    const __m512i ki = _mm512_srai_epi32(t, 23);
    k = _mm512_cvtepi32_ps(ki);
    m = _mm512_castsi512_ps(_mm512_sub_epi32(_mm512_castps_si512(x), _mm512_slli_epi32(ki, 23)));
    return t;
  }
  // t[i] (t holds 8 floats) for the interval i in split_off's bits: the
  // table held twice, so that bit 23 (k's lowest) picks the same entry.
  static V lookup_iv(const float* t, __m512i b) {
    const V t8 = _mm512_castps256_ps512(_mm256_loadu_ps(t));
    return _mm512_permutexvar_ps(_mm512_srli_epi32(b, 20), _mm512_shuffle_f32x4(t8, t8, 0x44));
  }
  // Where x is positive, normal and finite (its bits less 2^23, unsigned, below 0x7f000000).
  static M positive_normal(V x) { return bits_in<0x00800000, 0x7f000000>(x); }
  // t[i] for i the top four mantissa bits of m (t holds 16 floats).
  static V lookup16m(const float* t, V m) {
    return _mm512_permutexvar_ps(_mm512_srli_epi32(_mm512_castps_si512(m), 19), _mm512_loadu_ps(t));
  }
  static V trunc(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
  static V round(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // p 2^n for a whole n in [-150, 150], rounded once (to a subnormal too).
  static V scale(V p, V n) { return _mm512_scalef_ps(p, n); }
  // v 2^n for a whole n in the low bits of k's bits (k = n + 1.5 2^23, as
  // the rounding shift leaves it), where v 2^n is a normal float: n added
  // to v's exponent bits.
  static V scale_bits(V v, V k) {
    return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(v), _mm512_slli_epi32(_mm512_castps_si512(k), 23)));
  }
  // 2^(-n-c) from k = n + 1.5 2^23 for a whole n with -n-c in [-126, 127] (c = 1: 0 at n = 126).
  template <int C> static V pow2neg_c_bits(V k) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_sub_epi32(_mm512_set1_epi32(0x4b400000 + 127 - C), _mm512_castps_si512(k)), 23));
  }
  static V pow2neg_bits(V k) { return pow2neg_c_bits<0>(k); }
  static V pow2neg_half_bits(V k) { return pow2neg_c_bits<1>(k); }
  // 2^-n for a whole n in [-126, 126].
  static V pow2neg(V n) { return pow2neg_bits(add(n, set1(0x1.8p23f))); }
  // t[j] for a whole j in [0, 16) held in float lanes (t holds 16 floats).
  static V lookup16(const float* t, V j) { return _mm512_permutexvar_ps(_mm512_cvttps_epi32(j), _mm512_loadu_ps(t)); }
  static M mand(M a, M b) { return M(a & b); }
  // Where x's bits, unsigned, are in [Lo, Lo + Span).
  template <uint32_t Lo, uint32_t Span> static M bits_in(V x) {
    return _mm512_cmplt_epu32_mask(_mm512_sub_epi32(_mm512_castps_si512(x), _mm512_set1_epi32(int(Lo))), _mm512_set1_epi32(int(Span)));
  }
  static M mandnot(M a, M b) { return M(~a & b); }  // b and not a
  // v where m (else +0), and where not m
  static V keep(M m, V v) { return _mm512_maskz_mov_ps(m, v); }
  static V mandnot(M m, V v) { return _mm512_maskz_mov_ps(M(~m), v); }
  // Where bit b of a's bits is set; and that bit moved to the sign.
  static M bit_set(V a, int b) { return _mm512_test_epi32_mask(_mm512_castps_si512(a), _mm512_set1_epi32(1 << b)); }
  static M bit_clear(V a, int b) { return _mm512_testn_epi32_mask(_mm512_castps_si512(a), _mm512_set1_epi32(1 << b)); }
  static V bit_to_sign(V a, int b) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(a), unsigned(31 - b))); }
  static V xor_sign(V a, V b) {
    const __m512i s = _mm512_set1_epi32(int(0x80000000u));
    return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_and_si512(s, _mm512_castps_si512(b))));
  }
  static V or_sign(V a, V b) {  // b's sign bit into a's
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(a), _mm512_castps_si512(b), _mm512_set1_epi32(int(0x80000000u)), 0xf8));
  }
  static M gt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static M eq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  static M unord(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q); }
  static V sel(M m, V a, V b) { return _mm512_mask_blend_ps(m, b, a); }
  // a + b where m, else c: one masked add.
  static V sum_or(M m, V a, V b, V c) { return _mm512_mask_add_ps(c, m, a, b); }
  static float hsum(V v) { return _mm512_reduce_add_ps(v); }
  static float hmax(V v) { return _mm512_reduce_max_ps(v); }
  // The low and high halves widened to double lanes, and back.
  static __m512d lo_pd(V v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
  static __m512d hi_pd(V v) {
    return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  }
  static V from_pd(__m512d lo, __m512d hi) {
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(_mm512_cvtpd_ps(lo))),
                                               _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));
  }
  // The halves of 16 floats at p widened to double lanes, read as two loads
  // (no shuffle); and two double vectors stored as the halves of 16 floats.
  static __m512d lo_pd_at(const float* p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }
  static __m512d hi_pd_at(const float* p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p + 8)); }
  static void store_pd_halves(float* p, __m512d lo, __m512d hi) {
    _mm256_storeu_ps(p, _mm512_cvtpd_ps(lo)), _mm256_storeu_ps(p + 8, _mm512_cvtpd_ps(hi));
  }
  static V load_f16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  // Non-temporal (nt) stores need p on 32 bytes.
  static void store_h(uint16_t* p, __m256i h, bool nt) {
    if (nt) _mm256_stream_si256(reinterpret_cast<__m256i*>(p), h);
    else _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), h);
  }
  static void store_f16(uint16_t* p, V v, bool nt) { store_h(p, _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), nt); }
  static V load_bf16(const uint16_t* p) {
    const __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
  }
  // Round to nearest even; NaNs stay quiet NaNs (as float_to_bf16).
  static void store_bf16(uint16_t* p, V v, bool nt) {
    const __m512i u = _mm512_castps_si512(v);
    const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), odd));
    r = _mm512_mask_blend_epi32(unord(v, v), r, _mm512_or_si512(u, _mm512_set1_epi32(0x400000)));
    store_h(p, _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16)), nt);
  }
};

struct VD {
  using V = __m512d;
  using M = __mmask8;
  static constexpr int W = 8;
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
  static void stream(double* p, V v) { _mm512_stream_pd(p, v); }  // p on 64 bytes
  static V set1(double x) { return _mm512_set1_pd(x); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static V sub(V a, V b) { return _mm512_sub_pd(a, b); }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V div(V a, V b) { return _mm512_div_pd(a, b); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V sqrt(V a) { return _mm512_sqrt_pd(a); }
  static V max(V a, V b) { return _mm512_max_pd(a, b); }
  static V neg(V a) { return -a; }  // as a float negation, which the compiler folds into fused multiply-adds
  static V abs(V a) { return _mm512_abs_pd(a); }
  static V copysign(V r, V x) {
    const __m512i s = _mm512_set1_epi64(int64_t(0x8000000000000000ull));
    return _mm512_castsi512_pd(_mm512_or_si512(_mm512_andnot_si512(s, _mm512_castpd_si512(r)),
                                               _mm512_and_si512(s, _mm512_castpd_si512(x))));
  }
  static bool any(M m) { return m != 0; }
  static bool all(M m) { return m == 0xff; }
  static V xor_sign(V a, V b) {
    const __m512i s = _mm512_set1_epi64(int64_t(0x8000000000000000ull));
    return _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(a), _mm512_and_si512(s, _mm512_castpd_si512(b))));
  }
  static V min(V a, V b) { return _mm512_min_pd(a, b); }
  static V round(V a) { return _mm512_roundscale_pd(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V floor(V a) { return _mm512_roundscale_pd(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
  // x = 2^exponent(x) * mantissa(x), mantissa in [1, 2), for positive normal x.
  static V exponent(V x) { return _mm512_getexp_pd(x); }
  static V mantissa(V x) { return _mm512_getmant_pd(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero); }
  // t[i], i the low 4 bits of src's bits shifted right by `shift` (the permute reads only those).
  static V lookup16(const double* t, V src, int shift) {
    return _mm512_permutex2var_pd(_mm512_loadu_pd(t), _mm512_srli_epi64(_mm512_castpd_si512(src), unsigned(shift)), _mm512_loadu_pd(t + 8));
  }
  // The bits of a plus the bits of b shifted left by 48.
  static V add_shl48(V a, V b) {
    return _mm512_castsi512_pd(_mm512_add_epi64(_mm512_castpd_si512(a), _mm512_slli_epi64(_mm512_castpd_si512(b), 48)));
  }
  // x = 2^k m with m in [0.75, 1.5) and k whole, for positive finite x (subnormal too).
  static V split75(V x, V& k) {
    const V m = _mm512_getmant_pd(x, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_zero);
    k = _mm512_sub_pd(_mm512_getexp_pd(x), _mm512_getexp_pd(m));
    return m;
  }
  // t[i], i = b's bits & mask (a gather).
  static V gather(const double* t, V b, int64_t mask) {
    return _mm512_i64gather_pd(_mm512_and_si512(_mm512_castpd_si512(b), _mm512_set1_epi64(mask)), t, 8);
  }
  // t[i] for i in [0, 48) in b's low 6 bits (t holds 48 doubles): three
  // permutes and two blends (a gather of 8 lanes took twice the time of
  // the rest of float64 log on Zen 5).
  static V lookup48(const double* t, V b) {
    const __m512i i = _mm512_castpd_si512(b);
    const V a0 = _mm512_permutex2var_pd(_mm512_load_pd(t), i, _mm512_load_pd(t + 8));
    const V a1 = _mm512_permutex2var_pd(_mm512_load_pd(t + 16), i, _mm512_load_pd(t + 24));
    const V a2 = _mm512_permutex2var_pd(_mm512_load_pd(t + 32), i, _mm512_load_pd(t + 40));
    const __mmask8 b4 = _mm512_test_epi64_mask(i, _mm512_set1_epi64(16)), b5 = _mm512_test_epi64_mask(i, _mm512_set1_epi64(32));
    return _mm512_mask_blend_pd(b5, _mm512_mask_blend_pd(b4, a0, a1), a2);
  }
  // a 2^n, n = floor(j / 2^s) for b = j + 1.5 2^52 (j whole), a and a 2^n
  // normal: the bits of a plus those of b shifted right by s, then left by 52.
  static V add_exp(V a, V b, int s) {
    const __m512i n = _mm512_slli_epi64(_mm512_srli_epi64(_mm512_castpd_si512(b), unsigned(s)), 52);
    return _mm512_castsi512_pd(_mm512_add_epi64(_mm512_castpd_si512(a), n));
  }
  static M gt(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
  static M eq(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
  static M unord(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_UNORD_Q); }
  static V sel(M m, V a, V b) { return _mm512_mask_blend_pd(m, b, a); }
  // a - b where m, else c: one masked subtraction.
  static V diff_or(M m, V a, V b, V c) { return _mm512_mask_sub_pd(c, m, a, b); }
  // Where bit b of a's bits is set.
  static M bit_set(V a, int b) { return _mm512_test_epi64_mask(_mm512_castpd_si512(a), _mm512_set1_epi64(int64_t(1) << b)); }
  static double hsum(V v) { return _mm512_reduce_add_pd(v); }
  static double hmax(V v) { return _mm512_reduce_max_pd(v); }
  // 1/a to 2^-14 relative (an index or the seed of a Newton step); about 0 beyond 2^1022.
  static V recip_est(V a) { return _mm512_rcp14_pd(a); }
  // 1/sqrt(a) to 2^-14 relative.
  static V rsqrt_est(V a) { return _mm512_rsqrt14_pd(a); }
  // t[i] for whole i in [0, 2^31) held as doubles, by 32-bit indices: with
  // 64-bit ones (an index in the bits, and) tan's large arguments took 1.13x
  // the time.
  static V gather_whole(const double* t, V i) { return _mm512_i32gather_pd(_mm512_cvtpd_epi32(i), t, 8); }
};

#include "vecmath_isa.h"

}  // namespace vec_avx512

const VecTable* vec_table_avx512(SymFn sym) {
  return vec_avx512::make_table(sym, "avx512", "f16_u10avx512f", "d8_u10avx512f", "d8_u15avx512f");
}

}  // namespace mlxc
