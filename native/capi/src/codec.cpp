#include "codec.h"

#include <cmath>
#include <limits>

namespace mlxc {

namespace {

// One JSON leaf as (re, im) doubles, or as an exact integer when it is one.
struct Leaf {
  double re = 0, im = 0;
  bool is_int = false;
  int64_t i = 0;
  uint64_t u = 0;
};

double special(JVal v, const std::string& path) {
  const std::string s(v.str());
  if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (s == "inf") return INFINITY;
  if (s == "-inf") return -INFINITY;
  throw RequestError("invalid_data", path, "string \"" + s + "\" is not a number (use \"nan\", \"inf\" or \"-inf\")");
}

Leaf read_leaf(JVal v, bool complex, const std::string& path) {
  Leaf l;
  if (complex && v.is_array()) {
    if (v.size() != 2) throw RequestError("invalid_data", path, "a complex value is [re, im]");
    l.re = read_leaf(v[0], false, path + "/0").re;
    l.im = read_leaf(v[1], false, path + "/1").re;
    return l;
  }
  if (v.is_boolean()) {
    l.re = v.boolean();
  } else if (v.is_number_unsigned()) {
    l.is_int = true;
    l.u = v.u64();
    l.i = int64_t(l.u);
    l.re = double(l.u);
  } else if (v.is_number_integer()) {
    l.is_int = true;
    l.i = v.i64();
    l.u = uint64_t(l.i);
    l.re = double(l.i);
  } else if (v.is_number_float()) {
    l.re = v.f64();
  } else if (v.is_string()) {
    l.re = special(v, path);
  } else {
    throw RequestError("invalid_data", path, std::string("expected a number, found ") + v.type_name());
  }
  return l;
}

template <class T> T from_leaf(const Leaf& l) {
  if constexpr (is_complex_v<T>) {
    return c64(float(l.re), float(l.im));
  } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (l.is_int) return std::is_signed_v<T> ? T(l.i) : T(l.u);
    return float_to_int<T>(l.re);  // as astype converts a float
  } else {
    return convert<T>(l.re);
  }
}

// Walks nested lists to depth ndim, checking each level's length.
void collect(JVal v, const Shape& shape, size_t depth, bool complex, std::vector<JVal>& leaves, const std::string& path) {
  if (depth == shape.size()) {
    leaves.push_back(v);
    return;
  }
  if (!v.is_array() || int64_t(v.size()) != shape[depth])
    throw RequestError("invalid_data", path,
                       "expected a list of " + std::to_string(shape[depth]) + " at depth " + std::to_string(depth));
  for (size_t k = 0; k < v.size(); k++) collect(v[k], shape, depth + 1, complex, leaves, path + "/" + std::to_string(k));
}

json number_json(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

}  // namespace

void decode_inline(JVal data, Array& out, const std::string& path) {
  const int64_t n = out.size();
  const bool complex = out.dtype == DType::Complex64;
  std::vector<JVal> leaves;
  leaves.reserve(size_t(n));
  bool flat = data.is_array() && int64_t(data.size()) == n &&
              (n == 0 || !data[0].is_array() || (complex && data[0].size() == 2 && !data[0][0].is_array()));
  if (out.ndim() == 0 && !data.is_array()) {
    leaves.push_back(data);
  } else if (flat) {
    for (size_t i = 0; i < data.size(); i++) leaves.push_back(data[i]);
  } else {
    collect(data, out.shape, 0, complex, leaves, path);
  }
  if (int64_t(leaves.size()) != n)
    throw RequestError("invalid_data", path,
                       "holds " + std::to_string(leaves.size()) + " values for shape " + shape_str(out.shape));
  dispatch(out.dtype, [&](auto t) {
    using T = decltype(t);
    T* o = out.data<T>();
    for (int64_t i = 0; i < n; i++) o[i] = from_leaf<T>(read_leaf(leaves[size_t(i)], complex, path + "/" + std::to_string(i)));
  });
}

json encode_inline(const Array& a) {
  json out = json::array();
  dispatch(a.dtype, [&](auto t) {
    using T = decltype(t);
    const T* p = a.data<T>();
    for (int64_t i = 0, n = a.size(); i < n; i++) {
      if constexpr (is_complex_v<T>) out.push_back({number_json(p[i].real()), number_json(p[i].imag())});
      else if constexpr (std::is_same_v<T, bool>) out.push_back(p[i]);
      else if constexpr (std::is_integral_v<T>) out.push_back(p[i]);
      else out.push_back(number_json(double(acc_t<T>(p[i]))));
    }
  });
  return out;
}

void check_bools(const void* data, size_t n, const std::string& path) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  uint8_t any = 0;
  for (size_t i = 0; i < n; i++) any |= p[i];  // one pass without a branch; the search only on failure
  if ((any & 0xfe) == 0) return;
  for (size_t i = 0; i < n; i++)
    if (p[i] > 1)
      throw RequestError("invalid_data", path, "bool element " + std::to_string(i) + " is the byte " + std::to_string(p[i]) + "; bools are 0 or 1");
}

namespace {
const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(const void* data, size_t n) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  std::string s;
  s.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t(p[i]) << 16 | (i + 1 < n ? uint32_t(p[i + 1]) << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    s += kB64[v >> 18];
    s += kB64[(v >> 12) & 63];
    s += i + 1 < n ? kB64[(v >> 6) & 63] : '=';
    s += i + 2 < n ? kB64[v & 63] : '=';
  }
  return s;
}

void base64_decode(std::string_view s, void* out, size_t n, const std::string& path) {
  int8_t rev[256];
  std::fill(rev, rev + 256, int8_t(-1));
  for (int i = 0; i < 64; i++) rev[uint8_t(kB64[i])] = int8_t(i);
  size_t len = s.size();
  while (len && s[len - 1] == '=') len--;
  if (s.size() % 4 != 0 || s.size() - len > 2 || len * 6 / 8 != n)
    throw RequestError("invalid_data", path,
                       "base64 of " + std::to_string(s.size()) + " characters does not hold " + std::to_string(n) + " bytes");
  uint8_t* o = static_cast<uint8_t*>(out);
  uint32_t acc = 0;
  int bits = 0;
  size_t w = 0;
  for (size_t i = 0; i < len; i++) {
    int8_t v = rev[uint8_t(s[i])];
    if (v < 0) throw RequestError("invalid_data", path, "invalid base64 character at offset " + std::to_string(i));
    acc = acc << 6 | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      o[w++] = uint8_t(acc >> bits);
    }
  }
}

}  // namespace mlxc
