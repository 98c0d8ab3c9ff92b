#include "store/database.h"

#include <cstring>

#include "parley/core/sqlite_util.h"
#include "store/tuning.h"

namespace parley::store::internal {
namespace {

constexpr char kMetaTable[] = "parley_store_meta";

Status Corrupt(std::string what) {
  return Status(Domain::kStore, Code::kCorrupt,
                std::move(what) + " (the store is tampered or corrupt)");
}

Result<std::int64_t> QueryInt(sqlite3* db, const char* sql) {
  Stmt st;
  PARLEY_RETURN_IF_ERROR(st.Prepare(db, sql));
  PARLEY_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status(Domain::kStore, Code::kInternal, std::string("no result from ") + sql);
  return st.Int(0);
}

Status ApplySettings(sqlite3* db) {
  PARLEY_RETURN_IF_ERROR(Exec(db,
                              "PRAGMA temp_store=MEMORY;"
                              "PRAGMA secure_delete=ON;"
                              "PRAGMA foreign_keys=ON;"
                              "PRAGMA synchronous=FULL;"));
  PARLEY_RETURN_IF_ERROR(Exec(db, "PRAGMA cache_size=-" + std::to_string(tuning::kPageCacheKiB) +
                                      "; PRAGMA wal_autocheckpoint=" +
                                      std::to_string(tuning::kWalAutoCheckpointPages) + ";"));
  Stmt st;
  PARLEY_RETURN_IF_ERROR(st.Prepare(db, "PRAGMA journal_mode=WAL"));
  PARLEY_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row || st.Text(0) != "wal") {
    return Status(Domain::kStore, Code::kInternal, "the database refused write-ahead logging");
  }
  return Status::Ok();
}

Status CreateSchema(sqlite3* db, crypto::ByteView store_id) {
  // No rollback journal file is ever written: the empty database switches from an in-memory
  // journal straight to WAL.
  PARLEY_RETURN_IF_ERROR(Exec(db, "PRAGMA page_size=4096; PRAGMA journal_mode=MEMORY;"));
  int reserve = kReservedBytes;
  int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
  PARLEY_RETURN_IF_ERROR(SqliteStatus(rc, db, "reserving page bytes"));
  PARLEY_RETURN_IF_ERROR(ApplySettings(db));
  PARLEY_RETURN_IF_ERROR(
      Exec(db, std::string("CREATE TABLE ") + kMetaTable +
                   "(name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID"));
  Stmt ins;
  PARLEY_RETURN_IF_ERROR(
      ins.Prepare(db, std::string("INSERT INTO ") + kMetaTable + " VALUES('store_id', ?)"));
  ins.BindBlob(1, store_id);
  return ins.Run();
}

Status CheckLayout(sqlite3* db, crypto::ByteView store_id) {
  PARLEY_ASSIGN_OR_RETURN(std::int64_t page_size, QueryInt(db, "PRAGMA page_size"));
  int reserve = -1;
  int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
  PARLEY_RETURN_IF_ERROR(SqliteStatus(rc, db, "reading reserved page bytes"));
  if (page_size != kPageSize || reserve != kReservedBytes)
    return Corrupt("unexpected database page layout");
  Stmt st;
  Status s =
      st.Prepare(db, std::string("SELECT value FROM ") + kMetaTable + " WHERE name='store_id'");
  if (!s.ok()) {
    if (s.code() == Code::kCorrupt) return s;
    return Corrupt("the database has no store metadata");
  }
  PARLEY_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row || !crypto::ConstantTimeEqual(st.Blob(0), store_id)) {
    return Corrupt("the database does not belong to this key file");
  }
  return Status::Ok();
}

}  // namespace

Result<sqlite3*> OpenDatabase(const std::string& path, const char* vfs_name, bool create,
                              crypto::ByteView store_id) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (create) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs_name);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(rc, db, "opening " + path);
    sqlite3_close(db);
    return s;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 2000);
  Status s = create ? CreateSchema(db, store_id) : ApplySettings(db);
  if (s.ok() && !create) s = CheckLayout(db, store_id);
  if (!s.ok()) {
    sqlite3_close_v2(db);
    return s;
  }
  return db;
}

Status CloseDatabase(sqlite3* db) {
  if (db == nullptr) return Status::Ok();
  Status s = Exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  if (sqlite3_close(db) != SQLITE_OK) sqlite3_close_v2(db);
  return s;
}

}  // namespace parley::store::internal
