// Quantization in MLX v0.31.2's modes and packed layout. Each group of
// `group_size` values along the last axis shares a scale; the values are
// stored as `bits`-bit codes packed little-endian one after the other
// (code i at bits [i*bits, (i+1)*bits) of the row's bit stream) in uint32
// words.
// - affine (bits 2, 3, 4, 5, 6, 8; groups of 32, 64, 128): w = q * scale +
//   bias, scales and biases in the input's dtype.
// - mxfp4 (E2M1 codes, groups of 32), mxfp8 (E4M3 codes, groups of 32):
//   a uint8 E8M0 scale per group, 2^(byte - 127); no biases.
// - nvfp4 (E2M1 codes, groups of 16): a uint8 E4M3 scale per group.
// quantized_matmul reads the packed words directly: a few rows of x times
// 4-bit affine weights in fused kernels (AVX-512 or AVX2), other few-row
// products unpacked a group at a time; many rows times transposed affine
// weights on AMX where the CPU has it (quantized_amx.cpp: x as exact
// bfloat16 parts, the codes exact in bfloat16, fp32 tiles scaled a group at
// a time; MLXCOMPAT_AMX=0 turns it off), else in register tiles (tiles.h)
// over a block of weights unpacked a chunk at a time; untransposed weights
// a block at a time into a BLAS product.
#include <algorithm>
#include <cmath>
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "../parallel.h"
#include "../op.h"
#include "quantized_amx.h"
#include "tiles.h"
#ifdef MLXC_HAVE_CBLAS
#include <cblas.h>
#endif

namespace mlxc {

namespace {

using Outs = std::vector<TypeShape>;
using Arrs = std::vector<Array>;

enum class QMode { Affine, Mxfp4, Mxfp8, Nvfp4 };

// A node's quantization: its mode, and group size and bits (the mode's
// defaults when absent).
struct Quant {
  QMode mode;
  std::string name;
  int64_t gs;
  int bits;
  bool affine() const { return mode == QMode::Affine; }
};

std::vector<AttrSpec> quant_attrs() {
  return {{"group_size", AttrType::Int, nullptr, false, true},
          {"bits", AttrType::Int, nullptr, false, true},
          {"mode", AttrType::Enum, "affine", false, false, {"affine", "mxfp4", "mxfp8", "nvfp4"}}};
}

// Checked as MLX v0.31.2 checks them, with its messages.
Quant quant_of(const Attrs& a, const char* op) {
  const std::string m = a.str("mode");
  const QMode mode = m == "affine" ? QMode::Affine : m == "mxfp4" ? QMode::Mxfp4 : m == "mxfp8" ? QMode::Mxfp8 : QMode::Nvfp4;
  const int64_t dgs = mode == QMode::Affine ? 64 : mode == QMode::Nvfp4 ? 16 : 32, dbits = mode == QMode::Mxfp8 ? 8 : 4;
  const int64_t gs = a.has("group_size") ? a.i("group_size") : dgs, bits = a.has("bits") ? a.i("bits") : dbits;
  const std::string tag = std::string("[") + op + "] ";
  if (mode == QMode::Affine) {
    if (gs != 32 && gs != 64 && gs != 128)
      throw RequestError("invalid_attribute", a.at("group_size"), tag + "The requested group size " + std::to_string(gs) + " is not supported. The supported group sizes are 32, 64, and 128.");
    if (bits < 2 || bits > 8 || bits == 7)
      throw RequestError("invalid_attribute", a.at("bits"), tag + "The requested number of bits " + std::to_string(bits) + " is not supported. The supported bits are 2, 3, 4, 5, 6 and 8.");
  } else {
    if (gs != dgs) throw RequestError("invalid_attribute", a.at("group_size"), tag + m + " quantization requires group size " + std::to_string(dgs) + " but got " + std::to_string(gs) + ".");
    if (bits != dbits) throw RequestError("invalid_attribute", a.at("bits"), tag + m + " quantization requires bits to be " + std::to_string(dbits) + " but got " + std::to_string(bits) + ".");
  }
  return {mode, m, gs, int(bits)};
}

// ---- the formats

// E2M1 by code: sign bit 3, then two exponent bits and one mantissa bit.
constexpr float kFp4[16] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f, -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};

// E4M3 (the "fn" variant: no infinities, 0x7f and 0xff are NaN) by byte.
struct E4m3Table {
  float v[256];
  E4m3Table() {
    for (int b = 0; b < 256; b++) {
      const int e = (b >> 3) & 15, m = b & 7;
      const float mag = e == 0 ? std::ldexp(float(m), -9) : (e == 15 && m == 7) ? NAN : std::ldexp(float(8 + m), e - 10);
      v[b] = b & 0x80 ? -mag : mag;
    }
  }
};
const E4m3Table kE4m3;

// float to E4M3 as MLX's CPU converts: to nearest, ties to even; 464 and
// above (infinity and NaN too) saturate to 448, the largest finite value.
uint8_t to_e4m3(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint8_t sign = uint8_t((u >> 24) & 0x80);
  u &= 0x7fffffffu;
  float mag;
  std::memcpy(&mag, &u, 4);
  if (u >= 0x43e80000u) return sign | 0x7e;  // 464.0f
  if (u < 0x3c800000u) return sign | uint8_t(std::nearbyint(mag * 512.0f));  // below 2^-6: subnormal steps of 2^-9
  // rebias the exponent (127 to 7) and round the mantissa to 3 bits
  const uint32_t r = u - (120u << 23);
  return sign | uint8_t((r + 0x7ffffu + ((r >> 20) & 1)) >> 20);
}

// A group's scale as a float: E8M0 (2^(byte - 127)) or E4M3.
inline float fp_scale(QMode mode, uint8_t s) { return mode == QMode::Nvfp4 ? kE4m3.v[s] : std::exp2(float(s) - 127.0f); }

// v rounded to T (float: unchanged), as MLX rounds each op's result in T;
// its bfloat16 conversion makes every NaN the positive quiet NaN.
template <class T>
inline float rnd(float v) {
  if constexpr (std::is_same_v<T, float>) return v;
  else if constexpr (std::is_same_v<T, bf16>) return std::isnan(v) ? std::fabs(v) : float(T(v));
  else return float(T(v));
}

// MLX's float to int32 conversion on x86: NaN and out of range give INT32_MIN.
inline int32_t to_int32(float v) { return v >= -2147483648.0f && v < 2147483648.0f ? int32_t(v) : INT32_MIN; }

#if defined(__x86_64__)
bool have_avx2_fma() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

bool have_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}

// No contraction of q s + b into one FMA (see unpack4_avx2): GCC takes it as
// a function attribute; clang ignores that attribute (with a warning) and
// takes a pragma at the top of the body instead.
#if defined(__clang__)
#define NO_CONTRACTION_ATTR
#define NO_CONTRACTION_BODY _Pragma("clang fp contract(off)")
#else
#define NO_CONTRACTION_ATTR __attribute__((optimize("fp-contract=off")))
#define NO_CONTRACTION_BODY
#endif

// Defined below, with the AVX-512 kernels.
__attribute__((target("avx512f"))) NO_CONTRACTION_ATTR void unpack4_avx512(const uint32_t* w, int64_t n, float s, float b, float* out);

// 4-bit values, 8 per word (n a multiple of 8): q s + b with the same two
// roundings. No contraction: where this is not inlined into unpack_affine
// (a build for any x86-64, whose callers cannot take AVX2 code inline),
// GCC made the product and sum one FMA, and dequantize missed MLX's values.
__attribute__((target("avx2,fma"))) NO_CONTRACTION_ATTR void unpack4_avx2(const uint32_t* w, int64_t n, float s, float b, float* out) {
  NO_CONTRACTION_BODY
  const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28), m4 = _mm256_set1_epi32(15);
  const __m256 vs = _mm256_set1_ps(s), vb = _mm256_set1_ps(b);
  for (int64_t i = 0; i < n / 8; i++) {
    const __m256i q = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(int(w[i])), shifts), m4);
    _mm256_storeu_ps(out + 8 * i, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(q), vs), vb));
  }
}
#endif

