// Unary elementwise math, predicates and dtype conversion (astype).
#include <cmath>

#include "../parallel.h"
#include "elementwise.h"
#include "vecmath.h"

namespace mlxc {

namespace {

using std::is_same_v;

template <class T> constexpr bool is_signed_int_v = std::is_integral_v<T> && std::is_signed_v<T>;

#define MATH_OP(Name, expr)                     \
  struct Name : EwOp {                          \
    template <class T> T operator()(T x) const { \
      using std::exp, std::log, std::sqrt;      \
      return expr;                              \
    }                                           \
  };
MATH_OP(Exp, exp(x))
MATH_OP(Expm1, std::expm1(x))
MATH_OP(Log, log(x))
MATH_OP(Log1p, std::log1p(x))
MATH_OP(Log2, std::log2(x))
MATH_OP(Log10, std::log10(x))
MATH_OP(Sqrt, sqrt(x))
MATH_OP(Rsqrt, T(1) / sqrt(x))
MATH_OP(Sin, std::sin(x))
MATH_OP(Cos, std::cos(x))
MATH_OP(Tan, std::tan(x))
MATH_OP(Arcsin, std::asin(x))
MATH_OP(Arccos, std::acos(x))
MATH_OP(Arctan, std::atan(x))
MATH_OP(Sinh, std::sinh(x))
MATH_OP(Cosh, std::cosh(x))
MATH_OP(Tanh, std::tanh(x))
MATH_OP(Arcsinh, std::asinh(x))
MATH_OP(Arccosh, std::acosh(x))
MATH_OP(Arctanh, std::atanh(x))
// e^-|x| never overflows, so tiny results below -88 (float) are not lost.
MATH_OP(Sigmoid, x > 0 ? T(1) / (T(1) + exp(-x)) : exp(x) / (T(1) + exp(x)))
MATH_OP(Erf, std::erf(x))
MATH_OP(Reciprocal, T(1) / x)
MATH_OP(Degrees, x * T(180.0 / M_PI))
MATH_OP(Radians, x * T(M_PI / 180.0))
MATH_OP(Identity, x)
#undef MATH_OP

// zeros_like and ones_like: the input's dtype and shape, its values unread.
template <int V> struct Fill : EwOp {
  template <class T> T operator()(T) const { return T(V); }
};

// Inverse error function. float (and the half types) use the published
// single-precision minimax polynomials in t = log(1 - y^2) that MLX uses, so
// results match it bit for bit; double refines a first guess by Newton steps.
float erfinv_f32(float y) {
  const float t = std::log(std::fma(y, -y, 1.0f));
  float p;
  if (std::fabs(t) > 6.125f) {
    p = 3.03697567e-10f;
    for (float c : {2.93243101e-8f, 1.22150334e-6f, 2.84108955e-5f, 3.93552968e-4f, 3.02698812e-3f,
                    4.83185798e-3f, -2.64646143e-1f, 8.40016484e-1f})
      p = std::fma(p, t, c);
  } else {
    p = 5.43877832e-9f;
    for (float c : {1.43285448e-7f, 1.22774793e-6f, 1.12963626e-7f, -5.61530760e-5f, -1.47697632e-4f,
                    2.31468678e-3f, 1.15392581e-2f, -2.32015476e-1f, 8.86226892e-1f})
      p = std::fma(p, t, c);
  }
  return y * p;
}

struct Erfinv : EwOp {
  template <class T> T operator()(T y) const {
    if constexpr (!std::is_same_v<T, double>) return erfinv_f32(float(y));
    else return erfinv_scalar(y);
  }
};

struct Abs : EwOp {
  template <class T> using Out = std::conditional_t<is_complex_v<T>, float, T>;
  template <class T> auto operator()(T x) const {
    if constexpr (is_complex_v<T>) return std::abs(x);
    else if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) return x;
    else return T(x < 0 ? -x : x);
  }
};
// real, imag and conjugate: identity-like on real types (imag gives zeros).
template <class T> using RealOf = std::conditional_t<is_complex_v<T>, float, T>;
struct Real : EwOp {
  template <class T> using Out = RealOf<T>;
  template <class T> RealOf<T> operator()(T x) const {
    if constexpr (is_complex_v<T>) return x.real(); else return x;
  }
};
struct Imag : EwOp {
  template <class T> using Out = RealOf<T>;
  template <class T> RealOf<T> operator()(T x) const {
    if constexpr (is_complex_v<T>) return x.imag(); else return T(0);
  }
};
struct Conjugate : EwOp {
  template <class T> T operator()(T x) const {
    if constexpr (is_complex_v<T>) return std::conj(x); else return x;
  }
};
struct Negative : EwOp {
  template <class T> T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) return T(T(0) - x);
    else return -x;
  }
};
struct Square : EwOp {
  template <class T> T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) return x; else return T(x * x);
  }
};
struct Sign : EwOp {
  template <class T> T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) return T(x != 0);
        else return T((x > 0) - (x < 0));
  }
};
// Rounding ops leave integers as they are.
struct Floor : EwOp {
  template <class T> T operator()(T x) const {
    if constexpr (is_float_v<T>) return std::floor(x); else return x;
  }
};
struct Ceil : EwOp {
  template <class T> T operator()(T x) const {
    if constexpr (is_float_v<T>) return std::ceil(x); else return x;
  }
};
// Round half to even at `decimals` places, as MLX (and NumPy) do.
struct Round : EwOp {
  template <class T> T operator()(T x) const {
    if constexpr (is_float_v<T>) {
      if (p->f0 == 0) return std::nearbyint(x);
      T s = T(std::pow(10.0, p->f0));
      return std::nearbyint(x * s) / s;
    } else {
      return x;
    }
  }
};
// On complex numbers: of either part, or of both for isfinite (the one true of integers).
#define PREDICATE(Name, float_expr, int_value)       \
  struct Name : EwPredicate {                        \
    template <class T> bool operator()(T x) const {  \
      if constexpr (is_complex_v<T>) {               \
        const bool re = (*this)(x.real()), im = (*this)(x.imag()); \
        return (int_value) ? re && im : re || im;    \
      } else if constexpr (is_float_v<T>) return float_expr; \
      else return int_value;                         \
    }                                                \
  };
