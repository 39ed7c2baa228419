// Reductions over any axes with keepdims, arg-reductions and softmax.
#include <cmath>
#include <limits>

#include "../parallel.h"
#include "lines.h"
#include "vecmath.h"

namespace mlxc {

namespace {

using Outs = std::vector<TypeShape>;
using Arrs = std::vector<Array>;

// Combinable reductions: associative ops that can be split and merged.
struct SumOp {
  template <class U> U operator()(U a, U b) const { return a + b; }
};
struct ProdOp {
  template <class U> U operator()(U a, U b) const {
    if constexpr (std::is_same_v<U, bool>) return a && b; else return a * b;
  }
};
struct MaxOp {
  template <class U> U operator()(U a, U b) const {
    if constexpr (std::is_floating_point_v<U>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<U>::quiet_NaN();
    }
    return a > b ? a : b;
  }
};
struct MinOp {
  template <class U> U operator()(U a, U b) const {
    if constexpr (std::is_floating_point_v<U>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<U>::quiet_NaN();
    }
    return a < b ? a : b;
  }
};

// Independent lanes let the compiler vectorize without reassociating; 32
// lanes are four AVX registers, enough to hide the latency of each add.
template <class T, class U, class Op>
U reduce_contiguous(const T* x, int64_t n, Op op, U init) {
  constexpr int kLanes = 32;
  U lane[kLanes];
  for (int k = 0; k < kLanes; k++) lane[k] = init;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; k++) lane[k] = op(lane[k], U(x[i + k]));
  for (; i < n; i++) lane[0] = op(lane[0], U(x[i]));
  U r = init;
  for (int k = 0; k < kLanes; k++) r = op(r, lane[k]);
  return r;
}

// Reduces every line of `l` into `out` (outer*inner values of type U).
template <class T, class U, class Op>
void reduce_lines(const Lines& l, U* out, Op op, U init) {
  const T* x = l.a.data<T>();
  if (l.inner == 1 && l.outer < num_threads()) {
    // Few long lines: split each line in chunks, merge the partial results.
    constexpr int64_t kChunk = 1 << 14;
    for (int64_t o = 0; o < l.outer; o++) {
      const T* line = x + o * l.r;
      const int64_t chunks = (l.r + kChunk - 1) / kChunk;
      std::vector<U> part(size_t(std::max<int64_t>(chunks, 1)), init);
      parallel_for(chunks, 4, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; c++)
          part[size_t(c)] = reduce_contiguous<T, U>(line + c * kChunk, std::min(kChunk, l.r - c * kChunk), op, init);
      });
      U r = init;
      for (U p : part) r = op(r, p);
      out[o] = r;
    }
  } else if (l.inner == 1) {
    parallel_for(l.outer, std::max<int64_t>(1, 16384 / std::max<int64_t>(l.r, 1)), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; o++) out[o] = reduce_contiguous<T, U>(x + o * l.r, l.r, op, init);
    });
  } else {
    // Rows accumulate into a block of outputs: contiguous, vectorizable.
    constexpr int64_t kBlock = 1024;
    const int64_t blocks = (l.inner + kBlock - 1) / kBlock;
    parallel_for(l.outer * blocks, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; t++) {
        const int64_t o = t / blocks, j0 = (t % blocks) * kBlock, len = std::min(kBlock, l.inner - j0);
        U* acc = out + o * l.inner + j0;
        for (int64_t j = 0; j < len; j++) acc[j] = init;
        for (int64_t r = 0; r < l.r; r++) {
          const T* row = x + (o * l.r + r) * l.inner + j0;
          for (int64_t j = 0; j < len; j++) acc[j] = op(acc[j], U(row[j]));
        }
      }
    });
  }
}

std::vector<AttrSpec> reduce_attrs() { return {{"axes", AttrType::Axes, nullptr}, {"keepdims", AttrType::Bool, false}}; }

enum class Kind { Sum, Prod, Max, Min, All, Any, Mean };

DType reduce_dtype(Kind k, DType d) {
  switch (k) {
    // as MLX: bools and integers narrower than 32 bits widen to 32 bits (unsigned stay unsigned)
    case Kind::Sum:
    case Kind::Prod:
      switch (d) {
        case DType::Bool:
        case DType::Int8:
        case DType::Int16: return DType::Int32;
        case DType::UInt8:
        case DType::UInt16: return DType::UInt32;
        default: return d;
      }
    case Kind::All:
    case Kind::Any: return DType::Bool;
    case Kind::Mean: return to_inexact(d);
    default: return d;
  }
}

