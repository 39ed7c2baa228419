// libFuzzer target over mlxcompat_eval_json: the input is up to four requests
// separated by "\n--\n", run in order on one session (so handles and plans
// made by one are used by the next), whose limits keep any input within
// libFuzzer's memory limit. Every answer must be a JSON object; a crash or
// sanitizer report is a finding.
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mlxcompat_session* s = mlxcompat_session_new(fuzz::kOptions, nullptr);
  if (!s) std::abort();
  for (int part = 0; part < 4 && !in.empty(); part++) {
    const size_t cut = in.find("\n--\n");
    const std::string_view req = in.substr(0, cut);
    fuzz::check(mlxcompat_eval_json(s, req.data(), req.size()));
    in = cut == std::string_view::npos ? std::string_view() : in.substr(cut + 4);
  }
  mlxcompat_session_free(s);
  return 0;
}
