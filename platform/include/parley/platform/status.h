// Status and Result<T>: errors as values.
//
// Every fallible call in Parley returns a Status (or a Result<T>, which is a T or a
// non-OK Status). No exception crosses a module boundary or the C ABI. A Status is
// cheap when OK (no allocation) and carries a domain, a code and a one-line message
// meant for a person. Messages never contain secrets or user plaintext.
//
// Thread safety: values; copy freely between threads.
#pragma once

#include <cassert>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace parley {

// Where an error comes from.
enum class Domain : std::uint8_t {
  kNone = 0,
  kPlatform,  // files, clock, key store, transport
  kCrypto,    // libsodium wrappers
  kStore,     // the encrypted SQLite store and its keys
  kLog,       // changes, merge, bundles
  kModel,     // the negotiation model and its queries
  kSync,      // wire, relay
  kApp,       // command line
};

// What went wrong. Stable numbers: they cross the C ABI.
enum class Code : std::uint16_t {
  kOk = 0,
  kInvalidArgument = 1,  // the caller's input is malformed
  kNotFound = 2,
  kAlreadyExists = 3,
  kCorrupt = 4,          // tampered or corrupt data (authentication failed, bad format)
  kWrongPassphrase = 5,  // the passphrase (or key-store secret) does not open the keys
  kMissingSecret = 6,    // the platform key store has no secret for this store
  kIoError = 7,
  kDiskFull = 8,
  kBusy = 9,     // another process holds the store
  kLocked = 10,  // the store is locked; unlock first
  kUnsupported = 11,
  kPermissionDenied = 12,  // e.g. not a member, not an admin, revoked
  kConflict = 13,          // e.g. a chain fork
  kInternal = 14,
  kUnavailable = 15,  // network or peer unavailable; retry later
  kCancelled = 16,
  kThrottled = 17,  // too many failed unlocks: wait (the message says how long), then retry
  kWiped = 18,      // the store destroyed itself (too many failed unlocks); nothing is left
};

std::string_view CodeName(Code code);
std::string_view DomainName(Domain domain);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Domain domain, Code code, std::string message)
      : rep_(code == Code::kOk
                 ? nullptr
                 : std::make_shared<const Rep>(Rep{domain, code, std::move(message)})) {}

  static Status Ok() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  Domain domain() const { return rep_ ? rep_->domain : Domain::kNone; }
  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  // The one-line message, empty when OK.
  const std::string& message() const;
  // "store: corrupt: page 3 failed authentication" style text.
  std::string ToString() const;

  // Prefixes context to the message, keeping domain and code.
  Status Annotate(std::string_view context) const;

 private:
  struct Rep {
    Domain domain;
    Code code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;
};

// Convenience constructors.
inline Status Error(Domain d, Code c, std::string msg) { return Status(d, c, std::move(msg)); }

// A value or an error. Accessing value() of an error asserts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace parley

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define PARLEY_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::parley::Status parley_status_ = (expr);        \
    if (!parley_status_.ok()) return parley_status_; \
  } while (0)

#define PARLEY_CONCAT_INNER(a, b) a##b
#define PARLEY_CONCAT(a, b) PARLEY_CONCAT_INNER(a, b)
// `PARLEY_ASSIGN_OR_RETURN(auto x, Foo());` binds the value or returns the error.
#define PARLEY_ASSIGN_OR_RETURN(lhs, rexpr) \
  PARLEY_ASSIGN_OR_RETURN_IMPL(PARLEY_CONCAT(parley_result_, __LINE__), lhs, rexpr)
// `lhs` is a declaration and cannot be parenthesized; `tmp` is a name.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define PARLEY_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                 \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
