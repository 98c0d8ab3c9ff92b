#include "relay_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <vector>

#include "parley/sync/relay_pairing.h"

namespace parley::bench {
namespace {

Status Unavailable(std::string what) { return Error(Domain::kPlatform, Code::kUnavailable, std::move(what)); }

// fork + exec of `args`; the child's standard output goes to `out_fd` (or /dev/null when -1)
// and its standard error to `err_fd` (or stays shared when -1). The child gets SIGTERM if
// this program ends first (even through exit() on a failed check), so no relay outlives it.
pid_t Spawn(const std::vector<std::string>& args, int out_fd, int err_fd) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(127);  // the parent is already gone
  const int null_fd = ::open("/dev/null", O_RDWR);
  ::dup2(null_fd, 0);
  ::dup2(out_fd >= 0 ? out_fd : null_fd, 1);
  if (err_fd >= 0) ::dup2(err_fd, 2);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

// Runs `args` to completion; its standard output in *out. OK when it exits 0.
Status RunCapture(const std::vector<std::string>& args, std::string* out) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Unavailable("pipe");
  const pid_t pid = Spawn(args, fds[1], -1);
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return Unavailable("fork");
  }
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out->append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Unavailable(args[0] + " " + args[1] + " failed (status " + std::to_string(status) + ")");
  }
  return Status::Ok();
}

bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

}  // namespace

Result<std::string> FindRelayBinary(const std::string& flag) {
  if (!flag.empty()) {
    if (Executable(flag)) return flag;
    return Error(Domain::kPlatform, Code::kNotFound, "--relay " + flag + " is not an executable file");
  }
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<std::size_t>(n));
    dir = dir.substr(0, dir.rfind('/'));
    for (const std::string& candidate : {dir + "/parley-relay", dir + "/../apps/parley-relay/parley-relay"}) {
      if (Executable(candidate)) return candidate;
    }
  }
  return Error(Domain::kPlatform, Code::kNotFound,
               "no parley-relay beside parley-bench: build the parley-relay target or pass --relay PATH");
}

RelayRunner::RelayRunner(std::string binary, std::string data_dir)
    : binary_(std::move(binary)), data_dir_(std::move(data_dir)) {}

RelayRunner::~RelayRunner() {
  if (pid_ > 0) (void)Stop();
}

Status RelayRunner::Init() {
  std::string ignored, info;
  PARLEY_RETURN_IF_ERROR(RunCapture({binary_, "init", "--data", data_dir_}, &ignored));
  PARLEY_RETURN_IF_ERROR(RunCapture({binary_, "info", "--data", data_dir_, "--json"}, &info));
  const std::string needle = "\"public_key\":\"";
  const auto at = info.find(needle);
  if (at == std::string::npos) return Unavailable("parley-relay info printed no public_key");
  const std::string hex = info.substr(at + needle.size(), 2 * crypto::kDhSize);
  PARLEY_ASSIGN_OR_RETURN(public_key_, crypto::FromHex(hex));
  return Status::Ok();
}

Status RelayRunner::Start() {
  PARLEY_RETURN_IF_ERROR(Init());
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Unavailable("pipe");
  pid_ = Spawn({binary_, "serve", "--data", data_dir_, "--listen", "127.0.0.1:0"}, -1, fds[1]);
  ::close(fds[1]);
  log_fd_ = fds[0];
  if (pid_ < 0) return Unavailable("fork");

  // Read the log on this thread until the relay says where it listens.
  std::string seen;
  const std::string needle = "event=listening";
  for (;;) {
    const auto at = seen.find(needle);
    const auto port_at = at == std::string::npos ? at : seen.find("port=", at);
    if (port_at != std::string::npos && seen.find('\n', port_at) != std::string::npos) {
      port_ = static_cast<std::uint16_t>(std::stoi(seen.substr(port_at + 5)));
      break;
    }
    pollfd p{log_fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, 30'000);
    if (ready < 0 && errno == EINTR) continue;
    char buf[4096];
    const ssize_t n = ready > 0 ? ::read(log_fd_, buf, sizeof buf) : 0;
    if (n <= 0) return Unavailable("parley-relay serve did not start: " + seen);
    seen.append(buf, static_cast<std::size_t>(n));
  }
  log_ = seen;
  reader_ = std::thread([this] {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(log_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      std::lock_guard<std::mutex> lock(mu_);
      if (log_.size() > (1u << 20)) log_.erase(0, log_.size() / 2);  // keep the recent part
      log_.append(buf, static_cast<std::size_t>(n));
    }
  });
  return Status::Ok();
}

Status RelayRunner::Stop() {
  if (pid_ <= 0) return Status::Ok();
  ::kill(pid_, SIGTERM);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  if (log_fd_ >= 0) ::close(log_fd_);
  log_fd_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Unavailable("the relay did not stop cleanly (status " + std::to_string(status) + ")");
  }
  return Status::Ok();
}

std::string RelayRunner::PairingCode(std::uint16_t port) const {
  return wire::EncodeRelayPairingCode({public_key_, "127.0.0.1:" + std::to_string(port)});
}

std::string RelayRunner::Log() {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

}  // namespace parley::bench
