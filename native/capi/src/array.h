// A dense row-major array in native memory. Buffers come from a caching
// allocator so a loop that makes same-sized arrays does not page-fault anew.
#pragma once
#include <memory>
#include <vector>
#include "dtype.h"

namespace mlxc {

using Shape = std::vector<int64_t>;

struct MemoryStats {
  size_t active, peak, cache;
};
MemoryStats memory_stats();
void reset_peak_memory();
void clear_memory_cache();
// Both return the limit they replace. The cache keeps at most `bytes` of
// freed blocks; past the memory limit an allocation is refused (resource_limit).
size_t set_cache_limit(size_t bytes);
size_t set_memory_limit(size_t bytes);

struct Buffer {
  void* data;
  size_t bytes;
  bool owned;  // false: the caller's memory, valid for one call, never freed here
  // Set on memory that is not ours but lasts while this is held (a mapped
  // file): such a buffer outlives the call without a copy.
  std::shared_ptr<const void> keep;
  explicit Buffer(size_t bytes);
  Buffer(const void* external, size_t bytes);
  Buffer(const void* data, size_t bytes, std::shared_ptr<void> keeper);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

struct Array {
  DType dtype = DType::Float32;
  Shape shape;
  std::shared_ptr<Buffer> buf;

  Array() = default;
  Array(DType d, Shape s);  // allocates, uninitialized
  int64_t size() const;
  int ndim() const { return int(shape.size()); }
  size_t nbytes() const { return size_t(size()) * dtype_size(dtype); }
  void* raw() const { return buf ? buf->data : nullptr; }
  template <class T> T* data() const { return static_cast<T*>(raw()); }
};

int64_t shape_size(const Shape& s);
Shape row_strides(const Shape& s);
std::string shape_str(const Shape& s);

}  // namespace mlxc
