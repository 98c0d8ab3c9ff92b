#include "metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace parley::relay {

std::string Metrics::Render() const {
  std::string out;
  auto add = [&out](const char* name, const std::atomic<std::uint64_t>& v) {
    out += name;
    out += ' ';
    out += std::to_string(v.load(std::memory_order_relaxed));
    out += '\n';
  };
  add("connections_open", connections_open);
  add("connections_total", connections_total);
  add("connections_refused", connections_refused);
  add("connections_refused_connection_limit", refused_connection_limit);
  add("connections_refused_per_address", refused_per_address);
  add("connections_refused_address_rate", refused_address_rate);
  add("connections_evicted_unauthenticated", evicted_unauthenticated);
  add("handshakes_failed", handshakes_failed);
  add("auth_failed", auth_failed);
  add("changes_accepted", changes_accepted);
  add("changes_duplicate", changes_duplicate);
  add("changes_refused", changes_refused);
  add("changes_served", changes_served);
  add("frames_in", frames_in);
  add("frames_out", frames_out);
  add("bytes_in", bytes_in);
  add("bytes_out", bytes_out);
  add("errors_sent", errors_sent);
  add("rate_limited", rate_limited);
  add("slow_clients_dropped", slow_clients_dropped);
  add("timeouts", timeouts);
  add("decrypt_failures", decrypt_failures);
  add("storage_errors", storage_errors);
  add("vaults_not_admitted", vaults_not_admitted);
  add("changes_over_quota", changes_over_quota);
  add("outbound_waits", outbound_waits);
  return out;
}

Status Metrics::WriteFile(const std::string& path) const {
  const std::string text = Render();
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
