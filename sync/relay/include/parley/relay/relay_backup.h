// Online backups of the relay's SQLite storage, and their verification.
//
// BackupSqliteRelayStorage copies a database that a serving relay keeps writing (SQLite's
// online backup API: the copy is one consistent snapshot, every transaction committed before
// the snapshot and none after; the relay is not stopped or slowed beyond reading its pages).
// VerifySqliteRelayStorage opens a copy read-only and checks it as a relay would need it.
// PostgreSQL storage is backed up with pg_dump (docs/relay-operations.md).
//
// Thread safety: each call opens its own connections; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "parley/platform/status.h"

namespace parley::relay {

// Copies the SQLite relay storage at `source` (opened without creating it; it may be in use)
// into a new file `dest`: written as `dest`.tmp-PID with mode 0600, synced, then renamed over
// `dest` (and the directory synced), so `dest` is either the old file or the whole copy. A
// WAL or shared-memory file left beside an older `dest` is removed first. The copy is in
// rollback-journal mode (a relay opening it switches it to WAL). Code::kNotFound when there
// is no `source`; kIoError, kDiskFull or kCorrupt from SQLite otherwise (the temporary file
// is removed).
Status BackupSqliteRelayStorage(const std::string& source, const std::string& dest);

// What VerifySqliteRelayStorage found.
struct BackupCheck {
  std::int64_t schema_version = 0;  // PRAGMA user_version
  std::uint64_t vaults = 0;
  std::uint64_t changes = 0;  // purged ones included
  std::uint64_t purged = 0;   // changes whose data was dropped
  std::uint64_t chains = 0;   // (vault, author) chain heads
  std::uint64_t envelopes = 0;
  std::vector<std::string> problems;  // empty: the copy is sound
};

// Opens `path` read-only and checks: PRAGMA integrity_check; the relay's tables; each vault's
// relay sequence numbers are exactly 1..head_seq (no gap, none missing or beyond); each
// author's changes in a vault are exactly author seq 1..its chain head, and every author
// with changes has a head. Every problem found is listed (a few per kind at most). An error
// status only when the file cannot be opened or read as SQLite at all.
Result<BackupCheck> VerifySqliteRelayStorage(const std::string& path);

}  // namespace parley::relay
