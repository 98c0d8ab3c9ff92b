// A real `parley-relay serve` process for tests, on 127.0.0.1 with a port the kernel picks.
// The process is killed (SIGKILL) and reaped when the object dies, whatever the test did.
// Its log (stderr) is collected by a thread; tests wait for log lines, not for time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "parley/core/crypto.h"
#include "parley/platform/status.h"

namespace parley::testing {

std::string RelayBinary();

class RelayProcess {
 public:
  // Creates the relay key in `data_dir` if there is none.
  explicit RelayProcess(std::string data_dir, std::vector<std::string> extra_args = {});
  ~RelayProcess();
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  // From the next Start on, the process may not make any file larger than `bytes`
  // (RLIMIT_FSIZE, with SIGXFSZ ignored: a write past it fails with EFBIG, as on a full
  // disk). -1 (the default): no limit.
  void set_file_size_limit(std::int64_t bytes) { file_size_limit_ = bytes; }

  // Starts the server and waits for its "event=listening" line.
  Status Start();
  std::uint16_t port() const { return port_; }
  const crypto::Bytes& public_key() const { return public_key_; }
  pid_t pid() const { return pid_; }

  // Waits until the log (since Start) holds `needle` `count` times; false after `timeout`.
  bool WaitForLog(const std::string& needle, int count = 1,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));
  int CountLog(const std::string& needle);
  std::string Log();

  // SIGTERM and wait: the exit status (exit code, or 128 + signal).
  int Terminate();
  void Kill();  // SIGKILL and reap

 private:
  void Reap(int* status);
  std::string data_dir_;
  std::vector<std::string> extra_args_;
  crypto::Bytes public_key_;
  pid_t pid_ = -1;
  int log_fd_ = -1;
  std::uint16_t port_ = 0;
  std::int64_t file_size_limit_ = -1;
  std::thread log_reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string log_;
  bool log_closed_ = false;
};

}  // namespace parley::testing
