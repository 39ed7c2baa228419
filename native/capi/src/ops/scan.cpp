// Cumulative ops along one axis: cumsum, cumprod, cummax, cummin, logcumsumexp.
#include <cmath>
#include <limits>

#include "lines.h"
#include "vecmath.h"

namespace mlxc {

namespace {

enum class Scan { Sum, Prod, Max, Min, LogSumExp };

DType scan_dtype(Scan k, DType d) {
  if (k == Scan::LogSumExp) return to_inexact(d);
  if (k == Scan::Sum && d == DType::Bool) return DType::Int32;
  return d;
}

template <class U> U combine(Scan k, U a, U b) {
  switch (k) {
    case Scan::Sum: return a + b;
    case Scan::Prod: return a * b;
    // a is the running value, b the next: MLX's comparisons, so a NaN is passed on by
    // cummax only until a number follows it, and cummin takes a NaN only in first place
    case Scan::Max: return a > b ? a : b;
    case Scan::Min: return b < a ? b : a;
    default: {
      if constexpr (std::is_floating_point_v<U>) {
        U m = std::max(a, b);
        if (std::isinf(m) && (m < 0 || a == b)) return m;  // -inf, or inf and inf (whose difference is NaN)
        return m + std::log1p(std::exp(-std::abs(a - b)));
      } else {
        return a;
      }
    }
  }
}

void register_scan(const char* name, Scan k, const char* rule) {
  OpDef d = make_op(name, "scan", rule, 1, 1,
                    {{"axis", AttrType::Int, nullptr}, {"reverse", AttrType::Bool, false}, {"inclusive", AttrType::Bool, true}});
  d.infer = [k, name](const InferCtx& c) {
    DType in = c.in[0].dtype;
    if (in == DType::Complex64 || (k == Scan::LogSumExp && !is_floating(to_inexact(in)))) refuse_dtype(name, in, c.path);
    if (!c.attrs.has("axis")) return std::vector<TypeShape>{{scan_dtype(k, in), {shape_size(c.in[0].shape)}}};
    norm_axis(c.attrs.i("axis"), int(c.in[0].shape.size()), c.attrs.at("axis"));
    return std::vector<TypeShape>{{scan_dtype(k, in), c.in[0].shape}};
  };
  d.eval = [k](const EvalCtx& c) {
    Array a = astype(c.in[0], c.out[0].dtype);
    a.shape = c.out[0].shape;  // flattened when no axis was given
    int axis = c.attrs.has("axis") ? norm_axis(c.attrs.i("axis"), a.ndim(), "") : 0;
    Lines l = make_lines(a, {axis});
    const bool reverse = c.attrs.b("reverse"), inclusive = c.attrs.b("inclusive");
    if (Array rows; k == Scan::LogSumExp && !reverse && inclusive && logcumsumexp_rows(l, &rows))
      return std::vector<Array>{untranspose(rows, l, a.shape)};
    Array out(a.dtype, a.shape);
    dispatch(a.dtype, [&](auto t) {
      using T = decltype(t);
      if constexpr (!is_complex_v<T>) {
        using U = std::conditional_t<std::is_same_v<T, bool>, int32_t, acc_t<T>>;
        const T* x = l.a.data<T>();
        T* o = out.data<T>();
        const U identity = k == Scan::Sum ? U(0) : k == Scan::Prod ? U(1) : k == Scan::Min ? highest<U>() : lowest<U>();
        for_each_line(l, [&](int64_t, int64_t base) {
          U acc = identity;
          for (int64_t s = 0; s < l.r; s++) {
            const int64_t at = base + (reverse ? l.r - 1 - s : s) * l.inner;
            const U v = U(x[at]);
            // An exclusive scan starts from the op's identity (-inf for max and logcumsumexp);
            // its max and min fold the first value into the identity, as MLX's do (so
            // cummin drops a NaN in first place there, where an inclusive one keeps it).
            if (inclusive) {
              acc = s == 0 ? v : combine(k, acc, v);
              o[at] = T(acc);
            } else {
              o[at] = T(s == 0 ? identity : acc);
              acc = s == 0 && k != Scan::Max && k != Scan::Min ? v : combine(k, acc, v);
            }
          }
        });
      }
    });
    return std::vector<Array>{out};
  };
  register_op(std::move(d));
}

}  // namespace

void register_scan_ops() {
  register_scan("cumsum", Scan::Sum, "same (bool gives int32)");
  register_scan("cumprod", Scan::Prod, "same");
  register_scan("cummax", Scan::Max, "same");
  register_scan("cummin", Scan::Min, "same");
  register_scan("logcumsumexp", Scan::LogSumExp, "inexact");
}

}  // namespace mlxc
