#include "layout.h"

#include <cstring>

#include "../parallel.h"

namespace mlxc {

namespace {

// One row of `inner` elements of E's size, `stride` elements apart in the
// view (0: a broadcast value), to or from a contiguous row. A memcpy of a
// constant size is one load and one store.
template <class E>
void copy_strided(uint8_t* view_row, int64_t stride, uint8_t* dense_row, int64_t inner, bool to_view) {
  constexpr size_t es = sizeof(E);
  const int64_t step = stride * int64_t(es);
  if (to_view) {
    for (int64_t i = 0; i < inner; i++) std::memcpy(view_row + i * step, dense_row + size_t(i) * es, es);
  } else if (stride == 0) {
    E v;
    std::memcpy(&v, view_row, es);
    for (int64_t i = 0; i < inner; i++) std::memcpy(dense_row + size_t(i) * es, &v, es);
  } else {
    for (int64_t i = 0; i < inner; i++) std::memcpy(dense_row + size_t(i) * es, view_row + i * step, es);
  }
}

// Copies elements between a view and a contiguous buffer, rows of the last
// dimension at a time; `to_view` picks the direction.
void copy_rows(uint8_t* view_base, const View& v, uint8_t* dense, size_t es, bool to_view) {
  const int64_t n = shape_size(v.shape);
  if (n == 0) return;
  const size_t nd = v.shape.size();
  const int64_t inner = nd ? v.shape[nd - 1] : 1, stride = nd ? v.strides[nd - 1] : 0;
  const int64_t rows = n / inner;
  parallel_for(rows, std::max<int64_t>(1, 65536 / inner), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; r++) {
      int64_t off = v.offset, rem = r;
      for (size_t d = nd - 1; nd && d-- > 0;) {
        off += (rem % v.shape[d]) * v.strides[d];
        rem /= v.shape[d];
      }
      uint8_t* row = view_base + off * int64_t(es);
      uint8_t* flat = dense + size_t(r * inner) * es;
      if (stride == 1) {
        to_view ? std::memcpy(row, flat, size_t(inner) * es) : std::memcpy(flat, row, size_t(inner) * es);
        continue;
      }
      switch (es) {
        case 1: copy_strided<uint8_t>(row, stride, flat, inner, to_view); break;
        case 2: copy_strided<uint16_t>(row, stride, flat, inner, to_view); break;
        case 4: copy_strided<uint32_t>(row, stride, flat, inner, to_view); break;
        case 8: copy_strided<uint64_t>(row, stride, flat, inner, to_view); break;
        default:
          for (int64_t i = 0; i < inner; i++) {
            uint8_t* e = row + i * stride * int64_t(es);
            to_view ? std::memcpy(e, flat + size_t(i) * es, es) : std::memcpy(flat + size_t(i) * es, e, es);
          }
      }
    }
  });
}

}  // namespace

Array gather_view(const Array& src, const View& v) {
  Array out(src.dtype, v.shape);
  copy_rows(static_cast<uint8_t*>(src.raw()), v, static_cast<uint8_t*>(out.raw()), dtype_size(src.dtype), false);
  return out;
}

void scatter_view(Array& dst, const View& v, const Array& src) {
  copy_rows(static_cast<uint8_t*>(dst.raw()), v, static_cast<uint8_t*>(src.raw()), dtype_size(dst.dtype), true);
}

Array broadcast_copy(const Array& a, const Shape& shape) {
  if (a.shape == shape) return a;
  View v{shape, Shape(shape.size(), 0), 0};
  Shape st = row_strides(a.shape);
  size_t off = shape.size() - a.shape.size();
  for (size_t i = 0; i < a.shape.size(); i++) v.strides[i + off] = a.shape[i] == 1 ? 0 : st[i];
  return gather_view(a, v);
}

void for_each_offset(const View& v, const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t n = shape_size(v.shape);
  const size_t nd = v.shape.size();
  std::vector<int64_t> idx(nd, 0);
  int64_t off = v.offset;
  for (int64_t i = 0; i < n; i++) {
    fn(i, off);
    for (size_t d = nd; d-- > 0;) {
      off += v.strides[d];
      if (++idx[d] < v.shape[d]) break;
      off -= v.strides[d] * v.shape[d];
      idx[d] = 0;
    }
  }
}

}  // namespace mlxc
