// JSON for the tests (test vectors: Wycheproof, Noise; `parley --json` output): RFC 8259 text
// parsed by nlohmann-json into a tree of read-only values with forgiving accessors. Strict:
// no comments, no trailing commas, no leading zeros, no unescaped control characters,
// nothing after the top-level value. Strings are returned as UTF-8 (\uXXXX escapes, including
// surrogate pairs, are decoded). Objects keep their members in file order; a duplicate key
// is an error.
//
// Failures: Code::kCorrupt (Domain::kNone) with the byte offset of the problem.
// Thread safety: values are immutable once parsed; share them freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "parley/platform/status.h"

namespace parley::testing::json {

class Value;
using Array = std::vector<Value>;
using Member = std::pair<std::string, Value>;
using Object = std::vector<Member>;

class Value {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Value() = default;  // null
  explicit Value(bool b) : v_(b) {}
  explicit Value(double d) : v_(d) {}
  explicit Value(std::string s) : v_(std::move(s)) {}
  explicit Value(Array a) : v_(std::move(a)) {}
  explicit Value(Object o) : v_(std::move(o)) {}

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_number() const { return kind() == Kind::kNumber; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }

  // Typed access. A value of another kind reads as false / 0 / "" / empty, so a test that
  // checks the kind first (or compares the result) never crashes on a malformed file.
  bool AsBool() const;
  double AsNumber() const;
  // The number truncated toward zero (0 when not a number).
  std::int64_t AsInt() const;
  const std::string& AsString() const;
  const Array& AsArray() const;
  const Object& AsObject() const;

  // Object member by key, or nullptr when absent or when this is not an object.
  const Value* Find(std::string_view key) const;
  // Object member by key; a null value when absent.
  const Value& operator[](std::string_view key) const;
  const Value& operator[](const char* key) const { return (*this)[std::string_view(key)]; }
  // Array element; a null value when out of range or not an array.
  const Value& operator[](std::size_t index) const;
  // Elements of an array or members of an object; 0 otherwise.
  std::size_t size() const;

 private:
  // The order matches Kind.
  std::variant<std::nullptr_t, bool, double, std::string, Array, Object> v_ = nullptr;
};

// Parses a whole document. Nesting deeper than kMaxDepth is refused (no stack overflow on
// hostile input).
inline constexpr int kMaxDepth = 256;
Result<Value> Parse(std::string_view text);
// Reads and parses a file. Code::kNotFound / kIoError when it cannot be read.
Result<Value> ParseFile(const std::string& path);

}  // namespace parley::testing::json
