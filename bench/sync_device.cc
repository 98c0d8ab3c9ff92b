#include "sync_device.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "parley/platform/posix_env.h"

namespace parley::bench {

std::unique_ptr<SyncBenchDevice> NewSyncDevice(const Options& options, bool create_vault) {
  auto d = std::make_unique<SyncBenchDevice>();
  d->base = OpenFreshStore(options, crypto::MinimumArgon2Params(), /*with_replica=*/create_vault);
  if (!create_vault)
    d->base.replica = Take(log::Replica::Open(*d->base.store, SystemClock()), "open replica");
  d->state = Take(sync::SyncState::Open(d->base.store->db()), "open sync state");
  d->poller = sync::NewSystemPoller(SystemClock());
  d->client = std::make_unique<sync::SyncClient>(*d->base.store, *d->base.replica, *d->state,
                                                 *d->poller, PosixEnv().transport());
  return d;
}

void PinRelay(SyncBenchDevice& device, const std::string& pairing_code) {
  device.relay = Take(device.state->AddRelay(pairing_code), "pin the relay").id;
}

sync::SyncReport SyncOrDie(SyncBenchDevice& device, const std::string& what) {
  sync::SyncReport report = Take(device.client->SyncOnce(device.relay), what);
  if (report.refused != 0) {
    const std::string first = report.refusals.empty() ? "" : report.refusals.front().Describe();
    Check(Status(Domain::kSync, Code::kInternal,
                 std::to_string(report.refused) + " change(s) refused, first: " + first),
          what);
  }
  return report;
}

void Enroll(SyncBenchDevice& admin, SyncBenchDevice& device) {
  const auto invite =
      Take(admin.base.replica->Invite(device.base.replica->DevicePairingCode()), "invite");
  Check(device.base.replica->AcceptInvite(invite), "accept the invite");
}

void CloseDevice(SyncBenchDevice& device) {
  device.client.reset();
  device.poller.reset();
  device.state.reset();
  device.base.replica.reset();
  Check(device.base.store->Lock(), "lock the store");
  device.base.store.reset();
}

ChildPull PullInChild(const SyncBenchDevice& device) {
  std::vector<std::string> args = {"/proc/self/exe", std::string(kPullChildFlag),
                                   device.base.data_dir, device.key_store_dir(),
                                   std::to_string(device.relay)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    Check(Status(Domain::kPlatform, Code::kIoError, "pipe"), "pull child");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  if (pid < 0) Check(Status(Domain::kPlatform, Code::kIoError, "fork"), "pull child");
  std::string out;
  char buf[1024];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  ChildPull r;
  unsigned long long pulled = 0, duplicates = 0, pending = 0, changes = 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      std::sscanf(
          out.c_str(),
          "pulled %llu duplicates %llu pending %llu changes %llu seconds %lf cpu %lf main %lf",
          &pulled, &duplicates, &pending, &changes, &r.seconds, &r.cpu_seconds,
          &r.main_cpu_seconds) != 7) {
    Check(Status(Domain::kSync, Code::kInternal,
                 "the pulling device failed (status " + std::to_string(status) + ")"),
          "pull child");
  }
  r.pulled = pulled;
  r.duplicates = duplicates;
  r.pending = pending;
  r.changes = changes;
  r.peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB
  return r;
}

int PullChildMain(int argc, char** argv) {
  if (argc != 5) {
    std::fputs("parley-bench: the pull child takes DATA_DIR KEY_STORE_DIR RELAY_ID\n", stderr);
    return 2;
  }
  Check(crypto::InitCrypto(), "init crypto");
  const std::string data_dir = argv[2];
  const std::int64_t relay = std::strtoll(argv[4], nullptr, 10);
  Env& env = PosixEnv();
  std::unique_ptr<KeyStore> key_store = NewFileKeyStore(env, argv[3]);
  auto store = Take(store::Store::Open(env, *key_store, data_dir, kPassphrase), "open store");
  auto replica = Take(log::Replica::Open(*store, SystemClock()), "open replica");
  auto state = Take(sync::SyncState::Open(store->db()), "open sync state");
  auto poller = sync::NewSystemPoller(SystemClock());
  sync::SyncClient client(*store, *replica, *state, *poller, env.transport());

  const auto cpu_now = [](int who) {
    rusage u{};
    getrusage(who, &u);
    const auto s = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return s(u.ru_utime) + s(u.ru_stime);
  };
  const double cpu_before = cpu_now(RUSAGE_SELF), main_before = cpu_now(RUSAGE_THREAD);
  Stopwatch clock;
  sync::SyncReport report = Take(client.SyncOnce(relay), "pull");
  const double seconds = clock.ElapsedS();
  const double cpu_seconds = cpu_now(RUSAGE_SELF) - cpu_before;
  const double main_cpu_seconds = cpu_now(RUSAGE_THREAD) - main_before;
  const std::uint64_t changes = Take(replica->ChangeCount(), "count changes");
  if (!report.gaps.empty()) Note("pulling device: " + report.gaps.front());
  std::printf("pulled %" PRIu64 " duplicates %" PRIu64 " pending %" PRIu64 " changes %" PRIu64
              " seconds %.6f cpu %.6f main %.6f\n",
              report.pulled, report.duplicates, report.pending, changes, seconds, cpu_seconds,
              main_cpu_seconds);
  std::fflush(stdout);
  return 0;
}

}  // namespace parley::bench
