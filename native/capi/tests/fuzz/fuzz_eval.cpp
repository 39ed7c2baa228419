// libFuzzer target over mlxcompat_eval with binary buffers. The input is
// [n][len_1 (2 bytes LE)]...[len_n][shift][buffers...][request]: n % 4
// buffers, each at a start shifted by (shift >> k) % 8 bytes from an aligned
// address (callers may pass unaligned pointers), then the request. Every
// output buffer is read to its end; the same request runs twice on one
// session (handles and plans of the first run are then known).
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t at = 0;
  const size_t n = data[at++] % 4;
  std::vector<size_t> lens;
  for (size_t k = 0; k < n && at + 2 <= size; k++, at += 2) lens.push_back(size_t(data[at]) | size_t(data[at + 1]) << 8);
  const uint8_t shift = at < size ? data[at++] : 0;
  std::vector<std::vector<uint8_t>> storage;
  std::vector<mlxcompat_buffer> bufs;
  for (size_t k = 0; k < lens.size(); k++) {
    const size_t len = std::min(lens[k], size - at), off = (shift >> k) % 8;
    storage.emplace_back(len + off);
    if (len) std::memcpy(storage.back().data() + off, data + at, len);
    bufs.push_back({len ? storage.back().data() + off : nullptr, len});
    at += len;
  }
  const char* req = reinterpret_cast<const char*>(data + at);
  const size_t req_len = size - at;
  mlxcompat_session* s = mlxcompat_session_new(fuzz::kOptions, nullptr);
  if (!s) std::abort();
  for (int run = 0; run < 2; run++) {
    mlxcompat_result* r = mlxcompat_eval(s, req, req_len, bufs.data(), bufs.size());
    if (!r) std::abort();
    fuzz::check_json(mlxcompat_result_json(r));
    for (size_t k = 0; k < mlxcompat_result_buffer_count(r); k++) {
      size_t bytes = 0;
      const uint8_t* p = static_cast<const uint8_t*>(mlxcompat_result_buffer(r, k, &bytes));
      if (bytes && !p) std::abort();
      fuzz::sink(p, bytes);
    }
    mlxcompat_result_free(r);
  }
  mlxcompat_session_free(s);
  return 0;
}
