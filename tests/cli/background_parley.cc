#include "background_parley.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

extern char** environ;

namespace parley::cli_test {

BackgroundParley::BackgroundParley(const Device& device, const std::vector<std::string>& args,
                                   const std::string& binary) {
  const std::string& data = device.data_dir();
  err_path_ = data + ".background-stderr";
  ChildCommand command(device, args, binary);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe failed";
    return;
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setsid();
    int in = ::open("/dev/null", O_RDONLY);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || err < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out[1], 1);
    ::dup2(err, 2);
    ::execve(command.argv()[0], command.argv(), command.envp());
    ::_exit(127);
  }
  ::close(out[1]);
  if (pid_ < 0) {
    ::close(out[0]);
    ADD_FAILURE() << "fork failed";
    return;
  }
  reader_ = std::thread([this, fd = out[0]] { ReadLoop(fd); });
}

BackgroundParley::~BackgroundParley() {
  if (pid_ > 0 && exit_code_ < 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (reader_.joinable()) reader_.join();
  ::unlink(err_path_.c_str());
}

void BackgroundParley::ReadLoop(int fd) {
  std::string partial;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buf, static_cast<std::size_t>(n));
    std::lock_guard<std::mutex> lock(mu_);
    for (std::size_t nl; (nl = partial.find('\n')) != std::string::npos;) {
      lines_.push_back(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
    cv_.notify_all();
  }
  ::close(fd);
  std::lock_guard<std::mutex> lock(mu_);
  if (!partial.empty()) lines_.push_back(partial);
  closed_ = true;
  cv_.notify_all();
}

std::string BackgroundParley::Output() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string all;
  for (const auto& l : lines_) all += l + "\n";
  return all;
}

int BackgroundParley::WaitExit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  if (exit_code_ >= 0) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    // The child's exit is not a file descriptor: look again shortly (bounded by `timeout`).
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string BackgroundParley::Errors() const { return ReadBytes(err_path_); }

}  // namespace parley::cli_test
