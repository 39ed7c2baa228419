// Indexing: slice, slice_update, take, take_along_axis, put_along_axis, and
// as_strided (any view of the flattened array, checked to stay inside it).
#include <algorithm>

#include "../checked.h"
#include "layout.h"

namespace mlxc {

namespace {

using Outs = std::vector<TypeShape>;
using Arrs = std::vector<Array>;

// Python slice semantics per axis: negative start/stop count from the end,
// both are clamped, and a negative step walks backwards.
View slice_view(const Attrs& a, const Shape& shape) {
  const size_t nd = shape.size();
  auto start = a.ints("start"), stop = a.ints("stop");
  std::vector<int64_t> step = a.has("strides") ? a.ints("strides") : std::vector<int64_t>(nd, 1);
  if (start.size() != nd || stop.size() != nd || step.size() != nd)
    throw RequestError("invalid_attr", a.path, "start, stop and strides need one value per axis (" + std::to_string(nd) + ")");
  View v{Shape(nd), row_strides(shape), 0};
  for (size_t i = 0; i < nd; i++) {
    int64_t n = shape[i], s = step[i];
    if (s == 0) throw RequestError("invalid_attr", a.at("strides"), "a slice step cannot be 0");
    auto norm = [&](int64_t x, int64_t lo, int64_t hi) {
      if (x < 0) x += n;
      return std::clamp(x, lo, hi);
    };
    int64_t b = s > 0 ? norm(start[i], 0, n) : norm(start[i], -1, n - 1);
    int64_t e = s > 0 ? norm(stop[i], 0, n) : norm(stop[i], -1, n - 1);
    // |s| as unsigned: -INT64_MIN does not fit a signed step
    const uint64_t mag = s > 0 ? uint64_t(s) : uint64_t(0) - uint64_t(s);
    const int64_t span = s > 0 ? e - b : b - e;  // within [-1, n + 1]: no overflow
    const int64_t len = span > 0 ? int64_t(uint64_t(span - 1) / mag) + 1 : 0;
    v.shape[i] = len;
    if (len > 0) v.offset += b * v.strides[i];
    // a step only matters between two elements, and then |s| < n
    v.strides[i] = len > 1 ? v.strides[i] * s : 0;
  }
  return v;
}

std::vector<AttrSpec> slice_attrs() {
  return {{"start", AttrType::IntList, nullptr, true}, {"stop", AttrType::IntList, nullptr, true}, {"strides", AttrType::IntList, nullptr}};
}

void check_indices(const TypeShape& t, const std::string& path) {
  if (!is_integral(t.dtype)) throw RequestError("invalid_dtype", path, "indices must be integers, not " + std::string(dtype_name(t.dtype)));
}

// Reads indices as int64, wrapping negatives; out of range is a typed error.
std::vector<int64_t> read_indices(const Array& idx, int64_t n, const std::string& path) {
  std::vector<int64_t> out(size_t(idx.size()));
  dispatch(idx.dtype, [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      const T* p = idx.data<T>();
      for (size_t i = 0; i < out.size(); i++) {
        int64_t v = int64_t(p[i]);
        if constexpr (std::is_signed_v<T>) {
          if (v < 0) v += n;
        }
        if (v < 0 || v >= n)
          throw RequestError("index_out_of_range", path, "index " + std::to_string(int64_t(p[i])) + " is out of range for size " + std::to_string(n));
        out[i] = v;
      }
    }
  });
  return out;
}

// take_along_axis geometry: the output (and index) shape is the broadcast of
// `a` and the indices except at `axis`, where the indices' length rules.
Shape along_shape(const Shape& a, const Shape& idx, int axis, const std::string& path) {
  if (a.size() != idx.size()) throw RequestError("invalid_shape", path, "indices need the same rank as the array");
  Shape a2 = a, i2 = idx;
  a2[size_t(axis)] = 1;
  i2[size_t(axis)] = 1;
  Shape out = broadcast_shapes({a2, i2}, path);
  out[size_t(axis)] = idx[size_t(axis)];
  return out;
}

// Calls fn(out_flat, a_flat) for every position of the along-axis operation.
template <class F>
void along(const Shape& a_shape, const Shape& out_shape, int axis, const std::vector<int64_t>& idx, F fn) {
  Shape ast = row_strides(a_shape);
  View v{out_shape, Shape(out_shape.size(), 0), 0};
  for (size_t i = 0; i < out_shape.size(); i++)
    if (int(i) != axis && a_shape[i] != 1) v.strides[i] = ast[i];
  const int64_t astride = ast[size_t(axis)];
  for_each_offset(v, [&](int64_t i, int64_t off) { fn(i, off + idx[size_t(i)] * astride); });
}

// as_strided's view of the flattened input; every element it reads must lie
// inside the input (MLX does not check; a read outside would be undefined).
View strided_view(const Attrs& a, int64_t size) {
  View v{a.ints("shape"), a.ints("strides"), a.i("offset")};
  if (v.strides.size() != v.shape.size())
    throw RequestError("invalid_attr", a.at("strides"), "strides need one value per axis of shape (" + std::to_string(v.shape.size()) + ")");
  int64_t lo = v.offset, hi = v.offset;
  for (size_t i = 0; i < v.shape.size(); i++) {
    if (v.shape[i] == 0) return v;  // nothing is read
    const int64_t reach = checked_mul(v.shape[i] - 1, v.strides[i], a.at("strides"));
    (reach < 0 ? lo : hi) = checked_add(reach < 0 ? lo : hi, reach, a.at("strides"));
  }
  if (lo < 0 || hi >= size)
    throw RequestError("index_out_of_range", a.path, "the view reads elements " + std::to_string(lo) + " to " + std::to_string(hi) + " of an array of " + std::to_string(size));
  return v;
}

Array copy_of(const Array& a) {
  Array c(a.dtype, a.shape);
  std::memcpy(c.raw(), a.raw(), a.nbytes());
  return c;
}

}  // namespace

