// Structured log lines of the relay: one line per event on stderr,
//   ts=2026-01-01T12:00:00.123Z level=info event=listening addr=127.0.0.1 port=4040
// Values with spaces or quotes are quoted. Never pass keys, payloads or user data.
// Vault and device ids appear only as LogId(): 8 hex characters of a BLAKE2b hash keyed with
// the relay's log id key, so the logs of two relays (or of one relay under another key)
// cannot be matched with each other or with an id. Client addresses are logged only when
// RelayOptions::log_client_addresses is set.
// Thread safety: any thread; lines are written whole.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "parley/core/crypto.h"

namespace parley::relay {

// Sets the process-wide key of LogId (the RelayServer sets its RelayOptions::log_id_key when
// constructed; an empty key: a random one, the same for the rest of the process).
void SetLogIdKey(crypto::ByteView key);
// The short keyed hash that stands for `id` (a vault or device id) in the log.
std::string LogId(crypto::ByteView id);

struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, std::uint64_t v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, std::int64_t v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, unsigned v) : key(k), value(std::to_string(v)) {}
  std::string key;
  std::string value;
};

void LogEvent(std::string_view level, std::string_view event,
              std::initializer_list<LogField> fields = {});
inline void LogInfo(std::string_view event, std::initializer_list<LogField> fields = {}) {
  LogEvent("info", event, fields);
}
inline void LogWarn(std::string_view event, std::initializer_list<LogField> fields = {}) {
  LogEvent("warn", event, fields);
}

}  // namespace parley::relay
