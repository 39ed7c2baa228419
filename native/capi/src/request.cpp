// Reading and validating a request: its fields, ids, inputs, nodes and
// attributes, references in topological order, shape and dtype inference,
// and the loading of input data.
#include <algorithm>
#include <cstring>

#include "codec.h"
#include "backend.h"

namespace mlxc {

namespace {

// Checks that j is an object whose keys all satisfy `known`.
template <class Known>
void expect_object_if(JVal j, const std::string& path, Known known) {
  if (!j.is_object()) throw RequestError("invalid_type", path, std::string("expected an object, found ") + j.type_name());
  for (size_t i = 0; i < j.size(); i++) {
    const std::string_view k = j.key(i);
    if (!known(k)) throw RequestError("unknown_field", path + "/" + std::string(k), "unknown field \"" + std::string(k) + "\"");
  }
}

}  // namespace

void expect_object(JVal j, const std::string& path, std::initializer_list<const char*> allowed) {
  expect_object_if(j, path, [&](std::string_view k) {
    return std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; });
  });
}

// `v`, member `k` of the object at `path`, or missing_field when it is absent.
static JVal required(JVal v, const std::string& path, const char* k) {
  if (!v.exists()) throw RequestError("missing_field", path + "/" + k, std::string("missing field \"") + k + "\"");
  return v;
}

static JVal field(JVal j, const char* k, const std::string& path) { return required(j[k], path, k); }