// The input converted to the dtype the reduction runs in.
DType compute_dtype(Kind k, DType in) { return k == Kind::All || k == Kind::Any ? DType::Bool : reduce_dtype(k, in); }

Array combinable(Kind k, const Array& in, const std::vector<int>& axes, const TypeShape& out_ts) {
  Lines l = make_lines(astype(in, compute_dtype(k, in.dtype)), axes);
  Array out(out_ts.dtype, out_ts.shape);
  dispatch(l.a.dtype, [&](auto t) {
    using T = decltype(t);
    using U = std::conditional_t<std::is_same_v<T, bool>, bool, acc_t<T>>;
    U* o = out.data<U>();
    std::vector<U> wide;
    if constexpr (!std::is_same_v<U, T>) {  // half types accumulate in float
      wide.resize(size_t(out.size()));
      o = wide.data();
    }
    switch (k) {
      case Kind::Sum:
      case Kind::Mean: reduce_lines<T, U>(l, o, SumOp{}, U(0)); break;
      case Kind::Prod: reduce_lines<T, U>(l, o, ProdOp{}, U(1)); break;
      default:
        // max, min, all and any (inputs made bool) are ordered: never complex (refused at inference).
        if constexpr (!is_complex_v<T>) {
          if (k == Kind::All) reduce_lines<T, U>(l, o, MinOp{}, U(1));
          else if (k == Kind::Any) reduce_lines<T, U>(l, o, MaxOp{}, U(0));
          else if (k == Kind::Max) reduce_lines<T, U>(l, o, MaxOp{}, lowest<U>());
          else reduce_lines<T, U>(l, o, MinOp{}, highest<U>());
        }
    }
    if (k == Kind::Mean) {
      const U n = U(float(l.r));
      for (int64_t i = 0; i < out.size(); i++) o[i] = o[i] / n;
    }
    if constexpr (!std::is_same_v<U, T>) {
      T* dst = out.data<T>();
      for (int64_t i = 0; i < out.size(); i++) dst[i] = T(wide[size_t(i)]);
    }
  });
  return out;
}

// Over no axes (a 0-d array, or axes []) MLX's sum and prod return the input as it is, dtype included.
bool returns_input(Kind k, const std::vector<int>& axes) { return axes.empty() && (k == Kind::Sum || k == Kind::Prod); }

void register_reduce(const char* name, Kind k, const char* rule) {
  OpDef d = make_op(name, "reduction", rule, 1, 1, reduce_attrs());
  d.infer = [k](const InferCtx& c) {
    auto axes = norm_axes(c.attrs, "axes", int(c.in[0].shape.size()));
    if ((k == Kind::Max || k == Kind::Min) && c.in[0].dtype == DType::Complex64) refuse_dtype(k == Kind::Max ? "max" : "min", DType::Complex64, c.path);
    if ((k == Kind::Max || k == Kind::Min) && shape_size(c.in[0].shape) == 0)
      throw RequestError("invalid_shape", c.path + "/inputs/0", "cannot take the max or min of an empty array");
    const DType out = returns_input(k, axes) ? c.in[0].dtype : reduce_dtype(k, c.in[0].dtype);
    return Outs{{out, reduced_shape(c.in[0].shape, axes, c.attrs.b("keepdims"))}};
  };
  d.eval = [k](const EvalCtx& c) {
    const auto axes = norm_axes(c.attrs, "axes", c.in[0].ndim());
    if (returns_input(k, axes)) return Arrs{c.in[0]};
    return Arrs{combinable(k, c.in[0], axes, c.out[0])};
  };
  register_op(std::move(d));
}

// Per-line reductions that need more than one pass: var, std, logsumexp.
template <class F>
Array per_line(const Array& in, const std::vector<int>& axes, const TypeShape& out_ts, F f) {
  Array a = astype(in, out_ts.dtype);
  Lines l = make_lines(a, axes);
  Array out(out_ts.dtype, out_ts.shape);
  dispatch(out_ts.dtype, [&](auto t) {
    using T = decltype(t);
    if constexpr (is_float_v<T>) {
      const T* x = l.a.data<T>();
      T* o = out.data<T>();
      for_each_line(l, [&](int64_t line, int64_t base) {
        auto at = [&](int64_t r) { return double(acc_t<T>(x[base + r * l.inner])); };
        o[line] = T(acc_t<T>(f(at, l.r)));
      });
    }
  });
  return out;
}

