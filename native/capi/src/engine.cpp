#include "engine.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include "codec.h"
#include "json_doc.h"
#include "ops/layout.h"
#include "parallel.h"
#include "stream_store.h"

namespace mlxc {

const char* const kEngineVersion = MLXCOMPAT_VERSION;  // project(VERSION) in CMakeLists.txt

json limits_json(const Limits& l) {
  return {{"max_elements", l.max_elements}, {"max_bytes", l.max_bytes},
          {"max_nodes", l.max_nodes},       {"max_inputs", l.max_inputs},
          {"max_ndim", l.max_ndim},         {"max_request_bytes", l.max_request_bytes}};
}

namespace {

std::string ptr(const std::string& base, size_t i) { return base + "/" + std::to_string(i); }

// A node's view of one of its inputs: a value index.
struct Node {
  std::string id, path;
  const OpDef* def = nullptr;
  struct Ref {
    std::string name;
    int output;     // the output index k of "name:k", or -1
    int node = -1;  // the node named, found by topo_order; -1 for an input
  };
  std::vector<Ref> refs;
  std::vector<int> inputs;                        // value indices, resolved
  std::vector<int> outputs;
  Attrs attrs;
  EwTypes ew_types;
  EwKernel kernel = nullptr;
  EwParams params;
  unsigned transposed = 0;  // see OpDef::reads_transposed
};

struct InputSpec {
  int value;
  JVal source;  // the request's input; null once the graph is kept as a plan
  std::string path;
  bool placeholder = false;
};

struct OutputSpec {
  int value;
  std::string ref, as;
};

struct Graph {
  std::vector<TypeShape> values;
  std::vector<Array> data;
  std::vector<int> producer;  // node index, -1 for request inputs
  std::vector<Node> nodes;
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  struct Named {
    int index;   // a value index for an input, a node index for a node
    bool input;
  };
  std::unordered_map<std::string, Named> names;  // every id of the request
};

// Checks that j is an object whose keys all satisfy `known`.
template <class Known>
void expect_object_if(JVal j, const std::string& path, Known known) {
  if (!j.is_object()) throw RequestError("invalid_type", path, std::string("expected an object, found ") + j.type_name());
  for (size_t i = 0; i < j.size(); i++) {
    const std::string_view k = j.key(i);
    if (!known(k)) throw RequestError("unknown_field", path + "/" + std::string(k), "unknown field \"" + std::string(k) + "\"");
  }
}

void expect_object(JVal j, const std::string& path, std::initializer_list<const char*> allowed) {
  expect_object_if(j, path, [&](std::string_view k) {
    return std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; });
  });
}

// `v`, member `k` of the object at `path`, or missing_field when it is absent.
JVal required(JVal v, const std::string& path, const char* k) {
  if (!v.exists()) throw RequestError("missing_field", path + "/" + k, std::string("missing field \"") + k + "\"");
  return v;
}

JVal field(JVal j, const char* k, const std::string& path) { return required(j[k], path, k); }

