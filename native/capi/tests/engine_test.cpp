// The engine's C tests: a corpus of valid and hostile requests (corpus.jsonl:
// every reproducer of issue 11 and more), a request for every op of the
// registry in every dtype, and the cases only the C ABI can make (NULL
// buffers, no session, plans, options). Run plain and under ASan+UBSan and
// ThreadSanitizer builds; a sanitizer report aborts the run.
//
//   mlxcompat_engine_test CORPUS_DIR [--write-seeds DIR]
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "harness.h"

using namespace harness;

namespace {

Tally t;
std::string seeds_dir;
int seed_count = 0;

// Every request the test sends can seed the fuzzers (--write-seeds).
void seed(const std::string& req) {
  if (seeds_dir.empty()) return;
  std::ofstream(seeds_dir + "/t" + std::to_string(seed_count++) + ".json") << req;
}

std::vector<uint8_t> from_hex(const std::string& h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(uint8_t(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

// A corpus entry: {"name", "request", "expect": "ok" | "error:CODE" |
// "refused:CODE", "where": path or subject, "outputs": [expected inline
// data of each output], "buffers": [hex bytes], "limits": session limits}.
void run_corpus(const std::string& dir) {
  for (const json& c : read_jsonl(dir + "/corpus.jsonl")) {
    // a string is sent as it is (text that is not JSON, say)
    const std::string name = c["name"], req = c["request"].is_string() ? c["request"].get<std::string>() : c["request"].dump();
    seed(req);
    mlxcompat_session* s = mlxcompat_session_new(c.contains("limits") ? json{{"limits", c["limits"]}}.dump().c_str() : nullptr, nullptr);
    Answer a;
    if (c.contains("buffers")) {
      std::vector<std::vector<uint8_t>> bytes;
      std::vector<mlxcompat_buffer> bufs;
      for (auto& h : c["buffers"]) bytes.push_back(from_hex(h));
      for (auto& b : bytes) bufs.push_back({b.data(), b.size()});
      a = eval(s, req, bufs);
    } else {
      a = eval_json(s, req);
    }
    mlxcompat_session_free(s);
    const std::string expect = c["expect"];
    const std::string got = a.status() == "ok" ? "ok" : a.status() + ":" + a.code();
    t.check(got == expect, name, "expected " + expect + ", got " + a.response.dump().substr(0, 400));
    if (c.contains("where")) t.check(a.where() == c["where"], name + " (where)", "expected " + c["where"].dump() + ", got " + a.where());
    if (c.contains("outputs") && a.status() == "ok") {
      for (size_t k = 0; k < c["outputs"].size(); k++) {
        const json& want = c["outputs"][k];
        const json got_data = a.response["outputs"][k].value("data", json());
        t.check(got_data == want, name + " (output " + std::to_string(k) + ")", "expected " + want.dump() + ", got " + got_data.dump());
      }
    }
  }
}

// Required attributes and special inputs of the ops that need them; an input
// is a shape (in the dtype under test) or a fixed {"dtype", "shape", "data"}.
const char* kOpSetups = R"({
  "zeros": {"attrs": {"shape": [2, 3]}}, "ones": {"attrs": {"shape": [2, 3]}},
  "full": {"attrs": {"shape": [2, 3]}, "inputs": [[]]},
  "arange": {"attrs": {"start": 1, "stop": 7, "step": 2}},
  "linspace": {"attrs": {"start": 0, "stop": 1, "num": 5}},
  "eye": {"attrs": {"n": 3, "k": 1}}, "identity": {"attrs": {"n": 3}}, "tri": {"attrs": {"n": 3, "m": 4}},
  "astype": {"attrs": {"dtype": "int32"}},
  "reshape": {"attrs": {"shape": [3, -1]}}, "expand_dims": {"attrs": {"axes": [0, 2]}},
  "broadcast_to": {"attrs": {"shape": [4, 2, 3]}},
  "split": {"attrs": {"indices_or_sections": [1], "axis": 1}},
  "tile": {"attrs": {"reps": [2, 1, 2]}}, "repeat": {"attrs": {"repeats": 2, "axis": 1}},
  "pad": {"attrs": {"pad_width": [1, 2], "value": 7}},
  "slice": {"attrs": {"start": [0, -1], "stop": [2, -4], "strides": [1, -1]}},
  "slice_update": {"attrs": {"start": [0, 0], "stop": [1, 3]}, "inputs": [[2, 3], [3]]},
  "take": {"attrs": {"axis": 1}, "inputs": [[2, 3], {"dtype": "int32", "shape": [2], "data": [2, -1]}]},
  "take_along_axis": {"attrs": {"axis": 1}, "inputs": [[2, 3], {"dtype": "int64", "shape": [2, 1], "data": [0, 2]}]},
  "put_along_axis": {"attrs": {"axis": 1, "reduce": "add"}, "inputs": [[2, 3], {"dtype": "uint8", "shape": [2, 2], "data": [0, 0, 2, 1]}, [2, 2]]},
  "where": {"inputs": [{"dtype": "bool", "shape": [2, 3], "data": [true, false, true, false, false, true]}, [2, 3], [3]]},
  "matmul": {"inputs": [[2, 3], [3, 2]]},
  "addmm": {"inputs": [[2, 2], [2, 3], [3, 2]]},
  "topk": {"attrs": {"k": 2}},
  "random_bits": {"attrs": {"shape": [3], "width": 2}, "inputs": [{"dtype": "uint32", "shape": [2], "data": [0, 7]}]},
  "concatenate": {"attrs": {"axis": 1}, "inputs": [[2, 3], [2, 1]]},
  "stack": {"attrs": {"axis": 2}, "inputs": [[2, 3], [2, 3], [2, 3]]},
  "rms_norm": {"attrs": {"eps": 1e-5}, "inputs": [[2, 3], [3]]},
  "layer_norm": {"attrs": {"eps": 1e-5, "has_weight": true, "has_bias": true}, "inputs": [[2, 3], [3], [3]]},
  "layer_norm_vjp": {"attrs": {"eps": 1e-5, "has_weight": true, "has_bias": true}, "inputs": [[2, 3], [3], [2, 3]]},
  "rope": {"attrs": {"dims": 2, "base": 10000}, "inputs": [[1, 2, 4]]},
  "scaled_dot_product_attention": {"attrs": {"scale": 0.5}, "inputs": [[1, 1, 2, 3], [1, 1, 2, 3], [1, 1, 2, 3]]},
  "scaled_dot_product_attention_vjp": {"attrs": {"scale": 0.5, "mask_mode": "causal"}, "inputs": [[1, 2, 2, 3], [1, 1, 3, 3], [1, 1, 3, 2], [1, 2, 2, 2]]},
  "partition": {"attrs": {"kth": 1}}, "argpartition": {"attrs": {"kth": -1, "axis": 0}},
  "view": {"attrs": {"dtype": "uint8"}},
  "as_strided": {"attrs": {"shape": [2, 2], "strides": [1, 2], "offset": 1}},
  "hadamard_transform": {"inputs": [[2, 4]]},
  "gather_mm": {"attrs": {"has_lhs_indices": true}, "inputs": [[2, 2, 3], [3, 2], {"dtype": "uint32", "shape": [3], "data": [1, 0, 1]}]},
  "block_masked_mm": {"attrs": {"block_size": 32, "has_mask_out": true}, "inputs": [[2, 3], [3, 2], {"dtype": "bool", "shape": [1, 1], "data": [true]}]},
  "quantize": {"inputs": [[2, 64]]},
  "dequantize": {"inputs": [{"dtype": "uint32", "shape": [2, 8], "data": [0,2654435761,1013904226,3668339987,2027808452,387276917,3041712678,1401181143,4055616904,2415085369,774553834,3428989595,1788458060,147926525,2802362286,1161830751]}, [2, 1], [2, 1]]},
  "conv_general": {"attrs": {"stride": [1], "padding_lo": [1], "padding_hi": [0], "kernel_dilation": [1], "input_dilation": [1]}, "inputs": [[1, 4, 2], [3, 2, 2]]},
  "conv_weight_grad": {"attrs": {"stride": [1], "padding_lo": [1], "padding_hi": [0], "kernel_dilation": [1], "input_dilation": [1], "kernel_shape": [2]}, "inputs": [[1, 4, 2], [1, 4, 3]]},
  "quantized_matmul": {"inputs": [[2, 64], {"dtype": "uint32", "shape": [3, 8], "data": [0,2654435761,1013904226,3668339987,2027808452,387276917,3041712678,1401181143,4055616904,2415085369,774553834,3428989595,1788458060,147926525,2802362286,1161830751,3816266512,2175734977,535203442,3189639203,1549107668,4203543429,2563011894,922480359]}, [3, 1], [3, 1]]},
  "fft": {"attrs": {"axes": [1]}},
  "inv": {"inputs": [[3, 3]]}, "eig": {"inputs": [[3, 3]]}, "eigh": {"inputs": [[3, 3]]},
  "solve": {"inputs": [[3, 3], [3, 2]]},
  "tri_inv": {"inputs": [{"dtype": "float32", "shape": [2, 2], "data": [2, 0, 1, 3]}]},
  "cholesky": {"inputs": [{"dtype": "float32", "shape": [2, 2], "data": [4, 1, 1, 3]}]},
  "solve_triangular": {"inputs": [{"dtype": "float32", "shape": [2, 2], "data": [2, 0, 1, 3]}, [2, 1]]}
})";

const char* kDTypes[] = {"bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
                         "int32", "int64", "float16", "bfloat16", "float32", "float64", "complex64"};

json input_of(const json& spec, const std::string& dtype, size_t k) {
  json in = {{"id", "i" + std::to_string(k)}};
  if (spec.is_object()) {
    in.update(spec);
    return in;
  }
  int64_t n = 1;
  for (auto d : spec) n *= d.get<int64_t>();
  json data = json::array();
  for (int64_t i = 0; i < n; i++) {
    if (dtype == "bool") data.push_back(i % 2 == 0);
    else if (dtype == "complex64") data.push_back({double(i + 1), -0.5});
    else data.push_back(double((i * 7 + 3 * k) % 11) * (dtype[0] == 'f' || dtype[0] == 'b' ? 0.25 : 1.0));
  }
  in["dtype"] = dtype;
  in["shape"] = spec;
  in["data"] = data;
  return in;
}

// Every op of the registry in every dtype: each answer is typed (never NULL),
// and every op computes in at least one dtype.
void run_every_op() {
  char* caps_s = mlxcompat_capabilities();
  const json caps = json::parse(caps_s);
  mlxcompat_string_free(caps_s);
  const json setups = json::parse(kOpSetups);
  mlxcompat_session* s = mlxcompat_session_new(nullptr, nullptr);
  for (const json& op : caps["ops"]) {
    const std::string name = op["name"];
    // MLX's other ops, by name, run on the mlx backend only (backends.test.ts)
    if (std::find(op["backends"].begin(), op["backends"].end(), "native") == op["backends"].end()) continue;
    const json setup = setups.value(name, json::object());
    json shapes = setup.value("inputs", json::array());
    if (!setup.contains("inputs")) {
      const int n = std::max(op["inputs"]["min"].get<int>(), op["inputs"]["max"].is_null() ? 2 : 0);
      for (int k = 0; k < n; k++) shapes.push_back({2, 3});
    }
    int ok = 0;
    std::string last;
    for (const char* dtype : kDTypes) {
      json inputs = json::array();
      json refs = json::array();
      for (size_t k = 0; k < shapes.size(); k++) {
        inputs.push_back(input_of(shapes[k], dtype, k));
        refs.push_back("i" + std::to_string(k));
      }
      json node = {{"id", "y"}, {"op", name}, {"inputs", refs}};
      if (setup.contains("attrs")) node["attrs"] = setup["attrs"];
      if (op["inputs"]["max"] == 0) node["attrs"]["dtype"] = dtype;
      json outs = json::array();
      const std::map<std::string, int> outputs_of = {{"split", 2}, {"quantize", 3}, {"qr", 2}, {"svd", 3}, {"lu_factor", 3}, {"eig", 2}, {"eigh", 2}, {"layer_norm_vjp", 3}, {"scaled_dot_product_attention_vjp", 3}};
      const int n_out = outputs_of.count(name) ? outputs_of.at(name) : 1;
      for (int k = 0; k < n_out; k++) outs.push_back(n_out == 1 ? "y" : "y:" + std::to_string(k));
      const std::string req = json{{"schema_version", 1}, {"inputs", inputs}, {"nodes", {node}}, {"outputs", outs}}.dump();
      if (std::strcmp(dtype, "float32") == 0 || std::strcmp(dtype, "int32") == 0) seed(req);
      const Answer a = eval_json(s, req);
      t.check(a.status() == "ok" || a.status() == "error" || a.status() == "refused", name + " " + dtype, a.response.dump());
      if (a.status() == "ok") ok++;
      else last = a.response.dump();
    }
    t.check(ok > 0, name + " computes in some dtype", last);
  }
  mlxcompat_session_free(s);
}

const char* kEmpty = R"({"schema_version": 1, "inputs": [{"id": "x", "dtype": "float32", "shape": [0], "buffer": 0}],
  "nodes": [{"id": "y", "op": "exp", "inputs": ["x"]}], "outputs": ["y", "x", {"ref": "x", "as": "handle"}, {"ref": "x", "as": "base64"}]})";

