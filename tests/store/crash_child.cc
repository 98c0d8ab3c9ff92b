// The process the crash test kills: opens a store and commits transactions in a loop, writing
// each committed counter to stdout only after its COMMIT has returned.
// Usage: parley_store_crash_child DATA_DIR KEYSTORE_DIR SEED
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "parley/core/sqlite_util.h"
#include "parley/core/store.h"
#include "parley/platform/posix_env.h"

int main(int argc, char** argv) {
  using namespace parley;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DATA_DIR KEYSTORE_DIR SEED\n", argv[0]);
    return 2;
  }
  auto key_store = NewFileKeyStore(PosixEnv(), argv[2]);
  auto opened = store::Store::Open(PosixEnv(), *key_store, argv[1], "crash test passphrase");
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  sqlite3* db = (*opened)->db();
  // Frequent checkpoints, so kills also land inside checkpoints and WAL restarts.
  Status s = Exec(db,
                  "PRAGMA wal_autocheckpoint=16;"
                  "CREATE TABLE IF NOT EXISTS c(n INTEGER PRIMARY KEY, pad BLOB NOT NULL);");
  Stmt max;
  if (s.ok()) s = max.Prepare(db, "SELECT ifnull(max(n), 0) FROM c");
  std::int64_t n = 0;
  if (s.ok()) {
    auto row = max.Step();
    if (!row.ok())
      s = row.status();
    else
      n = max.Int(0);
    max.Reset();
  }
  Stmt ins, upd;
  if (s.ok()) s = ins.Prepare(db, "INSERT INTO c VALUES(?, randomblob(?))");
  if (s.ok()) s = upd.Prepare(db, "UPDATE c SET pad = randomblob(?) WHERE n = ?");
  if (!s.ok()) {
    std::fprintf(stderr, "setup: %s\n", s.ToString().c_str());
    return 1;
  }
  std::mt19937_64 rng(std::strtoull(argv[3], nullptr, 10));
  for (int i = 0; i < 1000000; ++i) {
    ++n;
    s = Exec(db, "BEGIN");
    if (s.ok()) s = ins.Bind(1, n).Bind(2, static_cast<std::int64_t>(100 + rng() % 3000)).Run();
    for (int k = 0; s.ok() && k < 3 && n > 1; ++k) {
      s = upd.Bind(1, static_cast<std::int64_t>(100 + rng() % 6000))
              .Bind(2, static_cast<std::int64_t>(1 + rng() % static_cast<std::uint64_t>(n - 1)))
              .Run();
    }
    if (s.ok()) s = Exec(db, "COMMIT");
    if (!s.ok()) {
      std::fprintf(stderr, "commit %lld: %s\n", static_cast<long long>(n), s.ToString().c_str());
      return 1;
    }
    std::printf("%lld\n", static_cast<long long>(n));
    std::fflush(stdout);
  }
  return 0;
}