void register_moment(const char* name, bool root) {
  auto attrs = reduce_attrs();
  attrs.push_back({"ddof", AttrType::Int, 0});
  OpDef d = make_op(name, "reduction", "inexact", 1, 1, attrs);
  d.infer = [name](const InferCtx& c) {
    if (!is_integral(c.in[0].dtype) && !is_floating(c.in[0].dtype) && c.in[0].dtype != DType::Bool) refuse_dtype(name, c.in[0].dtype, c.path);
    auto axes = norm_axes(c.attrs, "axes", int(c.in[0].shape.size()));
    return Outs{{to_inexact(c.in[0].dtype), reduced_shape(c.in[0].shape, axes, c.attrs.b("keepdims"))}};
  };
  d.eval = [root](const EvalCtx& c) {
    const double ddof = double(c.attrs.i("ddof"));
    return Arrs{per_line(c.in[0], norm_axes(c.attrs, "axes", c.in[0].ndim()), c.out[0], [&](auto at, int64_t n) {
      double mean = 0, m2 = 0;
      for (int64_t r = 0; r < n; r++) mean += at(r);
      mean /= double(n);
      for (int64_t r = 0; r < n; r++) m2 += (at(r) - mean) * (at(r) - mean);
      // no degrees of freedom left: MLX scales the population variance by n / max(n - ddof, 0),
      // so a spread gives inf and no spread (0 * inf) NaN
      double v = n - ddof > 0 ? m2 / (double(n) - ddof) : m2 > 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
      return root ? std::sqrt(v) : v;
    })};
  };
  register_op(std::move(d));
}

template <class At>
double logsumexp_line(At at, int64_t n) {
  double m = -INFINITY;
  for (int64_t r = 0; r < n; r++) {
    const double v = at(r);
    if (std::isnan(v)) return v;  // as MLX: a NaN anywhere gives NaN, even beside +inf
    m = std::max(m, v);
  }
  if (std::isinf(m)) return m;
  double s = 0;
  for (int64_t r = 0; r < n; r++) s += std::exp(at(r) - m);
  return m + std::log(s);
}

}  // namespace

