// Creation ops: arrays made from attributes alone (and full from a value).
#include <cmath>

#include "../parallel.h"
#include "elementwise.h"

namespace mlxc {

namespace {

template <class F> Array fill(DType d, const Shape& s, F value_at) {
  Array out(d, s);
  dispatch(d, [&](auto t) {
    using T = decltype(t);
    T* o = out.data<T>();
    parallel_for(out.size(), 65536, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; i++) o[i] = convert<T>(value_at(i));
    });
  });
  return out;
}

OpDef creation(const char* name, const char* rule, std::vector<AttrSpec> attrs) {
  OpDef d = make_op(name, "creation", rule, 0, 0, std::move(attrs));
  d.shapeless = false;
  return d;
}

AttrSpec dtype_attr(const char* def = "float32") { return {"dtype", AttrType::DTypeName, def}; }

// Matrix ops (eye, tri) share: n rows, m columns (m defaults to n), diagonal k.
Shape matrix_shape(const Attrs& a, const std::string& path) {
  int64_t n = a.i("n"), m = a.has("m") ? a.i("m") : n;
  if (n < 0 || m < 0) throw RequestError("invalid_shape", path, "n and m are non-negative");
  return {n, m};
}

}  // namespace

void register_creation_ops() {
  for (const char* name : {"zeros", "ones"}) {
    OpDef d = creation(name, "attr dtype", {{"shape", AttrType::ShapeList, nullptr, true}, dtype_attr()});
    d.infer = [](const InferCtx& c) { return std::vector<TypeShape>{{c.attrs.dtype("dtype"), c.attrs.ints("shape")}}; };
    const double v = name[0] == 'o' ? 1.0 : 0.0;
    d.eval = [v](const EvalCtx& c) {
      return std::vector<Array>{fill(c.out[0].dtype, c.out[0].shape, [v](int64_t) { return v; })};
    };
    register_op(std::move(d));
  }

  // full(shape, vals, dtype): vals broadcast to shape; dtype defaults to vals'.
  {
    OpDef d = creation("full", "attr dtype, else the value's", {{"shape", AttrType::ShapeList, nullptr, true}, {"dtype", AttrType::DTypeName, nullptr}});
    d.min_inputs = d.max_inputs = 1;
    d.infer = [](const InferCtx& c) {
      Shape s = c.attrs.ints("shape");
      if (broadcast_shapes({c.in[0].shape, s}, c.path + "/inputs/0") != s)
        throw RequestError("invalid_shape", c.path + "/inputs/0", "value of shape " + shape_str(c.in[0].shape) + " does not broadcast to " + shape_str(s));
      return std::vector<TypeShape>{{c.attrs.has("dtype") ? c.attrs.dtype("dtype") : c.in[0].dtype, s}};
    };
    d.eval = [](const EvalCtx& c) {
      const Array v = astype(c.in[0], c.out[0].dtype);
      const Shape& s = c.out[0].shape;
      Array out(c.out[0].dtype, s);
      const Shape vs = row_strides(v.shape), os = row_strides(s);
      const size_t off = s.size() - v.shape.size(), es = dtype_size(out.dtype);
      for (int64_t i = 0, n = out.size(); i < n; i++) {
        int64_t src = 0;
        for (size_t k = 0; k < v.shape.size(); k++)
          if (v.shape[k] != 1) src += (i / os[k + off]) % s[k + off] * vs[k];
        std::memcpy(static_cast<uint8_t*>(out.raw()) + size_t(i) * es, static_cast<const uint8_t*>(v.raw()) + size_t(src) * es, es);
      }
      return std::vector<Array>{out};
    };
    register_op(std::move(d));
  }

  // arange(start, stop, step): ceil((stop - start) / step) values.
  {
    OpDef d = creation("arange", "attr dtype", {{"start", AttrType::Float, 0}, {"stop", AttrType::Float, nullptr, true}, {"step", AttrType::Float, 1}, dtype_attr()});
    d.infer = [](const InferCtx& c) {
      double start = c.attrs.f("start"), stop = c.attrs.f("stop"), step = c.attrs.f("step");
      if (step == 0 || !std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step))
        throw RequestError("invalid_attr", c.attrs.path, "arange needs finite start and stop and a non-zero step");
      double n = std::ceil((stop - start) / step);
      if (n > 9.0e18) throw Refusal("resource_limit", "array", c.path, "arange of " + std::to_string(n) + " values");
      return std::vector<TypeShape>{{c.attrs.dtype("dtype"), {int64_t(std::max(0.0, n))}}};
    };
    // As MLX: in the output dtype T, from T(start) by steps of T(start + step) - T(start),
    // each value the last plus the step (so arange(0, 5, 1.5) as int32 is 0, 1, 2, 3, and
    // float32 values carry float32 rounding from one to the next).
    d.eval = [](const EvalCtx& c) {
      const double start = c.attrs.f("start"), step = c.attrs.f("step");
      Array out(c.out[0].dtype, c.out[0].shape);
      dispatch(out.dtype, [&](auto t) {
        using T = decltype(t);
        T* o = out.data<T>();
        const T first = convert<T>(start);
        const T by = T(convert<T>(start + step) - first);
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          // wrapping integer sums equal the running ones: computed in parallel
          parallel_for(out.size(), 65536, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; i++) o[i] = T(first + T(i) * by);
          });
        } else {
          T v = first;
          for (int64_t i = 0; i < out.size(); i++, v = T(v + by)) o[i] = v;
        }
      });
      return std::vector<Array>{out};
    };
    register_op(std::move(d));
  }

  {
    OpDef d = creation("linspace", "attr dtype", {{"start", AttrType::Float, nullptr, true}, {"stop", AttrType::Float, nullptr, true}, {"num", AttrType::Int, 50}, dtype_attr()});
    d.infer = [](const InferCtx& c) {
      if (c.attrs.i("num") < 0) throw RequestError("invalid_attr", c.attrs.at("num"), "num is non-negative");
      return std::vector<TypeShape>{{c.attrs.dtype("dtype"), {c.attrs.i("num")}}};
    };
    d.eval = [](const EvalCtx& c) {
      const double a = c.attrs.f("start"), b = c.attrs.f("stop");
      const int64_t n = c.attrs.i("num");
      // As MLX v0.31.2 computes it, rounding included: value i is start (1 - t) + stop t
      // for t = i / (num - 1), in float64 for float64 and in float32 for every other
      // dtype; a single value is start. The products are rounded before the sum (volatile:
      // no fused multiply-add, whatever the build's -march).
      if (c.out[0].dtype == DType::Float64)
        return std::vector<Array>{fill(c.out[0].dtype, c.out[0].shape, [=](int64_t i) {
          const double t = n > 1 ? double(i) / double(n - 1) : 0;
          volatile double lo = a * (1 - t), hi = b * t;
          return lo + hi;
        })};
      const float fa = float(a), fb = float(b);
      return std::vector<Array>{fill(c.out[0].dtype, c.out[0].shape, [=](int64_t i) {
        const float t = n > 1 ? float(i) / float(n - 1) : 0.0f;
        volatile float lo = fa * (1 - t), hi = fb * t;
        return double(lo + hi);
      })};
    };
    register_op(std::move(d));
  }

  {
    OpDef d = creation("eye", "attr dtype", {{"n", AttrType::Int, nullptr, true}, {"m", AttrType::Int, nullptr}, {"k", AttrType::Int, 0}, dtype_attr()});
    d.infer = [](const InferCtx& c) { return std::vector<TypeShape>{{c.attrs.dtype("dtype"), matrix_shape(c.attrs, c.attrs.path)}}; };
    d.eval = [](const EvalCtx& c) {
      int64_t m = c.out[0].shape[1], k = c.attrs.i("k");
      return std::vector<Array>{fill(c.out[0].dtype, c.out[0].shape, [=](int64_t i) { return double(i % m - i / m == k); })};
    };
    register_op(std::move(d));
  }
  {
    OpDef d = creation("identity", "attr dtype", {{"n", AttrType::Int, nullptr, true}, dtype_attr()});
    d.infer = [](const InferCtx& c) { return std::vector<TypeShape>{{c.attrs.dtype("dtype"), matrix_shape(c.attrs, c.attrs.path)}}; };
    d.eval = [](const EvalCtx& c) {
      int64_t m = c.out[0].shape[1];
      return std::vector<Array>{fill(c.out[0].dtype, c.out[0].shape, [=](int64_t i) { return double(i % m == i / m); })};
    };
    register_op(std::move(d));
  }
  {
    OpDef d = creation("tri", "attr dtype", {{"n", AttrType::Int, nullptr, true}, {"m", AttrType::Int, nullptr}, {"k", AttrType::Int, 0}, dtype_attr()});
    d.infer = [](const InferCtx& c) { return std::vector<TypeShape>{{c.attrs.dtype("dtype"), matrix_shape(c.attrs, c.attrs.path)}}; };
    d.eval = [](const EvalCtx& c) {
      int64_t m = c.out[0].shape[1], k = c.attrs.i("k");
      return std::vector<Array>{fill(c.out[0].dtype, c.out[0].shape, [=](int64_t i) { return double(i % m - i / m <= k); })};
    };
    register_op(std::move(d));
  }
}

}  // namespace mlxc
