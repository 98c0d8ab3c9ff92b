// Wake-ups between relay instances that share one PostgreSQL database: each instance's
// storage announces its commits (NOTIFY parley_relay, docs/relay-operations.md) and a feed
// delivers the others' announcements, so an instance can tell its own connected devices.
//
// Threads: on_event runs on the feed's own thread, one event at a time; it must not block
// for long nor destroy the feed. The destructor stops the thread and joins it (promptly,
// even while the server is unreachable); call it from any other thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "parley/core/crypto.h"
#include "parley/platform/status.h"

namespace parley::relay {

// Calls on_event from its own thread when another process committed to a vault:
// kind kChanges (new changes, newest relay seq) or kMembership (list replaced); and
// kResync (vault empty) after the feed reconnected (notifications may have been missed).
struct FeedEvent {
  enum Kind { kChanges, kMembership, kResync } kind;
  crypto::Bytes vault;
  std::uint64_t seq;
};

class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;  // destructor stops and joins
};

// Connects to `uri` (as OpenPostgresRelayStorage) and LISTENs. Code::kUnavailable when the
// first connection fails; later losses are retried with backoff (1 s doubling to 30 s),
// each reconnection followed by one kResync event. Notifications of its own storage
// objects are delivered too (the receiver ignores what it already knows).
Result<std::unique_ptr<ChangeFeed>> OpenPostgresChangeFeed(
    const std::string& uri, std::function<void(const FeedEvent&)> on_event);

}  // namespace parley::relay