void register_indexing_ops() {
  {
    OpDef d = make_op("slice", "indexing", "same", 1, 1, slice_attrs());
    d.shapeless = false;
    d.infer = [](const InferCtx& c) { return Outs{{c.in[0].dtype, slice_view(c.attrs, c.in[0].shape).shape}}; };
    d.eval = [](const EvalCtx& c) { return Arrs{gather_view(c.in[0], slice_view(c.attrs, c.in[0].shape))}; };
    register_op(std::move(d));
  }
  {
    OpDef d = make_op("slice_update", "indexing", "same as the array; the update is cast", 2, 2, slice_attrs());
    d.shapeless = false;
    d.infer = [](const InferCtx& c) {
      View v = slice_view(c.attrs, c.in[0].shape);
      if (c.in[1].shape.size() > v.shape.size() || broadcast_shapes({c.in[1].shape, v.shape}, c.path + "/inputs/1") != v.shape)
        throw RequestError("invalid_shape", c.path + "/inputs/1", "update of shape " + shape_str(c.in[1].shape) + " does not broadcast to the slice " + shape_str(v.shape));
      return Outs{{c.in[0].dtype, c.in[0].shape}};
    };
    d.eval = [](const EvalCtx& c) {
      View v = slice_view(c.attrs, c.in[0].shape);
      Array out = copy_of(c.in[0]);
      scatter_view(out, v, broadcast_copy(astype(c.in[1], out.dtype), v.shape));
      return Arrs{out};
    };
    register_op(std::move(d));
  }
  {
    // take(a, indices, axis): with no axis, `a` is flattened first.
    OpDef d = make_op("take", "indexing", "same", 2, 2, {{"axis", AttrType::Int, nullptr}});
    d.infer = [](const InferCtx& c) {
      check_indices(c.in[1], c.path + "/inputs/1");
      const Shape& a = c.in[0].shape;
      const Shape& idx = c.in[1].shape;
      if (!c.attrs.has("axis")) return Outs{{c.in[0].dtype, idx}};
      int axis = norm_axis(c.attrs.i("axis"), int(a.size()), c.attrs.at("axis"));
      Shape out(a.begin(), a.begin() + axis);
      out.insert(out.end(), idx.begin(), idx.end());
      out.insert(out.end(), a.begin() + axis + 1, a.end());
      return Outs{{c.in[0].dtype, out}};
    };
    d.eval = [](const EvalCtx& c) {
      const Array& a = c.in[0];
      Shape as = c.attrs.has("axis") ? a.shape : Shape{a.size()};
      int axis = c.attrs.has("axis") ? norm_axis(c.attrs.i("axis"), a.ndim(), "") : 0;
      auto idx = read_indices(c.in[1], as[size_t(axis)], c.path + "/inputs/1");
      int64_t outer = 1, inner = 1;
      for (int i = 0; i < axis; i++) outer *= as[size_t(i)];
      for (size_t i = size_t(axis) + 1; i < as.size(); i++) inner *= as[i];
      Array out(a.dtype, c.out[0].shape);
      const size_t es = dtype_size(a.dtype), row = size_t(inner) * es;
      const uint8_t* src = static_cast<const uint8_t*>(a.raw());
      uint8_t* dst = static_cast<uint8_t*>(out.raw());
      const int64_t n = int64_t(idx.size());
      for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < n; k++)
          std::memcpy(dst + size_t(o * n + k) * row, src + size_t(o * as[size_t(axis)] + idx[size_t(k)]) * row, row);
      return Arrs{out};
    };
    register_op(std::move(d));
  }
  {
    OpDef d = make_op("take_along_axis", "indexing", "same", 2, 2, {{"axis", AttrType::Int, nullptr}});
    d.infer = [](const InferCtx& c) {
      check_indices(c.in[1], c.path + "/inputs/1");
      if (!c.attrs.has("axis")) {
        if (c.in[1].shape.size() != 1) throw RequestError("invalid_shape", c.path + "/inputs/1", "with no axis, indices are 1-d");
        return Outs{{c.in[0].dtype, c.in[1].shape}};
      }
      int axis = norm_axis(c.attrs.i("axis"), int(c.in[0].shape.size()), c.attrs.at("axis"));
      return Outs{{c.in[0].dtype, along_shape(c.in[0].shape, c.in[1].shape, axis, c.path + "/inputs/1")}};
    };
    d.eval = [](const EvalCtx& c) {
      const Array& a = c.in[0];
      Shape as = c.attrs.has("axis") ? a.shape : Shape{a.size()};
      int axis = c.attrs.has("axis") ? norm_axis(c.attrs.i("axis"), a.ndim(), "") : 0;
      Array idx_b = broadcast_copy(c.in[1], c.out[0].shape);
      auto idx = read_indices(idx_b, as[size_t(axis)], c.path + "/inputs/1");
      Array out(a.dtype, c.out[0].shape);
      const size_t es = dtype_size(a.dtype);
      along(as, c.out[0].shape, axis, idx, [&](int64_t o, int64_t src) {
        std::memcpy(static_cast<uint8_t*>(out.raw()) + size_t(o) * es, static_cast<const uint8_t*>(a.raw()) + size_t(src) * es, es);
      });
      return Arrs{out};
    };
    register_op(std::move(d));
  }
  {
    // put_along_axis(a, indices, values, axis, reduce): a copy of `a` with the
    // values written ("none"), or combined into what is there, so repeated
    // indices accumulate (the scatter behind MLX's a.at[...].add and friends).
    OpDef d = make_op("put_along_axis", "indexing", "same as the array; values are cast", 3, 3,
                      {{"axis", AttrType::Int, nullptr, true}, {"reduce", AttrType::Enum, "none", false, false, {"none", "add", "prod", "max", "min"}}});
    d.infer = [](const InferCtx& c) {
      check_indices(c.in[1], c.path + "/inputs/1");
      int axis = norm_axis(c.attrs.i("axis"), int(c.in[0].shape.size()), c.attrs.at("axis"));
      Shape s = along_shape(c.in[0].shape, c.in[1].shape, axis, c.path + "/inputs/1");
      if (broadcast_shapes({c.in[2].shape, s}, c.path + "/inputs/2") != s)
        throw RequestError("invalid_shape", c.path + "/inputs/2", "values do not broadcast to " + shape_str(s));
      if (c.attrs.str("reduce") != "none" && c.in[0].dtype == DType::Complex64 && c.attrs.str("reduce") != "add")
        refuse_dtype("put_along_axis", DType::Complex64, c.path);
      return Outs{{c.in[0].dtype, c.in[0].shape}};
    };
    d.eval = [](const EvalCtx& c) {
      const Array& a = c.in[0];
      int axis = norm_axis(c.attrs.i("axis"), a.ndim(), "");
      Shape s = along_shape(a.shape, c.in[1].shape, axis, "");
      auto idx = read_indices(broadcast_copy(c.in[1], s), a.shape[size_t(axis)], c.path + "/inputs/1");
      Array vals = broadcast_copy(astype(c.in[2], a.dtype), s);
      Array out = copy_of(a);
      const std::string reduce = c.attrs.str("reduce");
      dispatch(a.dtype, [&](auto t) {
        using T = decltype(t);
        T* o = out.data<T>();
        const T* v = vals.data<T>();
        along(a.shape, s, axis, idx, [&](int64_t i, int64_t dst) {
          if (reduce == "none") {
            o[dst] = v[i];
          } else if constexpr (std::is_same_v<T, bool>) {
            o[dst] = reduce == "add" || reduce == "max" ? (o[dst] || v[i]) : (o[dst] && v[i]);
          } else {
            using U = acc_t<T>;
            U x = U(o[dst]), y = U(v[i]);
            if (reduce == "add") o[dst] = T(x + y);
            else if (reduce == "prod") o[dst] = T(x * y);
            else if constexpr (!is_complex_v<T>) o[dst] = T(reduce == "max" ? (y > x ? y : x) : (y < x ? y : x));
          }
        });
      });
      return Arrs{out};
    };
    register_op(std::move(d));
  }
  {
    OpDef d = make_op("as_strided", "indexing", "same", 1, 1, {{"shape", AttrType::ShapeList, nullptr, true}, {"strides", AttrType::IntList, nullptr, true}, {"offset", AttrType::Int, 0}});
    d.shapeless = false;
    d.infer = [](const InferCtx& c) { return Outs{{c.in[0].dtype, strided_view(c.attrs, shape_size(c.in[0].shape)).shape}}; };
    d.eval = [](const EvalCtx& c) {
      Array flat = c.in[0];
      flat.shape = {flat.size()};
      return Arrs{gather_view(flat, strided_view(c.attrs, flat.size()))};
    };
    register_op(std::move(d));
  }
}

}  // namespace mlxc