// What only the C ABI can do wrong.
// A compact reply gives the handles and buffers a full reply of the same run
// gives, in order, with its counts; a run whose outputs cannot be carried so
// (inline) is an error before anything runs.
void check_compact_reply(const std::string& backend) {
  mlxcompat_session* s = mlxcompat_session_new(nullptr, nullptr);
  const std::string def = R"({"schema_version": 1, "backend": ")" + backend + R"(", "define_plan": "p",
    "inputs": [{"id": "x", "dtype": "float32", "shape": [2], "placeholder": true}, {"id": "c", "dtype": "float32", "shape": [], "data": 4}],
    "nodes": [{"id": "y", "op": "multiply", "inputs": ["x", "c"]}, {"id": "z", "op": "negative", "inputs": ["y"]}],
    "outputs": [{"ref": "z", "as": "handle"}, "y"]})";
  const std::string on = " on the " + backend + " backend";
  t.check(eval_json(s, def).status() == "ok", "define_plan" + on);
  const float x[2] = {1.5f, -2.0f};
  const std::vector<mlxcompat_buffer> in = {{x, sizeof x}};
  const std::string run = R"({"schema_version": 1, "run_plan": "p", "inputs": [{"id": "x", "buffer": 0}])";
  const Answer full = eval(s, run + "}", in), compact = eval(s, run + R"(, "reply": "compact"})", in);
  const json& c = compact.response["compact"];
  t.check(compact.status() == "ok" && compact.response.size() == 3 && c.is_object(), "a compact reply" + on, compact.response.dump());
  if (compact.status() == "ok" && c.is_object()) {
    t.check(c["outputs"].size() == 2 && c["outputs"][0].is_string() && c["outputs"][1] == 0, "its outputs: a handle, then buffer 0" + on, c.dump());
    t.check(c["op_count"] == full.response["receipt"]["op_count"] && c["fused_groups"] == full.response["receipt"]["fused_groups"] && c["elapsed_ms"] >= 0,
            "its counts are the full receipt's" + on, c.dump());
    float y[2] = {0, 0};
    if (compact.buffers.size() == 1 && compact.buffers[0].size() == sizeof y) std::memcpy(y, compact.buffers[0].data(), sizeof y);
    t.check(y[0] == 6.0f && y[1] == -8.0f, "its buffer holds 4x" + on);
    const Answer held = eval(s, R"({"schema_version": 1, "inputs": [{"id": "h", "handle": )" + c["outputs"][0].dump() + R"(}], "outputs": ["h"]})", {});
    float z[2] = {0, 0};
    if (held.buffers.size() == 1 && held.buffers[0].size() == sizeof z) std::memcpy(z, held.buffers[0].data(), sizeof z);
    t.check(z[0] == -6.0f && z[1] == 8.0f, "its handle holds -4x" + on);
    // the full reply's handle and the compact one's, both resident
    t.check(mlxcompat_handle_count(s) == 2 && mlxcompat_release(s, c["outputs"][0].get<std::string>().c_str()) == 0, "its handle is resident" + on);
  }
  const Answer inline_out = eval(s, run + R"(, "reply": "compact", "outputs": [{"ref": "y", "as": "inline"}]})", in);
  t.check(inline_out.code() == "invalid_request" && inline_out.where() == "/reply", "a compact reply of an inline output" + on, inline_out.response.dump());
  const Answer bad = eval(s, run + R"(, "reply": "terse"})", in);
  t.check(bad.code() == "invalid_attr" && bad.where() == "/reply", "an unknown reply" + on, bad.response.dump());
  mlxcompat_session_free(s);
}

