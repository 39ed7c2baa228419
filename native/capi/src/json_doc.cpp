#include "json_doc.h"

#include <charconv>
#include <vector>
#if !defined(__cpp_lib_to_chars)
#include <locale.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#endif

namespace mlxc {

namespace {

// A valid JSON number's value. gcc 10's library (the Debian 11 release build's)
// has no floating-point from_chars: there strtod_l reads it in the C locale,
// whatever locale the host process set, from a NUL-terminated copy.
std::errc read_double(const char* b, const char* e, double& out) {
#if defined(__cpp_lib_to_chars)
  auto [end, ec] = std::from_chars(b, e, out);
  return end == e ? ec : std::errc::invalid_argument;
#else
  static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t(0));
  const std::string text(b, e);
  char* end = nullptr;
  errno = 0;
  out = strtod_l(text.c_str(), &end, c_locale);
  if (end != text.c_str() + text.size()) return std::errc::invalid_argument;
  if (errno == ERANGE && (std::isinf(out) || out == 0)) return std::errc::result_out_of_range;
  return std::errc();
#endif
}

// A strict RFC 8259 reader: one pass over the text, no recursion (an explicit
// stack of open containers), strings checked to be UTF-8. Integers without a
// fraction or exponent are kept exactly (int64, or uint64 when positive), as
// nlohmann::json reads them.
class Reader {
 public:
  Reader(const char* text, size_t n, JDoc& d) : p_(text), begin_(text), end_(text + n), d_(d) {}

  void read() {
    for (;;) {
      skip_space();
      if (expect_value_) {
        value();
      } else if (open_.empty()) {
        if (p_ != end_) fail("unexpected text after the document");
        return;
      } else {
        after_member();
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw RequestError("invalid_json", "", "syntax error at byte " + std::to_string(p_ - begin_) + ": " + what);
  }
  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) p_++;
  }
  bool in_object() const { return !open_.empty() && d_.items[open_.back().first].kind == JItem::Object; }

