#include "metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "parley/wire.pb.h"

#ifndef PARLEY_VERSION
#define PARLEY_VERSION "unknown"
#endif

namespace parley::relay {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Seconds(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

// A label value, escaped as the text format wants (backslash, double quote, line feed).
std::string Escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Appends one family's HELP and TYPE lines.
void Family(std::string* out, std::string_view name, std::string_view type, std::string_view help) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Sample(std::string* out, std::string_view name, std::string_view labels,
            std::string_view value) {
  out->append(name);
  if (!labels.empty()) out->append("{").append(labels).append("}");
  out->append(" ").append(value).append("\n");
}

void Sample(std::string* out, std::string_view name, std::string_view labels, std::uint64_t v) {
  Sample(out, name, labels, std::to_string(v));
}

// A family with one unlabelled sample.
void One(std::string* out, std::string_view name, std::string_view type, std::string_view help,
         std::uint64_t v) {
  Family(out, name, type, help);
  Sample(out, name, "", v);
}

std::string ErrorCodeName(int code) {
  if (pb::ErrorCode_IsValid(code)) return pb::ErrorCode_Name(static_cast<pb::ErrorCode>(code));
  return "ERROR_CODE_" + std::to_string(code);
}

}  // namespace

std::string_view RefusalReasonName(RefusalReason r) {
  switch (r) {
    case RefusalReason::kConnectionLimit:
      return "connection_limit";
    case RefusalReason::kAddressLimit:
      return "address_limit";
    case RefusalReason::kAddressRate:
      return "address_rate";
    case RefusalReason::kCount:
      break;
  }
  return "other";
}

void LatencyHistogram::Observe(std::chrono::steady_clock::duration d) {
  const auto us = static_cast<std::uint64_t>(
      std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
  std::size_t i = 0;
  while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
  buckets_[i].fetch_add(1, kRelaxed);
  sum_us_.fetch_add(us, kRelaxed);
}

void LatencyHistogram::Render(std::string_view name, std::string_view help,
                              std::string* out) const {
  Family(out, name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBoundsUs.size(); ++i) {
    cumulative += buckets_[i].load(kRelaxed);
    Sample(out, bucket, std::string("le=\"") + kBoundLabels[i] + "\"", cumulative);
  }
  cumulative += buckets_[kBoundsUs.size()].load(kRelaxed);
  Sample(out, bucket, "le=\"+Inf\"", cumulative);
  char sum[64];
  std::snprintf(sum, sizeof sum, "%.6f", static_cast<double>(sum_us_.load(kRelaxed)) / 1e6);
  Sample(out, std::string(name) + "_sum", "", sum);
  Sample(out, std::string(name) + "_count", "", cumulative);
}

void DeviceGauge::Add(const std::string& device) {
  std::lock_guard<std::mutex> lock(mu_);
  ++connections_[device];
}

void DeviceGauge::Remove(const std::string& device) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(device);
  if (it == connections_.end()) return;
  if (--it->second == 0) connections_.erase(it);
}

std::uint64_t DeviceGauge::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_.size();
}

Metrics::Metrics() : start_time(UnixNow()) {}

void Metrics::Refused(RefusalReason reason) {
  connections_refused.fetch_add(1, kRelaxed);
  if (reason < RefusalReason::kCount)
    refused_by_[static_cast<std::size_t>(reason)].fetch_add(1, kRelaxed);
}

void Metrics::ErrorSent(int code) {
  errors_sent.fetch_add(1, kRelaxed);
  if (code >= 0 && code < kMaxErrorCode)
    errors_by_code_[static_cast<std::size_t>(code)].fetch_add(1, kRelaxed);
}

void Metrics::SetStorageStats(const StorageStats& s) {
  vaults.store(s.vaults, kRelaxed);
  stored_changes.store(s.changes, kRelaxed);
  stored_bytes.store(s.stored_bytes, kRelaxed);
  storage_bytes.store(s.storage_bytes, kRelaxed);
  storage_stats_at.store(static_cast<std::uint64_t>(UnixNow()), kRelaxed);
}

