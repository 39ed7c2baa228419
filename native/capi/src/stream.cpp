// Non-temporal output: when to use it, and the fence after it (op.h).
#include <unistd.h>
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

void stream_fence() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

}  // namespace mlxc
