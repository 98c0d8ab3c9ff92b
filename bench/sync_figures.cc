// Fresh-device figures: one device (the author) builds a workload and pushes it to a real
// relay; fresh devices, enrolled beforehand, then pull and apply all of it, each in a child
// process so that its peak memory is its own. One pulls straight from the relay (speed and
// memory), one through a counting proxy (bytes on the wire).
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "parley/core/replica_sync.h"
#include "support/relay_process.h"
#include "support/tcp_proxy.h"
#include "sync_device.h"
#include "sync_figures.h"

namespace parley::bench {
namespace {

using testing::FindRelayBinary;
using testing::RelayProcess;
using testing::TcpProxy;

constexpr std::size_t kValueSize = 300;
constexpr std::size_t kRecords = 1000;
// The same "field updates" workload as the local figure: 1,000 updates of 300 bytes per
// change (about 340 KB, carried in parts across several frames: docs/wire-protocol.md §7a).
constexpr std::size_t kSyncUpdatesPerChange = 1000;

// Creates the records, without text (one change of about 30 KB), and returns their ids.
std::vector<log::RecordId> CreateRecords(log::Replica& replica) {
  std::vector<log::RecordId> ids;
  auto txn = Take(replica.Begin(), "begin");
  for (std::size_t i = 0; i < kRecords; ++i)
    ids.push_back(Take(txn->Create("note"), "create record"));
  (void)Take(txn->Commit(), "commit records");
  return ids;
}

// `updates` updates of 300-byte values round-robin over the records, `per_change` per change.
void WriteUpdates(log::Replica& replica, const std::vector<log::RecordId>& ids, std::size_t updates,
                  std::size_t per_change) {
  std::vector<std::string> values;
  for (std::size_t i = 0; i < 1000; ++i) values.push_back(NoteText(i + 1, kValueSize));
  for (std::size_t done = 0; done < updates;) {
    auto txn = Take(replica.Begin(), "begin");
    for (std::size_t i = 0; i < per_change && done < updates; ++i, ++done) {
      Check(
          txn->Set(ids[done % ids.size()], "text", values[(done / ids.size() + i) % values.size()]),
          "set");
    }
    (void)Take(txn->Commit(), "commit");
  }
}

// The author's workload is built without an fsync per change (not what is measured).
void SetSynchronous(SyncBenchDevice& device, bool full) {
  sqlite3_exec(device.base.store->db(), full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF",
               nullptr, nullptr, nullptr);
}

// A running relay holding the author's workload, and `fresh` devices enrolled in the vault
// (the relay knows them as members) that hold nothing else yet and have no relay pinned.
struct Scenario {
  std::unique_ptr<ScratchDir> relay_dir;
  std::unique_ptr<RelayProcess> relay;
  std::unique_ptr<SyncBenchDevice> author;
  std::vector<std::unique_ptr<SyncBenchDevice>> fresh;
  std::uint64_t held = 0;  // changes the author holds (what a fresh device must end with)
};

Scenario Prepare(const Options& options, std::size_t fresh_devices,
                 const std::function<void(log::Replica&)>& build) {
  Scenario s;
  std::string binary = Take(FindRelayBinary(options.relay), "find parley-relay");
  s.relay_dir = std::make_unique<ScratchDir>(options);
  s.relay = std::make_unique<RelayProcess>(s.relay_dir->path(), std::vector<std::string>{},
                                           std::move(binary));
  Check(s.relay->Start(), "start the relay");
  s.author = NewSyncDevice(options, /*create_vault=*/true);
  PinRelay(*s.author, s.relay->PairingCode(s.relay->port()));
  SetSynchronous(*s.author, false);
  build(*s.author->base.replica);
  SetSynchronous(*s.author, true);
  for (std::size_t i = 0; i < fresh_devices; ++i) {
    s.fresh.push_back(NewSyncDevice(options, /*create_vault=*/false));
    Enroll(*s.author, *s.fresh.back());
  }
  {
    const auto held =
        Take(log::HeldChangesAfter(*s.author->base.replica, 0, SIZE_MAX, SIZE_MAX), "read changes");
    std::size_t largest = 0;
    for (const auto& h : held) largest = std::max(largest, h.change.ByteSizeLong());
    Note("the author holds " + std::to_string(held.size()) + " changes, the largest of " +
         std::to_string(largest) + " bytes");
  }
  Stopwatch push;
  const sync::SyncReport pushed = SyncOrDie(*s.author, "push the workload");
  s.held = Take(s.author->base.replica->ChangeCount(), "count changes");
  Note("author pushed " + std::to_string(pushed.pushed) + " changes to the relay in " +
       std::to_string(static_cast<long long>(push.ElapsedMs())) + " ms");
  return s;
}

void CheckComplete(const ChildPull& pull, std::uint64_t held, const std::string& what) {
  if (pull.changes != held || pull.pending != 0) {
    Check(
        Status(Domain::kSync, Code::kInternal,
               "the fresh device holds " + std::to_string(pull.changes) + " changes (" +
                   std::to_string(pull.pending) + " pending), the author " + std::to_string(held)),
        what);
  }
}

std::string Describe(const ChildPull& pull) {
  return "pulled " + std::to_string(pull.pulled) + " changes (" + std::to_string(pull.duplicates) +
         " already held) in " + std::to_string(pull.seconds) + " s (CPU " +
         std::to_string(pull.cpu_seconds) + " s, of which the syncing thread " +
         std::to_string(pull.main_cpu_seconds) + " s), peak RSS " +
         std::to_string(pull.peak_rss_mb) + " MiB";
}

}  // namespace

void RunSyncFreshDevice(const Options& options) {
  const bool speed = Wanted(options, "sync_fresh_device_changes_per_s");
  const bool wire = Wanted(options, "sync_wire_overhead_ratio");
  const bool rss = Wanted(options, "sync_peak_rss_mb");
  if (!speed && !wire && !rss) return;
  const std::size_t updates = options.quick ? 10000 : 100000;

  Scenario s = Prepare(options, 2, [&](log::Replica& replica) {
    WriteUpdates(replica, CreateRecords(replica), updates, kSyncUpdatesPerChange);
  });
  // Straight from the relay: speed and memory.
  SyncBenchDevice& direct = *s.fresh[0];
  PinRelay(direct, s.relay->PairingCode(s.relay->port()));
  CloseDevice(direct);
  const ChildPull pull = PullInChild(direct);
  CheckComplete(pull, s.held, "fresh device pull");
  Note("direct: " + Describe(pull));

  // Through the counting proxy: bytes on the wire.
  TcpProxy proxy(s.relay->port());
  Check(proxy.status(), "start the counting proxy");
  SyncBenchDevice& counted = *s.fresh[1];
  PinRelay(counted, s.relay->PairingCode(proxy.port()));
  CloseDevice(counted);
  const ChildPull through = PullInChild(counted);
  CheckComplete(through, s.held, "fresh device pull through the proxy");
  const double up = static_cast<double>(proxy.upstream_bytes());
  const double down = static_cast<double>(proxy.downstream_bytes());
  // The values a fresh device receives: one per update.
  const double value_bytes = static_cast<double>(updates * kValueSize);
  Note("through the proxy: " + Describe(through) + "; device->relay " + std::to_string(up) +
       " bytes, relay->device " + std::to_string(down) + " bytes, values " +
       std::to_string(value_bytes) + " bytes");
  Check(s.relay->Stop(), "stop the relay");

  if (speed)
    Report("sync_fresh_device_changes_per_s", static_cast<double>(updates) / pull.seconds,
           "updates/s");
  if (wire) Report("sync_wire_overhead_ratio", (up + down) / value_bytes, "x");
  if (rss) Report("sync_peak_rss_mb", pull.peak_rss_mb, "MB");
}

void RunSyncFreshDeviceSmall(const Options& options) {
  if (!Wanted(options, "sync_fresh_device_small_changes_per_s")) return;
  const std::size_t changes = options.quick ? 1000 : 10000;
  Scenario s = Prepare(options, 1, [&](log::Replica& replica) {
    WriteUpdates(replica, CreateRecords(replica), changes, 1);
  });
  PinRelay(*s.fresh[0], s.relay->PairingCode(s.relay->port()));
  CloseDevice(*s.fresh[0]);
  const ChildPull pull = PullInChild(*s.fresh[0]);
  CheckComplete(pull, s.held, "fresh device pull");
  Note("small changes: " + Describe(pull));
  Check(s.relay->Stop(), "stop the relay");
  Report("sync_fresh_device_small_changes_per_s", static_cast<double>(changes) / pull.seconds,
         "changes/s");
}

#if defined(PARLEY_CAPI_PULL) && defined(PARLEY_CAPI_LIBRARY)
namespace {

// Runs `argv` with its standard output read back; `*usage` receives the child's rusage.
std::string RunChild(std::vector<std::string> args, rusage* usage, int* status) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    Check(Status(Domain::kPlatform, Code::kIoError, "pipe"), "C ABI child");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  if (pid < 0) Check(Status(Domain::kPlatform, Code::kIoError, "fork"), "C ABI child");
  std::string out;
  char buf[1024];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  while (::wait4(pid, status, 0, usage) < 0 && errno == EINTR) {
  }
  return out;
}

}  // namespace

