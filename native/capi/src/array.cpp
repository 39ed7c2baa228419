#include "array.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <string>

#include <sys/mman.h>

#include "engine.h"
#include "errors.h"

namespace mlxc {

namespace {
// Freed blocks are kept by exact size up to a byte limit, oldest dropped first.
struct Pool {
  std::mutex mu;
  std::multimap<size_t, void*> free_blocks;
  size_t active = 0, peak = 0, cached = 0, limit = size_t(2) << 30;
  // Active bytes past which an allocation is refused; MLX's default, 80% of memory.
  size_t memory_limit = size_t(physical_memory()) / 10 * 8;

  void trim(size_t keep) {
    while (cached > keep && !free_blocks.empty()) {
      auto it = std::prev(free_blocks.end());  // largest first
      cached -= it->first;
      std::free(it->second);
      free_blocks.erase(it);
    }
  }
};
Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: buffers may outlive statics
  return *p;
}
constexpr size_t kAlign = 64;
// Large buffers are aligned to and sized in 2 MiB pages and asked to be backed
// by transparent huge pages: one fault and one TLB entry per 2 MiB instead of
// 512, which is a quarter of the time of a sum over a cold 64 MiB array.
constexpr size_t kHuge = size_t(2) << 20;
size_t rounded(size_t n) {
  const size_t a = n >= kHuge ? kHuge : kAlign;
  return n == 0 ? kAlign : (n + a - 1) / a * a;
}
void* allocate(size_t bytes) {
  if (bytes < kHuge) return std::aligned_alloc(kAlign, bytes);
  void* p = std::aligned_alloc(kHuge, bytes);
  if (p) madvise(p, bytes, MADV_HUGEPAGE);  // advice only: failure leaves small pages
  return p;
}
}  // namespace

Buffer::Buffer(const void* external, size_t n) : data(const_cast<void*>(external)), bytes(n), owned(false) {}


Buffer::Buffer(size_t n) : data(nullptr), bytes(rounded(n)), owned(true) {
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> g(p.mu);
    if (bytes > p.memory_limit || p.active > p.memory_limit - bytes)
      throw Refusal("resource_limit", "memory", "memory_limit",
                    std::to_string(bytes) + " more bytes would take active memory (" + std::to_string(p.active) +
                        " bytes) over the memory limit of " + std::to_string(p.memory_limit) + " bytes (set_memory_limit)");
    auto it = p.free_blocks.find(bytes);
    if (it != p.free_blocks.end()) {
      data = it->second;
      p.free_blocks.erase(it);
      p.cached -= bytes;
    }
  }
  if (!data) data = allocate(bytes);
  if (!data) throw std::bad_alloc();
  std::lock_guard<std::mutex> g(p.mu);
  p.active += bytes;
  if (p.active > p.peak) p.peak = p.active;
}

Buffer::~Buffer() {
  if (!owned) return;
  Pool& p = pool();
  std::lock_guard<std::mutex> g(p.mu);
  p.active -= bytes;
  if (bytes <= p.limit) {
    p.free_blocks.emplace(bytes, data);
    p.cached += bytes;
    p.trim(p.limit);
  } else {
    std::free(data);
  }
}

MemoryStats memory_stats() {
  std::lock_guard<std::mutex> g(pool().mu);
  return {pool().active, pool().peak, pool().cached};
}
void reset_peak_memory() {
  std::lock_guard<std::mutex> g(pool().mu);
  pool().peak = pool().active;
}
void clear_memory_cache() {
  std::lock_guard<std::mutex> g(pool().mu);
  pool().trim(0);
}
size_t set_cache_limit(size_t bytes) {
  std::lock_guard<std::mutex> g(pool().mu);
  const size_t before = pool().limit;
  pool().limit = bytes;
  pool().trim(bytes);
  return before;
}
size_t set_memory_limit(size_t bytes) {
  std::lock_guard<std::mutex> g(pool().mu);
  const size_t before = pool().memory_limit;
  pool().memory_limit = bytes;
  return before;
}

int64_t shape_size(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

Shape row_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

std::string shape_str(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); i++) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

Array::Array(DType d, Shape s) : dtype(d), shape(std::move(s)) {
  buf = std::make_shared<Buffer>(nbytes());
}
int64_t Array::size() const { return shape_size(shape); }

}  // namespace mlxc
