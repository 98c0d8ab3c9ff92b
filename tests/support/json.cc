#include "support/json.h"

#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>

namespace parley::testing::json {
namespace {

const Value& NullValue() {
  static const Value kNull;
  return kNull;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<Value> Document() {
    Value v;
    PARLEY_RETURN_IF_ERROR(ParseValue(v, 0));
    SkipSpace();
    if (pos_ != s_.size()) return Fail("unexpected text after the value");
    return v;
  }

 private:
  Status Fail(std::string_view what) const {
    return Status(Domain::kNone, Code::kCorrupt,
                  "json: " + std::string(what) + " at offset " + std::to_string(pos_));
  }

  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Status ParseValue(Value& out, int depth) {
    if (depth > kMaxDepth) return Fail("nesting too deep");
    SkipSpace();
    if (pos_ >= s_.size()) return Fail("unexpected end of input");
    switch (s_[pos_]) {
      case '{':
        return ParseObject(out, depth);
      case '[':
        return ParseArray(out, depth);
      case '"': {
        std::string str;
        PARLEY_RETURN_IF_ERROR(ParseString(str));
        out = Value(std::move(str));
        return Status::Ok();
      }
      case 't':
        if (!Consume("true")) return Fail("bad literal");
        out = Value(true);
        return Status::Ok();
      case 'f':
        if (!Consume("false")) return Fail("bad literal");
        out = Value(false);
        return Status::Ok();
      case 'n':
        if (!Consume("null")) return Fail("bad literal");
        out = Value();
        return Status::Ok();
      default:
        return ParseNumber(out);
    }
  }

  Status ParseObject(Value& out, int depth) {
    ++pos_;  // '{'
    Object members;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      out = Value(std::move(members));
      return Status::Ok();
    }
    for (;;) {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Fail("expected a member name");
      std::string key;
      PARLEY_RETURN_IF_ERROR(ParseString(key));
      for (const Member& m : members) {
        if (m.first == key) return Fail("duplicate member name");
      }
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Fail("expected ':'");
      ++pos_;
      Value v;
      PARLEY_RETURN_IF_ERROR(ParseValue(v, depth + 1));
      members.emplace_back(std::move(key), std::move(v));
      SkipSpace();
      if (pos_ >= s_.size()) return Fail("unterminated object");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        out = Value(std::move(members));
        return Status::Ok();
      }
      return Fail("expected ',' or '}'");
    }
  }

  Status ParseArray(Value& out, int depth) {
    ++pos_;  // '['
    Array items;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      out = Value(std::move(items));
      return Status::Ok();
    }
    for (;;) {
      Value v;
      PARLEY_RETURN_IF_ERROR(ParseValue(v, depth + 1));
      items.push_back(std::move(v));
      SkipSpace();
      if (pos_ >= s_.size()) return Fail("unterminated array");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        out = Value(std::move(items));
        return Status::Ok();
      }
      return Fail("expected ',' or ']'");
    }
  }

  bool Hex4(std::uint32_t& out) {
    if (s_.size() - pos_ < 4) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_ + i];
      std::uint32_t d;
      if (c >= '0' && c <= '9') {
        d = static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
      out = out << 4 | d;
    }
    pos_ += 4;
    return true;
  }

  static void AppendUtf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  Status ParseEscape(std::string& out) {
    if (pos_ >= s_.size()) return Fail("unterminated escape");
    const char c = s_[pos_++];
    switch (c) {
      case '"': out += '"'; return Status::Ok();
      case '\\': out += '\\'; return Status::Ok();
      case '/': out += '/'; return Status::Ok();
      case 'b': out += '\b'; return Status::Ok();
      case 'f': out += '\f'; return Status::Ok();
      case 'n': out += '\n'; return Status::Ok();
      case 'r': out += '\r'; return Status::Ok();
      case 't': out += '\t'; return Status::Ok();
      case 'u': break;
      default: return Fail("bad escape");
    }
    std::uint32_t cp = 0;
    if (!Hex4(cp)) return Fail("bad \\u escape");
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail("lone low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      std::uint32_t low = 0;
      if (!Consume("\\u") || !Hex4(low) || low < 0xDC00 || low > 0xDFFF) {
        return Fail("high surrogate without its low surrogate");
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(out, cp);
    return Status::Ok();
  }

  Status ParseString(std::string& out) {
    ++pos_;  // opening quote
    for (;;) {
      if (pos_ >= s_.size()) return Fail("unterminated string");
      const char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return Status::Ok();
      }
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in string");
      ++pos_;
      if (c == '\\') {
        PARLEY_RETURN_IF_ERROR(ParseEscape(out));
      } else {
        out += c;
      }
    }
  }

  bool Digits() {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  Status ParseNumber(Value& out) {
    const std::size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) return Fail("bad number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (!Digits()) {
      return Fail("unexpected character");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!Digits()) return Fail("bad fraction");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!Digits()) return Fail("bad exponent");
    }
    double d = 0;
    const char* first = s_.data() + start;
    const char* last = s_.data() + pos_;
    const auto [ptr, ec] = std::from_chars(first, last, d);
    if (ec == std::errc::result_out_of_range) return Fail("number out of range");
    if (ec != std::errc() || ptr != last) return Fail("bad number");
    out = Value(d);
    return Status::Ok();
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

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

Result<Value> Parse(std::string_view text) { return Parser(text).Document(); }

Result<Value> ParseFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(Domain::kNone, Code::kNotFound, "cannot open " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status(Domain::kNone, Code::kIoError, "cannot read " + path);
  return Parse(buf.str());
}

}  // namespace parley::testing::json
