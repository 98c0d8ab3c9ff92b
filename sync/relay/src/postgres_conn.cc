#include "postgres_conn.h"

#include <cstring>

namespace parley::relay::pg {
namespace {

void PutInt32(std::string& out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 4);
}

void PutInt64(std::string& out, std::uint64_t v) {
  PutInt32(out, static_cast<std::uint32_t>(v >> 32));
  PutInt32(out, static_cast<std::uint32_t>(v));
}

// The header of a one-dimensional array without NULLs of `count` elements of type `oid`.
std::string ArrayHeader(std::size_t count, std::uint32_t oid) {
  std::string out;
  PutInt32(out, count == 0 ? 0 : 1);  // dimensions
  PutInt32(out, 0);                   // no NULLs
  PutInt32(out, oid);
  if (count > 0) {
    PutInt32(out, static_cast<std::uint32_t>(count));
    PutInt32(out, 1);  // lower bound
  }
  return out;
}

constexpr std::uint32_t kByteaOid = 17;
constexpr std::uint32_t kInt8Oid = 20;
constexpr std::uint32_t kTextOid = 25;

}  // namespace

void Params::Add(std::string value, bool binary, bool null) {
  values_.push_back(std::make_unique<std::string>(std::move(value)));
  pointers_.push_back(null ? nullptr : values_.back()->data());
  lengths_.push_back(static_cast<int>(values_.back()->size()));
  formats_.push_back(binary ? 1 : 0);
}

Params& Params::Bytea(crypto::ByteView b) {
  Add(std::string(reinterpret_cast<const char*>(b.data()), b.size()), true);
  return *this;
}

Params& Params::Text(std::string_view s) {
  Add(std::string(s), false);
  return *this;
}

Params& Params::Int(std::int64_t v) {
  Add(std::to_string(v), false);
  return *this;
}

Params& Params::Null() {
  Add(std::string(), false, true);
  return *this;
}

Params& Params::ByteaArray(const std::vector<crypto::ByteView>& items) {
  std::string out = ArrayHeader(items.size(), kByteaOid);
  for (crypto::ByteView b : items) {
    PutInt32(out, static_cast<std::uint32_t>(b.size()));
    out.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  Add(std::move(out), true);
  return *this;
}

Params& Params::Int8Array(const std::vector<std::int64_t>& items) {
  std::string out = ArrayHeader(items.size(), kInt8Oid);
  for (std::int64_t v : items) {
    PutInt32(out, 8);
    PutInt64(out, static_cast<std::uint64_t>(v));
  }
  Add(std::move(out), true);
  return *this;
}

Params& Params::TextArray(const std::vector<std::string>& items) {
  std::string out = ArrayHeader(items.size(), kTextOid);
  for (const std::string& s : items) {
    PutInt32(out, static_cast<std::uint32_t>(s.size()));
    out.append(s);
  }
  Add(std::move(out), true);
  return *this;
}

bool IsRetryable(const PGresult* res) {
  const char* state = res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_SQLSTATE);
  if (state == nullptr) return false;
  return std::strcmp(state, "40001") == 0 || std::strcmp(state, "40P01") == 0;
}

Status ErrorOf(PGconn* conn, const PGresult* res, std::string_view what) {
  std::string message = res != nullptr ? PQresultErrorMessage(res) : "";
  if (message.empty() && conn != nullptr) message = PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  const std::string prefix = "PostgreSQL: " + std::string(what) + ": ";
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    return Error(Domain::kSync, Code::kUnavailable, prefix + "the connection was lost: " + message);
  }
  const char* state = res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const std::string sqlstate = state != nullptr ? state : "";
  // Class 08: connection exception; 57P01..57P03: the server is shutting down or starting.
  if (sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P", 0) == 0) {
    return Error(Domain::kSync, Code::kUnavailable, prefix + message);
  }
  if (sqlstate == "53100") {
    return Error(
        Domain::kSync, Code::kIoError,
        prefix + "the database server's disk is full; nothing was stored (" + message + ")");
  }
  // Class 53: insufficient resources; class 58: system error (I/O).
  if (sqlstate.rfind("53", 0) == 0 || sqlstate.rfind("58", 0) == 0) {
    return Error(
        Domain::kSync, Code::kIoError,
        prefix + "the database server failed to store; nothing was stored (" + message + ")");
  }
  if (sqlstate == "23505") return Error(Domain::kSync, Code::kAlreadyExists, prefix + message);
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return Error(Domain::kSync, Code::kBusy, prefix + message);
  }
  return Error(Domain::kSync, Code::kInternal, prefix + message);
}

void Quiet(PGconn* conn) {
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
}

Result<Conn> Connect(const std::string& uri) {
  Conn conn(PQconnectdb(uri.c_str()));
  if (conn == nullptr) {
    return Error(Domain::kSync, Code::kUnavailable, "PostgreSQL: out of memory connecting");
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn.get());
    while (!message.empty() && message.back() == '\n') message.pop_back();
    for (char& c : message) {
      if (c == '\n') c = ' ';
    }
    return Error(Domain::kSync, Code::kUnavailable, "PostgreSQL: cannot connect: " + message);
  }
  Quiet(conn.get());
  return conn;
}

crypto::Bytes GetBytes(const PGresult* r, int row, int col) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(PQgetvalue(r, row, col));
  return crypto::Bytes(p, p + PQgetlength(r, row, col));
}

std::string GetString(const PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col)));
}

std::int64_t GetInt8(const PGresult* r, int row, int col) {
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, col));
  const int n = PQgetlength(r, row, col);
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  if (n == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

bool GetBool(const PGresult* r, int row, int col) {
  return PQgetlength(r, row, col) > 0 && PQgetvalue(r, row, col)[0] != 0;
}

bool IsNull(const PGresult* r, int row, int col) { return PQgetisnull(r, row, col) != 0; }

}  // namespace parley::relay::pg
