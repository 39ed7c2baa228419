// Non-temporal output: when to use it, and the fence after it (op.h).
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "op.h"

namespace mlxc {

namespace {

// The last-level cache one core can fill. An AMD L3 belongs to one core
// complex (at most 32 MiB, 96 with stacked cache), and CPUID leaf
// 0x8000001D says its size; where a hypervisor leaves that leaf empty,
// sysconf falls back to a chip-wide figure (508 MiB on session 20's
// 2-core VM, which then never streamed a 64 MiB negation: 2.6-6.4 ms
// against 2.55 streamed), so it is capped at 32 MiB there.
size_t last_level_cache() {
  const long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
  size_t bytes = llc > 0 ? size_t(llc) : size_t(32) << 20;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a, b, c, d;
  if (__get_cpuid(0, &a, &b, &c, &d) && b == 0x68747541 /* "Auth" of AuthenticAMD */) {
    size_t complex = 0;
    for (unsigned i = 0; __get_cpuid_max(0x80000000, nullptr) >= 0x8000001D && i < 8; i++) {
      __cpuid_count(0x8000001D, i, a, b, c, d);
      if ((a & 31) == 0) break;
      if (((a >> 5) & 7) == 3)
        complex = size_t((b >> 22 & 0x3ff) + 1) * ((b >> 12 & 0x3ff) + 1) * ((b & 0xfff) + 1) * (size_t(c) + 1);
    }
    bytes = complex ? complex : std::min(bytes, size_t(32) << 20);
  }
#endif
  return bytes;
}

}  // namespace

bool stream_output(size_t in, size_t out, size_t row) {
  constexpr size_t kStreamRow = size_t(32) << 10;
  static const size_t from = last_level_cache() / 2;
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