  // Reads a value where one is expected (a document, an element, a member's value).
  void value() {
    if (p_ == end_) fail(open_.empty() ? "empty document" : "unexpected end of text");
    const char c = *p_;
    if (c == '{' || c == '[') {
      if (open_.size() >= size_t(kMaxJsonDepth)) fail("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
      JItem it;
      it.kind = c == '{' ? JItem::Object : JItem::Array;
      add(it);
      open_.push_back({uint32_t(d_.items.size() - 1), pending_.size()});
      p_++;
      skip_space();
      if (p_ != end_ && *p_ == (c == '{' ? '}' : ']')) {
        p_++;
        close();
        expect_value_ = false;
        return;
      }
      if (c == '{') key();
      return;  // expect_value_ stays true
    }
    JItem it;
    if (c == '"') {
      it = string();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      it = number();
    } else if (literal("true")) {
      it.kind = JItem::Bool;
      it.b = true;
    } else if (literal("false")) {
      it.kind = JItem::Bool;
      it.b = false;
    } else if (!literal("null")) {
      fail("unexpected character");
    }
    add(it);
    expect_value_ = false;
  }

  // After a value inside a container: a comma and the next, or the end.
  void after_member() {
    if (p_ == end_) fail("unexpected end of text");
    const bool obj = in_object();
    if (*p_ == ',') {
      p_++;
      skip_space();
      if (obj) key();
      expect_value_ = true;
    } else if (*p_ == (obj ? '}' : ']')) {
      p_++;
      close();
    } else {
      fail(obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }

  // An object member's key and its colon.
  void key() {
    if (p_ == end_ || *p_ != '"') fail("expected a string key");
    d_.items.push_back(string());
    pending_.push_back(uint32_t(d_.items.size() - 1));
    skip_space();
    if (p_ == end_ || *p_ != ':') fail("expected ':'");
    p_++;
    expect_value_ = true;
  }

  bool literal(const char* word) {
    const size_t n = std::char_traits<char>::length(word);
    if (size_t(end_ - p_) < n || std::char_traits<char>::compare(p_, word, n) != 0) return false;
    p_ += n;
    return true;
  }

  JItem string() {
    p_++;  // the opening quote
    JItem it;
    it.kind = JItem::String;
    it.first = uint32_t(d_.chars.size());
    for (;;) {
      const char* run = p_;
      while (p_ != end_ && *p_ != '"' && *p_ != '\\' && uint8_t(*p_) >= 0x20 && uint8_t(*p_) < 0x80) p_++;
      d_.chars.append(run, size_t(p_ - run));
      if (p_ == end_) fail("unterminated string");
      const uint8_t c = uint8_t(*p_);
      if (c == '"') {
        p_++;
        break;
      }
      if (c < 0x20) fail("control character in a string");
      if (c == '\\') {
        escape();
      } else {
        utf8();
      }
    }
    it.count = uint32_t(d_.chars.size() - it.first);
    return it;
  }

  void escape() {
    if (++p_ == end_) fail("unterminated string");
    const char c = *p_++;
    switch (c) {
      case '"': d_.chars += '"'; return;
      case '\\': d_.chars += '\\'; return;
      case '/': d_.chars += '/'; return;
      case 'b': d_.chars += '\b'; return;
      case 'f': d_.chars += '\f'; return;
      case 'n': d_.chars += '\n'; return;
      case 'r': d_.chars += '\r'; return;
      case 't': d_.chars += '\t'; return;
      case 'u': break;
      default: fail("invalid escape");
    }
    uint32_t cp = hex4();
    if (cp >= 0xDC00 && cp <= 0xDFFF) fail("unpaired low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (!literal("\\u")) fail("unpaired high surrogate");
      const uint32_t low = hex4();
      if (low < 0xDC00 || low > 0xDFFF) fail("unpaired high surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (cp < 0x80) {
      d_.chars += char(cp);
    } else if (cp < 0x800) {
      d_.chars += char(0xC0 | (cp >> 6));
      d_.chars += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      d_.chars += char(0xE0 | (cp >> 12));
      d_.chars += char(0x80 | ((cp >> 6) & 0x3F));
      d_.chars += char(0x80 | (cp & 0x3F));
    } else {
      d_.chars += char(0xF0 | (cp >> 18));
      d_.chars += char(0x80 | ((cp >> 12) & 0x3F));
      d_.chars += char(0x80 | ((cp >> 6) & 0x3F));
      d_.chars += char(0x80 | (cp & 0x3F));
    }
  }

  uint32_t hex4() {
    if (end_ - p_ < 4) fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
      const char c = *p_++;
      v <<= 4;
      if (c >= '0' && c <= '9') v |= uint32_t(c - '0');
      else if (c >= 'a' && c <= 'f') v |= uint32_t(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= uint32_t(c - 'A' + 10);
      else fail("invalid \\u escape");
    }
    return v;
  }

  // One multi-byte UTF-8 sequence, checked (no overlong forms, surrogates or
  // code points past U+10FFFF), copied as it is.
  void utf8() {
    const uint8_t c = uint8_t(*p_);
    int more;
    uint8_t lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) more = 1;
    else if (c == 0xE0) more = 2, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) more = 2;
    else if (c == 0xED) more = 2, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) more = 2;
    else if (c == 0xF0) more = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) more = 3;
    else if (c == 0xF4) more = 3, hi = 0x8F;
    else fail("invalid UTF-8");
    if (end_ - p_ <= more) fail("invalid UTF-8");
    for (int k = 1; k <= more; k++) {
      const uint8_t b = uint8_t(p_[k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) fail("invalid UTF-8");
    }
    d_.chars.append(p_, size_t(more + 1));
    p_ += more + 1;
  }

  JItem number() {
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) p_++;
    auto digits = [&] {
      const char* d = p_;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') p_++;
      return p_ - d;
    };
    if (p_ == end_ || *p_ < '0' || *p_ > '9') fail("invalid number");
    if (*p_ == '0') p_++;
    else digits();
    bool integral = true, negative_exponent = false;
    if (p_ != end_ && *p_ == '.') {
      p_++;
      integral = false;
      if (!digits()) fail("invalid number");
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      p_++;
      integral = false;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) negative_exponent = *p_++ == '-';
      if (!digits()) fail("invalid number");
    }
    JItem it;
    if (integral) {
      const char* from = start + (negative ? 1 : 0);
      uint64_t u = 0;
      auto [end, ec] = std::from_chars(from, p_, u);
      if (ec == std::errc() && end == p_) {
        if (!negative) {
          it.kind = JItem::Unsigned;
          it.u = u;
          return it;
        }
        if (u <= uint64_t(INT64_MAX) + 1) {
          it.kind = JItem::Int;
          it.i = int64_t(0 - u);
          return it;
        }
      }  // too large for 64 bits: a float, as nlohmann reads it
    }
    it.kind = JItem::Float;
    const std::errc ec = read_double(start, p_, it.d);
    if (ec == std::errc::result_out_of_range) {
      // too small is zero, too large has no value (nlohmann refuses it too)
      if (!negative_exponent) fail("number out of range");
      it.d = negative ? -0.0 : 0.0;
    } else if (ec != std::errc()) {
      fail("invalid number");
    }
    return it;
  }

