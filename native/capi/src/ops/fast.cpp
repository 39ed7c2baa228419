// mlx.core.fast: rms_norm, layer_norm, rope and scaled_dot_product_attention,
// each one fused pass. Values are computed in float (double for float64) and
// rounded where MLX rounds: a norm's normalized value, then its product with
// the weight, then the bias, each in the output dtype.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#include <unistd.h>

#include "../parallel.h"
#include "../op.h"
#include "attention_amx.h"
#include "softmax_exp.h"
#include "tiles.h"
#include "vecmath.h"
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

// Rows computed in registers (Lanes, tiles.h) and stored non-temporally
// straight from them: a scratch row and its copy cost a norm 15-25% of its
// time in a loop from memory. Only the store needs the instruction set's
// intrinsic; with no SSE2 the rows go through scratch.
#if defined(__SSE2__)
constexpr bool kCanStream = true;
inline void stream_lanes(float* p, const Lanes& v) {
#if defined(__AVX512F__)
  _mm512_stream_ps(p, __m512(v));
#elif defined(__AVX__)
  _mm256_stream_ps(p, __m256(v));
#else
  _mm_stream_ps(p, __m128(v));
#endif
}
#else
constexpr bool kCanStream = false;
#endif
// Whether p starts a vector's aligned slot (a non-temporal store needs it).
inline bool lanes_aligned(const void* p) { return kCanStream && reinterpret_cast<uintptr_t>(p) % (size_t(kLanes) * sizeof(float)) == 0; }

// Sum of a row of T in acc type, over independent lanes so the loop
// vectorizes: 64 of them, four vector registers of 16, so that four chains
// of additions are in flight rather than one waiting on each add's latency.
template <class U, class T, class F>
U lane_sum(const T* x, int64_t n, F&& term) {
  constexpr int L = 64;
  U acc[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int k = 0; k < L; k++) acc[k] += term(U(acc_t<T>(x[i + k])));
  // halves added, so that the lanes' sum is a few vector adds, not a chain of 64
  for (int w = L / 2; w >= 1; w /= 2)
    for (int k = 0; k < w; k++) acc[k] += acc[k + w];
  U s = acc[0];
  for (; i < n; i++) s += term(U(acc_t<T>(x[i])));
  return s;
}

// The dot product of two rows of U, over independent lanes as lane_sum.
template <class U>
U lane_dot(const U* a, const U* b, int64_t n) {
  constexpr int L = 64;
  U acc[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int k = 0; k < L; k++) acc[k] += a[i + k] * b[i + k];
  for (int w = L / 2; w >= 1; w /= 2)
    for (int k = 0; k < w; k++) acc[k] += acc[k + w];
  U s = acc[0];
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

// One row of a norm: rms (scale only) or layer (centred), into o.
template <class T, class U>
void norm_row(const T* xr, const T* w, const T* b, int64_t d, double eps, bool centred, T* o) {
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
}

// norm_row for float32 into o, a row that starts a vector slot and holds a
// whole number of vectors, stored non-temporally from registers with the
// same roundings as norm_row.
[[maybe_unused]] void norm_row_streamed(const float* xr, const float* w, const float* b, int64_t d, double eps, bool centred, float* o) {
#if defined(__SSE2__)
  float mean = 0;
  if (centred) mean = lane_sum<float>(xr, d, [](float v) { return v; }) / float(d);
  const float ss = lane_sum<float>(xr, d, [mean](float v) { return (v - mean) * (v - mean); });
  const float inv = 1.0f / std::sqrt(ss / float(d) + float(eps));
  const Lanes vm = Lanes{} + mean, vi = Lanes{} + inv;
  // the next row is asked for while this one is computed from L1, so memory
  // stays busy between rows (one core: 20-25% less CPU per call in a loop)
  const uintptr_t next = reinterpret_cast<uintptr_t>(xr + d);
  for (int64_t i = 0; i < d; i += kLanes) {
    _mm_prefetch(reinterpret_cast<const char*>(next + uintptr_t(i) * sizeof(float)), _MM_HINT_T0);
    Lanes y = (lanes_at(xr + i) - vm) * vi;
    if (w) y = y * lanes_at(w + i);
    if (b) y = y + lanes_at(b + i);
    stream_lanes(o + i, y);
  }
#else
  norm_row<float, float>(xr, w, b, d, eps, centred, o);
#endif
}

// norm: rms (scale only) or layer (centred). inputs: x, then weight and bias when present.
template <class T>
void norm_rows(const Array& x, const T* w, const T* b, double eps, bool centred, Array& out) {
  using U = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const int64_t d = x.shape.back(), rows = d ? x.size() / d : 0;
  const T* xs = x.data<T>();
  T* os = out.data<T>();
  const size_t bytes = size_t(x.size()) * sizeof(T);
  const bool streamed = stream_output(bytes, bytes, size_t(d) * sizeof(T));
  // float32 rows that each start a vector slot are stored from registers
  constexpr bool is_f32 = std::is_same_v<T, float>;
  const bool direct = is_f32 && streamed && d % kLanes == 0 && lanes_aligned(os);
  // about 64 KiB of input per range
  parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d)), [&](int64_t rb, int64_t re) {
    thread_local std::vector<T> scratch;
    if (streamed && !direct) scratch.resize(size_t(d));
    for (int64_t r = rb; r < re; r++) {
      const T* xr = xs + r * d;
      if constexpr (is_f32 && kCanStream) {
        if (direct) {
          norm_row_streamed(xr, w, b, d, eps, centred, os + r * d);
          continue;
        }
      }
      T* o = streamed ? scratch.data() : os + r * d;
      norm_row<T, U>(xr, w, b, d, eps, centred, o);
      if (streamed) stream_copy(os + r * d, o, size_t(d) * sizeof(T));
    }
    if (streamed) stream_fence();
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

// layer_norm's vjp in one pass over the rows: each row's mean and inverse
// deviation again, then gx = inv * (gy - mean(gy) - xhat * mean(gy * xhat))
// with gy = g * w, and the weight's and bias's cotangents (the column sums of
// g * xhat and g) summed by parts of rows, one part per thread, so that the
// sums are the same whatever thread runs a part. Computed in float (double
// for float64), rounded once to the output dtype.
template <class T>
void layer_norm_vjp_rows(const Array& x, const T* w, const Array& g, double eps, Array& gx, T* gw, T* gb) {
  using U = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const int64_t d = x.shape.back(), rows = d ? x.size() / d : 0;
  const T* xs = x.data<T>();
  const T* gs = g.data<T>();
  T* os = gx.data<T>();
  const bool cols = gw || gb;
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(num_threads(), rows * d / 16384));
  std::vector<U> partial(cols ? size_t(parts * 2 * d) : 0, U(0));
  parallel_for(parts, 1, [&](int64_t pb, int64_t pe) {
    std::vector<U> gy(static_cast<size_t>(d)), xh(static_cast<size_t>(d));
    for (int64_t part = pb; part < pe; part++) {
      U* sw = cols ? partial.data() + part * 2 * d : nullptr;
      for (int64_t r = rows * part / parts; r < rows * (part + 1) / parts; r++) {
        const T* xr = xs + r * d;
        const T* gr = gs + r * d;
        const U mean = lane_sum<U>(xr, d, [](U v) { return v; }) / U(d);
        const U ss = lane_sum<U>(xr, d, [mean](U v) { return (v - mean) * (v - mean); });
        const U inv = U(1) / std::sqrt(ss / U(d) + U(eps));
        // elementwise first (vectorized), then the two row sums over lanes
        for (int64_t i = 0; i < d; i++) {
          const U gi = U(acc_t<T>(gr[i])), h = (U(acc_t<T>(xr[i])) - mean) * inv;
          xh[size_t(i)] = h;
          gy[size_t(i)] = w ? gi * U(acc_t<T>(w[i])) : gi;
        }
        if (sw)
          for (int64_t i = 0; i < d; i++) {
            const U gi = U(acc_t<T>(gr[i]));
            sw[i] += gi * xh[size_t(i)];
            sw[d + i] += gi;
          }
        const U a = lane_sum<U>(gy.data(), d, [](U v) { return v; }) / U(d);
        const U b = lane_dot<U>(gy.data(), xh.data(), d) / U(d);
        T* o = os + r * d;
        for (int64_t i = 0; i < d; i++) o[i] = T(inv * (gy[size_t(i)] - a - xh[size_t(i)] * b));
      }
    }
  });
  for (int64_t i = 0; cols && i < d; i++) {
    U sw = 0, sb = 0;
    for (int64_t part = 0; part < parts; part++) {
      sw += partial[size_t(part * 2 * d + i)];
      sb += partial[size_t(part * 2 * d + d + i)];
    }
    if (gw) gw[i] = T(sw);
    if (gb) gb[i] = T(sb);
  }
}

