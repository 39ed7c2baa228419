// Array data to and from JSON: inline values (NaN and +-Inf as the strings
// "nan", "inf", "-inf"; complex as [re, im]) and base64 of the raw bytes.
#pragma once
#include "json_doc.h"
#include "op.h"

namespace mlxc {

// Fills `out` (already allocated) from nested or flat inline values; `path` for errors.
void decode_inline(JVal data, Array& out, const std::string& path);
json encode_inline(const Array& a);
std::string base64_encode(const void* data, size_t n);
// Decodes into `out`, whose byte size must match; throws RequestError at `path`.
void base64_decode(std::string_view s, void* out, size_t n, const std::string& path);
// Bool bytes must be 0 or 1 (the header's choice: validated, not normalized):
// throws invalid_data at `path` naming the first other byte.
void check_bools(const void* data, size_t n, const std::string& path);

}  // namespace mlxc
