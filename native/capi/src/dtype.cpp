#include "dtype.h"

namespace mlxc {

namespace {
struct Info {
  const char* name;
  size_t size;
  Category cat;
};
const Info kInfo[kNumDTypes] = {
    {"bool", 1, Category::Bool},         {"uint8", 1, Category::Unsigned},
    {"uint16", 2, Category::Unsigned},   {"uint32", 4, Category::Unsigned},
    {"uint64", 8, Category::Unsigned},   {"int8", 1, Category::Signed},
    {"int16", 2, Category::Signed},      {"int32", 4, Category::Signed},
    {"int64", 8, Category::Signed},      {"float16", 2, Category::Floating},
    {"bfloat16", 2, Category::Floating}, {"float32", 4, Category::Floating},
    {"float64", 8, Category::Floating},  {"complex64", 8, Category::Complex},
};
}  // namespace

const char* dtype_name(DType d) { return kInfo[int(d)].name; }
size_t dtype_size(DType d) { return kInfo[int(d)].size; }
Category dtype_category(DType d) { return kInfo[int(d)].cat; }

bool dtype_from_name(const std::string& s, DType* out) {
  for (int i = 0; i < kNumDTypes; i++) {
    if (s == kInfo[i].name) {
      *out = DType(i);
      return true;
    }
  }
  return false;
}

// MLX's promotion lattice: the smallest type that holds both; unsigned 64 with
// any signed type goes to float32; float16 with bfloat16 goes to float32.
DType promote(DType a, DType b) {
  if (a == b) return a;
  Category ca = dtype_category(a), cb = dtype_category(b);
  if (ca == Category::Bool) return b;
  if (cb == Category::Bool) return a;
  if (a == DType::Complex64 || b == DType::Complex64) return DType::Complex64;
  if (ca == Category::Floating || cb == Category::Floating) {
    if (ca != cb) return ca == Category::Floating ? a : b;  // int with float
    if (a == DType::Float64 || b == DType::Float64) return DType::Float64;
    if (a == DType::Float32 || b == DType::Float32) return DType::Float32;
    return DType::Float32;  // float16 with bfloat16
  }
  size_t sa = dtype_size(a), sb = dtype_size(b);
  if (ca == cb) return sa >= sb ? a : b;
  // one signed, one unsigned
  DType s = ca == Category::Signed ? a : b, u = ca == Category::Signed ? b : a;
  size_t ss = dtype_size(s), su = dtype_size(u);
  if (ss > su) return s;
  switch (su) {
    case 1: return DType::Int16;
    case 2: return DType::Int32;
    case 4: return DType::Int64;
    default: return DType::Float32;
  }
}

float half_to_float(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
  if (exp == 0) {
    if (man == 0) {
      u = sign;
    } else {  // subnormal: renormalize
      int e = -1;
      do {
        e++;
        man <<= 1;
      } while (!(man & 0x400));
      u = sign | uint32_t(127 - 15 - e) << 23 | (man & 0x3ff) << 13;
    }
  } else if (exp == 31) {
    u = sign | 0x7f800000 | man << 13;
  } else {
    u = sign | (exp + 127 - 15) << 23 | man << 13;
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t float_to_half(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint16_t sign = uint16_t((u >> 16) & 0x8000);
  uint32_t a = u & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00;  // NaN
  if (a >= 0x477ff000) return sign | 0x7c00;  // 65520 and up round to inf
  uint32_t res, rem, half;
  if (a < 0x38800000) {  // half subnormal or zero: value = man * 2^-24
    if (a < 0x33000000) return sign;  // below half the smallest subnormal
    uint32_t man = (a & 0x7fffff) | 0x800000;
    int shift = 126 - int(a >> 23);
    res = man >> shift;
    rem = man & ((1u << shift) - 1);
    half = 1u << (shift - 1);
  } else {
    res = (a >> 13) - ((127 - 15) << 10);
    rem = a & 0x1fff;
    half = 0x1000;
  }
  if (rem > half || (rem == half && (res & 1))) res++;  // nearest even
  return sign | uint16_t(res);
}

}  // namespace mlxc
