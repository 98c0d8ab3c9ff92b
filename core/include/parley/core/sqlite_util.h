// SQLite helpers shared by core: result codes mapped to Status in one place, and a small
// RAII prepared statement.
//
// Thread safety: a Stmt belongs to the connection's thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "parley/platform/status.h"

namespace parley {

// Maps an SQLite result code to a Status in `domain`:
//   SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_IOERR_DATA, SQLITE_IOERR_AUTH -> Code::kCorrupt
//   SQLITE_FULL -> kDiskFull; SQLITE_BUSY, SQLITE_LOCKED -> kBusy; SQLITE_CONSTRAINT ->
//   kInvalidArgument; other SQLITE_IOERR -> kIoError; the rest -> kInternal.
// `what` says what was being done; `db` (may be null) supplies sqlite3_errmsg.
Status SqliteStatus(int rc, sqlite3* db, std::string_view what, Domain domain = Domain::kStore);

// Runs one or more statements without results.
Status Exec(sqlite3* db, std::string_view sql, Domain domain = Domain::kStore);

// A prepared statement, finalized on destruction. Reset() before re-use.
class Stmt {
 public:
  Stmt() = default;
  ~Stmt();
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Prepares `sql` (persistent: meant to be cached and re-used).
  Status Prepare(sqlite3* db, std::string_view sql);
  bool prepared() const { return stmt_ != nullptr; }

  // Binding (1-based indexes). Text and blobs are copied (SQLITE_TRANSIENT).
  Stmt& Bind(int i, std::int64_t v);
  Stmt& Bind(int i, std::string_view text);
  Stmt& BindBlob(int i, std::span<const std::uint8_t> blob);
  Stmt& BindNull(int i);

  // Steps once: true when a row is available, false when done. Errors go to `status`.
  Result<bool> Step();
  // Steps to completion, expecting no rows.
  Status Run();
  // Steps through the rows, calling `row` on each until it returns false; then resets the
  // statement (and clears its bindings), also on error. Returns the first stepping error.
  Status ForEach(const std::function<bool(const Stmt&)>& row);
  void Reset();

  std::int64_t Int(int col) const;
  std::string_view Text(int col) const;
  std::span<const std::uint8_t> Blob(int col) const;
  bool IsNull(int col) const;

  sqlite3_stmt* raw() const { return stmt_; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace parley
