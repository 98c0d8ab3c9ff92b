#include "sqlite_workload.h"

#include <cstdlib>
#include <iostream>
#include <vector>

namespace parley::bench {
namespace {

void Die(sqlite3* db, const char* what) {
  std::cerr << "parley-bench: sqlite: " << what << ": "
            << (db ? sqlite3_errmsg(db) : "no connection") << std::endl;
  std::exit(1);
}

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::cerr << "parley-bench: sqlite: " << sql << ": " << (err ? err : "?") << std::endl;
    sqlite3_free(err);
    std::exit(1);
  }
}

std::string PragmaText(sqlite3* db, const char* name) {
  sqlite3_stmt* st = nullptr;
  const std::string sql = std::string("PRAGMA ") + name;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) Die(db, name);
  std::string value;
  if (sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(st, 0);
    if (text != nullptr) value = reinterpret_cast<const char*>(text);
  }
  sqlite3_finalize(st);
  return value;
}

}  // namespace

std::string ReadWriteSettings(sqlite3* db) {
  // page_size first: it only takes effect before the first table is created.
  std::string out;
  for (const char* name : {"page_size", "journal_mode", "synchronous", "cache_size",
                           "secure_delete", "temp_store", "locking_mode", "wal_autocheckpoint"}) {
    const std::string value = PragmaText(db, name);
    if (!value.empty()) out += std::string("PRAGMA ") + name + "=" + value + ";";
  }
  return out;
}

sqlite3* OpenPlain(const std::string& path, const std::string& settings) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Die(db, "open plain database");
  }
  Exec(db, settings);
  return db;
}

double RunSqlFieldUpdates(sqlite3* db, const SqlWorkload& w) {
  Exec(db,
       "CREATE TABLE bench_field(record INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT "
       "NULL, PRIMARY KEY(record, name))");
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT INTO bench_field(record, name, value) VALUES(?1, 'text', ?2)",
                         -1, &insert, nullptr) != SQLITE_OK) {
    Die(db, "prepare insert");
  }
  Exec(db, "BEGIN");
  const std::string initial = NoteText(0, w.value_size);
  for (std::size_t r = 0; r < w.records; ++r) {
    sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(r));
    sqlite3_bind_text(insert, 2, initial.data(), static_cast<int>(initial.size()), SQLITE_STATIC);
    if (sqlite3_step(insert) != SQLITE_DONE) Die(db, "insert");
    sqlite3_reset(insert);
  }
  Exec(db, "COMMIT");
  sqlite3_finalize(insert);

  // Values are made before the clock starts, so only SQLite's work is timed.
  std::vector<std::string> values;
  values.reserve(w.per_txn);
  for (std::size_t i = 0; i < w.per_txn; ++i) values.push_back(NoteText(i + 1, w.value_size));

  sqlite3_stmt* update = nullptr;
  if (sqlite3_prepare_v2(db,
                         "UPDATE bench_field SET value = ?1 WHERE record = ?2 AND name = 'text'",
                         -1, &update, nullptr) != SQLITE_OK) {
    Die(db, "prepare update");
  }
  Stopwatch clock;
  for (std::size_t done = 0; done < w.updates;) {
    Exec(db, "BEGIN");
    for (std::size_t i = 0; i < w.per_txn && done < w.updates; ++i, ++done) {
      const std::string& v = values[(done / w.records + i) % values.size()];
      sqlite3_bind_text(update, 1, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
      sqlite3_bind_int64(update, 2, static_cast<sqlite3_int64>(done % w.records));
      if (sqlite3_step(update) != SQLITE_DONE) Die(db, "update");
      sqlite3_reset(update);
    }
    Exec(db, "COMMIT");
  }
  const double seconds = clock.ElapsedS();
  sqlite3_finalize(update);
  return seconds;
}

std::vector<double> RunSqlSingleCommits(sqlite3* db, std::size_t count, std::size_t value_size) {
  Exec(db, "CREATE TABLE bench_note(id INTEGER PRIMARY KEY, text TEXT NOT NULL)");
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT INTO bench_note(text) VALUES(?1)", -1, &insert, nullptr) !=
      SQLITE_OK) {
    Die(db, "prepare insert");
  }
  std::vector<double> ms;
  ms.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string text = NoteText(i + 7, value_size);
    Stopwatch clock;
    Exec(db, "BEGIN");
    sqlite3_bind_text(insert, 1, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    if (sqlite3_step(insert) != SQLITE_DONE) Die(db, "insert");
    sqlite3_reset(insert);
    Exec(db, "COMMIT");
    ms.push_back(clock.ElapsedMs());
  }
  sqlite3_finalize(insert);
  return ms;
}

}  // namespace parley::bench
