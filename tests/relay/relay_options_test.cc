// `parley-relay serve` refuses every invalid numeric option at start, before it opens
// anything: a non-zero exit and a message naming the option and its allowed range. The
// real binary, run as an operator would.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>

#include "support/relay_process.h"
#include "support/temp_dir.h"

namespace parley::testing {
namespace {

struct Exit {
  int exit_code = -1;      // -1 when it started serving (then it was killed)
  bool listening = false;  // it logged event=listening
  std::string err;
};

// Runs `parley-relay args...` until it exits, or until it logs event=listening (a relay
// that took its options and serves: killed at once).
Exit RunRelay(const std::vector<std::string>& args) {
  std::vector<std::string> full(args.size() + 1);
  full[0] = RelayBinary();
  std::copy(args.begin(), args.end(), full.begin() + 1);
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(fds[1], 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  Exit out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fds[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    out.err.append(buf, static_cast<std::size_t>(n));
    if (out.err.find("event=listening") != std::string::npos) {
      out.listening = true;
      break;
    }
  }
  ::close(fds[0]);
  if (out.listening) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!out.listening)
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return out;
}

class ServeOptions : public ::testing::Test {
 protected:
  void SetUp() override {
    Exit init = RunRelay({"init", "--data", data()});
    ASSERT_EQ(init.exit_code, 0) << init.err;
  }
  std::string data() const { return dir_.Sub("relay"); }
  Exit Serve(std::vector<std::string> extra) {
    std::vector<std::string> args = {"serve", "--data", data(), "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunRelay(args);
  }
  TempDir dir_;
};

struct Bad {
  std::string flag;
  std::string value;
};

TEST_F(ServeOptions, EveryInvalidNumericOptionIsRefusedBeforeAnythingIsOpened) {
  const std::vector<Bad> bad = {
      {"--max-frame-bytes", "64"},
      {"--max-frame-bytes", "65536"},
      {"--max-frame-bytes", "70000"},
      {"--max-frame-bytes", "16384x"},
      {"--handshake-timeout-ms", "0"},
      {"--idle-timeout-ms", "0"},
      {"--write-timeout-ms", "0"},
      {"--handshake-timeout-ms", "1.5"},
      {"--idle-timeout-ms", "99999999999"},
      {"--max-connections", "1e20"},
      {"--max-connections", "0"},
      {"--max-connections", "-3"},
      {"--max-connections", " 12"},
      {"--max-connections", "4294967297"},
      {"--max-queue-frames", "0"},
      {"--max-queue-frames", "nan"},
      {"--max-push-changes", "0"},
      {"--max-push-changes", "+5"},
      {"--threads", "0"},
      {"--threads", "100000"},
      {"--rate", "nan"},
      {"--rate", "inf"},
      {"--rate", "0"},
      {"--rate", "-1"},
      {"--rate", "5/s"},
      {"--rate", "0x10"},
      {"--burst", "0.5"},
      {"--burst", "infinity"},
      {"--max-change-bytes", "67112961"},
      {"--max-change-bytes", "1MB"},
      {"--max-reassembly-bytes", "100"},
      {"--max-reassembly-bytes", ""},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.flag + " " + b.value);
    Exit r = Serve({b.flag, b.value});
    EXPECT_FALSE(r.listening) << "the relay started with " << b.flag << " " << b.value;
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find(b.flag), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(".."), std::string::npos) << "no allowed range in: " << r.err;
    EXPECT_FALSE(std::filesystem::exists(data() + "/relay.db")) << "storage was opened";
  }
}

TEST_F(ServeOptions, UnknownOptionsAndBadAddressesAreRefused) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--max-conections", "5"}, {"--json"}}) {
    Exit r = Serve(args);
    EXPECT_FALSE(r.listening) << args[0];
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find(args[0]), std::string::npos) << r.err;
  }
  // A near miss names the option meant.
  Exit typo = Serve({"--max-conections", "5"});
  EXPECT_NE(typo.err.find("did you mean '--max-connections'"), std::string::npos) << typo.err;
  for (const std::string listen :
       {"127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x", "127.0.0.1: 80"}) {
    Exit r = RunRelay({"serve", "--data", data(), "--listen", listen});
    EXPECT_FALSE(r.listening) << listen;
    EXPECT_NE(r.exit_code, 0) << listen;
    EXPECT_NE(r.err.find("--listen"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(data() + "/relay.db"));
}

TEST_F(ServeOptions, GoodOptionsAtTheirLimitsStart) {
  RelayProcess relay(data(), {"--max-frame-bytes",
                              "8192",
                              "--handshake-timeout-ms",
                              "100",
                              "--idle-timeout-ms",
                              "86400000",
                              "--write-timeout-ms",
                              "100",
                              "--max-connections",
                              "1",
                              "--max-queue-frames",
                              "65536",
                              "--max-push-changes",
                              "10000",
                              "--threads",
                              "64",
                              "--rate",
                              "0.5",
                              "--burst",
                              "1",
                              "--max-change-bytes",
                              "0",
                              "--max-reassembly-bytes",
                              "0"});
  Status s = relay.Start();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(relay.Stop().ok()) << relay.Log();
}

TEST(RelayCommandLine, VersionHelpAndUnknownCommands) {
  auto run = [](const std::string& args, std::string* out) {
    std::FILE* p = ::popen((RelayBinary() + " " + args + " 2>&1").c_str(), "r");
    if (p == nullptr) return -1;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out->append(buf, n);
    const int status = ::pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  std::string version;
  EXPECT_EQ(run("--version", &version), 0) << version;
  EXPECT_EQ(version.rfind("parley-relay ", 0), 0u) << version;
  std::string help;
  EXPECT_EQ(run("serve --help", &help), 0) << help;
  EXPECT_NE(help.find("--max-connections"), std::string::npos) << help;
  std::string unknown;
  EXPECT_EQ(run("serv --data x", &unknown), 1) << unknown;
  EXPECT_NE(unknown.find("did you mean 'serve'"), std::string::npos) << unknown;
  std::string none;
  EXPECT_EQ(run("", &none), 1) << none;
  EXPECT_NE(none.find("missing command"), std::string::npos) << none;
}

}  // namespace
}  // namespace parley::testing