// `n` values of a bit stream starting at word `w` (bit 0), scaled: out[i] = q_i s + b.
// Two roundings, as MLX (built without FMA contraction) computes them.
NO_CONTRACTION_ATTR inline void unpack_affine(const uint32_t* w, int bits, int64_t n, float s, float b, float* out) {
  NO_CONTRACTION_BODY
#if defined(__x86_64__)
  if (bits == 4 && n % 16 == 0 && have_avx512()) return unpack4_avx512(w, n, s, b, out);
  if (bits == 4 && n % 8 == 0 && have_avx2_fma()) return unpack4_avx2(w, n, s, b, out);
#endif
  if (bits == 4) {
    for (int64_t i = 0; i < n; i++) out[i] = float((w[i >> 3] >> ((i & 7) * 4)) & 15u) * s + b;
  } else if (bits == 8) {
    for (int64_t i = 0; i < n; i++) out[i] = float((w[i >> 2] >> ((i & 3) * 8)) & 255u) * s + b;
  } else if (bits == 2) {
    for (int64_t i = 0; i < n; i++) out[i] = float((w[i >> 4] >> ((i & 15) * 2)) & 3u) * s + b;
  } else {
    const uint64_t mask = (uint64_t(1) << bits) - 1;
    for (int64_t i = 0; i < n; i++) {
      const int64_t bit = i * bits, word = bit >> 5, shift = bit & 31;
      uint64_t v = w[word];
      if (shift + bits > 32) v |= uint64_t(w[word + 1]) << 32;
      out[i] = float((v >> shift) & mask) * s + b;
    }
  }
}

// `n` floating-point codes (E2M1 nibbles or E4M3 bytes) times their group's scale.
inline void unpack_fp(const uint32_t* w, int bits, int64_t n, float s, float* out) {
  if (bits == 4) {
    for (int64_t i = 0; i < n; i++) out[i] = kFp4[(w[i >> 3] >> ((i & 7) * 4)) & 15u] * s;
  } else {
    for (int64_t i = 0; i < n; i++) out[i] = kE4m3.v[(w[i >> 2] >> ((i & 3) * 8)) & 255u] * s;
  }
}

// A group of any mode; `s` is the decoded scale, `b` the bias (affine only).
inline void unpack_group(const Quant& q, const uint32_t* w, int64_t n, float s, float b, float* out) {
  if (q.affine()) unpack_affine(w, q.bits, n, s, b, out);
  else unpack_fp(w, q.bits, n, s, out);
}

// The affine rule of one group: the edge of larger magnitude is represented exactly.
void quantize_affine_group(const float* x, int64_t gs, int bits, uint32_t* out, float* scale_out, float* bias_out) {
  const float n_bins = float((1 << bits) - 1), eps = 1e-7f;
  float lo = INFINITY, hi = -INFINITY;
  for (int64_t j = 0; j < gs; j++) {
    lo = std::min(lo, x[j]);
    hi = std::max(hi, x[j]);
  }
  const bool low_edge = std::abs(lo) > std::abs(hi);
  float scale = std::max((hi - lo) / n_bins, eps);
  scale = low_edge ? scale : -scale;
  const float edge = low_edge ? lo : hi;
  const float q0 = std::rint(edge / scale);
  float bias = 0;
  if (q0 != 0) {
    scale = edge / q0;
    bias = edge;
  }
  std::memset(out, 0, size_t(gs * bits / 32) * 4);
  for (int64_t j = 0; j < gs; j++) {
    const float v = std::min(std::max(std::rint((x[j] - bias) / scale), 0.0f), n_bins);
    const uint64_t u = uint64_t(v), bit = uint64_t(j * bits);
    out[bit >> 5] |= uint32_t(u << (bit & 31));
    if ((bit & 31) + uint64_t(bits) > 32) out[(bit >> 5) + 1] |= uint32_t(u >> (32 - (bit & 31)));
  }
  *scale_out = scale;
  *bias_out = bias;
}

// The floating-point modes' rule for one group, each step rounded to T as
// MLX's graph of ops computes it: scale = max|x| / (6 or 448), stored as
// E4M3 (nvfp4) or as the power of two 2^round(log2(scale)) (E8M0); each
// value divided by the stored scale, then the nearest E2M1 code (the first
// of equally near ones, in code order) or its E4M3 conversion.
template <class T>
void quantize_fp_group(const T* x, const Quant& q, uint32_t* out, uint8_t* scale_out) {
  float amax = 0;
  for (int64_t j = 0; j < q.gs; j++) {
    const float a = std::abs(float(x[j]));
    amax = std::isnan(a) || std::isnan(amax) ? NAN : std::max(amax, a);
  }
  const float scale = rnd<T>(amax / (q.bits == 4 ? 6.0f : 448.0f));
  float div;
  if (q.mode == QMode::Nvfp4) {
    *scale_out = to_e4m3(scale);
    div = rnd<T>(kE4m3.v[*scale_out]);
  } else {
    const int32_t e = scale == 0 ? 0 : to_int32(std::rint(rnd<T>(std::log2(scale))));
    div = rnd<T>(std::exp2(rnd<T>(float(e))));
    // the stored byte is e + 127 computed in T and converted; a scale that
    // is not finite (a NaN or an infinity in the group) has e = INT32_MIN,
    // and its byte is what that sum's rounding in T leaves (0x80 from float32)
    *scale_out = uint8_t(uint32_t(to_int32(rnd<T>(rnd<T>(float(e)) + 127.0f))));
  }
  std::memset(out, 0, size_t(q.gs * q.bits / 32) * 4);
  for (int64_t j = 0; j < q.gs; j++) {
    const float v = rnd<T>(float(x[j]) / div);
    uint32_t code;
    if (q.bits == 8) {
      code = to_e4m3(v);
    } else {
      code = 0;
      float best = std::abs(rnd<T>(v - kFp4[0]));
      for (uint32_t c = 1; c < 16; c++) {
        const float d = std::abs(rnd<T>(v - kFp4[c]));
        if (d < best) {
          best = d;
          code = c;
        }
      }
    }
    out[(j * q.bits) >> 5] |= code << ((j * q.bits) & 31);
  }
}

void register_quantize() {
  OpDef d = make_op("quantize", "quantized", "outputs: uint32 packed values, then scales (affine: and biases) in the input's dtype; the other modes: uint8 scales", 1, 1, quant_attrs());
  d.shapeless = true;
  d.infer = [](const InferCtx& c) {
    const Quant q = quant_of(c.attrs, "quantize");
    const TypeShape& w = c.in[0];
    if (!is_floating(w.dtype) || w.dtype == DType::Float64) refuse_dtype("quantize", w.dtype, c.path);
    if (w.shape.size() < 2) throw RequestError("invalid_shape", c.path + "/inputs/0", "[quantize] The matrix to be quantized must have at least 2 dimensions, got " + shape_str(w.shape));
    if (w.shape.back() % q.gs)
      throw RequestError("invalid_shape", c.path + "/inputs/0", "[quantize] The last dimension of the matrix needs to be divisible by the quantization group size " + std::to_string(q.gs) + ", got " + shape_str(w.shape));
    Shape packed = w.shape, s = w.shape;
    packed.back() = w.shape.back() * q.bits / 32;
    s.back() = w.shape.back() / q.gs;
    if (!q.affine()) return Outs{{DType::UInt32, packed}, {DType::UInt8, s}};
    return Outs{{DType::UInt32, packed}, {w.dtype, s}, {w.dtype, s}};
  };
  d.eval = [](const EvalCtx& c) {
    const Quant q = quant_of(c.attrs, "quantize");
    Array packed(DType::UInt32, c.out[0].shape);
    const int64_t groups = shape_size(c.out[1].shape), words = q.gs * q.bits / 32;
    if (q.affine()) {
      Array w = astype(c.in[0], DType::Float32);
      Array s(DType::Float32, c.out[1].shape), b(DType::Float32, c.out[2].shape);
      parallel_for(groups, 256, [&](int64_t g0, int64_t g1) {
        for (int64_t g = g0; g < g1; g++)
          quantize_affine_group(w.data<float>() + g * q.gs, q.gs, q.bits, packed.data<uint32_t>() + g * words, s.data<float>() + g, b.data<float>() + g);
      });
      return Arrs{packed, astype(s, c.out[1].dtype), astype(b, c.out[2].dtype)};
    }
    Array s(DType::UInt8, c.out[1].shape);
    dispatch(c.in[0].dtype, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (is_float_v<T> && !std::is_same_v<T, double>) {
        const T* x = c.in[0].data<T>();
        parallel_for(groups, 256, [&](int64_t g0, int64_t g1) {
          for (int64_t g = g0; g < g1; g++) quantize_fp_group<T>(x + g * q.gs, q, packed.data<uint32_t>() + g * words, s.data<uint8_t>() + g);
        });
      }
    });
    return Arrs{packed, s};
  };
  register_op(std::move(d));
}

// The operands of a dequantize or quantized product: the packed matrix and
// its scales and biases (affine only), from the op's trailing inputs.
struct Packed {
  const TypeShape& w;
  const TypeShape& s;
  const TypeShape* b;
};