  void add(const JItem& it) {
    d_.items.push_back(it);
    pending_.push_back(uint32_t(d_.items.size() - 1));
  }

  // A container's children are contiguous in kids once it closes.
  void close() {
    auto [index, start] = open_.back();
    open_.pop_back();
    JItem& it = d_.items[index];
    it.first = uint32_t(d_.kids.size());
    it.count = uint32_t(pending_.size() - start);
    d_.kids.insert(d_.kids.end(), pending_.begin() + long(start), pending_.end());
    pending_.resize(start);
    if (it.kind == JItem::Object) it.count /= 2;
  }

  const char* p_;
  const char* const begin_;
  const char* const end_;
  JDoc& d_;
  bool expect_value_ = true;
  std::vector<uint32_t> pending_;                  // children of the open containers
  std::vector<std::pair<uint32_t, size_t>> open_;  // (item, where its children start in pending_)
};

}  // namespace

JVal read_json(const char* text, size_t n, JDoc& into) {
  into.items.clear();
  into.kids.clear();
  into.chars.clear();
  Reader(text, n, into).read();
  return JVal(&into, 0);
}

void JDoc::trim() {
  constexpr size_t kKeep = size_t(8) << 20;
  if (items.capacity() * sizeof(JItem) + kids.capacity() * sizeof(uint32_t) + chars.capacity() > kKeep) *this = JDoc();
}

const char* JVal::type_name() const {
  if (is_null()) return "null";
  if (is_boolean()) return "boolean";
  if (is_number()) return "number";
  if (is_string()) return "string";
  return is_array() ? "array" : "object";
}

double JVal::f64() const {
  if (kind() == JItem::Int) return double(item().i);
  if (kind() == JItem::Unsigned) return double(item().u);
  return item().d;
}

json JVal::to_json() const {
  if (is_boolean()) return boolean();
  if (is_number_unsigned()) return u64();
  if (is_number_integer()) return i64();
  if (is_number_float()) return f64();
  if (is_string()) return std::string(str());
  if (is_array()) {
    json a = json::array();
    for (size_t i = 0; i < size(); i++) a.push_back((*this)[i].to_json());  // depth is bounded by kMaxJsonDepth
    return a;
  }
  if (is_object()) {
    json o = json::object();
    for (size_t i = 0; i < size(); i++) o[std::string(key(i))] = (*this)[i].to_json();
    return o;
  }
  return nullptr;
}

std::string JVal::dump() const {
  constexpr size_t kMost = 200;
  if ((is_array() || is_object()) && size() > kMost) return std::string(is_array() ? "[...]" : "{...}");
  std::string s = to_json().dump();
  return s.size() > kMost ? s.substr(0, kMost) + "..." : s;
}

}  // namespace mlxc
