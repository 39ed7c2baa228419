#include "backend.h"

#include <cstdlib>

namespace mlxc {

const std::vector<Backend*>& all_backends() {
  static const std::vector<Backend*> list{&native_backend(), &mlx_backend()};
  return list;
}

void Backend::export_function(const Graph&, const std::vector<FunctionTrace>&, const std::string&, bool) {
  throw Refusal("unsupported_backend", "request", "/export_function",
                std::string("the ") + name() + " backend cannot write .mlxfn files: export through the mlx backend (\"backend\": \"mlx\"), which asks MLX to trace the graph");
}

Backend* find_backend(std::string_view name) {
  for (Backend* b : all_backends())
    if (name == b->name()) return b;
  return nullptr;
}

std::string default_backend_name() {
  const char* env = std::getenv("MLXCOMPAT_BACKEND");
  return env && *env ? env : "native";
}

}  // namespace mlxc
