// Execution of a schedule on the native kernels: fused chunked groups,
// broadcasting elementwise nodes, and every other op's kernel.
#include <algorithm>
#include <memory>

#include "backend.h"
#include "ops/layout.h"
#include "parallel.h"

namespace mlxc {

namespace {

// The least work (elements times each op's Elementwise::work, in adds) an elementwise pass hands to a thread
// of the pool. Waking a worker costs about 64K elements of one op, but the
// worker then polls for 50 ms, holding the second core: in a training loop
// whose steps each had a 2-op group over 64K elements (a small MLP's relu
// and its gradient), it held that core for the whole loop for a few
// microseconds of work a step. Adam's update of a 256x256 weight (12 ops
// over 64K elements) still runs on two cores.
constexpr int64_t kPartWork = int64_t(1) << 18;

// A thread's scratch memory for fused groups, kept between them: a group
// over a few thousand elements took longer to allocate and zero its slots
// (tens of KiB, returned to the system and faulted in again on every call)
// than to compute. A group never runs inside another on the same thread.
uint8_t* scratch_space(size_t bytes) {
  thread_local std::unique_ptr<uint8_t[]> space;
  thread_local size_t capacity = 0;
  if (bytes > capacity) {
    space.reset();
    space.reset(new uint8_t[bytes]);
    capacity = bytes;
  }
  return space.get();
}

// Runs a group of chunkable nodes (in topological order, the last is the
// root) in one pass: each chunk goes through the whole chain in cache.
void run_group(Graph& g, const std::vector<int>& members, const std::vector<bool>& is_output) {
  const Node& root = g.nodes[size_t(members.back())];
  const TypeShape& out_ts = g.values[size_t(root.outputs[0])];
  Array out(out_ts.dtype, out_ts.shape);
  const int64_t n = out.size();
  // Members other than the root whose values were requested write their
  // chunks to their own arrays, where their readers in the group read them.
  std::vector<Array> kept(members.size());
  std::vector<bool> keeps(members.size(), false);
  for (size_t m = 0; m + 1 < members.size(); m++) {
    const int v = g.nodes[size_t(members[m])].outputs[0];
    if (!is_output[size_t(v)]) continue;
    keeps[m] = true;
    kept[m] = Array(g.values[size_t(v)].dtype, g.values[size_t(v)].shape);
  }
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
  // Slots (of members not kept) are reused once their last reader has run, so
  // a chain of any length needs only as many slots as values are live at once. The root writes to
  // the output itself: streaming stores from a slot (tried for outputs past
  // half the last-level cache) ran at 0.6x the speed of plain stores here,
  // for an add as for exp (Zen 5, 1 and 2 threads).
  std::vector<size_t> last_read(members.size(), 0);
  for (size_t m = 0; m < members.size(); m++)
    for (size_t k = first[m]; k < first[m + 1]; k++)
      if (sources[k].slot >= 0) last_read[size_t(sources[k].slot)] = m;
  std::vector<int> slot(members.size(), -1), free_slots;
  std::vector<bool> released(members.size(), false);
  int n_slots = 0;
  for (size_t m = 0; m < members.size(); m++) {
    if (m + 1 < members.size() && !keeps[m]) {
      if (free_slots.empty()) free_slots.push_back(n_slots++);
      slot[m] = free_slots.back();
      free_slots.pop_back();
    }
    for (size_t k = first[m]; k < first[m + 1]; k++) {
      const int from = sources[k].slot;
      if (from >= 0 && slot[size_t(from)] >= 0 && last_read[size_t(from)] == m && !released[size_t(from)]) {
        released[size_t(from)] = true;
        free_slots.push_back(slot[size_t(from)]);
      }
    }
  }

  const size_t out_size = dtype_size(out.dtype);
  // The root may store non-temporally (EwParams::stream) past half the cache.
  size_t in_bytes = 0;
  for (const Source& src : sources)
    if (src.slot < 0 && !src.repeats) in_bytes += size_t(n) * src.step;
  EwParams root_params = root.params;
  root_params.stream = stream_output(in_bytes, size_t(n) * out_size, size_t(chunk) * out_size);
  // A part is at least kPartWork of work: kPartWork / w elements of a group whose ops' work adds up to w.
  int64_t work = 0;
  for (int m : members) work += g.nodes[size_t(m)].def->ew->work;
  const int64_t grain = std::max<int64_t>(1, kPartWork / kChunk / work);
  parallel_for((n + chunk - 1) / chunk, grain, [&](int64_t cb, int64_t ce) {
    // Slots and conversion buffers start on cache lines, a few lines apart
    // modulo 4 KiB from each other and from page-aligned arrays: a load and a
    // store whose addresses agree in their low 12 bits stall as if they
    // overlapped (4K aliasing), and slots 16 KiB apart did so at every
    // element, which halved the speed of a fused chain.
    constexpr size_t kLine = 64, kPage = 4096;
    const size_t stride = (scratch_bytes + kLine - 1) / kLine * kLine + 3 * kLine;
    uint8_t* const start = scratch_space((size_t(n_slots) + 3) * stride + 2 * kPage);
    uint8_t* base = start + (kPage - reinterpret_cast<uintptr_t>(start) % kPage) + 5 * kLine;
    // where a member's chunk at element `off` goes: its kept array, or its slot
    auto member_data = [&](size_t member, int64_t off) {
      return keeps[member] ? static_cast<uint8_t*>(kept[member].raw()) + size_t(off) * dtype_size(kept[member].dtype) : base + size_t(slot[member]) * stride;
    };
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
          ptrs[k] = src.slot >= 0 ? member_data(size_t(src.slot), off) : src.repeats ? src.base : src.base + size_t(off) * src.step;
          if (src.convert) {
            src.convert(&ptrs[k], &scalar[k], conv[k], scalar[k] ? 1 : len, EwParams{});
            ptrs[k] = conv[k];
          }
        }
        uint8_t* final_dst = static_cast<uint8_t*>(out.raw()) + size_t(off) * out_size;
        const bool last = m + 1 == members.size();
        nd.kernel(ptrs, scalar, last ? final_dst : member_data(m, off), len, last ? root_params : nd.params);
      }
    }
    if (root_params.stream) stream_fence();
  });
  g.data[size_t(root.outputs[0])] = std::move(out);
  for (size_t m = 0; m + 1 < members.size(); m++)
    if (keeps[m]) g.data[size_t(g.nodes[size_t(members[m])].outputs[0])] = std::move(kept[m]);
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
    // parts of at least kPartWork of work, as in run_group; elementwise ops take at most 3 inputs
    const int64_t part = std::max<int64_t>(1, kPartWork / nd.def->ew->work);
    parallel_for(rows, std::max<int64_t>(1, part / std::max<int64_t>(inner, 1)), [&](int64_t rb, int64_t re) {
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

}  // namespace

Execution execute(Graph& g, const Schedule& sc) {
  std::vector<int> uses = sc.uses;
  auto release_inputs = [&](const Node& n) {
    for (int v : n.inputs)
      if (--uses[size_t(v)] == 0 && !sc.is_output[size_t(v)] && g.producer[size_t(v)] >= 0) g.data[size_t(v)] = Array();
  };
  for (const Step& step : sc.steps) {
    const Node& n = g.nodes[size_t(step.nodes.back())];
    if (step.chunked) {
      run_group(g, step.nodes, sc.is_output);
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

namespace {

// The engine's own kernels: those each op's family file registers with it.
class NativeBackend final : public Backend {
 public:
  const char* name() const override { return "native"; }
  json describe() const override {
    return {{"name", name()}, {"available", true}, {"version", kEngineVersion}, {"devices", {"cpu"}}};
  }
  std::string unavailable_reason() const override { return ""; }
  std::string version() const override { return kEngineVersion; }
  bool has_kernel(const OpDef& def) const override { return def.ew || def.eval; }
  void check_device(std::string_view device) const override {
    if (device != "cpu")
      throw Refusal("unsupported_device", "request", "/device", "this engine runs on cpu only, not \"" + std::string(device) + "\"");
  }
  bool native() const override { return true; }
  Execution run(Graph& g, const Schedule& sc, std::string_view) override { return execute(g, sc); }
};

}  // namespace

Backend& native_backend() {
  static NativeBackend b;
  return b;
}

}  // namespace mlxc