// The cotangents of layer_norm's x, weight and bias (those it has) from x,
// the weight and the output's cotangent: what the composed rule computes in
// about fifteen passes over the rows, in one.
void register_layer_norm_vjp() {
  OpDef d = make_op("layer_norm_vjp", "fast", "promote; floating types only", 2, 3,
                    {{"eps", AttrType::Float, nullptr, true}, {"has_weight", AttrType::Bool, false}, {"has_bias", AttrType::Bool, false}});
  d.doc = "The cotangents of layer_norm's input, weight and bias (those has_weight and has_bias give) from its input, weight and output cotangent";
  d.infer = [](const InferCtx& c) {
    const bool hw = c.attrs.b("has_weight"), hb = c.attrs.b("has_bias");
    if (c.in.size() != 2 + size_t(hw)) throw RequestError("invalid_arity", c.path + "/inputs", "layer_norm_vjp takes x, the weight when has_weight, and the cotangent: " + std::to_string(2 + int(hw)) + " inputs, got " + std::to_string(c.in.size()));
    need_rank(c.in[0], 1, "layer_norm_vjp input", c.path + "/inputs/0");
    const Shape& xs = c.in[0].shape;
    if (hw) need_vector(c.in[1], xs.back(), "weight", c.path + "/inputs/1");
    if (c.in.back().shape != xs) throw RequestError("invalid_shape", c.path + "/inputs/" + std::to_string(c.in.size() - 1), "the cotangent " + shape_str(c.in.back().shape) + " is not the input's shape " + shape_str(xs));
    std::vector<DType> ds;
    for (const TypeShape& t : c.in) ds.push_back(t.dtype);
    const DType t = float_result(ds, "layer_norm_vjp", c.path);
    Outs outs{{t, xs}};
    if (hw) outs.push_back({t, {xs.back()}});
    if (hb) outs.push_back({t, {xs.back()}});
    return outs;
  };
  d.eval = [](const EvalCtx& c) {
    const DType t = c.out[0].dtype;
    const bool hw = c.attrs.b("has_weight"), hb = c.attrs.b("has_bias");
    Array x = astype(c.in[0], t), g = astype(c.in.back(), t);
    Array w = hw ? astype(c.in[1], t) : Array();
    Arrs outs{Array(t, x.shape)};
    if (hw) outs.push_back(Array(t, {x.shape.back()}));
    if (hb) outs.push_back(Array(t, {x.shape.back()}));
    dispatch(t, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (is_float_v<T>)
        layer_norm_vjp_rows<T>(x, hw ? w.data<T>() : nullptr, g, c.attrs.f("eps"), outs[0], hw ? outs[1].data<T>() : nullptr, hb ? outs.back().data<T>() : nullptr);
    });
    return outs;
  };
  register_op(std::move(d));
}

// cos and sin of n angles (c may be th), in vector lanes when vecmath.h has kernels.
void cos_sin(const float* th, float* c, float* s, int64_t n) {
  const VecTable* t = vec_table();
  if (t && t->unary[int(VFn::Sin)][2] && t->unary[int(VFn::Cos)][2]) {
    const void* in[1] = {th};
    const bool scalar = false;
    t->unary[int(VFn::Sin)][2](in, &scalar, s, n, EwParams{});
    t->unary[int(VFn::Cos)][2](in, &scalar, c, n, EwParams{});
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    const float a = th[i];
    s[i] = std::sin(a);
    c[i] = std::cos(a);
  }
}

// The cos and sin of rope's angles, (offsets[b] + l) * scale * f_i for each
// batch offset b, position l and pair i. The last table is kept: the layers
// of a model rotate queries and keys at the same positions, so all but the
// first call of a step reuse it.
struct RopeTable {
  std::vector<int64_t> offsets;
  std::vector<float> f;
  int64_t L;
  float scale;
  std::vector<float> cs, sn;  // (offsets, L, f.size())
};

std::shared_ptr<const RopeTable> rope_table(std::vector<int64_t> offsets, std::vector<float> f, int64_t L, float scale) {
  static std::mutex mu;
  static std::shared_ptr<const RopeTable> last;
  {
    std::lock_guard<std::mutex> g(mu);
    if (last && last->L == L && last->scale == scale && last->offsets == offsets && last->f == f) return last;
  }
  auto t = std::make_shared<RopeTable>();
  const int64_t nb = int64_t(offsets.size()), half = int64_t(f.size());
  t->cs.resize(size_t(nb * L * half));
  t->sn.resize(t->cs.size());
  parallel_for(nb * L, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, half)), [&](int64_t b, int64_t e) {
    float* cs = t->cs.data();
    for (int64_t r = b; r < e; r++) {
      const float pos = float(offsets[size_t(r / L)] + r % L) * scale;
      for (int64_t i = 0; i < half; i++) cs[r * half + i] = pos * f[size_t(i)];
    }
    cos_sin(cs + b * half, cs + b * half, t->sn.data() + b * half, (e - b) * half);
  });
  t->offsets = std::move(offsets);
  t->f = std::move(f);
  t->L = L;
  t->scale = scale;
  // tables of up to 4 MiB are kept (8K positions of 128 features)
  if (t->cs.size() * 8 <= size_t(4) << 20) {
    std::lock_guard<std::mutex> g(mu);
    last = t;
  }
  return t;
}

// One row of D features rotated by the cos c and sin s of its half pairs;
// the features past dims are copied.
template <class T>
void rotate_row(const T* __restrict x, T* __restrict o, const float* __restrict c, const float* __restrict s, int64_t half, int64_t dims, int64_t D, bool trad) {
  using U = std::conditional_t<std::is_same_v<T, double>, double, float>;
  if (trad) {
    for (int64_t i = 0; i < half; i++) {
      const U a = U(acc_t<T>(x[2 * i])), b = U(acc_t<T>(x[2 * i + 1]));
      o[2 * i] = T(a * c[i] - b * s[i]);
      o[2 * i + 1] = T(a * s[i] + b * c[i]);
    }
  } else {
    for (int64_t i = 0; i < half; i++) {
      const U a = U(acc_t<T>(x[i])), b = U(acc_t<T>(x[i + half]));
      o[i] = T(a * c[i] - b * s[i]);
      o[i + half] = T(a * s[i] + b * c[i]);
    }
  }
  if (dims < D) std::memcpy(o + dims, x + dims, size_t(D - dims) * sizeof(T));
}

