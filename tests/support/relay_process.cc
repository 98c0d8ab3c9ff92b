#include "support/relay_process.h"

#include <algorithm>

#include "support/relay_test_storage.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "parley/sync/relay_pairing.h"

namespace parley::testing {
namespace {

Status Unavailable(const std::string& what) {
  return Error(Domain::kPlatform, Code::kUnavailable, what);
}

bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

struct ChildSetup {
  bool quiet = false;  // standard output to /dev/null (else inherited)
  int stderr_fd = -1;  // -1: inherited
  std::int64_t file_size_limit = -1;
};

// fork + exec of `args`, standard input from /dev/null. The argument vector is built before
// the fork: the child only calls async-signal-safe functions. The child gets SIGTERM if
// this program ends first (even through exit() on a failed check).
pid_t Spawn(std::vector<std::string> args, const ChildSetup& setup) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const rlimit fsize = {static_cast<rlim_t>(setup.file_size_limit),
                        static_cast<rlim_t>(setup.file_size_limit)};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(127);  // the parent is already gone
  const int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    ::dup2(null_fd, 0);
    if (setup.quiet) ::dup2(null_fd, 1);
  }
  if (setup.stderr_fd >= 0) ::dup2(setup.stderr_fd, 2);
  if (setup.file_size_limit >= 0) {
    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGXFSZ, &ignore, nullptr);  // an ignored signal stays ignored across exec
    if (::setrlimit(RLIMIT_FSIZE, &fsize) != 0) ::_exit(126);
  }
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

int WaitExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Runs `binary init --data dir` once, if there is no key.
void EnsureKey(const std::string& binary, const std::string& dir) {
  if (::access((dir + "/relay.key").c_str(), F_OK) == 0) return;
  // init prints the key and pairing code on standard output: not wanted here.
  const pid_t pid = Spawn({binary, "init", "--data", dir}, {.quiet = true});
  if (pid < 0) return;
  const int status = WaitExit(pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    std::fprintf(stderr, "relay init failed for %s\n", dir.c_str());
}

int ExitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string RelayBinary() {
  if (const char* relay = std::getenv("PARLEY_RELAY"); relay != nullptr && *relay != '\0')
    return relay;
  return std::string(PARLEY_BINARY_DIR) + "/apps/parley-relay/parley-relay";
}

Result<std::string> FindRelayBinary(const std::string& flag) {
  if (!flag.empty()) {
    if (Executable(flag)) return flag;
    return Error(Domain::kPlatform, Code::kNotFound, flag + " is not an executable file");
  }
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<std::size_t>(n));
    dir = dir.substr(0, dir.rfind('/'));
    for (const std::string& candidate :
         {dir + "/parley-relay", dir + "/../apps/parley-relay/parley-relay"}) {
      if (Executable(candidate)) return candidate;
    }
  }
  if (Executable(RelayBinary())) return RelayBinary();
  return Error(Domain::kPlatform, Code::kNotFound,
               "no parley-relay found: build the parley-relay target");
}

RelayProcess::RelayProcess(std::string data_dir, std::vector<std::string> extra_args,
                           std::string binary)
    : binary_(std::move(binary)),
      data_dir_(std::move(data_dir)),
      extra_args_(std::move(extra_args)) {
  EnsureKey(binary_, data_dir_);
  std::ifstream in(data_dir_ + "/relay.key", std::ios::binary);
  crypto::Bytes secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (secret.size() == crypto::kDhSize)
    public_key_ = crypto::DhKeyPairFromSecret(secret).public_key;
}

RelayProcess::~RelayProcess() { Kill(); }

Status RelayProcess::Start() {
  if (public_key_.empty())
    return Unavailable("no relay key in " + data_dir_ + " (parley-relay init failed)");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Unavailable("pipe");
  {
    std::lock_guard<std::mutex> lock(mu_);
    log_.clear();
    log_closed_ = false;
  }
  std::vector<std::string> args = {binary_,   "serve",    "--data",
                                   data_dir_, "--listen", "127.0.0.1:0"};
  // The program admits only allowed vaults by default; tests register vaults freely unless
  // they choose an admission themselves.
  const bool admission = std::any_of(extra_args_.begin(), extra_args_.end(), [](const auto& a) {
    return a == "--admission" || a.rfind("--admission=", 0) == 0;
  });
  if (!admission) args.insert(args.end(), {"--admission", "open"});
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  // The storage the test run asks for (support/relay_test_storage.h), unless the caller chose.
  if (std::find(extra_args_.begin(), extra_args_.end(), "--storage") == extra_args_.end()) {
    auto storage = RelayStorageArgs(data_dir_);
    if (!storage.ok()) {
      ::close(fds[0]);
      ::close(fds[1]);
      return Unavailable(storage.status().message());
    }
    args.insert(args.end(), storage->begin(), storage->end());
  }
  pid_ = Spawn(std::move(args), {.stderr_fd = fds[1], .file_size_limit = file_size_limit_});
  ::close(fds[1]);
  if (pid_ < 0) {
    ::close(fds[0]);
    return Unavailable("fork");
  }
  log_fd_ = fds[0];
  log_reader_ = std::thread([this, fd = log_fd_] {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if (n <= 0) {
        log_closed_ = true;
        cv_.notify_all();
        return;
      }
      log_.append(buf, static_cast<std::size_t>(n));
      cv_.notify_all();
    }
  });
  // The port is on the line that says "event=listening": wait for that whole line.
  std::uint16_t port = 0;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] {
      const auto at = log_.find("event=listening");
      const auto p = at == std::string::npos ? at : log_.find("port=", at);
      if (p != std::string::npos && log_.find('\n', p) != std::string::npos) {
        port = static_cast<std::uint16_t>(std::stoi(log_.substr(p + 5)));
        return true;
      }
      return log_closed_;
    });
  }
  if (port == 0) return Unavailable("the relay did not start: " + Log());
  port_ = port;
  return Status::Ok();
}

std::string RelayProcess::PairingCode(std::uint16_t port) const {
  return wire::EncodeRelayPairingCode({public_key_, "127.0.0.1:" + std::to_string(port)});
}

bool RelayProcess::WaitForLog(const std::string& needle, int count,
                              std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto enough = [&] {
    int n = 0;
    for (std::size_t at = log_.find(needle); at != std::string::npos;
         at = log_.find(needle, at + 1))
      ++n;
    return n >= count;
  };
  return cv_.wait_for(lock, timeout, [&] { return enough() || log_closed_; }) && enough();
}

int RelayProcess::CountLog(const std::string& needle) {
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (std::size_t at = log_.find(needle); at != std::string::npos; at = log_.find(needle, at + 1))
    ++n;
  return n;
}

std::string RelayProcess::Log() {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

void RelayProcess::Reap(int* status) {
  if (pid_ > 0) {
    *status = WaitExit(pid_);
    pid_ = -1;
  }
  if (log_reader_.joinable()) log_reader_.join();
  if (log_fd_ >= 0) {
    ::close(log_fd_);
    log_fd_ = -1;
  }
}

int RelayProcess::Terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  Reap(&status);
  return ExitStatus(status);
}

Status RelayProcess::Stop() {
  if (pid_ <= 0) return Status::Ok();
  const int status = Terminate();
  if (status != 0)
    return Unavailable("the relay did not stop cleanly (exit status " + std::to_string(status) +
                       ")");
  return Status::Ok();
}

void RelayProcess::Kill() {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
  int status = 0;
  Reap(&status);
}

}  // namespace parley::testing
