// The figures parley-bench reports (see docs/benchmarks.md for what each one means).
// Each Run* function prints its figures with Report() when they are selected by the
// filter, and does nothing otherwise.
#pragma once

#include "bench_util.h"

namespace parley::bench {

// local_field_updates_per_s: the "field updates" workload through Replica transactions.
void RunLocalFieldUpdates(const Options& options);
// single_change_commit_ms_p50 / _p99: one note saved as its own durable change.
void RunSingleChangeCommit(const Options& options);
// vfs_overhead_ratio and plain_sqlite_updates_per_s: the workload in plain SQL, through the
// store's connection and through a plain one.
void RunVfsOverhead(const Options& options);
// plain_sqlite_commit_ms_p50: one 300-byte row committed on plain SQLite with the store's
// settings (the durable-commit floor of this machine's storage).
void RunPlainCommit(const Options& options);
// unlock_ms: Store::Open with the default Argon2id parameters.
void RunUnlock(const Options& options);
// wipe_ms: Store::Wipe of a store holding 100,000 changes.
void RunWipe(const Options& options);
// search_ms_p50, search_index_build_s, search_index_mb, search_notes_write_s: full-text
// search over 100,000 notes (docs/benchmarks.md, "Search").
void RunSearch(const Options& options);
// import_notes_per_s: 10,000 notes imported from CSV, 500 per change (docs/benchmarks.md,
// "Import").
void RunImport(const Options& options);

}  // namespace parley::bench
