#include "engine.h"

#include <algorithm>
#include <chrono>
#include <string_view>

#include "codec.h"
#include "backend.h"
#include "json_doc.h"

namespace mlxc {

const char* const kEngineVersion = MLXCOMPAT_VERSION;  // project(VERSION) in CMakeLists.txt

json limits_json(const Limits& l) {
  return {{"max_elements", l.max_elements}, {"max_bytes", l.max_bytes},
          {"max_nodes", l.max_nodes},       {"max_inputs", l.max_inputs},
          {"max_ndim", l.max_ndim},         {"max_request_bytes", l.max_request_bytes}};
}

namespace {

json error_response(const std::string& code, const std::string& path, const std::string& msg) {
  return {{"schema_version", kSchemaVersion}, {"status", "error"}, {"error", {{"code", code}, {"path", path}, {"message", msg}}}};
}

json refused_response(const std::string& code, const std::string& scope, const std::string& subject, const std::string& detail) {
  return {{"schema_version", kSchemaVersion},
          {"status", "refused"},
          {"refusal", {{"code", code}, {"scope", scope}, {"subject", subject}, {"detail", detail}}}};
}

// The receipt of a request: what ran it and how much work it was.
json receipt(const Backend& b, int op_count, int fused_groups, std::chrono::steady_clock::time_point t0) {
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return {{"engine", "cpu"}, {"engine_version", kEngineVersion}, {"backend", b.name()}, {"backend_version", b.version()},
          {"op_count", op_count}, {"fused_groups", fused_groups}, {"elapsed_ms", ms}};
}

// Appends `v` as a JSON string.
void append_string(std::string& t, std::string_view v) {
  static const char* const kHex = "0123456789abcdef";
  t += '"';
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      t += '\\';
      t += c;
    } else if (u < 0x20) {
      t += "\\u00";
      t += kHex[u >> 4];
      t += kHex[u & 15];
    } else {
      t += c;
    }
  }
  t += '"';
}

// How a request's output `o` comes back ("inline", "base64", "buffer" or "handle").
std::string_view output_as(const OutputSpec& o, const char* default_as) { return o.as.empty() ? std::string_view(default_as) : std::string_view(o.as); }

// Whether every output of `g` comes back as a handle or a buffer.
bool all_by_reference(const Graph& g, const char* default_as) {
  return std::all_of(g.outputs.begin(), g.outputs.end(), [&](const OutputSpec& o) { return output_as(o, default_as) == "handle" || output_as(o, default_as) == "buffer"; });
}
// A compact reply's outputs: handles and buffers only (an error at `path` else).
void need_by_reference(const Graph& g, const char* default_as, const char* path) {
  if (!all_by_reference(g, default_as))
    throw RequestError("invalid_request", path, "a compact reply returns handles and buffers only: ask for the outputs as handles or buffers");
}

// Keeps output `a` as the next buffer of `r` or as a new resident handle of
// `s`, and appends its "buffer" index (a number) or its handle (a string) to `t`.
void keep_output(Session& s, EvalResult& r, const Array& a, bool as_buffer, std::string& t) {
  if (as_buffer) {
    t += std::to_string(r.buffers.size());
    r.buffers.push_back(owned(a));
    return;
  }
  std::string h = "h" + std::to_string(s.next_handle++);
  t += '"';
  t += h;
  t += '"';
  s.handles[std::move(h)] = owned(a);
}

