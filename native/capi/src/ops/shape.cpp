// Shape and data-movement ops: reshape, transpose, squeeze, expand_dims,
// broadcast_to, flatten, concatenate, stack, split, tile, repeat, pad,
// contiguous, and view (the same bytes read as another dtype).
#include <algorithm>

#include "../checked.h"
#include "layout.h"

namespace mlxc {

namespace {

using Outs = std::vector<TypeShape>;
using Arrs = std::vector<Array>;

constexpr int64_t kMaxParts = 1 << 20;  // outputs of one split

// Same data, new shape: no copy.
Array with_shape(const Array& a, Shape s) {
  Array r = a;
  r.shape = std::move(s);
  return r;
}

Shape reshape_shape(const Shape& in, const std::vector<int64_t>& want, const std::string& path) {
  Shape s(want.begin(), want.end());
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == -1) {
      if (infer >= 0) throw RequestError("invalid_shape", path, "only one dimension can be -1");
      infer = int(i);
    } else if (s[i] < 0) {
      throw RequestError("invalid_shape", path, "dimension " + std::to_string(s[i]) + " is negative");
    } else {
      known = checked_mul(known, s[i], path);
    }
  }
  int64_t total = shape_size(in);
  if (infer >= 0) {
    if (known == 0 || total % known != 0)
      throw RequestError("invalid_shape", path, "cannot reshape " + shape_str(in) + " to " + shape_str(s));
    s[size_t(infer)] = total / known;
  }
  if (shape_size(s) != total) throw RequestError("invalid_shape", path, "cannot reshape " + shape_str(in) + " to " + shape_str(s));
  return s;
}

std::vector<int> permutation(const Attrs& a, int nd) {
  std::vector<int> p(static_cast<size_t>(nd));
  if (!a.has("axes")) {
    for (int i = 0; i < nd; i++) p[size_t(i)] = nd - 1 - i;
    return p;
  }
  auto axes = a.ints("axes");
  if (int(axes.size()) != nd) throw RequestError("invalid_axis", a.at("axes"), "transpose needs " + std::to_string(nd) + " axes");
  std::vector<bool> seen(size_t(nd), false);
  for (size_t i = 0; i < axes.size(); i++) {
    int ax = norm_axis(axes[i], nd, a.at("axes"));
    if (seen[size_t(ax)]) throw RequestError("invalid_axis", a.at("axes"), "axes repeat " + std::to_string(ax));
    seen[size_t(ax)] = true;
    p[i] = ax;
  }
  return p;
}

Array transpose(const Array& a, const std::vector<int>& perm) {
  View v{Shape(perm.size()), Shape(perm.size()), 0};
  Shape st = row_strides(a.shape);
  for (size_t i = 0; i < perm.size(); i++) {
    v.shape[i] = a.shape[size_t(perm[i])];
    v.strides[i] = st[size_t(perm[i])];
  }
  return gather_view(a, v);
}

// Writes each input into its slab of the output along `axis`.
Array concat(const std::vector<Array>& ins, int axis, DType d, const Shape& out_shape) {
  Array out(d, out_shape);
  Shape st = row_strides(out_shape);
  int64_t at = 0;
  for (const Array& a : ins) {
    View v{a.shape, st, at * st[size_t(axis)]};
    scatter_view(out, v, astype(a, d));
    at += a.shape[size_t(axis)];
  }
  return out;
}

// concatenate joins along an existing axis; stack along a new one.
Outs concat_infer(const InferCtx& c, bool stacking) {
  DType d = c.in[0].dtype;
  for (auto& t : c.in) d = promote(d, t.dtype);
  const Shape& first = c.in[0].shape;
  int nd = int(first.size()) + (stacking ? 1 : 0);
  int axis = norm_axis(c.attrs.i("axis"), nd, c.attrs.at("axis"));
  Shape out = first;
  if (stacking) out.insert(out.begin() + axis, int64_t(c.in.size()));
  for (size_t k = 1; k < c.in.size(); k++) {
    const Shape& s = c.in[k].shape;
    bool ok = s.size() == first.size();
    for (size_t i = 0; ok && i < s.size(); i++) ok = (!stacking && int(i) == axis) || s[i] == first[i];
    if (!ok)
      throw RequestError("invalid_shape", c.path + "/inputs/" + std::to_string(k),
                         "shape " + shape_str(s) + " does not match " + shape_str(first) + (stacking ? "" : " outside the concatenation axis"));
    if (!stacking) out[size_t(axis)] = checked_add(out[size_t(axis)], s[size_t(axis)], c.path + "/inputs/" + std::to_string(k));
  }
  return {{d, out}};
}

}  // namespace

