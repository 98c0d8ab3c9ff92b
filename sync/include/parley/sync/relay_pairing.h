// Relay pairing codes: how a device learns a relay's address and pins its static key.
//
//   "parley-relay:" + base32(payload || checksum)
//   payload  = 0x01 (version) || relay X25519 static public key (32) || address hint
//              (UTF-8 "host:port", 0..255 bytes; may be empty)
//   checksum = first 5 bytes of BLAKE2b-256("parley/relay-pairing/v1" || payload)
// Base32 is RFC 4648's alphabet in lower case without padding; decoding ignores case,
// spaces, dashes and line breaks, so a code survives being retyped or wrapped. A typo
// fails the checksum.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "parley/core/crypto.h"

namespace parley::wire {

inline constexpr std::string_view kRelayPairingPrefix = "parley-relay:";
inline constexpr std::size_t kMaxRelayAddressSize = 255;

struct RelayPairing {
  crypto::Bytes public_key;  // 32 bytes
  std::string address;       // "host:port" hint, possibly empty
};

// The address is cut to kMaxRelayAddressSize bytes.
std::string EncodeRelayPairingCode(const RelayPairing& pairing);
// Code::kInvalidArgument naming what is wrong (prefix, characters, length, checksum).
Result<RelayPairing> DecodeRelayPairingCode(std::string_view code);

}  // namespace parley::wire