void run_abi_cases() {
  // Empty buffers may have a NULL pointer: nothing is read or copied from it.
  {
    mlxcompat_session* s = mlxcompat_session_new(nullptr, nullptr);
    const Answer a = eval(s, kEmpty, {{nullptr, 0}});
    t.check(a.status() == "ok", "an empty NULL buffer in, as buffer, handle and base64", a.response.dump());
    mlxcompat_session_free(s);
  }
  // A plan needs a session to live in.
  {
    const std::string def = R"({"schema_version": 1, "define_plan": "p", "inputs": [{"id": "x", "dtype": "float32", "shape": [2], "placeholder": true}],
      "nodes": [{"id": "y", "op": "exp", "inputs": ["x"]}], "outputs": ["y"]})";
    const Answer a = eval_json(nullptr, def);
    t.check(a.status() == "refused" && a.code() == "session_required" && a.where() == "/define_plan", "define_plan without a session", a.response.dump());
    mlxcompat_session* s = mlxcompat_session_new(nullptr, nullptr);
    t.check(eval_json(s, def).status() == "ok", "define_plan");
    const Answer again = eval_json(s, def);
    t.check(again.status() == "error" && again.code() == "duplicate_id" && again.where() == "/define_plan", "a plan name defined twice", again.response.dump());
    t.check(mlxcompat_plan_count(s) == 1, "the first plan stays");
    t.check(mlxcompat_release_plan(s, "p") == 0 && eval_json(s, def).status() == "ok", "a released name can be defined again");
    mlxcompat_session_free(s);
  }
  // A plan's run may ask for the compact reply, on every backend that loads here.
  char* caps = mlxcompat_capabilities();
  const json backends = json::parse(caps)["backends"];
  mlxcompat_string_free(caps);
  for (const json& b : backends) {
    const std::string backend = b["name"];
    if (!b["available"].get<bool>()) {
      std::printf("skipped: the compact reply on the %s backend (%s)\n", backend.c_str(), b.value("reason", "unavailable").c_str());
      continue;
    }
    check_compact_reply(backend);
  }
  // Limits have ceilings; a bad option is an error, not a session.
  for (const char* opts : {R"({"limits": {"max_ndim": 100000}})", R"({"limits": {"max_elements": 9223372036854775807}})",
                           R"({"limits": {"max_ndim": -1}})", R"({"limits": {"max_bytes": 1.5}})", R"({"limit": {}})", "[", "{\"limits\": {\"max_nodes\": 1e400}}"}) {
    char* err = nullptr;
    mlxcompat_session* s = mlxcompat_session_new(opts, &err);
    t.check(!s && err && std::strlen(err) > 0, std::string("options ") + opts, err ? err : "(no message)");
    mlxcompat_session_free(s);
    mlxcompat_string_free(err);
  }
  {
    mlxcompat_session* s = mlxcompat_session_new(R"({"limits": {"max_ndim": 64, "max_bytes": 1000000}})", nullptr);
    t.check(s != nullptr, "limits within their ceilings");
    mlxcompat_session_free(s);
  }
  // NULL everywhere the header allows it.
  {
    t.check(mlxcompat_release(nullptr, "h1") == -1 && mlxcompat_release_plan(nullptr, nullptr) == -1, "NULL session release");
    t.check(mlxcompat_handle_count(nullptr) == -1 && mlxcompat_plan_count(nullptr) == -1, "NULL session counts");
    t.check(mlxcompat_result_buffer(nullptr, 0, nullptr) == nullptr, "NULL result");
    mlxcompat_result_free(nullptr);
    mlxcompat_session_free(nullptr);
    mlxcompat_string_free(nullptr);
    const Answer a = eval(nullptr, "", {});
    t.check(a.status() == "error" && a.code() == "invalid_json", "empty request");
    mlxcompat_result* r = mlxcompat_eval(nullptr, nullptr, 0, nullptr, 3);
    t.check(r && json::parse(mlxcompat_result_json(r))["status"] == "error", "NULL request");
    mlxcompat_result_free(r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [--write-seeds DIR]\n", argv[0]);
    return 2;
  }
  if (argc >= 4 && std::string(argv[2]) == "--write-seeds") seeds_dir = argv[3];
  run_corpus(argv[1]);
  run_every_op();
  run_abi_cases();
  return t.finish("engine tests");
}
