// Stores that bypass the cache, for outputs too large to be read back from it.
// A normal store first reads the line it writes (read-for-ownership); for an
// output bigger than the last-level cache that read is pure extra traffic.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mlxc {

// Outputs at least this large are written with streaming stores (half the
// 32 MiB L3 of the machines we measure on; smaller outputs stay cached for
// the op that reads them next).
constexpr size_t kStreamBytes = size_t(16) << 20;

// Copies `bytes` from `src` to `dst` without pulling `dst` into the cache.
// Call stream_fence() before another thread may read `dst`.
inline void stream_copy(void* dst, const void* src, size_t bytes) {
#if defined(__SSE2__)
  auto* d = static_cast<uint8_t*>(dst);
  auto* s = static_cast<const uint8_t*>(src);
  while (bytes && reinterpret_cast<uintptr_t>(d) % 16) {
    *d++ = *s++;
    bytes--;
  }
  for (; bytes >= 64; bytes -= 64, d += 64, s += 64) {
    const __m128i* si = reinterpret_cast<const __m128i*>(s);
    __m128i* di = reinterpret_cast<__m128i*>(d);
    _mm_stream_si128(di, _mm_loadu_si128(si));
    _mm_stream_si128(di + 1, _mm_loadu_si128(si + 1));
    _mm_stream_si128(di + 2, _mm_loadu_si128(si + 2));
    _mm_stream_si128(di + 3, _mm_loadu_si128(si + 3));
  }
  std::memcpy(d, s, bytes);
#else
  std::memcpy(dst, src, bytes);
#endif
}

inline void stream_fence() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

}  // namespace mlxc
