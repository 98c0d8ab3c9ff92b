// A real `parley-relay serve` process, for tests and parley-bench: its own data directory
// (SQLite storage, as deployed), listening on 127.0.0.1 with a port the kernel picks.
//
// Start() returns once the relay has logged "event=listening" (and its port). The log
// (standard error) is read by a thread and kept, so the relay never blocks on a full pipe;
// callers wait for log lines, not for time. Terminate()/Stop() stop it with SIGTERM (it
// stops cleanly); the destructor kills it (SIGKILL) and reaps it whatever happened before,
// a failed test included. The relay also gets SIGTERM if this program dies first, so none
// outlives it.
//
// Failures: Start() returns Code::kUnavailable when the relay does not start (the message
// holds its log). Thread safety: one thread, except the log accessors (any thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "parley/core/crypto.h"
#include "parley/platform/status.h"

namespace parley::testing {

// The parley-relay binary of this build tree, or the one named by the environment variable
// PARLEY_RELAY when set and not empty (a cross build's tests start the machine's own relay:
// scripts/arm64.sh).
std::string RelayBinary();
// The parley-relay binary to use: `flag` when not empty, else one beside this program (the
// same directory, or ../apps/parley-relay/ in the build tree), else RelayBinary().
// Code::kNotFound when the chosen file is not executable.
Result<std::string> FindRelayBinary(const std::string& flag);

class RelayProcess {
 public:
  // Runs `binary init --data data_dir` if the directory holds no relay key yet, and reads
  // the key. `extra_args` are added to `serve`, after `--admission open` unless they name
  // --admission themselves (the program's default admits only allowed vaults).
  explicit RelayProcess(std::string data_dir, std::vector<std::string> extra_args = {},
                        std::string binary = RelayBinary());
  ~RelayProcess();  // Kill()
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  // From the next Start on, the process may not make any file larger than `bytes`
  // (RLIMIT_FSIZE, with SIGXFSZ ignored: a write past it fails with EFBIG, as on a full
  // disk). -1 (the default): no limit.
  void set_file_size_limit(std::int64_t bytes) { file_size_limit_ = bytes; }

  // Starts the server and waits (30 s at most) for its "event=listening" line.
  Status Start();
  std::uint16_t port() const { return port_; }
  const crypto::Bytes& public_key() const { return public_key_; }
  pid_t pid() const { return pid_; }
  // A pairing code for this relay at 127.0.0.1:`port` (its own port, or a proxy's).
  std::string PairingCode(std::uint16_t port) const;

  // Waits until the log (since Start) holds `needle` `count` times; false after `timeout`
  // or when the relay closed its log first.
  bool WaitForLog(const std::string& needle, int count = 1,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));
  int CountLog(const std::string& needle);
  std::string Log();

  // SIGTERM and wait: the exit status (exit code, or 128 + signal); -1 when not running.
  int Terminate();
  // Terminate(): OK when the relay exited 0 (it stops cleanly on SIGTERM).
  Status Stop();
  void Kill();  // SIGKILL and reap

 private:
  void Reap(int* status);
  std::string binary_;
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
