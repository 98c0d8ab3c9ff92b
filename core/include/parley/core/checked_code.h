// Copy-paste-safe text codes: "<prefix>" + base32 (RFC 4648 alphabet, lowercase, no padding)
// of a payload followed by a 5-byte BLAKE2b checksum under a per-kind label. Used for
// device and relay pairing codes. Decoding ignores case, spaces, dashes and line breaks,
// accepts canonical encodings only, and detects any single mistyped character.
//
// Failures: Code::kInvalidArgument with a message fit for a person (wrong prefix, bad
// character, wrong length, checksum mismatch), in the given domain.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "parley/core/crypto.h"

namespace parley {

std::string Base32Encode(crypto::ByteView data);
Result<crypto::Bytes> Base32Decode(std::string_view text, Domain domain);

// prefix + base32(payload || checksum(label, payload)[0..5)).
std::string EncodeCheckedCode(std::string_view prefix, std::string_view label,
                              crypto::ByteView payload);
// The payload of a code made by EncodeCheckedCode with the same prefix and label.
// `what` names the code in error messages ("pairing code", "relay pairing code").
Result<crypto::Bytes> DecodeCheckedCode(std::string_view code, std::string_view prefix,
                                        std::string_view label, std::string_view what,
                                        Domain domain);

}  // namespace parley
