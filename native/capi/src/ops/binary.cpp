// Binary elementwise arithmetic, comparisons, logical and bitwise ops, and where.
#include <cmath>
#include <limits>

#include "elementwise.h"
#include "vecmath.h"

namespace mlxc {

namespace {

template <class T> constexpr bool is_int_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// MLX orders complex numbers by real part, then imaginary part.
inline bool operator<(c64 a, c64 b) { return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag()); }
inline bool operator>(c64 a, c64 b) { return b < a; }
inline bool operator<=(c64 a, c64 b) { return !(b < a); }
inline bool operator>=(c64 a, c64 b) { return !(a < b); }

#define BIN_OP(Name, Base, expr)                       \
  struct Name : Base {                                 \
    template <class T> auto operator()(T x, T y) const { \
      return expr;                                     \
    }                                                  \
  };
BIN_OP(Add, EwOp, x + y)
BIN_OP(Subtract, EwOp, x - y)
BIN_OP(Multiply, EwOp, x * y)
BIN_OP(Equal, EwPredicate, x == y)
BIN_OP(NotEqual, EwPredicate, x != y)
BIN_OP(Less, EwPredicate, x < y)
BIN_OP(LessEqual, EwPredicate, x <= y)
BIN_OP(Greater, EwPredicate, x > y)
BIN_OP(GreaterEqual, EwPredicate, x >= y)
BIN_OP(LogicalAnd, EwOp, x && y)
BIN_OP(LogicalOr, EwOp, x || y)
BIN_OP(BitwiseAnd, EwOp, x & y)
BIN_OP(BitwiseOr, EwOp, x | y)
BIN_OP(BitwiseXor, EwOp, x ^ y)
BIN_OP(Arctan2, EwOp, std::atan2(x, y))
#undef BIN_OP

// Integer division by zero and INT_MIN / -1 would trap the host; they give 0
// and the wrapped quotient instead.
template <class T> T safe_int_div(T x, T y) {
  if (y == 0) return 0;
  if constexpr (std::is_signed_v<T>) {
    if (y == -1) return T(0 - static_cast<std::make_unsigned_t<T>>(x));
  }
  return T(x / y);
}

struct Divide : EwOp {
  template <class T> T operator()(T x, T y) const {
    if constexpr (is_int_v<T>) return safe_int_div(x, y); else return x / y;
  }
};
// MLX truncates integer floor_divide (C division); floats floor; bools give
// the dividend (MLX v0.31.2's answer for all four pairs, false // false too).
struct FloorDivide : EwOp {
  template <class T> T operator()(T x, T y) const {
    if constexpr (is_int_v<T>) return safe_int_div(x, y);
    else if constexpr (std::is_same_v<T, bool>) return x;
    else return std::floor(x / y);
  }
};
// The result takes the sign of the divisor, as in Python.
struct Remainder : EwOp {
  template <class T> T operator()(T x, T y) const {
    if constexpr (is_int_v<T>) {
      if (y == 0) return 0;
      if constexpr (std::is_signed_v<T>) {
        if (y == -1) return 0;
        T r = T(x % y);
        return (r != 0 && ((r < 0) != (y < 0))) ? T(r + y) : r;
      } else {
        return T(x % y);
      }
    } else if constexpr (std::is_same_v<T, bool>) {
      return false;
    } else {
      T r = std::fmod(x, y);
      return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
    }
  }
};
// Integer powers by squaring; a negative integer exponent gives 0 (1 for base 1).
struct Power : EwOp {
  template <class T> T operator()(T x, T y) const {
    if constexpr (is_int_v<T>) {
      if constexpr (std::is_signed_v<T>) {
        if (y < 0) return x == 1 ? 1 : x == -1 ? ((y & 1) ? -1 : 1) : 0;
      }
      T r = 1;
      for (; y; y >>= 1, x = T(x * x))
        if (y & 1) r = T(r * x);
      return r;
    } else if constexpr (std::is_same_v<T, bool>) {
      return x || !y;
    } else {
      return std::pow(x, y);
    }
  }
};
// NaN wins, as in MLX. Written as selects (x != x is NaN) so loops vectorize.
struct Maximum : EwOp {
  template <class T> T operator()(T x, T y) const {
    T m = x > y ? x : y;
    if constexpr (is_float_v<T>) m = y != y ? y : m;
    if constexpr (is_float_v<T>) m = x != x ? x : m;
    return m;
  }
};
struct Minimum : EwOp {
  template <class T> T operator()(T x, T y) const {
    T m = x < y ? x : y;
    if constexpr (is_float_v<T>) m = y != y ? y : m;
    if constexpr (is_float_v<T>) m = x != x ? x : m;
    return m;
  }
};
struct LogAddExp : EwOp {
  template <class T> T operator()(T x, T y) const {
    if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<T>::quiet_NaN();
    T m = x > y ? x : y;
    if (std::isinf(m) && m < 0) return m;
    // Equal arguments (equal infinities too) add log 2 instead of inf - inf.
    return m + std::log1p(std::exp(x == y ? T(0) : -std::abs(x - y)));
  }
};
// Shifts past the width give 0 (or -1 for negative right shifts) instead of UB.
struct LeftShift : EwOp {
  template <class T> T operator()(T x, T y) const {
    // shifted as unsigned: a negative x shifted left is undefined in C++17
    if constexpr (std::is_signed_v<T>) {
      return (y < 0 || y >= T(sizeof(T) * 8)) ? T(0) : T(std::make_unsigned_t<T>(x) << y);
    } else {
      return y >= T(sizeof(T) * 8) ? T(0) : T(x << y);
    }
  }
};
struct RightShift : EwOp {
  template <class T> T operator()(T x, T y) const {
    if (y < 0 || y >= T(sizeof(T) * 8)) return T(x < 0 ? -1 : 0);
    return T(x >> y);
  }
};

// Both sides are read unconditionally so the select compiles to a blend: a
// branch on a random mask (a relu's gradient) mispredicts half the time. The
// condition is read as bytes: GCC does not vectorize loads of bool.
template <class T, bool SC, bool SA, bool SB>
void where_run(const uint8_t* c, const T* a, const T* b, T* o, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const T x = a[SA ? 0 : i], y = b[SB ? 0 : i];
    o[i] = c[SC ? 0 : i] ? x : y;
  }
}

