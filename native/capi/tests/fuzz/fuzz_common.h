// What the fuzz targets share: the session limits they run under (small
// enough that no input can exhaust libFuzzer's memory limit) and the checks
// on every answer.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "mlxcompat.h"

namespace fuzz {

inline const char* const kOptions = R"({"limits": {"max_elements": 4194304, "max_bytes": 67108864, "max_nodes": 2000}})";

// An answer is a JSON object with a status.
inline void check_json(const char* s) {
  if (!s || s[0] != '{' || !std::strstr(s, "\"status\"")) std::abort();
}

inline void check(char* response) {
  check_json(response);
  mlxcompat_string_free(response);
}

// Reads every byte, so a buffer shorter than its size is an ASan report.
inline void sink(const uint8_t* p, size_t n) {
  volatile uint8_t acc = 0;
  for (size_t i = 0; i < n; i++) acc = uint8_t(acc ^ p[i]);
}

}  // namespace fuzz
