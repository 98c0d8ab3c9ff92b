// Small wrappers over libsodium: the only place in Parley that calls it.
//
// Every function is thread-safe once InitCrypto() has returned OK (call it once at start;
// it is idempotent). Failures are Status values in Domain::kCrypto; an authentication
// failure is Code::kCorrupt ("tampered or corrupt"). No function logs.
//
// Secret material lives in SecretBytes: guarded, mlock()ed memory from sodium_malloc that is
// zeroed and unlocked when destroyed or Wipe()d.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "parley/platform/status.h"

namespace parley::crypto {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Status InitCrypto();

// Overwrites `size` bytes at `data` with zeros in a way the compiler cannot remove
// (sodium_memzero): for plaintext or secrets held in ordinary buffers (std::string, vectors)
// before they are freed. Any thread; `data` may be null when `size` is 0.
void Zero(void* data, std::size_t size) noexcept;

// Locked, zero-on-free memory for keys. Move-only. A default-constructed or wiped
// SecretBytes is empty.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size);  // zero-filled; aborts if memory cannot be had
  static SecretBytes Copy(ByteView bytes);
  static SecretBytes Random(std::size_t size);
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  ByteView view() const { return {data_, size_}; }
  std::span<std::uint8_t> span() { return {data_, size_}; }
  // Zeroes and releases the memory now.
  void Wipe();

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

void RandomBytes(std::span<std::uint8_t> out);
Bytes RandomBytes(std::size_t n);
// Constant-time comparison of equal-length buffers (false when lengths differ).
bool ConstantTimeEqual(ByteView a, ByteView b);
std::string ToHex(ByteView bytes);
// Parses lowercase or uppercase hex. Code::kInvalidArgument on odd length or bad digit.
Result<Bytes> FromHex(std::string_view hex);

// ---- Hashing (BLAKE2b) ----
inline constexpr std::size_t kHashSize = 32;
using Hash = std::array<std::uint8_t, kHashSize>;
// BLAKE2b-256, optionally keyed (key 16..64 bytes, or empty).
Hash Blake2b256(ByteView data, ByteView key = {});
// Incremental BLAKE2b with any output length 16..64.
class Hasher {
 public:
  explicit Hasher(std::size_t out_len = kHashSize, ByteView key = {});
  Hasher& Update(ByteView data);
  Hasher& Update(std::string_view s) { return Update(AsBytes(s)); }
  Hasher& UpdateU64(std::uint64_t v);  // little-endian
  void Final(std::span<std::uint8_t> out);
  Hash Final256();

 private:
  alignas(64) std::uint8_t state_[384];
  std::size_t out_len_;
};

// ---- AEAD: XChaCha20-Poly1305 (IETF) ----
inline constexpr std::size_t kAeadKeySize = 32;
inline constexpr std::size_t kXNonceSize = 24;
inline constexpr std::size_t kAeadTagSize = 16;

// Combined mode: returns ciphertext || tag.
// REQUIRES: key is kAeadKeySize and nonce kXNonceSize bytes; other sizes are a programming
// error and abort (the Open calls return kInvalidArgument instead).
Bytes XChaChaSeal(ByteView key, ByteView nonce, ByteView plaintext, ByteView ad);
// Code::kCorrupt when authentication fails; kInvalidArgument on bad key/nonce sizes.
Result<Bytes> XChaChaOpen(ByteView key, ByteView nonce, ByteView ciphertext_and_tag, ByteView ad);
// Detached, in place: `buf` is encrypted in place and the tag written to `tag`.
Status XChaChaSealInPlace(ByteView key, ByteView nonce, std::span<std::uint8_t> buf, ByteView ad,
                          std::span<std::uint8_t> tag);
// Detached, in place; Code::kCorrupt if the tag does not verify (buf is then unspecified).
Status XChaChaOpenInPlace(ByteView key, ByteView nonce, std::span<std::uint8_t> buf, ByteView ad,
                          ByteView tag);

// ---- AEAD: ChaCha20-Poly1305 (IETF, 12-byte nonce), used by the Noise layer ----
inline constexpr std::size_t kChaChaNonceSize = 12;
// REQUIRES: key is kAeadKeySize and nonce kChaChaNonceSize bytes (aborts otherwise).
Bytes ChaChaSeal(ByteView key, ByteView nonce, ByteView plaintext, ByteView ad);
Result<Bytes> ChaChaOpen(ByteView key, ByteView nonce, ByteView ciphertext_and_tag, ByteView ad);

// ---- Signatures: Ed25519 ----
inline constexpr std::size_t kSignPublicKeySize = 32;
inline constexpr std::size_t kSignSecretKeySize = 64;  // libsodium's seed||pk form
inline constexpr std::size_t kSignSeedSize = 32;
inline constexpr std::size_t kSignatureSize = 64;

struct SignKeyPair {
  Bytes public_key;        // 32 bytes
  SecretBytes secret_key;  // 64 bytes
};
SignKeyPair SignKeyPairFromSeed(ByteView seed32);
SignKeyPair NewSignKeyPair();
Bytes Sign(const SecretBytes& secret_key, ByteView message);
// Code::kCorrupt when the signature does not verify (or sizes are wrong).
Status Verify(ByteView public_key, ByteView message, ByteView signature);

// ---- Key exchange: X25519 ----
inline constexpr std::size_t kDhSize = 32;
struct DhKeyPair {
  Bytes public_key;        // 32 bytes
  SecretBytes secret_key;  // 32 bytes
};
DhKeyPair NewDhKeyPair();
DhKeyPair DhKeyPairFromSecret(ByteView secret32);
// X25519(secret, public). Code::kCorrupt when the result is all zeros (low-order point).
Result<SecretBytes> Dh(const SecretBytes& secret, ByteView public_key);

// ---- Sealed boxes (anonymous encryption to an X25519 public key) ----
Bytes SealTo(ByteView recipient_public, ByteView plaintext);
// REQUIRES (SealTo): recipient_public is kDhSize bytes (aborts otherwise).
// OpenSealed: Code::kCorrupt when the box does not open; kInvalidArgument when `recipient`
// does not hold X25519 keys.
Result<Bytes> OpenSealed(const DhKeyPair& recipient, ByteView sealed);

// ---- Passphrase key derivation: Argon2id ----
struct Argon2Params {
  std::uint64_t ops_limit = 0;  // iterations
  std::uint64_t mem_limit = 0;  // bytes
};
// The default parameters (tuned for ~0.5 s on a 2020s laptop core) and the floor below
// which stored parameters are refused as a downgrade.
Argon2Params DefaultArgon2Params();
Argon2Params MinimumArgon2Params();
inline constexpr std::size_t kArgon2SaltSize = 16;
// Derives `out_len` bytes. Code::kInvalidArgument when params are below the floor or the
// salt size is wrong; Code::kInternal if memory could not be had.
Result<SecretBytes> Argon2id(std::string_view passphrase, ByteView salt, const Argon2Params& params,
                             std::size_t out_len = 32);

// ---- Key derivation from a key: BLAKE2b-based KDF (libsodium crypto_kdf) ----
// `context` is exactly 8 characters.
SecretBytes DeriveKey(const SecretBytes& master, std::uint64_t subkey_id, std::string_view context,
                      std::size_t out_len = 32);

}  // namespace parley::crypto
