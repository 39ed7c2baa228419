#include "mapped.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "codec.h"

namespace mlxc {

namespace {

// One mapping of a whole file, unmapped when the last array over it goes.
struct Mapping {
  void* base = nullptr;
  size_t bytes = 0;
  ~Mapping() {
    if (base) munmap(base, bytes);
  }
};

struct Wanted {
  DType dtype;
  Shape shape;
  uint64_t offset;
};

int64_t get_int(const json& j, const std::string& path) {
  if (!j.is_number_integer() || j.get<int64_t>() < 0) throw RequestError("invalid_spec", path, "expected a non-negative integer");
  return j.get<int64_t>();
}

std::vector<Wanted> read_spec(const Session& s, const char* spec, size_t length) {
  json doc = json::parse(spec, spec + length, nullptr, false);
  if (doc.is_discarded()) throw RequestError("invalid_json", "", "the spec is not JSON");
  if (!doc.is_object() || !doc.contains("arrays") || !doc["arrays"].is_array())
    throw RequestError("invalid_spec", "", "expected {\"arrays\": [...]}");
  std::vector<Wanted> out;
  for (size_t i = 0; i < doc["arrays"].size(); i++) {
    const json& a = doc["arrays"][i];
    const std::string at = "/arrays/" + std::to_string(i);
    if (!a.is_object()) throw RequestError("invalid_spec", at, "expected an object");
    for (auto& [k, v] : a.items())
      if (k != "dtype" && k != "shape" && k != "offset") throw RequestError("unknown_field", at + "/" + k, "unknown field \"" + k + "\"");
    Wanted w{};
    if (!a.contains("dtype") || !a["dtype"].is_string() || !dtype_from_name(a["dtype"].get<std::string>(), &w.dtype))
      throw RequestError("invalid_dtype", at + "/dtype", "expected a dtype name");
    if (!a.contains("shape") || !a["shape"].is_array()) throw RequestError("invalid_shape", at + "/shape", "expected a list of sizes");
    if (int64_t(a["shape"].size()) > s.limits.max_ndim)
      throw Refusal("resource_limit", "request", at + "/shape", "rank exceeds max_ndim " + std::to_string(s.limits.max_ndim));
    int64_t n = 1;
    for (size_t d = 0; d < a["shape"].size(); d++) {
      const int64_t k = get_int(a["shape"][d], at + "/shape/" + std::to_string(d));
      // as a request's shapes: every dimension counts, a zero as one
      if (k != 0 && (__builtin_mul_overflow(n, k, &n) || n > s.limits.max_elements))
        throw Refusal("resource_limit", "request", at + "/shape", "more elements than max_elements " + std::to_string(s.limits.max_elements));
      w.shape.push_back(k);
    }
    if (!a.contains("offset")) throw RequestError("invalid_spec", at + "/offset", "missing offset");
    w.offset = uint64_t(get_int(a["offset"], at + "/offset"));
    out.push_back(std::move(w));
  }
  return out;
}

std::shared_ptr<Mapping> map_whole(const char* path, size_t* size_out) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw RequestError(errno == ENOENT ? "file_not_found" : "file_unreadable", "", std::string(path) + ": " + std::strerror(errno));
  struct stat st{};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    throw RequestError("file_unreadable", "", std::string(path) + ": not a regular file");
  }
  auto m = std::make_shared<Mapping>();
  m->bytes = size_t(st.st_size);
  if (m->bytes) {
    // Private and writable: a stray write copies the page instead of faulting
    // or reaching the file.
    void* p = mmap(nullptr, m->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      close(fd);
      throw RequestError("file_unreadable", "", std::string(path) + ": mmap failed: " + std::strerror(err));
    }
    m->base = p;
  }
  close(fd);
  *size_out = m->bytes;
  return m;
}

}  // namespace

json map_file(Session& s, const char* path, const char* spec, size_t length) {
  auto error = [](const std::string& code, const std::string& p, const std::string& msg) {
    return json{{"schema_version", kSchemaVersion}, {"status", "error"}, {"error", {{"code", code}, {"path", p}, {"message", msg}}}};
  };
  try {
    if (!path || !spec) return error("invalid_request", "", "path and spec are required");
    std::vector<Wanted> wanted = read_spec(s, spec, length);
    size_t file_bytes = 0;
    std::shared_ptr<Mapping> m = map_whole(path, &file_bytes);
    std::vector<Array> arrays;
    for (size_t i = 0; i < wanted.size(); i++) {
      const Wanted& w = wanted[i];
      const uint64_t bytes = uint64_t(shape_size(w.shape)) * dtype_size(w.dtype);
      if (w.offset > file_bytes || bytes > file_bytes - w.offset)
        return error("out_of_file", "/arrays/" + std::to_string(i), std::string(path) + ": bytes [" + std::to_string(w.offset) + ", " + std::to_string(w.offset + bytes) + ") lie past the end of the file (" + std::to_string(file_bytes) + " bytes)");
      Array a;
      a.dtype = w.dtype;
      a.shape = w.shape;
      const char* at = static_cast<const char*>(m->base) + w.offset;
      if (w.dtype == DType::Bool) check_bools(at, bytes, "/arrays/" + std::to_string(i));
      if (bytes && w.offset % dtype_size(w.dtype) == 0) {
        a.buf = std::make_shared<Buffer>(at, bytes);
        a.buf->keep = m;
      } else {
        // Misaligned or empty: a copy (kernels read elements aligned).
        a = Array(w.dtype, w.shape);
        if (bytes) std::memcpy(a.raw(), at, bytes);
      }
      arrays.push_back(std::move(a));
    }
    std::lock_guard<std::mutex> g(s.mu);
    json outs = json::array();
    for (size_t i = 0; i < arrays.size(); i++) {
      const std::string h = "h" + std::to_string(s.next_handle++);
      outs.push_back({{"ref", std::to_string(i)}, {"dtype", dtype_name(arrays[i].dtype)}, {"shape", arrays[i].shape}, {"handle", h}});
      s.handles[h] = std::move(arrays[i]);
    }
    return {{"schema_version", kSchemaVersion}, {"status", "ok"}, {"outputs", std::move(outs)}};
  } catch (const RequestError& e) {
    return error(e.code, e.path, e.what());
  } catch (const Refusal& e) {
    return {{"schema_version", kSchemaVersion}, {"status", "refused"}, {"refusal", {{"code", e.code}, {"scope", e.scope}, {"subject", e.subject}, {"detail", e.what()}}}};
  } catch (const std::exception& e) {
    return error("internal", "", e.what());
  }
}

}  // namespace mlxc
