// The sync figures of parley-bench (docs/benchmarks.md, "Sync figures"), measured over a
// real parley-relay process on loopback with its SQLite storage. Like the figures of
// figures.h, each Run* function prints its figures when the filter selects them.
#pragma once

#include "bench_util.h"

namespace parley::bench {

// sync_fresh_device_changes_per_s, sync_wire_overhead_ratio and sync_peak_rss_mb: a fresh
// device pulls the "field updates" workload another device pushed.
void RunSyncFreshDevice(const Options& options);
// sync_fresh_device_small_changes_per_s: the same for 10,000 changes of one update each.
void RunSyncFreshDeviceSmall(const Options& options);
// capi_sync_peak_rss_mb: a fresh device pulls the same workload through the C ABI, in a
// program that links only libparley.so (bench/capi_pull.c); capi_libparley_stripped_kb:
// the size of libparley.so stripped.
void RunCapiSync(const Options& options);
// relay_push_changes_per_s and relay_push_ack_ms_p99: 100 devices pushing at once.
void RunRelayPush(const Options& options);

}  // namespace parley::bench
