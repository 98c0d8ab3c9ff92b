#include "log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace parley::relay {
namespace {

std::mutex& LogMutex() {
  static std::mutex m;
  return m;
}

void AppendValue(std::string& line, const std::string& v) {
  bool plain = !v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
      plain = false;
  }
  if (plain) {
    line += v;
    return;
  }
  line += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') line += '\\';
    line += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  line += '"';
}

struct LogIdKey {
  std::mutex mu;
  crypto::Bytes key = crypto::RandomBytes(crypto::kHashSize);
};
LogIdKey& IdKey() {
  static LogIdKey k;
  return k;
}

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

void SetLogIdKey(crypto::ByteView key) {
  LogIdKey& k = IdKey();
  std::lock_guard<std::mutex> lock(k.mu);
  if (!key.empty()) k.key.assign(key.begin(), key.end());
}

std::string LogId(crypto::ByteView id) {
  LogIdKey& k = IdKey();
  std::lock_guard<std::mutex> lock(k.mu);
  const crypto::Hash h = crypto::Blake2b256(id, k.key);
  return crypto::ToHex(crypto::ByteView(h.data(), 4));
}

void LogEvent(std::string_view level, std::string_view event,
              std::initializer_list<LogField> fields) {
  std::string line =
      "ts=" + Timestamp() + " level=" + std::string(level) + " event=" + std::string(event);
  for (const LogField& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    AppendValue(line, f.value);
  }
  line += '\n';
  std::lock_guard<std::mutex> lock(LogMutex());
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace parley::relay
