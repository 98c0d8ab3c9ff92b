#include "log/schema.h"

#include "parley/core/sqlite_util.h"

namespace parley::log {

Status CreateSchema(sqlite3* db) {
  static constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS log_meta(k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_authors(
  id INTEGER PRIMARY KEY,
  key BLOB NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  kx BLOB,
  role INTEGER NOT NULL DEFAULT 0,
  max_seq INTEGER NOT NULL DEFAULT 0,
  held INTEGER NOT NULL DEFAULT 0,
  contig INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS log_changes(
  cid INTEGER PRIMARY KEY,
  author INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  id BLOB NOT NULL UNIQUE,
  prev BLOB,
  hlc INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  pending INTEGER NOT NULL,
  membership INTEGER NOT NULL,
  header BLOB NOT NULL,
  body BLOB NOT NULL,
  signature BLOB NOT NULL,
  UNIQUE(author, seq));
CREATE INDEX IF NOT EXISTS log_changes_pending ON log_changes(author) WHERE pending;
CREATE INDEX IF NOT EXISTS log_changes_membership ON log_changes(author, seq) WHERE membership;
CREATE TABLE IF NOT EXISTS log_records(
  rid INTEGER PRIMARY KEY,
  id BLOB NOT NULL UNIQUE,
  type TEXT NOT NULL DEFAULT '',
  created_hlc INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS log_records_type ON log_records(type, created_hlc);
CREATE TABLE IF NOT EXISTS log_ops(
  op INTEGER PRIMARY KEY,
  rid INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  field TEXT NOT NULL,
  value BLOB,
  hlc INTEGER NOT NULL,
  live INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS log_ops_rid ON log_ops(rid);
CREATE INDEX IF NOT EXISTS log_ops_live ON log_ops(rid, field) WHERE live;
CREATE TABLE IF NOT EXISTS log_superseded(op INTEGER NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY(op, rid))
  WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_member_ops(
  op INTEGER PRIMARY KEY,
  author INTEGER NOT NULL,
  target INTEGER NOT NULL,
  role INTEGER NOT NULL,
  kx BLOB NOT NULL,
  name TEXT NOT NULL);
)sql";
  return Exec(db, kSchema, Domain::kLog);
}

}  // namespace parley::log
