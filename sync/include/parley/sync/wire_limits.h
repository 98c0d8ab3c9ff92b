// Limits that the sync client and the relay must agree on, defined once here
// (docs/wire-protocol.md lists them). Relay-only tuning lives in the relay's own tuning header
// (parley/relay/tuning.h).
#pragma once

#include <cstddef>

#include "parley/sync/frame_codec.h"

namespace parley::wire {

// The largest sealed key envelope a relay stores (PutEnvelope.sealed). A client checks an
// invite against it before sending, so a too-large invite is refused on the admin device.
inline constexpr std::size_t kMaxEnvelopeBytes = 4096;

// The largest serialized Change a Push may carry whole (in Push.changes): small enough that
// any change stored whole fits alone in a PullBatch frame with that frame's own fields
// (65,263 bytes). A client sends anything larger in parts (change_parts.h), which the relay
// accepts up to its Welcome.max_change_bytes.
inline constexpr std::size_t kMaxWholeChangeBytes = kMaxWireMessage - kNoiseTagSize - 256;

}  // namespace parley::wire