std::string Metrics::RenderPrometheus(bool up) const {
  std::string out;
  auto counter = [&out](std::string_view name, std::string_view help,
                        const std::atomic<std::uint64_t>& v) {
    One(&out, name, "counter", help, v.load(kRelaxed));
  };
  auto gauge = [&out](std::string_view name, std::string_view help, std::uint64_t v) {
    One(&out, name, "gauge", help, v);
  };
  gauge("parley_relay_up", "1 while the relay serves, 0 once it is stopping.", up ? 1 : 0);
  Family(&out, "parley_relay_build_info", "gauge", "The relay's version (the value is 1).");
  Sample(&out, "parley_relay_build_info", "version=\"" + Escape(PARLEY_VERSION) + "\"", 1);
  Family(&out, "process_start_time_seconds", "gauge",
         "When the relay started, Unix time in seconds (its counters start at zero then).");
  Sample(&out, "process_start_time_seconds", "", Seconds(start_time));

  gauge("parley_relay_connections_open", "Device connections open now.",
        connections_open.load(kRelaxed));
  counter("parley_relay_connections_total", "Device connections accepted.", connections_total);
  Family(&out, "parley_relay_connections_refused_total", "counter",
         "Device connections closed at once, by reason.");
  std::uint64_t by_reason = 0;
  for (std::size_t i = 0; i < refused_by_.size(); ++i) {
    const std::uint64_t n = refused_by_[i].load(kRelaxed);
    by_reason += n;
    Sample(&out, "parley_relay_connections_refused_total",
           "reason=\"" + std::string(RefusalReasonName(static_cast<RefusalReason>(i))) + "\"", n);
  }
  const std::uint64_t refused = connections_refused.load(kRelaxed);
  if (refused > by_reason)
    Sample(&out, "parley_relay_connections_refused_total", "reason=\"other\"", refused - by_reason);
  counter("parley_relay_handshakes_failed_total", "Noise handshakes that failed.",
          handshakes_failed);
  counter("parley_relay_auth_failed_total", "Authenticate frames refused.", auth_failed);
  gauge("parley_relay_devices_authenticated",
        "Distinct devices authenticated on the open connections.", devices.size());

  counter("parley_relay_changes_accepted_total", "Pushed changes newly stored.", changes_accepted);
  counter("parley_relay_changes_duplicate_total", "Pushed changes the relay already held.",
          changes_duplicate);
  counter("parley_relay_changes_refused_total", "Pushed changes refused.", changes_refused);
  counter("parley_relay_changes_served_total", "Changes sent in pull answers.", changes_served);
  push_ack.Render("parley_relay_push_ack_seconds",
                  "From a Push frame's arrival to its PushAck being queued (stored and durable).",
                  &out);

  counter("parley_relay_frames_in_total", "Frames received (after decryption).", frames_in);
  counter("parley_relay_frames_out_total", "Frames sent.", frames_out);
  counter("parley_relay_bytes_in_total", "Bytes received on device connections.", bytes_in);
  counter("parley_relay_bytes_out_total", "Bytes sent on device connections.", bytes_out);
  Family(&out, "parley_relay_errors_sent_total", "counter", "Error frames sent, by code.");
  std::uint64_t by_code = 0;
  for (int code = 0; code < kMaxErrorCode; ++code) {
    const std::uint64_t n = errors_by_code_[static_cast<std::size_t>(code)].load(kRelaxed);
    by_code += n;
    if (n == 0 && !pb::ErrorCode_IsValid(code)) continue;
    if (code == pb::ERROR_NONE) continue;
    Sample(&out, "parley_relay_errors_sent_total", "code=\"" + ErrorCodeName(code) + "\"", n);
  }
  const std::uint64_t errors = errors_sent.load(kRelaxed);
  if (errors > by_code)
    Sample(&out, "parley_relay_errors_sent_total", "code=\"other\"", errors - by_code);
  counter("parley_relay_rate_limited_total", "Frames refused by the per-device rate limit.",
          rate_limited);
  counter("parley_relay_slow_clients_dropped_total",
          "Connections closed because their outbound queue was full.", slow_clients_dropped);
  counter("parley_relay_timeouts_total", "Connections closed by a read or write timeout.",
          timeouts);
  counter("parley_relay_decrypt_failures_total",
          "Connections closed because a frame failed to decrypt.", decrypt_failures);
  counter("parley_relay_storage_errors_total", "Storage calls that failed.", storage_errors);
  counter("parley_relay_unauthenticated_evicted_total",
          "Connections not yet authenticated closed to make room for others.",
          evicted_unauthenticated);
  counter("parley_relay_vaults_not_admitted_total",
          "Vault registrations refused: not admitted under the allowlist.", vaults_not_admitted);
  counter("parley_relay_changes_over_quota_total", "Pushed changes refused over the vault's quota.",
          changes_over_quota);
  counter("parley_relay_outbound_waits_total",
          "Frames whose reading waited for room under the bound on outbound bytes.",
          outbound_waits);

  gauge("parley_relay_vaults", "Vaults the storage holds (refreshed every few seconds).",
        vaults.load(kRelaxed));
  gauge("parley_relay_stored_changes", "Changes the storage holds, purged ones included.",
        stored_changes.load(kRelaxed));
  gauge("parley_relay_stored_bytes", "Bytes of change data the storage holds.",
        stored_bytes.load(kRelaxed));
  gauge("parley_relay_storage_bytes", "The storage's own size on disk, in bytes.",
        storage_bytes.load(kRelaxed));
  gauge("parley_relay_storage_stats_timestamp_seconds",
        "When the storage figures were read, Unix time in seconds (0: not yet).",
        storage_stats_at.load(kRelaxed));
  return out;
}