void RunCapiSync(const Options& options) {
  const bool rss = Wanted(options, "capi_sync_peak_rss_mb");
  const bool size = Wanted(options, "capi_libparley_stripped_kb");
  if (size) {
    // libparley.so as an app would ship it: stripped of symbols and debug information.
    ScratchDir dir(options);
    const std::string stripped = dir.path() + "/libparley.so";
    const std::string command =
        "strip --strip-all -o '" + stripped + "' '" + PARLEY_CAPI_LIBRARY + "'";
    struct stat st {};
    if (std::system(command.c_str()) != 0 || ::stat(stripped.c_str(), &st) != 0) {
      Check(Status(Domain::kPlatform, Code::kIoError, "strip failed: " + command),
            "libparley size");
    }
    Report("capi_libparley_stripped_kb", static_cast<double>(st.st_size) / 1024.0, "KB");
  }
  if (!rss) return;
  const std::size_t updates = options.quick ? 10000 : 100000;
  Scenario s = Prepare(options, 1, [&](log::Replica& replica) {
    WriteUpdates(replica, CreateRecords(replica), updates, kSyncUpdatesPerChange);
  });
  SyncBenchDevice& device = *s.fresh[0];
  PinRelay(device, s.relay->PairingCode(s.relay->port()));
  CloseDevice(device);
  rusage usage{};
  int status = 0;
  const std::string out = RunChild(
      {PARLEY_CAPI_PULL, device.base.data_dir, device.key_store_dir(), std::string(kPassphrase)},
      &usage, &status);
  unsigned long long pulled = 0, duplicates = 0, held = 0;
  long peak_kb = 0, sync_kb = 0;
  double seconds = 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      std::sscanf(
          out.c_str(),
          "pulled %llu duplicates %llu held %llu seconds %lf peak_rss_kb %ld sync_hwm_kb %ld",
          &pulled, &duplicates, &held, &seconds, &peak_kb, &sync_kb) != 6) {
    Check(Status(Domain::kSync, Code::kInternal,
                 "the C ABI device failed (status " + std::to_string(status) + ")"),
          "C ABI pull");
  }
  if (held != s.held) {
    Check(Status(Domain::kSync, Code::kInternal,
                 "the C ABI device holds " + std::to_string(held) + " changes, the author " +
                     std::to_string(s.held)),
          "C ABI pull");
  }
  Note("C ABI: pulled " + std::to_string(pulled) + " changes (" + std::to_string(updates) +
       " updates, " + std::to_string(duplicates) + " already held) in " + std::to_string(seconds) +
       " s; peak RSS " + std::to_string(static_cast<double>(usage.ru_maxrss) / 1024.0) +
       " MiB (the unlock's Argon2id included), " + "during the sync alone " +
       (sync_kb < 0 ? std::string("unknown") : std::to_string(sync_kb / 1024.0) + " MiB"));
  Check(s.relay->Stop(), "stop the relay");
  Report("capi_sync_peak_rss_mb", static_cast<double>(usage.ru_maxrss) / 1024.0, "MB");
}
#else
void RunCapiSync(const Options& options) {
  if (Wanted(options, "capi_sync_peak_rss_mb") || Wanted(options, "capi_libparley_stripped_kb")) {
    Note("capi figures: libparley (bindings/c) is not part of this build");
  }
}
#endif

}  // namespace parley::bench
