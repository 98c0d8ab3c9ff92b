// Record keys (docs/change-format.md, "Record keys" and "Purge").
//
// A record's data key (32 random bytes) is made by the device that writes the record's
// originating CreateRecord. It travels in a key slot of the change (Change.key_slots), which
// is outside the change's id and signature so that a purge can drop it; the create commits
// to the slot by its hash (CreateRecord.key_slot). Every SetField value of the record is
// sealed under the record key.
//
//   slot  = nonce (24) || XChaCha20-Poly1305(epoch key of the change, record key,
//                                            ad = "parley/record-key/v1" || record id)
//   hash  = BLAKE2b-256(slot)
//   value = nonce (24) || XChaCha20-Poly1305(record key, plaintext,
//                                            ad = "parley/record-value/v1" || record id || field)
// Thread safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "parley/core/crypto.h"
#include "parley/core/replica.h"

namespace parley::log {

// A record key (32 bytes) in an ordinary buffer, zeroed when destroyed. Record keys are read
// for every value shown, and they are stored in the (encrypted) database next to the values
// anyway; SecretBytes' guarded pages (an mmap, mprotect and munmap per key) would cost more
// than the rest of a read. Move and copy keep the size fixed; an empty one has no key.
class RecordKeyBytes {
 public:
  static constexpr std::size_t kSize = 32;
  static RecordKeyBytes Random();
  // std::nullopt unless `bytes` has kSize bytes.
  static std::optional<RecordKeyBytes> Copy(crypto::ByteView bytes);
  RecordKeyBytes(const RecordKeyBytes&) = default;
  RecordKeyBytes& operator=(const RecordKeyBytes&) = default;
  ~RecordKeyBytes() { crypto::Zero(bytes_.data(), bytes_.size()); }
  crypto::ByteView view() const { return {bytes_.data(), bytes_.size()}; }

 private:
  RecordKeyBytes() = default;
  std::array<std::uint8_t, kSize> bytes_{};
};

std::string SealKeySlot(crypto::ByteView epoch_key, const RecordId& record,
                        crypto::ByteView record_key);
// The record key in `slot`; std::nullopt when the slot has the wrong size or does not open
// (another key, another record, tampered).
std::optional<RecordKeyBytes> OpenKeySlot(crypto::ByteView epoch_key, const RecordId& record,
                                          std::string_view slot);
// BLAKE2b-256 of the slot's bytes, as CreateRecord.key_slot carries it.
std::string KeySlotHash(std::string_view slot);

std::string SealValue(crypto::ByteView record_key, const RecordId& record, std::string_view field,
                      std::string_view plaintext);
// std::nullopt when `sealed` does not open with this key for this record and field.
std::optional<std::string> OpenValue(crypto::ByteView record_key, const RecordId& record,
                                     std::string_view field, std::string_view sealed);

}  // namespace parley::log