// rotate_row for float32 in MLX's default (non-traditional) layout into o, a
// row that starts a vector slot, with half and D whole numbers of vectors,
// stored non-temporally from registers.
[[maybe_unused]] void rotate_row_streamed(const float* x, float* o, const float* c, const float* s, int64_t half, int64_t dims, int64_t D) {
#if defined(__SSE2__)
  for (int64_t i = 0; i < half; i += kLanes) {
    const Lanes a = lanes_at(x + i), b = lanes_at(x + i + half), vc = lanes_at(c + i), vs = lanes_at(s + i);
    stream_lanes(o + i, a * vc - b * vs);
    stream_lanes(o + i + half, a * vs + b * vc);
  }
  for (int64_t i = dims; i < D; i += kLanes) stream_lanes(o + i, lanes_at(x + i));
#else
  rotate_row<float>(x, o, c, s, half, dims, D, false);
#endif
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
    const int64_t outer = D * L != 0 ? x.size() / (D * L) : 0;
    std::vector<float> f(static_cast<size_t>(half));
    if (hf) {
      Array fr = astype(c.in.back(), DType::Float32);
      for (int64_t i = 0; i < half; i++) f[size_t(i)] = 1.0f / fr.data<float>()[i];
    } else {
      const float step = std::log(float(c.attrs.f("base"))) / float(half);
      for (int64_t i = 0; i < half; i++) f[size_t(i)] = std::exp(-float(i) * step);
    }
    std::vector<int64_t> offsets{c.attrs.i("offset")};
    if (ho) {
      Array o = astype(c.in[1], DType::Int64);
      offsets.assign(o.data<int64_t>(), o.data<int64_t>() + o.size());
    }
    Array out(x.dtype, x.shape);
    if (!outer) return Arrs{out};
    // One offset per batch: the heads of batch b (x's first axis) share its table rows.
    const int64_t nb = int64_t(offsets.size()), heads = nb > 1 ? outer / nb : outer;
    const auto table = rope_table(std::move(offsets), std::move(f), L, float(c.attrs.f("scale")));
    // Tasks of a block of positions (their table rows, 128 KiB, stay in L2)
    // in kRopeStreams heads, each head's block a contiguous stream in and
    // out, the heads taken in turn a row at a time: a core reads several
    // streams faster than one (docs/PERFORMANCE.md, session 16), and each
    // table row serves them all at once (a block of 32 positions across all
    // heads was 32 streams of 16 KiB each way, slower). Few positions
    // (decoding) take several heads a task, split for the cores.
    constexpr int64_t kRopeStreams = 4;
    const int64_t P = std::min(L, std::max<int64_t>(1, 16384 / half)), pblocks = (L + P - 1) / P;
    const int64_t hsplit = P >= 64 ? (heads + kRopeStreams - 1) / kRopeStreams : std::clamp<int64_t>(4 * num_threads() / (nb * pblocks), 1, heads);
    const int64_t hc = (heads + hsplit - 1) / hsplit, tasks = nb * pblocks * hsplit;
    dispatch(x.dtype, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (is_float_v<T>) {
        const T* xs = x.data<T>();
        T* os = out.data<T>();
        const size_t bytes = size_t(x.size()) * sizeof(T), row = size_t(D) * sizeof(T);
        const bool streamed = stream_output(bytes, bytes, row);
        constexpr bool is_f32 = std::is_same_v<T, float>;
        const bool direct = is_f32 && streamed && !trad && half % kLanes == 0 && D % kLanes == 0 && lanes_aligned(os);
        parallel_for(tasks, std::max<int64_t>(1, 16384 / (hc * P * D)), [&](int64_t tb, int64_t te) {
          thread_local std::vector<T> scratch;
          if (streamed && !direct) scratch.resize(size_t(D));
          for (int64_t t = tb; t < te; t++) {
            const int64_t b = t / (pblocks * hsplit), pb = t / hsplit % pblocks, hs = t % hsplit;
            const int64_t l0 = pb * P, l1 = std::min(L, l0 + P), h0 = b * heads + hs * hc, h1 = std::min(b * heads + heads, h0 + hc);
            for (int64_t l = l0; l < l1; l++)
              for (int64_t n = h0; n < h1; n++) {
                const size_t at = size_t((b * L + l) * half);
                T* o = os + (n * L + l) * D;
                if constexpr (is_f32 && kCanStream) {
                  if (direct) {
                    rotate_row_streamed(xs + (n * L + l) * D, o, &table->cs[at], &table->sn[at], half, dims, D);
                    continue;
                  }
                }
                rotate_row<T>(xs + (n * L + l) * D, streamed ? scratch.data() : o, &table->cs[at], &table->sn[at], half, dims, D, trad);
                if (streamed) stream_copy(o, scratch.data(), row);
              }
          }
          if (streamed) stream_fence();
        });
      }
    });
    return Arrs{out};
  };
  register_op(std::move(d));
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

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Decoding streams the key/value cache from memory once: its loops ask for
// the rows kAhead ahead of those they read (8 KiB of head size 128, about
// one memory latency at full bandwidth). A task reads its keys, then its
// values, as kStreams streams at once, a key of each per tile of dot_tile
// (kStreamAhead tiles ahead asked for): reading one stream, a core keeps
// too few lines in flight, and reaches about half the memory's rate (a sum
// over 256 MiB here: 9 GB/s as one stream a thread, 20 as 16). Under load,
// 1.26-1.35x faster than one stream (the best of 200 calls); 8 streams were
// no faster than 4. A tile of dot_tile takes kDotKeys keys: 4 with
// AVX-512, 2 with AVX2, whose 16 registers hold 4 rows x 2 keys of sums
// (one core, keys from memory, Zen 3: 8.2 GB/s, against 5.6 of 2 rows x 4
// keys twice; a plain sum reads 10.2).
constexpr int64_t kDotKeys = kLanes == 16 ? 4 : 2;
constexpr int64_t kAhead = 16, kStreams = kDotKeys, kStreamAhead = kAhead / kStreams, kValueAhead = 8;
inline void fetch_row(const float* p, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) __builtin_prefetch(p + i);
}

// s_r[j] = scale * (x_r . y_j) for RT rows x_r (row stride d) and rows y_j
// of length d (row stride d), s_r at s + r * lds: `tiles` tiles of RT rows
// times kDotKeys keys, so that each key is loaded once for every row and
// kDotKeys * RT multiply-add chains are in flight. Tile t takes keys t inc +
// k ks (k < kDotKeys): adjacent keys (inc kDotKeys, ks 1), or one key from
// each of kStreams streams (inc 1, ks the stream's length). With `fetch`,
// the keys come from memory: each tile's keys `ahead` tiles on are
// prefetched while that many remain in `avail` tiles.
template <int RT>
void dot_tile(const float* x, const float* y, int64_t tiles, int64_t inc, int64_t ks, int64_t d, float scale, float* s, int64_t lds, bool fetch, int64_t ahead, int64_t avail) {
  const int64_t dv = d / kLanes * kLanes;
  for (int64_t t = 0; t < tiles; t++) {
    const int64_t j = t * inc;
    if (fetch && t + ahead < avail)
      for (int k = 0; k < kDotKeys; k++) fetch_row(y + (j + ahead * inc + k * ks) * d, d);
    const float* yj = y + j * d;
    Lanes acc[RT][kDotKeys] = {};
    for (int64_t i = 0; i < dv; i += kLanes) {
      Lanes yk[kDotKeys];
      for (int k = 0; k < kDotKeys; k++) yk[k] = lanes_at(yj + k * ks * d + i);
#pragma GCC unroll 4
      for (int r = 0; r < RT; r++) {
        const Lanes xv = lanes_at(x + r * d + i);
        for (int k = 0; k < kDotKeys; k++) acc[r][k] += xv * yk[k];
      }
    }
    for (int r = 0; r < RT; r++)
      for (int k = 0; k < kDotKeys; k++) {
        float sum = hsum(acc[r][k]);
        for (int64_t i = dv; i < d; i++) sum += x[r * d + i] * yj[k * ks * d + i];
        s[r * lds + j + k * ks] = scale * sum;
      }
  }
}

// One key a row at a time (the keys after the last whole tile).
void dot_rows(const float* x, int64_t rows, const float* y, int64_t n, int64_t d, float scale, float* s, int64_t lds) {
  const int64_t dv = d / kLanes * kLanes;
  for (int64_t j = 0; j < n; j++)
    for (int64_t r = 0; r < rows; r++) {
      Lanes acc = {};
      for (int64_t i = 0; i < dv; i += kLanes) acc += lanes_at(x + r * d + i) * lanes_at(y + j * d + i);
      float t = hsum(acc);
      for (int64_t i = dv; i < d; i++) t += x[r * d + i] * y[j * d + i];
      s[r * lds + j] = scale * t;
    }
}

// The tiles for any number of rows, by tiles of up to 4; only the first
// tile reads the keys from memory (the caller's blocks keep them in L1 for the rest).
void dot_tiles(const float* x, int64_t rows, const float* y, int64_t tiles, int64_t inc, int64_t ks, int64_t d, float scale, float* s, int64_t lds, bool fetch, int64_t ahead, int64_t avail) {
  for (int64_t r = 0; r < rows; r += 4) {
    const float* xr = x + r * d;
    float* sr = s + r * lds;
    const bool f = fetch && r == 0;
    switch (std::min<int64_t>(4, rows - r)) {
      case 4: dot_tile<4>(xr, y, tiles, inc, ks, d, scale, sr, lds, f, ahead, avail); break;
      case 3: dot_tile<3>(xr, y, tiles, inc, ks, d, scale, sr, lds, f, ahead, avail); break;
      case 2: dot_tile<2>(xr, y, tiles, inc, ks, d, scale, sr, lds, f, ahead, avail); break;
      default: dot_tile<1>(xr, y, tiles, inc, ks, d, scale, sr, lds, f, ahead, avail); break;
    }
  }
}

// The same over n adjacent keys (the rest one at a time).
void dots(const float* x, int64_t rows, const float* y, int64_t n, int64_t d, float scale, float* s, int64_t lds, bool fetch, int64_t avail) {
  dot_tiles(x, rows, y, n / kDotKeys, kDotKeys, 1, d, scale, s, lds, fetch, kAhead / kDotKeys, avail / kDotKeys);
  dot_rows(x, rows, y + n / kDotKeys * kDotKeys * d, n % kDotKeys, d, scale, s + n / kDotKeys * kDotKeys, lds);
}

// Value row i of n read as kStreams streams of q rows in turn (q > 0), then
// the rest in order.
inline int64_t stream_row(int64_t i, int64_t q) { return i < kStreams * q ? (i % kStreams) * q + i / kStreams : i; }

