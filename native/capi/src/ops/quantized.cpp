// Affine quantization in MLX's layout: each group of `group_size` values
// along the last axis is stored as `bits`-bit unsigned integers q with
// w = q * scale + bias, packed little-endian one after the other (value i at
// bits [i*bits, (i+1)*bits) of the row's bit stream) into uint32 words.
// quantized_matmul reads the packed words directly: a few rows are
// unpacked a group at a time into the products, many rows a block of
// weights at a time into a BLAS product.
#include <cmath>
#include <cstring>

#include "../parallel.h"
#include "../op.h"
#ifdef MLXC_HAVE_CBLAS
#include <cblas.h>
#endif

namespace mlxc {

namespace {

using Outs = std::vector<TypeShape>;
using Arrs = std::vector<Array>;

std::vector<AttrSpec> quant_attrs() {
  return {{"group_size", AttrType::Int, 64}, {"bits", AttrType::Int, 4}, {"mode", AttrType::Enum, "affine", false, false, {"affine"}}};
}

void check_mode(const Attrs& a) {
  const int64_t gs = a.i("group_size"), bits = a.i("bits");
  if (gs != 32 && gs != 64 && gs != 128) throw RequestError("invalid_attribute", a.at("group_size"), "group_size must be 32, 64 or 128, got " + std::to_string(gs));
  if (bits != 2 && bits != 3 && bits != 4 && bits != 5 && bits != 6 && bits != 8) throw RequestError("invalid_attribute", a.at("bits"), "bits must be 2, 3, 4, 5, 6 or 8, got " + std::to_string(bits));
}

// `n` values of a bit stream starting at word `w` (bit 0), scaled: out[i] = q_i s + b.
// Two roundings, as MLX (built without FMA contraction) computes them.
__attribute__((optimize("fp-contract=off"))) inline void unpack_group(const uint32_t* w, int bits, int64_t n, float s, float b, float* out) {
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

struct QuantShape {
  int64_t k;          // values per row
  int64_t words;      // uint32 words per row
  int64_t groups;     // groups per row
};

void register_quantize() {
  OpDef d = make_op("quantize", "quantized", "outputs: uint32 packed values, then scales and biases in the input's dtype", 1, 1, quant_attrs());
  d.shapeless = true;
  d.infer = [](const InferCtx& c) {
    check_mode(c.attrs);
    const TypeShape& w = c.in[0];
    if (!is_floating(w.dtype) || w.dtype == DType::Float64) refuse_dtype("quantize", w.dtype, c.path);
    const int64_t gs = c.attrs.i("group_size"), bits = c.attrs.i("bits");
    if (w.shape.size() < 2 || w.shape.back() % gs)
      throw RequestError("invalid_shape", c.path + "/inputs/0", "quantize needs a matrix whose last dimension is a multiple of group_size " + std::to_string(gs) + ", got " + shape_str(w.shape));
    Shape q = w.shape, s = w.shape;
    q.back() = w.shape.back() * bits / 32;
    s.back() = w.shape.back() / gs;
    return Outs{{DType::UInt32, q}, {w.dtype, s}, {w.dtype, s}};
  };
  d.eval = [](const EvalCtx& c) {
    const int64_t gs = c.attrs.i("group_size"), bits = c.attrs.i("bits");
    Array w = astype(c.in[0], DType::Float32);
    Array q(DType::UInt32, c.out[0].shape), s(DType::Float32, c.out[1].shape), b(DType::Float32, c.out[2].shape);
    const int64_t groups = s.size(), words = gs * bits / 32;
    const float n_bins = float((1 << bits) - 1), eps = 1e-7f;
    parallel_for(groups, 256, [&](int64_t g0, int64_t g1) {
      for (int64_t g = g0; g < g1; g++) {
        const float* x = w.data<float>() + g * gs;
        float lo = INFINITY, hi = -INFINITY;
        for (int64_t j = 0; j < gs; j++) {
          lo = std::min(lo, x[j]);
          hi = std::max(hi, x[j]);
        }
        // MLX's rule: the edge of larger magnitude is represented exactly
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
        uint32_t* out = q.data<uint32_t>() + g * words;
        std::memset(out, 0, size_t(words) * 4);
        for (int64_t j = 0; j < gs; j++) {
          const float v = std::min(std::max(std::rint((x[j] - bias) / scale), 0.0f), n_bins);
          const uint64_t u = uint64_t(v), bit = uint64_t(j * bits);
          out[bit >> 5] |= uint32_t(u << (bit & 31));
          if ((bit & 31) + uint64_t(bits) > 32) out[(bit >> 5) + 1] |= uint32_t(u >> (32 - (bit & 31)));
        }
        s.data<float>()[g] = scale;
        b.data<float>()[g] = bias;
      }
    });
    return Arrs{q, astype(s, c.out[1].dtype), astype(b, c.out[2].dtype)};
  };
  register_op(std::move(d));
}

// The packed matrix's logical shape from its stored one, checked against scales and biases.
Shape unpacked_shape(const std::vector<TypeShape>& in, const Attrs& a, const std::string& path) {
  check_mode(a);
  // dequantize reads (w, scales, biases), quantized_matmul (x, w, scales, biases)
  const TypeShape &w = in[in.size() - 3], &s = in[in.size() - 2], &b = in[in.size() - 1];
  const int64_t gs = a.i("group_size"), bits = a.i("bits");
  if (w.dtype != DType::UInt32) throw RequestError("invalid_dtype", path, "the packed matrix must be uint32, got " + std::string(dtype_name(w.dtype)));
  if (w.shape.size() < 2) throw RequestError("invalid_shape", path, "the packed matrix needs at least 2 dimensions");
  Shape full = w.shape;
  full.back() = w.shape.back() * 32 / bits;
  Shape sg = full;
  sg.back() = full.back() / gs;
  if (full.back() % gs || s.shape != sg || b.shape != sg)
    throw RequestError("invalid_shape", path, "scales and biases of shape " + shape_str(s.shape) + " and " + shape_str(b.shape) + " do not fit a packed matrix of shape " + shape_str(w.shape) + " with group_size " + std::to_string(gs) + " and bits " + std::to_string(bits) + " (expected " + shape_str(sg) + ")");
  if (!is_floating(s.dtype) || s.dtype != b.dtype) throw RequestError("invalid_dtype", path, "scales and biases must share a floating dtype");
  return full;
}

// Unpacks rows [r0, r1) of a packed matrix (rows of k values) into dst (k floats each).
void unpack_rows(const uint32_t* w, const float* s, const float* b, int bits, int64_t gs, int64_t k, int64_t r0, int64_t r1, float* dst) {
  const int64_t words = k * bits / 32, gwords = gs * bits / 32, groups = k / gs;
  for (int64_t r = r0; r < r1; r++)
    for (int64_t g = 0; g < groups; g++)
      unpack_group(w + r * words + g * gwords, bits, gs, s[r * groups + g], b[r * groups + g], dst + (r - r0) * k + g * gs);
}

void register_dequantize() {
  OpDef d = make_op("dequantize", "quantized", "the scales' dtype", 3, 3, quant_attrs());
  d.infer = [](const InferCtx& c) {
    return Outs{{c.in[1].dtype, unpacked_shape(c.in, c.attrs, c.path)}};
  };
  d.eval = [](const EvalCtx& c) {
    const int64_t gs = c.attrs.i("group_size"), bits = c.attrs.i("bits"), k = c.out[0].shape.back();
    const Array &w = c.in[0];
    Array s = astype(c.in[1], DType::Float32), b = astype(c.in[2], DType::Float32);
    const int64_t rows = k ? shape_size(c.out[0].shape) / k : 0;
    const DType t = c.out[0].dtype;
    Array out(t, c.out[0].shape);
    parallel_for(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(k, 1)), [&](int64_t r0, int64_t r1) {
      std::vector<float> row(static_cast<size_t>(k));
      for (int64_t r = r0; r < r1; r++) {
        // in the scales' dtype: a half type rounds q*s, then the sum (as MLX does)
        const int64_t words = k * bits / 32, groups = k / gs;
        for (int64_t g = 0; g < groups; g++) {
          const float sc = s.data<float>()[r * groups + g], bi = b.data<float>()[r * groups + g];
          if (t == DType::Float32) {
            unpack_group(w.data<uint32_t>() + r * words + g * gs * bits / 32, int(bits), gs, sc, bi, row.data() + g * gs);
          } else {
            unpack_group(w.data<uint32_t>() + r * words + g * gs * bits / 32, int(bits), gs, 1.0f, 0.0f, row.data() + g * gs);
            for (int64_t i = 0; i < gs; i++) {
              float& v = row[size_t(g * gs + i)];
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
    return Arrs{out};
  };
  register_op(std::move(d));
}

void sgemm_nt(bool bt, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc) {
#ifdef MLXC_HAVE_CBLAS
  cblas_sgemm(CblasRowMajor, CblasNoTrans, bt ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), 1.0f, a, int(lda), b, int(ldb), 0.0f, c, int(ldc));
#else
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      float acc = 0;
      for (int64_t p = 0; p < k; p++) acc += a[i * lda + p] * (bt ? b[j * ldb + p] : b[p * ldb + j]);
      c[i * ldc + j] = acc;
    }
#endif
}

// x (..., M, K) times the dequantized w: transposed, w holds N rows of K
// (out = x w^T), else K rows of N (out = x w). Batch dims broadcast.
void register_quantized_matmul() {
  auto attrs = quant_attrs();
  attrs.insert(attrs.begin(), {"transpose", AttrType::Bool, true});
  OpDef d = make_op("quantized_matmul", "quantized", "the promoted type of x and the scales", 4, 4, attrs);
  d.infer = [](const InferCtx& c) {
    const Shape full = unpacked_shape(c.in, c.attrs, c.path);
    const TypeShape& x = c.in[0];
    if (x.shape.size() < 2) throw RequestError("invalid_shape", c.path + "/inputs/0", "x needs at least 2 dimensions (..., M, K)");
    const bool tr = c.attrs.b("transpose");
    const int64_t k = tr ? full.back() : full[full.size() - 2], n = tr ? full[full.size() - 2] : full.back();
    if (x.shape.back() != k)
      throw RequestError("invalid_shape", c.path + "/inputs/0", "x's last dimension " + std::to_string(x.shape.back()) + " does not match the weights' " + std::to_string(k) + (tr ? " (transposed)" : ""));
    const DType t = promote(x.dtype, c.in[2].dtype);
    if (!is_floating(t)) refuse_dtype("quantized_matmul", t, c.path);
    Shape batch = broadcast_shapes({Shape(x.shape.begin(), x.shape.end() - 2), Shape(full.begin(), full.end() - 2)}, c.path);
    batch.push_back(x.shape[x.shape.size() - 2]);
    batch.push_back(n);
    return Outs{{t, batch}};
  };
  d.eval = [](const EvalCtx& c) {
    const bool tr = c.attrs.b("transpose");
    const int bits = int(c.attrs.i("bits"));
    const int64_t gs = c.attrs.i("group_size");
    Array x = astype(c.in[0], DType::Float32);
    const Array& w = c.in[1];
    Array s = astype(c.in[2], DType::Float32), b = astype(c.in[3], DType::Float32);
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
    const int64_t wwords = wr * w.shape.back(), wgroups = wr * (wk / gs);
    // blocks of output columns (transposed: rows of w; else columns, aligned to groups)
    const int64_t bn = tr ? 64 : std::max<int64_t>(64, gs);
    const int64_t nblocks = (N + bn - 1) / bn;
    parallel_for(batches * nblocks, 1, [&](int64_t t0, int64_t t1) {
      std::vector<float> panel;
      for (int64_t t = t0; t < t1; t++) {
        const int64_t bi = t / nblocks, n0 = (t % nblocks) * bn, n1 = std::min(N, n0 + bn);
        const int64_t xi = operand_batch(bi, xb), wi = operand_batch(bi, wb);
        const float* xs = x.data<float>() + xi * M * K;
        const uint32_t* ws = w.data<uint32_t>() + wi * wwords;
        const float* ss = s.data<float>() + wi * wgroups;
        const float* bs = b.data<float>() + wi * wgroups;
        float* o = out.data<float>() + bi * M * N;
        if (tr) {
          panel.resize(size_t((n1 - n0) * K));
          unpack_rows(ws, ss, bs, bits, gs, K, n0, n1, panel.data());
          if (M == 1) {
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
            sgemm_nt(true, M, n1 - n0, K, xs, K, panel.data(), K, o + n0, N);
          }
        } else {
          // columns [n0, n1) of every row of w: whole groups, since bn is a multiple of gs
          const int64_t width = n1 - n0, words = wk * bits / 32, groups = wk / gs;
          panel.resize(size_t(K * width));
          for (int64_t r = 0; r < K; r++)
            for (int64_t g = n0 / gs; g < (n1 + gs - 1) / gs; g++)
              unpack_group(ws + r * words + g * gs * bits / 32, bits, gs, ss[r * groups + g], bs[r * groups + g], panel.data() + r * width + (g * gs - n0));
          sgemm_nt(false, M, width, K, xs, K, panel.data(), width, o + n0, N);
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
