#include "json_doc.h"

#include <vector>

namespace mlxc {

namespace {

class Builder {
 public:
  explicit Builder(JDoc& d) : d_(d) {}

  bool null() { return add(JItem()); }
  bool boolean(bool v) {
    JItem it;
    it.kind = JItem::Bool;
    it.b = v;
    return add(it);
  }
  bool number_integer(int64_t v) {
    JItem it;
    it.kind = JItem::Int;
    it.i = v;
    return add(it);
  }
  bool number_unsigned(uint64_t v) {
    JItem it;
    it.kind = JItem::Unsigned;
    it.u = v;
    return add(it);
  }
  bool number_float(double v, const std::string&) {
    JItem it;
    it.kind = JItem::Float;
    it.d = v;
    return add(it);
  }
  bool string(std::string& s) { return add(text(JItem::String, s)); }
  bool binary(std::vector<uint8_t>&) { return false; }  // never produced by JSON text
  bool key(std::string& s) {
    d_.items.push_back(text(JItem::String, s));
    pending_.push_back(uint32_t(d_.items.size() - 1));
    return true;
  }
  bool start_object(size_t) { return open(JItem::Object); }
  bool start_array(size_t) { return open(JItem::Array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception& e) {
    error_ = e.what();
    return false;
  }

  std::string error_;

 private:
  JItem text(JItem::Kind k, const std::string& s) {
    JItem it;
    it.kind = k;
    it.first = uint32_t(d_.chars.size());
    it.count = uint32_t(s.size());
    d_.chars += s;
    return it;
  }
  bool add(const JItem& it) {
    d_.items.push_back(it);
    pending_.push_back(uint32_t(d_.items.size() - 1));
    return true;
  }
  bool open(JItem::Kind k) {
    if (open_.size() >= size_t(kMaxJsonDepth)) {
      error_ = "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
      return false;
    }
    JItem it;
    it.kind = k;
    add(it);
    open_.push_back({uint32_t(d_.items.size() - 1), pending_.size()});
    return true;
  }
  // A container's children are contiguous in kids once it closes.
  bool close() {
    auto [index, start] = open_.back();
    open_.pop_back();
    JItem& it = d_.items[index];
    it.first = uint32_t(d_.kids.size());
    it.count = uint32_t(pending_.size() - start);
    d_.kids.insert(d_.kids.end(), pending_.begin() + long(start), pending_.end());
    pending_.resize(start);
    if (it.kind == JItem::Object) it.count /= 2;
    return true;
  }

  JDoc& d_;
  std::vector<uint32_t> pending_;                      // children of the open containers
  std::vector<std::pair<uint32_t, size_t>> open_;  // (item, where its children start in pending_)
};

}  // namespace

std::shared_ptr<const JDoc> read_json(const char* text, size_t n) {
  auto doc = std::make_shared<JDoc>();
  doc->items.reserve(n / 8 + 1);
  doc->kids.reserve(n / 8 + 1);
  Builder b(*doc);
  if (!json::sax_parse(text, text + n, &b, json::input_format_t::json, true, false) || doc->items.empty())
    throw RequestError("invalid_json", "", b.error_.empty() ? "not a JSON document" : b.error_);
  return doc;
}

JVal root(const std::shared_ptr<const JDoc>& doc) { return JVal(doc.get(), 0); }

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
