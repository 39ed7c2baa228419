// Dtypes, their C storage types and MLX's type-promotion table.
#pragma once
#include <complex>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

namespace mlxc {

enum class DType : uint8_t {
  Bool, UInt8, UInt16, UInt32, UInt64, Int8, Int16, Int32, Int64,
  Float16, BFloat16, Float32, Float64, Complex64
};
constexpr int kNumDTypes = 14;

enum class Category { Bool, Unsigned, Signed, Floating, Complex };

const char* dtype_name(DType d);
bool dtype_from_name(const std::string& s, DType* out);
size_t dtype_size(DType d);
Category dtype_category(DType d);
inline bool is_floating(DType d) { return dtype_category(d) == Category::Floating; }
inline bool is_integral(DType d) {
  auto c = dtype_category(d);
  return c == Category::Unsigned || c == Category::Signed;
}
inline bool is_inexact(DType d) { return is_floating(d) || d == DType::Complex64; }
DType promote(DType a, DType b);
// The dtype MLX gives an op that needs an inexact result (sqrt, divide...).
inline DType to_inexact(DType d) { return is_inexact(d) ? d : DType::Float32; }

// IEEE half and bfloat16 stored as bits; arithmetic goes through float.
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
inline float bf16_to_float(uint16_t b) {
  uint32_t u = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint16_t float_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffff) > 0x7f800000) return uint16_t((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fff + ((u >> 16) & 1);  // round to nearest even
  return uint16_t(u >> 16);
}

struct f16 {
  uint16_t bits;
  f16() = default;
  f16(float f) : bits(float_to_half(f)) {}
  operator float() const { return half_to_float(bits); }
};
struct bf16 {
  uint16_t bits;
  bf16() = default;
  bf16(float f) : bits(float_to_bf16(f)) {}
  operator float() const { return bf16_to_float(bits); }
};
using c64 = std::complex<float>;

template <class T> struct CType;
#define MLXC_CTYPE(E, T) \
  template <> struct CType<T> { static constexpr DType value = DType::E; };
MLXC_CTYPE(Bool, bool) MLXC_CTYPE(UInt8, uint8_t) MLXC_CTYPE(UInt16, uint16_t)
MLXC_CTYPE(UInt32, uint32_t) MLXC_CTYPE(UInt64, uint64_t) MLXC_CTYPE(Int8, int8_t)
MLXC_CTYPE(Int16, int16_t) MLXC_CTYPE(Int32, int32_t) MLXC_CTYPE(Int64, int64_t)
MLXC_CTYPE(Float16, f16) MLXC_CTYPE(BFloat16, bf16) MLXC_CTYPE(Float32, float)
MLXC_CTYPE(Float64, double) MLXC_CTYPE(Complex64, c64)
#undef MLXC_CTYPE

// Calls f(T{}) with T the storage type of d.
template <class F>
decltype(auto) dispatch(DType d, F&& f) {
  switch (d) {
    case DType::Bool: return f(bool{});
    case DType::UInt8: return f(uint8_t{});
    case DType::UInt16: return f(uint16_t{});
    case DType::UInt32: return f(uint32_t{});
    case DType::UInt64: return f(uint64_t{});
    case DType::Int8: return f(int8_t{});
    case DType::Int16: return f(int16_t{});
    case DType::Int32: return f(int32_t{});
    case DType::Int64: return f(int64_t{});
    case DType::Float16: return f(f16{});
    case DType::BFloat16: return f(bf16{});
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    case DType::Complex64: default: return f(c64{});
  }
}

// The type arithmetic on T is done in: half types widen to float.
template <class T> struct Acc { using type = T; };
template <> struct Acc<f16> { using type = float; };
template <> struct Acc<bf16> { using type = float; };
template <class T> using acc_t = typename Acc<T>::type;

template <class T> constexpr bool is_complex_v = std::is_same_v<T, c64>;
template <class T> constexpr bool is_float_v =
    std::is_floating_point_v<T> || std::is_same_v<T, f16> || std::is_same_v<T, bf16>;

// A float to an integer type, defined for every value: what MLX's CPU
// conversion gives where it is the same on every path (x86's truncation, with
// NaN and out-of-range values to the "indefinite" INT_MIN). Types narrower
// than 32 bits take the low bits of the int32 conversion and uint32 those of
// the int64 one; uint64 converts values of 2^63 and above through a subtraction
// of 2^63. (MLX's vectorized uint32 conversion differs from its own scalar one
// for NaN, infinities and out-of-range values; this follows the scalar one.)
template <class To>
inline To float_to_int(double x) {
  constexpr double k31 = 2147483648.0, k63 = 9223372036854775808.0;
  if constexpr (std::is_same_v<To, int64_t>) {
    return x >= -k63 && x < k63 ? int64_t(x) : INT64_MIN;  // false for NaN
  } else if constexpr (std::is_same_v<To, uint64_t>) {
    if (x >= k63) return x - k63 < k63 ? uint64_t(int64_t(x - k63)) ^ (uint64_t(1) << 63) : 0;
    return uint64_t(float_to_int<int64_t>(x));
  } else if constexpr (std::is_same_v<To, uint32_t>) {
    return uint32_t(uint64_t(float_to_int<int64_t>(x)));
  } else {
    const int32_t i = x >= -k31 && x < k31 ? int32_t(x) : INT32_MIN;
    return To(uint32_t(i));  // int32 itself, or its low bits
  }
}

// Converts between storage types; complex to real keeps the real part, as MLX does.
template <class To, class From>
inline To convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (is_complex_v<From>) {
    return convert<To>(v.real());
  } else if constexpr (is_complex_v<To>) {
    return c64(float(acc_t<From>(v)), 0.0f);
  } else if constexpr (std::is_same_v<To, bool>) {
    return acc_t<From>(v) != acc_t<From>(0);
  } else if constexpr (std::is_same_v<From, f16> || std::is_same_v<From, bf16>) {
    return convert<To>(float(v));
  } else if constexpr (std::is_same_v<To, f16> || std::is_same_v<To, bf16>) {
    return To(float(v));
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    return float_to_int<To>(double(v));
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace mlxc
