// Reductions, scans and softmax see an array as [outer, r, inner]: each of
// the outer*inner "lines" is r elements `inner` apart.
#pragma once
#include <limits>

#include "../op.h"

namespace mlxc {

struct Lines {
  Array a;  // contiguous, transposed when the axes were not one block
  int64_t outer = 1, r = 1, inner = 1;
  std::vector<int> perm;  // the transpose applied, empty when none
  int64_t count() const { return outer * inner; }
  int64_t base(int64_t line) const { return (line / inner) * r * inner + line % inner; }
};

// Identities of max and min: infinities for floats, the extremes for integers.
template <class U> constexpr U lowest() {
  if constexpr (std::is_floating_point_v<U>) return -std::numeric_limits<U>::infinity();
  else return std::numeric_limits<U>::lowest();
}
template <class U> constexpr U highest() {
  if constexpr (std::is_floating_point_v<U>) return std::numeric_limits<U>::infinity();
  else return std::numeric_limits<U>::max();
}

// Lines over `axes` (sorted, unique); an empty list means one line per element.
Lines make_lines(const Array& a, const std::vector<int>& axes);
// Undoes a Lines transpose on an array of the transposed shape.
Array untranspose(const Array& t, const Lines& l, const Shape& original);
Shape reduced_shape(const Shape& s, const std::vector<int>& axes, bool keepdims);
// Calls fn(line, base_offset) for every line, in parallel.
void for_each_line(const Lines& l, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace mlxc
