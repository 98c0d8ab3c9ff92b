// Figures about the store itself: what page encryption costs against plain SQLite, how long
// unlocking takes with the default Argon2id parameters, and how fast a panic wipe is.
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "figures.h"
#include "parley/platform/posix_env.h"
#include "sqlite_workload.h"

namespace parley::bench {

void RunVfsOverhead(const Options& options) {
  const bool ratio = Wanted(options, "vfs_overhead_ratio");
  const bool plain = Wanted(options, "plain_sqlite_updates_per_s");
  if (!ratio && !plain) return;
  SqlWorkload w;
  if (options.quick) w.updates = 10000;
  const int rounds = options.quick ? 1 : 3;

  // Alternate the two configurations and keep each one's best round, so that a burst of
  // background I/O on the machine does not decide the ratio.
  double best_encrypted = 1e300;
  double best_plain = 1e300;
  for (int round = 0; round < rounds; ++round) {
    BenchStore b = OpenFreshStore(options, crypto::MinimumArgon2Params(), /*with_replica=*/false);
    const std::string settings = ReadWriteSettings(b.store->db());
    if (round == 0) Note("store connection settings: " + settings);
    best_encrypted = std::min(best_encrypted, RunSqlFieldUpdates(b.store->db(), w));

    ScratchDir dir(options);
    sqlite3* db = OpenPlain(dir.Sub("plain.db"), settings);
    best_plain = std::min(best_plain, RunSqlFieldUpdates(db, w));
    sqlite3_close_v2(db);
  }
  if (plain) {
    Report("plain_sqlite_updates_per_s", static_cast<double>(w.updates) / best_plain, "updates/s");
  }
  if (ratio) {
    Note("encrypted " + std::to_string(w.updates / best_encrypted) + " updates/s, plain " +
         std::to_string(w.updates / best_plain) + " updates/s");
    Report("vfs_overhead_ratio", best_encrypted / best_plain, "x");
  }
}

void RunPlainCommit(const Options& options) {
  if (!Wanted(options, "plain_sqlite_commit_ms_p50")) return;
  const std::size_t notes = options.quick ? 50 : 500;
  std::string settings;
  {
    BenchStore b = OpenFreshStore(options, crypto::MinimumArgon2Params(), /*with_replica=*/false);
    settings = ReadWriteSettings(b.store->db());
  }
  ScratchDir dir(options);
  sqlite3* db = OpenPlain(dir.Sub("plain.db"), settings);
  const std::vector<double> ms = RunSqlSingleCommits(db, notes, 300);
  sqlite3_close_v2(db);
  Report("plain_sqlite_commit_ms_p50", Quantile(ms, 0.5), "ms");
}

void RunUnlock(const Options& options) {
  if (!Wanted(options, "unlock_ms")) return;
  const crypto::Argon2Params params = crypto::DefaultArgon2Params();
  Note("Argon2id defaults: ops_limit " + std::to_string(params.ops_limit) + ", mem_limit " +
       std::to_string(params.mem_limit >> 20) + " MiB");
  const int rounds = options.quick ? 1 : 5;

  ScratchDir dir(options);
  Env& env = PosixEnv();
  std::unique_ptr<KeyStore> key_store = NewFileKeyStore(env, dir.Sub("keystore"));
  store::StoreOptions so;
  so.data_dir = dir.Sub("data");
  so.argon2 = params;
  so.device_name = "bench";
  Check(store::Store::Create(env, *key_store, so, kPassphrase), "create store");

  std::vector<double> ms;
  for (int i = 0; i < rounds; ++i) {
    Stopwatch clock;
    auto store = Take(store::Store::Open(env, *key_store, so.data_dir, kPassphrase), "unlock");
    ms.push_back(clock.ElapsedMs());
    Check(store->Lock(), "lock");
  }
  Report("unlock_ms", Quantile(ms, 0.5), "ms");
}

void RunWipe(const Options& options) {
  if (!Wanted(options, "wipe_ms")) return;
  const std::size_t changes = options.quick ? 2000 : 100000;
  const std::size_t records = 1000;

  BenchStore b = OpenFreshStore(options, crypto::MinimumArgon2Params(), /*with_replica=*/true);
  {
    // Building 100,000 durable changes one fsync at a time would take minutes and measure
    // nothing of interest here, so the build runs with synchronous=OFF; the store is then
    // locked normally (checkpoint, WAL truncated) before the wipe is timed.
    sqlite3* db = b.store->db();
    sqlite3_exec(db, "PRAGMA synchronous=OFF", nullptr, nullptr, nullptr);
    Stopwatch build;
    std::vector<log::RecordId> ids;
    {
      auto txn = Take(b.replica->Begin(), "begin");
      for (std::size_t i = 0; i < records; ++i) ids.push_back(Take(txn->Create("note"), "create"));
      (void)Take(txn->Commit(), "commit records");
    }
    for (std::size_t i = 1; i < changes; ++i) {
      auto txn = Take(b.replica->Begin(), "begin");
      Check(txn->Set(ids[i % records], "text", NoteText(i, 40)), "set");
      (void)Take(txn->Commit(), "commit");
    }
    const std::uint64_t held = Take(b.replica->ChangeCount(), "count changes");
    Note("wipe: built a store of " + std::to_string(held) + " changes in " +
         std::to_string(static_cast<long long>(build.ElapsedMs())) + " ms");
  }
  b.replica.reset();
  Check(b.store->Lock(), "lock");
  b.store.reset();
  Env& env = PosixEnv();
  Result<std::uint64_t> db_size = env.FileSize(JoinPath(b.data_dir, "parley.db"));
  if (db_size.ok()) Note("wipe: parley.db is " + std::to_string(*db_size >> 20) + " MiB");

  Stopwatch clock;
  Check(store::Store::Wipe(env, *b.key_store, b.data_dir), "wipe");
  const double ms = clock.ElapsedMs();
  if (store::Store::Exists(env, b.data_dir))
    Check(Status(Domain::kStore, Code::kInternal, "key file still present after wipe"), "wipe");
  Report("wipe_ms", ms, "ms");
}

}  // namespace parley::bench