// o_r = sum_j p_r[j] v_j for rows r of weights p (row stride ldp) over n
// value rows of Dv floats. With q > 0 the first kStreams q rows are taken
// from kStreams streams in turn, as the keys are. With AVX-512: by blocks
// of 64 value rows (32 KiB of Dv 128, in L1), two output rows at a time
// with the sums of all 8 vectors of Dv 128 in registers, so each value row
// is loaded once per pair. The first pair of a block streams it from
// memory, prefetching ahead into the next block, so that the stream goes on
// while the other pairs read the block from L1. With AVX2, whose 16
// registers hold 4 vectors of a pair, the value rows are read once each
// (for each group of up to 4 output rows), four at a time, and the rows'
// sums stay in o (in L1), a load and a store for four multiply-adds: passes
// of 4 vectors read 128 bytes of each 512-byte row from memory (one core,
// Zen 3, values from memory: 7.3-7.5 GB/s, against 5.7-5.8 two rows at a
// time and 2.5-3.7 by passes). The weights of a step are copied together
// (GCC kept 16 pointers to them on the stack) and the rows kValueAhead on
// are asked for a line or two a vector step rather than all at once (a
// standalone driver, one core: 8.6-10.3 GB/s against 6.3-7.5; a plain sum
// 11.4-12.3).
template <int64_t Dv, int RG>
void weigh_values_streamed(const float* p, int64_t ldp, const float* v, int64_t n, int64_t q, float* o) {
  const auto row = [q](int64_t i) { return stream_row(i, q); };
  std::fill(o, o + RG * Dv, 0.0f);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float* ahead[4];
    for (int k = 0; k < 4; k++) ahead[k] = v + row(std::min(n - 1, i + kValueAhead + k)) * Dv;
    const int64_t j0 = row(i), j1 = row(i + 1), j2 = row(i + 2), j3 = row(i + 3);
    const float *v0 = v + j0 * Dv, *v1 = v + j1 * Dv, *v2 = v + j2 * Dv, *v3 = v + j3 * Dv;
    float w[RG][4];
    for (int r = 0; r < RG; r++) {
      const float* pr = p + r * ldp;
      w[r][0] = pr[j0], w[r][1] = pr[j1], w[r][2] = pr[j2], w[r][3] = pr[j3];
    }
    for (int64_t c = 0; c < Dv; c += kLanes) {
      for (int64_t l = c / 4; l < (c + kLanes) / 4; l++) __builtin_prefetch(ahead[l * 16 / Dv] + l * 16 % Dv);
      const Lanes x0 = lanes_at(v0 + c), x1 = lanes_at(v1 + c), x2 = lanes_at(v2 + c), x3 = lanes_at(v3 + c);
#pragma GCC unroll 4
      for (int r = 0; r < RG; r++) {
        Lanes a = lanes_at(o + r * Dv + c);
        a += w[r][0] * x0;
        a += w[r][1] * x1;
        a += w[r][2] * x2;
        a += w[r][3] * x3;
        store_lanes(o + r * Dv + c, a);
      }
    }
  }
  for (; i < n; i++) {
    const int64_t j = row(i);
    for (int r = 0; r < RG; r++) {
      const float w = p[r * ldp + j];
      for (int64_t c = 0; c < Dv; c += kLanes) {
        const Lanes a = lanes_at(o + r * Dv + c) + w * lanes_at(v + j * Dv + c);
        store_lanes(o + r * Dv + c, a);
      }
    }
  }
}

template <int64_t Dv>
void weigh_values(const float* p, int64_t ldp, int64_t R, const float* v, int64_t n, int64_t q, float* o) {
  if constexpr (kLanes != 16) {
    for (int64_t r = 0; r < R; r += 4) {
      const float* pr = p + r * ldp;
      float* orow = o + r * Dv;
      switch (std::min<int64_t>(4, R - r)) {
        case 4: weigh_values_streamed<Dv, 4>(pr, ldp, v, n, q, orow); break;
        case 3: weigh_values_streamed<Dv, 3>(pr, ldp, v, n, q, orow); break;
        case 2: weigh_values_streamed<Dv, 2>(pr, ldp, v, n, q, orow); break;
        default: weigh_values_streamed<Dv, 1>(pr, ldp, v, n, q, orow); break;
      }
    }
    return;
  }
  const auto row = [q](int64_t i) { return stream_row(i, q); };
  constexpr int64_t B = 64, CV = std::max<int64_t>(1, std::min<int64_t>(Dv / kLanes, 8));
  for (int64_t j0 = 0; j0 < n; j0 += B) {
    const int64_t j1 = std::min(n, j0 + B);
    for (int64_t c0 = 0; c0 < Dv; c0 += CV * kLanes)
      for (int64_t r = 0; r < R; r += 2) {
        const bool pair = r + 1 < R;
        const float* p0 = p + r * ldp;
        const float* p1 = pair ? p0 + ldp : p0;
        float* o0 = o + r * Dv + c0;
        Lanes a0[CV] = {}, a1[CV] = {};
        if (j0) {
          std::memcpy(a0, o0, sizeof a0);
          if (pair) std::memcpy(a1, o0 + Dv, sizeof a1);
        }
        for (int64_t i = j0; i < j1; i++) {
          if (r == 0 && c0 == 0 && i + kAhead < n) fetch_row(v + row(i + kAhead) * Dv, Dv);
          const int64_t j = row(i);
          const float w0 = p0[j], w1 = p1[j];
          for (int c = 0; c < CV; c++) {
            const Lanes x = lanes_at(v + j * Dv + c0 + c * kLanes);
            a0[c] += w0 * x;
            a1[c] += w1 * x;
          }
        }
        std::memcpy(o0, a0, sizeof a0);
        if (pair) std::memcpy(o0 + Dv, a1, sizeof a1);
      }
  }
}

// The same for any Dv: rows of o accumulated one value row at a time.
void weigh_values_any(const float* p, int64_t ldp, int64_t R, const float* v, int64_t n, int64_t Dv, int64_t q, float* o) {
  switch (Dv) {
    case 64: return weigh_values<64>(p, ldp, R, v, n, q, o);
    case 128: return weigh_values<128>(p, ldp, R, v, n, q, o);
    default: break;
  }
  std::fill(o, o + R * Dv, 0.0f);
  for (int64_t j = 0; j < n; j++) {
    const float* __restrict vr = v + j * Dv;
    for (int64_t r = 0; r < R; r++) {
      const float w = p[r * ldp + j];
      float* __restrict orow = o + r * Dv;
      for (int64_t d = 0; d < Dv; d++) orow[d] += w * vr[d];
    }
  }
}

// The softmax passes over a row of scores: the maximum by the engine's
// vector row kernel (vecmath.h) when the CPU has one.
struct SoftmaxRow {
  const RowKernels<float>* k;
  SoftmaxRow() {
    const VecTable* t = vec_table();
    k = t ? &t->rows_f32 : nullptr;
  }
  // The larger of m and the row's maximum (NaNs skipped).
  float max(const float* x, int64_t n, float m) const {
    if (k) return n ? std::max(m, k->max(x, n)) : m;
    for (int64_t j = 0; j < n; j++) m = std::max(m, x[j]);
    return m;
  }
  // x[0, n) = exp(x - m) (m the row's maximum or more), x[n, width) = 0;
  // returns the sum. A last part of a vector is computed whole where the
  // row's width allows, its lanes past n zeroed.
  static float exp_sum(float* x, float m, int64_t n, int64_t width) {
    const Lanes iota = lane_index();
    Lanes s0{}, s1{};
    int64_t j = 0;
    for (; j + 2 * kLanes <= n; j += 2 * kLanes) {
      const Lanes e0 = exp_weight(lanes_at(x + j) - m), e1 = exp_weight(lanes_at(x + j + kLanes) - m);
      store_lanes(x + j, e0);
      store_lanes(x + j + kLanes, e1);
      s0 += e0;
      s1 += e1;
    }
    for (; j < n && j + kLanes <= width; j += kLanes) {
      const Lanes e = iota + float(j) < float(n) ? exp_weight(lanes_at(x + j) - m) : Lanes{};
      store_lanes(x + j, e);
      s0 += e;
    }
    float sum = hsum(s0 + s1);
    for (; j < n; j++) sum += (x[j] = std::exp(x[j] - m));
    std::fill(x + j, x + width, 0.0f);
    return sum;
  }
};

// Where each (batch, kv head)'s query rows lie and which keys each may see.
// Rows of one kv head's query group are stacked, G heads of Lq rows, as they
// lie in q (heads kh*G .. kh*G+G-1 are adjacent), so one pass over a block
// of keys serves the whole group.
struct Attention {
  const float *q, *k, *v, *sinks;
  const Array* mask;  // null, or bool or float32
  std::array<int64_t, 4> ms;
  bool causal;
  int64_t B, H, Lq, D, Hk, Lk, Dv, G;
  float scale;

