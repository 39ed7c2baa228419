// mlx.core.fast: rms_norm, layer_norm, rope and scaled_dot_product_attention,
// each one fused pass. Values are computed in float (double for float64) and
// rounded where MLX rounds: a norm's normalized value, then its product with
// the weight, then the bias, each in the output dtype.
#include <cmath>
#include <cstring>
#include <limits>

#include "../parallel.h"
#include "../op.h"
#ifdef MLXC_HAVE_CBLAS
#include <cblas.h>
#endif

namespace mlxc {

namespace {

using Outs = std::vector<TypeShape>;
using Arrs = std::vector<Array>;

DType float_result(const std::vector<DType>& ds, const std::string& op, const std::string& path) {
  DType t = ds[0];
  for (DType d : ds) t = promote(t, d);
  if (!is_floating(t)) refuse_dtype(op, t, path);
  return t;
}

void need_rank(const TypeShape& x, int rank, const std::string& what, const std::string& path) {
  if (int(x.shape.size()) < rank)
    throw RequestError("invalid_shape", path, what + " needs at least " + std::to_string(rank) + " dimensions, got " + shape_str(x.shape));
}

// The last-axis vector a norm scales or shifts by: shape (D,).
void need_vector(const TypeShape& v, int64_t d, const std::string& what, const std::string& path) {
  if (v.shape.size() != 1 || v.shape[0] != d)
    throw RequestError("invalid_shape", path, what + " must have shape (" + std::to_string(d) + ",), got " + shape_str(v.shape));
}

// Rows of D elements split over the pool, about 64 KiB of input per range.
template <class F>
void for_rows(int64_t rows, int64_t d, F&& f) {
  parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; r++) f(r);
  });
}

// Sum of a row of T in acc type, over independent lanes so the loop vectorizes.
template <class U, class T, class F>
U lane_sum(const T* x, int64_t n, F&& term) {
  constexpr int L = 16;
  U acc[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int k = 0; k < L; k++) acc[k] += term(U(acc_t<T>(x[i + k])));
  U s = 0;
  for (int k = 0; k < L; k++) s += acc[k];
  for (; i < n; i++) s += term(U(acc_t<T>(x[i])));
  return s;
}

// norm: rms (scale only) or layer (centred). inputs: x, then weight and bias when present.
template <class T>
void norm_rows(const Array& x, const T* w, const T* b, double eps, bool centred, Array& out) {
  using U = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const int64_t d = x.shape.back(), rows = d ? x.size() / d : 0;
  const T* xs = x.data<T>();
  T* os = out.data<T>();
  for_rows(rows, d, [&](int64_t r) {
    const T* xr = xs + r * d;
    T* o = os + r * d;
    U mean = 0;
    if (centred) mean = lane_sum<U>(xr, d, [](U v) { return v; }) / U(d);
    const U ss = lane_sum<U>(xr, d, [mean](U v) { return (v - mean) * (v - mean); });
    const U inv = U(1) / std::sqrt(ss / U(d) + U(eps));
    for (int64_t i = 0; i < d; i++) {
      U y = U(acc_t<T>(T((U(acc_t<T>(xr[i])) - mean) * inv)));
      if (w) y = U(acc_t<T>(T(y * U(acc_t<T>(w[i])))));
      if (b) y = U(acc_t<T>(T(y + U(acc_t<T>(b[i])))));
      o[i] = T(y);
    }
  });
}

