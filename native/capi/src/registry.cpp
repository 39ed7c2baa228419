#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>

#include "op.h"

namespace mlxc {

namespace {
struct Registry {
  std::vector<OpDef> ops;
  std::map<std::string, size_t> index;
};
Registry& registry() {
  static Registry reg;
  return reg;
}
void ensure_registered() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_creation_ops();
    register_unary_ops();
    register_binary_ops();
    register_reduction_ops();
    register_scan_ops();
    register_matmul_ops();
    register_shape_ops();
    register_indexing_ops();
    register_sort_ops();
    register_random_ops();
    register_fast_ops();
    register_quantized_ops();
    register_fft_ops();
    register_linalg_ops();
    register_conv_ops();
    register_mlx_symbols([](const std::string& name) { return registry().index.count(name) > 0; });
  });
}
}  // namespace

const char* attr_type_name(AttrType t) {
  switch (t) {
    case AttrType::Int: return "int";
    case AttrType::IntList: return "int_list";
    case AttrType::IntOrList: return "int_or_int_list";
    case AttrType::Axes: return "axes";
    case AttrType::Float: return "float";
    case AttrType::Bool: return "bool";
    case AttrType::DTypeName: return "dtype";
    case AttrType::ShapeList: return "shape";
    case AttrType::Enum: return "enum";
    case AttrType::String: return "string";
    default: return "scalar";
  }
}

OpDef make_op(std::string name, std::string family, std::string dtype_rule, int min_inputs,
              int max_inputs, std::vector<AttrSpec> attrs) {
  OpDef d;
  d.name = std::move(name);
  d.family = std::move(family);
  d.dtype_rule = std::move(dtype_rule);
  d.min_inputs = min_inputs;
  d.max_inputs = max_inputs;
  d.attrs = std::move(attrs);
  return d;
}

void register_op(OpDef def) {
  Registry& r = registry();
  r.index[def.name] = r.ops.size();
  r.ops.push_back(std::move(def));
}

const OpDef* find_op(const std::string& name) {
  ensure_registered();
  auto it = registry().index.find(name);
  return it == registry().index.end() ? nullptr : &registry().ops[it->second];
}

const std::vector<OpDef>& all_ops() {
  ensure_registered();
  return registry().ops;
}

double Attrs::f(const char* k) const {
  const json& v = values.at(k);
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    return s == "inf" ? INFINITY : -INFINITY;
  }
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  return v.get<double>();
}

std::vector<int64_t> Attrs::ints(const char* k) const {
  const json& v = values.at(k);
  if (v.is_number_integer()) return {v.get<int64_t>()};
  return v.get<std::vector<int64_t>>();
}

DType Attrs::dtype(const char* k) const {
  DType d;
  dtype_from_name(values.at(k).get<std::string>(), &d);
  return d;
}

Shape broadcast_shapes(const std::vector<Shape>& shapes, const std::string& path) {
  size_t nd = 0;
  for (auto& s : shapes) nd = std::max(nd, s.size());
  Shape out(nd, 1);
  for (size_t k = 0; k < shapes.size(); k++) {
    const Shape& s = shapes[k];
    for (size_t i = 0; i < s.size(); i++) {
      int64_t& o = out[nd - s.size() + i];
      int64_t d = s[i];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
        continue;
      }
      std::string all;
      for (auto& t : shapes) all += (all.empty() ? "" : " and ") + shape_str(t);
      throw RequestError("invalid_shape", path, "shapes " + all + " cannot be broadcast together");
    }
  }
  return out;
}

int norm_axis(int64_t axis, int ndim, const std::string& path) {
  if (axis < -ndim || axis >= ndim)
    throw RequestError("invalid_axis", path,
                       "axis " + std::to_string(axis) + " is out of range for an array of rank " +
                           std::to_string(ndim));
  return int(axis < 0 ? axis + ndim : axis);
}

std::vector<int> norm_axes(const Attrs& a, const char* key, int ndim) {
  std::vector<int> axes;
  if (!a.has(key)) {
    for (int i = 0; i < ndim; i++) axes.push_back(i);
    return axes;
  }
  for (auto ax : a.ints(key)) axes.push_back(norm_axis(ax, ndim, a.at(key)));
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    throw RequestError("invalid_axis", a.at(key), "axes contain a duplicate");
  return axes;
}

void refuse_dtype(const std::string& op, DType d, const std::string& path) {
  throw Refusal("unsupported_dtype", "op", op,
                op + " does not support dtype " + dtype_name(d) + " (at " + path + ")");
}

}  // namespace mlxc
