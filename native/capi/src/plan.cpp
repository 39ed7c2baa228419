// Planning and fusion: which nodes run for the requested outputs, in which
// steps, and which elementwise chains fuse into one chunked pass.
#include <algorithm>

#include "graph.h"

namespace mlxc {

// An astype to the dtype its input has (a transform's own copy of an
// argument) is its input: its readers take the input in its place, so no
// copy is made unless the request asks for the astype's value itself.
static void skip_identity_casts(Graph& g) {
  std::vector<int> same(g.values.size(), -1);
  for (const Node& n : g.nodes)
    if (n.def->name == "astype" && g.values[size_t(n.inputs[0])].dtype == g.values[size_t(n.outputs[0])].dtype)
      same[size_t(n.outputs[0])] = n.inputs[0];
  for (Node& n : g.nodes)
    for (int& v : n.inputs)
      while (same[size_t(v)] >= 0) v = same[size_t(v)];
}

// How many nodes read each value, a requested output counting as one.
static std::vector<int> count_readers(const Graph& g) {
  std::vector<int> readers(g.values.size(), 0);
  for (const Node& n : g.nodes)
    for (int v : n.inputs) readers[size_t(v)]++;
  for (const OutputSpec& o : g.outputs) readers[size_t(o.value)]++;
  return readers;
}

// The axes a sum reduces, sorted and non-negative, for an input of rank r.
static std::vector<int64_t> sum_axes(const Node& s, int64_t r) {
  std::vector<int64_t> axes;
  if (!s.attrs.has("axes")) {
    for (int64_t i = 0; i < r; i++) axes.push_back(i);
    return axes;
  }
  for (int64_t a : s.attrs.ints("axes")) axes.push_back(a < 0 ? a + r : a);
  std::sort(axes.begin(), axes.end());
  return axes;
}

// A sum over the leading (batch) axes of a batched product that nothing else
// reads, such as a weight's gradient through x W over [batch, sequence,
// features], is one product: sum_i A_i^T G_i is A^T G over A and G stacked
// by rows. The node that gives the sum its matrix shape (the sum, or the
// squeeze or reshape that drops the axes it kept) becomes that product,
// flagged kSumsBatch, and the batched products are not made. Float32 and
// float64 only: a half type would round each product before the sum.
static void sum_batched_products(Graph& g) {
  const std::vector<int> readers = count_readers(g);
  const auto shape = [&](int v) -> const Shape& { return g.values[size_t(v)].shape; };
  for (Node& s : g.nodes) {
    if (s.def->name != "sum" || s.inputs.size() != 1) continue;
    const int v = s.inputs[0], p = g.producer[size_t(v)];
    if (p < 0 || readers[size_t(v)] != 1) continue;
    const Node& m = g.nodes[size_t(p)];
    const Shape& out = shape(v);
    const int64_t r = int64_t(out.size());
    const DType t = g.values[size_t(v)].dtype;
    if (m.def->name != "matmul" || m.transposed || r < 3 || (t != DType::Float32 && t != DType::Float64)) continue;
    if (shape(m.inputs[0]).size() != out.size() || shape(m.inputs[1]).size() != out.size()) continue;
    const std::vector<int64_t> axes = sum_axes(s, r);
    bool batch = int64_t(axes.size()) == r - 2;
    for (size_t i = 0; batch && i < axes.size(); i++) batch = axes[i] == int64_t(i);
    for (int64_t i = 0; batch && i < r - 2; i++) batch = shape(m.inputs[0])[size_t(i)] == out[size_t(i)] && shape(m.inputs[1])[size_t(i)] == out[size_t(i)];
    if (!batch) continue;
    Node* target = &s;
    const int sv = s.outputs[0];
    if (readers[size_t(sv)] == 1 && shape(sv).size() != 2)
      for (Node& q : g.nodes)
        if ((q.def->name == "squeeze" || q.def->name == "reshape") && q.inputs.size() == 1 && q.inputs[0] == sv &&
            shape(q.outputs[0]) == Shape(out.end() - 2, out.end()))
          target = &q;
    target->def = m.def;
    target->attrs = m.attrs;
    target->inputs = m.inputs;
    target->transposed = kSumsBatch;
  }
}

// A transpose of a product of matrices that nothing else reads is the
// product of the operands transposed, in the other order: (A B)^T = B^T A^T,
// with both read transposed (fold_transposes then cancels transposes of
// transposes). So the weight gradient of x W^T comes out as W is laid out
// instead of being transposed after.
static void transpose_products(Graph& g) {
  std::vector<int> readers = count_readers(g);
  const auto rank = [&](int v) { return int(g.values[size_t(v)].shape.size()); };
  for (Node& t : g.nodes) {
    if (!t.def->swaps_last_two || t.inputs.size() != 1 || !t.def->swaps_last_two(t.attrs, rank(t.inputs[0]))) continue;
    const int v = t.inputs[0], p = g.producer[size_t(v)];
    if (p < 0 || readers[size_t(v)] != 1) continue;
    const Node& m = g.nodes[size_t(p)];
    if (m.def->name != "matmul" || (m.transposed & ~kSumsBatch) || rank(m.inputs[0]) < 2 || rank(m.inputs[1]) < 2) continue;
    t.def = m.def;
    t.attrs = m.attrs;
    t.inputs = {m.inputs[1], m.inputs[0]};
    t.transposed = 3 | m.transposed;
    readers[size_t(v)] = 0;
  }
}

// An op that reads operands transposed takes a transpose's input in place of
// its output, so no transposed copy is made unless something else needs it.
void fold_transposes(Graph& g) {
  skip_identity_casts(g);
  sum_batched_products(g);
  transpose_products(g);
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
static bool chunkable(const Graph& g, const Node& n) {
  if (!n.def->ew) return false;
  const Shape& out = g.values[size_t(n.outputs[0])].shape;
  for (int v : n.inputs) {
    const Shape& s = g.values[size_t(v)].shape;
    const int64_t p = period(s, out);
    if (s != out && (p == 0 || p > kLongestPeriod)) return false;
  }
  return true;
}

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
  // use it is, of the same shape. A requested producer joins too and writes
  // its chunks out as well: the facade requests every value a program may
  // still hold, and a chain of them then still runs in one pass.
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
        if (p < 0 || group_root[size_t(p)] >= 0 || sc.uses[size_t(v)] != 1) continue;
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

}  // namespace mlxc
