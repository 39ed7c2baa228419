// Checked size arithmetic: every size, offset and count the engine computes
// from request data (shapes, attributes) goes through these, so an overflow
// becomes a resource_limit refusal naming where it came from (`where`, a JSON
// pointer to the node's attribute or input) instead of a wrapped size that a
// later copy would trust.
#pragma once
#include <cstdint>
#include <string>

#include "array.h"
#include "errors.h"

namespace mlxc {

[[noreturn]] inline void size_overflow(const std::string& where, const std::string& what) {
  throw Refusal("resource_limit", "array", where, what + " overflows a 64-bit size");
}

// a + b for sizes and offsets (either may be negative, as offsets are).
inline int64_t checked_add(int64_t a, int64_t b, const std::string& where) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) size_overflow(where, std::to_string(a) + " + " + std::to_string(b));
  return r;
}

inline int64_t checked_mul(int64_t a, int64_t b, const std::string& where) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) size_overflow(where, std::to_string(a) + " * " + std::to_string(b));
  return r;
}

// The element count of a shape; a negative dimension is refused too (it can
// only come from arithmetic that went wrong).
inline int64_t checked_size(const Shape& s, const std::string& where) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) throw Refusal("resource_limit", "array", where, "shape " + shape_str(s) + " has a negative dimension");
    if (__builtin_mul_overflow(n, d, &n)) size_overflow(where, "the element count of shape " + shape_str(s));
  }
  return n;
}

// The byte count of `n` elements of `item` bytes.
inline int64_t checked_bytes(int64_t n, size_t item, const std::string& where) {
  return checked_mul(n, int64_t(item), where);
}

}  // namespace mlxc
