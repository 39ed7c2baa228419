// A read-only JSON document for requests, read in one pass into a few flat
// arrays instead of a tree of heap nodes: reading and freeing a request of
// 10,000 nodes costs a handful of allocations, not a hundred thousand. JVal
// is a cheap handle into the document with the part of nlohmann::json's
// interface the request checks use.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "op.h"

namespace mlxc {

// Requests nest a few levels (inline data at most max_ndim + 2); deeper text
// is refused while reading, so nothing that walks a document can recurse deep.
constexpr int kMaxJsonDepth = 128;

// A value; strings point into JDoc::chars, containers into JDoc::kids (an
// object's kids alternate key string and value).
struct JItem {
  enum Kind : uint8_t { Null, Bool, Int, Unsigned, Float, String, Array, Object };
  Kind kind = Null;
  uint32_t first = 0, count = 0;
  union {
    bool b;
    int64_t i;
    uint64_t u;
    double d;
  };
  JItem() : i(0) {}
};

// Kept by a session and reused from request to request: reading a large
// request then touches memory that is already mapped.
struct JDoc {
  std::vector<JItem> items;
  std::vector<uint32_t> kids;
  std::string chars;
  void trim();  // frees the buffers when they have grown large
};

class JVal {
 public:
  JVal() = default;  // absent (and null)
  JVal(const JDoc* doc, uint32_t index) : doc_(doc), index_(index) {}

  bool exists() const { return doc_ != nullptr; }  // false for a member that is absent
  bool is_null() const { return kind() == JItem::Null; }
  bool is_boolean() const { return kind() == JItem::Bool; }
  bool is_number_integer() const { return kind() == JItem::Int || kind() == JItem::Unsigned; }  // as in nlohmann
  bool is_number_unsigned() const { return kind() == JItem::Unsigned; }
  bool is_number_float() const { return kind() == JItem::Float; }
  bool is_number() const { return is_number_integer() || is_number_float(); }
  bool is_string() const { return kind() == JItem::String; }
  bool is_array() const { return kind() == JItem::Array; }
  bool is_object() const { return kind() == JItem::Object; }
  const char* type_name() const;

  // Arrays: elements; objects: members (key(i), value at operator[](i)).
  size_t size() const { return is_array() || is_object() ? item().count : 0; }
  JVal operator[](size_t i) const {
    if (i >= size()) return JVal();
    return JVal(doc_, doc_->kids[item().first + (is_object() ? 2 * i + 1 : i)]);
  }
  JVal operator[](int i) const { return (*this)[size_t(i)]; }
  std::string_view key(size_t i) const { return JVal(doc_, doc_->kids[item().first + 2 * i]).str(); }
  bool contains(std::string_view key) const { return find(key) >= 0; }
  JVal operator[](std::string_view key) const {  // null when absent
    const long i = find(key);
    return i < 0 ? JVal() : (*this)[size_t(i)];
  }
  JVal operator[](const char* key) const { return (*this)[std::string_view(key)]; }

  bool boolean() const { return is_boolean() && item().b; }
  int64_t i64() const { return is_number_float() ? int64_t(item().d) : item().i; }
  uint64_t u64() const { return is_number_float() ? uint64_t(item().d) : item().u; }
  double f64() const;  // any number
  std::string_view str() const {
    return is_string() ? std::string_view(doc_->chars).substr(item().first, item().count) : std::string_view();
  }

  bool operator==(std::string_view s) const { return is_string() && str() == s; }
  bool operator!=(std::string_view s) const { return !(*this == s); }

  json to_json() const;      // a copy, for attributes the op registry keeps
  std::string dump() const;  // for messages; long values are cut short

 private:
  const JItem& item() const { return doc_->items[index_]; }
  JItem::Kind kind() const { return doc_ ? item().kind : JItem::Null; }
  // The member index of `key` (the last, when repeated, as in nlohmann), or -1.
  long find(std::string_view key) const {
    if (!is_object()) return -1;
    for (size_t i = size(); i-- > 0;)
      if (this->key(i) == key) return long(i);
    return -1;
  }

  const JDoc* doc_ = nullptr;
  uint32_t index_ = 0;
};

// Parses `n` bytes into `into` (replacing what it held) and returns the
// root; throws RequestError("invalid_json"), with the byte position, for
// text that is not one JSON value or nests too deep.
JVal read_json(const char* text, size_t n, JDoc& into);

}  // namespace mlxc
