// The "field updates" workload in plain SQL, for the VFS comparison and the plain-SQLite
// baseline: a table of 1,000 records' text fields, then `updates` updates of `value_size`-byte
// values, `per_txn` updates per transaction. The same statements run on whatever connection
// is given: the store's (through the page-encrypting VFS) or a plain one (unix VFS).
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <string>
#include <vector>

#include "bench_util.h"

namespace parley::bench {

struct SqlWorkload {
  std::size_t records = 1000;
  std::size_t updates = 100000;
  std::size_t per_txn = 1000;
  std::size_t value_size = 300;
};

// Creates and fills the table (not timed), then runs the updates; returns their wall time
// in seconds. Exits the program on any SQLite error.
double RunSqlFieldUpdates(sqlite3* db, const SqlWorkload& w);

// Saves `count` notes of `value_size` bytes, each in its own transaction; returns each
// commit's wall time (BEGIN to COMMIT) in milliseconds.
std::vector<double> RunSqlSingleCommits(sqlite3* db, std::size_t count, std::size_t value_size);

// The connection settings that decide how SQLite writes (journal mode, synchronous, page
// size, cache size, secure_delete, temp_store, locking mode, autocheckpoint), read from `db`
// as "PRAGMA x=y;" statements, so a plain connection can be made to write the same way.
std::string ReadWriteSettings(sqlite3* db);

// Opens `path` with the default (unencrypted) VFS and applies `settings`.
sqlite3* OpenPlain(const std::string& path, const std::string& settings);

}  // namespace parley::bench