// The compact reply (a plan's run with "reply": "compact", or any
// evaluation through mlxcompat_eval_compact): each output's handle or buffer
// index in order, the receipt's counts, and the outputs' types as numbers
// (dtype index, rank, dimensions, output after output) for a caller that
// checks them against its own inference, written as text directly.
EvalResult respond_compact(Session& s, Graph& g, const Execution& ex, const char* default_as, std::chrono::steady_clock::time_point t0) {
  EvalResult r;
  std::string& t = r.text;
  t.reserve(128 + 32 * g.outputs.size());
  t += "{\"compact\":{\"outputs\":[";
  for (size_t k = 0; k < g.outputs.size(); k++) {
    if (k) t += ',';
    keep_output(s, r, g.data[size_t(g.outputs[k].value)], output_as(g.outputs[k], default_as) == "buffer", t);
  }
  t += "],\"types\":[";
  for (size_t k = 0; k < g.outputs.size(); k++) {
    const Array& a = g.data[size_t(g.outputs[k].value)];
    if (k) t += ',';
    t += std::to_string(int(a.dtype));
    t += ',';
    t += std::to_string(a.shape.size());
    for (const int64_t d : a.shape) {
      t += ',';
      t += std::to_string(d);
    }
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  t += "],\"op_count\":" + std::to_string(ex.op_count) + ",\"fused_groups\":" + std::to_string(ex.fused_groups) + ",\"elapsed_ms\":" + json(ms).dump();
  t += "},\"schema_version\":" + std::to_string(kSchemaVersion) + ",\"status\":\"ok\"}";
  return r;
}

// The response of an evaluated graph: each output inline, as base64, as a
// buffer or as a resident handle. One whose outputs are all handles or
// buffers (a training loop's step) is written as text directly, the same
// JSON that building it as objects gives, in a fraction of the time.
EvalResult respond(Session& s, Graph& g, const Backend& b, const Execution& ex, const char* default_as, std::chrono::steady_clock::time_point t0) {
  EvalResult r;
  const auto as_of = [&](const OutputSpec& o) { return output_as(o, default_as); };
  if (all_by_reference(g, default_as)) {
    std::string& t = r.text;
    t.reserve(256 + 96 * g.outputs.size());
    t += "{\"outputs\":[";
    for (size_t k = 0; k < g.outputs.size(); k++) {
      const OutputSpec& o = g.outputs[k];
      const Array& a = g.data[size_t(o.value)];
      t += k ? ",{" : "{";
      // keys in nlohmann's (sorted) order
      if (as_of(o) == "buffer") {
        t += "\"buffer\":";
        keep_output(s, r, a, true, t);
        t += ",\"dtype\":\"";
        t += dtype_name(a.dtype);
        t += '"';
      } else {
        t += "\"dtype\":\"";
        t += dtype_name(a.dtype);
        t += "\",\"handle\":";
        keep_output(s, r, a, false, t);
      }
      t += ",\"ref\":";
      append_string(t, o.ref);
      t += ",\"shape\":[";
      for (size_t d = 0; d < a.shape.size(); d++) {
        if (d) t += ',';
        t += std::to_string(a.shape[d]);
      }
      t += "]}";
    }
    t += "],\"receipt\":";
    t += receipt(b, ex.op_count, ex.fused_groups, t0).dump();
    t += ",\"schema_version\":" + std::to_string(kSchemaVersion) + ",\"status\":\"ok\"}";
    return r;
  }
  json outs = json::array();
  for (auto& o : g.outputs) {
    const Array& a = g.data[size_t(o.value)];
    const std::string_view as = as_of(o);
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
  r.response = {{"schema_version", kSchemaVersion}, {"status", "ok"}, {"outputs", std::move(outs)}, {"receipt", receipt(b, ex.op_count, ex.fused_groups, t0)}};
  return r;
}

}  // namespace

namespace {

// The most bytes of arrays alive at once while `sc` runs, held as execute()
// holds them: the graph's inputs throughout; each step's outputs (a fused
// group's root and the members asked for) from that step until their last
// reader has run, or to the end for the request's outputs. Saturates.
int64_t live_peak(const Graph& g, const Schedule& sc) {
  auto bytes = [&](int v) { return shape_size(g.values[size_t(v)].shape) * int64_t(dtype_size(g.values[size_t(v)].dtype)); };
  int64_t live = 0, peak = 0;
  auto add = [&](int64_t b) {
    if (__builtin_add_overflow(live, b, &live)) live = INT64_MAX;
    peak = std::max(peak, live);
  };
  std::vector<bool> held(g.values.size(), false);
  auto hold = [&](int v) {
    held[size_t(v)] = true;
    add(bytes(v));
  };
  for (size_t v = 0; v < g.values.size(); v++)
    if (g.producer[v] < 0) hold(int(v));
  std::vector<int> uses = sc.uses;
  for (const Step& step : sc.steps) {
    const Node& root = g.nodes[size_t(step.nodes.back())];
    if (step.chunked) {
      hold(root.outputs[0]);
      for (size_t m = 0; m + 1 < step.nodes.size(); m++) {
        const int v = g.nodes[size_t(step.nodes[m])].outputs[0];
        if (sc.is_output[size_t(v)]) hold(v);
      }
    } else {
      for (int v : root.outputs) hold(v);
    }
    for (int m : step.nodes)
      for (int v : g.nodes[size_t(m)].inputs)
        if (--uses[size_t(v)] == 0 && !sc.is_output[size_t(v)] && g.producer[size_t(v)] >= 0 && held[size_t(v)]) {
          held[size_t(v)] = false;
          if (live != INT64_MAX) live -= bytes(v);
        }
  }
  return peak;
}

// What a request may make the process allocate, checked against max_bytes
// before anything is: the arrays alive at once while it runs (live_peak;
// a kernel's own temporaries are left out) and the encoded outputs
// (`default_as` for those that do not say; nullptr when none are returned).
// An inline value is counted at 64 bytes: its JSON value, its text in the
// response and the caller's copy of that text; base64 at four times the
// array's bytes for the same reasons.
void check_bytes(const Graph& g, const Schedule& sc, const char* default_as, const Limits& lim) {
  int64_t total = live_peak(g, sc);
  std::string subject;
  if (default_as)
    for (size_t k = 0; k < g.outputs.size() && total <= lim.max_bytes; k++) {
      const TypeShape& v = g.values[size_t(g.outputs[k].value)];
      const std::string as = g.outputs[k].as.empty() ? default_as : g.outputs[k].as;
      const int64_t n = shape_size(v.shape), bytes = n * int64_t(dtype_size(v.dtype));
      if (__builtin_add_overflow(total, as == "inline" ? n * 64 : as == "base64" ? bytes * 4 : bytes, &total)) total = INT64_MAX;
      if (total > lim.max_bytes) subject = "/outputs/" + std::to_string(k);
    }
  if (total > lim.max_bytes)
    throw Refusal("resource_limit", "request", subject,
                  "the request's arrays alive at once and its encoded outputs need " + (total == INT64_MAX ? std::string("more than 2^63") : std::to_string(total)) +
                      " bytes, more than max_bytes " + std::to_string(lim.max_bytes));
}

// Keeps a validated graph under a name: constants are copied to live with it.
EvalResult define_plan(Session& s, JVal req, Graph g, std::vector<int> order, Backend& backend, std::chrono::steady_clock::time_point t0) {
  const JVal name = req["define_plan"];
  if (!name.is_string() || !valid_id(name.str()))
    throw RequestError("invalid_id", "/define_plan", "a plan name is a string matching [A-Za-z_][A-Za-z0-9_.-]{0,127}");
  if (s.plans.count(std::string(name.str())))
    throw RequestError("duplicate_id", "/define_plan", "the session already holds a plan " + name.dump() + ": release it first");
  for (auto& in : g.inputs) {
    if (!in.placeholder) g.data[size_t(in.value)] = owned(g.data[size_t(in.value)]);
    in.source = JVal();
  }
  auto plan = std::make_shared<Plan>();
  plan->g = std::move(g);
  plan->order = std::move(order);
  plan->schedule = make_schedule(plan->g, plan->order);
  plan->backend = &backend;
  s.plans[std::string(name.str())] = std::move(plan);
  EvalResult r;
  r.response = {{"schema_version", kSchemaVersion}, {"status", "ok"}, {"outputs", json::array()}, {"receipt", receipt(backend, 0, 0, t0)}};
  return r;
}

// Writes a validated graph as an MLX function (.mlxfn) of its placeholders:
// "export_function": {"file": path, "shapeless": false} traces it once, on
// every placeholder (in input order) returning every output; with "traces":
// [{"inputs": [placeholder ids], "outputs": [refs]}, ...], once per trace
// (MLX's exporter: one file holding the function at several signatures).
EvalResult export_function(JVal req, Graph& g, const std::vector<int>& order, Backend& backend, std::chrono::steady_clock::time_point t0) {
  const JVal spec = req["export_function"];
  expect_object(spec, "/export_function", {"file", "shapeless", "traces"});
  const JVal file = spec["file"], shapeless = spec["shapeless"], traces = spec["traces"];
  if (!file.is_string() || file.str().empty()) throw RequestError("invalid_type", "/export_function/file", "file is the path of the .mlxfn file to write");
  if (spec.contains("shapeless") && !shapeless.is_boolean()) throw RequestError("invalid_type", "/export_function/shapeless", "shapeless is a boolean");
  if (req.contains("define_plan")) throw RequestError("invalid_request", "/export_function", "a request either defines a plan or exports a function");
  std::vector<FunctionTrace> list;
  if (!spec.contains("traces")) {
    FunctionTrace t;
    for (auto& in : g.inputs)
      if (in.placeholder) t.params.push_back(in.value);
    for (auto& o : g.outputs) t.outputs.push_back(o.value);
    t.schedule = make_schedule(g, order);
    list.push_back(std::move(t));
  } else {
    if (!traces.is_array() || traces.size() == 0) throw RequestError("invalid_type", "/export_function/traces", "traces is a non-empty list of {inputs, outputs}");
    for (size_t k = 0; k < traces.size(); k++) {
      const std::string p = ptr("/export_function/traces", k);
      const JVal tr = traces[k];
      expect_object(tr, p, {"inputs", "outputs"});
      const JVal ids = tr["inputs"];
      if (!ids.is_array()) throw RequestError("invalid_type", p + "/inputs", "inputs is a list of placeholder ids");
      FunctionTrace t;
      for (size_t i = 0; i < ids.size(); i++) {
        auto named = ids[i].is_string() ? g.names.find(std::string(ids[i].str())) : g.names.end();
        const bool placeholder = named != g.names.end() && named->second.input &&
                                 std::any_of(g.inputs.begin(), g.inputs.end(), [&](const InputSpec& x) { return x.value == named->second.index && x.placeholder; });
        if (!placeholder) throw RequestError("unknown_input", ptr(p + "/inputs", i), "the request has no placeholder " + ids[i].dump());
        t.params.push_back(named->second.index);
      }
      g.outputs.clear();
      parse_outputs(g, tr["outputs"]);
      resolve_outputs(g);
      for (auto& o : g.outputs) t.outputs.push_back(o.value);
      t.schedule = make_schedule(g, order);
      list.push_back(std::move(t));
    }
  }
  backend.export_function(g, list, std::string(file.str()), spec.contains("shapeless") && shapeless.boolean());
  EvalResult r;
  r.response = {{"schema_version", kSchemaVersion}, {"status", "ok"}, {"outputs", json::array()}, {"receipt", receipt(backend, 0, 0, t0)}};
  return r;
}

// Whether a plan's run asks for the compact reply ("reply": "compact"; "full", the default, is the usual response).
bool compact_reply(JVal req) {
  if (!req.contains("reply")) return false;
  const JVal reply = req["reply"];
  if (reply != "compact" && reply != "full") throw RequestError("invalid_attr", "/reply", "reply is \"full\" or \"compact\", got " + reply.dump());
  return reply == "compact";
}

// A run of a stored plan: the request gives each placeholder, by id, and may
// choose the outputs (any value of the plan) and how they come back.
EvalResult run_plan(Session& s, JVal req, const InputBuffer* bufs, size_t n_bufs, const char* default_as, bool compact,
                    std::chrono::steady_clock::time_point t0) {
  expect_object(req, "", {"schema_version", "run_plan", "inputs", "outputs", "device", "backend", "reply"});
  const JVal name = req["run_plan"];
  auto it = name.is_string() ? s.plans.find(std::string(name.str())) : s.plans.end();
  if (it == s.plans.end()) throw RequestError("unknown_plan", "/run_plan", "no plan " + name.dump() + " in this session");
  Plan& plan = *it->second;
  if (req.contains("backend") && req["backend"] != plan.backend->name())
    throw RequestError("invalid_backend", "/backend", "plan " + name.dump() + " was defined for the " + plan.backend->name() + " backend");
  Graph& g = plan.g;
  const std::string device = check_header(req, *plan.backend);
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
  compact = compact_reply(req) || compact;
  if (compact) need_by_reference(g, default_as, "/reply");
  check_bytes(g, *schedule, default_as, s.limits);
  Execution ex = plan.backend->run(g, *schedule, device);
  return compact ? respond_compact(s, g, ex, default_as, t0) : respond(s, g, *plan.backend, ex, default_as, t0);
}

// The backend a request names in "backend", else the session's; refused
// (unsupported_backend, with the reason) when it cannot run here.
Backend& backend_of(const Session& s, JVal req) {
  std::string name = s.backend;
  std::string path = "";
  if (req.is_object() && req.contains("backend")) {
    const JVal b = req["backend"];
    if (!b.is_string()) throw RequestError("invalid_type", "/backend", "backend is a string");
    name = std::string(b.str());
    path = "/backend";
  }
  Backend* be = find_backend(name);
  if (!be) {
    std::string known;
    for (Backend* k : all_backends()) known += std::string(known.empty() ? "" : ", ") + k->name();
    throw RequestError("invalid_backend", path, "unknown backend \"" + name + "\" (" + known + ")" + (path.empty() ? " named by MLXCOMPAT_BACKEND" : ""));
  }
  const std::string why = be->unavailable_reason();
  if (!why.empty()) throw Refusal("unsupported_backend", "request", path.empty() ? "/backend" : path, "the " + name + " backend is unavailable: " + why);
  return *be;
}

EvalResult evaluate_checked(Session& s, const char* request, size_t length, const InputBuffer* bufs, size_t n_bufs,
                            const char* default_as, bool compact) {
  auto t0 = std::chrono::steady_clock::now();
  const Limits& lim = s.limits;
  if (!request) throw RequestError("invalid_json", "", "request is NULL");
  if (length > uint64_t(lim.max_request_bytes))
    throw Refusal("resource_limit", "request", "", "request of " + std::to_string(length) + " bytes exceeds max_request_bytes");
  // the session's document buffers are reused; large ones are let go after
  struct Trim {
    JDoc& d;
    ~Trim() { d.trim(); }
  } trim{s.request};
  const JVal req = read_json(request, length, s.request);
  if (req.is_object() && req.contains("run_plan")) return run_plan(s, req, bufs, n_bufs, default_as, compact, t0);
  Backend& backend = backend_of(s, req);
  Graph g;
  parse(g, req, lim, n_bufs, s, backend);
  std::vector<int> order = topo_order(g);
  infer(g, order, lim, backend.native());
  const bool evaluating = !req.contains("define_plan") && !req.contains("export_function");
  if (compact && evaluating) need_by_reference(g, default_as, "/outputs");
  if (backend.native()) fold_transposes(g);
  const Schedule schedule = make_schedule(g, order);
  check_bytes(g, schedule, evaluating ? default_as : nullptr, lim);
  g.data.resize(g.values.size());
  load_inputs(g, s, bufs);
  if (req.contains("export_function")) return export_function(req, g, order, backend, t0);
  if (req.contains("define_plan")) return define_plan(s, req, std::move(g), std::move(order), backend, t0);
  Execution ex = backend.run(g, schedule, g.device);
  return compact ? respond_compact(s, g, ex, default_as, t0) : respond(s, g, backend, ex, default_as, t0);
}

}  // namespace

EvalResult evaluate(Session& s, const char* request, size_t length, const InputBuffer* bufs, size_t n_bufs,
                    const char* default_as, bool compact) {
  std::lock_guard<std::mutex> lock(s.mu);
  EvalResult r;
  try {
    return evaluate_checked(s, request, length, bufs, n_bufs, default_as, compact);
  } catch (const RequestError& e) {
    r.response = error_response(e.code, e.path, e.what());
  } catch (const Refusal& e) {
    r.response = refused_response(e.code, e.scope, e.subject, e.what());
  } catch (const json::exception& e) {
    r.response = error_response("invalid_request", "", e.what());
  } catch (const std::bad_alloc&) {
    r.response = refused_response("resource_limit", "memory", "", "out of memory while evaluating");
  } catch (const std::length_error&) {
    r.response = refused_response("resource_limit", "memory", "", "a container past its largest size while evaluating");
  } catch (const std::exception& e) {
    r.response = error_response("internal", "", e.what());
  } catch (...) {
    r.response = error_response("internal", "", "unknown failure");
  }
  r.buffers.clear();
  return r;
}

namespace {

// The backends with a kernel for op `d`.
json backends_of(const OpDef& d) {
  json names = json::array();
  for (const Backend* b : all_backends())
    if (b->has_kernel(d)) names.push_back(b->name());
  return names;
}

}  // namespace

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
               {"backends", backends_of(d)},
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
  json backends = json::array();
  for (const Backend* b : all_backends()) backends.push_back(b->describe());
  return {{"schema_version", kSchemaVersion},
          {"engine", "cpu"},
          {"engine_version", kEngineVersion},
          {"devices", {"cpu"}},
          {"backends", backends},
          {"dtypes", dtypes},
          {"ops", ops},
          {"limits", limits_json(Limits{})}};
}

}  // namespace mlxc