void register_norm(const char* name, bool centred) {
  std::vector<AttrSpec> attrs = {{"eps", AttrType::Float, nullptr, true}};
  if (centred) attrs.push_back({"has_weight", AttrType::Bool, false});
  if (centred) attrs.push_back({"has_bias", AttrType::Bool, false});
  OpDef d = make_op(name, "fast", "promote; floating types only", 1, centred ? 3 : 2, attrs);
  d.infer = [name = std::string(name), centred](const InferCtx& c) {
    const size_t expected = 1 + (centred ? size_t(c.attrs.b("has_weight")) + size_t(c.attrs.b("has_bias")) : c.in.size() - 1);
    if (c.in.size() != expected) throw RequestError("invalid_arity", c.path + "/inputs", name + " got " + std::to_string(c.in.size()) + " inputs where has_weight and has_bias make " + std::to_string(expected));
    need_rank(c.in[0], 1, name + " input", c.path + "/inputs/0");
    std::vector<DType> ds;
    for (size_t i = 0; i < c.in.size(); i++) {
      if (i) need_vector(c.in[i], c.in[0].shape.back(), i == 1 && (!centred || c.attrs.b("has_weight")) ? "weight" : "bias", c.path + "/inputs/" + std::to_string(i));
      ds.push_back(c.in[i].dtype);
    }
    return Outs{{float_result(ds, name, c.path), c.in[0].shape}};
  };
  d.eval = [centred](const EvalCtx& c) {
    const DType t = c.out[0].dtype;
    Array x = astype(c.in[0], t);
    const bool hw = centred ? c.attrs.b("has_weight") : c.in.size() > 1;
    const bool hb = centred && c.attrs.b("has_bias");
    Array w = hw ? astype(c.in[1], t) : Array();
    Array b = hb ? astype(c.in[hw ? 2 : 1], t) : Array();
    Array out(t, x.shape);
    dispatch(t, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (is_float_v<T>) norm_rows<T>(x, hw ? w.data<T>() : nullptr, hb ? b.data<T>() : nullptr, c.attrs.f("eps"), centred, out);
    });
    return Arrs{out};
  };
  register_op(std::move(d));
}

