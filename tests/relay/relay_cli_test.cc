// `parley-relay` run as an operator runs it: the real binary, its exit codes and messages,
// the data directory's lock and permissions, the configuration file and environment, the
// systemd notifications, backup and restore, and what its log keeps to itself.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "relay_fixture.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

struct Ran {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};

// Runs `parley-relay args...` with `env` added to this process's environment, until it
// exits (killed after 60 s: a test that hangs fails instead).
Ran RunRelay(const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> full = {RelayBinary()};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    if (env.count(entry.substr(0, entry.find('='))) == 0) env_strings.push_back(entry);
  }
  for (const auto& kv : env) env_strings.push_back(kv.first + "=" + kv.second);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  int out_pipe[2];
  int err_pipe[2];
  EXPECT_EQ(::pipe2(out_pipe, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(err_pipe, O_CLOEXEC), 0);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  Ran r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool out_open = true;
  bool err_open = true;
  char buf[4096];
  while (out_open || err_open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p[2] = {{out_open ? out_pipe[0] : -1, POLLIN, 0},
                   {err_open ? err_pipe[0] : -1, POLLIN, 0}};
    if (left.count() <= 0 || ::poll(p, 2, static_cast<int>(left.count())) <= 0) {
      ADD_FAILURE() << "parley-relay did not exit in time: " << r.err;
      ::kill(pid, SIGKILL);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || p[i].revents == 0) continue;
      const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

unsigned Mode(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0xffff;
  return st.st_mode & 07777;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::string Hex4(const crypto::Bytes& b) { return crypto::ToHex(crypto::ByteView(b.data(), 4)); }

class RelayCli : public RelayFixture {
 protected:
  std::string data() const { return dir_.Sub("relay"); }
  void Init() {
    Ran r = RunRelay({"init", "--data", data()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

// ---- usage ----

TEST(RelayUsage, MisspeltOptionsAreErrorsThatNameTheOptionMeant) {
  TempDir dir;
  ASSERT_EQ(RunRelay({"init", "--data", dir.Sub("d")}).exit_code, 0);
  Ran r = RunRelay({"serve", "--data", dir.Sub("d"), "--lisen", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--lisen"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean '--listen'"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("event=listening"), std::string::npos) << r.err;
  Ran init = RunRelay({"init", "--dta", dir.Sub("e")});
  EXPECT_EQ(init.exit_code, 1);
  EXPECT_NE(init.err.find("did you mean '--data'"), std::string::npos) << init.err;
  EXPECT_FALSE(fs::exists(dir.Sub("e")));
}

TEST(RelayUsage, EveryUsageErrorExitsOne) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"serv", "--data", "x"},
      {"bogus"},
      {"serve", "--data"},
      {"info", "--json=1", "--data", "x"},
      {"init", "--data", "x", "extra"},
      {"backup", "--data", "x"},
      {"backup", "verify"},
      {"help", "nothing"},
      {"metrics", "-x"},
  };
  for (const auto& args : bad) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    SCOPED_TRACE(joined);
    Ran r = RunRelay(args);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err.rfind("parley-relay: ", 0), 0u) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  Ran typo = RunRelay({"serv"});
  EXPECT_NE(typo.err.find("did you mean 'serve'"), std::string::npos) << typo.err;
}

TEST(RelayUsage, HelpForEveryCommandAndVersion) {
  for (const std::string command :
       {"init", "info", "serve", "metrics", "backup", "backup verify"}) {
    SCOPED_TRACE(command);
    std::vector<std::string> args;
    for (std::size_t from = 0, to = 0; from <= command.size(); from = to + 1) {
      to = command.find(' ', from);
      if (to == std::string::npos) to = command.size();
      args.push_back(command.substr(from, to - from));
    }
    std::vector<std::string> with_help = args;
    with_help.push_back("--help");
    Ran r = RunRelay(with_help);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("usage: parley-relay " + command + " ", 0), 0u) << r.out;
    std::vector<std::string> help = {"help"};
    help.insert(help.end(), args.begin(), args.end());
    Ran h = RunRelay(help);
    EXPECT_EQ(h.exit_code, 0) << h.err;
    EXPECT_EQ(h.out, r.out);
    Ran shorter = RunRelay({args[0], "-h"});
    EXPECT_EQ(shorter.exit_code, 0);
  }
  Ran serve = RunRelay({"serve", "--help"});
  for (const std::string name :
       {"--max-connections", "--config", "--print-config", "--storage", "--metrics-listen",
        "--admission", "--log-client-addresses", "PARLEY_RELAY_MAX_CONNECTIONS"}) {
    EXPECT_NE(serve.out.find(name), std::string::npos) << name;
  }
  Ran all = RunRelay({"--help"});
  EXPECT_EQ(all.exit_code, 0);
  EXPECT_NE(all.out.find("backup verify"), std::string::npos) << all.out;
  Ran version = RunRelay({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("parley-relay ", 0), 0u) << version.out;
}

// ---- the data directory: lock and permissions ----

TEST_F(RelayCli, ASecondRelayOnTheSameDataDirectoryRefusesToServe) {
  StartRelay();
  if (HasFatalFailure()) return;
  Ran second = RunRelay({"serve", "--data", data(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_NE(second.err.find("another parley-relay is serving " + data() + " (pid " +
                            std::to_string(relay_->pid()) + ")"),
            std::string::npos)
      << second.err;
  EXPECT_EQ(second.err.find("event=listening"), std::string::npos);
  // The first one serves on; once it stopped, the directory is free again.
  EXPECT_NE(Connect(admin_), nullptr);
  ASSERT_TRUE(relay_->Stop().ok());
  RelayProcess again(data());
  ASSERT_TRUE(again.Start().ok());
  EXPECT_TRUE(again.Stop().ok());
  // A relay killed outright leaves no lock behind (the kernel drops it).
  ASSERT_TRUE(relay_->Start().ok());
  relay_->Kill();
  RelayProcess after_kill(data());
  ASSERT_TRUE(after_kill.Start().ok()) << after_kill.Log();
  EXPECT_TRUE(after_kill.Stop().ok());
}

TEST_F(RelayCli, EverythingItCreatesIsPrivate) {
  Init();
  if (HasFatalFailure()) return;
  EXPECT_EQ(Mode(data()), 0700u);
  EXPECT_EQ(Mode(data() + "/relay.key"), 0600u);
  StartWithVault();
  if (HasFatalFailure()) return;
  Chain chain(&admin_.identity, vault_);
  EXPECT_EQ(Push(*admin_client_, {chain.Next()}).body_case(), pb::Frame::kPushAck);
  ASSERT_TRUE(relay_->WaitForLog("event=push"));
  for (const char* name : {"relay.db", "relay.db-wal", "relay.db-shm", "metrics", "lock"}) {
    EXPECT_EQ(Mode(data() + "/" + name), 0600u) << name;
  }
  Ran backup = RunRelay({"backup", "--data", data(), dir_.Sub("backup")});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_EQ(Mode(dir_.Sub("backup")), 0700u);
  for (const char* name : {"relay.db", "relay.key", "lock"}) {
    EXPECT_EQ(Mode(dir_.Sub("backup") + "/" + name), 0600u) << name;
  }
}

TEST_F(RelayCli, ALooserDataDirectoryIsTightenedAndAForeignOneRefused) {
  Init();
  if (HasFatalFailure()) return;
  ASSERT_EQ(::chmod(data().c_str(), 0755), 0);
  ASSERT_EQ(::chmod((data() + "/relay.key").c_str(), 0644), 0);
  WriteText(data() + "/relay.toml", "threads = 2\n");
  ASSERT_EQ(::chmod((data() + "/relay.toml").c_str(), 0664), 0);
  StartRelay();
  if (HasFatalFailure()) return;
  EXPECT_TRUE(relay_->WaitForLog("event=made_private"));
  EXPECT_EQ(Mode(data()), 0700u);
  EXPECT_EQ(Mode(data() + "/relay.key"), 0600u);
  EXPECT_EQ(Mode(data() + "/relay.toml"), 0600u);
  ASSERT_TRUE(relay_->Stop().ok());

  if (::geteuid() != 0) GTEST_SKIP() << "giving the directory to another user needs root";
  ASSERT_EQ(::chown(data().c_str(), 4242, 4242), 0);
  Ran r = RunRelay({"serve", "--data", data(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("belongs to uid 4242"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("event=listening"), std::string::npos);
  ASSERT_EQ(::chown(data().c_str(), 0, 0), 0);
}

// ---- configuration: file, environment, command line ----

TEST_F(RelayCli, TheConfigurationFileIsCheckedAsStrictlyAsTheCommandLine) {
  Init();
  if (HasFatalFailure()) return;
  const std::string file = data() + "/relay.toml";
  struct Bad {
    std::string text;
    std::string expected;
  };
  const std::vector<Bad> bad = {
      {"threads = 2\nmax_conections = 5\n",
       file + ":2: unknown key 'max_conections' (did you mean 'max_connections'?)"},
      {"max_connections = 0\n", file + ":1: max_connections must be 1..1000000"},
      {"max_connections = -3\n", file + ":1: max_connections must be 1..1000000"},
      {"max_connections = 1.5\n", file + ":1: max_connections must be 1..1000000"},
      {"max_connections = \"12\"\n", "not a string"},
      {"\n\nlisten = 4040\n", file + ":3: listen must be a string"},
      {"listen = \"127.0.0.1:65536\"\n", file + ":1: listen must be HOST:PORT"},
      {"rate = nan\n", file + ":1: rate must be 0.001..1000000000"},
      {"log_client_addresses = \"yes\"\n", file + ":1: log_client_addresses must be true or false"},
      {"admission = \"closed\"\n", file + ":1: admission must be open or allowlist"},
      {"[server]\nthreads = 2\n", file + ":1: unknown key 'server'"},
      {"threads = \n", file + ":1:"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.text);
    WriteText(file, b.text);
    Ran r = RunRelay({"serve", "--data", data(), "--listen", "127.0.0.1:0"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(b.expected), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("event=listening"), std::string::npos);
    EXPECT_FALSE(fs::exists(data() + "/relay.db")) << "storage was opened";
  }
  // The environment is checked the same way, and a variable of no setting is refused.
  fs::remove(file);
  Ran env = RunRelay({"serve", "--data", data(), "--print-config"},
                     {{"PARLEY_RELAY_MAX_CONNECTIONS", "1e3"}});
  EXPECT_EQ(env.exit_code, 1);
  EXPECT_NE(env.err.find("PARLEY_RELAY_MAX_CONNECTIONS must be 1..1000000"), std::string::npos)
      << env.err;
  Ran unknown = RunRelay({"serve", "--data", data(), "--print-config"},
                         {{"PARLEY_RELAY_MAX_CONECTIONS", "5"}});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("did you mean 'PARLEY_RELAY_MAX_CONNECTIONS'"), std::string::npos)
      << unknown.err;
  // --config names a file that must be there.
  Ran missing = RunRelay({"serve", "--data", data(), "--config", dir_.Sub("none.toml")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find(dir_.Sub("none.toml")), std::string::npos) << missing.err;
}

TEST_F(RelayCli, CommandLineBeatsEnvironmentBeatsFileBeatsDefaults) {
  Init();
  if (HasFatalFailure()) return;
  const std::string file = dir_.Sub("elsewhere.toml");
  WriteText(file,
            "# the relay\nthreads = 3\nmax_connections = 77\nburst = 2.5\n"
            "storage = \"postgresql://relay:s3cret@db.example/relay?password=s3cret\"\n");
  auto config = [&](std::vector<std::string> extra, std::map<std::string, std::string> env) {
    std::vector<std::string> args = {"serve", "--data", data(), "--config", file, "--print-config"};
    args.insert(args.end(), extra.begin(), extra.end());
    Ran r = RunRelay(args, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  auto line = [](const std::string& text, const std::string& key) {
    const auto at = text.find("\n" + key + " = ");
    return at == std::string::npos ? std::string()
                                   : text.substr(at + 1, text.find('\n', at + 1) - at - 1);
  };
  const std::string all = config({"--threads", "7"}, {{"PARLEY_RELAY_THREADS", "5"}});
  EXPECT_EQ(line(all, "threads").substr(0, 11), "threads = 7") << all;
  EXPECT_NE(line(all, "threads").find("# --threads"), std::string::npos) << all;
  const std::string env = config({}, {{"PARLEY_RELAY_THREADS", "5"}});
  EXPECT_EQ(line(env, "threads").substr(0, 11), "threads = 5") << env;
  EXPECT_NE(line(env, "threads").find("# PARLEY_RELAY_THREADS"), std::string::npos) << env;
  const std::string from_file = config({}, {});
  EXPECT_EQ(line(from_file, "threads").substr(0, 11), "threads = 3") << from_file;
  EXPECT_NE(line(from_file, "threads").find("# " + file + ":2"), std::string::npos) << from_file;
  EXPECT_NE(line(from_file, "max_connections").find("# " + file + ":3"), std::string::npos);
  EXPECT_EQ(line(from_file, "burst").substr(0, 11), "burst = 2.5") << from_file;
  EXPECT_NE(line(from_file, "idle_timeout_ms").find("# default"), std::string::npos);
  EXPECT_NE(line(from_file, "admission").find("\"allowlist\""), std::string::npos) << from_file;
  EXPECT_NE(line(from_file, "data").find("# --data"), std::string::npos) << from_file;
  // No secret in what it prints.
  EXPECT_EQ(from_file.find("s3cret"), std::string::npos) << from_file;
  EXPECT_NE(line(from_file, "storage").find("postgresql://relay:***@db.example"), std::string::npos)
      << from_file;
  // The printed configuration is itself a valid configuration file.
  const std::string printed = dir_.Sub("printed.toml");
  WriteText(printed, all);
  Ran again = RunRelay({"serve", "--config", printed, "--print-config"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(line(again.out, "threads").substr(0, 11), "threads = 7");
  EXPECT_EQ(fs::exists(data() + "/lock"), false) << "print-config took the lock";
}

// ---- systemd ----

#ifdef PARLEY_RELAY_HAS_SYSTEMD
TEST_F(RelayCli, TellsSystemdWhenReadyAndWhenStopping) {
  Init();
  if (HasFatalFailure()) return;
  const std::string path = dir_.Sub("notify.sock");
  const int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::copy(path.begin(), path.end(), addr.sun_path);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  relay_ = std::make_unique<RelayProcess>(data());
  Status s = relay_->Start();
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto receive = [&] {
    pollfd p{sock, POLLIN, 0};
    if (::poll(&p, 1, 30'000) != 1) return std::string("(nothing within 30 s)");
    char buf[512];
    const ssize_t n = ::recv(sock, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  };
  EXPECT_NE(receive().find("READY=1"), std::string::npos);
  ::kill(relay_->pid(), SIGTERM);
  EXPECT_NE(receive().find("STOPPING=1"), std::string::npos);
  EXPECT_EQ(relay_->Terminate(), 0);
  EXPECT_TRUE(relay_->WaitForLog("event=stopped"));
  ::close(sock);
}
#endif

// ---- log privacy ----

TEST_F(RelayCli, TheLogNamesNoClientAddressAndNoIdOfAVaultOrDevice) {
  StartWithVault();
  if (HasFatalFailure()) return;
  ASSERT_EQ(SetMembers(*admin_client_, {&member_}, 1).body_case(), pb::Frame::kDone);
  auto member = Connect(member_);
  ASSERT_NE(member, nullptr);
  Chain chain(&member_.identity, vault_);
  EXPECT_EQ(Push(*member, {chain.Next(), chain.Next()}).body_case(), pb::Frame::kPushAck);
  EXPECT_EQ(PullAll(*admin_client_).size(), 2u);
  sockaddr_in local{};
  socklen_t len = sizeof local;
  ASSERT_EQ(::getsockname(member->stream().fd(), reinterpret_cast<sockaddr*>(&local), &len), 0);
  const std::string client_port = std::to_string(ntohs(local.sin_port));
  member.reset();
  admin_client_.reset();
  ASSERT_TRUE(relay_->Stop().ok());
  const std::string log = relay_->Log();
  ASSERT_NE(log.find("event=push"), std::string::npos) << log;
  EXPECT_EQ(log.find("127.0.0.1:" + client_port), std::string::npos) << log;
  EXPECT_EQ(log.find(":" + client_port), std::string::npos) << log;
  EXPECT_EQ(log.find("peer="), std::string::npos) << log;
  for (const Device* d : {&admin_, &member_}) {
    const crypto::Bytes id(d->identity.public_key.begin(), d->identity.public_key.end());
    EXPECT_EQ(log.find(Hex4(id)), std::string::npos) << log;
  }
  EXPECT_EQ(log.find(Hex4(vault_)), std::string::npos) << log;

  // The same device in the log of another relay: another short id, so the two logs cannot
  // be matched. --log-client-addresses puts the address back.
  auto device_ids = [](const std::string& text) {
    std::vector<std::string> out;
    for (auto at = text.find("event=authenticated"); at != std::string::npos;
         at = text.find("event=authenticated", at + 1)) {
      const auto d = text.find("device=", at);
      out.push_back(text.substr(d + 7, 8));
    }
    return out;
  };
  const std::vector<std::string> first = device_ids(log);
  ASSERT_FALSE(first.empty());
  RelayProcess other(dir_.Sub("other"), {"--log-client-addresses"});
  ASSERT_TRUE(other.Start().ok()) << other.Log();
  auto c = TestClient::Connect(other.port(), other.public_key(), admin_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(other.WaitForLog("event=authenticated"));
  const std::vector<std::string> second = device_ids(other.Log());
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0], first[0]) << "the admin has the same short id on both relays";
  EXPECT_NE(other.Log().find("peer=127.0.0.1:"), std::string::npos) << other.Log();
  std::unique_ptr<TestClient> client = std::move(*c);
  client.reset();
  EXPECT_TRUE(other.Stop().ok());
}

// ---- backup and restore ----

class RelayBackup : public RelayCli {
 protected:
  static constexpr int kDevices = 50;
  static constexpr int kMaxPushes = 2000;  // per device: a backup that never ends fails

  std::string dest() const { return dir_.Sub("backup"); }
};

TEST_F(RelayBackup, AnOnlineBackupUnderLoadVerifiesAndRestores) {
  // 50 connections from one address at once.
  StartWithVault({"--max-unauthenticated-per-address", "100"});
  if (HasFatalFailure()) return;
  std::vector<Device> devices(kDevices);
  std::vector<const Device*> members;
  for (const Device& d : devices) members.push_back(&d);
  ASSERT_EQ(SetMembers(*admin_client_, members, 1).body_case(), pb::Frame::kDone);

  // 50 devices push on their own connections, 2 changes a push, until the backup is done
  // and each has pushed twice more (changes the backup cannot hold).
  std::vector<std::vector<pb::Change>> pushed(kDevices);
  std::mutex mu;
  std::condition_variable cv;
  int acked = 0;  // under mu
  std::atomic<int> failures{0};
  std::atomic<bool> backup_done{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kDevices; ++i) {
    threads.emplace_back([&, i] {
      auto c = TestClient::Connect(relay_->port(), relay_->public_key(), devices[i]);
      if (!c.ok()) {
        failures.fetch_add(1);
        cv.notify_all();
        return;
      }
      Chain chain(&devices[i].identity, vault_);
      int after_backup = 0;
      for (int p = 0; after_backup < 2; ++p) {
        if (p == kMaxPushes || failures.load() > 0) {
          failures.fetch_add(1);
          cv.notify_all();
          return;
        }
        if (backup_done.load()) ++after_backup;
        pb::Frame f;
        f.mutable_push()->set_vault(vault_.data(), vault_.size());
        for (int k = 0; k < 2; ++k) {
          pushed[i].push_back(chain.Next(200));
          *f.mutable_push()->add_changes() = pushed[i].back();
        }
        auto ack = (*c)->Call(f);
        if (!ack.ok() || ack->body_case() != pb::Frame::kPushAck) {
          failures.fetch_add(1);
          cv.notify_all();
          return;
        }
        for (const auto& a : ack->push_ack().acks()) {
          if (a.refusal() != pb::REFUSAL_NONE) failures.fetch_add(1);
        }
        std::lock_guard<std::mutex> lock(mu);
        acked += 2;
        cv.notify_all();
      }
    });
  }
  // Once every device could have pushed a few times, the backup, while they go on.
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return acked >= kDevices * 6 || failures.load() > 0; });
  }
  Ran backup = RunRelay({"backup", "--data", data(), dest()});
  backup_done.store(true);
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  int total = 0;
  for (const auto& p : pushed) total += static_cast<int>(p.size());
  ASSERT_EQ(acked, total);

  Ran verify = RunRelay({"backup", "verify", dest(), "--json"});
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  const nlohmann::json report = nlohmann::json::parse(verify.out);
  EXPECT_TRUE(report["ok"].get<bool>());
  EXPECT_EQ(report["vaults"].get<int>(), 1);
  const int held = report["changes"].get<int>();
  EXPECT_GE(held, kDevices * 6);
  EXPECT_LE(held, total - kDevices * 4) << "changes pushed after the backup ended are in it";
  std::printf("the backup holds %d of the %d changes pushed\n", held, total);
  EXPECT_EQ(fs::file_size(dest() + "/relay.key"), fs::file_size(data() + "/relay.key"));

  // Restore: a relay on the backup directory serves every change it holds, numbered 1..n.
  admin_client_.reset();
  ASSERT_TRUE(relay_->Stop().ok());
  relay_ = std::make_unique<RelayProcess>(dest());
  ASSERT_TRUE(relay_->Start().ok()) << relay_->Log();
  admin_client_ = Connect(admin_);
  ASSERT_NE(admin_client_, nullptr);
  std::vector<pb::StoredChange> served = PullAll(*admin_client_);
  ASSERT_EQ(static_cast<int>(served.size()), held);
  for (std::size_t k = 0; k < served.size(); ++k) EXPECT_EQ(served[k].relay_seq(), k + 1);

  // Each device pushes again what the restored relay lacks: its changes above the relay's
  // head for it (as a device does after a restore, docs/sync-client.md step 5).
  std::map<crypto::Bytes, std::uint64_t> heads;
  for (const auto& sc : served) {
    pb::ChangeHeader header;
    ASSERT_TRUE(header.ParseFromString(sc.change().header()));
    crypto::Bytes key(header.author().begin(), header.author().end());
    heads[key] = std::max<std::uint64_t>(heads[key], header.seq());
  }
  for (int i = 0; i < kDevices; ++i) {
    const crypto::Bytes key(devices[i].identity.public_key.begin(),
                            devices[i].identity.public_key.end());
    const std::uint64_t head = heads.count(key) ? heads[key] : 0;
    std::vector<pb::Change> missing(pushed[i].begin() + static_cast<std::ptrdiff_t>(head),
                                    pushed[i].end());
    if (missing.empty()) continue;
    auto c = Connect(devices[i]);
    ASSERT_NE(c, nullptr);
    for (std::size_t from = 0; from < missing.size(); from += 20) {
      const std::size_t to = std::min(missing.size(), from + 20);
      pb::Frame ack =
          Push(*c, std::vector<pb::Change>(missing.begin() + static_cast<std::ptrdiff_t>(from),
                                           missing.begin() + static_cast<std::ptrdiff_t>(to)));
      ASSERT_EQ(ack.body_case(), pb::Frame::kPushAck) << ack.error().message();
      for (const auto& a : ack.push_ack().acks()) EXPECT_EQ(a.refusal(), pb::REFUSAL_NONE);
    }
  }
  std::vector<pb::StoredChange> all = PullAll(*admin_client_);
  ASSERT_EQ(static_cast<int>(all.size()), total);
  for (std::size_t k = 0; k < all.size(); ++k) EXPECT_EQ(all[k].relay_seq(), k + 1);
}

TEST_F(RelayBackup, VerifyFindsAGapAndPostgresStorageIsSentToPgDump) {
  StartWithVault();
  if (HasFatalFailure()) return;
  Chain chain(&admin_.identity, vault_);
  EXPECT_EQ(Push(*admin_client_, {chain.Next(), chain.Next(), chain.Next()}).body_case(),
            pb::Frame::kPushAck);
  Ran backup = RunRelay({"backup", "--data", data(), dest()});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  Ran good = RunRelay({"backup", "verify", dest()});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("1 vaults, 3 changes (0 purged), 1 chain heads"), std::string::npos)
      << good.out;
  // A change taken out of the copy: a gap in the vault's sequence and in the author's chain.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dest() + "/relay.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DELETE FROM changes WHERE seq = 2", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  Ran bad = RunRelay({"backup", "verify", dest()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("head_seq 3 but 2 changes numbered 1..3"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("chain head 3 but 2 changes"), std::string::npos) << bad.out;
  EXPECT_NE(bad.err.find("problem"), std::string::npos) << bad.err;

  Ran pg = RunRelay({"backup", "--data", data(), "--storage", "postgresql://relay@localhost/relay",
                     dir_.Sub("pg-backup")});
  EXPECT_EQ(pg.exit_code, 1);
  EXPECT_NE(pg.err.find("pg_dump"), std::string::npos) << pg.err;
  EXPECT_FALSE(fs::exists(dir_.Sub("pg-backup")));
}

}  // namespace
}  // namespace parley::testing