// An id matches [A-Za-z_][A-Za-z0-9_.-]{0,127}.
bool valid_id(std::string_view s) {
  if (s.empty() || s.size() > 128 || !(std::isalpha(uint8_t(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(uint8_t(c)) || c == '_' || c == '.' || c == '-'; });
}

// The "id" `v` of the object at `path`, checked.
static std::string checked_id(JVal v, const std::string& path) {
  if (!v.is_string() || !valid_id(v.str()))
    throw RequestError("invalid_id", path + "/id", "an id is a string matching [A-Za-z_][A-Za-z0-9_.-]{0,127}");
  return std::string(v.str());
}

std::string id_of(JVal j, const std::string& path) { return checked_id(field(j, "id", path), path); }

DType dtype_of(JVal v, const std::string& path) {
  DType d;
  if (!v.is_string() || !dtype_from_name(std::string(v.str()), &d))
    throw RequestError("invalid_dtype", path, "unknown dtype " + v.dump());
  return d;
}

Shape shape_of(JVal v, const std::string& path, const Limits& lim) {
  if (!v.is_array()) throw RequestError("invalid_shape", path, "a shape is a list of non-negative integers");
  if (int64_t(v.size()) > lim.max_ndim)
    throw Refusal("resource_limit", "request", path, "rank " + std::to_string(v.size()) + " exceeds max_ndim " + std::to_string(lim.max_ndim));
  Shape s;
  for (size_t i = 0; i < v.size(); i++) {
    const JVal d = v[i];
    if (!d.is_number_integer() || (!d.is_number_unsigned() && d.i64() < 0) || d.u64() > uint64_t(INT64_MAX))
      throw RequestError("invalid_shape", ptr(path, i), "a dimension is a non-negative integer");
    s.push_back(d.i64());
  }
  return s;
}

// Element count checked against the limit before any allocation. Every
// dimension counts, a zero as one: an empty array cannot have dimensions
// whose product (or a part of it, which ops compute) passes the limit, and
// the answer does not depend on the order of the dimensions.
static void check_size(const Shape& s, const Limits& lim, const std::string& path) {
  int64_t n = 1;
  for (auto d : s) {
    if (d < 0) throw Refusal("resource_limit", "array", path, "shape " + shape_str(s) + " has a negative dimension");
    if (d != 0 && (__builtin_mul_overflow(n, d, &n) || n > lim.max_elements))
      throw Refusal("resource_limit", "array", path, "shape " + shape_str(s) + " exceeds max_elements " + std::to_string(lim.max_elements));
  }
}

static bool is_special_number(JVal v) { return v == "nan" || v == "inf" || v == "-inf"; }

// `given` is the node's "attrs" (null when absent); `node_path` the node's pointer.
static Attrs check_attrs(const OpDef& def, JVal given, const std::string& node_path) {
  Attrs a;
  if (def.attrs.empty() && given.is_null()) return a;  // most ops: nothing to check or keep
  const std::string path = node_path + "/attrs";
  a.path = path;
  a.values = json::object();
  if (!given.is_null()) {
    expect_object_if(given, path, [&](std::string_view k) {
      return std::any_of(def.attrs.begin(), def.attrs.end(), [&](const AttrSpec& s) { return s.name == k; });
    });
  }
  for (const AttrSpec& s : def.attrs) {
    auto p = [&] { return path + "/" + s.name; };
    if (!given.contains(s.name)) {
      if (s.required) throw RequestError("missing_field", p(), def.name + " requires attribute \"" + s.name + "\"");
      a.values[s.name] = s.default_value;
      continue;
    }
    const JVal v = given[s.name];
    if (v.is_null() && !s.required && (s.nullable || s.default_value.is_null())) {
      a.values[s.name] = nullptr;
      continue;
    }
    // an int attribute is an int64: 2^63 and above is not one
    auto is_int = [](JVal x) { return x.is_number_integer() && (!x.is_number_unsigned() || x.u64() <= uint64_t(INT64_MAX)); };
    auto all_ints = [&] {
      if (!v.is_array()) return false;
      for (size_t i = 0; i < v.size(); i++)
        if (!is_int(v[i])) return false;
      return true;
    };
    auto all_sizes = [&] {
      for (size_t i = 0; i < v.size(); i++)
        if (v[i].i64() < 0) return false;
      return true;
    };
    bool ok = false;
    switch (s.type) {
      case AttrType::Int: ok = is_int(v); break;
      case AttrType::IntList: ok = all_ints(); break;
      case AttrType::IntOrList: ok = is_int(v) || all_ints(); break;
      case AttrType::Axes: ok = v.is_null() || is_int(v) || all_ints(); break;
      case AttrType::Float: ok = v.is_number() || is_special_number(v); break;
      case AttrType::Scalar: ok = v.is_number() || v.is_boolean() || is_special_number(v); break;
      case AttrType::Bool: ok = v.is_boolean(); break;
      case AttrType::DTypeName: dtype_of(v, p()); ok = true; break;
      case AttrType::Enum:
        ok = v.is_string() && std::find(s.choices.begin(), s.choices.end(), v.str()) != s.choices.end();
        break;
      case AttrType::ShapeList: ok = all_ints() && all_sizes(); break;
      case AttrType::String: ok = v.is_string(); break;
    }
    if (!ok) {
      std::string want = attr_type_name(s.type);
      if (s.type == AttrType::Enum) want = json(s.choices).dump();
      throw RequestError("invalid_attr", p(), def.name + " attribute \"" + s.name + "\" must be " + want + ", found " + v.dump());
    }
    a.values[s.name] = v.to_json();
  }
  return a;
}

// A reference "id" or "id:k"; `path` is called only for an error.
template <class Path>
static std::pair<std::string, int> parse_ref(std::string_view s, Path path) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return {std::string(s), -1};
  std::string k(s.substr(colon + 1));
  if (k.empty() || k.size() > 6 || !std::all_of(k.begin(), k.end(), ::isdigit))
    throw RequestError("invalid_reference", path(), "bad output index in reference \"" + std::string(s) + "\"");
  return {std::string(s.substr(0, colon)), std::stoi(k)};
}

std::string check_header(JVal req, const Backend& backend) {
  const JVal ver = field(req, "schema_version", "");
  if (!ver.is_number_integer() || ver.i64() != kSchemaVersion)
    throw RequestError("unsupported_version", "/schema_version", "schema_version must be " + std::to_string(kSchemaVersion));
  if (req.contains("device")) {
    const JVal dev = req["device"];
    if (!dev.is_string()) throw RequestError("invalid_type", "/device", "device is a string");
    backend.check_device(dev.str());
    return std::string(dev.str());
  }
  return "cpu";
}

// The resident array an input's "handle" names (at input path p).
const Array& handle_of(const Session& session, JVal in, const std::string& p) {
  const JVal h = in["handle"];
  auto it = h.is_string() ? session.handles.find(std::string(h.str())) : session.handles.end();
  if (it == session.handles.end()) throw RequestError("unknown_handle", p + "/handle", "no resident array " + h.dump() + " in this session");
  return it->second;
}

// An input's "buffer" must index one of the buffers passed with the call.
void check_buffer_index(JVal in, const std::string& p, size_t n_bufs) {
  const JVal b = in["buffer"];
  if (!b.is_number_integer() || (!b.is_number_unsigned() && b.i64() < 0) || b.u64() >= n_bufs)
    throw RequestError("invalid_buffer", p + "/buffer", "buffer index " + b.dump() + " is not one of the " + std::to_string(n_bufs) + " buffers passed");
}

void parse(Graph& g, JVal req, const Limits& lim, size_t n_bufs, Session& session, const Backend& backend) {
  expect_object(req, "", {"schema_version", "inputs", "nodes", "outputs", "device", "define_plan", "export_function", "backend"});
  const bool defining = req.contains("define_plan") || req.contains("export_function");
  g.device = check_header(req, backend);
  const JVal inputs = req["inputs"], nodes = req["nodes"];
  if (req.contains("inputs") && !inputs.is_array()) throw RequestError("invalid_type", "/inputs", "inputs is a list");
  if (req.contains("nodes") && !nodes.is_array()) throw RequestError("invalid_type", "/nodes", "nodes is a list");
  if (int64_t(inputs.size()) > lim.max_inputs)
    throw Refusal("resource_limit", "request", "/inputs", std::to_string(inputs.size()) + " inputs exceed max_inputs " + std::to_string(lim.max_inputs));
  if (int64_t(nodes.size()) > lim.max_nodes)
    throw Refusal("resource_limit", "request", "/nodes", std::to_string(nodes.size()) + " nodes exceed max_nodes " + std::to_string(lim.max_nodes));

  for (size_t i = 0; i < inputs.size(); i++) {
    const std::string p = ptr("/inputs", i);
    const JVal in = inputs[i];
    expect_object(in, p, {"id", "dtype", "shape", "data", "base64", "buffer", "handle", "placeholder"});
    std::string id = id_of(in, p);
    if (!g.names.try_emplace(id, Graph::Named{int(g.values.size()), true}).second)
      throw RequestError("duplicate_id", p + "/id", "id \"" + id + "\" is used twice");
    int sources = int(in.contains("data")) + in.contains("base64") + in.contains("buffer") + in.contains("handle") + in.contains("placeholder");
    if (sources != 1)
      throw RequestError("invalid_input", p, "an input has exactly one of data, base64, buffer, handle or placeholder");
    if (in.contains("placeholder") && (!defining || !in["placeholder"].boolean()))
      throw RequestError("invalid_input", p + "/placeholder", "placeholder: true declares an input of a plan or an exported function, in a define_plan or export_function request");
    TypeShape ts;
    if (in.contains("handle")) {
      const Array& held = handle_of(session, in, p);
      ts = {held.dtype, held.shape};
      if (in.contains("dtype") && dtype_of(in["dtype"], p + "/dtype") != ts.dtype)
        throw RequestError("invalid_dtype", p + "/dtype", "handle holds " + std::string(dtype_name(ts.dtype)));
      if (in.contains("shape") && shape_of(in["shape"], p + "/shape", lim) != ts.shape)
        throw RequestError("invalid_shape", p + "/shape", "handle holds shape " + shape_str(ts.shape));
    } else {
      ts.dtype = dtype_of(field(in, "dtype", p), p + "/dtype");
      ts.shape = shape_of(field(in, "shape", p), p + "/shape", lim);
      check_size(ts.shape, lim, p + "/shape");
      if (in.contains("buffer")) check_buffer_index(in, p, n_bufs);
    }
    g.inputs.push_back({int(g.values.size()), in, p, in.contains("placeholder")});
    g.values.push_back(ts);
    g.producer.push_back(-1);
  }

  g.names.reserve(inputs.size() + nodes.size());
  g.nodes.resize(nodes.size());
  for (size_t i = 0; i < nodes.size(); i++) {
    const std::string p = ptr("/nodes", i);
    const JVal nj = nodes[i];
    if (!nj.is_object()) throw RequestError("invalid_type", p, std::string("expected an object, found ") + nj.type_name());
    // one pass over the members (the last of a repeated key wins)
    JVal id, op, ins, attrs;
    for (size_t m = 0; m < nj.size(); m++) {
      const std::string_view k = nj.key(m);
      if (k == "id") id = nj[m];
      else if (k == "op") op = nj[m];
      else if (k == "inputs") ins = nj[m];
      else if (k == "attrs") attrs = nj[m];
      else throw RequestError("unknown_field", p + "/" + std::string(k), "unknown field \"" + std::string(k) + "\"");
    }
    Node& n = g.nodes[i];
    n.path = p;
    n.id = checked_id(required(id, p, "id"), p);
    if (!g.names.try_emplace(n.id, Graph::Named{int(i), false}).second)
      throw RequestError("duplicate_id", p + "/id", "id \"" + n.id + "\" is used twice");
    if (!required(op, p, "op").is_string()) throw RequestError("invalid_type", p + "/op", "op is a string");
    n.def = find_op(std::string(op.str()));
    if (!n.def) throw Refusal("unsupported_op", "node", p + "/op", "unknown op " + op.dump());
    if (!backend.has_kernel(*n.def)) {
      std::string others;
      for (const Backend* b : all_backends())
        if (b->has_kernel(*n.def)) others += std::string(others.empty() ? "" : ", ") + "\"" + b->name() + "\"";
      throw Refusal("unsupported_op", "node", p + "/op",
                    "the " + std::string(backend.name()) + " backend has no kernel for " + n.def->name + (others.empty() ? "" : "; the backends that have one: " + others + " (the request's \"backend\")"));
    }
    if (ins.exists() && !ins.is_array()) throw RequestError("invalid_type", p + "/inputs", "inputs is a list of references");
    int mn = n.def->min_inputs, mx = n.def->max_inputs;
    if (int64_t(ins.size()) < mn || (mx >= 0 && int64_t(ins.size()) > mx))
      throw RequestError("invalid_arity", p + "/inputs",
                         n.def->name + " takes " + (mn == mx ? std::to_string(mn) : std::to_string(mn) + (mx < 0 ? " or more" : " to " + std::to_string(mx))) +
                             " inputs, got " + std::to_string(ins.size()));
    for (size_t k = 0; k < ins.size(); k++) {
      auto at = [&] { return ptr(p + "/inputs", k); };
      if (!ins[k].is_string()) throw RequestError("invalid_reference", at(), "a reference is a string id, or id:k for output k");
      auto [name, output] = parse_ref(ins[k].str(), at);
      n.refs.push_back({std::move(name), output});
    }
    if (attrs.exists() && !attrs.is_object())
      throw RequestError("invalid_type", p + "/attrs", std::string("expected an object, found ") + attrs.type_name());
    n.attrs = check_attrs(*n.def, attrs, p);
  }

  parse_outputs(g, field(req, "outputs", ""));
}

void parse_outputs(Graph& g, JVal outs) {
  if (!outs.is_array()) throw RequestError("invalid_type", "/outputs", "outputs is a list");
  for (size_t i = 0; i < outs.size(); i++) {
    const std::string p = ptr("/outputs", i);
    OutputSpec o{-1, "", ""};
    if (outs[i].is_object()) {
      expect_object(outs[i], p, {"ref", "as"});
      o.ref = std::string(field(outs[i], "ref", p).str());
      if (outs[i].contains("as")) {
        const JVal as = outs[i]["as"];
        if (as != "inline" && as != "base64" && as != "buffer" && as != "handle")
          throw RequestError("invalid_attr", p + "/as", "as is one of inline, base64, buffer, handle");
        o.as = std::string(as.str());
      }
      if (o.ref.empty()) throw RequestError("invalid_reference", p + "/ref", "ref is a string id");
    } else if (outs[i].is_string()) {
      o.ref = std::string(outs[i].str());
    } else {
      throw RequestError("invalid_type", p, "an output is an id or {ref, as}");
    }
    g.outputs.push_back(o);
  }
}

// Kahn's algorithm over node dependencies; a leftover node sits on a cycle.
std::vector<int> topo_order(Graph& g) {
  size_t n = g.nodes.size();
  std::vector<int> indeg(n, 0);
  std::vector<std::vector<int>> users(n);
  for (size_t i = 0; i < n; i++) {
    Node& nd = g.nodes[i];
    for (size_t k = 0; k < nd.refs.size(); k++) {
      const std::string& name = nd.refs[k].name;
      auto it = g.names.find(name);
      if (it == g.names.end())
        throw RequestError("missing_reference", ptr(nd.path + "/inputs", k), "no input or node has id \"" + name + "\"");
      if (it->second.input) continue;
      nd.refs[k].node = it->second.index;
      users[size_t(it->second.index)].push_back(int(i));
      indeg[i]++;
    }
  }
  std::vector<int> order, ready;
  for (size_t i = 0; i < n; i++)
    if (indeg[i] == 0) ready.push_back(int(i));
  while (!ready.empty()) {
    int i = ready.back();
    ready.pop_back();
    order.push_back(i);
    for (int u : users[i])
      if (--indeg[u] == 0) ready.push_back(u);
  }
  if (order.size() != n) {
    for (size_t i = 0; i < n; i++)
      if (indeg[i] > 0) throw RequestError("cycle", g.nodes[i].path, "node \"" + g.nodes[i].id + "\" is on a cycle");
  }
  return order;
}

// Resolves a reference to output `idx` of node `node` (-1: the input `name`);
// `path` is called only for an error.
template <class Path>
static int resolve_to(const Graph& g, const std::string& name, int idx, int node, Path path) {
  if (node < 0) {
    if (idx > 0) throw RequestError("invalid_reference", path(), "input \"" + name + "\" has one output");
    return g.names.at(name).index;
  }
  const Node& n = g.nodes[size_t(node)];
  if (idx < 0) {
    if (n.outputs.size() != 1)
      throw RequestError("invalid_reference", path(), "node \"" + name + "\" has " + std::to_string(n.outputs.size()) + " outputs: name one as " + name + ":k");
    return n.outputs[0];
  }
  if (size_t(idx) >= n.outputs.size())
    throw RequestError("invalid_reference", path(), "node \"" + name + "\" has no output " + std::to_string(idx));
  return n.outputs[size_t(idx)];
}

// Resolves the reference at base/index by name.
static int resolve(const Graph& g, const std::string& name, int idx, const std::string& base, size_t index) {
  auto path = [&] { return ptr(base, index); };
  auto it = g.names.find(name);
  if (it == g.names.end()) throw RequestError("missing_reference", path(), "no input or node has id \"" + name + "\"");
  return resolve_to(g, name, idx, it->second.input ? -1 : it->second.index, path);
}

void infer(Graph& g, const std::vector<int>& order, const Limits& lim, bool native_kernels) {
  // reused from node to node, so their buffers are allocated once
  std::vector<TypeShape> in;
  std::vector<Shape> shapes;
  std::vector<DType> dtypes;
  for (int i : order) {
    Node& n = g.nodes[size_t(i)];
    const size_t arity = n.refs.size();
    in.resize(arity);
    n.inputs.resize(arity);
    for (size_t k = 0; k < arity; k++) {
      const Node::Ref& r = n.refs[k];
      n.inputs[k] = resolve_to(g, r.name, r.output, r.node, [&] { return ptr(n.path + "/inputs", k); });
      in[k] = g.values[size_t(n.inputs[k])];
    }
    std::vector<TypeShape> out;
    if (n.def->ew) {
      shapes.resize(arity);
      dtypes.resize(arity);
      for (size_t k = 0; k < arity; k++) {
        shapes[k] = in[k].shape;
        dtypes[k] = in[k].dtype;
      }
      n.ew_types = n.def->ew->types(dtypes, n.attrs);
      if (native_kernels) {
        n.kernel = n.def->ew->kernel(n.ew_types.in.back(), n.ew_types.out);
        if (!n.kernel) refuse_dtype(n.def->name, n.ew_types.in.back(), n.path);
        if (n.def->ew->params) n.params = n.def->ew->params(n.attrs);
      }
      Shape shape;
      try {  // the path is built only for an error
        shape = broadcast_shapes(shapes, "");
      } catch (const RequestError& e) {
        throw RequestError(e.code, n.path + "/inputs", e.what());
      }
      out.push_back({n.ew_types.out, std::move(shape)});
    } else {
      out = n.def->infer(InferCtx{in, n.attrs, n.path});
    }
    for (auto& t : out) {
      check_size(t.shape, lim, n.path);
      if (int64_t(t.shape.size()) > lim.max_ndim)
        throw Refusal("resource_limit", "array", n.path, "result rank exceeds max_ndim");
      n.outputs.push_back(int(g.values.size()));
      g.values.push_back(t);
      g.producer.push_back(i);
    }
  }
  resolve_outputs(g);
}

// "id:*" names every output of node id, in order (as many as inference
// gave: an imported function's, say), each returned as "id:k".
void resolve_outputs(Graph& g) {
  std::vector<OutputSpec> outs;
  for (size_t k = 0; k < g.outputs.size(); k++) {
    const std::string& r = g.outputs[k].ref;
    if (r.size() > 2 && r.compare(r.size() - 2, 2, ":*") == 0) {
      const std::string name = r.substr(0, r.size() - 2);
      auto it = g.names.find(name);
      if (it == g.names.end()) throw RequestError("missing_reference", ptr("/outputs", k), "no node has id \"" + name + "\"");
      if (it->second.input) throw RequestError("invalid_reference", ptr("/outputs", k), "\"" + name + ":*\" names a node's outputs; \"" + name + "\" is an input");
      const Node& n = g.nodes[size_t(it->second.index)];
      for (size_t j = 0; j < n.outputs.size(); j++) outs.push_back({n.outputs[j], name + ":" + std::to_string(j), g.outputs[k].as});
      continue;
    }
    auto [name, idx] = parse_ref(r, [&] { return ptr("/outputs", k); });
    outs.push_back({resolve(g, name, idx, "/outputs", k), r, g.outputs[k].as});
  }
  g.outputs = std::move(outs);
}

namespace {

// Arrays passed by pointer are wrapped, not copied; they are copied only when
// they must outlive the call (a returned buffer or a handle).
Array wrap_external(const InputBuffer& b, const TypeShape& ts) {
  Array a;
  a.dtype = ts.dtype;
  a.shape = ts.shape;
  a.buf = std::make_shared<Buffer>(b.data, b.bytes);
  return a;
}

}  // namespace

Array owned(const Array& a) {
  if (!a.buf || a.buf->owned || a.buf->keep) return a;
  Array c(a.dtype, a.shape);
  if (a.nbytes()) std::memcpy(c.raw(), a.raw(), a.nbytes());  // an empty caller's buffer may be NULL
  return c;
}

// Loads an input's data from its JSON (`j`): a handle, a buffer, base64 or inline values.
void load_input(Graph& g, Session& s, const InputBuffer* bufs, const InputSpec& in, JVal j) {
  const TypeShape& ts = g.values[size_t(in.value)];
  if (j.contains("handle")) {
    g.data[size_t(in.value)] = s.handles[std::string(j["handle"].str())];
    return;
  }
  const size_t need = size_t(shape_size(ts.shape)) * dtype_size(ts.dtype);
  if (j.contains("buffer")) {
    const InputBuffer& b = bufs[j["buffer"].u64()];
    if (b.bytes != need)
      throw RequestError("invalid_buffer", in.path + "/buffer",
                         "buffer holds " + std::to_string(b.bytes) + " bytes, " + dtype_name(ts.dtype) + shape_str(ts.shape) + " needs " + std::to_string(need));
    if (need && !b.data) throw RequestError("invalid_buffer", in.path + "/buffer", "buffer pointer is NULL");
    if (ts.dtype == DType::Bool) check_bools(b.data, need, in.path + "/buffer");
    if (reinterpret_cast<uintptr_t>(b.data) % dtype_size(ts.dtype) == 0) {
      g.data[size_t(in.value)] = wrap_external(b, ts);
    } else {  // misaligned for its dtype: copy
      Array a(ts.dtype, ts.shape);
      std::memcpy(a.raw(), b.data, need);
      g.data[size_t(in.value)] = std::move(a);
    }
    return;
  }
  Array a(ts.dtype, ts.shape);
  if (j.contains("base64")) {
    if (!j["base64"].is_string()) throw RequestError("invalid_type", in.path + "/base64", "base64 is a string");
    base64_decode(j["base64"].str(), a.raw(), need, in.path + "/base64");
    if (ts.dtype == DType::Bool) check_bools(a.raw(), need, in.path + "/base64");
  } else {
    decode_inline(j["data"], a, in.path + "/data");
  }
  g.data[size_t(in.value)] = std::move(a);
}

void load_inputs(Graph& g, Session& s, const InputBuffer* bufs) {
  for (auto& in : g.inputs)
    if (!in.placeholder) load_input(g, s, bufs, in, in.source);
}

}  // namespace mlxc