// rope over the last axis of x (..., L, D): the first `dims` features rotate
// in pairs (2i, 2i+1) when traditional, else (i, i + dims/2), by angle
// (offset + l) * scale * f_i, with f_i = base^(-2i/dims) or 1 / freqs[i].
void register_rope() {
  OpDef d = make_op("rope", "fast", "same; floating types only", 1, 3,
                    {{"dims", AttrType::Int, nullptr, true},
                     {"traditional", AttrType::Bool, false},
                     {"base", AttrType::Float, nullptr, false, true},
                     {"scale", AttrType::Float, 1.0},
                     {"offset", AttrType::Int, 0},
                     {"has_offset_array", AttrType::Bool, false},
                     {"has_freqs", AttrType::Bool, false}});
  d.infer = [](const InferCtx& c) {
    const bool ho = c.attrs.b("has_offset_array"), hf = c.attrs.b("has_freqs");
    if (c.in.size() != 1 + size_t(ho) + size_t(hf)) throw RequestError("invalid_arity", c.path + "/inputs", "rope's inputs do not match has_offset_array and has_freqs");
    const TypeShape& x = c.in[0];
    need_rank(x, 3, "rope input", c.path + "/inputs/0");
    if (!is_floating(x.dtype)) refuse_dtype("rope", x.dtype, c.path);
    const int64_t dims = c.attrs.i("dims");
    if (dims <= 0 || dims % 2 || dims > x.shape.back())
      throw RequestError("invalid_attribute", c.attrs.at("dims"), "dims must be even, positive and at most the last dimension " + std::to_string(x.shape.back()));
    if (hf == c.attrs.has("base")) throw RequestError("invalid_attribute", c.attrs.at("base"), "exactly one of base and freqs is given");
    if (ho) {
      const TypeShape& o = c.in[1];
      if (!is_integral(o.dtype) && !is_floating(o.dtype)) refuse_dtype("rope", o.dtype, c.path + "/inputs/1");
      if (!(o.shape.empty() || (o.shape.size() == 1 && (o.shape[0] == 1 || o.shape[0] == x.shape[0]))))
        throw RequestError("invalid_shape", c.path + "/inputs/1", "offset must be a scalar or have shape (" + std::to_string(x.shape[0]) + ",), got " + shape_str(o.shape));
    }
    if (hf) need_vector(c.in.back(), dims / 2, "freqs", c.path + "/inputs/" + std::to_string(c.in.size() - 1));
    return Outs{{x.dtype, x.shape}};
  };
  d.eval = [](const EvalCtx& c) {
    const Array& x = c.in[0];
    const bool ho = c.attrs.b("has_offset_array"), hf = c.attrs.b("has_freqs");
    const bool trad = c.attrs.b("traditional");
    const int64_t dims = c.attrs.i("dims"), half = dims / 2, D = x.shape.back(), L = x.shape[x.ndim() - 2];
    const int64_t outer = D * L != 0 ? x.size() / (D * L) : 0, per_batch = outer / std::max<int64_t>(1, x.shape[0]);
    const float scale = float(c.attrs.f("scale"));
    std::vector<float> inv(static_cast<size_t>(half));
    if (hf) {
      Array f = astype(c.in.back(), DType::Float32);
      for (int64_t i = 0; i < half; i++) inv[size_t(i)] = 1.0f / f.data<float>()[i];
    } else {
      const float step = std::log(float(c.attrs.f("base"))) / float(half);
      for (int64_t i = 0; i < half; i++) inv[size_t(i)] = std::exp(-float(i) * step);
    }
    std::vector<int64_t> offsets{c.attrs.i("offset")};
    if (ho) {
      Array o = astype(c.in[1], DType::Int64);
      offsets.assign(o.data<int64_t>(), o.data<int64_t>() + o.size());
    }
    // cos and sin per (offset, position, pair), computed once
    const int64_t nb = int64_t(offsets.size());
    std::vector<float> cs(size_t(nb * L * half)), sn(cs.size());
    parallel_for(nb * L, 64, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; r++) {
        const float pos = float(offsets[size_t(r / L)] + r % L) * scale;
        for (int64_t i = 0; i < half; i++) {
          const float th = pos * inv[size_t(i)];
          cs[size_t(r * half + i)] = std::cos(th);
          sn[size_t(r * half + i)] = std::sin(th);
        }
      }
    });
    Array out(x.dtype, x.shape);
    dispatch(x.dtype, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (is_float_v<T>) {
        using U = std::conditional_t<std::is_same_v<T, double>, double, float>;
        const T* xs = x.data<T>();
        T* os = out.data<T>();
        const int64_t s1 = trad ? 2 : 1, s2 = trad ? 1 : half;  // pair i: x[i*s1], x[i*s1 + s2]
        for_rows(outer * L, D, [&](int64_t r) {
          const int64_t n = r / L, l = r % L, b = nb > 1 ? n / per_batch : 0;
          const float* cr = &cs[size_t((b * L + l) * half)];
          const float* sr = &sn[size_t((b * L + l) * half)];
          const T* xr = xs + r * D;
          T* o = os + r * D;
          for (int64_t i = 0; i < half; i++) {
            const U a = U(acc_t<T>(xr[i * s1])), bb = U(acc_t<T>(xr[i * s1 + s2]));
            o[i * s1] = T(a * cr[i] - bb * sr[i]);
            o[i * s1 + s2] = T(a * sr[i] + bb * cr[i]);
          }
          if (dims < D) std::memcpy(o + dims, xr + dims, size_t(D - dims) * sizeof(T));
        });
      }
    });
    return Arrs{out};
  };
  register_op(std::move(d));
}

// C[m, n] = alpha A[m, k] B[n, k]^T (nt) or A[m, k] B[k, n] (nn), row-major.
void gemm(bool bt, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc) {
  if (!m || !n) return;
#ifdef MLXC_HAVE_CBLAS
  cblas_sgemm(CblasRowMajor, CblasNoTrans, bt ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), 0.0f, c, int(ldc));
#else
  for (int64_t i = 0; i < m; i++) {
    float* cr = c + i * ldc;
    std::fill(cr, cr + n, 0.0f);
    for (int64_t p = 0; p < k; p++) {
      const float av = alpha * a[i * lda + p];
      if (bt)
        for (int64_t j = 0; j < n; j++) cr[j] += av * b[j * ldb + p];
      else
        for (int64_t j = 0; j < n; j++) cr[j] += av * b[p * ldb + j];
    }
  }
#endif
}