Packed packed_operands(const std::vector<TypeShape>& in, size_t first, const Quant& q, const char* op, const std::string& path) {
  const bool has_b = in.size() > first + 2;
  if (q.affine() && !has_b) throw RequestError("invalid_arity", path + "/inputs", std::string("[") + op + "] Biases must be provided for affine quantization.");
  if (!q.affine() && has_b) throw RequestError("invalid_arity", path + "/inputs", std::string("[") + op + "] Biases must be null for quantization mode '" + q.name + "'.");
  return {in[first], in[first + 1], has_b ? &in[first + 2] : nullptr};
}

// The packed matrix's logical shape from its stored one, checked against scales and biases.
Shape unpacked_shape(const Packed& p, const Quant& q, const std::string& path) {
  if (p.w.dtype != DType::UInt32) throw RequestError("invalid_dtype", path, "the packed matrix must be uint32, got " + std::string(dtype_name(p.w.dtype)));
  if (p.w.shape.size() < 2) throw RequestError("invalid_shape", path, "the packed matrix needs at least 2 dimensions");
  Shape full = p.w.shape;
  full.back() = p.w.shape.back() * 32 / q.bits;
  Shape sg = full;
  sg.back() = full.back() / q.gs;
  const bool fits = (p.w.shape.back() * 32) % q.bits == 0 && full.back() % q.gs == 0 && p.s.shape == sg && (!p.b || p.b->shape == sg);
  if (!fits)
    throw RequestError("invalid_shape", path, "scales" + std::string(p.b ? " and biases" : "") + " of shape " + shape_str(p.s.shape) + " do not fit a packed matrix of shape " + shape_str(p.w.shape) +
                                                  " with group_size " + std::to_string(q.gs) + " and bits " + std::to_string(q.bits) + " (expected " + shape_str(sg) + ")");
  if (q.affine() && (!is_floating(p.s.dtype) || p.s.dtype != p.b->dtype)) throw RequestError("invalid_dtype", path, "scales and biases must share a floating dtype");
  if (!q.affine() && p.s.dtype != DType::UInt8) throw RequestError("invalid_dtype", path, q.name + " scales must be uint8, got " + std::string(dtype_name(p.s.dtype)));
  return full;
}

// The scales as floats: affine ones converted, the other modes' bytes decoded.
Array float_scales(const Array& s, const Quant& q) {
  if (q.affine()) return astype(s, DType::Float32);
  Array out(DType::Float32, s.shape);
  const uint8_t* in = s.data<uint8_t>();
  float* o = out.data<float>();
  for (int64_t i = 0; i < s.size(); i++) o[i] = fp_scale(q.mode, in[i]);
  return out;
}

// Unpacks columns [c0, c1) (whole groups) of rows [r0, r1) of a packed
// matrix with rows of k values into dst, c1 - c0 floats a row.
void unpack_rows(const Quant& q, const uint32_t* w, const float* s, const float* b, int64_t k, int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* dst) {
  const int64_t words = k * q.bits / 32, gwords = q.gs * q.bits / 32, groups = k / q.gs;
  for (int64_t r = r0; r < r1; r++)
    for (int64_t g = c0 / q.gs; g < c1 / q.gs; g++)
      unpack_group(q, w + r * words + g * gwords, q.gs, s[r * groups + g], b ? b[r * groups + g] : 0.0f, dst + (r - r0) * (c1 - c0) + g * q.gs - c0);
}

// The floating-point modes' values in T, rounded after each step as MLX's
// graph computes them: the code's value in T times the scale in T.
template <class T>
void dequantize_fp_row(const uint32_t* w, const uint8_t* s, const Quant& q, int64_t k, T* out) {
  for (int64_t g = 0; g < k / q.gs; g++) {
    const float scale = q.mode == QMode::Nvfp4 ? rnd<T>(kE4m3.v[s[g]]) : rnd<T>(std::exp2(float(s[g]) - 127.0f));
    for (int64_t i = g * q.gs; i < (g + 1) * q.gs; i++) {
      const float v = q.bits == 4 ? kFp4[(w[i >> 3] >> ((i & 7) * 4)) & 15u] : kE4m3.v[(w[i >> 2] >> ((i & 3) * 8)) & 255u];
      out[i] = T(rnd<T>(v) * scale);
    }
  }
}

void register_dequantize() {
  auto attrs = quant_attrs();
  attrs.push_back({"dtype", AttrType::DTypeName, nullptr});
  OpDef d = make_op("dequantize", "quantized", "attr dtype, else the scales' dtype (affine) or bfloat16 (the other modes)", 2, 3, attrs);
  d.infer = [](const InferCtx& c) {
    const Quant q = quant_of(c.attrs, "dequantize");
    const Packed p = packed_operands(c.in, 0, q, "dequantize", c.path);
    const Shape full = unpacked_shape(p, q, c.path);
    const DType t = c.attrs.has("dtype") ? c.attrs.dtype("dtype") : q.affine() ? p.s.dtype : DType::BFloat16;
    if (!is_floating(t) || t == DType::Float64) throw RequestError("invalid_dtype", c.attrs.at("dtype"), "[dequantize] the output dtype must be float32, float16 or bfloat16, got " + std::string(dtype_name(t)));
    return Outs{{t, full}};
  };
  d.eval = [](const EvalCtx& c) {
    const Quant q = quant_of(c.attrs, "dequantize");
    const int64_t k = c.out[0].shape.back();
    const Array& w = c.in[0];
    const int64_t rows = k ? shape_size(c.out[0].shape) / k : 0, words = k * q.bits / 32, groups = k / q.gs;
    const int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(k, 1));
    if (!q.affine()) {
      Array out(c.out[0].dtype, c.out[0].shape);
      dispatch(out.dtype, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (is_float_v<T> && !std::is_same_v<T, double>) {
          parallel_for(rows, grain, [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; r++) dequantize_fp_row<T>(w.data<uint32_t>() + r * words, c.in[1].data<uint8_t>() + r * groups, q, k, out.data<T>() + r * k);
          });
        }
      });
      return Arrs{out};
    }
    // affine: in the scales' dtype (a half type rounds q*s, then the sum, as MLX does), then the requested one
    Array s = astype(c.in[1], DType::Float32), b = astype(c.in[2], DType::Float32);
    const DType t = c.in[1].dtype;
    Array out(t, c.out[0].shape);
    parallel_for(rows, grain, [&](int64_t r0, int64_t r1) {
      std::vector<float> row(static_cast<size_t>(k));
      for (int64_t r = r0; r < r1; r++) {
        for (int64_t g = 0; g < groups; g++) {
          const float sc = s.data<float>()[r * groups + g], bi = b.data<float>()[r * groups + g];
          const uint32_t* src = w.data<uint32_t>() + r * words + g * q.gs * q.bits / 32;
          if (t == DType::Float32) {
            unpack_affine(src, q.bits, q.gs, sc, bi, row.data() + g * q.gs);
          } else {
            unpack_affine(src, q.bits, q.gs, 1.0f, 0.0f, row.data() + g * q.gs);
            for (int64_t i = 0; i < q.gs; i++) {
              float& v = row[size_t(g * q.gs + i)];
              v = t == DType::Float16 ? float(f16(float(f16(v * sc)) + bi)) : float(bf16(float(bf16(v * sc)) + bi));
            }
          }
        }
        dispatch(t, [&](auto tag) {
          using T = decltype(tag);
          if constexpr (is_float_v<T>) {
            T* o = out.data<T>() + r * k;
            for (int64_t i = 0; i < k; i++) o[i] = T(row[size_t(i)]);
          }
        });
      }
    });
    return Arrs{astype(out, c.out[0].dtype)};
  };
  register_op(std::move(d));
}

// ---- the fused product of a few rows with 4-bit affine weights
//
// out[n] = sum over groups g of s[n,g] (sum_j q_j x_j) + b[n,g] (sum_j x_j):
// the packed words are read once and never unpacked to memory.
#if defined(__x86_64__)
// x's fixed point (the integer kernels): each word (8 values) has a unit, a
// power of two 2^e that puts its largest magnitude in [2^21, 2^22), written
// as kDigits signed base-256 digits.
constexpr int64_t kDigits = 3;

// 2^n, n in double's normal range
inline double pow2(int n) {
  const uint64_t bits = uint64_t(n + 1023) << 52;
  double v;
  std::memcpy(&v, &bits, 8);
  return v;
}

