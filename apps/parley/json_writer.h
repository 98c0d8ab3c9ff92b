// A small streaming JSON writer: commas, nesting and string escaping are handled here so
// that every `--json` output is valid JSON (RFC 8259), whatever bytes the user typed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::cli {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // Inside an object: the next value's key.
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(std::int64_t value);
  JsonWriter& Uint(std::uint64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Key + value shorthands.
  JsonWriter& Field(std::string_view key, std::string_view value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, const char* value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, bool value) { return Key(key).Bool(value); }
  JsonWriter& Field(std::string_view key, std::int64_t value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, std::uint64_t value) { return Key(key).Uint(value); }

  // The document so far (complete once every Begin has its End).
  const std::string& str() const { return out_; }

 private:
  void BeforeValue();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// Appends `s` as a JSON string literal (with quotes). Control characters are escaped;
// invalid UTF-8 sequences become U+FFFD so the output is always valid.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace parley::cli
