#include "lines.h"

#include "../parallel.h"
#include "layout.h"

namespace mlxc {

Lines make_lines(const Array& a, const std::vector<int>& axes) {
  Lines l;
  const int nd = a.ndim();
  bool block = true;
  for (size_t i = 1; i < axes.size(); i++) block = block && axes[i] == axes[i - 1] + 1;
  if (block) {
    l.a = a;
    int first = axes.empty() ? nd : axes.front(), last = axes.empty() ? nd - 1 : axes.back();
    for (int i = 0; i < first; i++) l.outer *= a.shape[size_t(i)];
    for (int i = first; i <= last; i++) l.r *= a.shape[size_t(i)];
    for (int i = last + 1; i < nd; i++) l.inner *= a.shape[size_t(i)];
    return l;
  }
  for (int i = 0; i < nd; i++)
    if (!std::binary_search(axes.begin(), axes.end(), i)) l.perm.push_back(i);
  l.perm.insert(l.perm.end(), axes.begin(), axes.end());
  View v{Shape(size_t(nd)), Shape(size_t(nd)), 0};
  Shape st = row_strides(a.shape);
  for (int i = 0; i < nd; i++) {
    v.shape[size_t(i)] = a.shape[size_t(l.perm[size_t(i)])];
    v.strides[size_t(i)] = st[size_t(l.perm[size_t(i)])];
  }
  l.a = gather_view(a, v);
  for (int i = 0; i < nd; i++) (i < nd - int(axes.size()) ? l.outer : l.r) *= v.shape[size_t(i)];
  return l;
}

Array untranspose(const Array& t, const Lines& l, const Shape& original) {
  if (l.perm.empty()) return t;
  const size_t nd = original.size();
  Shape st = row_strides(t.shape);
  View v{original, Shape(nd), 0};
  for (size_t i = 0; i < nd; i++) v.strides[size_t(l.perm[i])] = st[i];
  return gather_view(t, v);
}

Shape reduced_shape(const Shape& s, const std::vector<int>& axes, bool keepdims) {
  Shape out;
  for (size_t i = 0; i < s.size(); i++) {
    bool reduced = std::binary_search(axes.begin(), axes.end(), int(i));
    if (!reduced) out.push_back(s[i]);
    else if (keepdims) out.push_back(1);
  }
  return out;
}

void for_each_line(const Lines& l, const std::function<void(int64_t, int64_t)>& fn) {
  parallel_for(l.count(), std::max<int64_t>(1, 16384 / std::max<int64_t>(l.r, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) fn(i, l.base(i));
  });
}

}  // namespace mlxc