void register_reduction_ops() {
  register_reduce("sum", Kind::Sum, "same (bool, int8, int16 give int32; uint8, uint16 give uint32)");
  register_reduce("prod", Kind::Prod, "same (bool, int8, int16 give int32; uint8, uint16 give uint32)");
  register_reduce("max", Kind::Max, "same");
  register_reduce("min", Kind::Min, "same");
  register_reduce("all", Kind::All, "bool");
  register_reduce("any", Kind::Any, "bool");
  register_reduce("mean", Kind::Mean, "inexact");
  register_moment("var", false);
  register_moment("std", true);

  {
    OpDef d = make_op("logsumexp", "reduction", "inexact", 1, 1, reduce_attrs());
    d.infer = [](const InferCtx& c) {
      if (!is_floating(to_inexact(c.in[0].dtype))) refuse_dtype("logsumexp", c.in[0].dtype, c.path);
      auto axes = norm_axes(c.attrs, "axes", int(c.in[0].shape.size()));
      return Outs{{to_inexact(c.in[0].dtype), reduced_shape(c.in[0].shape, axes, c.attrs.b("keepdims"))}};
    };
    d.eval = [](const EvalCtx& c) {
      const auto axes = norm_axes(c.attrs, "axes", c.in[0].ndim());
      Array rows;
      if (logsumexp_rows(make_lines(astype(c.in[0], c.out[0].dtype), axes), &rows)) {
        rows.shape = c.out[0].shape;
        return Arrs{rows};
      }
      return Arrs{per_line(c.in[0], axes, c.out[0], [](auto at, int64_t n) { return logsumexp_line(at, n); })};
    };
    register_op(std::move(d));
  }

  for (bool is_max : {true, false}) {
    // argmax/argmin over one axis (the flattened array when absent): uint32, first hit wins.
    // As MLX, a value replaces the best so far only when it compares greater (less): a NaN
    // never does, and a NaN in first place is never replaced.
    OpDef d = make_op(is_max ? "argmax" : "argmin", "reduction", "uint32", 1, 1, {{"axis", AttrType::Int, nullptr}, {"keepdims", AttrType::Bool, false}});
    d.infer = [is_max](const InferCtx& c) {
      const Shape& s = c.in[0].shape;
      if (c.in[0].dtype == DType::Complex64) refuse_dtype(is_max ? "argmax" : "argmin", DType::Complex64, c.path);
      if (shape_size(s) == 0) throw RequestError("invalid_shape", c.path + "/inputs/0", "cannot take the argmax or argmin of an empty array");
      if (!c.attrs.has("axis")) return Outs{{DType::UInt32, c.attrs.b("keepdims") ? Shape(s.size(), 1) : Shape{}}};
      int ax = norm_axis(c.attrs.i("axis"), int(s.size()), c.attrs.at("axis"));
      return Outs{{DType::UInt32, reduced_shape(s, {ax}, c.attrs.b("keepdims"))}};
    };
    d.eval = [is_max](const EvalCtx& c) {
      const Array& a = c.in[0];
      std::vector<int> axes;
      if (c.attrs.has("axis")) axes = {norm_axis(c.attrs.i("axis"), a.ndim(), "")};
      else for (int i = 0; i < a.ndim(); i++) axes.push_back(i);
      Lines l = make_lines(a, axes);
      Array out(DType::UInt32, c.out[0].shape);
      uint32_t* o = out.data<uint32_t>();
      dispatch(a.dtype, [&](auto t) {
        using T = decltype(t);
        if constexpr (!is_complex_v<T>) {
          const T* x = l.a.data<T>();
          for_each_line(l, [&](int64_t line, int64_t base) {
            int64_t best = 0;
            auto bv = acc_t<T>(x[base]);
            for (int64_t r = 1; r < l.r; r++) {
              auto v = acc_t<T>(x[base + r * l.inner]);
              if (is_max ? v > bv : v < bv) {
                best = r;
                bv = v;
              }
            }
            o[line] = uint32_t(best);
          });
        }
      });
      return Arrs{out};
    };
    register_op(std::move(d));
  }

  {
    // softmax over axes (last by default), computed in float (float64 for float64).
    OpDef d = make_op("softmax", "reduction", "inexact", 1, 1, {{"axes", AttrType::Axes, -1}, {"precise", AttrType::Bool, false}});
    d.infer = [](const InferCtx& c) {
      if (!is_floating(to_inexact(c.in[0].dtype))) refuse_dtype("softmax", c.in[0].dtype, c.path);
      if (c.in[0].shape.empty()) throw RequestError("invalid_shape", c.path + "/inputs/0", "softmax needs at least one axis");
      norm_axes(c.attrs, "axes", int(c.in[0].shape.size()));
      return Outs{{to_inexact(c.in[0].dtype), c.in[0].shape}};
    };
    d.eval = [](const EvalCtx& c) {
      Array a = astype(c.in[0], c.out[0].dtype);
      Lines l = make_lines(a, norm_axes(c.attrs, "axes", a.ndim()));
      if (Array rows; softmax_rows(l, &rows)) return Arrs{untranspose(rows, l, a.shape)};
      Array out(a.dtype, l.a.shape);
      dispatch(a.dtype, [&](auto t) {
        using T = decltype(t);
        if constexpr (is_float_v<T>) {
          using U = acc_t<T>;
          const T* x = l.a.data<T>();
          T* o = out.data<T>();
          for_each_line(l, [&](int64_t, int64_t base) {
            U m = -std::numeric_limits<U>::infinity(), s = 0;
            for (int64_t r = 0; r < l.r; r++) m = std::max(m, U(x[base + r * l.inner]));
            if constexpr (std::is_same_v<T, U>) {  // the output holds each exp until the sum is known
              for (int64_t r = 0; r < l.r; r++) s += (o[base + r * l.inner] = std::exp(x[base + r * l.inner] - m));
              for (int64_t r = 0; r < l.r; r++) o[base + r * l.inner] /= s;
            } else {  // half types: a rounded exp would lose precision, so it is computed again
              for (int64_t r = 0; r < l.r; r++) s += std::exp(U(x[base + r * l.inner]) - m);
              for (int64_t r = 0; r < l.r; r++) o[base + r * l.inner] = T(std::exp(U(x[base + r * l.inner]) - m) / s);
            }
          });
        }
      });
      return Arrs{untranspose(out, l, a.shape)};
    };
    register_op(std::move(d));
  }
}

}  // namespace mlxc
