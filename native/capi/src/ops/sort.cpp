// Sorting along an axis: sort, argsort (uint32), topk, and partition and
// argpartition (the kth element in place, none larger before it, none
// smaller after). NaN sorts last.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "lines.h"

namespace mlxc {

namespace {

template <class U> bool less_nan_last(U a, U b) {
  if constexpr (std::is_floating_point_v<U>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

// The stable ascending order of each line, as indices within the line; with
// kth >= 0, only partitioned around position kth.
template <class F>
void sorted_lines(const Array& a, int axis, F emit, int64_t kth = -1) {
  Lines l = make_lines(a, {axis});
  dispatch(a.dtype, [&](auto t) {
    using T = decltype(t);
    if constexpr (!is_complex_v<T>) {
      using U = acc_t<T>;
      const T* x = a.data<T>();
      for_each_line(l, [&](int64_t, int64_t base) {
        std::vector<uint32_t> idx(size_t(l.r));
        std::iota(idx.begin(), idx.end(), 0u);
        auto less = [&](uint32_t i, uint32_t j) { return less_nan_last(U(x[base + i * l.inner]), U(x[base + j * l.inner])); };
        if (kth < 0) std::stable_sort(idx.begin(), idx.end(), less);
        else std::nth_element(idx.begin(), idx.begin() + kth, idx.end(), less);
        emit(l, base, idx);
      });
    }
  });
}

struct AxisPlan {
  Array a;
  int axis;
};

// With no axis the array is flattened, as in MLX.
AxisPlan axis_plan(const Array& in, const Attrs& at) {
  if (!at.has("axis")) {
    Array f = in;
    f.shape = {in.size()};
    return {f, 0};
  }
  return {in, norm_axis(at.i("axis"), in.ndim(), "")};
}

Shape sort_shape(const char* op, const InferCtx& c) {
  if (c.in[0].dtype == DType::Complex64) refuse_dtype(op, DType::Complex64, c.path);
  if (!c.attrs.has("axis")) return {shape_size(c.in[0].shape)};
  norm_axis(c.attrs.i("axis"), int(c.in[0].shape.size()), c.attrs.at("axis"));
  return c.in[0].shape;
}

}  // namespace

void register_sort_ops() {
  for (bool arg : {false, true}) {
    OpDef d = make_op(arg ? "argsort" : "sort", "sort", arg ? "uint32" : "same", 1, 1, {{"axis", AttrType::Int, -1, false, true}});
    d.infer = [arg](const InferCtx& c) {
      return std::vector<TypeShape>{{arg ? DType::UInt32 : c.in[0].dtype, sort_shape(arg ? "argsort" : "sort", c)}};
    };
    d.eval = [arg](const EvalCtx& c) {
      AxisPlan p = axis_plan(c.in[0], c.attrs);
      Array out(c.out[0].dtype, c.out[0].shape);
      const size_t es = dtype_size(out.dtype);
      sorted_lines(p.a, p.axis, [&](const Lines& l, int64_t base, const std::vector<uint32_t>& idx) {
        for (int64_t r = 0; r < l.r; r++) {
          const int64_t dst = base + r * l.inner;
          if (arg) out.data<uint32_t>()[dst] = idx[size_t(r)];
          else std::memcpy(static_cast<uint8_t*>(out.raw()) + size_t(dst) * es, static_cast<const uint8_t*>(p.a.raw()) + size_t(base + idx[size_t(r)] * l.inner) * es, es);
        }
      });
      return std::vector<Array>{out};
    };
    register_op(std::move(d));
  }
  for (bool arg : {false, true}) {
    const char* name = arg ? "argpartition" : "partition";
    OpDef d = make_op(name, "sort", arg ? "uint32" : "same", 1, 1, {{"kth", AttrType::Int, nullptr, true}, {"axis", AttrType::Int, -1, false, true}});
    d.infer = [arg, name](const InferCtx& c) {
      Shape s = sort_shape(name, c);
      const int64_t n = c.attrs.has("axis") ? s[size_t(norm_axis(c.attrs.i("axis"), int(s.size()), ""))] : s[0];
      const int64_t kth = c.attrs.i("kth");
      if (kth < -n || kth >= n)
        throw RequestError("invalid_attr", c.attrs.at("kth"), "kth=" + std::to_string(kth) + " is outside [" + std::to_string(-n) + ", " + std::to_string(n) + ") for an axis of size " + std::to_string(n));
      return std::vector<TypeShape>{{arg ? DType::UInt32 : c.in[0].dtype, s}};
    };
    d.eval = [arg](const EvalCtx& c) {
      AxisPlan p = axis_plan(c.in[0], c.attrs);
      Array out(c.out[0].dtype, c.out[0].shape);
      if (out.size() == 0) return std::vector<Array>{out};
      const int64_t n = p.a.shape[size_t(p.axis)], kth = c.attrs.i("kth") < 0 ? c.attrs.i("kth") + n : c.attrs.i("kth");
      const size_t es = dtype_size(out.dtype);
      sorted_lines(p.a, p.axis, [&](const Lines& l, int64_t base, const std::vector<uint32_t>& idx) {
        for (int64_t r = 0; r < l.r; r++) {
          const int64_t dst = base + r * l.inner;
          if (arg) out.data<uint32_t>()[dst] = idx[size_t(r)];
          else std::memcpy(static_cast<uint8_t*>(out.raw()) + size_t(dst) * es, static_cast<const uint8_t*>(p.a.raw()) + size_t(base + idx[size_t(r)] * l.inner) * es, es);
        }
      }, kth);
      return std::vector<Array>{out};
    };
    register_op(std::move(d));
  }
  {
    // topk: the k largest along the axis, in ascending order.
    OpDef d = make_op("topk", "sort", "same", 1, 1, {{"k", AttrType::Int, nullptr, true}, {"axis", AttrType::Int, -1, false, true}});
    d.infer = [](const InferCtx& c) {
      Shape s = sort_shape("topk", c);
      int axis = c.attrs.has("axis") ? norm_axis(c.attrs.i("axis"), int(s.size()), "") : 0;
      int64_t k = c.attrs.i("k");
      if (k < 0 || k > s[size_t(axis)])
        throw RequestError("invalid_attr", c.attrs.at("k"), "k=" + std::to_string(k) + " is outside [0, " + std::to_string(s[size_t(axis)]) + "]");
      s[size_t(axis)] = k;
      return std::vector<TypeShape>{{c.in[0].dtype, s}};
    };
    d.eval = [](const EvalCtx& c) {
      AxisPlan p = axis_plan(c.in[0], c.attrs);
      const int64_t k = c.attrs.i("k");
      Array out(c.out[0].dtype, c.out[0].shape);
      // nothing to pick (k = 0, or an empty axis): the line arithmetic below divides by the line length
      if (k == 0 || shape_size(c.out[0].shape) == 0) return std::vector<Array>{out};
      const size_t es = dtype_size(out.dtype);
      sorted_lines(p.a, p.axis, [&](const Lines& l, int64_t base, const std::vector<uint32_t>& idx) {
        // Line base offsets map from r-long lines to k-long ones.
        const int64_t o = base / (l.r * l.inner), j = base % l.inner;
        for (int64_t r = 0; r < k; r++) {
          const int64_t dst = (o * k + r) * l.inner + j;
          std::memcpy(static_cast<uint8_t*>(out.raw()) + size_t(dst) * es,
                      static_cast<const uint8_t*>(p.a.raw()) + size_t(base + idx[size_t(l.r - k + r)] * l.inner) * es, es);
        }
      });
      return std::vector<Array>{out};
    };
    register_op(std::move(d));
  }
}

}  // namespace mlxc