  const float* q_rows(int64_t b, int64_t kh) const { return q + (b * H + kh * G) * Lq * D; }
  const float* keys(int64_t b, int64_t kh) const { return k + (b * Hk + kh) * Lk * D; }
  const float* values(int64_t b, int64_t kh) const { return v + (b * Hk + kh) * Lk * Dv; }
  // keys [0, visible(r)) are unmasked by causality for stacked row r
  int64_t visible(int64_t r) const { return causal ? std::clamp<int64_t>(r % Lq + Lk - Lq + 1, 0, Lk) : Lk; }
  // Applies the array mask to scores s of stacked row r over keys [j0, j0 + n).
  void apply_mask(float* s, int64_t b, int64_t kh, int64_t r, int64_t j0, int64_t n) const {
    if (!mask) return;
    const int64_t h = kh * G + r / Lq, l = r % Lq, base = b * ms[0] + h * ms[1] + l * ms[2] + j0 * ms[3];
    if (mask->dtype == DType::Bool) {
      const bool* mr = mask->data<bool>() + base;
      for (int64_t j = 0; j < n; j++)
        if (!mr[j * ms[3]]) s[j] = kNegInf;
    } else {
      const float* mr = mask->data<float>() + base;
      for (int64_t j = 0; j < n; j++) s[j] += mr[j * ms[3]];
    }
  }
  float sink(int64_t kh, int64_t r) const { return sinks ? sinks[kh * G + r / Lq] : kNegInf; }
  // A row that sees no key. MLX masks causally and with booleans by the
  // lowest finite score, so such a row weighs every key alike: the mean of
  // the values. An additive mask of -inf everywhere gives NaN, as in MLX.
  void unseen_row(int64_t b, int64_t kh, float* o) const {
    if (mask && mask->dtype != DType::Bool) {
      std::fill(o, o + Dv, NAN);
      return;
    }
    std::fill(o, o + Dv, 0.0f);
    const float* vb = values(b, kh);
    for (int64_t j = 0; j < Lk; j++)
      for (int64_t d = 0; d < Dv; d++) o[d] += vb[j * Dv + d];
    for (int64_t d = 0; d < Dv; d++) o[d] /= float(Lk);
  }
};

// Few query rows per kv head (decoding): the keys are split into chunks so
// that both cores stream the cache; each chunk keeps its rows' running max,
// sum of exponentials and unnormalized output, merged at the end.
void attend_split(const Attention& a, float* out) {
  const int64_t R = a.G * a.Lq, heads = a.B * a.Hk;
  if (!R || !heads) return;
  const int64_t chunks = std::clamp<int64_t>((16 * num_threads() + heads - 1) / heads, 1, std::max<int64_t>(1, a.Lk / 64));
  const int64_t C = (a.Lk + chunks - 1) / chunks;
  std::vector<float> pm(size_t(heads * chunks * R)), pl(pm.size()), pacc(pm.size() * size_t(a.Dv));
  const SoftmaxRow sm;
  parallel_for(heads * chunks, 1, [&](int64_t tb, int64_t te) {
    std::vector<float> s(size_t(R * C));
    for (int64_t task = tb; task < te; task++) {
      const int64_t bh = task / chunks, j0 = (task % chunks) * C, n = std::clamp<int64_t>(a.Lk - j0, 0, C);
      const int64_t b = bh / a.Hk, kh = bh % a.Hk;
      const float *qb = a.q_rows(b, kh), *kb = a.keys(b, kh) + j0 * a.D, *vb = a.values(b, kh) + j0 * a.Dv;
      float *m = pm.data() + task * R, *l = pl.data() + task * R, *acc = pacc.data() + task * R * a.Dv;
      // blocks of keys that stay in L1 (32 KiB of head size 128) while every row reads them
      const int64_t kblock = std::max<int64_t>(8, 8192 / std::max<int64_t>(1, a.D));
      // keys (then values) as kStreams streams of q keys, and the rest after
      const int64_t q = n >= 16 * kStreams ? n / kStreams : 0;
      for (int64_t t0 = 0; t0 < q; t0 += kblock / kStreams)
        dot_tiles(qb, R, kb + t0 * a.D, std::min(kblock / kStreams, q - t0), 1, q, a.D, a.scale, s.data() + t0, C, true, kStreamAhead, q - t0);
      for (int64_t j0 = kStreams * q; j0 < n; j0 += kblock)
        dots(qb, R, kb + j0 * a.D, std::min(kblock, n - j0), a.D, a.scale, s.data() + j0, C, true, n - j0);
      for (int64_t r = 0; r < R; r++) {
        float* sr = s.data() + r * C;
        const int64_t vis = std::clamp<int64_t>(a.visible(r) - j0, 0, n);
        a.apply_mask(sr, b, kh, r, j0, vis);
        m[r] = sm.max(sr, vis, kNegInf);
        if (m[r] == kNegInf) {  // nothing visible here: no weight, unless a score is NaN
          l[r] = std::any_of(sr, sr + vis, [](float x) { return std::isnan(x); }) ? NAN : 0.0f;
          std::fill(sr, sr + n, 0.0f);
        } else {
          l[r] = sm.exp_sum(sr, m[r], vis, n);
        }
      }
      weigh_values_any(s.data(), C, R, vb, n, a.Dv, q, acc);
    }
  });
  parallel_for(heads * R, 64, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      const int64_t bh = i / R, r = i % R;
      float M = a.sink(bh % a.Hk, r);
      for (int64_t c = 0; c < chunks; c++) M = std::max(M, pm[size_t((bh * chunks + c) * R + r)]);
      float* o = out + i * a.Dv;  // stacked rows are the output's rows in order
      if (M == kNegInf) {  // every score masked and no sink
        bool nan = false;
        for (int64_t c = 0; c < chunks; c++) nan = nan || std::isnan(pl[size_t((bh * chunks + c) * R + r)]);
        if (nan) std::fill(o, o + a.Dv, NAN);
        else a.unseen_row(bh / a.Hk, bh % a.Hk, o);
        continue;
      }
      float L = a.sinks ? std::exp(a.sink(bh % a.Hk, r) - M) : 0.0f;
      std::fill(o, o + a.Dv, 0.0f);
      for (int64_t c = 0; c < chunks; c++) {
        const size_t at = size_t((bh * chunks + c) * R + r);
        const float w = std::exp(pm[at] - M);
        L += pl[at] * w;
        const float* ac = &pacc[at * size_t(a.Dv)];
        for (int64_t d = 0; d < a.Dv; d++) o[d] += w * ac[d];
      }
      const float inv = 1.0f / L;
      for (int64_t d = 0; d < a.Dv; d++) o[d] *= inv;
    }
  });
}

// Many query rows (prefill), in registers: a kv head's keys are packed once
// into panels of kPanel keys (tiles.h), so that a tile of query rows times a
// panel is kPanel-wide vector loads and multiply-adds broadcasting one query
// value; a tile's scores stay in L1 for their softmax and their product with
// the values. Rows are taken position by position across the kv head's G
// query heads, so under a causal mask the keys a tile may see grow with it
// and a tile computes only up to its last row's (about 3% more than the triangle at 512 positions,
// against 12% for blocks of 64 positions through BLAS, which also packed
// both operands on every call). Float32 head sizes that are multiples of 32,
// with 64 rows or more a kv head, take AMX where the CPU has it
// (attend_blocks_amx below, the same tasks and softmax): 0.74-0.88 of this
// path's time in one process when the host's AMX runs at its fast rate,
// 1.0-1.2 in its slow state (session 18; PERFORMANCE.md).
constexpr int kScoreRows = kTileRows;

// o_r[c .. c + kLanes NV) = inv_r * sum_{j < n} p_r[j] v_j[0 .. kLanes NV)
// for R rows, value row j at v + j ldv.
template <int R, int NV>
void value_tile(const float* p, int64_t ldp, int64_t n, const float* v, int64_t ldv, int64_t c, const float* inv, float* const* o) {
  Lanes acc[R][NV] = {};
  for (int64_t j = 0; j < n; j++) {
    Lanes x[NV];
    for (int u = 0; u < NV; u++) x[u] = lanes_at(v + j * ldv + kLanes * u);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      const float w = p[r * ldp + j];
      for (int u = 0; u < NV; u++) acc[r][u] += w * x[u];
    }
  }
  for (int r = 0; r < R; r++)
    for (int u = 0; u < NV; u++) {
      const Lanes y = acc[r][u] * inv[r];
      store_lanes(o[r] + c + kLanes * u, y);
    }
}

// Columns of value tiles, and a kv head's values packed by them: the
// columns [c, c + kValueCols) of all Lk rows adjacent, so that a tile's
// pass over the rows reads one stream. Read in place (rows Dv apart), a
// tile of 16 columns took 64 bytes of each 512-byte row, a new line every
// step: the prefill's value products stalled on their loads (Zen 3).
constexpr int64_t kValueCols = kValueVecs * kLanes;
void pack_value_columns(const float* v, int64_t Lk, int64_t Dv, float* out) {
  for (int64_t c0 = 0; c0 + kValueCols <= Dv; c0 += kValueCols) {
    float* o = out + c0 * Lk;
    for (int64_t j = 0; j < Lk; j++) std::memcpy(o + j * kValueCols, v + j * Dv + c0, sizeof(float) * kValueCols);
  }
}

