// Device pairing codes: how a new device shows its public keys (and, from version 2, its
// one-time enrolment secret) to an admin device. Built on parley/core/checked_code.h.
//
//   "parley-device:" + base32(payload || checksum)
//   v1 payload = 0x01 || identity key (32) || X25519 kx key (32) || name (UTF-8, <= 64)
//   v2 payload = 0x02 || identity key (32) || X25519 kx key (32) || X25519 seal key (32)
//                || seal certificate (64) || enrolment secret (16) || name (UTF-8, <= 64)
//   checksum   = first 5 bytes of BLAKE2b-256("parley/pairing/v1" || payload)
// The seal certificate is Ed25519(identity, "parley/seal-cert/v1" || seal key) and is checked
// when a v2 code is decoded (docs/enrolment.md). Base32 is RFC 4648's alphabet in lower case
// without padding; decoding ignores case, spaces, dashes and line breaks, so a code survives
// being read aloud, retyped or wrapped by a messaging app. A typo fails the checksum and is
// reported as such. A v1 code still decodes (version 1, no seal key, no secret): it can be
// read but no longer enrolls a device.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "parley/core/crypto.h"

namespace parley::log {

inline constexpr std::string_view kPairingPrefix = "parley-device:";
inline constexpr std::size_t kMaxDeviceNameSize = 64;
inline constexpr std::uint8_t kPairingVersion = 2;

struct PairingInfo {
  std::uint8_t version = kPairingVersion;
  crypto::Bytes identity;   // Ed25519 public key
  crypto::Bytes kx;         // X25519 public key (Noise handshakes)
  crypto::Bytes seal;       // X25519 public key (sealed invites and keys); v2
  crypto::Bytes seal_cert;  // 64 bytes; v2
  crypto::Bytes secret;     // one-time enrolment secret (16 bytes); v2. Secret: scrub after use.
  std::string name;
};

// Encodes a v2 code (info.version is ignored). The name is cut to kMaxDeviceNameSize bytes.
std::string EncodePairingCode(const PairingInfo& info);
// Code::kInvalidArgument with a message saying what is wrong (prefix, characters, length,
// checksum: "mistyped?", an unknown version, a seal certificate that does not verify).
Result<PairingInfo> DecodePairingCode(std::string_view code);

}  // namespace parley::log
