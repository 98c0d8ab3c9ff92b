// Padding of a change body before encryption, so that a relay (which sees every change's
// size) learns only a size bucket (docs/change-format.md, "Padding").
//
//   plaintext = serialized ChangeBody || 0x80 || 0x00 ... (ISO/IEC 7816-4)
//   len(plaintext) = PaddedBodySize(len(serialized ChangeBody))
//                  = max(kMinPaddedBody, Padme(len + 1))
// Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication
// with PURBs", 2019) rounds a length L with E = floor(log2 L) to a multiple of
// 2^(E - floor(log2 E) - 1): at most 1/16 more for bodies of 256 bytes or more.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "parley/platform/status.h"

namespace parley::log {

// Every padded body is at least this long: small changes (a status, a short note) all look
// alike.
inline constexpr std::size_t kMinPaddedBody = 256;

// Padmé of `n` (n itself for n < 4).
std::uint64_t Padme(std::uint64_t n);
// The padded size of a serialized body of `body_size` bytes (always > body_size).
std::uint64_t PaddedBodySize(std::uint64_t body_size);

// `buf` holds the serialized body in its first `body_size` bytes and is exactly
// PaddedBodySize(body_size) long: writes the padding after the body.
// REQUIRES: buf.size() == PaddedBodySize(body_size).
void PadBody(std::span<std::uint8_t> buf, std::size_t body_size);
// The length of the body inside a padded plaintext. Code::kCorrupt when the padding is
// malformed (no 0x80 marker followed by zeros only) or the plaintext's length is not
// PaddedBodySize of the body's.
Result<std::size_t> UnpaddedBodySize(std::span<const std::uint8_t> plain);

}  // namespace parley::log