// The value products of R rows whose weights are zero past n: the packed
// columns (vp, pack_value_columns) by tiles, then single vectors and
// scalars of the rest from the rows v.
template <int R>
void value_rows(const float* p, int64_t ldp, int64_t n, const float* vp, int64_t Lk, const float* v, int64_t Dv, const float* inv, float* const* o) {
  int64_t c = 0;
  for (; c + kValueCols <= Dv; c += kValueCols) value_tile<R, kValueVecs>(p, ldp, n, vp + c * Lk, kValueCols, c, inv, o);
  for (; c + kLanes <= Dv; c += kLanes) value_tile<R, 1>(p, ldp, n, v + c, Dv, c, inv, o);
  for (; c < Dv; c++)
    for (int r = 0; r < R; r++) {
      float t = 0;
      for (int64_t j = 0; j < n; j++) t += p[r * ldp + j] * v[j * Dv + c];
      o[r][c] = t * inv[r];
    }
}

// A prefill task's rows: positions [l0, l1) of every query head of kv head
// kh, position by position (t = (l - l0) G + g), their query and output rows,
// the keys each sees, and after the softmax the inverse of its sum.
struct TaskRows {
  int64_t b = 0, kh = 0, rows = 0, cols = 0;  // cols: the most keys a row sees
  std::vector<const float*> qr;
  std::vector<float*> orow;
  std::vector<int64_t> r_of, vis, unseen;
  std::vector<float> inv;

  void set(const Attention& a, int64_t bh, int64_t l0, int64_t l1, float* out) {
    b = bh / a.Hk;
    kh = bh % a.Hk;
    rows = (l1 - l0) * a.G;
    qr.resize(size_t(rows));
    orow.resize(size_t(rows));
    r_of.resize(size_t(rows));
    vis.resize(size_t(rows));
    inv.assign(size_t(rows), 0.0f);
    unseen.clear();
    cols = 0;
    for (int64_t t = 0; t < rows; t++) {
      const int64_t l = l0 + t / a.G, g = t % a.G, r = g * a.Lq + l;
      r_of[size_t(t)] = r;
      qr[size_t(t)] = a.q_rows(b, kh) + r * a.D;
      orow[size_t(t)] = out + ((b * a.H + kh * a.G) * a.Lq + r) * a.Dv;
      vis[size_t(t)] = a.visible(r);
      cols = std::max(cols, vis[size_t(t)]);
    }
  }

  // The maximum of row t's scores sr after its mask (the sink included), or
  // max, when given, as that of its unmasked scores. False, the row's
  // scores zeroed up to width, when the row sees no key: it is left to the
  // mean of the values (unseen).
  bool row_max(const Attention& a, const SoftmaxRow& sm, int64_t t, float* sr, int64_t width, float& m, const float* max = nullptr) {
    const int64_t r = r_of[size_t(t)], v = vis[size_t(t)];
    a.apply_mask(sr, b, kh, r, 0, v);
    const float sink = a.sink(kh, r);
    m = max ? std::max(sink, *max) : sm.max(sr, v, sink);
    if (m == kNegInf && !std::any_of(sr, sr + v, [](float x) { return std::isnan(x); })) {
      unseen.push_back(t);
      vis[size_t(t)] = 0;
      std::fill(sr, sr + width, 0.0f);
      return false;
    }
    return true;
  }
  // Row t's inverse sum from that of its weights exp(s - m) (the sink's added).
  void set_sum(const Attention& a, int64_t t, float m, float sum) {
    inv[size_t(t)] = 1.0f / (sum + (a.sinks ? std::exp(a.sink(kh, r_of[size_t(t)]) - m) : 0.0f));
  }

  // The softmax of rows [t0, t0 + n), their scores s (rows ld apart) up to
  // width (a row's keys past what it sees come out 0).
  void softmax(const Attention& a, const SoftmaxRow& sm, int64_t t0, int64_t n, float* s, int64_t ld, int64_t width) {
    for (int64_t t = t0; t < t0 + n; t++) {
      float* sr = s + (t - t0) * ld;
      float m;
      if (row_max(a, sm, t, sr, width, m)) set_sum(a, t, m, sm.exp_sum(sr, m, vis[size_t(t)], width));
    }
  }
};

// Calls f(rows) for each prefill task in parallel, then writes the rows that
// saw no key. A task is about 64 rows (of every head of the group). Each
// thread takes the next task when it is done with one: the pool's parts
// (16 of 256 tasks at 512 positions, 3-9% of the work each) left one thread
// idle for up to a part at the end.
template <class F>
void prefill_tasks(const Attention& a, float* out, F&& f) {
  const int64_t heads = a.B * a.Hk, P = std::max<int64_t>(1, 64 / a.G), blocks = (a.Lq + P - 1) / P;
  std::atomic<int64_t> next{0};
  parallel_for(std::min<int64_t>(num_threads(), heads * blocks), 1, [&](int64_t, int64_t) {
    TaskRows tr;
    for (int64_t task; (task = next.fetch_add(1, std::memory_order_relaxed)) < heads * blocks;) {
      // a head's last positions first: under a causal mask they cost the
      // most, so the cheap ones are left to even out the end
      const int64_t bh = task / blocks, l0 = (blocks - 1 - task % blocks) * P;
      tr.set(a, bh, l0, std::min(a.Lq, l0 + P), out);
      f(tr);
      for (int64_t t : tr.unseen) a.unseen_row(tr.b, tr.kh, tr.orow[size_t(t)]);
    }
  });
}

void attend_blocks(const Attention& a, float* out) {
  const int64_t heads = a.B * a.Hk, Lp = (a.Lk + kPanel - 1) / kPanel * kPanel;
  // every element is written by the packing (no zero fill first); the
  // values' columns past the last whole tile are read in place
  const std::unique_ptr<float[]> kt(new float[size_t(heads * Lp * a.D)]), vt(new float[size_t(heads * a.Lk * a.Dv)]);
  parallel_for(heads, 1, [&](int64_t b, int64_t e) {
    for (int64_t bh = b; bh < e; bh++) {
      pack_panels(a.keys(bh / a.Hk, bh % a.Hk), a.Lk, a.D, kt.get() + bh * Lp * a.D);
      pack_value_columns(a.values(bh / a.Hk, bh % a.Hk), a.Lk, a.Dv, vt.get() + bh * a.Lk * a.Dv);
    }
  });
  const SoftmaxRow sm;
  prefill_tasks(a, out, [&](TaskRows& tr) {
    thread_local std::vector<float> s;
    const int64_t ld = (tr.cols + kPanel - 1) / kPanel * kPanel;
    s.resize(size_t(kScoreRows * ld));
    const float* panels = kt.get() + (tr.b * a.Hk + tr.kh) * Lp * a.D;
    // a tile of rows at a time: scores, softmax, values, while its scores
    // are in L1 (a pass over all of a task's rows left them to L2).
    // Visibility grows along the rows: a tile's last row sees the most.
    for (int64_t t0 = 0; t0 < tr.rows; t0 += kScoreRows) {
      const int64_t n = std::min<int64_t>(kScoreRows, tr.rows - t0), seen = tr.vis[size_t(t0 + n - 1)];
      const int64_t width = (seen + kPanel - 1) / kPanel * kPanel;
      with_rows<kScoreRows>(n, [&](auto R) {
        for (int64_t j0 = 0; j0 < seen; j0 += kPanel) {
          // a last panel with half its keys or fewer: half the work (the
          // rest of the row is zeroed by the softmax)
          if (seen - j0 <= kPanel / 2) panel_tile<R, false, kPanel / 2>(&tr.qr[size_t(t0)], panels + j0 * a.D, a.D, a.scale, s.data() + j0, ld);
          else panel_tile<R>(&tr.qr[size_t(t0)], panels + j0 * a.D, a.D, a.scale, s.data() + j0, ld);
        }
      });
      tr.softmax(a, sm, t0, n, s.data(), ld, width);
      for (int64_t v0 = t0; v0 < t0 + n; v0 += kValueRows) {
        const int64_t nv = std::min<int64_t>(kValueRows, t0 + n - v0);
        int64_t vseen = 0;
        for (int64_t t = v0; t < v0 + nv; t++) vseen = std::max(vseen, tr.vis[size_t(t)]);
        const float* vp = vt.get() + (tr.b * a.Hk + tr.kh) * a.Lk * a.Dv;
        with_rows<kValueRows>(nv, [&](auto R) { value_rows<R>(s.data() + (v0 - t0) * ld, ld, vseen, vp, a.Lk, a.values(tr.b, tr.kh), a.Dv, &tr.inv[size_t(v0)], &tr.orow[size_t(v0)]); });
      }
    }
  });
}

