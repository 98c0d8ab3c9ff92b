// A real `parley-relay serve` process for the sync figures: its own data directory (SQLite
// storage, as deployed), listening on 127.0.0.1 with a port the kernel picks.
//
// The binary is the one named by --relay, or else found next to parley-bench (the same
// directory, or ../apps/parley-relay/ in the build tree). Start() runs `parley-relay init`
// and `serve`, and returns once the relay has logged that it listens. Its log (standard
// error) is read by a thread and kept, so the relay never blocks on a full pipe; it is shown
// only when something fails. The destructor stops the relay with SIGTERM and reaps it.
//
// Failures: Start() returns Code::kNotFound when no binary is found, Code::kUnavailable when
// the relay does not start. Thread safety: one thread (the log reader is internal).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "parley/core/crypto.h"
#include "parley/platform/status.h"

namespace parley::bench {

// The parley-relay binary to use: `flag` when not empty, else one found beside this program.
Result<std::string> FindRelayBinary(const std::string& flag);

class RelayRunner {
 public:
  RelayRunner(std::string binary, std::string data_dir);
  ~RelayRunner();
  RelayRunner(const RelayRunner&) = delete;
  RelayRunner& operator=(const RelayRunner&) = delete;

  Status Start();
  // SIGTERM, then waits: OK when the relay exits 0 (it stops cleanly on SIGTERM).
  Status Stop();

  std::uint16_t port() const { return port_; }
  const crypto::Bytes& public_key() const { return public_key_; }
  // A pairing code for this relay at 127.0.0.1:`port` (the relay's own port, or a proxy's).
  std::string PairingCode(std::uint16_t port) const;
  // The relay's log so far (for error messages).
  std::string Log();

 private:
  Status Init();
  std::string binary_;
  std::string data_dir_;
  crypto::Bytes public_key_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  int log_fd_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::string log_;
};

}  // namespace parley::bench
