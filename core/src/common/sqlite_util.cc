#include "parley/core/sqlite_util.h"

namespace parley {

Status SqliteStatus(int rc, sqlite3* db, std::string_view what, Domain domain) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  std::string msg(what);
  msg += ": ";
  msg += (db != nullptr) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  Code code = Code::kInternal;
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = Code::kCorrupt;
      break;
    case SQLITE_FULL:
      code = Code::kDiskFull;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = Code::kBusy;
      break;
    case SQLITE_CONSTRAINT:
      code = Code::kInvalidArgument;
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      code = Code::kIoError;
      break;
    case SQLITE_IOERR:
      code = (rc == SQLITE_IOERR_DATA || rc == SQLITE_IOERR_AUTH) ? Code::kCorrupt : Code::kIoError;
      break;
    default:
      break;
  }
  if (code == Code::kCorrupt) msg += " (the store is tampered or corrupt)";
  return Status(domain, code, std::move(msg));
}

Status Exec(sqlite3* db, std::string_view sql, Domain domain) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db, s.c_str(), nullptr, nullptr, &err);
  if (err != nullptr) sqlite3_free(err);
  return SqliteStatus(rc, db, "exec", domain);
}

namespace {

// Begins a transaction with `begin`; kBusy when one is already open (they do not nest).
Status BeginOn(sqlite3* db, std::string_view begin, Domain domain) {
  if (sqlite3_get_autocommit(db) == 0) {
    return Error(domain, Code::kBusy, "a transaction is already open on this connection");
  }
  return Exec(db, begin, domain);
}

}  // namespace

Result<ImmediateTransaction> ImmediateTransaction::Begin(sqlite3* db, Domain domain) {
  PARLEY_RETURN_IF_ERROR(BeginOn(db, "BEGIN IMMEDIATE", domain));
  return ImmediateTransaction(db, domain);
}

ImmediateTransaction::~ImmediateTransaction() { (void)Rollback(); }

ImmediateTransaction::ImmediateTransaction(ImmediateTransaction&& o) noexcept
    : db_(o.db_), domain_(o.domain_) {
  o.db_ = nullptr;
}

ImmediateTransaction& ImmediateTransaction::operator=(ImmediateTransaction&& o) noexcept {
  if (this != &o) {
    (void)Rollback();
    db_ = o.db_;
    domain_ = o.domain_;
    o.db_ = nullptr;
  }
  return *this;
}

Status ImmediateTransaction::Commit() {
  if (db_ == nullptr) return Error(domain_, Code::kInvalidArgument, "no transaction is open");
  Status s = Exec(db_, "COMMIT", domain_);
  if (!s.ok()) {
    (void)Rollback();
    return s;
  }
  db_ = nullptr;
  return s;
}

Status ImmediateTransaction::Rollback() {
  if (db_ == nullptr) return Status::Ok();
  sqlite3* db = db_;
  db_ = nullptr;
  // SQLite may already have rolled back by itself (after SQLITE_FULL, for one).
  if (sqlite3_get_autocommit(db) != 0) return Status::Ok();
  return Exec(db, "ROLLBACK", domain_);
}

Result<ReadTransaction> ReadTransaction::Begin(sqlite3* db, Domain domain) {
  PARLEY_RETURN_IF_ERROR(BeginOn(db, "BEGIN DEFERRED", domain));
  return ReadTransaction(db, domain);
}

ReadTransaction::~ReadTransaction() { (void)End(); }

ReadTransaction::ReadTransaction(ReadTransaction&& o) noexcept : db_(o.db_), domain_(o.domain_) {
  o.db_ = nullptr;
}

ReadTransaction& ReadTransaction::operator=(ReadTransaction&& o) noexcept {
  if (this != &o) {
    (void)End();
    db_ = o.db_;
    domain_ = o.domain_;
    o.db_ = nullptr;
  }
  return *this;
}

Status ReadTransaction::End() {
  if (db_ == nullptr) return Status::Ok();
  sqlite3* db = db_;
  db_ = nullptr;
  if (sqlite3_get_autocommit(db) != 0) return Status::Ok();
  Status s = Exec(db, "COMMIT", domain_);
  if (!s.ok() && sqlite3_get_autocommit(db) == 0) (void)Exec(db, "ROLLBACK", domain_);
  return s;
}

Status WithImmediateTransaction(sqlite3* db, const std::function<Status()>& body, Domain domain) {
  PARLEY_ASSIGN_OR_RETURN(ImmediateTransaction tx, ImmediateTransaction::Begin(db, domain));
  PARLEY_RETURN_IF_ERROR(body());
  return tx.Commit();
}

Stmt::~Stmt() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Status Stmt::Prepare(sqlite3* db, std::string_view sql) {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
  stmt_ = nullptr;
  db_ = db;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  return SqliteStatus(rc, db, "prepare");
}

Stmt& Stmt::Bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

Stmt& Stmt::Bind(int i, std::string_view text) {
  sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::BindBlob(int i, std::span<const std::uint8_t> blob) {
  // A zero-length blob is bound as an empty blob, not NULL.
  static const std::uint8_t kEmpty = 0;
  sqlite3_bind_blob(stmt_, i, blob.empty() ? &kEmpty : blob.data(), static_cast<int>(blob.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::BindNull(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(rc, db_, "step");
}

Status Stmt::Run() {
  for (;;) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      Status s = SqliteStatus(rc, db_, "step");
      sqlite3_reset(stmt_);
      return s;
    }
  }
  sqlite3_reset(stmt_);
  return Status::Ok();
}

Status Stmt::ForEach(const std::function<bool(const Stmt&)>& row) {
  Status out;
  for (;;) {
    auto more = Step();
    if (!more.ok()) {
      out = more.status();
      break;
    }
    if (!*more || !row(*this)) break;
  }
  Reset();
  return out;
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Stmt::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string_view Stmt::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view();
}

std::span<const std::uint8_t> Stmt::Blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::span<const std::uint8_t>(p, static_cast<std::size_t>(n))
           : std::span<const std::uint8_t>();
}

bool Stmt::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

}  // namespace parley