PREDICATE(IsNan, std::isnan(x), false)
PREDICATE(IsInf, std::isinf(x), false)
PREDICATE(IsPosInf, std::isinf(x) && x > 0, false)
PREDICATE(IsNegInf, std::isinf(x) && x < 0, false)
PREDICATE(IsFinite, std::isfinite(x), true)
#undef PREDICATE
struct LogicalNot : EwOp {
  bool operator()(bool x) const { return !x; }
};
struct BitwiseInvert : EwOp {
  template <class T> T operator()(T x) const {
    if constexpr (is_same_v<T, bool>) return !x; else return T(~x);
  }
};

template <class From, class To>
void convert_loop(const void* const* in, const bool*, void* out, int64_t n, const EwParams& p) {
  const From* a = static_cast<const From*>(in[0]);
  ew_blocks(static_cast<To*>(out), n, p, {{a, sizeof(From)}}, [&](int64_t s, int64_t len, To* o) {
    for (int64_t i = 0; i < len; i++) o[i] = convert<To>(a[s + i]);
  });
}

using TypesFn = std::function<EwTypes(const std::vector<DType>&, const Attrs&)>;
EwTypes inexact(const std::vector<DType>& d, const Attrs&) {
  return {{to_inexact(d[0])}, to_inexact(d[0])};
}
EwTypes same(const std::vector<DType>& d, const Attrs&) { return {{d[0]}, d[0]}; }
EwTypes predicate(const std::vector<DType>& d, const Attrs&) { return {{d[0]}, DType::Bool}; }

void unary(const char* name, const char* rule, TypesFn types,
           std::function<EwKernel(DType, DType)> kernel, std::vector<AttrSpec> attrs = {},
           std::function<EwParams(const Attrs&)> params = {}, int64_t work = 1) {
  OpDef d;
  d.name = name;
  d.family = "unary";
  d.dtype_rule = rule;
  d.attrs = std::move(attrs);
  d.ew = std::make_shared<Elementwise>(Elementwise{std::move(types), std::move(kernel),
                                                   std::move(params), work});
  register_op(std::move(d));
}

