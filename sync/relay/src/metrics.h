// The relay's metrics: counters and gauges that connections update from any thread, the
// storage figures (refreshed every few seconds off the network threads), and two renderings
// of them (docs/relay-operations.md names every figure):
//   - RenderPrometheus: the Prometheus text exposition format 0.0.4, served at GET /metrics
//     (metrics_http.h);
//   - RenderFile: "name value" lines, written to DATA/metrics (atomically replaced) every
//     interval and at shutdown for `parley-relay metrics`. The file says which process wrote
//     it and when, and after a clean stop that the relay is down (relay_up 0), so a stopped
//     relay's figures are never shown as current.
// Counters start at zero with each relay (a restart, or a SIGKILL, resets them: Prometheus'
// rate() and increase() handle resets; process_start_time_seconds says when they started).
// Thread safety: every member may be used from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "parley/platform/status.h"
#include "parley/relay/relay_storage.h"

namespace parley::relay {

// Why a connection was closed before its handshake (label reason= of
// parley_relay_connections_refused_total).
enum class RefusalReason : std::uint8_t {
  kConnectionLimit,  // max_connections reached and no unauthenticated connection to evict
  kAddressLimit,     // max_unauthenticated_per_address from that source address
  kAddressRate,      // the source address's connection rate
  kCount,
};
std::string_view RefusalReasonName(RefusalReason r);

// A latency histogram with fixed buckets (seconds): the cumulative counts are computed when
// rendered, so the +Inf bucket always equals the count.
class LatencyHistogram {
 public:
  // Upper bounds in microseconds, and as rendered in le="...".
  static constexpr std::array<std::uint64_t, 14> kBoundsUs = {
      500,     1'000,   2'500,   5'000,     10'000,    25'000,    50'000,
      100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
  static constexpr std::array<const char*, 14> kBoundLabels = {
      "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
      "0.1",    "0.25",  "0.5",    "1",     "2.5",  "5",     "10"};

  void Observe(std::chrono::steady_clock::duration d);
  // Appends the family `name` (HELP, TYPE, buckets, _sum, _count).
  void Render(std::string_view name, std::string_view help, std::string* out) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBoundsUs.size() + 1> buckets_{};  // last: over all
  std::atomic<std::uint64_t> sum_us_{0};
};

// The distinct devices authenticated on the relay's connections (a device connected twice
// counts once). Identity keys are kept in memory only, never rendered.
class DeviceGauge {
 public:
  void Add(const std::string& device);
  void Remove(const std::string& device);
  std::uint64_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::uint32_t> connections_;  // device -> its connections
};

struct Metrics {
  Metrics();

  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> connections_refused{0};  // every reason (Refused() counts each)
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
  std::atomic<std::uint64_t> errors_sent{0};  // Error frames (ErrorSent() counts each code)
  std::atomic<std::uint64_t> rate_limited{0};
  std::atomic<std::uint64_t> slow_clients_dropped{0};  // outbound queue full
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> decrypt_failures{0};
  std::atomic<std::uint64_t> storage_errors{0};
  // Unauthenticated connections closed to make room (max_unauthenticated, max_connections).
  std::atomic<std::uint64_t> evicted_unauthenticated{0};
  std::atomic<std::uint64_t> vaults_not_admitted{0};  // RegisterVault under an allowlist
  std::atomic<std::uint64_t> changes_over_quota{0};   // refused REFUSAL_QUOTA_EXCEEDED
  // Frames whose reading waited for the outbound bound (max_outbound_bytes).
  std::atomic<std::uint64_t> outbound_waits{0};

  DeviceGauge devices;
  // From the Push frame's arrival to its PushAck being queued.
  LatencyHistogram push_ack;

  // The storage figures of the last refresh (RelayStorage::Stats) and when it was read
  // (Unix seconds; 0: not yet).
  std::atomic<std::uint64_t> vaults{0};
  std::atomic<std::uint64_t> stored_changes{0};
  std::atomic<std::uint64_t> stored_bytes{0};
  std::atomic<std::uint64_t> storage_bytes{0};
  std::atomic<std::uint64_t> storage_stats_at{0};

  // When these counters started (Unix time, seconds).
  const double start_time;

  // A connection refused before its handshake.
  void Refused(RefusalReason reason);
  // An Error frame with `code` (a pb::ErrorCode) queued.
  void ErrorSent(int code);
  void SetStorageStats(const StorageStats& s);

  // The Prometheus text exposition format 0.0.4 (Content-Type
  // "text/plain; version=0.0.4"). `up`: 1 while serving, 0 once stopping.
  std::string RenderPrometheus(bool up) const;
  // The metrics file: "name value" lines; `up` false once the relay stopped.
  std::string RenderFile(bool up) const;
  // Writes RenderFile(up) atomically to `path` (temporary file + rename).
  Status WriteFile(const std::string& path, bool up) const;

 private:
  static constexpr int kMaxErrorCode = 64;  // codes above count as "other"
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(RefusalReason::kCount)>
      refused_by_{};
  std::array<std::atomic<std::uint64_t>, kMaxErrorCode> errors_by_code_{};
};

}  // namespace parley::relay