// Each word's e (INT32_MIN where its 8 values are 0; at least -149, as units
// below the smallest float are not needed); returns the largest.
__attribute__((target("avx2,fma"))) int word_exponents(const float* x, int64_t nwords, int* exps) {
  int top = INT32_MIN;
  for (int64_t i = 0; i < nwords; i++) {
    const __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_loadu_ps(x + i * 8));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    const float m = _mm_cvtss_f32(_mm_max_ss(m4, _mm_movehdup_ps(m4)));
    uint32_t bits;
    std::memcpy(&bits, &m, 4);
    exps[i] = m > 0 ? std::max((bits >> 23 ? int(bits >> 23) - 127 : std::ilogb(m)) - 21, -149) : INT32_MIN;
    top = std::max(top, exps[i]);
  }
  return top;
}

// The AVX2 kernel's steps: 8 words (64 values, a vector), for each digit
// from the most significant 32 bytes against the low nibbles then 32
// against the high ones (byte 4 l + i: value 8 l + 2 i, or + 1).
constexpr int64_t kAvx2StepBytes = 2 * kDigits * 32;

// x (k a multiple of 64, every value finite) as the AVX2 kernel's digits,
// each word's unit relative to the row's, which is returned.
__attribute__((target("avx2,fma"))) float x_digits_avx2(const float* x, int64_t k, int8_t* digits, float* units) {
  const int64_t nwords = k / 8;
  std::vector<int> exps(static_cast<size_t>(nwords));
  const int top = word_exponents(x, nwords, exps.data());
  // a word's 8 digits of one place: the even values' to 4 bytes of the low half, the odd ones' of the high
  const __m256i even_odd = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  const __m256i low_bytes = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  for (int64_t i = 0; i < nwords; i++) {
    const int e = exps[size_t(i)];
    units[i] = e == INT32_MIN ? 0.0f : float(pow2(e - top));
    // x 2^-e is exact in double, converted to the nearest integer (ties to even)
    const __m256d f = _mm256_set1_pd(e == INT32_MIN ? 0.0 : pow2(-e));
    const __m128i v0 = _mm256_cvtpd_epi32(_mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i * 8)), f));
    const __m128i v1 = _mm256_cvtpd_epi32(_mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i * 8 + 4)), f));
    __m256i v = _mm256_permutevar8x32_epi32(_mm256_set_m128i(v1, v0), even_odd);
    int8_t* d = digits + i / 8 * kAvx2StepBytes + 4 * (i % 8);
    for (int64_t p = kDigits - 1; p >= 0; p--) {
      // the signed low byte, and what is left of v above it
      const __m256i low = _mm256_srai_epi32(_mm256_slli_epi32(v, 24), 24);
      const __m256i packed = _mm256_shuffle_epi8(low, low_bytes);
      const int32_t even = _mm256_extract_epi32(packed, 0), odd = _mm256_extract_epi32(packed, 4);
      std::memcpy(d + p * 64, &even, 4);
      std::memcpy(d + p * 64 + 32, &odd, 4);
      v = _mm256_srai_epi32(_mm256_sub_epi32(v, low), 8);
    }
  }
  return top == INT32_MIN ? 0.0f : float(pow2(top));
}

// The sums in integers with AVX2 (no AVX-512 or VNNI), x as digits:
// vpmaddubsw multiplies 32 unsigned bytes (nibbles: the word's bytes masked,
// or shifted right by 4 and masked) by x's 32 signed digits and adds pairs
// into int16 (at most 2 15 128, so it never saturates); the low and high
// nibbles' pairs are added (7680 at most) and vpmaddwd sums a word's four
// into its int32 lane, the most significant digit's weighed by 256, so that
// the three need one shift to combine (exact: |sum| < 8 15 2^22). One
// conversion a step, weighed by unit times scale. The float kernel it
// replaced took a shift, a mask, a conversion and an FMA a nibble (about 33
// instructions for 64 values against 22 here); one core of Zen 3 (CPU
// time, load 2.5, a standalone driver): with the rows in L1 6.1 -> 10.6
// GB/s, from memory 4.3 -> 6.8, where reading the same bytes alone took
// 9.8. Two digits instead of three: 1.25x as fast in L1, but 5e-5 of the
// largest sum off, past the tests' 2e-5. x's digits stay in L1 as loads
// folded into vpmaddubsw (Zen 3 does three loads a cycle), which leaves
// registers for the rows' sums (no spills).
// The integer kernels' rows: the words and scales of RW rows n + c stride
// (c < RW), into wr and sr, and the scales and biases of the rows `ahead`
// of them asked for.
template <int RW>
__attribute__((always_inline)) inline void start_rows(const uint32_t* w, const float* s, const float* b, int64_t words, int64_t groups, int64_t n, int64_t stride, int64_t ahead,
                                                      const uint32_t** wr, const float** sr) {
#pragma GCC unroll 8
  for (int c = 0; c < RW; c++) {
    wr[c] = w + (n + c * stride) * words;
    sr[c] = s + (n + c * stride) * groups;
  }
  for (int c = 0; c < RW; c++)
    for (int64_t g = 0; g < groups; g += 16) {
      _mm_prefetch(reinterpret_cast<const char*>(s + (n + c * stride + ahead) * groups + g), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(b + (n + c * stride + ahead) * groups + g), _MM_HINT_T0);
    }
}

// RW rows n + c stride (c < RW) at once, each asking for the row `ahead` of
// it: its words every other step (a line), its scales and biases at the start.
template <int RW, int GS>
__attribute__((target("avx2,fma"), always_inline)) inline void qmv4_avx2_rows(const int8_t* digits, const float* units, float unit, const float* xsum, int64_t k, const uint32_t* w, const float* s,
                                                                              const float* b, int64_t n, int64_t stride, int64_t ahead, float* out) {
  const int64_t words = k / 8, groups = k / GS, fetch = ahead * words;
  const __m256i low4 = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1), top = _mm256_set1_epi16(256);
  __m256 acc[RW];
  const uint32_t* wr[RW];
  const float* sr[RW];
#pragma GCC unroll 8
  for (int c = 0; c < RW; c++) acc[c] = _mm256_setzero_ps();
  start_rows<RW>(w, s, b, words, groups, n, stride, ahead, wr, sr);
  for (int64_t step = 0; step < k / 64; step++) {
    const __m256i* d = reinterpret_cast<const __m256i*>(digits + step * kAvx2StepBytes);
    const __m256 u = _mm256_loadu_ps(units + step * 8);
#pragma GCC unroll 8
    for (int c = 0; c < RW; c++) {
      if ((step & 1) == 0) _mm_prefetch(reinterpret_cast<const char*>(wr[c] + fetch), _MM_HINT_T0);
      __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wr[c]));
      // in a register: GCC otherwise loads the words twice
      __asm__("" : "+x"(v));
      const __m256i lo = _mm256_and_si256(v, low4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
      __m256i pairs[kDigits];
      for (int64_t p = 0; p < kDigits; p++)
        pairs[p] = _mm256_add_epi16(_mm256_maddubs_epi16(lo, _mm256_loadu_si256(d + 2 * p)), _mm256_maddubs_epi16(hi, _mm256_loadu_si256(d + 2 * p + 1)));
      const __m256i high = _mm256_add_epi32(_mm256_madd_epi16(pairs[0], top), _mm256_madd_epi16(pairs[1], ones));
      const __m256i sum = _mm256_add_epi32(_mm256_slli_epi32(high, 8), _mm256_madd_epi16(pairs[2], ones));
      // lane l (word l) takes its group's scale: groups of 32 are lanes 0-3 and 4-7
      __m256 sc;
      if constexpr (GS == 32) sc = _mm256_set_m128(_mm_broadcast_ss(sr[c] + 1), _mm_broadcast_ss(sr[c]));
      else sc = _mm256_broadcast_ss(sr[c]);
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(sc, u), acc[c]);
      wr[c] += 8;
      sr[c] += GS == 128 ? (step & 1) : 64 / GS;
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < RW; c++) {
    const int64_t r = n + c * stride;
    const float* br = b + r * groups;
    __m256 a = _mm256_mul_ps(acc[c], _mm256_set1_ps(unit));
    int64_t g = 0;
    for (; g + 8 <= groups; g += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(br + g), _mm256_loadu_ps(xsum + g), a);
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    const __m128 h2 = _mm_add_ps(h, _mm_movehl_ps(h, h));
    float sum = _mm_cvtss_f32(_mm_add_ss(h2, _mm_shuffle_ps(h2, h2, 1)));
    for (; g < groups; g++) sum += br[g] * xsum[g];
    out[r] = sum;
  }
}

// Rows [n0, n1) as kAvx2Rows streams, the rest one by one. Two rows, one
// ahead: through the C ABI on Zen 3, 1 thread, the loop over 13 weight sets,
// builds in turns in one process (load 2-3), time against this choice: 4
// rows 1.21x (and 8 rows 1.47x 4 rows' time), 1 row 1.08x; none ahead
// 1.09x, 2 ahead 1.04x. Not taken: prefetchnta 1.02x, tasks of 128 rows
// 0.96x (per-round ratios 0.77-1.27: noise).
constexpr int64_t kAvx2Rows = 2, kAvx2Ahead = 1;

