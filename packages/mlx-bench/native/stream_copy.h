// A copy whose stores stream past the caches (non-temporal), as the
// engine's kernels write outputs larger than the cache. The benchmarks take
// the copy bandwidth as the better of this and memcpy: glibc's memcpy
// streams only past a size it derives from the cache size the CPU reports,
// and a VM may report the whole chip's (session 20's: 508 MiB, so a 128 MiB
// share went through ordinary stores, each first reading its line: 18-21
// GB/s against 29-34 streamed on 2 threads, under the same load).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

inline void stream_copy(char* dst, const char* src, size_t n) {
#if defined(__SSE2__)
  const size_t head = std::min(n, size_t((16 - reinterpret_cast<uintptr_t>(dst) % 16) % 16));
  std::memcpy(dst, src, head);
  size_t i = head;
  for (; i + 16 <= n; i += 16)
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i), _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
  std::memcpy(dst + i, src + i, n - i);
  _mm_sfence();
#else
  std::memcpy(dst, src, n);
#endif
}