// The same on AMX (attention_amx.h), for float32 head sizes that are
// multiples of 32: keys and values packed once per kv head into bfloat16
// parts, then for each block of 32 rows the scores as block products (the
// keys up to the block's last row's, by 16), scaled by the rows' and keys'
// units and the scale and their rows' maxima taken in the same pass, the
// weights' exponentials split into parts in one more (amx_pack_weights),
// their products with the values, and those scaled by the rows' inverse
// sums and the columns' units. A query row that is not finite
// gets its scores as float32 sums, as the other path gives them. False,
// with nothing written, when a key or value is not finite: the caller then
// takes the other path.
bool attend_blocks_amx(const Attention& a, float* out) {
  const int64_t heads = a.B * a.Hk, nb = (a.Lk + kAmxBlock - 1) / kAmxBlock, Lp = nb * kAmxBlock, steps = a.D / 32;
  const int64_t kstride = steps * kAmxBlockValues, vstride = nb * kAmxBlockValues;
  // the engine's buffers: 64-byte aligned, and kept for the next call (6 MiB
  // new each call cost a tenth of its page faults)
  Array kpa(DType::UInt16, {heads * nb * kstride}), vpa(DType::UInt16, {heads * (a.Dv / 32) * vstride});
  uint16_t *const kp = kpa.data<uint16_t>(), *const vp = vpa.data<uint16_t>();
  std::vector<float> kunit(size_t(heads * Lp)), vunit(size_t(heads * a.Dv));
  std::atomic<bool> finite{true};
  parallel_for(heads, 1, [&](int64_t b, int64_t e) {
    for (int64_t bh = b; bh < e && finite; bh++) {
      const int64_t bb = bh / a.Hk, kh = bh % a.Hk;
      if (!amx_pack_keys(a.keys(bb, kh), a.Lk, a.D, kp + bh * nb * kstride, kunit.data() + bh * Lp) ||
          !amx_pack_values(a.values(bb, kh), a.Lk, a.Dv, vp + bh * (a.Dv / 32) * vstride, vunit.data() + bh * a.Dv))
        finite = false;
    }
  });
  if (!finite) return false;
  const SoftmaxRow sm;
  prefill_tasks(a, out, [&](TaskRows& tr) {
    // the operands of the block products and their results, aligned (amx.h)
    struct Scratch {
      AmxBuffer<uint16_t> qa, pa;
      AmxBuffer<float> s, o;
      size_t nqa = 0, npa = 0, ns = 0, no = 0;
      float unit[kAmxBlock];
    };
    thread_local Scratch S;
    const int64_t bh = tr.b * a.Hk + tr.kh, ld = (tr.cols + kAmxBlock - 1) / kAmxBlock * kAmxBlock;
    const uint16_t *kh_parts = kp + bh * nb * kstride, *vh_parts = vp + bh * (a.Dv / 32) * vstride;
    const float *ku = kunit.data() + bh * Lp, *vu = vunit.data() + bh * a.Dv;
    uint16_t* qa = amx_reserve(S.qa, S.nqa, size_t(steps * kAmxBlockValues));
    uint16_t* pa = amx_reserve(S.pa, S.npa, size_t(ld / 32 * kAmxBlockValues));
    float* sc = amx_reserve(S.s, S.ns, size_t(kAmxBlock * ld));
    float* oc = amx_reserve(S.o, S.no, size_t(kAmxBlock * a.Dv));
    for (int64_t t0 = 0; t0 < tr.rows; t0 += kAmxBlock) {
      const int64_t n = std::min<int64_t>(kAmxBlock, tr.rows - t0), seen = tr.vis[size_t(t0 + n - 1)];
      // the scores of keys up to the next multiple of 16 (a last block of
      // 16 keys is half the products), the weights' up to that of 32
      const int64_t keys = (seen + 15) / 16 * 16, blocks = (keys + kAmxBlock - 1) / kAmxBlock, width = blocks * kAmxBlock;
      // scores scaled by the rows' and keys' units and the scale (exact:
      // powers of two times the scale), block by block, and without a mask
      // array each row's maximum over the keys it sees, while they are in L1
      struct Scores {
        float* s;
        int64_t ld, n;
        const float* ku;
        const int64_t *vis, keys;
        uint32_t bad;
        float rs[kAmxBlock];
        Lanes16 mx[kAmxBlock];
      } sd{sc, ld, n, ku, &tr.vis[size_t(t0)], keys, amx_pack_rows(&tr.qr[size_t(t0)], n, a.D, qa, S.unit), {}, {}};
      for (int64_t r = 0; r < n; r++) {
        sd.rs[r] = a.scale * S.unit[r];
        sd.mx[r] = Lanes16{} + kNegInf;
      }
      amx_block_products(qa, kh_parts, kstride, blocks, steps, sc, ld, keys < width, [](void* ctx, int64_t i) {
        static constexpr Lanes16 iota = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        Scores& d = *static_cast<Scores*>(ctx);
        for (int64_t r = 0; r < d.n; r++)
          if (!(d.bad >> r & 1)) {
            Lanes16 m = d.mx[r];
            for (int64_t j = kAmxBlock * i; j < std::min(kAmxBlock * (i + 1), d.keys); j += 16) {
              Lanes16& x = *reinterpret_cast<Lanes16*>(d.s + r * d.ld + j);
              x = x * lanes16_at(d.ku + j) * d.rs[r];
              const Lanes16 y = iota + float(j) < float(d.vis[r]) ? x : Lanes16{} + kNegInf;
              m = y > m ? y : m;  // a NaN skipped, as SoftmaxRow::max does
            }
            d.mx[r] = m;
          }
      }, &sd);
      float m[kAmxBlock] = {}, sums[kAmxBlock];
      bool sees[kAmxBlock];
      for (int64_t r = 0; r < n; r++) {
        const int64_t t = t0 + r;
        float* sr = sc + r * ld;
        const bool bad = sd.bad >> r & 1;
        if (bad) dot_rows(tr.qr[size_t(t)], 1, a.keys(tr.b, tr.kh), seen, a.D, a.scale, sr, ld);
        float mr = kNegInf;
        for (int k = 0; k < 16; k++) mr = std::max(mr, sd.mx[r][k]);
        // a row whose scores a mask changes, or float32 sums, takes its maximum after
        sees[r] = tr.row_max(a, sm, t, sr, width, m[r], a.mask || bad ? nullptr : &mr);
      }
      amx_pack_weights(sc, ld, n, width, m, &tr.vis[size_t(t0)], pa, sums);
      for (int64_t r = 0; r < n; r++)
        if (sees[r]) tr.set_sum(a, t0 + r, m[r], sums[r]);
      // outputs scaled by the rows' inverse sums and the columns' units, block by block
      struct Outputs {
        const float *o, *vu, *inv;
        float* const* orow;
        int64_t Dv, n;
      } od{oc, vu, &tr.inv[size_t(t0)], &tr.orow[size_t(t0)], a.Dv, n};
      amx_block_products(pa, vh_parts, vstride, a.Dv / 32, blocks, oc, a.Dv, false, [](void* ctx, int64_t i) {
        const Outputs& d = *static_cast<const Outputs*>(ctx);
        for (int64_t r = 0; r < d.n; r++)
          for (int64_t c = kAmxBlock * i; c < kAmxBlock * (i + 1); c += 16)
            *reinterpret_cast<Lanes16*>(d.orow[r] + c) = lanes16_at(d.o + r * d.Dv + c) * lanes16_at(d.vu + c) * d.inv[r];
      }, &od);
    }
  });
  return true;
}

// c = alpha op(a) op(b), each operand read transposed or not (row-major, m x n
// from m x k and k x n): the products of attention's vjp.
void gemm_ab(bool at, bool bt, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc) {
  if (!m || !n) return;
#ifdef MLXC_HAVE_CBLAS
  if (k) {
    cblas_sgemm(CblasRowMajor, at ? CblasTrans : CblasNoTrans, bt ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), 0.0f, c, int(ldc));
    return;
  }
#endif
  for (int64_t i = 0; i < m; i++) {
    float* cr = c + i * ldc;
    std::fill(cr, cr + n, 0.0f);
    for (int64_t p = 0; p < k; p++) {
      const float av = alpha * (at ? a[p * lda + i] : a[i * lda + p]);
      if (bt)
        for (int64_t j = 0; j < n; j++) cr[j] += av * b[j * ldb + p];
      else
        for (int64_t j = 0; j < n; j++) cr[j] += av * b[p * ldb + j];
    }
  }
}