template <class T>
void where_loop(const void* const* in, const bool* scalar, void* out, int64_t n, const EwParams& p) {
  const uint8_t* c = static_cast<const uint8_t*>(in[0]);
  const T* a = static_cast<const T*>(in[1]);
  const T* b = static_cast<const T*>(in[2]);
  ew_blocks(static_cast<T*>(out), n, p, {}, [&](int64_t s, int64_t len, T* o) {
    const uint8_t* cs = c + (scalar[0] ? 0 : s);
    const T *as = a + (scalar[1] ? 0 : s), *bs = b + (scalar[2] ? 0 : s);
    switch ((scalar[0] ? 4 : 0) | (scalar[1] ? 2 : 0) | (scalar[2] ? 1 : 0)) {
      case 0: return where_run<T, false, false, false>(cs, as, bs, o, len);
      case 1: return where_run<T, false, false, true>(cs, as, bs, o, len);
      case 2: return where_run<T, false, true, false>(cs, as, bs, o, len);
      case 3: return where_run<T, false, true, true>(cs, as, bs, o, len);
      case 4: return where_run<T, true, false, false>(cs, as, bs, o, len);
      case 5: return where_run<T, true, false, true>(cs, as, bs, o, len);
      case 6: return where_run<T, true, true, false>(cs, as, bs, o, len);
      default: return where_run<T, true, true, true>(cs, as, bs, o, len);
    }
  });
}

using TypesFn = std::function<EwTypes(const std::vector<DType>&, const Attrs&)>;

EwTypes promoted(const std::vector<DType>& d, const Attrs&) {
  DType t = promote(d[0], d[1]);
  return {{t, t}, t};
}
EwTypes promoted_inexact(const std::vector<DType>& d, const Attrs&) {
  DType t = to_inexact(promote(d[0], d[1]));
  return {{t, t}, t};
}
EwTypes compared(const std::vector<DType>& d, const Attrs&) {
  DType t = promote(d[0], d[1]);
  return {{t, t}, DType::Bool};
}
// Shifting bools gives integers, as in MLX.
EwTypes shifted(const std::vector<DType>& d, const Attrs&) {
  DType t = promote(d[0], d[1]);
  if (t == DType::Bool) t = DType::UInt8;
  return {{t, t}, t};
}
EwTypes logical(const std::vector<DType>&, const Attrs&) {
  return {{DType::Bool, DType::Bool}, DType::Bool};
}

