#include "log/schema.h"

#include "parley/core/sqlite_util.h"

namespace parley::log {

Status CreateSchema(sqlite3* db) {
  // A change log written with the earlier layout (a `live` column in log_ops) is refused
  // rather than misread.
  {
    Stmt old;
    PARLEY_RETURN_IF_ERROR(
        old.Prepare(db, "SELECT 1 FROM pragma_table_info('log_ops') WHERE name = 'live'"));
    PARLEY_ASSIGN_OR_RETURN(bool row, old.Step());
    if (row) {
      return Error(
          Domain::kLog, Code::kUnsupported,
          "this store's change log uses an older table layout that this version cannot read");
    }
  }
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
  created_hlc INTEGER NOT NULL DEFAULT 0,
  last_op INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS log_records_type ON log_records(type, created_hlc);
CREATE TABLE IF NOT EXISTS log_ops(
  op INTEGER PRIMARY KEY,
  rid INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  field TEXT NOT NULL,
  value BLOB,
  hlc INTEGER NOT NULL,
  prev INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log_live(
  rid INTEGER NOT NULL,
  field TEXT NOT NULL,
  op INTEGER NOT NULL,
  PRIMARY KEY(rid, field, op)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_superseded(op INTEGER NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY(op, rid))
  WITHOUT ROWID;
DROP TABLE IF EXISTS log_member_ops;
CREATE TABLE IF NOT EXISTS log_seen(
  author INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  of INTEGER NOT NULL,
  upto INTEGER NOT NULL,
  PRIMARY KEY(author, seq, of)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS log_seen_of ON log_seen(of, upto);
CREATE INDEX IF NOT EXISTS log_seen_by ON log_seen(author, of, upto);
CREATE TABLE IF NOT EXISTS log_slots(cid INTEGER PRIMARY KEY, slots BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS log_record_keys(
  record BLOB PRIMARY KEY,
  key BLOB,
  cid INTEGER NOT NULL,
  slot_hash BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_purged(
  record BLOB PRIMARY KEY,
  author INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  hlc INTEGER NOT NULL,
  change_id BLOB,
  slot_hash BLOB) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS log_text USING fts5(
  text, record UNINDEXED, type UNINDEXED, field UNINDEXED, scope UNINDEXED,
  tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS log_set_aside(
  n INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL,
  header BLOB NOT NULL,
  body BLOB NOT NULL,
  signature BLOB NOT NULL);
)sql";
  PARLEY_RETURN_IF_ERROR(Exec(db, kSchema, Domain::kLog));
  // Each format mark says how the changes of this log were written; a log that holds
  // changes and lacks a mark was written before that format and is refused rather than
  // misread. Chain format 2: header.prev is the predecessor's link (id and signature), not
  // its id. Record format 2: record ids are bound to their creators and change bodies are
  // padded (docs/change-format.md); an older log's records would not show. Record format 3:
  // record values are sealed under per-record keys carried in key slots ("Record keys").
  struct Mark {
    const char* key;
    std::int64_t value;
    const char* refusal;
  };
  static constexpr Mark kMarks[] = {
      {"chain_format", 2,
       "this store's change log uses an earlier chain format that this version cannot sync"},
      {"record_format", 3,
       "this store's change log was written before record values were sealed under per-record "
       "keys; this version "
       "cannot read it"},
  };
  for (const Mark& m : kMarks) {
    Stmt format;
    PARLEY_RETURN_IF_ERROR(format.Prepare(
        db, "SELECT (SELECT v FROM log_meta WHERE k = ?1), EXISTS(SELECT 1 FROM log_changes)"));
    format.Bind(1, std::string_view(m.key));
    PARLEY_ASSIGN_OR_RETURN(bool row, format.Step());
    if (!row || (!format.IsNull(0) && format.Int(0) >= m.value)) continue;
    if (format.Int(1) != 0) return Error(Domain::kLog, Code::kUnsupported, m.refusal);
    Stmt mark;
    PARLEY_RETURN_IF_ERROR(
        mark.Prepare(db, "INSERT OR REPLACE INTO log_meta(k, v) VALUES(?1, ?2)"));
    PARLEY_RETURN_IF_ERROR(mark.Bind(1, std::string_view(m.key)).Bind(2, m.value).Run());
  }
  return Status::Ok();
}

}  // namespace parley::log
