// Limits that the sync client and the relay must agree on, defined once here
// (docs/wire-protocol.md lists them). Relay-only tuning lives in the relay's own tuning header.
#pragma once

#include <cstddef>

namespace parley::wire {

// The largest sealed key envelope a relay stores (PutEnvelope.sealed). A client checks an
// invite against it before sending, so a too-large invite is refused on the admin device.
inline constexpr std::size_t kMaxEnvelopeBytes = 4096;

}  // namespace parley::wire
