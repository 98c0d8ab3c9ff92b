// Figures measured through the Replica API: the "field updates" workload and single-note
// commits. Every change is signed, its body encrypted, and committed durably by the store.
#include <string>
#include <vector>

#include "figures.h"

namespace parley::bench {
namespace {

constexpr std::size_t kValueSize = 300;

std::vector<log::RecordId> CreateRecords(log::Replica& replica, std::size_t n) {
  std::vector<log::RecordId> ids;
  ids.reserve(n);
  auto txn = Take(replica.Begin(), "begin");
  const std::string initial = NoteText(0, kValueSize);
  for (std::size_t i = 0; i < n; ++i) {
    log::RecordId id = Take(txn->Create("note"), "create record");
    Check(txn->Set(id, "text", initial), "set initial text");
    ids.push_back(id);
  }
  (void)Take(txn->Commit(), "commit records");
  return ids;
}

}  // namespace

void RunLocalFieldUpdates(const Options& options) {
  if (!Wanted(options, "local_field_updates_per_s")) return;
  const std::size_t records = 1000;
  const std::size_t per_change = 1000;
  const std::size_t updates = options.quick ? 10000 : 100000;

  BenchStore b = OpenFreshStore(options, crypto::MinimumArgon2Params(), /*with_replica=*/true);
  const std::vector<log::RecordId> ids = CreateRecords(*b.replica, records);
  std::vector<std::string> values;
  values.reserve(per_change);
  for (std::size_t i = 0; i < per_change; ++i) values.push_back(NoteText(i + 1, kValueSize));

  Stopwatch clock;
  for (std::size_t done = 0; done < updates;) {
    auto txn = Take(b.replica->Begin(), "begin");
    for (std::size_t i = 0; i < per_change && done < updates; ++i, ++done) {
      const std::string& v = values[(done / records + i) % values.size()];
      Check(txn->Set(ids[done % records], "text", v), "set");
    }
    (void)Take(txn->Commit(), "commit");
  }
  const double seconds = clock.ElapsedS();
  Report("local_field_updates_per_s", static_cast<double>(updates) / seconds, "updates/s");
}

void RunSingleChangeCommit(const Options& options) {
  if (!Wanted(options, "single_change_commit_ms_p50") &&
      !Wanted(options, "single_change_commit_ms_p99")) {
    return;
  }
  const std::size_t notes = options.quick ? 50 : 500;
  const std::size_t warmup = 10;

  BenchStore b = OpenFreshStore(options, crypto::MinimumArgon2Params(), /*with_replica=*/true);
  std::vector<double> ms;
  ms.reserve(notes);
  for (std::size_t i = 0; i < warmup + notes; ++i) {
    const std::string text = NoteText(i + 7, kValueSize);
    Stopwatch clock;
    auto txn = Take(b.replica->Begin(), "begin");
    log::RecordId id = Take(txn->Create("note"), "create note");
    Check(txn->Set(id, "text", text), "set note text");
    (void)Take(txn->Commit(), "commit note");
    if (i >= warmup) ms.push_back(clock.ElapsedMs());
  }
  Report("single_change_commit_ms_p50", Quantile(ms, 0.50), "ms");
  Report("single_change_commit_ms_p99", Quantile(ms, 0.99), "ms");
}

}  // namespace parley::bench