// The cotangents of attention's queries, keys and values, per (batch, kv
// head) with its query heads stacked as the forward stacks them, all in
// cache: the probabilities P again (masked scores to -inf, P = exp(s - lse),
// NaN where a row's every score is -inf, as the composed rule gives), then
// dV = P^T dO, dP = dO V^T, dS = P (dP - rowsum(dP P)), dQ = scale dS K and
// dK = scale dS^T Q. Sinks are left to the composed rule.
void attention_vjp(const Attention& a, const float* go, float* dq, float* dk, float* dv) {
  const int64_t R = a.G * a.Lq, L = a.Lk;
  const SoftmaxRow sm;
  parallel_for(a.B * a.Hk, 1, [&](int64_t tb, int64_t te) {
    std::vector<float> p(size_t(R * L)), dp(size_t(R * L));
    for (int64_t task = tb; task < te; task++) {
      const int64_t b = task / a.Hk, kh = task % a.Hk;
      const float *qb = a.q_rows(b, kh), *kb = a.keys(b, kh), *vb = a.values(b, kh);
      const float* gb = go + (b * a.H + kh * a.G) * a.Lq * a.Dv;
      float* dqb = dq + (b * a.H + kh * a.G) * a.Lq * a.D;
      float* dkb = dk + (b * a.Hk + kh) * L * a.D;
      float* dvb = dv + (b * a.Hk + kh) * L * a.Dv;
      if (!R || !L) {
        std::fill(dqb, dqb + R * a.D, 0.0f);
        std::fill(dkb, dkb + L * a.D, 0.0f);
        std::fill(dvb, dvb + L * a.Dv, 0.0f);
        continue;
      }
      gemm_ab(false, true, R, L, a.D, a.scale, qb, a.D, kb, a.D, p.data(), L);
      for (int64_t r = 0; r < R; r++) {
        float* pr = p.data() + r * L;
        const int64_t vis = a.visible(r);
        a.apply_mask(pr, b, kh, r, 0, L);
        std::fill(pr + vis, pr + L, kNegInf);
        const float m = sm.max(pr, L, kNegInf);
        if (m == kNegInf) {
          std::fill(pr, pr + L, NAN);
          continue;
        }
        const float inv = 1.0f / sm.exp_sum(pr, m, L, L);
        for (int64_t j = 0; j < L; j++) pr[j] *= inv;
      }
      gemm_ab(true, false, L, a.Dv, R, 1.0f, p.data(), L, gb, a.Dv, dvb, a.Dv);
      gemm_ab(false, true, R, L, a.Dv, 1.0f, gb, a.Dv, vb, a.Dv, dp.data(), L);
      for (int64_t r = 0; r < R; r++) {
        const float* pr = p.data() + r * L;
        float* dr = dp.data() + r * L;
        const float dot = lane_dot<float>(dr, pr, L);
        for (int64_t j = 0; j < L; j++) dr[j] = pr[j] * (dr[j] - dot);
      }
      gemm_ab(false, false, R, a.D, L, a.scale, dp.data(), L, kb, a.D, dqb, a.D);
      gemm_ab(true, false, L, a.D, R, a.scale, dp.data(), L, qb, a.D, dkb, a.D);
    }
  });
}

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
    const bool hs = c.attrs.b("has_sinks");
    // Work in float32 (float64 values too: one set of kernels serves all).
    Array q = astype(c.in[0], DType::Float32), k = astype(c.in[1], DType::Float32), v = astype(c.in[2], DType::Float32);
    Array mask = mode == "array" ? (c.in[3].dtype == DType::Bool ? c.in[3] : astype(c.in[3], DType::Float32)) : Array();
    Array sinks = hs ? astype(c.in.back(), DType::Float32) : Array();
    Attention a{q.data<float>(), k.data<float>(), v.data<float>(), hs ? sinks.data<float>() : nullptr,
                mode == "array" ? &mask : nullptr, mode == "array" ? mask_strides(mask.shape) : std::array<int64_t, 4>{},
                mode == "causal", q.shape[0], q.shape[1], q.shape[2], q.shape[3], k.shape[1], k.shape[2], v.shape[3],
                q.shape[1] / k.shape[1], float(c.attrs.f("scale"))};
    Array out(DType::Float32, {a.B, a.H, a.Lq, a.Dv});
    // no keys: a product with nothing, zeros (as MLX's p v of shape (Lq, 0) (0, Dv))
    if (a.Lk == 0) std::fill(out.data<float>(), out.data<float>() + out.size(), 0.0f);
    // up to 16 rows per kv head, too few for tiles of rows: split the keys
    else if (a.G * a.Lq <= 16) attend_split(a, out.data<float>());
    // float32 head sizes that are multiples of 32 and enough rows per kv head: AMX where the CPU has it
    else if (!(c.in[0].dtype == DType::Float32 && c.in[1].dtype == DType::Float32 && c.in[2].dtype == DType::Float32 && a.D % 32 == 0 && a.Dv % 32 == 0 &&
               a.G * a.Lq >= kAmxMinAttentionRows && amx_available() && attend_blocks_amx(a, out.data<float>())))
      attend_blocks(a, out.data<float>());
    return Arrs{astype(out, t)};
  };
  register_op(std::move(d));
}

// The cotangents of scaled_dot_product_attention's queries, keys and values
// from them, its mask and its output's cotangent, in one op (its vjp without
// sinks): what the composed rule computes in about twenty ops over the
// scores, per head in cache.
void register_sdpa_vjp() {
  OpDef d = make_op("scaled_dot_product_attention_vjp", "fast", "each input's dtype; floating types only", 4, 5,
                    {{"scale", AttrType::Float, nullptr, true}, {"mask_mode", AttrType::Enum, "none", false, false, {"none", "causal", "array"}}});
  d.doc = "The cotangents of scaled_dot_product_attention's queries, keys and values (without sinks) from q, k, v, the mask when mask_mode is array, and the output's cotangent";
  d.infer = [](const InferCtx& c) {
    const bool am = c.attrs.str("mask_mode") == "array";
    if (c.in.size() != 4 + size_t(am)) throw RequestError("invalid_arity", c.path + "/inputs", "scaled_dot_product_attention_vjp takes q, k, v, the mask when mask_mode is array, and the cotangent");
    const std::vector<TypeShape> fwd(c.in.begin(), c.in.end() - 1);
    const Attrs& at = c.attrs;
    Attrs fa{json{{"scale", at.values.at("scale")}, {"mask_mode", at.values.at("mask_mode")}, {"has_sinks", false}}, at.path};
    const TypeShape o = find_op("scaled_dot_product_attention")->infer(InferCtx{fwd, fa, c.path})[0];
    const TypeShape& g = c.in.back();
    if (g.shape != o.shape) throw RequestError("invalid_shape", c.path + "/inputs/" + std::to_string(c.in.size() - 1), "the cotangent " + shape_str(g.shape) + " is not the output's shape " + shape_str(o.shape));
    if (!is_floating(g.dtype) || g.dtype == DType::Complex64) refuse_dtype("scaled_dot_product_attention_vjp", g.dtype, c.path + "/inputs/" + std::to_string(c.in.size() - 1));
    return Outs{c.in[0], c.in[1], c.in[2]};
  };
  d.eval = [](const EvalCtx& c) {
    const std::string mode = c.attrs.str("mask_mode");
    Array q = astype(c.in[0], DType::Float32), k = astype(c.in[1], DType::Float32), v = astype(c.in[2], DType::Float32);
    Array g = astype(c.in.back(), DType::Float32);
    Array mask = mode == "array" ? (c.in[3].dtype == DType::Bool ? c.in[3] : astype(c.in[3], DType::Float32)) : Array();
    Attention a{q.data<float>(), k.data<float>(), v.data<float>(), nullptr,
                mode == "array" ? &mask : nullptr, mode == "array" ? mask_strides(mask.shape) : std::array<int64_t, 4>{},
                mode == "causal", q.shape[0], q.shape[1], q.shape[2], q.shape[3], k.shape[1], k.shape[2], v.shape[3],
                q.shape[1] / k.shape[1], float(c.attrs.f("scale"))};
    Array dq(DType::Float32, q.shape), dk(DType::Float32, k.shape), dv(DType::Float32, v.shape);
    attention_vjp(a, g.data<float>(), dq.data<float>(), dk.data<float>(), dv.data<float>());
    return Arrs{astype(dq, c.out[0].dtype), astype(dk, c.out[1].dtype), astype(dv, c.out[2].dtype)};
  };
  register_op(std::move(d));
}

}  // namespace

void register_fast_ops() {
  register_norm("rms_norm", false);
  register_norm("layer_norm", true);
  register_layer_norm_vjp();
  register_rope();
  register_sdpa();
  register_sdpa_vjp();
}

}  // namespace mlxc
