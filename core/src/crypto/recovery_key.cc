#include "parley/core/recovery_key.h"

#include <array>
#include <cstdint>

namespace parley::recovery {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::string_view kCheckLabel = "parley/recovery-key-check/v1";
constexpr std::string_view kRootLabel = "parley/recovery-root/v1";
constexpr char kKdfContext[] = "recovery";  // crypto::DeriveKey takes exactly 8 characters
constexpr std::size_t kDataChars = 32;      // 20 bytes = 160 bits = 32 x 5 bits
constexpr std::size_t kCheckChars = kTextChars - kDataChars;

enum Subkey : std::uint64_t { kIdentity = 1, kKx = 2, kSeal = 3, kEnrol = 4, kBackup = 5 };

Status Invalid(const std::string& why) {
  return Status(Domain::kCrypto, Code::kInvalidArgument, "recovery key: " + why);
}

// The 5-bit value of a character, or -1.
int Decode(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'O') c = '0';
  if (c == 'I' || c == 'L') c = '1';
  const auto pos = kAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

// Check value: the first 20 bits of BLAKE2b-256(label || secret), as 4 characters.
std::array<char, kCheckChars> Check(crypto::ByteView secret) {
  crypto::Hasher h(crypto::kHashSize);
  crypto::Hash digest;
  h.Update(kCheckLabel).Update(secret).Final(digest);
  const std::uint32_t bits =
      (std::uint32_t{digest[0]} << 12) | (std::uint32_t{digest[1]} << 4) | (digest[2] >> 4);
  std::array<char, kCheckChars> out{};
  for (std::size_t i = 0; i < kCheckChars; ++i) {
    out[i] = kAlphabet[(bits >> (5 * (kCheckChars - 1 - i))) & 31];
  }
  return out;
}

}  // namespace

RecoveryKey RecoveryKey::Generate() {
  return RecoveryKey(crypto::SecretBytes::Random(kSecretSize));
}

Result<RecoveryKey> RecoveryKey::FromSecret(crypto::ByteView secret) {
  if (secret.size() != kSecretSize) return Invalid("the secret must be 20 bytes");
  return RecoveryKey(crypto::SecretBytes::Copy(secret));
}

Result<RecoveryKey> RecoveryKey::Parse(std::string_view text) {
  std::array<std::uint8_t, kTextChars> values{};
  std::size_t n = 0;
  for (char c : text) {
    if (c == '-' || c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    const int v = Decode(c);
    if (v < 0) {
      const bool printable = c > ' ' && c < 127;
      return Invalid(printable
                         ? std::string("'") + c +
                               "' is not one of its characters (0-9 and A-Z without I, L, O, U)"
                         : std::string("it holds a character that is not one of its characters"));
    }
    if (n == kTextChars) return Invalid("it has more than 36 characters (9 groups of 4)");
    values[n++] = static_cast<std::uint8_t>(v);
  }
  if (n != kTextChars) {
    return Invalid("it has 36 characters (9 groups of 4); this has " + std::to_string(n));
  }
  crypto::SecretBytes secret(kSecretSize);
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t out = 0;
  for (std::size_t i = 0; i < kDataChars; ++i) {
    acc = (acc << 5) | values[i];
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      secret.data()[out++] = static_cast<std::uint8_t>(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  const auto check = Check(secret.view());
  for (std::size_t i = 0; i < kCheckChars; ++i) {
    if (kAlphabet[values[kDataChars + i]] != check[i]) {
      return Invalid("it is mistyped (its last group does not match the rest); check every group");
    }
  }
  return RecoveryKey(std::move(secret));
}

std::string RecoveryKey::Text() const {
  std::string chars;
  chars.reserve(kTextChars);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < secret_.size(); ++i) {
    acc = (acc << 8) | secret_.data()[i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      chars.push_back(kAlphabet[(acc >> bits) & 31]);
    }
    acc &= (1u << bits) - 1;
  }
  for (char c : Check(secret_.view())) chars.push_back(c);
  std::string out;
  for (std::size_t i = 0; i < chars.size(); ++i) {
    if (i > 0 && i % kGroupChars == 0) out.push_back('-');
    out.push_back(chars[i]);
  }
  return out;
}

crypto::SecretBytes RecoveryKey::Derive(std::uint64_t id, std::size_t size) const {
  crypto::SecretBytes root(crypto::kHashSize);
  crypto::Hasher h(crypto::kHashSize, secret_.view());
  h.Update(kRootLabel).Final(root.span());
  return crypto::DeriveKey(root, id, kKdfContext, size);
}

crypto::SignKeyPair RecoveryKey::Identity() const {
  return crypto::SignKeyPairFromSeed(Derive(kIdentity, crypto::kSignSeedSize).view());
}
crypto::DhKeyPair RecoveryKey::Kx() const {
  return crypto::DhKeyPairFromSecret(Derive(kKx, crypto::kDhSize).view());
}
crypto::DhKeyPair RecoveryKey::Seal() const {
  return crypto::DhKeyPairFromSecret(Derive(kSeal, crypto::kDhSize).view());
}
crypto::SecretBytes RecoveryKey::EnrolSecret() const { return Derive(kEnrol, 16); }
crypto::SecretBytes RecoveryKey::BackupKey() const { return Derive(kBackup, 32); }

}  // namespace parley::recovery