std::string Metrics::RenderFile(bool up) const {
  std::string out;
  auto add = [&out](const char* name, std::uint64_t v) {
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  add("relay_up", up ? 1 : 0);
  add("pid", static_cast<std::uint64_t>(::getpid()));
  out += "written_at " + Seconds(UnixNow()) + "\n";
  out += "started_at " + Seconds(start_time) + "\n";
  add("connections_open", connections_open.load(kRelaxed));
  add("connections_total", connections_total.load(kRelaxed));
  add("connections_refused", connections_refused.load(kRelaxed));
  add("handshakes_failed", handshakes_failed.load(kRelaxed));
  add("auth_failed", auth_failed.load(kRelaxed));
  add("devices_authenticated", devices.size());
  add("changes_accepted", changes_accepted.load(kRelaxed));
  add("changes_duplicate", changes_duplicate.load(kRelaxed));
  add("changes_refused", changes_refused.load(kRelaxed));
  add("changes_served", changes_served.load(kRelaxed));
  add("frames_in", frames_in.load(kRelaxed));
  add("frames_out", frames_out.load(kRelaxed));
  add("bytes_in", bytes_in.load(kRelaxed));
  add("bytes_out", bytes_out.load(kRelaxed));
  add("errors_sent", errors_sent.load(kRelaxed));
  add("rate_limited", rate_limited.load(kRelaxed));
  add("slow_clients_dropped", slow_clients_dropped.load(kRelaxed));
  add("timeouts", timeouts.load(kRelaxed));
  add("decrypt_failures", decrypt_failures.load(kRelaxed));
  add("storage_errors", storage_errors.load(kRelaxed));
  auto refused = [this](RefusalReason r) {
    return refused_by_[static_cast<std::size_t>(r)].load(kRelaxed);
  };
  add("connections_refused_connection_limit", refused(RefusalReason::kConnectionLimit));
  add("connections_refused_per_address", refused(RefusalReason::kAddressLimit));
  add("connections_refused_address_rate", refused(RefusalReason::kAddressRate));
  add("connections_evicted_unauthenticated", evicted_unauthenticated.load(kRelaxed));
  add("vaults_not_admitted", vaults_not_admitted.load(kRelaxed));
  add("changes_over_quota", changes_over_quota.load(kRelaxed));
  add("outbound_waits", outbound_waits.load(kRelaxed));
  add("vaults", vaults.load(kRelaxed));
  add("stored_changes", stored_changes.load(kRelaxed));
  add("stored_bytes", stored_bytes.load(kRelaxed));
  add("storage_bytes", storage_bytes.load(kRelaxed));
  return out;
}

Status Metrics::WriteFile(const std::string& path, bool up) const {
  const std::string text = RenderFile(up);
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return Error(Domain::kSync, Code::kIoError, "metrics: " + std::string(std::strerror(errno)));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Error(Domain::kSync, Code::kIoError, "metrics: the file could not be written");
  }
  return Status::Ok();
}

}  // namespace parley::relay
