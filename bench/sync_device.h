// A device for the sync figures: a real encrypted store in its own scratch directory
// (created with the Argon2id floor), its replica, sync state and sync client, as the
// `parley` application uses them.
//
// Failures of set-up steps end the program (Check): a figure cannot be measured without
// them. Thread safety: one thread per device.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bench_util.h"
#include "parley/sync/client.h"
#include "parley/sync/sync_state.h"

namespace parley::bench {

struct SyncBenchDevice {
  BenchStore base;  // scratch dir, key store, data dir, store, replica
  std::unique_ptr<sync::SyncState> state;
  std::unique_ptr<sync::Poller> poller;
  std::unique_ptr<sync::SyncClient> client;
  std::int64_t relay = 0;  // the pinned relay

  std::string key_store_dir() const { return base.dir->Sub("keystore"); }
};

// A new device; with `create_vault` it founds a vault, else it holds none until enrolled.
std::unique_ptr<SyncBenchDevice> NewSyncDevice(const Options& options, bool create_vault);

// Pins the relay of `pairing_code` as the device's relay.
void PinRelay(SyncBenchDevice& device, const std::string& pairing_code);

// One sync session with the pinned relay; ends the program if it fails or anything is refused.
sync::SyncReport SyncOrDie(SyncBenchDevice& device, const std::string& what);

// `admin` invites `device` and the device accepts (the invite handed over directly, as with
// `parley vault invite --out` and `parley join FILE`). The relay learns of the new member at
// the admin's next sync.
void Enroll(SyncBenchDevice& admin, SyncBenchDevice& device);

// Closes the client, replica and store (keys zeroed, WAL checkpointed), so another process
// may open the store. The scratch directory stays.
void CloseDevice(SyncBenchDevice& device);

// What a pull by a device in a child process measured.
struct ChildPull {
  std::uint64_t pulled = 0;      // changes applied
  std::uint64_t duplicates = 0;  // served but already held
  std::uint64_t pending = 0;     // held back (author not known as a member)
  std::uint64_t changes = 0;     // changes held by the device afterwards
  double seconds = 0;            // wall time of SyncClient::SyncOnce
  double cpu_seconds = 0;        // CPU time (user + system) of the child during SyncOnce
  double main_cpu_seconds = 0;   // of that, the CPU time of the thread that ran SyncOnce
  double peak_rss_mb = 0;        // the child's peak resident set (MiB)
};

// Runs SyncOnce for a closed device in a child process (this program re-executed with the
// hidden mode below) and returns what it measured.
ChildPull PullInChild(const SyncBenchDevice& device);

// The hidden mode: `parley-bench --sync-pull-child DATA_DIR KEY_STORE_DIR RELAY_ID`.
inline constexpr std::string_view kPullChildFlag = "--sync-pull-child";
int PullChildMain(int argc, char** argv);

}  // namespace parley::bench
