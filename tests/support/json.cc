#include "support/json.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace parley::testing::json {
namespace {

const Value& NullValue() {
  static const Value kNull;
  return kNull;
}

using Tree = nlohmann::ordered_json;

Status Corrupt(std::string message) {
  return Status(Domain::kNone, Code::kCorrupt, std::move(message));
}

// The parsed tree as Values. Depth is bounded by the parse (kMaxDepth), so recursion is safe.
Value Convert(const Tree& t) {
  switch (t.type()) {
    case Tree::value_t::null:
      return Value();
    case Tree::value_t::boolean:
      return Value(t.get<bool>());
    case Tree::value_t::number_integer:
      return Value(static_cast<double>(t.get<std::int64_t>()));
    case Tree::value_t::number_unsigned:
      return Value(static_cast<double>(t.get<std::uint64_t>()));
    case Tree::value_t::number_float:
      return Value(t.get<double>());
    case Tree::value_t::string:
      return Value(t.get<std::string>());
    case Tree::value_t::array: {
      Array a;
      a.reserve(t.size());
      for (const auto& e : t) a.push_back(Convert(e));
      return Value(std::move(a));
    }
    case Tree::value_t::object: {
      Object o;
      o.reserve(t.size());
      for (const auto& [k, v] : t.items()) o.emplace_back(k, Convert(v));
      return Value(std::move(o));
    }
    default:
      return Value();
  }
}

}  // namespace

bool Value::AsBool() const {
  const bool* b = std::get_if<bool>(&v_);
  return b != nullptr && *b;
}

double Value::AsNumber() const {
  const double* d = std::get_if<double>(&v_);
  return d != nullptr ? *d : 0.0;
}

std::int64_t Value::AsInt() const {
  const double d = AsNumber();
  if (!(d > -9.2e18 && d < 9.2e18)) return 0;
  return static_cast<std::int64_t>(d);
}

const std::string& Value::AsString() const {
  static const std::string kEmpty;
  const std::string* s = std::get_if<std::string>(&v_);
  return s != nullptr ? *s : kEmpty;
}

const Array& Value::AsArray() const {
  static const Array kEmpty;
  const Array* a = std::get_if<Array>(&v_);
  return a != nullptr ? *a : kEmpty;
}

const Object& Value::AsObject() const {
  static const Object kEmpty;
  const Object* o = std::get_if<Object>(&v_);
  return o != nullptr ? *o : kEmpty;
}

const Value* Value::Find(std::string_view key) const {
  const Object* o = std::get_if<Object>(&v_);
  if (o == nullptr) return nullptr;
  for (const Member& m : *o) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

const Value& Value::operator[](std::string_view key) const {
  const Value* v = Find(key);
  return v != nullptr ? *v : NullValue();
}

const Value& Value::operator[](std::size_t index) const {
  const Array* a = std::get_if<Array>(&v_);
  if (a == nullptr || index >= a->size()) return NullValue();
  return (*a)[index];
}

std::size_t Value::size() const {
  if (const Array* a = std::get_if<Array>(&v_)) return a->size();
  if (const Object* o = std::get_if<Object>(&v_)) return o->size();
  return 0;
}

Result<Value> Parse(std::string_view text) {
  // nlohmann-json parses (RFC 8259, strict: no comments, no trailing commas); its callback
  // adds what this reader promises beyond it: a depth limit and no duplicate keys.
  std::vector<std::vector<std::string>> keys;  // the keys seen in each open object
  std::string refused;
  auto check = [&](int depth, Tree::parse_event_t event, Tree& parsed) {
    using Event = Tree::parse_event_t;
    if (!refused.empty()) return false;
    if ((event == Event::object_start || event == Event::array_start) && depth >= kMaxDepth) {
      refused = "nesting too deep (more than " + std::to_string(kMaxDepth) + " levels)";
      throw std::length_error(refused);
    }
    if (event == Event::object_start) keys.emplace_back();
    if (event == Event::object_end && !keys.empty()) keys.pop_back();
    if (event == Event::key && !keys.empty()) {
      const std::string key = parsed.get<std::string>();
      auto& seen = keys.back();
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        refused = "duplicate key \"" + key + "\"";
        throw std::invalid_argument(refused);
      }
      seen.push_back(key);
    }
    return true;
  };
  try {
    Tree tree = Tree::parse(text.begin(), text.end(), check, /*allow_exceptions=*/true,
                            /*ignore_comments=*/false);
    return Convert(tree);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based: the offset of the byte where the text stopped making sense.
    return Corrupt("invalid JSON at offset " + std::to_string(e.byte == 0 ? 0 : e.byte - 1) + ": " +
                   e.what());
  } catch (const nlohmann::json::exception& e) {
    return Corrupt(std::string("invalid JSON: ") + e.what());
  } catch (const std::length_error&) {
    return Corrupt("invalid JSON: " + refused);
  } catch (const std::invalid_argument&) {
    return Corrupt("invalid JSON: " + refused);
  }
}

Result<Value> ParseFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(Domain::kNone, Code::kNotFound, "cannot open " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status(Domain::kNone, Code::kIoError, "cannot read " + path);
  return Parse(buf.str());
}

}  // namespace parley::testing::json
