// Crash safety: a child process commits in a loop and is killed with SIGKILL at random points
// (during open, mid-transaction, mid-checkpoint), over and over. After every kill the store
// opens, passes integrity_check, and holds every counter the child reported as committed.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>

#include "store_test_util.h"

extern char** environ;

namespace parley::store {
namespace {

constexpr char kChildPassphrase[] = "crash test passphrase";

class StoreCrashTest : public testutil::StoreFixture {};

// A running child whose stdout is a pipe.
struct Child {
  pid_t pid = -1;
  int out = -1;
  std::string buffered;
  std::int64_t last = 0;  // the last counter read in full

  // Blocks for the next chunk of output; false at end of file.
  bool ReadSome() {
    char buf[4096];
    ssize_t r = ::read(out, buf, sizeof buf);
    if (r <= 0) return false;
    buffered.append(buf, static_cast<std::size_t>(r));
    std::size_t nl;
    while ((nl = buffered.find('\n')) != std::string::npos) {
      last = std::stoll(buffered.substr(0, nl));
      buffered.erase(0, nl + 1);
    }
    return true;
  }
};

Child Spawn(const std::string& data_dir, const std::string& ks_dir, std::uint64_t seed) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::string seed_text = std::to_string(seed);
  const char* argv[] = {PARLEY_STORE_CRASH_CHILD, data_dir.c_str(), ks_dir.c_str(),
                        seed_text.c_str(), nullptr};
  Child c;
  int rc = posix_spawn(&c.pid, PARLEY_STORE_CRASH_CHILD, &actions, nullptr,
                       const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0);
  ::close(fds[1]);
  c.out = fds[0];
  return c;
}

void SpinMicros(std::int64_t us) {
  auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
  while (std::chrono::steady_clock::now() < end) {
  }
}

TEST_F(StoreCrashTest, SurvivesSigkillAtRandomPoints) {
  ASSERT_TRUE(
      Store::Create(env(), key_store(), testutil::FastOptions(data_dir()), kChildPassphrase).ok());
  const char* env_seed = std::getenv("PARLEY_CRASH_SEED");
  const std::uint64_t seed = env_seed ? std::strtoull(env_seed, nullptr, 10)
                                      : static_cast<std::uint64_t>(std::random_device{}());
  std::printf("crash test seed %llu (replay with PARLEY_CRASH_SEED=%llu)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  constexpr int kKills = 200;
  std::int64_t reported = 0;  // highest counter any child reported as committed
  int during_open = 0;
  for (int kill_no = 0; kill_no < kKills; ++kill_no) {
    SCOPED_TRACE("kill " + std::to_string(kill_no) + ", seed " + std::to_string(seed));
    Child child = Spawn(data_dir(), ks_dir(), rng());
    const int mode = static_cast<int>(rng() % 4);
    if (mode == 0) {
      // Anywhere from before the store is open to the first few commits.
      SpinMicros(static_cast<std::int64_t>(rng() % 60000));
    } else {
      // After a random number of reported commits, then a random short delay.
      const std::int64_t target = reported + 1 + static_cast<std::int64_t>(rng() % 12);
      while (child.last < target && child.ReadSome()) {
      }
      SpinMicros(static_cast<std::int64_t>(rng() % 3000));
    }
    ::kill(child.pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child.pid, &status, 0), child.pid);
    while (child.ReadSome()) {
    }
    ::close(child.out);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "the child exited by itself with status " << WEXITSTATUS(status);
    if (child.last == 0) ++during_open;
    if (child.last > reported) reported = child.last;

    auto opened = Store::Open(env(), key_store(), data_dir(), kChildPassphrase);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    sqlite3* db = (*opened)->db();
    auto check = testutil::Query(db, "PRAGMA integrity_check");
    ASSERT_TRUE(check.ok()) << check.status().ToString();
    ASSERT_EQ(check->at(0), "ok");
    if (reported > 0) {
      auto rows =
          testutil::Query(db, "SELECT count(*) FROM c WHERE n <= " + std::to_string(reported));
      ASSERT_TRUE(rows.ok()) << rows.status().ToString();
      ASSERT_EQ(rows->at(0), std::to_string(reported)) << "a reported commit is missing";
    }
    if (kill_no % 5 == 0) {
      ASSERT_TRUE((*opened)->Lock().ok());
    }  // otherwise the WAL is left as the kill left it, for the next child to recover
  }
  std::printf("%d kills (%d before the first commit), %lld commits verified\n", kKills, during_open,
              static_cast<long long>(reported));
  EXPECT_GT(reported, 200);
}

}  // namespace
}  // namespace parley::store