void binary(const char* name, const char* family, const char* rule, TypesFn types,
            std::function<EwKernel(DType, DType)> kernel, int64_t work = 1) {
  OpDef d;
  d.name = name;
  d.family = family;
  d.dtype_rule = rule;
  d.min_inputs = d.max_inputs = 2;
  d.ew = std::make_shared<Elementwise>(Elementwise{std::move(types), std::move(kernel), {}, work});
  register_op(std::move(d));
}

template <class Op, class L> void arith(const char* name, bool inexact = false) {
  binary(name, "binary", inexact ? "promote, then float32 for integers" : "promote",
         inexact ? promoted_inexact : promoted, kernels<BinaryLoop, Op, L>());
}
// Float kernels from vecmath.h where it has them.
template <class Op, class L> void arith_vec(const char* name, VFn2 v) {
  binary(name, "binary", "promote, then float32 for integers", promoted_inexact,
         with_vector(v, kernels<BinaryLoop, Op, L>()), kVecWork);
}
template <class Op, class L> void comparison(const char* name) {
  binary(name, "comparison", "bool (inputs promoted)", compared, kernels<BinaryLoop, Op, L>());
}

}  // namespace

void register_binary_ops() {
  using All = Types<BoolT, RealTs, ComplexT>;
  using Real = Types<BoolT, RealTs>;
  using Bits = Types<BoolT, IntTs>;
  arith<Add, All>("add");
  arith<Subtract, All>("subtract");
  arith<Multiply, All>("multiply");
  arith<Divide, Types<FloatTs, ComplexT>>("divide", true);
  arith<FloorDivide, Real>("floor_divide");
  arith<Remainder, Real>("remainder");
  binary("power", "binary", "promote", promoted,
         with_vector(VFn2::Power, kernels<BinaryLoop, Power, Types<Real, ComplexT>>()), kVecWork);
  arith<Maximum, Real>("maximum");
  arith<Minimum, Real>("minimum");
  arith_vec<LogAddExp, FloatTs>("logaddexp", VFn2::LogAddExp);
  arith_vec<Arctan2, FloatTs>("arctan2", VFn2::Arctan2);
  comparison<Equal, All>("equal");
  comparison<NotEqual, All>("not_equal");
  comparison<Less, All>("less");
  comparison<LessEqual, All>("less_equal");
  comparison<Greater, All>("greater");
  comparison<GreaterEqual, All>("greater_equal");
  binary("logical_and", "logical", "bool", logical, kernels<BinaryLoop, LogicalAnd, BoolT>());
  binary("logical_or", "logical", "bool", logical, kernels<BinaryLoop, LogicalOr, BoolT>());
  binary("bitwise_and", "bitwise", "promote", promoted, kernels<BinaryLoop, BitwiseAnd, Bits>());
  binary("bitwise_or", "bitwise", "promote", promoted, kernels<BinaryLoop, BitwiseOr, Bits>());
  binary("bitwise_xor", "bitwise", "promote", promoted, kernels<BinaryLoop, BitwiseXor, Bits>());
  binary("left_shift", "bitwise", "promote (bool gives uint8)", shifted, kernels<BinaryLoop, LeftShift, IntTs>());
  binary("right_shift", "bitwise", "promote (bool gives uint8)", shifted, kernels<BinaryLoop, RightShift, IntTs>());

  OpDef w;
  w.name = "where";
  w.family = "ternary";
  w.dtype_rule = "promote of x and y; condition as bool";
  w.min_inputs = w.max_inputs = 3;
  w.ew = std::make_shared<Elementwise>(Elementwise{
      [](const std::vector<DType>& d, const Attrs&) -> EwTypes {
        DType t = promote(d[1], d[2]);
        return {{DType::Bool, t, t}, t};
      },
      [](DType t, DType) {
        return dispatch(t, [](auto v) -> EwKernel { return &where_loop<decltype(v)>; });
      },
      {}});
  register_op(std::move(w));
}

}  // namespace mlxc