template <class Op, class L> void inexact_op(const char* name) {
  unary(name, "inexact", inexact, kernels<UnaryLoop, Op, L>());
}
// An op with vector kernels for the float dtypes (vecmath.h); others use the loop.
template <class Op, class L> void inexact_op(const char* name, VFn v) {
  unary(name, "inexact", inexact, with_vector(v, kernels<UnaryLoop, Op, L>()), {}, {}, kVecWork);
}

}  // namespace

// Newton steps on |y| from the float guess (from sqrt(-log(1 - |y|)) when
// |y| rounds to 1 in float); near 1 on erfc, where 1 - |y| is exact.
double erfinv_scalar(double y) {
  if (!(y > -1 && y < 1)) return y == 1 ? INFINITY : y == -1 ? -INFINITY : NAN;
  const double t = std::fabs(y);
  double x = std::fabs(erfinv_f32(float(t)));
  if (std::isinf(x)) x = std::sqrt(-std::log(1 - t));
  for (int k = 0; k < 8; k++) {  // d/dx erf(x) = 2/sqrt(pi) exp(-x^2)
    const double d = (t > 0.5 ? (1 - t) - std::erfc(x) : std::erf(x) - t) / (1.1283791670955126 * std::exp(-x * x));
    x -= d;
    if (std::fabs(d) <= 1e-17 * x) break;
  }
  return std::copysign(x, y);
}

EwKernel conversion_kernel(DType from, DType to) {
  return dispatch(from, [&](auto f) {
    return dispatch(to, [&](auto t) -> EwKernel {
      return &convert_loop<decltype(f), decltype(t)>;
    });
  });
}

Array astype(const Array& a, DType to) {
  if (a.dtype == to) return a;
  Array out(to, a.shape);
  EwKernel k = conversion_kernel(a.dtype, to);
  const size_t si = dtype_size(a.dtype), so = dtype_size(to);
  parallel_for(a.size(), 65536, [&](int64_t b, int64_t e) {
    const void* in[1] = {static_cast<const uint8_t*>(a.raw()) + size_t(b) * si};
    bool scalar = false;
    k(in, &scalar, static_cast<uint8_t*>(out.raw()) + size_t(b) * so, e - b, EwParams{});
  });
  return out;
}

