// The relay's counters. Connections update them from any thread; a timer rewrites the
// metrics file (DATA/metrics, "name value" lines, atomically replaced) every interval and
// at shutdown, and `parley-relay metrics --data DATA` prints it.
// Thread safety: every member may be used from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "parley/platform/status.h"

namespace parley::relay {

struct Metrics {
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> connections_refused{0};       // closed at once, every reason below
  std::atomic<std::uint64_t> refused_connection_limit{0};  // max_connections, nothing to evict
  std::atomic<std::uint64_t> refused_per_address{0};       // max_unauthenticated_per_address
  std::atomic<std::uint64_t> refused_address_rate{0};      // the address's connection rate
  // Unauthenticated connections closed to make room (max_unauthenticated, max_connections).
  std::atomic<std::uint64_t> evicted_unauthenticated{0};
  std::atomic<std::uint64_t> handshakes_failed{0};
  std::atomic<std::uint64_t> auth_failed{0};
  std::atomic<std::uint64_t> changes_accepted{0};   // newly stored
  std::atomic<std::uint64_t> changes_duplicate{0};  // pushed again, already held
  std::atomic<std::uint64_t> changes_refused{0};
  std::atomic<std::uint64_t> changes_served{0};  // sent in pull answers
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> frames_out{0};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> errors_sent{0};  // Error frames
  std::atomic<std::uint64_t> rate_limited{0};
  std::atomic<std::uint64_t> slow_clients_dropped{0};  // outbound queue full
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> decrypt_failures{0};
  std::atomic<std::uint64_t> storage_errors{0};
  std::atomic<std::uint64_t> vaults_not_admitted{0};  // RegisterVault under an allowlist
  std::atomic<std::uint64_t> changes_over_quota{0};   // refused REFUSAL_QUOTA_EXCEEDED
  // Frames whose reading waited for the outbound bound (max_outbound_bytes).
  std::atomic<std::uint64_t> outbound_waits{0};

  // "name value\n" lines, stable names (documented in docs/wire-protocol.md).
  std::string Render() const;
  // Writes Render() atomically to `path` (temporary file + rename).
  Status WriteFile(const std::string& path) const;
};

}  // namespace parley::relay