// Broadcast strides of a mask against (B, H, Lq, Lk): 0 along broadcast axes.
std::array<int64_t, 4> mask_strides(const Shape& s) {
  std::array<int64_t, 4> st{0, 0, 0, 0};
  int64_t stride = 1;
  for (int i = int(s.size()) - 1, a = 3; i >= 0; i--, a--) {
    if (a >= 0 && s[size_t(i)] != 1) st[size_t(a)] = stride;
    stride *= s[size_t(i)];
  }
  return st;
}

// Rows of one kv head's query group are stacked, G heads of Lq rows, as they
// lie in q (heads kvh*G .. kvh*G+G-1 are adjacent): one product per block of
// rows reads K and V once for the whole group.
void register_sdpa() {
  OpDef d = make_op("scaled_dot_product_attention", "fast", "promote; floating types only", 3, 5,
                    {{"scale", AttrType::Float, nullptr, true},
                     {"mask_mode", AttrType::Enum, "none", false, false, {"none", "causal", "array"}},
                     {"has_sinks", AttrType::Bool, false}});
  d.infer = [](const InferCtx& c) {
    const std::string mode = c.attrs.str("mask_mode");
    const bool hs = c.attrs.b("has_sinks");
    if (c.in.size() != 3 + size_t(mode == "array") + size_t(hs)) throw RequestError("invalid_arity", c.path + "/inputs", "inputs do not match mask_mode and has_sinks");
    for (int i = 0; i < 3; i++)
      if (c.in[size_t(i)].shape.size() != 4) throw RequestError("invalid_shape", c.path + "/inputs/" + std::to_string(i), "queries, keys and values must have 4 dimensions (B, heads, L, D), got " + shape_str(c.in[size_t(i)].shape));
    const Shape &q = c.in[0].shape, &k = c.in[1].shape, &v = c.in[2].shape;
    if (k[0] != q[0] || v[0] != q[0] || k[1] != v[1] || k[2] != v[2] || k[3] != q[3] || k[1] == 0 || q[1] % k[1])
      throw RequestError("invalid_shape", c.path + "/inputs", "shapes " + shape_str(q) + ", " + shape_str(k) + ", " + shape_str(v) + " do not fit: keys and values need the batch, keys the head size of queries, and the query heads a multiple of the key/value heads");
    const DType t = float_result({c.in[0].dtype, c.in[1].dtype, c.in[2].dtype}, "scaled_dot_product_attention", c.path);
    if (mode == "array") {
      const TypeShape& m = c.in[3];
      if (m.dtype != DType::Bool && !is_floating(m.dtype)) refuse_dtype("scaled_dot_product_attention", m.dtype, c.path + "/inputs/3");
      broadcast_shapes({m.shape, Shape{q[0], q[1], q[2], k[2]}}, c.path + "/inputs/3");
      if (m.shape.size() > 4) throw RequestError("invalid_shape", c.path + "/inputs/3", "the mask has more than 4 dimensions");
      for (size_t i = 0; i < m.shape.size(); i++) {
        const int64_t want = Shape{q[0], q[1], q[2], k[2]}[4 - m.shape.size() + i];
        if (m.shape[i] != 1 && m.shape[i] != want) throw RequestError("invalid_shape", c.path + "/inputs/3", "the mask " + shape_str(m.shape) + " does not broadcast to the scores");
      }
    }
    if (hs) {
      const TypeShape& s = c.in.back();
      if (s.shape.size() != 1 || s.shape[0] != q[1]) throw RequestError("invalid_shape", c.path + "/inputs/" + std::to_string(c.in.size() - 1), "sinks must have shape (" + std::to_string(q[1]) + ",)");
    }
    return Outs{{t, {q[0], q[1], q[2], v[3]}}};
  };
  d.eval = [](const EvalCtx& c) {
    const DType t = c.out[0].dtype;
    const std::string mode = c.attrs.str("mask_mode");
    const bool causal = mode == "causal", hs = c.attrs.b("has_sinks");
    // Work in float32 (float64 values too: BLAS's single product serves all).
    Array q = astype(c.in[0], DType::Float32), k = astype(c.in[1], DType::Float32), v = astype(c.in[2], DType::Float32);
    Array mask = mode == "array" ? (c.in[3].dtype == DType::Bool ? c.in[3] : astype(c.in[3], DType::Float32)) : Array();
    Array sinks = hs ? astype(c.in.back(), DType::Float32) : Array();
    const int64_t B = q.shape[0], H = q.shape[1], Lq = q.shape[2], D = q.shape[3];
    const int64_t Hk = k.shape[1], Lk = k.shape[2], Dv = v.shape[3], G = H / Hk;
    const float scale = float(c.attrs.f("scale"));
    const auto ms = mode == "array" ? mask_strides(mask.shape) : std::array<int64_t, 4>{};
    Array out(DType::Float32, {B, H, Lq, Dv});
    const int64_t rows = G * Lq, block = 64, blocks = (rows + block - 1) / block;
    parallel_for(B * Hk * blocks, 1, [&](int64_t tb, int64_t te) {
      std::vector<float> s;
      for (int64_t task = tb; task < te; task++) {
        const int64_t bh = task / blocks, r0 = (task % blocks) * block, r1 = std::min(rows, r0 + block);
        const int64_t b = bh / Hk, kh = bh % Hk;
        // columns any row of the block sees (causal: up to l + Lk - Lq)
        int64_t cols = Lk;
        if (causal) {
          int64_t last = 0;
          for (int64_t r = r0; r < r1; r++) last = std::max(last, r % Lq);
          cols = std::clamp<int64_t>(last + Lk - Lq + 1, 0, Lk);
        }
        s.resize(size_t((r1 - r0) * std::max<int64_t>(cols, 1)));
        const float* qb = q.data<float>() + ((b * H + kh * G) * Lq + r0) * D;
        const float* kb = k.data<float>() + (b * Hk + kh) * Lk * D;
        const float* vb = v.data<float>() + (b * Hk + kh) * Lk * Dv;
        gemm(true, r1 - r0, cols, D, scale, qb, D, kb, D, s.data(), cols);
        for (int64_t r = r0; r < r1; r++) {
          float* sr = s.data() + (r - r0) * cols;
          const int64_t h = kh * G + r / Lq, l = r % Lq;
          const int64_t visible = causal ? std::clamp<int64_t>(l + Lk - Lq + 1, 0, cols) : cols;
          if (mode == "array") {
            const int64_t base = b * ms[0] + h * ms[1] + l * ms[2];
            if (mask.dtype == DType::Bool) {
              const bool* mr = mask.data<bool>() + base;
              for (int64_t j = 0; j < cols; j++)
                if (!mr[j * ms[3]]) sr[j] = -std::numeric_limits<float>::infinity();
            } else {
              const float* mr = mask.data<float>() + base;
              for (int64_t j = 0; j < cols; j++) sr[j] += mr[j * ms[3]];
            }
          }
          for (int64_t j = visible; j < cols; j++) sr[j] = -std::numeric_limits<float>::infinity();
          float m = hs ? sinks.data<float>()[h] : -std::numeric_limits<float>::infinity();
          for (int64_t j = 0; j < cols; j++) m = std::max(m, sr[j]);
          float sum = hs ? std::exp(sinks.data<float>()[h] - m) : 0.0f;
          for (int64_t j = 0; j < cols; j++) sum += (sr[j] = std::exp(sr[j] - m));
          const float inv = 1.0f / sum;
          for (int64_t j = 0; j < cols; j++) sr[j] *= inv;
        }
        float* ob = out.data<float>() + ((b * H + kh * G) * Lq + r0) * Dv;
        if (cols) gemm(false, r1 - r0, Dv, cols, 1.0f, s.data(), cols, vb, Dv, ob, Dv);
        else std::fill(ob, ob + (r1 - r0) * Dv, 0.0f);
      }
    });
    return Arrs{astype(out, t)};
  };
  register_op(std::move(d));
}

}  // namespace

void register_fast_ops() {
  register_norm("rms_norm", false);
  register_norm("layer_norm", true);
  register_rope();
  register_sdpa();
}

}  // namespace mlxc
