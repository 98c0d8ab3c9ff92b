#include "parley/core/passphrase_policy.h"

#include <zxcvbn.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "parley/core/crypto.h"

namespace parley::store {
namespace {

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;  // not a continuation byte
  }
  return n;
}

std::string Bits(double bits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", std::floor(bits));
  return buf;
}

}  // namespace

PassphraseEstimate EstimatePassphrase(std::string_view passphrase, const PassphrasePolicy& policy) {
  PassphraseEstimate e;
  e.characters = CodePoints(passphrase);
  if (passphrase.empty() || !crypto::InitCrypto().ok()) return e;  // locked memory needs libsodium
  // zxcvbn reads a NUL-terminated string: a copy in locked memory, zeroed on free. A NUL
  // inside the passphrase ends the part that is estimated (the rest counts for nothing).
  crypto::SecretBytes copy(passphrase.size() + 1);
  for (std::size_t i = 0; i < passphrase.size(); ++i)
    copy.data()[i] = static_cast<std::uint8_t>(passphrase[i]);
  copy.data()[passphrase.size()] = 0;
  e.entropy_bits = ZxcvbnMatch(reinterpret_cast<const char*>(copy.data()), nullptr, nullptr);
  if (!(e.entropy_bits >= 0)) e.entropy_bits = 0;
  e.acceptable = e.characters >= policy.min_chars && e.entropy_bits >= policy.min_bits;
  return e;
}

Status CheckPassphraseStrength(std::string_view passphrase, const PassphrasePolicy& policy) {
  const PassphraseEstimate e = EstimatePassphrase(passphrase, policy);
  if (e.acceptable) return Status::Ok();
  const std::string name(policy.name);
  return Status(Domain::kStore, Code::kInvalidArgument,
                name + " too weak: " + std::to_string(e.characters) + " characters, about " +
                    Bits(e.entropy_bits) + " bits of estimated entropy; a " + name +
                    " needs at least " + std::to_string(policy.min_chars) + " characters and " +
                    Bits(policy.min_bits) +
                    " bits (several unrelated words work well, e.g. four random dictionary words)");
}

}  // namespace parley::store
