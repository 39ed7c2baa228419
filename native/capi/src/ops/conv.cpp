// conv_general: MLX's convolution in its layouts, input (N, spatial..., C) and
// weight (O, spatial..., C / groups), over 1 to 3 spatial axes, with stride,
// padding (a low and a high amount per axis; negative amounts crop), kernel
// dilation, input dilation, groups and flip. conv1d/2d/3d, the transposed
// convolutions and both gradients are this op with other attributes, as in
// MLX. Each block of output rows gathers its input patches (im2col) into a
// scratch matrix small enough to stay in cache and multiplies it by the
// group's weights with BLAS; groups too thin for a product (depthwise) run a
// direct loop instead. Half types run in float32.
#include <algorithm>
#include <cstring>
#include <string>

#include "../checked.h"
#include "../op.h"
#include "../parallel.h"
#include "gemm.h"

namespace mlxc {

namespace {

constexpr int kMaxSpatial = 3;

// Sizes of one convolution; the spatial axes are padded to three with size 1.
struct Geometry {
  int nsp = 0;
  int64_t n = 0, c = 0, o = 0, groups = 1, ig = 0, og = 0;
  int64_t in[kMaxSpatial] = {1, 1, 1}, k[kMaxSpatial] = {1, 1, 1}, out[kMaxSpatial] = {1, 1, 1};
  int64_t stride[kMaxSpatial] = {1, 1, 1}, lo[kMaxSpatial] = {}, kd[kMaxSpatial] = {1, 1, 1}, id[kMaxSpatial] = {1, 1, 1};
  bool flip = false;
  // Checked once in geometry(): output rows (N times positions), taps, the
  // width of a patch (taps times C / groups), the weight's size, and the
  // largest per-axis (position, tap) table.
  int64_t rows = 0, ntaps = 1, width = 0, wsize = 0, table = 0;
  int64_t positions() const { return out[0] * out[1] * out[2]; }
  int64_t taps() const { return ntaps; }
};

std::vector<int64_t> per_axis(const Attrs& a, const char* key, int nsp, int64_t min) {
  std::vector<int64_t> v = a.ints(key);
  if (v.size() != size_t(nsp))
    throw RequestError("invalid_attr", a.at(key), std::string(key) + " has " + std::to_string(v.size()) + " values for " + std::to_string(nsp) + " spatial axes");
  for (int64_t x : v)
    if (x < min) throw RequestError("invalid_attr", a.at(key), std::string(key) + " must be at least " + std::to_string(min) + ", got " + std::to_string(x));
  return v;
}

Geometry geometry(const Shape& xs, const Shape& ws, const Attrs& a, const std::string& path) {
  const std::string in0 = path + "/inputs/0", in1 = path + "/inputs/1";
  if (xs.size() < 3 || xs.size() > 2 + kMaxSpatial)
    throw RequestError("invalid_shape", in0, "conv_general takes an input of shape (N, spatial..., C) with 1 to 3 spatial axes, got " + shape_str(xs));
  if (ws.size() != xs.size())
    throw RequestError("invalid_shape", in1, "the weight " + shape_str(ws) + " must have the input's rank " + std::to_string(xs.size()) + ": (O, spatial..., C / groups)");
  Geometry g;
  g.nsp = int(xs.size()) - 2;
  g.n = xs[0];
  g.c = xs.back();
  g.o = ws[0];
  g.ig = ws.back();
  g.groups = a.i("groups");
  g.flip = a.b("flip");
  if (g.groups < 1) throw RequestError("invalid_attr", a.at("groups"), "groups must be at least 1, got " + std::to_string(g.groups));
  if (g.c % g.groups)
    throw RequestError("invalid_shape", in0, "the input's " + std::to_string(g.c) + " channels are not divisible by groups " + std::to_string(g.groups));
  if (checked_mul(g.ig, g.groups, in1) != g.c)
    throw RequestError("invalid_shape", in1, "the weight's " + std::to_string(g.ig) + " input channels times groups " + std::to_string(g.groups) + " must equal the input's " + std::to_string(g.c) + " channels");
  if (g.o % g.groups)
    throw RequestError("invalid_shape", in1, "the weight's " + std::to_string(g.o) + " output channels are not divisible by groups " + std::to_string(g.groups));
  g.og = g.o / g.groups;
  const auto st = per_axis(a, "stride", g.nsp, 1), kd = per_axis(a, "kernel_dilation", g.nsp, 1), id = per_axis(a, "input_dilation", g.nsp, 1);
  const auto lo = per_axis(a, "padding_lo", g.nsp, INT64_MIN), hi = per_axis(a, "padding_hi", g.nsp, INT64_MIN);
  for (int i = 0; i < g.nsp; i++) {
    const std::string where = path + "/attrs";
    g.in[i] = xs[1 + i];
    g.k[i] = ws[1 + i];
    g.stride[i] = st[i];
    g.kd[i] = kd[i];
    g.id[i] = id[i];
    g.lo[i] = lo[i];
    if (g.k[i] < 1) throw RequestError("invalid_shape", in1, "the weight " + shape_str(ws) + " has an empty spatial axis");
    // lengths after input dilation, after padding, and of the dilated kernel
    const int64_t dilated = g.in[i] ? checked_add(checked_mul(g.in[i] - 1, id[i], where), 1, where) : 0;
    const int64_t padded = checked_add(checked_add(dilated, lo[i], where), hi[i], where);
    const int64_t span = checked_add(checked_mul(g.k[i] - 1, kd[i], where), 1, where);
    if (padded < span)
      throw RequestError("invalid_shape", in0, "spatial axis " + std::to_string(i) + " of the input is " + std::to_string(padded) + " long after dilation and padding, shorter than the dilated kernel's " + std::to_string(span));
    g.out[i] = (padded - span) / st[i] + 1;
  }
  const std::string where = path + "/inputs";
  g.rows = checked_mul(checked_mul(checked_mul(g.n, g.out[0], where), g.out[1], where), g.out[2], where);
  g.ntaps = checked_mul(checked_mul(g.k[0], g.k[1], where), g.k[2], where);
  g.width = checked_mul(g.ntaps, g.ig, where);
  g.wsize = checked_mul(g.width, g.o, where);
  for (int a = 0; a < kMaxSpatial; a++) g.table = std::max(g.table, checked_mul(g.out[a], g.k[a], where));
  checked_bytes(g.table, sizeof(int64_t), where);
  checked_bytes(g.width, sizeof(double), where);  // a patch row
  return g;
}

// For each spatial axis, the input index each (output position, tap) reads,
// or -1 where it falls in padding or between dilated inputs.
struct Taps {
  std::vector<int64_t> axis[kMaxSpatial];
  explicit Taps(const Geometry& g) {
    for (int a = 0; a < kMaxSpatial; a++) {
      axis[a].resize(size_t(g.out[a] * g.k[a]));
      for (int64_t o = 0; o < g.out[a]; o++)
        for (int64_t t = 0; t < g.k[a]; t++) {
          const int64_t tap = g.flip ? g.k[a] - 1 - t : t;
          const int64_t p = o * g.stride[a] + tap * g.kd[a] - g.lo[a];
          const bool hit = p >= 0 && p % g.id[a] == 0 && p / g.id[a] < g.in[a];
          axis[a][size_t(o * g.k[a] + t)] = hit ? p / g.id[a] : -1;
        }
    }
  }
};

// Calls f(tap, input offset of channel 0 or -1) for every tap of output row r.
template <class F>
void for_taps(const Geometry& g, const Taps& tp, int64_t r, F&& f) {
  const int64_t P = g.positions(), q = r % P, n = r / P;
  const int64_t o0 = q / (g.out[1] * g.out[2]), o1 = (q / g.out[2]) % g.out[1], o2 = q % g.out[2];
  const int64_t* t0s = tp.axis[0].data() + o0 * g.k[0];
  const int64_t* t1s = tp.axis[1].data() + o1 * g.k[1];
  const int64_t* t2s = tp.axis[2].data() + o2 * g.k[2];
  int64_t t = 0;
  for (int64_t a = 0; a < g.k[0]; a++)
    for (int64_t b = 0; b < g.k[1]; b++)
      for (int64_t c = 0; c < g.k[2]; c++, t++) {
        const int64_t i0 = t0s[a], i1 = t1s[b], i2 = t2s[c];
        f(t, i0 < 0 || i1 < 0 || i2 < 0 ? -1 : (((n * g.in[0] + i0) * g.in[1] + i1) * g.in[2] + i2) * g.c);
      }
}

// Patches of rows [r0, r1) for group gi into `cols`, a row per output row.
template <class T>
void im2col(const Geometry& g, const Taps& tp, const T* x, int64_t r0, int64_t r1, int64_t gi, T* cols) {
  const int64_t width = g.width;
  for (int64_t r = r0; r < r1; r++) {
    T* row = cols + (r - r0) * width;
    for_taps(g, tp, r, [&](int64_t t, int64_t off) {
      T* dst = row + t * g.ig;
      if (off < 0) std::fill(dst, dst + g.ig, T(0));
      else std::memcpy(dst, x + off + gi * g.ig, size_t(g.ig) * sizeof(T));
    });
  }
}

// Output rows [r0, r1) by im2col and one product per group.
template <class T>
void conv_rows_gemm(const Geometry& g, const Taps& tp, const T* x, const T* w, T* y, int64_t r0, int64_t r1, std::vector<T>& cols) {
  const int64_t width = g.width;
  cols.resize(size_t((r1 - r0) * width));
  for (int64_t gi = 0; gi < g.groups; gi++) {
    im2col(g, tp, x, r0, r1, gi, cols.data());
    const Gemm gm{false, true, r1 - r0, g.og, width, width, width, g.o};
    gemm_block(gm, cols.data(), w + gi * g.og * width, y + r0 * g.o + gi * g.og);
  }
}

// Output rows [r0, r1) by a direct loop, for thin groups; `wt` holds the
// weight as (taps, O, C / groups) so that a tap's weights are contiguous.
template <class T>
void conv_rows_direct(const Geometry& g, const Taps& tp, const T* x, const T* wt, T* y, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    T* acc = y + r * g.o;
    std::fill(acc, acc + g.o, T(0));
    for_taps(g, tp, r, [&](int64_t t, int64_t off) {
      if (off < 0) return;
      const T* xp = x + off;
      const T* wp = wt + t * g.o * g.ig;
      for (int64_t gi = 0; gi < g.groups; gi++)
        for (int64_t oc = gi * g.og; oc < (gi + 1) * g.og; oc++) {
          T s = 0;
          for (int64_t ic = 0; ic < g.ig; ic++) s += xp[gi * g.ig + ic] * wp[oc * g.ig + ic];
          acc[oc] += s;
        }
    });
  }
}

// A product per block pays off once a group has a few output and input
// channels; below that (depthwise) a direct loop is faster.
bool thin(const Geometry& g) { return g.og * g.ig < 16; }

// Blocks of output rows: at least 128 rows (BLAS packs its other operand
// once per call) and about 1 MB of patches, a whole number per thread.
int64_t rows_per_block(const Geometry& g, int64_t rows, size_t item) {
  const int64_t row_bytes = g.width * int64_t(item);
  const int64_t target = std::max<int64_t>(128, (int64_t(1) << 20) / row_bytes);
  int64_t blocks = (rows + target - 1) / target;
  const int64_t threads = num_threads();
  if (rows >= threads * 16) blocks = (blocks + threads - 1) / threads * threads;
  return (rows + blocks - 1) / blocks;
}

template <class T>
void conv(const Geometry& g, const T* x, const T* w, T* y) {
  const int64_t rows = g.rows, width = g.width;
  if (rows == 0 || g.o == 0) return;
  if (width == 0) {
    std::fill(y, y + rows * g.o, T(0));
    return;
  }
  const Taps tp(g);
  if (thin(g)) {
    std::vector<T> wt(size_t(g.wsize));
    for (int64_t oc = 0; oc < g.o; oc++)
      for (int64_t t = 0; t < g.taps(); t++)
        std::copy(w + (oc * g.taps() + t) * g.ig, w + (oc * g.taps() + t + 1) * g.ig, wt.data() + (t * g.o + oc) * g.ig);
    parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, width * g.o)), [&](int64_t b, int64_t e) { conv_rows_direct(g, tp, x, wt.data(), y, b, e); });
    return;
  }
  const int64_t per = rows_per_block(g, rows, sizeof(T)), blocks = (rows + per - 1) / per;
  parallel_for(blocks, 1, [&](int64_t b, int64_t e) {
    std::vector<T> cols;
    for (int64_t k = b; k < e; k++) conv_rows_gemm(g, tp, x, w, y, k * per, std::min(rows, (k + 1) * per), cols);
  });
}

