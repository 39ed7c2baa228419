// Non-temporal output: when to use it, and the fence after it (op.h).
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "op.h"

namespace mlxc {

bool stream_output(size_t in, size_t out, size_t row) {
  constexpr size_t kStreamRow = size_t(32) << 10;
  static const size_t from = [] {
    const long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
    return (llc > 0 ? size_t(llc) : size_t(32) << 20) / 2;
  }();
  return in + out >= from && row <= kStreamRow;
}

void stream_copy(void* dst, const void* src, size_t n) {
#if defined(__SSE2__)
  auto* d = static_cast<char*>(dst);
  auto* s = static_cast<const char*>(src);
  const size_t head = std::min(n, size_t((16 - reinterpret_cast<uintptr_t>(d) % 16) % 16));
  std::memcpy(d, s, head);
  size_t i = head;
  for (; i + 64 <= n; i += 64)
    for (size_t k = 0; k < 64; k += 16)
      _mm_stream_si128(reinterpret_cast<__m128i*>(d + i + k), _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + k)));
  for (; i + 16 <= n; i += 16) _mm_stream_si128(reinterpret_cast<__m128i*>(d + i), _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)));
  std::memcpy(d + i, s + i, n - i);
#else
  std::memcpy(dst, src, n);
#endif
}

void stream_fence() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

}  // namespace mlxc
