// The relay server: accepts device connections, runs the Noise XK handshake as responder,
// authenticates devices, and serves the frames of docs/wire-protocol.md over its storage.
//
// Threads: Start() launches `io_threads` network threads (each connection is a coroutine
// on its own strand) and two storage threads (see the storage worker). The object's public
// methods may be called from any thread.
// Shutdown: RequestStop() (or SIGTERM/SIGINT when handle_signals) closes the listener, lets
// every connection finish the frames it has already received (a push is acknowledged once
// durable), closes the connections, writes the metrics file and stops the threads; Wait()
// returns then. A connection that does not finish within `shutdown_grace_ms` is cut.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "parley/core/crypto.h"
#include "parley/sync/change_parts.h"
#include "parley/sync/relay_storage.h"

namespace parley::relay {

struct RelayOptions {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 0;         // 0: any free port (see RelayServer::port())
  std::string metrics_path;              // empty: no metrics file
  int io_threads = 2;
  bool handle_signals = false;           // stop on SIGTERM / SIGINT

  std::uint32_t max_connections = 1024;  // further connections are closed at once
  std::uint32_t max_frame_bytes = 65535; // largest transport message accepted (<= 65535)
  std::uint32_t max_push_changes = 1000;
  // Largest serialized Change accepted in parts (advertised in Welcome; at most
  // wire::kMaxChangeBytes, which it is clamped to).
  std::uint64_t max_change_bytes = wire::kMaxChangeBytes;
  // All connections together reassemble at most this many bytes of large changes at once;
  // a change that would exceed it is answered ERROR_UNAVAILABLE (retry later).
  std::uint64_t max_reassembly_bytes = 256ULL << 20;
  std::uint32_t max_queue_frames = 256;  // outbound frames waiting; a client over it is cut
  std::uint32_t handshake_timeout_ms = 10'000;  // handshake and Authenticate
  std::uint32_t idle_timeout_ms = 300'000;      // between frames once authenticated
  std::uint32_t write_timeout_ms = 30'000;      // for one write to complete
  std::uint32_t shutdown_grace_ms = 10'000;
  std::uint32_t metrics_interval_ms = 1'000;
  double rate_per_s = 20'000;            // tokens per second per device
  double rate_burst = 40'000;
};

class RelayServer {
 public:
  // `static_key` is the relay's X25519 static key pair; `writer` and `reader` are two
  // storage objects over the same data.
  RelayServer(RelayOptions options, crypto::DhKeyPair static_key, std::unique_ptr<RelayStorage> writer,
              std::unique_ptr<RelayStorage> reader);
  ~RelayServer();  // RequestStop() + Wait()
  RelayServer(const RelayServer&) = delete;
  RelayServer& operator=(const RelayServer&) = delete;

  // Binds and starts serving. Code::kIoError (message says why) when the address cannot be
  // bound. Logs "event=listening addr=... port=...".
  Status Start();
  // The bound port, valid after Start().
  std::uint16_t port() const;
  void RequestStop();
  // Blocks until the server has stopped.
  void Wait();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::relay
