// The passphrase strength floor (docs/passphrase-policy.md).
//
// A new passphrase (Device::Create, Store::ChangePassphrase, Device::ChangePassphrase) must
// have at least kMinPassphraseChars characters AND an estimated entropy of at least
// kMinPassphraseBits bits. The estimate is zxcvbn's (zxcvbn-c, ZxcvbnMatch): the log2 of the
// guesses an attacker who tries dictionary words, names, keyboard walks, repeats, sequences,
// dates and l33t substitutions first would need.
// Thread safety: pure functions; any thread. Nothing here keeps or logs the passphrase.
#pragma once

#include <cstddef>
#include <string_view>

#include "parley/platform/status.h"

namespace parley::store {

inline constexpr std::size_t kMinPassphraseChars = 10;
inline constexpr double kMinPassphraseBits = 40.0;

struct PassphraseEstimate {
  std::size_t characters = 0;  // Unicode code points (UTF-8), not bytes
  double entropy_bits = 0;     // zxcvbn's estimate, log2 of the guesses needed
  bool acceptable = false;     // both floors met
};

// For a strength meter: the estimate of `passphrase`, whatever it is.
PassphraseEstimate EstimatePassphrase(std::string_view passphrase);

// OK when `passphrase` meets the floor; otherwise Code::kInvalidArgument with a message that
// gives its length and estimate and the floors, e.g. "passphrase too weak: 11 characters,
// about 3 bits of estimated entropy; a passphrase needs at least 10 characters and 40 bits
// (several unrelated words work well, ...)". Domain::kStore.
Status CheckPassphraseStrength(std::string_view passphrase);

}  // namespace parley::store
