#include "backend.h"

#include <cstdlib>

namespace mlxc {

const std::vector<Backend*>& all_backends() {
  static const std::vector<Backend*> list{&native_backend(), &mlx_backend()};
  return list;
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
