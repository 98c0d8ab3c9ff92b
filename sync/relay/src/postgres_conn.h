// libpq helpers shared by the PostgreSQL storage and change feed: owning handles, binary
// parameters, and the mapping of PostgreSQL errors onto Status codes.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parley/core/crypto.h"
#include "parley/platform/status.h"

namespace parley::relay::pg {

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;
using Res = std::unique_ptr<PGresult, ResultClearer>;

// The channel every storage object notifies and every feed listens on.
inline constexpr const char* kChannel = "parley_relay";

// Parameters of one statement; each is text or binary, as its setter says. Values are
// copied in, so temporaries may be passed.
class Params {
 public:
  Params& Bytea(crypto::ByteView b);
  Params& Text(std::string_view s);
  Params& Int(std::int64_t v);  // text form: valid for int8 and numeric parameters
  Params& Null();
  // A bytea[] in PostgreSQL's binary array format.
  Params& ByteaArray(const std::vector<crypto::ByteView>& items);
  // An int8[] in binary array format.
  Params& Int8Array(const std::vector<std::int64_t>& items);
  // A text[] in binary array format.
  Params& TextArray(const std::vector<std::string>& items);

  int count() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return pointers_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void Add(std::string value, bool binary, bool null = false);
  std::vector<std::unique_ptr<std::string>> values_;  // stable addresses
  std::vector<const char*> pointers_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// Status for a failed result or connection. Connection loss -> kUnavailable; a full disk
// or an I/O error on the server -> kIoError; unique violation -> kAlreadyExists; others ->
// kInternal. `what` names the operation.
Status ErrorOf(PGconn* conn, const PGresult* res, std::string_view what);
// Whether `res` failed with a serialization failure or a deadlock (the transaction may be
// retried).
bool IsRetryable(const PGresult* res);

// Drops the server's notices and asynchronous messages (libpq prints them on standard error
// by default, which is the relay's log); errors reach callers as statuses.
void Quiet(PGconn* conn);

// Connects (blocking), checks the connection and makes it Quiet. Code::kUnavailable when it fails;
// the message holds libpq's reason (never the password: libpq does not print it).
Result<Conn> Connect(const std::string& uri);

// Column access: binary results (resultFormat 1) only.
crypto::Bytes GetBytes(const PGresult* r, int row, int col);
std::string GetString(const PGresult* r, int row, int col);
std::int64_t GetInt8(const PGresult* r, int row, int col);
bool GetBool(const PGresult* r, int row, int col);
bool IsNull(const PGresult* r, int row, int col);

}  // namespace parley::relay::pg
