// Typed failures. Every one reaches the caller as a response, never as a crash.
#pragma once
#include <stdexcept>
#include <string>

namespace mlxc {

// The request is wrong: `path` is a JSON pointer into it.
struct RequestError : std::runtime_error {
  std::string code, path;
  RequestError(std::string c, std::string p, const std::string& msg)
      : std::runtime_error(msg), code(std::move(c)), path(std::move(p)) {}
};

// The request is valid but this engine will not run it.
struct Refusal : std::runtime_error {
  std::string code, scope, subject;
  Refusal(std::string c, std::string sc, std::string subj, const std::string& detail)
      : std::runtime_error(detail), code(std::move(c)), scope(std::move(sc)), subject(std::move(subj)) {}
};

}  // namespace mlxc