// An id matches [A-Za-z_][A-Za-z0-9_.-]{0,127}.
bool valid_id(std::string_view s) {
  if (s.empty() || s.size() > 128 || !(std::isalpha(uint8_t(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(uint8_t(c)) || c == '_' || c == '.' || c == '-'; });
}

// The "id" `v` of the object at `path`, checked.
std::string checked_id(JVal v, const std::string& path) {
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

// Element count with overflow checked against the limit, before any allocation.
void check_size(const Shape& s, const Limits& lim, const std::string& path) {
  int64_t n = 1;
  for (auto d : s) {
    if (d != 0 && n > lim.max_elements / d)
      throw Refusal("resource_limit", "array", path, "shape " + shape_str(s) + " exceeds max_elements " + std::to_string(lim.max_elements));
    n *= d;
  }
  if (n > lim.max_elements)
    throw Refusal("resource_limit", "array", path, "shape " + shape_str(s) + " exceeds max_elements " + std::to_string(lim.max_elements));
}

bool is_special_number(JVal v) { return v == "nan" || v == "inf" || v == "-inf"; }

// `given` is the node's "attrs" (null when absent); `node_path` the node's pointer.
Attrs check_attrs(const OpDef& def, JVal given, const std::string& node_path) {
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
    auto all_ints = [&] {
      if (!v.is_array()) return false;
      for (size_t i = 0; i < v.size(); i++)
        if (!v[i].is_number_integer()) return false;
      return true;
    };
    auto all_sizes = [&] {
      for (size_t i = 0; i < v.size(); i++)
        if (!v[i].is_number_unsigned() && v[i].i64() < 0) return false;
      return true;
    };
    bool ok = false;
    switch (s.type) {
      case AttrType::Int: ok = v.is_number_integer(); break;
      case AttrType::IntList: ok = all_ints(); break;
      case AttrType::IntOrList: ok = v.is_number_integer() || all_ints(); break;
      case AttrType::Axes: ok = v.is_null() || v.is_number_integer() || all_ints(); break;
      case AttrType::Float: ok = v.is_number() || is_special_number(v); break;
      case AttrType::Scalar: ok = v.is_number() || v.is_boolean() || is_special_number(v); break;
      case AttrType::Bool: ok = v.is_boolean(); break;
      case AttrType::DTypeName: dtype_of(v, p()); ok = true; break;
      case AttrType::Enum:
        ok = v.is_string() && std::find(s.choices.begin(), s.choices.end(), v.str()) != s.choices.end();
        break;
      case AttrType::ShapeList: ok = all_ints() && all_sizes(); break;
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
std::pair<std::string, int> parse_ref(std::string_view s, Path path) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return {std::string(s), -1};
  std::string k(s.substr(colon + 1));
  if (k.empty() || k.size() > 6 || !std::all_of(k.begin(), k.end(), ::isdigit))
    throw RequestError("invalid_reference", path(), "bad output index in reference \"" + std::string(s) + "\"");
  return {std::string(s.substr(0, colon)), std::stoi(k)};
}

void parse_outputs(Graph& g, JVal outs);

// Checks every request makes: its schema version, and a device this engine has.
void check_header(JVal req) {
  const JVal ver = field(req, "schema_version", "");
  if (!ver.is_number_integer() || ver.i64() != kSchemaVersion)
    throw RequestError("unsupported_version", "/schema_version", "schema_version must be " + std::to_string(kSchemaVersion));
  if (req.contains("device")) {
    const JVal dev = req["device"];
    if (!dev.is_string()) throw RequestError("invalid_type", "/device", "device is a string");
    if (dev != "cpu")
      throw Refusal("unsupported_device", "request", "/device", "this engine runs on cpu only, not " + dev.dump());
  }
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

void parse(Graph& g, JVal req, const Limits& lim, size_t n_bufs, Session& session) {
  expect_object(req, "", {"schema_version", "inputs", "nodes", "outputs", "device", "define_plan"});
  const bool defining = req.contains("define_plan");
  check_header(req);
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
      throw RequestError("invalid_input", p + "/placeholder", "placeholder: true declares an input of a plan, in a define_plan request");
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
int resolve_to(const Graph& g, const std::string& name, int idx, int node, Path path) {
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
int resolve(const Graph& g, const std::string& name, int idx, const std::string& base, size_t index) {
  auto path = [&] { return ptr(base, index); };
  auto it = g.names.find(name);
  if (it == g.names.end()) throw RequestError("missing_reference", path(), "no input or node has id \"" + name + "\"");
  return resolve_to(g, name, idx, it->second.input ? -1 : it->second.index, path);
}

void resolve_outputs(Graph& g);

void infer(Graph& g, const std::vector<int>& order, const Limits& lim) {
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
      n.kernel = n.def->ew->kernel(n.ew_types.in.back(), n.ew_types.out);
      if (!n.kernel) refuse_dtype(n.def->name, n.ew_types.in.back(), n.path);
      if (n.def->ew->params) n.params = n.def->ew->params(n.attrs);
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

void resolve_outputs(Graph& g) {
  for (size_t k = 0; k < g.outputs.size(); k++) {
    auto [name, idx] = parse_ref(g.outputs[k].ref, [&] { return ptr("/outputs", k); });
    g.outputs[k].value = resolve(g, name, idx, "/outputs", k);
  }
}

// An op that reads operands transposed takes a transpose's input in place of
// its output, so no transposed copy is made unless something else needs it.
void fold_transposes(Graph& g) {
  for (Node& n : g.nodes) {
    if (!n.def->reads_transposed) continue;
    for (size_t k = 0; k < n.inputs.size(); k++) {
      for (int p = g.producer[size_t(n.inputs[k])]; p >= 0; p = g.producer[size_t(n.inputs[k])]) {
        const Node& t = g.nodes[size_t(p)];
        if (!t.def->swaps_last_two || !t.def->swaps_last_two(t.attrs, int(g.values[size_t(t.inputs[0])].shape.size()))) break;
        n.inputs[k] = t.inputs[0];
        n.transposed ^= 1u << k;
      }
    }
  }
}

// Fused groups run chunk by chunk; a chunk of elementwise work stays in L1.
// A chunk holds whole periods of inputs that repeat, up to a longer limit.
constexpr int64_t kChunk = 2048, kLongestPeriod = 16384;

// The number of elements after which an input of shape `in` repeats along
// an output of shape `out`: its size when it broadcasts along leading axes
// only (a bias row over a batch), else 0. An input of the output's shape
// has period n; a single element, period 1.
int64_t period(const Shape& in, const Shape& out) {
  size_t lead = 0;
  while (lead < in.size() && in[lead] == 1) lead++;
  if (in.size() - lead > out.size()) return 0;
  if (!std::equal(in.begin() + long(lead), in.end(), out.end() - long(in.size() - lead))) return 0;
  return shape_size(in);
}

// An elementwise node can run chunk by chunk when every input has its
// output's shape, is a single element, or repeats within a chunk's length
// (broadcast along leading axes; chunks then start where it starts again)
// and its period is within kLongestPeriod.
bool chunkable(const Graph& g, const Node& n) {
  if (!n.def->ew) return false;
  const Shape& out = g.values[size_t(n.outputs[0])].shape;
  for (int v : n.inputs) {
    const Shape& s = g.values[size_t(v)].shape;
    const int64_t p = period(s, out);
    if (s != out && (p == 0 || p > kLongestPeriod)) return false;
  }
  return true;
}

// Runs a group of chunkable nodes (in topological order, the last is the
// root) in one pass: each chunk goes through the whole chain in cache.
void run_group(Graph& g, const std::vector<int>& members) {
  const Node& root = g.nodes[size_t(members.back())];
  const TypeShape& out_ts = g.values[size_t(root.outputs[0])];
  Array out(out_ts.dtype, out_ts.shape);
  const int64_t n = out.size();
  // Chunks hold whole periods of the inputs that repeat (periods of
  // suffixes of one shape divide each other, so the longest sets it).
  int64_t longest = 1;
  for (int m : members)
    for (int v : g.nodes[size_t(m)].inputs) {
      const int64_t p = period(g.values[size_t(v)].shape, out_ts.shape);
      if (p < n) longest = std::max(longest, p);
    }
  const int64_t chunk = std::max<int64_t>(1, kChunk / longest) * longest;
  // A scratch slot holds one chunk of a member's output; the widest dtype is
  // 8 bytes. Small arrays get small slots.
  const size_t scratch_bytes = size_t(std::min(chunk, std::max<int64_t>(n, 1))) * 8;

  // Where each member reads each input from, decided once for all chunks.
  struct Source {
    int slot = -1;                  // member whose scratch holds it, or -1 for an array
    const uint8_t* base = nullptr;  // the array's data
    size_t step = 0;                // bytes per element along the chunk (0: broadcast scalar)
    bool repeats = false;           // every chunk reads from base (a repeating input, tiled)
    EwKernel convert = nullptr;     // to the dtype the member's kernel takes
  };
  std::vector<Array> tiled;  // repeating inputs, laid out over a whole chunk
  // Member m reads sources[first[m]] .. sources[first[m + 1] - 1].
  std::unordered_map<int, int> slot_of;
  std::vector<Source> sources;
  std::vector<size_t> first{0};
  slot_of.reserve(members.size());
  for (size_t m = 0; m < members.size(); m++) {
    const Node& nd = g.nodes[size_t(members[m])];
    for (size_t k = 0; k < nd.inputs.size(); k++) {
      const int v = nd.inputs[k];
      const DType have = g.values[size_t(v)].dtype, want = nd.ew_types.in[k];
      Source src;
      auto it = slot_of.find(v);
      if (it != slot_of.end()) {
        src.slot = it->second;
        src.step = dtype_size(have);
      } else {
        const Array& a = g.data[size_t(v)];
        src.base = static_cast<const uint8_t*>(a.raw());
        src.step = a.size() == 1 && n != 1 ? 0 : dtype_size(have);
        if (src.step && a.size() < n) {
          src.repeats = true;
          if (a.size() < std::min(chunk, n)) {
            Array row = a;
            row.shape = {1, a.size()};
            tiled.push_back(broadcast_copy(row, {std::min(chunk, n) / a.size(), a.size()}));
            src.base = static_cast<const uint8_t*>(tiled.back().raw());
          }
        }
      }
      if (have != want) src.convert = conversion_kernel(have, want);
      sources.push_back(src);
    }
    first.push_back(sources.size());
    slot_of[nd.outputs[0]] = int(m);
  }
  // Slots are reused once their last reader has run, so a chain of any length
  // needs only as many slots as values are live at once.
  const bool stream = out.nbytes() >= kStreamBytes;  // then the root writes to a slot too
  std::vector<size_t> last_read(members.size(), 0);
  for (size_t m = 0; m < members.size(); m++)
    for (size_t k = first[m]; k < first[m + 1]; k++)
      if (sources[k].slot >= 0) last_read[size_t(sources[k].slot)] = m;
  std::vector<int> slot(members.size(), -1), free_slots;
  std::vector<bool> released(members.size(), false);
  int n_slots = 0;
  for (size_t m = 0; m < members.size(); m++) {
    if (m + 1 < members.size() || stream) {
      if (free_slots.empty()) free_slots.push_back(n_slots++);
      slot[m] = free_slots.back();
      free_slots.pop_back();
    }
    for (size_t k = first[m]; k < first[m + 1]; k++) {
      const int from = sources[k].slot;
      if (from >= 0 && last_read[size_t(from)] == m && !released[size_t(from)]) {
        released[size_t(from)] = true;
        free_slots.push_back(slot[size_t(from)]);
      }
    }
  }

  // A large output is built chunk by chunk in a slot and streamed out. A
  // part is at least 64K elements: waking a worker costs about as much.
  const size_t out_size = dtype_size(out.dtype);
  parallel_for((n + chunk - 1) / chunk, 32, [&](int64_t cb, int64_t ce) {
    // Slots and conversion buffers start on cache lines, a few lines apart
    // modulo 4 KiB from each other and from page-aligned arrays: a load and a
    // store whose addresses agree in their low 12 bits stall as if they
    // overlapped (4K aliasing), and slots 16 KiB apart did so at every
    // element, which halved the speed of a fused chain.
    constexpr size_t kLine = 64, kPage = 4096;
    const size_t stride = (scratch_bytes + kLine - 1) / kLine * kLine + 3 * kLine;
    std::vector<uint8_t> scratch((size_t(n_slots) + 3) * stride + 2 * kPage);
    uint8_t* base = scratch.data() + (kPage - reinterpret_cast<uintptr_t>(scratch.data()) % kPage) + 5 * kLine;
    auto slot_data = [&](size_t member) { return base + size_t(slot[member]) * stride; };
    uint8_t* conv[3] = {base + size_t(n_slots) * stride, base + size_t(n_slots + 1) * stride, base + size_t(n_slots + 2) * stride};
    const void* ptrs[3];
    bool scalar[3];
    for (int64_t c = cb; c < ce; c++) {
      const int64_t off = c * chunk, len = std::min(chunk, n - off);
      for (size_t m = 0; m < members.size(); m++) {
        const Node& nd = g.nodes[size_t(members[m])];
        for (size_t k = 0; k < first[m + 1] - first[m]; k++) {
          const Source& src = sources[first[m] + k];
          scalar[k] = src.step == 0;
          ptrs[k] = src.slot >= 0 ? slot_data(size_t(src.slot)) : src.repeats ? src.base : src.base + size_t(off) * src.step;
          if (src.convert) {
            src.convert(&ptrs[k], &scalar[k], conv[k], scalar[k] ? 1 : len, EwParams{});
            ptrs[k] = conv[k];
          }
        }
        uint8_t* final_dst = static_cast<uint8_t*>(out.raw()) + size_t(off) * out_size;
        const bool last = m + 1 == members.size();
        nd.kernel(ptrs, scalar, last && !stream ? final_dst : slot_data(m), len, nd.params);
        if (last && stream) stream_copy(final_dst, slot_data(m), size_t(len) * out_size);
      }
    }
    if (stream) stream_fence();
  });
  g.data[size_t(root.outputs[0])] = std::move(out);
}

// An elementwise node whose inputs broadcast: rows of the collapsed last
// dimension go to the kernel, each input either contiguous or a scalar there.
void run_broadcast(Graph& g, const Node& nd) {
  const TypeShape& ts = g.values[size_t(nd.outputs[0])];
  Array out(ts.dtype, ts.shape);
  std::vector<Array> ins;
  for (size_t k = 0; k < nd.inputs.size(); k++) ins.push_back(astype(g.data[size_t(nd.inputs[k])], nd.ew_types.in[k]));
  const size_t nd_out = ts.shape.size(), nin = ins.size();
  std::vector<Shape> st(nin, Shape(nd_out, 0));
  for (size_t k = 0; k < nin; k++) {
    const Shape& s = ins[k].shape;
    Shape rs = row_strides(s);
    for (size_t i = 0; i < s.size(); i++) {
      size_t o = nd_out - s.size() + i;
      st[k][o] = s[i] == 1 ? 0 : rs[i];
    }
  }
  Shape dims;
  std::vector<Shape> cst(nin);
  for (size_t i = 0; i < nd_out; i++) {
    bool merge = !dims.empty();
    for (size_t k = 0; merge && k < nin; k++) merge = cst[k].back() == st[k][i] * ts.shape[i];
    if (merge) {
      dims.back() *= ts.shape[i];
      for (size_t k = 0; k < nin; k++) cst[k].back() = st[k][i];
    } else {
      dims.push_back(ts.shape[i]);
      for (size_t k = 0; k < nin; k++) cst[k].push_back(st[k][i]);
    }
  }
  if (dims.empty()) {
    dims.push_back(1);
    for (auto& c : cst) c.push_back(0);
  }
  const int64_t inner = dims.back(), rows = out.size() / std::max<int64_t>(inner, 1);
  if (out.size() > 0) {
    // parts of at least 64K elements, as in run_group; elementwise ops take at most 3 inputs
    parallel_for(rows, std::max<int64_t>(1, 65536 / std::max<int64_t>(inner, 1)), [&](int64_t rb, int64_t re) {
      const void* ptrs[3];
      bool scalar[3];
      for (size_t k = 0; k < nin; k++) scalar[k] = cst[k].back() == 0;
      for (int64_t r = rb; r < re; r++) {
        int64_t rem = r;
        int64_t offs[3] = {0, 0, 0};
        for (size_t d = dims.size() - 1; d-- > 0;) {
          int64_t idx = rem % dims[d];
          rem /= dims[d];
          for (size_t k = 0; k < nin; k++) offs[k] += idx * cst[k][d];
        }
        for (size_t k = 0; k < nin; k++)
          ptrs[k] = static_cast<const uint8_t*>(ins[k].raw()) + size_t(offs[k]) * dtype_size(ins[k].dtype);
        nd.kernel(ptrs, scalar, static_cast<uint8_t*>(out.raw()) + size_t(r * inner) * dtype_size(out.dtype), inner, nd.params);
      }
    });
  }
  g.data[size_t(nd.outputs[0])] = std::move(out);
}

// Arrays passed by pointer are wrapped, not copied; they are copied only when
// they must outlive the call (a returned buffer or a handle).
Array wrap_external(const InputBuffer& b, const TypeShape& ts) {
  Array a;
  a.dtype = ts.dtype;
  a.shape = ts.shape;
  a.buf = std::make_shared<Buffer>(b.data, b.bytes);
  return a;
}

Array owned(const Array& a) {
  if (!a.buf || a.buf->owned) return a;
  Array c(a.dtype, a.shape);
  std::memcpy(c.raw(), a.raw(), a.nbytes());
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
  } else {
    decode_inline(j["data"], a, in.path + "/data");
  }
  g.data[size_t(in.value)] = std::move(a);
}

void load_inputs(Graph& g, Session& s, const InputBuffer* bufs) {
  for (auto& in : g.inputs)
    if (!in.placeholder) load_input(g, s, bufs, in, in.source);
}

struct Execution {
  int op_count = 0, fused_groups = 0;
};

// What a graph runs for a set of outputs, worked out once (a plan keeps it):
// the steps in order, each one node or a fused group of them, and how many
// steps read each value, so values are freed after their last reader.
struct Step {
  std::vector<int> nodes;  // node indices; more than one: a fused group, root last
  bool chunked;            // runs chunk by chunk (run_group), a group or one chunkable node
};
struct Schedule {
  std::vector<Step> steps;
  std::vector<int> uses;
  std::vector<bool> is_output;
  int op_count = 0, fused_groups = 0;
};

Schedule make_schedule(const Graph& g, const std::vector<int>& order) {
  Schedule sc;
  const size_t nv = g.values.size();
  sc.uses.assign(nv, 0);
  sc.is_output.assign(nv, false);
  std::vector<bool> needed(g.nodes.size(), false);
  for (auto& o : g.outputs) sc.is_output[size_t(o.value)] = true;
  // Only nodes that an output depends on run.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Node& n = g.nodes[size_t(*it)];
    bool need = false;
    for (int v : n.outputs) need = need || sc.is_output[size_t(v)] || sc.uses[size_t(v)] > 0;
    if (!need) continue;
    needed[size_t(*it)] = true;
    sc.op_count++;
    for (int v : n.inputs) sc.uses[size_t(v)]++;
  }
  // Fusion groups: a chunkable node absorbs a chunkable producer whose only
  // use it is, of the same shape, that is not itself requested.
  std::vector<int> group_root(g.nodes.size(), -1);
  std::unordered_map<int, std::vector<int>> groups;
  std::vector<int> pos(g.nodes.size());
  for (size_t k = 0; k < order.size(); k++) pos[size_t(order[k])] = int(k);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    int r = *it;
    if (!needed[size_t(r)] || group_root[size_t(r)] >= 0 || !chunkable(g, g.nodes[size_t(r)])) continue;
    const Shape& shape = g.values[size_t(g.nodes[size_t(r)].outputs[0])].shape;
    std::vector<int> members{r}, work{r};
    group_root[size_t(r)] = r;
    while (!work.empty()) {
      int m = work.back();
      work.pop_back();
      for (int v : g.nodes[size_t(m)].inputs) {
        int p = g.producer[size_t(v)];
        if (p < 0 || group_root[size_t(p)] >= 0 || sc.uses[size_t(v)] != 1 || sc.is_output[size_t(v)]) continue;
        const Node& pn = g.nodes[size_t(p)];
        if (!chunkable(g, pn) || g.values[size_t(v)].shape != shape) continue;
        group_root[size_t(p)] = r;
        members.push_back(p);
        work.push_back(p);
      }
    }
    std::sort(members.begin(), members.end(), [&](int a, int b) { return pos[size_t(a)] < pos[size_t(b)]; });
    if (members.size() > 1) sc.fused_groups++;
    groups[r] = std::move(members);
  }
  for (int i : order) {
    if (!needed[size_t(i)] || (group_root[size_t(i)] >= 0 && group_root[size_t(i)] != i)) continue;  // a member runs with its root
    auto grp = groups.find(i);
    if (grp != groups.end()) sc.steps.push_back({std::move(grp->second), true});
    else sc.steps.push_back({{i}, false});
  }
  return sc;
}

// Runs the schedule's steps. Values made by nodes are freed after their last
// reader; inputs stay (a plan's constants live with the plan).
Execution execute(Graph& g, const Schedule& sc) {
  std::vector<int> uses = sc.uses;
  auto release_inputs = [&](const Node& n) {
    for (int v : n.inputs)
      if (--uses[size_t(v)] == 0 && !sc.is_output[size_t(v)] && g.producer[size_t(v)] >= 0) g.data[size_t(v)] = Array();
  };
  for (const Step& step : sc.steps) {
    const Node& n = g.nodes[size_t(step.nodes.back())];
    if (step.chunked) {
      run_group(g, step.nodes);
      for (int m : step.nodes) release_inputs(g.nodes[size_t(m)]);
      continue;
    }
    if (n.def->ew) {
      run_broadcast(g, n);
    } else {
      std::vector<Array> ins;
      std::vector<TypeShape> outs;
      for (int v : n.inputs) ins.push_back(g.data[size_t(v)]);
      for (int v : n.outputs) outs.push_back(g.values[size_t(v)]);
      std::vector<Array> res = n.def->eval(EvalCtx{ins, n.attrs, outs, n.path, n.transposed});
      if (res.size() != outs.size()) throw std::logic_error(n.def->name + " produced the wrong number of outputs");
      for (size_t k = 0; k < res.size(); k++) {
        if (res[k].dtype != outs[k].dtype || res[k].shape != outs[k].shape)
          throw std::logic_error(n.def->name + " produced " + dtype_name(res[k].dtype) + shape_str(res[k].shape) + " but inferred " +
                                 dtype_name(outs[k].dtype) + shape_str(outs[k].shape));
        g.data[size_t(n.outputs[k])] = std::move(res[k]);
      }
    }
    release_inputs(n);
  }
  return {sc.op_count, sc.fused_groups};
}

json error_response(const std::string& code, const std::string& path, const std::string& msg) {
  return {{"schema_version", kSchemaVersion}, {"status", "error"}, {"error", {{"code", code}, {"path", path}, {"message", msg}}}};
}

json refused_response(const std::string& code, const std::string& scope, const std::string& subject, const std::string& detail) {
  return {{"schema_version", kSchemaVersion},
          {"status", "refused"},
          {"refusal", {{"code", code}, {"scope", scope}, {"subject", subject}, {"detail", detail}}}};
}

// The response of an evaluated graph: each output inline, as base64, as a
// buffer or as a resident handle.
EvalResult respond(Session& s, Graph& g, const Execution& ex, const char* default_as, std::chrono::steady_clock::time_point t0) {
  EvalResult r;
  json outs = json::array();
  for (auto& o : g.outputs) {
    const Array& a = g.data[size_t(o.value)];
    std::string as = o.as.empty() ? default_as : o.as;
    json j = {{"ref", o.ref}, {"dtype", dtype_name(a.dtype)}, {"shape", a.shape}};
    if (as == "inline") {
      j["data"] = encode_inline(a);
    } else if (as == "base64") {
      j["base64"] = base64_encode(a.raw(), a.nbytes());
    } else if (as == "buffer") {
      j["buffer"] = r.buffers.size();
      r.buffers.push_back(owned(a));
    } else {
      std::string h = "h" + std::to_string(s.next_handle++);
      s.handles[h] = owned(a);
      j["handle"] = h;
    }
    outs.push_back(std::move(j));
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  r.response = {{"schema_version", kSchemaVersion},
                {"status", "ok"},
                {"outputs", std::move(outs)},
                {"receipt",
                 {{"engine", "cpu"}, {"engine_version", kEngineVersion}, {"op_count", ex.op_count}, {"fused_groups", ex.fused_groups}, {"elapsed_ms", ms}}}};
  return r;
}

}  // namespace

struct Plan {
  Graph g;  // validated and inferred; constants loaded, placeholders empty
  std::vector<int> order;
  Schedule schedule;  // for the outputs the plan was defined with
};

namespace {

// Keeps a validated graph under a name: constants are copied to live with it.
EvalResult define_plan(Session& s, JVal req, Graph g, std::vector<int> order, std::chrono::steady_clock::time_point t0) {
  const JVal name = req["define_plan"];
  if (!name.is_string() || !valid_id(name.str()))
    throw RequestError("invalid_id", "/define_plan", "a plan name is a string matching [A-Za-z_][A-Za-z0-9_.-]{0,127}");
  for (auto& in : g.inputs) {
    if (!in.placeholder) g.data[size_t(in.value)] = owned(g.data[size_t(in.value)]);
    in.source = JVal();
  }
  auto plan = std::make_shared<Plan>();
  plan->g = std::move(g);
  plan->order = std::move(order);
  plan->schedule = make_schedule(plan->g, plan->order);
  s.plans[std::string(name.str())] = std::move(plan);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EvalResult r;
  r.response = {{"schema_version", kSchemaVersion},
                {"status", "ok"},
                {"outputs", json::array()},
                {"receipt", {{"engine", "cpu"}, {"engine_version", kEngineVersion}, {"op_count", 0}, {"fused_groups", 0}, {"elapsed_ms", ms}}}};
  return r;
}

// A run of a stored plan: the request gives each placeholder, by id, and may
// choose the outputs (any value of the plan) and how they come back.
EvalResult run_plan(Session& s, JVal req, const InputBuffer* bufs, size_t n_bufs, const char* default_as,
                    std::chrono::steady_clock::time_point t0) {
  expect_object(req, "", {"schema_version", "run_plan", "inputs", "outputs", "device"});
  check_header(req);
  const JVal name = req["run_plan"];
  auto it = name.is_string() ? s.plans.find(std::string(name.str())) : s.plans.end();
  if (it == s.plans.end()) throw RequestError("unknown_plan", "/run_plan", "no plan " + name.dump() + " in this session");
  Plan& plan = *it->second;
  Graph& g = plan.g;
  // The run borrows the plan's graph: however it ends, the placeholders and
  // every value a node made are cleared and the plan's outputs put back.
  struct Borrow {
    Graph& g;
    std::vector<OutputSpec> outputs;
    ~Borrow() {
      for (size_t v = 0; v < g.data.size(); v++)
        if (g.producer[v] >= 0) g.data[v] = Array();
      for (auto& in : g.inputs)
        if (in.placeholder) g.data[size_t(in.value)] = Array();
      g.outputs = std::move(outputs);
    }
  } borrow{g, g.outputs};
  const JVal inputs = req["inputs"];
  if (req.contains("inputs") && !inputs.is_array()) throw RequestError("invalid_type", "/inputs", "inputs is a list");
  std::vector<bool> given(g.values.size(), false);
  for (size_t i = 0; i < inputs.size(); i++) {
    const std::string p = ptr("/inputs", i);
    const JVal in = inputs[i];
    expect_object(in, p, {"id", "dtype", "shape", "data", "base64", "buffer", "handle"});
    const std::string id = id_of(in, p);
    auto named = g.names.find(id);
    auto spec = named == g.names.end() || !named->second.input
                    ? g.inputs.end()
                    : std::find_if(g.inputs.begin(), g.inputs.end(), [&](const InputSpec& x) { return x.value == named->second.index; });
    if (spec == g.inputs.end() || !spec->placeholder)
      throw RequestError("unknown_input", p + "/id", "the plan has no placeholder \"" + id + "\"");
    if (given[size_t(spec->value)]) throw RequestError("duplicate_id", p + "/id", "placeholder \"" + id + "\" is given twice");
    given[size_t(spec->value)] = true;
    const TypeShape& ts = g.values[size_t(spec->value)];
    if (in.contains("dtype") && dtype_of(in["dtype"], p + "/dtype") != ts.dtype)
      throw RequestError("invalid_dtype", p + "/dtype", "the plan takes " + std::string(dtype_name(ts.dtype)) + " here");
    if (in.contains("shape") && shape_of(in["shape"], p + "/shape", s.limits) != ts.shape)
      throw RequestError("invalid_shape", p + "/shape", "the plan takes shape " + shape_str(ts.shape) + " here");
    if (int(in.contains("data")) + in.contains("base64") + in.contains("buffer") + in.contains("handle") != 1)
      throw RequestError("invalid_input", p, "an input has exactly one of data, base64, buffer or handle");
    if (in.contains("handle")) {
      const Array& held = handle_of(s, in, p);
      if (held.dtype != ts.dtype || held.shape != ts.shape)
        throw RequestError("invalid_shape", p + "/handle", "the handle holds " + std::string(dtype_name(held.dtype)) + shape_str(held.shape) + ", the plan takes " + dtype_name(ts.dtype) + shape_str(ts.shape));
    }
    if (in.contains("buffer")) check_buffer_index(in, p, n_bufs);
    InputSpec at = *spec;
    at.path = p;
    load_input(g, s, bufs, at, in);
  }
  for (auto& in : g.inputs)
    if (in.placeholder && !given[size_t(in.value)])
      throw RequestError("missing_field", "/inputs", "placeholder \"" + std::find_if(g.names.begin(), g.names.end(), [&](auto& kv) { return kv.second.input && kv.second.index == in.value; })->first + "\" is not given");
  Schedule chosen;
  const Schedule* schedule = &plan.schedule;
  if (req.contains("outputs")) {
    g.outputs.clear();
    parse_outputs(g, req["outputs"]);
    resolve_outputs(g);
    // the same values asked for (perhaps returned another way): the kept schedule holds
    const bool same = std::equal(g.outputs.begin(), g.outputs.end(), borrow.outputs.begin(), borrow.outputs.end(),
                                 [](const OutputSpec& a, const OutputSpec& b) { return a.value == b.value; });
    if (!same) schedule = &(chosen = make_schedule(g, plan.order));
  }
  Execution ex = execute(g, *schedule);
  return respond(s, g, ex, default_as, t0);
}

EvalResult evaluate_checked(Session& s, const char* request, size_t length, const InputBuffer* bufs, size_t n_bufs,
                            const char* default_as) {
  auto t0 = std::chrono::steady_clock::now();
  const Limits& lim = s.limits;
  if (!request) throw RequestError("invalid_json", "", "request is NULL");
  if (int64_t(length) > lim.max_request_bytes)
    throw Refusal("resource_limit", "request", "", "request of " + std::to_string(length) + " bytes exceeds max_request_bytes");
  // the session's document buffers are reused; large ones are let go after
  struct Trim {
    JDoc& d;
    ~Trim() { d.trim(); }
  } trim{s.request};
  const JVal req = read_json(request, length, s.request);
  if (req.is_object() && req.contains("run_plan")) return run_plan(s, req, bufs, n_bufs, default_as, t0);
  Graph g;
  parse(g, req, lim, n_bufs, s);
  std::vector<int> order = topo_order(g);
  infer(g, order, lim);
  int64_t total = 0;
  for (auto& v : g.values) {
    total += int64_t(shape_size(v.shape) * int64_t(dtype_size(v.dtype)));
    if (total > lim.max_bytes)
      throw Refusal("resource_limit", "request", "", "the request's arrays need more than max_bytes " + std::to_string(lim.max_bytes));
  }
  fold_transposes(g);
  g.data.resize(g.values.size());
  load_inputs(g, s, bufs);
  if (req.contains("define_plan")) return define_plan(s, req, std::move(g), std::move(order), t0);
  Execution ex = execute(g, make_schedule(g, order));
  return respond(s, g, ex, default_as, t0);
}

}  // namespace

EvalResult evaluate(Session& s, const char* request, size_t length, const InputBuffer* bufs, size_t n_bufs,
                    const char* default_as) {
  std::lock_guard<std::mutex> lock(s.mu);
  EvalResult r;
  try {
    return evaluate_checked(s, request, length, bufs, n_bufs, default_as);
  } catch (const RequestError& e) {
    r.response = error_response(e.code, e.path, e.what());
  } catch (const Refusal& e) {
    r.response = refused_response(e.code, e.scope, e.subject, e.what());
  } catch (const json::exception& e) {
    r.response = error_response("invalid_request", "", e.what());
  } catch (const std::bad_alloc&) {
    r.response = refused_response("resource_limit", "memory", "", "out of memory while evaluating");
  } catch (const std::exception& e) {
    r.response = error_response("internal", "", e.what());
  } catch (...) {
    r.response = error_response("internal", "", "unknown failure");
  }
  r.buffers.clear();
  return r;
}

json capabilities_json() {
  json ops = json::array();
  for (const OpDef& d : all_ops()) {
    json attrs = json::array();
    for (auto& a : d.attrs) {
      attrs.push_back({{"name", a.name},
                       {"type", attr_type_name(a.type)},
                       {"required", a.required},
                       {"nullable", !a.required && (a.nullable || a.default_value.is_null())},
                       {"default", a.default_value}});
      if (a.type == AttrType::Enum) attrs.back()["choices"] = a.choices;
    }
    json op = {{"name", d.name},
               {"family", d.family},
               {"inputs", {{"min", d.min_inputs}, {"max", d.max_inputs < 0 ? json(nullptr) : json(d.max_inputs)}}},
               {"attrs", attrs},
               {"dtype_rule", d.dtype_rule},
               {"elementwise", bool(d.ew)},
               {"shapeless", d.shapeless}};
    if (d.ew) {
      // The dtypes an elementwise op takes, all inputs of one dtype (astype: to float32).
      json kernel_dtypes = json::array();
      Attrs probe;
      probe.values = {{"dtype", "float32"}, {"decimals", 0}};
      for (int i = 0; i < kNumDTypes; i++) {
        EwTypes t = d.ew->types(std::vector<DType>(size_t(std::max(d.min_inputs, 1)), DType(i)), probe);
        if (d.ew->kernel(t.in.back(), t.out)) kernel_dtypes.push_back(dtype_name(DType(i)));
      }
      op["kernel_dtypes"] = kernel_dtypes;
    }
    ops.push_back(std::move(op));
  }
  json dtypes = json::array();
  for (int i = 0; i < kNumDTypes; i++) dtypes.push_back(dtype_name(DType(i)));
  return {{"schema_version", kSchemaVersion},
          {"engine", "cpu"},
          {"engine_version", kEngineVersion},
          {"devices", {"cpu"}},
          {"dtypes", dtypes},
          {"ops", ops},
          {"limits", limits_json(Limits{})}};
}

}  // namespace mlxc
