#include "parley/sync/relay_pairing.h"

#include "parley/core/checked_code.h"

#include <algorithm>

namespace parley::wire {
namespace {

constexpr std::string_view kChecksumLabel = "parley/relay-pairing/v1";
constexpr std::uint8_t kVersion = 1;

Status Bad(const std::string& msg) {
  return Error(Domain::kSync, Code::kInvalidArgument, "relay pairing code: " + msg);
}

}  // namespace

std::string EncodeRelayPairingCode(const RelayPairing& p) {
  crypto::Bytes payload{kVersion};
  payload.insert(payload.end(), p.public_key.begin(), p.public_key.end());
  const std::size_t n = std::min(p.address.size(), kMaxRelayAddressSize);
  payload.insert(payload.end(), p.address.begin(),
                 p.address.begin() + static_cast<std::ptrdiff_t>(n));
  return EncodeCheckedCode(kRelayPairingPrefix, kChecksumLabel, payload);
}

Result<RelayPairing> DecodeRelayPairingCode(std::string_view code) {
  PARLEY_ASSIGN_OR_RETURN(crypto::Bytes payload,
                          DecodeCheckedCode(code, kRelayPairingPrefix, kChecksumLabel,
                                            "relay pairing code", Domain::kSync));
  if (payload.size() < 1 + crypto::kDhSize) return Bad("too short (cut off?)");
  if (payload.size() > 1 + crypto::kDhSize + kMaxRelayAddressSize) return Bad("too long");
  if (payload[0] != kVersion) return Bad("unknown version");
  RelayPairing p;
  p.public_key.assign(payload.begin() + 1, payload.begin() + 1 + crypto::kDhSize);
  p.address.assign(payload.begin() + 1 + crypto::kDhSize, payload.end());
  return p;
}

}  // namespace parley::wire