template <int GS>
__attribute__((target("avx2,fma"), noinline)) void qmv4_avx2_gs(const int8_t* digits, const float* units, float unit, const float* xsum, int64_t k, const uint32_t* w, const float* s,
                                                                const float* b, int64_t n0, int64_t n1, float* out) {
  const int64_t q = (n1 - n0) / kAvx2Rows;
  for (int64_t i = 0; i < q; i++) qmv4_avx2_rows<kAvx2Rows, GS>(digits, units, unit, xsum, k, w, s, b, n0 + i, q, i + kAvx2Ahead < q ? kAvx2Ahead : 0, out);
  for (int64_t n = n0 + kAvx2Rows * q; n < n1; n++) qmv4_avx2_rows<1, GS>(digits, units, unit, xsum, k, w, s, b, n, 0, n + kAvx2Ahead < n1 ? kAvx2Ahead : 0, out);
}

// gs: 32, 64 or 128
void qmv4_avx2(const int8_t* digits, const float* units, float unit, const float* xsum, int64_t k, int64_t gs, const uint32_t* w, const float* s, const float* b, int64_t n0, int64_t n1,
               float* out) {
  if (gs == 32) qmv4_avx2_gs<32>(digits, units, unit, xsum, k, w, s, b, n0, n1, out);
  else if (gs == 64) qmv4_avx2_gs<64>(digits, units, unit, xsum, k, w, s, b, n0, n1, out);
  else qmv4_avx2_gs<128>(digits, units, unit, xsum, k, w, s, b, n0, n1, out);
}

// The same sums with AVX-512, 16 words (128 values) a step: vpermps looks a
// nibble up in a table of the floats 0..15 using only its index lane's low 4
// bits, so a nibble costs a shift and a lookup where AVX2 takes a shift, a
// mask and a conversion. x is permuted per step: value 8 l + k sits at
// [16 k + l], so nibble k of every word meets its x in one load. Lane l is
// word l, whose group is 8 l / gs.
void permute_x128(const float* x, int64_t k, float* xp) {
  for (int64_t blk = 0; blk < k; blk += 128)
    for (int64_t l = 0; l < 16; l++)
      for (int64_t j = 0; j < 8; j++) xp[blk + j * 16 + l] = x[blk + l * 8 + j];
}

// GCC 12 warns, wrongly, that AVX-512 intrinsics read their own undefined
// pass-through operands when inlined into a target-attributed function
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// 4-bit values, 16 from two words a step (n a multiple of 16): each lane
// holds its word shifted by 4 times its nibble's place, and vpermps looks the
// float up by the lane's low 4 bits, where AVX2 masks and converts.
__attribute__((target("avx512f"))) NO_CONTRACTION_ATTR void unpack4_avx512(const uint32_t* w, int64_t n, float s, float b, float* out) {
  NO_CONTRACTION_BODY
  const __m512i shifts = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28);
  const __m512i word_of = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const __m512 values = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512 vs = _mm512_set1_ps(s), vb = _mm512_set1_ps(b);
  for (int64_t i = 0; i < n / 16; i++) {
    const __m512i two = _mm512_castsi128_si512(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w + 2 * i)));
    const __m512i nib = _mm512_srlv_epi32(_mm512_permutexvar_epi32(word_of, two), shifts);
    _mm512_storeu_ps(out + 16 * i, _mm512_add_ps(_mm512_mul_ps(_mm512_permutexvar_ps(nib, values), vs), vb));
  }
}

// nibble S/4 of every lane, as a float
template <int S>
__attribute__((target("avx512f"))) inline __m512 nib16(__m512i v, __m512 values) {
  return _mm512_permutexvar_ps(S ? _mm512_srli_epi32(v, S) : v, values);
}

// The scales of a step's 16 words, each its group's (groups of 32, 64 or 128 values).
__attribute__((target("avx512f"))) inline __m512 step_scales(const float* sr, int64_t step, int64_t gs) {
  const int64_t gstep = 128 / gs;
  const __m512i group_of_lane = _mm512_srl_epi32(_mm512_setr_epi32(0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120), _mm_cvtsi32_si128(__builtin_ctzll(uint64_t(gs))));
  return _mm512_permutexvar_ps(group_of_lane, _mm512_maskz_loadu_ps(__mmask16((1u << gstep) - 1), sr + step * gstep));
}

// A row's result: its lanes' sums plus the biases' products (b times x's group sums).
__attribute__((target("avx512f"))) inline float row_sum(__m512 acc, const float* br, const float* xsum, int64_t groups) {
  __m512 bias = _mm512_setzero_ps();
  int64_t g = 0;
  for (; g + 16 <= groups; g += 16) bias = _mm512_fmadd_ps(_mm512_loadu_ps(br + g), _mm512_loadu_ps(xsum + g), bias);
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc, bias));
  for (; g < groups; g++) sum += br[g] * xsum[g];
  return sum;
}

__attribute__((target("avx512f"))) void qmv4_avx512(const float* xp, const float* xsum, int64_t k, int64_t gs, const uint32_t* w, const float* s, const float* b, int64_t n0,
                                                    int64_t n1, float* out) {
  const int64_t words = k / 8, groups = k / gs;
  const __m512 values = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int64_t n = n0; n < n1; n++) {
    const uint32_t* wr = w + n * words;
    const float* sr = s + n * groups;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    for (int64_t step = 0; step < k / 128; step++) {
      const __m512i v = _mm512_loadu_si512(wr + step * 16);
      const float* xs = xp + step * 128;
      __m512 d0 = _mm512_mul_ps(nib16<0>(v, values), _mm512_loadu_ps(xs));
      __m512 d1 = _mm512_mul_ps(nib16<4>(v, values), _mm512_loadu_ps(xs + 16));
      d0 = _mm512_fmadd_ps(nib16<8>(v, values), _mm512_loadu_ps(xs + 32), d0);
      d1 = _mm512_fmadd_ps(nib16<12>(v, values), _mm512_loadu_ps(xs + 48), d1);
      d0 = _mm512_fmadd_ps(nib16<16>(v, values), _mm512_loadu_ps(xs + 64), d0);
      d1 = _mm512_fmadd_ps(nib16<20>(v, values), _mm512_loadu_ps(xs + 80), d1);
      d0 = _mm512_fmadd_ps(nib16<24>(v, values), _mm512_loadu_ps(xs + 96), d0);
      d1 = _mm512_fmadd_ps(nib16<28>(v, values), _mm512_loadu_ps(xs + 112), d1);
      const __m512 sc = step_scales(sr, step, gs);
      // two chains of sums, so that each FMA does not wait on the last
      if (step & 1) acc1 = _mm512_fmadd_ps(_mm512_add_ps(d0, d1), sc, acc1);
      else acc0 = _mm512_fmadd_ps(_mm512_add_ps(d0, d1), sc, acc0);
    }
    out[n] = row_sum(_mm512_add_ps(acc0, acc1), b + n * groups, xsum, groups);
  }
}

// The same sums in integers with AVX-512 VNNI, 16 words (128 values) a
// step: vpdpbusd multiplies 64 unsigned bytes by 64 signed ones and adds
// each 4 products into an int32 lane, so the nibbles (the bytes masked, and
// their high halves moved down by vpmultishiftqb) need no conversion. Lane l
// (word l) sums 8 values: the low nibbles against x's even values, the high
// ones against the odd. x is fixed point with a unit per word (a power of
// two, so the max of its 8 values scaled lies in [2^21, 2^22]), written as
// three signed base-256 digits; the digits' products are combined in the
// lane by shifts (exact: |sum| < 8 * 15 * 2^22), converted once, and
// weighed by unit times scale. A value is off by at most half a unit, 2^-22
// of its word's largest, where the float kernels round each product to
// 2^-24 of itself. The units are relative to the row's largest, which
// multiplies the row's sum at the end, so that x near or below the smallest
// normal float loses nothing to underflow in the weights. With so few
// instructions the core keeps up with memory only if it asks for the words,
// scales and biases of a row ahead as it goes (one core, from memory, two
// rows ahead: 1.34 ms without, 0.97 with, as fast as reading the same bytes
// alone, on session 12's Xeon). On Zen 5, with 8 rows at once (streams of 8
// rows a task), one row ahead against two: 1.03x (1 thread, CPU time, load
// 3), 0.267 and 0.276 ms against 0.279 and 0.312 in llm-kernels' loop at
// load 0.8-1; 4 rows ahead 0.89x, none 1.01x.
constexpr int64_t kStepBytes = 2 * kDigits * 64, kPrefetchRows = 1;

