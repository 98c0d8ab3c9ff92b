#include "relay_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>

namespace parley::testing {

std::string RelayBinary() { return std::string(PARLEY_BINARY_DIR) + "/apps/parley-relay/parley-relay"; }

namespace {

// Runs `parley-relay init --data dir` once, if there is no key.
void EnsureKey(const std::string& dir) {
  if (::access((dir + "/relay.key").c_str(), F_OK) == 0) return;
  const std::string cmd = RelayBinary() + " init --data '" + dir + "' > /dev/null";
  if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "relay init failed for %s\n", dir.c_str());
}

}  // namespace

RelayProcess::RelayProcess(std::string data_dir, std::vector<std::string> extra_args)
    : data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)) {
  EnsureKey(data_dir_);
  std::ifstream in(data_dir_ + "/relay.key", std::ios::binary);
  crypto::Bytes secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (secret.size() == crypto::kDhSize) public_key_ = crypto::DhKeyPairFromSecret(secret).public_key;
}

RelayProcess::~RelayProcess() { Kill(); }

Status RelayProcess::Start() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error(Domain::kPlatform, Code::kIoError, "pipe");
  {
    std::lock_guard<std::mutex> lock(mu_);
    log_.clear();
    log_closed_ = false;
  }
  std::vector<std::string> args = {RelayBinary(), "serve", "--data", data_dir_, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  const std::int64_t limit = file_size_limit_;
  pid_ = ::fork();
  if (pid_ < 0) return Error(Domain::kPlatform, Code::kIoError, "fork");
  if (pid_ == 0) {
    ::dup2(fds[1], 2);
    if (limit >= 0) {
      struct sigaction ignore = {};
      ignore.sa_handler = SIG_IGN;
      ::sigaction(SIGXFSZ, &ignore, nullptr);  // an ignored signal stays ignored across exec
      const rlimit fsize = {static_cast<rlim_t>(limit), static_cast<rlim_t>(limit)};
      if (::setrlimit(RLIMIT_FSIZE, &fsize) != 0) ::_exit(126);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  log_fd_ = fds[0];
  log_reader_ = std::thread([this, fd = log_fd_] {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
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
  if (!WaitForLog("event=listening")) {
    return Error(Domain::kPlatform, Code::kUnavailable, "the relay did not start: " + Log());
  }
  const std::string log = Log();
  auto at = log.find("event=listening");
  auto p = log.find("port=", at);
  port_ = static_cast<std::uint16_t>(std::stoi(log.substr(p + 5)));
  return Status::Ok();
}

bool RelayProcess::WaitForLog(const std::string& needle, int count, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto enough = [&] {
    int n = 0;
    for (std::size_t at = log_.find(needle); at != std::string::npos; at = log_.find(needle, at + 1)) ++n;
    return n >= count;
  };
  return cv_.wait_for(lock, timeout, [&] { return enough() || log_closed_; }) && enough();
}

int RelayProcess::CountLog(const std::string& needle) {
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (std::size_t at = log_.find(needle); at != std::string::npos; at = log_.find(needle, at + 1)) ++n;
  return n;
}

std::string RelayProcess::Log() {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

void RelayProcess::Reap(int* status) {
  if (pid_ > 0) {
    while (::waitpid(pid_, status, 0) < 0 && errno == EINTR) {
    }
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
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

void RelayProcess::Kill() {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
  int status = 0;
  Reap(&status);
}

}  // namespace parley::testing
