// `parley` and `parley-relay` make no core dump and let no other process read their memory:
// decrypted pages of SQLite's cache and typed text are ordinary heap, and a core file (or a
// debugger of the same user) would put them on disk. Checked on the real processes while they
// run: a `parley` waiting for the rest of a note on standard input, a `parley-relay serve`
// that is listening; an ordinary program started the same way is the control. The probes are
// a process of the same user (process_probe.h: `nobody` when the tests run as root).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "process_probe.h"
#include "support/relay_process.h"

namespace parley::cli_test {
namespace {

using namespace std::chrono_literals;

// An ordinary program (cat, waiting on a pipe) started like the programs under test.
class Control {
 public:
  Control() {
    int in[2];
    EXPECT_EQ(::pipe2(in, O_CLOEXEC), 0);
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    pid_ = SpawnProbed({"/bin/cat"}, {}, in[0], null, null);
    ::close(in[0]);
    ::close(null);
    input_ = in[1];
  }
  ~Control() {
    ::close(input_);
    if (pid_ > 0 && WaitForExit(pid_, 10s) < 0) {
      ::kill(pid_, SIGKILL);
      WaitForExit(pid_, 10s);
    }
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int input_ = -1;
};

bool CoreFilesAllowedHere() {
  rlimit core{};
  return ::getrlimit(RLIMIT_CORE, &core) == 0 && core.rlim_max != 0;
}

void ExpectTheProbesSeeAnOrdinaryProcess() {
  Control control;
  ASSERT_GT(control.pid(), 0);
  EXPECT_TRUE(SameUserCanReadEnvironment(control.pid()))
      << "the probe cannot read an ordinary process";
  if (CoreFilesAllowedHere()) {
    EXPECT_NE(CoreFileLimit(control.pid()).first, "0") << "the spawn did not raise it";
  }
}

TEST(CliHardening, ParleyMakesNoCoreDumpAndItsMemoryIsClosedToOtherProcesses) {
  ExpectTheProbesSeeAnOrdinaryProcess();
  parley::testing::TempDir root;
  Device d(root.path(), "d");
  ASSERT_EQ(d({"init"}).exit_code, 0);
  const std::string n = d.Id({"negotiation", "add", "--buyer", "Acme"});
  GiveToProbeUser(root.path());

  PipedParley typing(d, {"note", "add", n, "--text", "-"}, /*as_probe_user=*/true);
  ASSERT_GT(typing.pid(), 0);
  ASSERT_TRUE(typing.Write("Half of a note, the rest still to come"));
  ASSERT_TRUE(typing.WaitInputRead(60s)) << "parley did not read its input";
  // It has unlocked the store and holds the text: now it must be closed.
  const auto [soft, hard] = CoreFileLimit(typing.pid());
  EXPECT_EQ(soft, "0");
  EXPECT_EQ(hard, "0");
  EXPECT_FALSE(SameUserCanReadEnvironment(typing.pid())) << "parley is dumpable";

  ASSERT_TRUE(typing.Write(".\n"));
  Outcome done = typing.Finish();
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(
      d.Json({"negotiation", "show", n})["notes"][std::size_t{0}]["fields"]["text"].AsString(),
      "Half of a note, the rest still to come.");
}

TEST(CliHardening, TheRelayMakesNoCoreDumpAndItsMemoryIsClosedToOtherProcesses) {
  ExpectTheProbesSeeAnOrdinaryProcess();
  parley::testing::TempDir root;
  GiveToProbeUser(root.path());
  const std::string relay = parley::testing::RelayBinary();
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  const pid_t init =
      SpawnProbed({relay, "init", "--data", root.Sub("relay")}, {}, null, null, null);
  ASSERT_GT(init, 0);
  ASSERT_EQ(WaitForExit(init, 30s), 0);

  int log[2];
  ASSERT_EQ(::pipe2(log, O_CLOEXEC), 0);
  const pid_t serve =
      SpawnProbed({relay, "serve", "--data", root.Sub("relay"), "--listen", "127.0.0.1:0"}, {},
                  null, null, log[1]);
  ::close(log[1]);
  ::close(null);
  ASSERT_GT(serve, 0);
  // Wait for its "event=listening" log line: then it has started and holds its key.
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (text.find("event=listening") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    pollfd p{log[0], POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) continue;
    char buf[1024];
    const ssize_t r = ::read(log[0], buf, sizeof buf);
    if (r <= 0) break;
    text.append(buf, static_cast<std::size_t>(r));
  }
  const bool listening = text.find("event=listening") != std::string::npos;
  if (listening) {
    const auto [soft, hard] = CoreFileLimit(serve);
    EXPECT_EQ(soft, "0");
    EXPECT_EQ(hard, "0");
    EXPECT_FALSE(SameUserCanReadEnvironment(serve)) << "parley-relay is dumpable";
  }
  ::kill(serve, SIGTERM);
  EXPECT_EQ(WaitForExit(serve, 30s), 0) << text;
  ::close(log[0]);
  ASSERT_TRUE(listening) << text;
}

}  // namespace
}  // namespace parley::cli_test
