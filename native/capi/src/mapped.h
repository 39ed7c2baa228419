// Resident arrays over a mapped file (mlxcompat_map_file): the file's pages
// are read when an op first touches them, so loading costs what is used.
#pragma once
#include "engine.h"

namespace mlxc {

// Never throws: failures come back as error or refused responses.
json map_file(Session& s, const char* path, const char* spec, size_t length);

}  // namespace mlxc
