// The key file: encoding, integrity checks and the two key wraps of the key hierarchy.
//
// On disk, format 2 (written by this version):
//   "PRLYKEY2" || KeyFile (keys.proto) || MAC || checksum
//   MAC         = BLAKE2b-256(key = BLAKE2b-256(key = key-store secret, "parley key file mac v2"),
//                             "PRLYKEY2" || KeyFile)
//   checksum    = BLAKE2b-256("PRLYKEY2" || KeyFile || MAC), unkeyed: catches accidents
//                 before the key store is asked
//   The MAC covers every byte before it (magic, format, every field, unknown fields too) and
//   is checked before Argon2id runs: any change reads as Code::kCorrupt, never as a wrong
//   passphrase (a changed store id names another key-store entry: kMissingSecret).
// Format 1 (read, and rewritten as format 2 by the first successful unlock):
//   "PRLYKEY1" || KeyFile || BLAKE2b-256(everything before), unkeyed
//   header_mac = BLAKE2b-256(key = BLAKE2b-256(key = key-store secret, "parley key file mac"),
//                            HeaderAd)   (covers fields 1-5 only)
// Both formats:
//   header      = format, store id, Argon2id params, salt (bound to both wraps as `HeaderAd`)
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
// The key file format written by this version; format 1 is still read (kKeyFileFormatV1).
inline constexpr std::uint32_t kKeyFileFormat = 2;
inline constexpr std::uint32_t kKeyFileFormatV1 = 1;
// KeyBundle.format written by this version; format 1 (the field absent) has no sealing key
// and no enrolment secret, and is upgraded by Store::Open.
inline constexpr std::uint32_t kKeyBundleFormat = 2;

// The non-secret, authenticated part of the key file.
struct KeyFileHeader {
  std::uint32_t format = kKeyFileFormat;
  crypto::Bytes store_id;  // kStoreIdSize bytes
  crypto::Argon2Params argon2;
  crypto::Bytes salt;  // crypto::kArgon2SaltSize bytes
};

// A parsed key file (nothing in it is secret).
struct KeyFileData {
  KeyFileHeader header;
  crypto::Bytes header_mac;      // format 1 only
  std::uint32_t wipe_after = 0;  // format 2: failed unlocks before the store wipes itself; 0: never
  crypto::Bytes master_nonce;
  crypto::Bytes wrapped_master;
  crypto::Bytes bundle_nonce;
  crypto::Bytes wrapped_bundle;
  // As read by ParseKeyFile, format 2: the bytes the MAC covers and the MAC.
  crypto::Bytes authenticated;
  crypto::Bytes mac;
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

// Checks magic, protobuf shape and field sizes (and, for format 1, the unkeyed checksum).
// Code::kCorrupt on any failure. Nothing is authenticated yet: see VerifyKeyFile.
Result<KeyFileData> ParseKeyFile(crypto::ByteView file);
// Format 2 (data.header.format must be kKeyFileFormat), MACed with the key-store secret.
crypto::Bytes EncodeKeyFile(const KeyFileData& data, const crypto::SecretBytes& key_store_secret);
// The legacy format 1 layout (data.header.format 1, header_mac filled by WrapMaster). Only
// tests write it, to check that such a file still opens and is upgraded.
crypto::Bytes EncodeKeyFileV1(const KeyFileData& data);

// Format 2: verifies the MAC over the whole file; format 1: header_mac. Then the Argon2id
// parameter floor. Code::kCorrupt ("tampered or corrupt"; or a key-store secret of another
// store).
Status VerifyKeyFile(const KeyFileData& data, const crypto::SecretBytes& key_store_secret);

// KEK = BLAKE2b-256(key = key-store secret, Argon2id(passphrase, salt, params)).
Result<crypto::SecretBytes> DeriveKek(std::string_view passphrase, const KeyFileHeader& header,
                                      const crypto::SecretBytes& key_store_secret);

// Code::kWrongPassphrase when the wrapped master key does not open under `kek`.
Result<crypto::SecretBytes> UnwrapMaster(const KeyFileData& data, const crypto::SecretBytes& kek);
// Code::kCorrupt when the bundle does not open or does not parse. A format 1 bundle comes
// back with bundle_format 1 and no sealing key or enrolment secret.
Result<KeyMaterial> UnwrapBundle(const KeyFileData& data, const crypto::SecretBytes& master);

// Fills master_nonce and wrapped_master of `data` (header already set), and header_mac when
// the header is of format 1.
void WrapMaster(KeyFileData& data, const crypto::SecretBytes& key_store_secret,
                const crypto::SecretBytes& kek, const crypto::SecretBytes& master);
// Fills bundle_nonce and wrapped_bundle with `material` sealed under `master`.
void WrapBundle(KeyFileData& data, const crypto::SecretBytes& master, const KeyMaterial& material);

}  // namespace parley::store::internal
