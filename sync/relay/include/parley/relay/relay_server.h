// The relay server: accepts device connections, runs the Noise XK handshake as responder,
// authenticates devices, and serves the frames of docs/wire-protocol.md over its storage.
//
// Threads: Start() launches `io_threads` network threads (each connection is a coroutine
// on its own strand), two storage threads (see the storage worker), one thread per core
// that checks pushed changes (form, id, signature) and, with metrics_listen, the few threads
// of the metrics endpoint (a fixed number). The object's public
// methods may be called from any thread.
// Shutdown: RequestStop() (or SIGTERM/SIGINT when handle_signals) closes the listener, lets
// every connection finish the frames it has already received (a push is acknowledged once
// durable; meanwhile GET /healthz answers 503), closes the connections, stops the metrics
// endpoint, writes the metrics file (saying the relay stopped) and stops the threads; Wait()
// returns then. A connection that does not finish within `shutdown_grace_ms` is cut.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "parley/core/crypto.h"
#include "parley/relay/relay_storage.h"
#include "parley/relay/tuning.h"
#include "parley/sync/change_parts.h"

namespace parley::relay {

// Which vaults devices may register: any (kOpen), or only those the operator admitted with
// RelayStorage::AllowVault (`parley-relay vault allow`); others get ERROR_NOT_ADMITTED.
enum class Admission { kOpen, kAllowlist };

// Defaults come from parley/relay/tuning.h, which explains each.
struct RelayOptions {
  std::string listen_host = tuning::kDefaultListenHost;
  std::uint16_t listen_port = 0;  // 0: any free port (see RelayServer::port())
  std::string metrics_path;       // empty: no metrics file
  // "HOST:PORT" ("[V6]:PORT"): serve GET /metrics and /healthz over HTTP there (port 0: any
  // free port, see metrics_port()); empty: no HTTP (docs/relay-operations.md).
  std::string metrics_listen;
  int io_threads = tuning::kDefaultIoThreads;
  bool handle_signals = false;  // stop on SIGTERM / SIGINT
  // Logs name clients by address and port only when set (otherwise not at all).
  bool log_client_addresses = false;
  // The key of the short keyed hashes that stand for vault and device ids in the log (32
  // bytes); empty: a random key of this process. parley-relay derives it from its secret key.
  crypto::Bytes log_id_key;

  std::uint32_t max_connections =
      tuning::kDefaultMaxConnections;  // further connections are closed at once
  std::uint32_t max_frame_bytes =
      tuning::kDefaultMaxFrameBytes;  // largest transport message accepted (<= 65535)
  std::uint32_t max_push_changes = tuning::kDefaultMaxPushChanges;
  // Largest serialized Change accepted in parts (advertised in Welcome; at most
  // wire::kMaxChangeBytes, which it is clamped to).
  std::uint64_t max_change_bytes = wire::kMaxChangeBytes;
  // All connections together reassemble at most this many bytes of large changes at once;
  // a change that would exceed it is answered ERROR_UNAVAILABLE (retry later).
  std::uint64_t max_reassembly_bytes = tuning::kDefaultMaxReassemblyBytes;
  std::uint32_t max_queue_frames =
      tuning::kDefaultMaxQueueFrames;  // outbound frames waiting; a client over it is cut
  std::uint32_t handshake_timeout_ms =
      tuning::kDefaultHandshakeTimeoutMs;  // handshake and Authenticate
  std::uint32_t idle_timeout_ms =
      tuning::kDefaultIdleTimeoutMs;  // between frames once authenticated
  std::uint32_t write_timeout_ms = tuning::kDefaultWriteTimeoutMs;  // for one write to complete
  std::uint32_t shutdown_grace_ms = tuning::kDefaultShutdownGraceMs;
  std::uint32_t metrics_interval_ms = tuning::kDefaultMetricsIntervalMs;
  double rate_per_s = tuning::kDefaultRatePerS;  // tokens per second per device
  double rate_burst = tuning::kDefaultRateBurst;
  // Abuse limits and admission (docs/relay-operations.md).
  // kAllowlist: RegisterVault only for vaults admitted by RelayStorage::AllowVault.
  Admission admission = Admission::kOpen;
  std::uint64_t vault_quota_bytes = tuning::kDefaultVaultQuotaBytes;  // 0: no default quota
  std::uint32_t max_unauthenticated = tuning::kDefaultMaxUnauthenticated;
  std::uint32_t max_unauthenticated_per_address = tuning::kDefaultMaxUnauthenticatedPerAddress;
  std::uint64_t max_outbound_bytes = tuning::kDefaultMaxOutboundBytes;  // all connections
  std::uint32_t rate_max_buckets = tuning::kDefaultRateMaxBuckets;      // per-device buckets kept
  double address_rate_per_s = tuning::kDefaultAddressRatePerS;  // new connections per address
  double address_rate_burst = tuning::kDefaultAddressRateBurst;
};

class RelayServer {
 public:
  // `static_key` is the relay's X25519 static key pair; `writer` and `reader` are two
  // storage objects over the same data.
  RelayServer(RelayOptions options, crypto::DhKeyPair static_key,
              std::unique_ptr<RelayStorage> writer, std::unique_ptr<RelayStorage> reader);
  ~RelayServer();  // RequestStop() + Wait()
  RelayServer(const RelayServer&) = delete;
  RelayServer& operator=(const RelayServer&) = delete;

  // Binds and starts serving. Code::kIoError (message says why) when the address cannot be
  // bound, also metrics_listen's (the message names it); Code::kInvalidArgument when
  // metrics_listen is not HOST:PORT. Logs "event=listening addr=... port=..." and, with
  // metrics_listen, "event=metrics_listening addr=... port=...".
  Status Start();
  // Serves an already-connected stream socket exactly like an accepted connection (the
  // same handshake, limits, timeouts and connection count): `fd` is a SOCK_STREAM socket,
  // TCP or AF_UNIX (one end of a socketpair(2)), whose peer is the device. The relay owns
  // `fd` from the call on and closes it in every case, errors included. OK means the socket
  // was handed to the network threads; like an accepted one it is then closed at once if
  // the relay is stopping or at its connection limit. Code::kUnavailable before Start();
  // Code::kInvalidArgument when `fd` is not a stream socket; Code::kIoError when Asio
  // refuses it. Any thread, after Start() returned OK.
  Status Adopt(int fd);
  // Follows what other relay instances commit to the same storage (`spec` as for
  // OpenRelayStorage). With PostgreSQL, a LISTEN/NOTIFY feed on its own connection and thread
  // wakes this instance's subscribers when another instance stores changes and drops cached
  // memberships another instance replaced; after the feed reconnects (notifications may have
  // been lost) every cached membership is dropped and every subscribed vault's head is
  // announced again, so devices converge whatever was missed. A no-op for SQLite storage (one
  // process serves a file). Call once, after Start() returned OK; any thread.
  // Code::kUnavailable when the feed cannot connect (the relay still serves: devices then learn
  // of other instances' changes at their next pull).
  Status FollowStorage(const std::string& spec);
  // The bound port, valid after Start().
  std::uint16_t port() const;
  // The bound port of metrics_listen, valid after Start(); 0 when not serving metrics.
  std::uint16_t metrics_port() const;
  void RequestStop();
  // Blocks until the server has stopped.
  void Wait();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::relay
