// SQLite helpers shared by core: result codes mapped to Status in one place, a small RAII
// prepared statement, an RAII write transaction and an RAII read transaction.
//
// Thread safety: a Stmt, an ImmediateTransaction or a ReadTransaction belongs to the
// connection's thread.
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

// A write transaction (BEGIN IMMEDIATE) on a connection, rolled back unless committed.
// The connection is borrowed and must outlive the transaction. Errors are SqliteStatus
// in the domain given to Begin (Code::kBusy when another connection holds the write lock,
// kDiskFull when the commit cannot be written, ...).
class ImmediateTransaction {
 public:
  // Begins the transaction. Code::kBusy when `db` already has a transaction open: SQLite
  // transactions do not nest.
  static Result<ImmediateTransaction> Begin(sqlite3* db, Domain domain = Domain::kStore);

  ImmediateTransaction() = default;  // holds no transaction
  ~ImmediateTransaction();           // rolls back if still open
  ImmediateTransaction(ImmediateTransaction&& o) noexcept;
  ImmediateTransaction& operator=(ImmediateTransaction&& o) noexcept;
  ImmediateTransaction(const ImmediateTransaction&) = delete;
  ImmediateTransaction& operator=(const ImmediateTransaction&) = delete;

  // Commits. On failure the transaction is rolled back and the commit's error returned.
  // Either way the transaction is then closed. Code::kInvalidArgument when not open.
  Status Commit();
  // Rolls back now (a no-op when not open); the transaction is then closed.
  Status Rollback();
  bool open() const { return db_ != nullptr; }

 private:
  ImmediateTransaction(sqlite3* db, Domain domain) : db_(db), domain_(domain) {}
  sqlite3* db_ = nullptr;  // null when closed
  Domain domain_ = Domain::kStore;
};

// A read transaction (BEGIN DEFERRED) on a connection: every read inside it sees one
// snapshot of the database, taken by its first read (WAL mode: whatever other connections
// commit meanwhile is not seen, and they are not blocked). Ended (COMMIT: it wrote nothing)
// on End() or destruction. The connection is borrowed and must outlive the transaction.
// Errors are SqliteStatus in the domain given to Begin. Writing inside it is not intended:
// a write would upgrade it to a write transaction that End() commits.
class ReadTransaction {
 public:
  // Begins the transaction. Code::kBusy when `db` already has a transaction open: SQLite
  // transactions do not nest.
  static Result<ReadTransaction> Begin(sqlite3* db, Domain domain = Domain::kStore);

  ReadTransaction() = default;  // holds no transaction
  ~ReadTransaction();           // ends it if still open
  ReadTransaction(ReadTransaction&& o) noexcept;
  ReadTransaction& operator=(ReadTransaction&& o) noexcept;
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

  // Ends the transaction now, releasing its snapshot (a no-op when not open); it is then
  // closed. An error ending it is returned (the transaction is rolled back then).
  Status End();
  bool open() const { return db_ != nullptr; }

 private:
  ReadTransaction(sqlite3* db, Domain domain) : db_(db), domain_(domain) {}
  sqlite3* db_ = nullptr;  // null when closed
  Domain domain_ = Domain::kStore;
};

// Runs `body` inside an ImmediateTransaction: commits when it returns Ok, rolls back and
// returns its error otherwise. REQUIRES: `body` neither begins nor ends a transaction.
Status WithImmediateTransaction(sqlite3* db, const std::function<Status()>& body,
                                Domain domain = Domain::kStore);

}  // namespace parley