// The weight's cotangent, dw[oc, tap, ic] = sum over output rows r of
// dy[r, oc] patch[r, tap, ic]: the forward's patches times the cotangent,
// transposed, summed over blocks of rows. Each part of the rows sums into a
// copy of its own; the copies are added at the end.
template <class T>
void conv_weight_grad(const Geometry& g, const T* x, const T* dy, T* dw) {
  const int64_t rows = g.rows, width = g.width, size = g.wsize;
  std::fill(dw, dw + size, T(0));
  if (rows == 0 || size == 0) return;
  const Taps tp(g);
  const int64_t per = thin(g) ? std::max<int64_t>(64, rows / (4 * num_threads())) : rows_per_block(g, rows, sizeof(T));
  const int64_t blocks = (rows + per - 1) / per, parts = std::min<int64_t>(blocks, num_threads());
  std::vector<T> partial(size_t(parts * size), T(0));
  parallel_for(parts, 1, [&](int64_t pb, int64_t pe) {
    std::vector<T> cols;
    for (int64_t p = pb; p < pe; p++) {
      T* acc = partial.data() + p * size;
      for (int64_t k = blocks * p / parts; k < blocks * (p + 1) / parts; k++) {
        const int64_t r0 = k * per, r1 = std::min(rows, r0 + per);
        if (thin(g)) {
          for (int64_t r = r0; r < r1; r++)
            for_taps(g, tp, r, [&](int64_t t, int64_t off) {
              if (off < 0) return;
              for (int64_t oc = 0; oc < g.o; oc++) {
                const T d = dy[r * g.o + oc], *xp = x + off + (oc / g.og) * g.ig;
                T* out = acc + oc * width + t * g.ig;
                for (int64_t ic = 0; ic < g.ig; ic++) out[ic] += d * xp[ic];
              }
            });
          continue;
        }
        cols.resize(size_t((r1 - r0) * width));
        for (int64_t gi = 0; gi < g.groups; gi++) {
          im2col(g, tp, x, r0, r1, gi, cols.data());
          const Gemm gm{true, false, g.og, width, r1 - r0, g.o, width, width, true};
          gemm_block(gm, dy + r0 * g.o + gi * g.og, cols.data(), acc + gi * g.og * width);
        }
      }
    }
  });
  for (int64_t p = 0; p < parts; p++)
    for (int64_t i = 0; i < size; i++) dw[i] += partial[size_t(p * size + i)];
}

}  // namespace