void register_shape_ops() {
  {
    OpDef d = make_op("reshape", "shape", "same", 1, 1, {{"shape", AttrType::IntList, nullptr, true}});
    d.shapeless = false;
    d.infer = [](const InferCtx& c) { return Outs{{c.in[0].dtype, reshape_shape(c.in[0].shape, c.attrs.ints("shape"), c.attrs.at("shape"))}}; };
    d.eval = [](const EvalCtx& c) { return Arrs{with_shape(c.in[0], c.out[0].shape)}; };
    register_op(std::move(d));
  }
  {
    OpDef d = make_op("flatten", "shape", "same", 1, 1, {{"start_axis", AttrType::Int, 0}, {"end_axis", AttrType::Int, -1}});
    d.infer = [](const InferCtx& c) {
      const Shape& s = c.in[0].shape;
      if (s.empty()) return Outs{{c.in[0].dtype, {1}}};
      int nd = int(s.size());
      int a = norm_axis(c.attrs.i("start_axis"), nd, c.attrs.at("start_axis"));
      int b = norm_axis(c.attrs.i("end_axis"), nd, c.attrs.at("end_axis"));
      if (a > b) throw RequestError("invalid_axis", c.attrs.path, "start_axis is after end_axis");
      Shape out(s.begin(), s.begin() + a);
      out.push_back(checked_size(Shape(s.begin() + a, s.begin() + b + 1), c.path));
      out.insert(out.end(), s.begin() + b + 1, s.end());
      return Outs{{c.in[0].dtype, out}};
    };
    d.eval = [](const EvalCtx& c) { return Arrs{with_shape(c.in[0], c.out[0].shape)}; };
    register_op(std::move(d));
  }
  {
    OpDef d = make_op("squeeze", "shape", "same", 1, 1, {{"axes", AttrType::Axes, nullptr}});
    d.infer = [](const InferCtx& c) {
      const Shape& s = c.in[0].shape;
      std::vector<bool> drop(s.size(), false);
      if (c.attrs.has("axes")) {
        for (int ax : norm_axes(c.attrs, "axes", int(s.size()))) {
          if (s[size_t(ax)] != 1)
            throw RequestError("invalid_axis", c.attrs.at("axes"), "cannot squeeze axis " + std::to_string(ax) + " of size " + std::to_string(s[size_t(ax)]));
          drop[size_t(ax)] = true;
        }
      } else {
        for (size_t i = 0; i < s.size(); i++) drop[i] = s[i] == 1;
      }
      Shape out;
      for (size_t i = 0; i < s.size(); i++)
        if (!drop[i]) out.push_back(s[i]);
      return Outs{{c.in[0].dtype, out}};
    };
    d.eval = [](const EvalCtx& c) { return Arrs{with_shape(c.in[0], c.out[0].shape)}; };
    register_op(std::move(d));
  }
  {
    OpDef d = make_op("expand_dims", "shape", "same", 1, 1, {{"axes", AttrType::IntOrList, nullptr, true}});
    d.infer = [](const InferCtx& c) {
      auto axes = c.attrs.ints("axes");
      int nd = int(c.in[0].shape.size() + axes.size());
      std::vector<bool> is_new(size_t(nd), false);
      for (auto ax : axes) {
        int a = norm_axis(ax, nd, c.attrs.at("axes"));
        if (is_new[size_t(a)]) throw RequestError("invalid_axis", c.attrs.at("axes"), "axes contain a duplicate");
        is_new[size_t(a)] = true;
      }
      Shape out;
      size_t k = 0;
      for (int i = 0; i < nd; i++) out.push_back(is_new[size_t(i)] ? 1 : c.in[0].shape[k++]);
      return Outs{{c.in[0].dtype, out}};
    };
    d.eval = [](const EvalCtx& c) { return Arrs{with_shape(c.in[0], c.out[0].shape)}; };
    register_op(std::move(d));
  }
  {
    OpDef d = make_op("transpose", "shape", "same", 1, 1, {{"axes", AttrType::IntList, nullptr}});
    d.infer = [](const InferCtx& c) {
      auto p = permutation(c.attrs, int(c.in[0].shape.size()));
      Shape out;
      for (int ax : p) out.push_back(c.in[0].shape[size_t(ax)]);
      return Outs{{c.in[0].dtype, out}};
    };
    d.eval = [](const EvalCtx& c) { return Arrs{transpose(c.in[0], permutation(c.attrs, c.in[0].ndim()))}; };
    d.swaps_last_two = [](const Attrs& a, int nd) {
      if (nd < 2) return false;
      auto p = permutation(a, nd);
      for (int i = 0; i < nd - 2; i++)
        if (p[size_t(i)] != i) return false;
      return p[size_t(nd - 2)] == nd - 1 && p[size_t(nd - 1)] == nd - 2;
    };
    register_op(std::move(d));
  }
  {
    OpDef d = make_op("broadcast_to", "shape", "same", 1, 1, {{"shape", AttrType::ShapeList, nullptr, true}});
    d.shapeless = false;
    d.infer = [](const InferCtx& c) {
      Shape s = c.attrs.ints("shape");
      if (c.in[0].shape.size() > s.size() || broadcast_shapes({c.in[0].shape, s}, c.attrs.at("shape")) != s)
        throw RequestError("invalid_shape", c.attrs.at("shape"), "cannot broadcast " + shape_str(c.in[0].shape) + " to " + shape_str(s));
      return Outs{{c.in[0].dtype, s}};
    };
    d.eval = [](const EvalCtx& c) { return Arrs{broadcast_copy(c.in[0], c.out[0].shape)}; };
    register_op(std::move(d));
  }
  {
    OpDef d = make_op("concatenate", "shape", "promote", 1, -1, {{"axis", AttrType::Int, 0}});
    d.infer = [](const InferCtx& c) { return concat_infer(c, false); };
    d.eval = [](const EvalCtx& c) {
      int axis = norm_axis(c.attrs.i("axis"), c.in[0].ndim(), "");
      return Arrs{concat(c.in, axis, c.out[0].dtype, c.out[0].shape)};
    };
    register_op(std::move(d));
  }
  {
    OpDef d = make_op("stack", "shape", "promote", 1, -1, {{"axis", AttrType::Int, 0}});
    d.infer = [](const InferCtx& c) { return concat_infer(c, true); };
    d.eval = [](const EvalCtx& c) {
      int axis = norm_axis(c.attrs.i("axis"), c.in[0].ndim() + 1, "");
      std::vector<Array> expanded;
      for (const Array& a : c.in) {
        Shape s = a.shape;
        s.insert(s.begin() + axis, 1);
        expanded.push_back(with_shape(a, s));
      }
      return Arrs{concat(expanded, axis, c.out[0].dtype, c.out[0].shape)};
    };
    register_op(std::move(d));
  }
  {
    // split(indices_or_sections, axis): an int is a count of equal parts, a
    // list the indices to cut before.
    OpDef d = make_op("split", "shape", "same", 1, 1, {{"indices_or_sections", AttrType::IntOrList, nullptr, true}, {"axis", AttrType::Int, 0}});
    d.shapeless = false;  // indices fix the parts' sizes
    auto bounds = [](const Attrs& a, const Shape& s, int* axis_out) {
      int axis = norm_axis(a.i("axis"), int(s.size()), a.at("axis"));
      *axis_out = axis;
      int64_t len = s[size_t(axis)];
      std::vector<int64_t> cuts;
      if (a.values["indices_or_sections"].is_number_integer()) {
        int64_t k = a.i("indices_or_sections");
        if (k <= 0 || len % k != 0)
          throw RequestError("invalid_attr", a.at("indices_or_sections"), "cannot split " + std::to_string(len) + " into " + std::to_string(k) + " equal parts");
        // each part is a value of the graph (an empty axis splits into any number)
        if (k > kMaxParts)
          throw Refusal("resource_limit", "node", a.at("indices_or_sections"), "split into " + std::to_string(k) + " parts exceeds " + std::to_string(kMaxParts));
        for (int64_t i = 1; i < k; i++) cuts.push_back(i * (len / k));
      } else {
        for (auto v : a.ints("indices_or_sections")) cuts.push_back(std::clamp<int64_t>(v < 0 ? v + len : v, 0, len));
      }
      std::vector<std::pair<int64_t, int64_t>> parts;
      int64_t start = 0;
      for (auto cut : cuts) {
        parts.push_back({start, std::max(start, cut)});
        start = std::max(start, cut);
      }
      parts.push_back({start, len});
      return parts;
    };
    d.infer = [bounds](const InferCtx& c) {
      if (c.in[0].shape.empty()) throw RequestError("invalid_shape", c.path + "/inputs/0", "cannot split a 0-d array");
      int axis;
      Outs outs;
      for (auto [b, e] : bounds(c.attrs, c.in[0].shape, &axis)) {
        Shape s = c.in[0].shape;
        s[size_t(axis)] = e - b;
        outs.push_back({c.in[0].dtype, s});
      }
      return outs;
    };
    d.eval = [bounds](const EvalCtx& c) {
      int axis;
      Arrs outs;
      Shape st = row_strides(c.in[0].shape);
      for (auto [b, e] : bounds(c.attrs, c.in[0].shape, &axis)) {
        View v = full_view(c.in[0]);
        v.shape[size_t(axis)] = e - b;
        v.offset = b * st[size_t(axis)];
        outs.push_back(gather_view(c.in[0], v));
      }
      return outs;
    };
    register_op(std::move(d));
  }
  {
    // tile: a view of shape [r0, s0, r1, s1, ...] with zero strides on the reps.
    OpDef d = make_op("tile", "shape", "same", 1, 1, {{"reps", AttrType::IntOrList, nullptr, true}});
    auto plan = [](const Shape& in, std::vector<int64_t> reps, View* v, Shape* out, const std::string& where) {
      size_t nd = std::max(in.size(), reps.size());
      Shape s(nd - in.size(), 1);
      s.insert(s.end(), in.begin(), in.end());
      reps.insert(reps.begin(), nd - reps.size(), 1);
      Shape st = row_strides(s);
      for (size_t i = 0; i < nd; i++) {
        v->shape.insert(v->shape.end(), {reps[i], s[i]});
        v->strides.insert(v->strides.end(), {0, st[i]});
        out->push_back(checked_mul(reps[i], s[i], where));
      }
    };
    d.infer = [plan](const InferCtx& c) {
      for (auto r : c.attrs.ints("reps"))
        if (r < 0) throw RequestError("invalid_attr", c.attrs.at("reps"), "reps are non-negative");
      View v;
      Shape out;
      plan(c.in[0].shape, c.attrs.ints("reps"), &v, &out, c.attrs.at("reps"));
      return Outs{{c.in[0].dtype, out}};
    };
    d.eval = [plan](const EvalCtx& c) {
      View v;
      Shape out;
      plan(c.in[0].shape, c.attrs.ints("reps"), &v, &out, c.attrs.at("reps"));
      return Arrs{with_shape(gather_view(c.in[0], v), out)};
    };
    register_op(std::move(d));
  }
  {
    // repeat: each element `repeats` times along axis (flattened when axis is absent).
    OpDef d = make_op("repeat", "shape", "same", 1, 1, {{"repeats", AttrType::Int, nullptr, true}, {"axis", AttrType::Int, nullptr}});
    auto plan = [](const Attrs& a, const Shape& in, View* v, Shape* out) {
      Shape s = a.has("axis") ? in : Shape{shape_size(in)};
      int axis = a.has("axis") ? norm_axis(a.i("axis"), int(in.size()), a.at("axis")) : 0;
      if (s.empty()) s = {1};
      int64_t r = a.i("repeats");
      if (r < 0) throw RequestError("invalid_attr", a.at("repeats"), "repeats is non-negative");
      Shape st = row_strides(s);
      v->shape = s;
      v->strides = st;
      v->shape.insert(v->shape.begin() + axis + 1, r);
      v->strides.insert(v->strides.begin() + axis + 1, 0);
      *out = s;
      (*out)[size_t(axis)] = checked_mul((*out)[size_t(axis)], r, a.at("repeats"));
      if (r == 0) *out = Shape{0};  // MLX gives a flat empty array for no repeats, whatever the axis
    };
    d.infer = [plan](const InferCtx& c) {
      View v;
      Shape out;
      plan(c.attrs, c.in[0].shape, &v, &out);
      return Outs{{c.in[0].dtype, out}};
    };
    d.eval = [plan](const EvalCtx& c) {
      View v;
      Shape out;
      plan(c.attrs, c.in[0].shape, &v, &out);
      return Arrs{with_shape(gather_view(c.in[0], v), out)};
    };
    register_op(std::move(d));
  }
  {
    // pad with a constant; pad_width is [p] (all sides), [before, after] (every
    // axis) or 2*ndim values, axis by axis.
    OpDef d = make_op("pad", "shape", "same", 1, 1, {{"pad_width", AttrType::IntList, nullptr, true}, {"value", AttrType::Scalar, 0}});
    auto widths = [](const Attrs& a, int nd) {
      auto w = a.ints("pad_width");
      std::vector<int64_t> out;
      for (int i = 0; i < nd; i++) {
        if (w.size() == 1) out.insert(out.end(), {w[0], w[0]});
        else if (w.size() == 2) out.insert(out.end(), {w[0], w[1]});
        else if (w.size() == size_t(2 * nd)) out.insert(out.end(), {w[size_t(2 * i)], w[size_t(2 * i + 1)]});
        else throw RequestError("invalid_attr", a.at("pad_width"), "pad_width has 1, 2 or 2*ndim values");
      }
      for (auto x : out)
        if (x < 0) throw RequestError("invalid_attr", a.at("pad_width"), "pad widths are non-negative");
      return out;
    };
    d.infer = [widths](const InferCtx& c) {
      Shape s = c.in[0].shape;
      auto w = widths(c.attrs, int(s.size()));
      for (size_t i = 0; i < s.size(); i++)
        s[i] = checked_add(checked_add(s[i], w[2 * i], c.attrs.at("pad_width")), w[2 * i + 1], c.attrs.at("pad_width"));
      return Outs{{c.in[0].dtype, s}};
    };
    d.eval = [widths](const EvalCtx& c) {
      const Array& a = c.in[0];
      Array out(a.dtype, c.out[0].shape);
      const double value = c.attrs.f("value");
      dispatch(a.dtype, [&](auto t) {
        using T = decltype(t);
        std::fill(out.data<T>(), out.data<T>() + out.size(), convert<T>(value));
      });
      auto w = widths(c.attrs, a.ndim());
      Shape st = row_strides(out.shape);
      View v{a.shape, st, 0};
      for (size_t i = 0; i < a.shape.size(); i++) v.offset += w[2 * i] * st[i];
      scatter_view(out, v, a);
      return Arrs{out};
    };
    register_op(std::move(d));
  }
  {
    // Every engine array is dense and row-major already: the input as it is.
    OpDef d = make_op("contiguous", "shape", "same", 1, 1, {{"allow_col_major", AttrType::Bool, false}});
    d.infer = [](const InferCtx& c) { return Outs{{c.in[0].dtype, c.in[0].shape}}; };
    d.eval = [](const EvalCtx& c) { return Arrs{c.in[0]}; };
    register_op(std::move(d));
  }
  {
    // view(a, dtype): the last axis scales by the ratio of item sizes, as in MLX.
    OpDef d = make_op("view", "shape", "the requested dtype", 1, 1, {{"dtype", AttrType::DTypeName, nullptr, true}});
    d.infer = [](const InferCtx& c) {
      const DType to = c.attrs.dtype("dtype");
      Shape s = c.in[0].shape;
      const int64_t ib = int64_t(dtype_size(c.in[0].dtype)), ob = int64_t(dtype_size(to));
      if (ib == ob) return Outs{{to, s}};
      if (s.empty())
        throw RequestError("invalid_shape", c.attrs.at("dtype"), std::string("a scalar can only be viewed as a dtype of its item size (") + dtype_name(c.in[0].dtype) + " as " + dtype_name(to) + ")");
      if (ib < ob) {
        if (s.back() * ib % ob != 0)
          throw RequestError("invalid_shape", c.attrs.at("dtype"), "the last axis (" + std::to_string(s.back()) + " x " + std::to_string(ib) + " bytes) is not a multiple of " + dtype_name(to) + "'s " + std::to_string(ob) + " bytes");
        s.back() = s.back() * ib / ob;
      } else {
        s.back() = checked_mul(s.back(), ib / ob, c.attrs.at("dtype"));
      }
      return Outs{{to, s}};
    };
    d.eval = [](const EvalCtx& c) {
      Array out(c.out[0].dtype, c.out[0].shape);
      std::memcpy(out.raw(), c.in[0].raw(), out.nbytes());
      // the engine's bools are the bytes 0 and 1: any other byte reads as true
      if (out.dtype == DType::Bool && c.in[0].dtype != DType::Bool)
        for (int64_t i = 0; i < out.size(); i++) out.data<uint8_t>()[i] = out.data<uint8_t>()[i] != 0;
      return Arrs{out};
    };
    register_op(std::move(d));
  }
}

}  // namespace mlxc