bool have_vnni() {
  static const bool yes = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bw");
  return yes;
}

// x (k a multiple of 128, every value finite) as digits: per step, for each
// digit from the most significant, the 64 bytes against the low nibbles then
// the 64 against the high ones (byte 4 l + i: value 8 l + 2 i, or + 1); each
// word's unit relative to the row's, which is returned. A word a vector (8
// values as doubles): it runs on the calling thread before the rows are
// split, 11 us a row of 4096 in scalar code, 2.5 so.
__attribute__((target("avx512f,avx512vl,avx512bw"))) float x_digits(const float* x, int64_t k, int8_t* digits, float* units) {
  const int64_t nwords = k / 8;
  std::vector<int> exps(static_cast<size_t>(nwords));
  const int top = word_exponents(x, nwords, exps.data());
  // a word's 8 digits of one place: the even values' to the low nibbles' 4 bytes, the odd ones' after
  const __m128i even_odd = _mm_setr_epi8(0, 2, 4, 6, 1, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 8);
  for (int64_t i = 0; i < nwords; i++) {
    const int e = exps[size_t(i)];
    units[i] = e == INT32_MIN ? 0.0f : float(pow2(e - top));
    // x 2^-e is exact in double, converted to the nearest integer (ties to even)
    __m256i v = _mm512_cvtpd_epi32(_mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i * 8)), _mm512_set1_pd(e == INT32_MIN ? 0.0 : pow2(-e))));
    int8_t* d = digits + i / 16 * kStepBytes + 4 * (i % 16);
    for (int64_t p = kDigits - 1; p >= 0; p--) {
      // the signed low byte, and what is left of v above it
      const __m256i low = _mm256_srai_epi32(_mm256_slli_epi32(v, 24), 24);
      const uint64_t bytes = uint64_t(_mm_cvtsi128_si64(_mm_shuffle_epi8(_mm256_cvtepi32_epi8(low), even_odd)));
      std::memcpy(d + p * 128, &bytes, 4);
      std::memcpy(d + p * 128 + 64, reinterpret_cast<const char*>(&bytes) + 4, 4);
      v = _mm256_srai_epi32(_mm256_sub_epi32(v, low), 8);
    }
  }
  return top == INT32_MIN ? 0.0f : float(pow2(top));
}

// RW rows n + c stride (c < RW) at once: x's digits are loaded once a step
// for all of them, and the rows are RW streams from memory, which keep more
// lines in flight than one (a core reading one stream reaches about half
// the rate of several). Each row asks for the row `ahead` of it: its words
// step by step, its scales and biases at the start.
// Each digit's two products sum into their own lane (the three combined by
// shifts after): chained through one lane, a step's six vpdpbusd and two
// shifts take about 26 cycles of latency on Zen 5 (vpdpbusd 4), which
// bounded the kernel below the rate of memory. The loops over the RW rows
// are unrolled by pragma: left rolled, GCC keeps the rows' sums on the
// stack, stored every step. The group size is a template parameter, so
// that the scales' lanes are constants.
template <int RW, int GS>
__attribute__((target("avx512f,avx512bw,avx512vnni,avx512vbmi"), always_inline)) inline void qmv4_vnni_rows(const int8_t* digits, const float* units, float unit, const float* xsum, int64_t k,
                                                                                         const uint32_t* w, const float* s, const float* b, int64_t n, int64_t stride, int64_t ahead, float* out) {
  constexpr int64_t step_groups = 128 / GS;
  const int64_t words = k / 8, groups = k / GS, fetch = ahead * words;
  const __m512i low4 = _mm512_set1_epi8(15);
  // vpmultishiftqb: byte i of each quadword from its bits 8 i + 4 on
  const __m512i high_halves = _mm512_set1_epi64(0x3c342c241c140c04LL);
  // lane l (word l) takes its group's scale
  const __m512i group_of_lane = _mm512_setr_epi32(0, 8 / GS, 16 / GS, 24 / GS, 32 / GS, 40 / GS, 48 / GS, 56 / GS, 64 / GS, 72 / GS, 80 / GS, 88 / GS, 96 / GS, 104 / GS, 112 / GS, 120 / GS);
  __m512 acc[RW];
  const uint32_t* wr[RW];
  const float* sr[RW];
#pragma GCC unroll 8
  for (int c = 0; c < RW; c++) acc[c] = _mm512_setzero_ps();
  start_rows<RW>(w, s, b, words, groups, n, stride, ahead, wr, sr);
  for (int64_t step = 0; step < k / 128; step++) {
    const int8_t* d = digits + step * kStepBytes;
    __m512i dl[kDigits], dh[kDigits];
    for (int64_t p = 0; p < kDigits; p++) {
      dl[p] = _mm512_loadu_si512(d + p * 128);
      dh[p] = _mm512_loadu_si512(d + p * 128 + 64);
      // in registers: GCC otherwise folds these loads into every row's
      // vpdpbusd, RW times the loads a step (measured slower)
      __asm__("" : "+v"(dl[p]), "+v"(dh[p]));
    }
    const __m512 u = _mm512_loadu_ps(units + step * 16);
#pragma GCC unroll 8
    for (int c = 0; c < RW; c++) {
      _mm_prefetch(reinterpret_cast<const char*>(wr[c] + fetch), _MM_HINT_T0);
      const __m512i v = _mm512_loadu_si512(wr[c]);
      const __m512i lo = _mm512_and_si512(v, low4);
      const __m512i hi = _mm512_and_si512(_mm512_multishift_epi64_epi8(high_halves, v), low4);
      __m512i t[kDigits];
      for (int64_t p = 0; p < kDigits; p++) t[p] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, dl[p]), hi, dh[p]);
      __m512i sum = t[0];
      for (int64_t p = 1; p < kDigits; p++) sum = _mm512_add_epi32(_mm512_slli_epi32(sum, 8), t[p]);
      const __m512 sc = _mm512_permutexvar_ps(group_of_lane, _mm512_maskz_loadu_ps(__mmask16((1u << step_groups) - 1), sr[c]));
      acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(sc, u), acc[c]);
      wr[c] += 16;
      sr[c] += step_groups;
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < RW; c++) {
    const int64_t r = n + c * stride;
    out[r] = row_sum(_mm512_mul_ps(acc[c], _mm512_set1_ps(unit)), b + r * groups, xsum, groups);
  }
}

// Rows [n0, n1) as 8 streams (the rest one by one): against 4, x's digits
// are loaded half as often a row and twice the lines are in flight; with
// one thread (CPU time, load 4) 1.49x as fast warm, 1.61x in the loop from
// memory, though GCC then keeps some of the rows' pointers on the stack.
template <int GS>
__attribute__((target("avx512f,avx512bw,avx512vnni,avx512vbmi"), noinline)) void qmv4_vnni_gs(const int8_t* digits, const float* units, float unit, const float* xsum, int64_t k,
                                                                                   const uint32_t* w, const float* s, const float* b, int64_t n0, int64_t n1, float* out) {
  const int64_t q = (n1 - n0) / 8;
  for (int64_t i = 0; i < q; i++) qmv4_vnni_rows<8, GS>(digits, units, unit, xsum, k, w, s, b, n0 + i, q, i + kPrefetchRows < q ? kPrefetchRows : 0, out);
  for (int64_t n = n0 + 8 * q; n < n1; n++) qmv4_vnni_rows<1, GS>(digits, units, unit, xsum, k, w, s, b, n, 0, n + kPrefetchRows < n1 ? kPrefetchRows : 0, out);
}

// gs: 32, 64 or 128
void qmv4_vnni(const int8_t* digits, const float* units, float unit, const float* xsum, int64_t k, int64_t gs, const uint32_t* w, const float* s, const float* b, int64_t n0, int64_t n1,
               float* out) {
  if (gs == 32) qmv4_vnni_gs<32>(digits, units, unit, xsum, k, w, s, b, n0, n1, out);
  else if (gs == 64) qmv4_vnni_gs<64>(digits, units, unit, xsum, k, w, s, b, n0, n1, out);
  else qmv4_vnni_gs<128>(digits, units, unit, xsum, k, w, s, b, n0, n1, out);
}
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

// c = a op(b) + beta c (beta 0 or 1).
void sgemm_nt(bool bt, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
#ifdef MLXC_HAVE_CBLAS
  cblas_sgemm(CblasRowMajor, CblasNoTrans, bt ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), 1.0f, a, int(lda), b, int(ldb), beta, c, int(ldc));
