// The key file: encoding, integrity checks and the two key wraps of the key hierarchy.
//
// On disk: "PRLYKEY1" || KeyFile (keys.proto) || BLAKE2b-256(everything before).
//   header      = format, store id, Argon2id params, salt (authenticated as `HeaderAd`)
//   header_mac  = BLAKE2b-256(key = BLAKE2b-256(key = key-store secret, "parley key file mac"),
//                             HeaderAd)
//   KEK         = BLAKE2b-256(key = key-store secret, Argon2id(passphrase, salt, params))
//   master key  = XChaCha20-Poly1305-open(KEK, master_nonce, wrapped_master, ad = HeaderAd)
//   bundle      = XChaCha20-Poly1305-open(master, bundle_nonce, wrapped_bundle, ad = HeaderAd)
// Failure codes: a bad checksum, magic, size, MAC or parameter floor is Code::kCorrupt; a
// master key that does not unwrap under an authentic header is Code::kWrongPassphrase.
// Internal to the store; not part of the public API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "parley/core/crypto.h"
#include "parley/core/store.h"

namespace parley::store::internal {

inline constexpr char kKeyFileName[] = "keys";
inline constexpr std::size_t kStoreIdSize = 16;
inline constexpr std::uint32_t kKeyFileFormat = 1;
// KeyBundle.format written by this version; format 1 (the field absent) has no sealing key
// and no enrolment secret, and is upgraded by Store::Open.
inline constexpr std::uint32_t kKeyBundleFormat = 2;

// The non-secret, authenticated part of the key file.
struct KeyFileHeader {
  std::uint32_t format = kKeyFileFormat;
  crypto::Bytes store_id;  // kStoreIdSize bytes
  crypto::Argon2Params argon2;
  crypto::Bytes salt;      // crypto::kArgon2SaltSize bytes
};

// A parsed key file (nothing in it is secret).
struct KeyFileData {
  KeyFileHeader header;
  crypto::Bytes header_mac;
  crypto::Bytes master_nonce;
  crypto::Bytes wrapped_master;
  crypto::Bytes bundle_nonce;
  crypto::Bytes wrapped_bundle;
};

// The secrets wrapped by the master key.
struct KeyMaterial {
  crypto::SecretBytes database_key;  // 32 bytes
  DeviceKeys device;
  std::optional<VaultKeys> vault;
  std::uint32_t bundle_format = kKeyBundleFormat;  // as read; WrapBundle writes kKeyBundleFormat
};

// Overwrites `n` bytes at `p` with zeros in a way the compiler may not elide.
void Scrub(void* p, std::size_t n);

// "parley-<store id as lowercase hex>": the key-store entry of the store.
std::string KeyStoreName(crypto::ByteView store_id);

// Checks magic, checksum, protobuf shape and field sizes. Code::kCorrupt on any failure.
Result<KeyFileData> ParseKeyFile(crypto::ByteView file);
crypto::Bytes EncodeKeyFile(const KeyFileData& data);

// Verifies header_mac with the key-store secret and the parameter floor. Code::kCorrupt.
Status VerifyHeader(const KeyFileData& data, const crypto::SecretBytes& key_store_secret);

// KEK = BLAKE2b-256(key = key-store secret, Argon2id(passphrase, salt, params)).
Result<crypto::SecretBytes> DeriveKek(std::string_view passphrase, const KeyFileHeader& header,
                                      const crypto::SecretBytes& key_store_secret);

// Code::kWrongPassphrase when the wrapped master key does not open under `kek`.
Result<crypto::SecretBytes> UnwrapMaster(const KeyFileData& data, const crypto::SecretBytes& kek);
// Code::kCorrupt when the bundle does not open or does not parse. A format 1 bundle comes
// back with bundle_format 1 and no sealing key or enrolment secret.
Result<KeyMaterial> UnwrapBundle(const KeyFileData& data, const crypto::SecretBytes& master);

// Fills header_mac, master_nonce and wrapped_master of `data` (header already set).
void WrapMaster(KeyFileData& data, const crypto::SecretBytes& key_store_secret,
                const crypto::SecretBytes& kek, const crypto::SecretBytes& master);
// Fills bundle_nonce and wrapped_bundle with `material` sealed under `master`.
void WrapBundle(KeyFileData& data, const crypto::SecretBytes& master, const KeyMaterial& material);

}  // namespace parley::store::internal
