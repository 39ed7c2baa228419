// Views over dense arrays: a shape, element strides (0 to broadcast,
// negative to reverse) and an element offset. Data-movement ops are a view
// plus one strided copy.
#pragma once
#include "../op.h"

namespace mlxc {

struct View {
  Shape shape, strides;
  int64_t offset = 0;
};

inline View full_view(const Array& a) { return {a.shape, row_strides(a.shape), 0}; }

// A new contiguous array holding the view's elements of `src`.
Array gather_view(const Array& src, const View& v);
// Writes contiguous `src` (of the view's shape) into `dst` through the view.
void scatter_view(Array& dst, const View& v, const Array& src);
// A contiguous copy of `a` broadcast to `shape`.
Array broadcast_copy(const Array& a, const Shape& shape);
// Element offsets of a view in row-major order of its shape.
void for_each_offset(const View& v, const std::function<void(int64_t out_index, int64_t offset)>& fn);

}  // namespace mlxc
