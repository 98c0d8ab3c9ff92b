// A long-running `parley` process of a test device (for example `sync --watch --json`): its
// standard output is read line by line by a thread and kept, so the process never blocks on a
// full pipe and the test waits for lines, not for time. The destructor kills (SIGKILL) and
// reaps the process whatever happened before, a failed test included.
//
// Thread safety: one thread, except the output accessors (any thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.h"

namespace parley::cli_test {

class BackgroundParley {
 public:
  // Starts `parley --data D --keystore K ARGS...` of `device` (its environment too).
  // `binary`, when set, runs in place of parley with the same arguments (a test helper).
  BackgroundParley(const Device& device, const std::vector<std::string>& args,
                   const std::string& binary = {});
  ~BackgroundParley();
  BackgroundParley(const BackgroundParley&) = delete;
  BackgroundParley& operator=(const BackgroundParley&) = delete;

  pid_t pid() const { return pid_; }
  // Waits until `count` output lines satisfy `match`, at most `timeout`; false when the
  // process closed its output first or the time ran out.
  template <typename Match>
  bool WaitForLine(Match match, std::chrono::milliseconds timeout, std::size_t count = 1) {
    std::unique_lock<std::mutex> lock(mu_);
    auto matching = [&] {
      std::size_t n = 0;
      for (const auto& l : lines_) n += match(l) ? 1 : 0;
      return n;
    };
    cv_.wait_for(lock, timeout, [&] { return matching() >= count || closed_; });
    return matching() >= count;
  }
  std::string Output();
  // Waits for the process to exit, at most `timeout`: its exit code (128 + signal when
  // killed), or -1 when it is still running.
  int WaitExit(std::chrono::milliseconds timeout);
  // The standard error written so far.
  std::string Errors() const;

 private:
  void ReadLoop(int fd);
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string err_path_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  bool closed_ = false;
};

}  // namespace parley::cli_test
