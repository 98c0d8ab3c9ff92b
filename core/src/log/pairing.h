// Device pairing codes: how a new device shows its public keys to an admin device.
// Built on parley/core/checked_code.h.
//
//   "parley-device:" + base32(payload || checksum)
//   payload  = 0x01 (version) || identity key (32) || X25519 key (32) || name (UTF-8, <= 64)
//   checksum = first 5 bytes of BLAKE2b-256("parley/pairing/v1" || payload)
// Base32 is RFC 4648's alphabet in lower case without padding; decoding ignores case,
// spaces, dashes and line breaks, so a code survives being read aloud, retyped or wrapped
// by a messaging app. A typo fails the checksum and is reported as such.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "parley/core/crypto.h"

namespace parley::log {

inline constexpr std::string_view kPairingPrefix = "parley-device:";
inline constexpr std::size_t kMaxDeviceNameSize = 64;

struct PairingInfo {
  crypto::Bytes identity;  // Ed25519 public key
  crypto::Bytes kx;        // X25519 public key
  std::string name;
};

// The name is cut to kMaxDeviceNameSize bytes.
std::string EncodePairingCode(const PairingInfo& info);
// Code::kInvalidArgument with a message saying what is wrong (prefix, characters, length,
// checksum: "mistyped?").
Result<PairingInfo> DecodePairingCode(std::string_view code);

}  // namespace parley::log