void register_unary_ops() {
  using FC = Types<FloatTs, ComplexT>;
  inexact_op<Exp, FC>("exp", VFn::Exp);
  inexact_op<Log, FC>("log", VFn::Log);
  inexact_op<Sqrt, FC>("sqrt");
  inexact_op<Rsqrt, FloatTs>("rsqrt");
  inexact_op<Reciprocal, FC>("reciprocal");
  inexact_op<Expm1, FloatTs>("expm1", VFn::Expm1);
  inexact_op<Log1p, FloatTs>("log1p", VFn::Log1p);
  inexact_op<Log2, FloatTs>("log2", VFn::Log2);
  inexact_op<Log10, FloatTs>("log10", VFn::Log10);
  inexact_op<Sin, FC>("sin", VFn::Sin);
  inexact_op<Cos, FC>("cos", VFn::Cos);
  inexact_op<Tan, FC>("tan", VFn::Tan);
  inexact_op<Arcsin, FloatTs>("arcsin", VFn::Arcsin);
  inexact_op<Arccos, FloatTs>("arccos", VFn::Arccos);
  inexact_op<Arctan, FloatTs>("arctan", VFn::Arctan);
  inexact_op<Sinh, FC>("sinh", VFn::Sinh);
  inexact_op<Cosh, FC>("cosh", VFn::Cosh);
  inexact_op<Tanh, FC>("tanh", VFn::Tanh);
  inexact_op<Arcsinh, FloatTs>("arcsinh", VFn::Arcsinh);
  inexact_op<Arccosh, FloatTs>("arccosh", VFn::Arccosh);
  inexact_op<Arctanh, FloatTs>("arctanh", VFn::Arctanh);
  inexact_op<Sigmoid, FloatTs>("sigmoid", VFn::Sigmoid);
  inexact_op<Erf, FloatTs>("erf", VFn::Erf);
  inexact_op<Erfinv, FloatTs>("erfinv", VFn::Erfinv);
  inexact_op<Degrees, FloatTs>("degrees");
  inexact_op<Radians, FloatTs>("radians");

  unary("abs", "same (complex64 gives float32)",
        [](const std::vector<DType>& d, const Attrs&) -> EwTypes {
          return {{d[0]}, d[0] == DType::Complex64 ? DType::Float32 : d[0]};
        },
        kernels<UnaryLoop, Abs, Types<BoolT, RealTs, ComplexT>>());
  unary("negative", "same", same, kernels<UnaryLoop, Negative, Types<RealTs, ComplexT>>());
  unary("square", "same", same, kernels<UnaryLoop, Square, Types<BoolT, RealTs, ComplexT>>());
  unary("sign", "same", same, kernels<UnaryLoop, Sign, Types<BoolT, RealTs>>());
  unary("floor", "same", same, kernels<UnaryLoop, Floor, Types<BoolT, RealTs>>());
  unary("ceil", "same", same, kernels<UnaryLoop, Ceil, Types<BoolT, RealTs>>());
  unary("round", "same", same, kernels<UnaryLoop, Round, Types<BoolT, RealTs>>(),
        {{"decimals", AttrType::Int, 0}},
        [](const Attrs& a) { return EwParams{double(a.i("decimals"))}; });
  unary("stop_gradient", "same", same, kernels<UnaryLoop, Identity, Types<BoolT, RealTs, ComplexT>>());
  unary("zeros_like", "same", same, kernels<UnaryLoop, Fill<0>, Types<BoolT, RealTs, ComplexT>>());
  unary("ones_like", "same", same, kernels<UnaryLoop, Fill<1>, Types<BoolT, RealTs, ComplexT>>());
  unary("isnan", "bool", predicate, kernels<UnaryLoop, IsNan, Types<BoolT, RealTs, ComplexT>>());
  unary("isinf", "bool", predicate, kernels<UnaryLoop, IsInf, Types<BoolT, RealTs, ComplexT>>());
  unary("isposinf", "bool", predicate, kernels<UnaryLoop, IsPosInf, Types<BoolT, RealTs>>());
  unary("isneginf", "bool", predicate, kernels<UnaryLoop, IsNegInf, Types<BoolT, RealTs>>());
  unary("isfinite", "bool", predicate, kernels<UnaryLoop, IsFinite, Types<BoolT, RealTs, ComplexT>>());
  const TypesFn real_part = [](const std::vector<DType>& d, const Attrs&) -> EwTypes {
    return {{d[0]}, d[0] == DType::Complex64 ? DType::Float32 : d[0]};
  };
  unary("real", "same (complex64 gives float32)", real_part, kernels<UnaryLoop, Real, Types<BoolT, RealTs, ComplexT>>());
  unary("imag", "same (complex64 gives float32)", real_part, kernels<UnaryLoop, Imag, Types<BoolT, RealTs, ComplexT>>());
  unary("conjugate", "same", same, kernels<UnaryLoop, Conjugate, Types<BoolT, RealTs, ComplexT>>());
  unary("logical_not", "bool",
        [](const std::vector<DType>&, const Attrs&) -> EwTypes {
          return {{DType::Bool}, DType::Bool};
        },
        kernels<UnaryLoop, LogicalNot, BoolT>());
  unary("bitwise_invert", "same", same, kernels<UnaryLoop, BitwiseInvert, Types<BoolT, IntTs>>());
  unary("astype", "attr dtype",
        [](const std::vector<DType>& d, const Attrs& a) -> EwTypes {
          return {{d[0]}, a.dtype("dtype")};
        },
        conversion_kernel, {{"dtype", AttrType::DTypeName, nullptr, true}});
}

}  // namespace mlxc
