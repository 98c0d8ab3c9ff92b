// The passphrase strength floor (docs/passphrase-policy.md), one rule with a policy per
// kind of passphrase.
//
// A new device passphrase (Device::Create, Store::ChangePassphrase,
// Device::ChangePassphrase) must have at least kMinPassphraseChars characters AND an
// estimated entropy of at least kMinPassphraseBits bits (kDevicePassphrase). A backup
// passphrase (Device::Backup) meets the same entropy floor with at least 12 characters
// (kBackupPassphrase). The estimate is zxcvbn's (zxcvbn-c, ZxcvbnMatch): the log2 of the
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

// The floors one kind of passphrase must meet, and its name in messages.
struct PassphrasePolicy {
  std::string_view name;  // "passphrase", "backup passphrase"
  std::size_t min_chars = kMinPassphraseChars;
  double min_bits = kMinPassphraseBits;
};
// The device passphrase (the store's): 10 characters, 40 bits.
inline constexpr PassphrasePolicy kDevicePassphrase{"passphrase", kMinPassphraseChars,
                                                    kMinPassphraseBits};
// A backup passphrase: 12 characters, 40 bits. A backup file leaves the device and has no
// key-store secret beside it: its passphrase is all that protects it.
inline constexpr PassphrasePolicy kBackupPassphrase{"backup passphrase", 12, kMinPassphraseBits};

struct PassphraseEstimate {
  std::size_t characters = 0;  // Unicode code points (UTF-8), not bytes
  double entropy_bits = 0;     // zxcvbn's estimate, log2 of the guesses needed
  bool acceptable = false;     // both floors of the policy met
};

// For a strength meter: the estimate of `passphrase`, whatever it is, against `policy`.
PassphraseEstimate EstimatePassphrase(std::string_view passphrase,
                                      const PassphrasePolicy& policy = kDevicePassphrase);

// OK when `passphrase` meets the floors of `policy`; otherwise Code::kInvalidArgument with
// a message that names the policy and gives the length, the estimate and the floors, e.g.
// "passphrase too weak: 11 characters, about 3 bits of estimated entropy; a passphrase needs
// at least 10 characters and 40 bits (several unrelated words work well, ...)".
// Domain::kStore.
Status CheckPassphraseStrength(std::string_view passphrase,
                               const PassphrasePolicy& policy = kDevicePassphrase);

}  // namespace parley::store