#else
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      float acc = 0;
      for (int64_t p = 0; p < k; p++) acc += a[i * lda + p] * (bt ? b[j * ldb + p] : b[p * ldb + j]);
      c[i * ldc + j] = beta != 0.0f ? acc + c[i * ldc + j] : acc;
    }
#endif
}

// x (..., M, K) times the dequantized w: transposed, w holds N rows of K
// (out = x w^T), else K rows of N (out = x w). Batch dims broadcast.
void register_quantized_matmul() {
  auto attrs = quant_attrs();
  attrs.insert(attrs.begin(), {"transpose", AttrType::Bool, true});
  OpDef d = make_op("quantized_matmul", "quantized", "affine: the promoted type of x and the scales; the other modes: x's", 3, 4, attrs);
  d.infer = [](const InferCtx& c) {
    const Quant q = quant_of(c.attrs, "quantized_matmul");
    const Shape full = unpacked_shape(packed_operands(c.in, 1, q, "quantized_matmul", c.path), q, c.path);
    const TypeShape& x = c.in[0];
    if (x.shape.size() < 2) throw RequestError("invalid_shape", c.path + "/inputs/0", "x needs at least 2 dimensions (..., M, K)");
    const bool tr = c.attrs.b("transpose");
    const int64_t k = tr ? full.back() : full[full.size() - 2], n = tr ? full[full.size() - 2] : full.back();
    if (x.shape.back() != k)
      throw RequestError("invalid_shape", c.path + "/inputs/0", "x's last dimension " + std::to_string(x.shape.back()) + " does not match the weights' " + std::to_string(k) + (tr ? " (transposed)" : ""));
    const DType t = q.affine() ? promote(x.dtype, c.in[2].dtype) : x.dtype;
    if (!is_floating(t)) refuse_dtype("quantized_matmul", t, c.path);
    Shape batch = broadcast_shapes({Shape(x.shape.begin(), x.shape.end() - 2), Shape(full.begin(), full.end() - 2)}, c.path);
    batch.push_back(x.shape[x.shape.size() - 2]);
    batch.push_back(n);
    return Outs{{t, batch}};
  };
  d.eval = [](const EvalCtx& c) {
    const bool tr = c.attrs.b("transpose");
    const Quant q = quant_of(c.attrs, "quantized_matmul");
    const int bits = q.bits;
    const int64_t gs = q.gs;
    Array x = astype(c.in[0], DType::Float32);
    const Array& w = c.in[1];
    Array s = float_scales(c.in[2], q), b = q.affine() ? astype(c.in[3], DType::Float32) : Array();
    const Shape& os = c.out[0].shape;
    const int64_t M = os[os.size() - 2], N = os.back(), K = x.shape.back();
    const int64_t wr = w.shape[w.ndim() - 2], wk = w.shape.back() * 32 / bits;  // logical rows and columns of w
    const int64_t batches = shape_size(Shape(os.begin(), os.end() - 2));
    const Shape xb(x.shape.begin(), x.shape.end() - 2), wb(w.shape.begin(), w.shape.end() - 2), ob(os.begin(), os.end() - 2);
    // an operand's batch index from the output's, broadcasting (dims of size 1 repeat)
    auto operand_batch = [&ob](int64_t i, const Shape& sh) {
      int64_t idx = 0, stride = 1;
      for (int a = int(ob.size()) - 1, j = int(sh.size()) - 1; a >= 0; a--, j--) {
        const int64_t coord = i % ob[size_t(a)];
        i /= ob[size_t(a)];
        if (j < 0) continue;
        if (sh[size_t(j)] != 1) idx += coord * stride;
        stride *= sh[size_t(j)];
      }
      return idx;
    };
    Array out(DType::Float32, os);
    // an empty inner dimension: sums of nothing
    if (K == 0) {
      std::fill(out.data<float>(), out.data<float>() + out.size(), 0.0f);
      return Arrs{astype(out, c.out[0].dtype)};
    }
    const int64_t wwords = wr * w.shape.back(), wgroups = wr * (wk / gs);
#if defined(__x86_64__)
    // a few rows times 4-bit affine weights: the fused kernels, x prepared once
    // per row. Their sums split off the biases (b sum(x)), which would make
    // NaN of 0 inf where a weight is 0: x with a value not finite takes the
    // unpacking path below.
    const auto finite = [&x] {
      const float* v = x.data<float>();
      return std::all_of(v, v + x.size(), [](float e) { return std::isfinite(e); });
    };
    if (tr && q.affine() && bits == 4 && K % 64 == 0 && M <= 8 && have_avx2_fma() && finite()) {
      const int64_t xrows = x.size() / K, groups = K / gs;
      std::vector<float> xsum(size_t(xrows * groups));
      for (int64_t r = 0; r < xrows; r++) {
        const float* xr = x.data<float>() + r * K;
        for (int64_t g = 0; g < groups; g++) {
          float t = 0;
          for (int64_t j = 0; j < gs; j++) t += xr[g * gs + j];
          xsum[size_t(r * groups + g)] = t;
        }
      }
      // x as digits and units (in xp) for the integer kernels (VNNI, steps of
      // 128 values; AVX2, steps of 64), else permuted for the AVX-512 one
      const bool wide = K % 128 == 0 && have_avx512(), vnni = wide && have_vnni(), ints = vnni || !wide;
      const int64_t row_bytes = vnni ? K / 128 * kStepBytes : K / 64 * kAvx2StepBytes;
      std::vector<float> xp(size_t(ints ? x.size() / 8 : x.size()));
      std::vector<int8_t> digits(size_t(ints ? xrows * row_bytes : 0));
      std::vector<float> row_units(size_t(ints ? xrows : 0));
      for (int64_t r = 0; r < xrows; r++) {
        if (ints) row_units[size_t(r)] = (vnni ? x_digits : x_digits_avx2)(x.data<float>() + r * K, K, digits.data() + r * row_bytes, xp.data() + r * K / 8);
        else permute_x128(x.data<float>() + r * K, K, xp.data() + r * K);
      }
      constexpr int64_t rows_per_task = 64;
      const int64_t nblocks = (N + rows_per_task - 1) / rows_per_task;
      parallel_for(batches * nblocks, 1, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; t++) {
          const int64_t bi = t / nblocks, n0 = (t % nblocks) * rows_per_task, n1 = std::min(N, n0 + rows_per_task);
          const int64_t xi = operand_batch(bi, xb), wi = operand_batch(bi, wb);
          for (int64_t m = 0; m < M; m++) {
            const int64_t r = xi * M + m;
            const uint32_t* wq = w.data<uint32_t>() + wi * wwords;
            const float *sq = s.data<float>() + wi * wgroups, *bq = b.data<float>() + wi * wgroups;
            float* o = out.data<float>() + (bi * M + m) * N;
            if (ints) (vnni ? qmv4_vnni : qmv4_avx2)(digits.data() + r * row_bytes, xp.data() + r * K / 8, row_units[size_t(r)], xsum.data() + r * groups, K, gs, wq, sq, bq, n0, n1, o);
            else qmv4_avx512(xp.data() + r * K, xsum.data() + r * groups, K, gs, wq, sq, bq, n0, n1, o);
          }
        }
      });
      return Arrs{astype(out, c.out[0].dtype)};
    }
    if (tr && q.affine() && M >= kAmxMinRows && amx_available() && finite()) {
      // many rows on AMX (quantized_amx.h): x packed once into bfloat16
      // parts; each task takes up to kAmxCols rows of w for up to kAmxMRows
      // rows of x, starting from the biases' share (x's group sums times
      // b^T) and scaling by the rows' units at the end
      const int parts = amx_parts_for(c.in[0].dtype == DType::BFloat16, c.in[0].dtype == DType::Float16);
      const int64_t xbatches = x.size() / (M * K), xblocks = (M + kAmxRows - 1) / kAmxRows, Mp = xblocks * kAmxRows, groups = K / gs;
      const int64_t block = amx_block_values(K, parts);
      const AmxBuffer<uint16_t> xp = amx_buffer<uint16_t>(size_t(xbatches * xblocks * block));
      std::vector<float> units(size_t(xbatches * Mp)), xsum(size_t(xbatches * Mp * groups));
      parallel_for(xbatches * xblocks, 1, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; i++) {
          const int64_t r0 = (i % xblocks) * kAmxRows, row = (i / xblocks) * Mp + r0;
          amx_pack_x(x.data<float>() + ((i / xblocks) * M + r0) * K, std::min(kAmxRows, M - r0), K, gs, parts, xp.get() + i * block, units.data() + row, xsum.data() + row * groups);
        }
      });
      const int64_t mranges = (Mp + kAmxMRows - 1) / kAmxMRows, nblocks = (N + kAmxCols - 1) / kAmxCols;
      parallel_for(batches * mranges * nblocks, 1, [&](int64_t t0, int64_t t1) {
        std::vector<float> acc(size_t(kAmxMRows * kAmxCols));
        for (int64_t t = t0; t < t1; t++) {
          const int64_t bi = t / (mranges * nblocks), m0 = (t / nblocks % mranges) * kAmxMRows, n0 = (t % nblocks) * kAmxCols;
          const int64_t rows = std::min(kAmxMRows, Mp - m0), n1 = std::min(N, n0 + kAmxCols);
          const int64_t xi = operand_batch(bi, xb), wi = operand_batch(bi, wb), xrow = xi * Mp + m0;
          sgemm_nt(true, rows, n1 - n0, groups, xsum.data() + xrow * groups, groups, b.data<float>() + wi * wgroups + n0 * groups, groups, 0.0f, acc.data(), kAmxCols);
          const AmxQmm a{xp.get() + (xi * xblocks + m0 / kAmxRows) * block, rows, K, gs, parts, w.data<uint32_t>() + wi * wwords, s.data<float>() + wi * wgroups, bits};
          amx_qmm_columns(a, n0, n1, acc.data(), kAmxCols);
          float* o = out.data<float>() + bi * M * N;
          for (int64_t m = m0; m < std::min(M, m0 + rows); m++)
            for (int64_t j = n0; j < n1; j++) o[m * N + j] = acc[size_t((m - m0) * kAmxCols + j - n0)] * units[size_t(xrow + m - m0)];
        }
      });
      return Arrs{astype(out, c.out[0].dtype)};
    }
