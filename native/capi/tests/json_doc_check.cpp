// Differential check of the request reader (json_doc) against nlohmann's
// parser: random documents, printed with random spacing and escapes, then
// randomly damaged. Both must accept or reject the same texts, and read the
// same values. Prints "checked N texts (A accepted)" or the first mismatch.
// Usage: mlxcompat_json_check [seed] [count]
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "../src/json_doc.h"

using mlxc::json;

namespace {

std::mt19937_64 rng;
int pick(int n) { return int(rng() % uint64_t(n)); }

std::string random_string() {
  static const char* pieces[] = {"a", "id", "n12", " ", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\u00e9", "\\u4e2d",
                                 "\\ud83d\\ude00", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "x:0"};
  std::string s = "\"";
  for (int n = pick(5); n-- > 0;) s += pieces[pick(16)];
  return s + "\"";
}

std::string random_number() {
  static const char* forms[] = {"0", "-0", "7", "-12", "3.25", "-0.5", "1e3", "2E-2", "6.02e+23", "18446744073709551615",
                                "18446744073709551616", "-9223372036854775808", "-9223372036854775809", "1e400", "1e-400", "0.1"};
  return forms[pick(16)];
}

std::string space() { return pick(4) ? "" : std::string(" \n\t\r").substr(size_t(pick(4)), 1); }

std::string random_value(int depth) {
  const int k = depth > 6 ? pick(4) : pick(6);
  switch (k) {
    case 0: return random_number();
    case 1: return random_string();
    case 2: return pick(3) == 0 ? "null" : pick(2) ? "true" : "false";
    case 3: return random_number();
    case 4: {
      std::string s = "[" + space();
      for (int n = pick(4), i = 0; i < n; i++) s += (i ? "," : "") + space() + random_value(depth + 1) + space();
      return s + "]";
    }
    default: {
      std::string s = "{" + space();
      for (int n = pick(4), i = 0; i < n; i++) s += (i ? "," : "") + space() + random_string() + space() + ":" + space() + random_value(depth + 1);
      return s + space() + "}";
    }
  }
}

std::string damage(std::string s) {
  static const char junk[] = "{}[],:\"\\-.eE0129aflnrstu \x01\x80\xc3\xed\xff";
  for (int n = pick(3); n-- > 0 && !s.empty();) {
    const size_t at = size_t(pick(int(s.size())));
    switch (pick(3)) {
      case 0: s.erase(at, 1); break;
      case 1: s.insert(at, 1, junk[pick(int(sizeof junk - 1))]); break;
      default: s[at] = junk[pick(int(sizeof junk - 1))];
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  rng.seed(argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20261122);
  const int count = argc > 2 ? std::atoi(argv[2]) : 20000;
  int accepted = 0;
  mlxc::JDoc doc;  // reused, as a session reuses it
  for (int i = 0; i < count; i++) {
    std::string text = random_value(0);
    if (pick(2)) text = damage(text);
    bool theirs = true, ours = true;
    json want, got;
    try {
      want = json::parse(text);
    } catch (const json::exception&) {
      theirs = false;
    }
    try {
      got = mlxc::read_json(text.data(), text.size(), doc).to_json();
    } catch (const mlxc::RequestError&) {
      ours = false;
    }
    if (ours != theirs || (ours && got != want)) {
      std::printf("mismatch on text %d: %s\n  nlohmann: %s\n  reader:   %s\n", i, text.c_str(), theirs ? want.dump().c_str() : "rejects",
                  ours ? got.dump().c_str() : "rejects");
      return 1;
    }
    accepted += ours;
  }
  std::printf("checked %d texts (%d accepted)\n", count, accepted);
  return 0;
}