void register_conv_ops() {
  const std::vector<AttrSpec> attrs{{"stride", AttrType::IntList, nullptr, true},
                                    {"padding_lo", AttrType::IntList, nullptr, true},
                                    {"padding_hi", AttrType::IntList, nullptr, true},
                                    {"kernel_dilation", AttrType::IntList, nullptr, true},
                                    {"input_dilation", AttrType::IntList, nullptr, true},
                                    {"groups", AttrType::Int, 1},
                                    {"flip", AttrType::Bool, false}};
  const char* rule = "promote; real floating types only (half types accumulate in float32)";
  OpDef d = make_op("conv_general", "conv", rule, 2, 2, attrs);
  d.doc = "Convolution of input (N, spatial..., C) with weight (O, spatial..., C / groups) over 1-3 spatial axes; output (N, spatial..., O)";
  d.infer = [](const InferCtx& c) {
    const DType t = promote(c.in[0].dtype, c.in[1].dtype);
    if (!is_floating(t) || t == DType::Complex64) refuse_dtype("conv_general", t, c.path);
    const Geometry g = geometry(c.in[0].shape, c.in[1].shape, c.attrs, c.path);
    Shape out{g.n};
    for (int i = 0; i < g.nsp; i++) out.push_back(g.out[i]);
    out.push_back(g.o);
    checked_size(out, c.path);
    return std::vector<TypeShape>{{t, out}};
  };
  d.eval = [](const EvalCtx& c) {
    const DType out_t = c.out[0].dtype, run_t = out_t == DType::Float64 ? DType::Float64 : DType::Float32;
    const Geometry g = geometry(c.in[0].shape, c.in[1].shape, c.attrs, c.path);
    const Array x = astype(c.in[0], run_t), w = astype(c.in[1], run_t);
    Array y(run_t, c.out[0].shape);
    dispatch(run_t, [&](auto t) {
      using T = decltype(t);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) conv(g, x.data<T>(), w.data<T>(), y.data<T>());
    });
    return std::vector<Array>{astype(y, out_t)};
  };
  register_op(std::move(d));

  // The weight's cotangent of conv_general (its vjp's), from the input and
  // the output's cotangent, without the copies a convolution of transposed
  // operands would need; kernel_shape gives the weight's spatial sizes.
  std::vector<AttrSpec> wattrs = attrs;
  wattrs.push_back({"kernel_shape", AttrType::IntList, nullptr, true});
  OpDef w = make_op("conv_weight_grad", "conv", rule, 2, 2, wattrs);
  w.doc = "The cotangent of conv_general's weight (O, spatial..., C / groups) from its input (N, spatial..., C) and output cotangent (N, spatial..., O)";
  // The weight's shape as the forward had it, and the forward's geometry.
  const auto forward = [](const Shape& xs, const Shape& dys, const Attrs& a, const std::string& path) {
    const std::vector<int64_t> ks = a.ints("kernel_shape");
    if (xs.size() < 3 || ks.size() + 2 != xs.size() || dys.size() != xs.size())
      throw RequestError("invalid_shape", path + "/inputs", "conv_weight_grad needs an input and a cotangent of rank kernel_shape's + 2, got " + shape_str(xs) + " and " + shape_str(dys));
    const int64_t groups = a.i("groups");
    if (groups < 1 || xs.back() % groups) throw RequestError("invalid_attr", a.at("groups"), "groups must divide the input's channels");
    Shape ws{dys.back()};
    ws.insert(ws.end(), ks.begin(), ks.end());
    ws.push_back(xs.back() / groups);
    const Geometry g = geometry(xs, ws, a, path);
    Shape want{g.n};
    for (int i = 0; i < g.nsp; i++) want.push_back(g.out[i]);
    want.push_back(g.o);
    if (dys != want) throw RequestError("invalid_shape", path + "/inputs/1", "the cotangent " + shape_str(dys) + " is not the forward's output shape " + shape_str(want));
    return std::make_pair(ws, g);
  };
  w.infer = [forward](const InferCtx& c) {
    const DType t = promote(c.in[0].dtype, c.in[1].dtype);
    if (!is_floating(t) || t == DType::Complex64) refuse_dtype("conv_weight_grad", t, c.path);
    return std::vector<TypeShape>{{t, forward(c.in[0].shape, c.in[1].shape, c.attrs, c.path).first}};
  };
  w.eval = [forward](const EvalCtx& c) {
    const DType out_t = c.out[0].dtype, run_t = out_t == DType::Float64 ? DType::Float64 : DType::Float32;
    const Geometry g = forward(c.in[0].shape, c.in[1].shape, c.attrs, c.path).second;
    checked_bytes(g.wsize, 8 * size_t(num_threads()), c.path);  // a partial sum per thread
    const Array x = astype(c.in[0], run_t), dy = astype(c.in[1], run_t);
    Array dw(run_t, c.out[0].shape);
    dispatch(run_t, [&](auto t) {
      using T = decltype(t);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) conv_weight_grad(g, x.data<T>(), dy.data<T>(), dw.data<T>());
    });
    return std::vector<Array>{astype(dw, out_t)};
  };
  register_op(std::move(w));
}

}  // namespace mlxc