#endif
    if (tr && M >= kPanel) {
      // many rows times transposed weights, in register tiles (tiles.h): x is
      // packed once into panels of 32 rows; each task dequantizes a block of
      // w's rows a chunk of K at a time, as the tiles' broadcast operand, and
      // keeps the block's sums transposed (w's rows by x's) until the end.
      // Through BLAS, each product packed both operands again: 16% of the
      // time on one thread, in BLAS's packing of the dequantized block and x.
      const int64_t xbatches = x.size() / (M * K), Mp = (M + kPanel - 1) / kPanel * kPanel;
      const std::unique_ptr<float[]> xp(new float[size_t(xbatches * Mp * K)]);
      parallel_for(xbatches * (Mp / kPanel), 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; i++) {
          const int64_t xi = i / (Mp / kPanel), m0 = (i % (Mp / kPanel)) * kPanel;
          pack_panels(x.data<float>() + (xi * M + m0) * K, std::min(kPanel, M - m0), K, xp.get() + xi * Mp * K + m0 * K);
        }
      });
      constexpr int64_t kRowsPerTask = 4 * kTileRows, kMRows = 8 * kPanel;
      const int64_t kc = std::max<int64_t>(gs, 512 / gs * gs), nblocks = (N + kRowsPerTask - 1) / kRowsPerTask;
      parallel_for(batches * nblocks, 1, [&](int64_t t0, int64_t t1) {
        std::vector<float> wrows(size_t(kRowsPerTask * kc)), sums(size_t(kRowsPerTask * kMRows));
        const float* wr[kRowsPerTask];
        for (int64_t t = t0; t < t1; t++) {
          const int64_t bi = t / nblocks, n0 = (t % nblocks) * kRowsPerTask, n1 = std::min(N, n0 + kRowsPerTask), rows = n1 - n0;
          const int64_t xi = operand_batch(bi, xb), wi = operand_batch(bi, wb);
          const float* bs = q.affine() ? b.data<float>() + wi * wgroups : nullptr;
          float* o = out.data<float>() + bi * M * N;
          for (int64_t m0 = 0; m0 < M; m0 += kMRows) {
            const int64_t m1 = std::min(M, m0 + kMRows);
            for (int64_t k0 = 0; k0 < K; k0 += kc) {
              const int64_t k1 = std::min(K, k0 + kc);
              unpack_rows(q, w.data<uint32_t>() + wi * wwords, s.data<float>() + wi * wgroups, bs, K, n0, n1, k0, k1, wrows.data());
              for (int64_t r = 0; r < rows; r++) wr[r] = wrows.data() + r * (k1 - k0);
              for (int64_t p0 = m0; p0 < m1; p0 += kPanel) {
                const float* panel = xp.get() + xi * Mp * K + p0 * K + k0 * kPanel;
                float* st = sums.data() + (p0 - m0);
                for (int64_t r0 = 0; r0 < rows; r0 += kTileRows)
                  with_rows<kTileRows>(std::min<int64_t>(kTileRows, rows - r0), [&](auto R) {
                    if (k0) panel_tile<R, true>(wr + r0, panel, k1 - k0, 1.0f, st + r0 * kMRows, kMRows);
                    else panel_tile<R>(wr + r0, panel, k1 - k0, 1.0f, st + r0 * kMRows, kMRows);
                  });
              }
            }
            for (int64_t m = m0; m < m1; m++)
              for (int64_t r = 0; r < rows; r++) o[m * N + n0 + r] = sums[size_t(r * kMRows + m - m0)];
          }
        }
      });
      return Arrs{astype(out, c.out[0].dtype)};
    }
    // blocks of output columns (transposed: rows of w; else columns, aligned
    // to groups); many rows of x take wider blocks, since each BLAS product
    // packs all of x again
    const int64_t bn = (M >= 64 ? 256 : 64) * (tr ? 1 : std::max<int64_t>(1, gs / 64));
    const int64_t nblocks = (N + bn - 1) / bn;
    parallel_for(batches * nblocks, 1, [&](int64_t t0, int64_t t1) {
      std::vector<float> panel;
      for (int64_t t = t0; t < t1; t++) {
        const int64_t bi = t / nblocks, n0 = (t % nblocks) * bn, n1 = std::min(N, n0 + bn);
        const int64_t xi = operand_batch(bi, xb), wi = operand_batch(bi, wb);
        const float* xs = x.data<float>() + xi * M * K;
        const uint32_t* ws = w.data<uint32_t>() + wi * wwords;
        const float* ss = s.data<float>() + wi * wgroups;
        const float* bs = q.affine() ? b.data<float>() + wi * wgroups : nullptr;
        float* o = out.data<float>() + bi * M * N;
        if (tr && M > 1) {
          // K in chunks of whole groups whose panel (bn x kc floats) stays in
          // L2 while the product reads it, rather than a panel of all K
          // written to memory and read back
          const int64_t kc = std::max<int64_t>(gs, 512 / gs * gs);
          panel.resize(size_t((n1 - n0) * std::min(kc, K)));
          for (int64_t k0 = 0; k0 < K; k0 += kc) {
            const int64_t k1 = std::min(K, k0 + kc);
            unpack_rows(q, ws, ss, bs, K, n0, n1, k0, k1, panel.data());
            sgemm_nt(true, M, n1 - n0, k1 - k0, xs + k0, K, panel.data(), k1 - k0, k0 ? 1.0f : 0.0f, o + n0, N);
          }
        } else if (tr) {
          panel.resize(size_t((n1 - n0) * K));
          unpack_rows(q, ws, ss, bs, K, n0, n1, 0, K, panel.data());
          for (int64_t n = n0; n < n1; n++) {
            const float* p = panel.data() + (n - n0) * K;
            float acc[8] = {};
            int64_t i = 0;
            for (; i + 8 <= K; i += 8)
              for (int l = 0; l < 8; l++) acc[l] += p[i + l] * xs[i + l];
            float sum = 0;
            for (int l = 0; l < 8; l++) sum += acc[l];
            for (; i < K; i++) sum += p[i] * xs[i];
            o[n] = sum;
          }
        } else {
          // columns [n0, n1) of every row of w: whole groups, since bn is a multiple of gs
          const int64_t width = n1 - n0, words = wk * bits / 32, groups = wk / gs;
          panel.resize(size_t(K * width));
          for (int64_t r = 0; r < K; r++)
            for (int64_t g = n0 / gs; g < (n1 + gs - 1) / gs; g++)
              unpack_group(q, ws + r * words + g * gs * bits / 32, gs, ss[r * groups + g], bs ? bs[r * groups + g] : 0.0f, panel.data() + r * width + (g * gs - n0));
          sgemm_nt(false, M, width, K, xs, K, panel.data(), width, 0.0f, o + n0, N);
        }
      }
    });
    return Arrs{astype(out, c.out[0].dtype)};
  };
  register_op(std::move(d));
}

}  // namespace

void register_quantized_ops() {
  register_quantize();
  register_dequantize();
  register_quantized_matmul();
}

}  // namespace mlxc
