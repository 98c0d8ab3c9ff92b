// The relay's storage, behind an interface (SQLite by default; other backends implement the
// same contract).
//
// Invariants every implementation keeps:
//   - A change is stored at most once per vault, keyed by its change id. Storing it again
//     answers the relay sequence number it already has.
//   - Each vault's relay sequence numbers start at 1, grow by one per stored change with no
//     gap, and are never reused (a purged change keeps its number; its bytes are dropped).
//   - Each (vault, author) has a chain head (author seq and link). A new change is
//     stored only if it extends the head: author seq == head seq + 1 and prev == head link,
//     or author seq == 1 and no head yet. Anything else is refused as a broken chain.
//   - A call that returns OK is durable: the relay acknowledges nothing before that.
// Everything stored is either end-to-end encrypted by devices or public (keys, signatures);
// the storage file itself is not encrypted.
//
// Thread safety: one thread at a time per object. Several objects may be opened over the
// same data (e.g. one writer and one reader thread); writes are serialized by the backend.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "parley/core/crypto.h"

namespace parley::relay {

using crypto::Bytes;
using crypto::ByteView;

struct StoredMembership {
  std::uint64_t version = 0;
  std::string list;  // serialized MembershipList, verbatim (empty for the implicit version 0)
  Bytes signer;
  Bytes signature;
};

// A vault whose current membership list revokes a device, with that list (the proof).
struct Revocation {
  Bytes vault;
  StoredMembership membership;
};

struct VaultInfo {
  Bytes creator;
  StoredMembership membership;
  std::uint64_t head_seq = 0;
};

// One verified change ready to be stored.
struct NewChange {
  Bytes vault;
  Bytes id;      // 32 bytes, recomputed by the relay
  Bytes author;  // 32 bytes
  std::uint64_t author_seq = 0;
  Bytes prev;        // header.prev: the predecessor's link; empty when author_seq == 1
  Bytes link;        // this change's link (what its successor's prev must be)
  std::string data;  // the serialized pb::Change
};

// A key slot to drop from a stored change (wire SlotRedaction).
struct SlotRedaction {
  Bytes change_id;  // 32 bytes
  Bytes slot_hash;  // 32 bytes
};

enum class InsertResult { kStored, kAlreadyHeld, kBrokenChain, kPurged, kUnknownVault };
struct InsertOutcome {
  InsertResult result = InsertResult::kStored;
  std::uint64_t relay_seq = 0;  // for kStored and kAlreadyHeld
};

// A key envelope and the vault it was stored under.
struct AddressedEnvelope {
  Bytes vault;
  Bytes sealed;
};

// The highest author seq held of one author (its chain head) in a vault.
struct AuthorHead {
  Bytes author;  // 32 bytes
  std::uint64_t seq = 0;
};

struct ChangeRow {
  std::uint64_t relay_seq = 0;
  std::string data;  // serialized pb::Change
};

// Storage-wide figures (metrics, `parley-relay info`).
struct StorageStats {
  std::uint64_t vaults = 0;
  std::uint64_t changes = 0;
  std::uint64_t stored_bytes = 0;  // change data held
  // The database's own size on disk (file + WAL, or pg_database_size).
  std::uint64_t storage_bytes = 0;
};

class RelayStorage {
 public:
  virtual ~RelayStorage() = default;

  // Registers a vault with `creator` as its only admin (membership version 0).
  // Code::kAlreadyExists when the vault is known (whoever registered it).
  virtual Status RegisterVault(ByteView vault, ByteView creator) = 0;
  // Code::kNotFound for an unknown vault.
  virtual Result<VaultInfo> GetVault(ByteView vault) = 0;
  // Replaces the membership list. Code::kConflict unless m.version == current version + 1;
  // Code::kNotFound for an unknown vault. In the same transaction, the keys the list names
  // (wire::ParseMembership: members and revoked) replace the vault's rows in the member and
  // revocation indexes read by FindRevocation and IsMemberAnywhere (a list that does not
  // parse names nobody).
  virtual Status SetMembership(ByteView vault, const StoredMembership& m) = 0;
  // A vault whose current list revokes `identity`, and that list; nullopt when none does.
  // When several do, the vault registered first.
  virtual Result<std::optional<Revocation>> FindRevocation(ByteView identity) = 0;
  // Whether `identity` is a member of some vault's current list (the creator of a vault
  // still at version 0 counts as its member).
  virtual Result<bool> IsMemberAnywhere(ByteView identity) = 0;

  // Stores a batch (changes of any vaults) in one transaction, in order; a change may
  // extend a chain head set by an earlier change of the same batch. Returns one outcome per
  // change. An error status means nothing of the batch was stored.
  virtual Result<std::vector<InsertOutcome>> InsertChanges(std::span<const NewChange> changes) = 0;
  // The vault's changes with relay_seq > after_seq, in order, skipping purged ones, until
  // `max_bytes` of data would be exceeded (the first change is returned even if larger) or
  // `max_count` rows are read. `*more` says whether stored changes remain after the last one.
  virtual Result<std::vector<ChangeRow>> ReadChanges(ByteView vault, std::uint64_t after_seq,
                                                     std::size_t max_bytes, std::size_t max_count,
                                                     bool* more) = 0;
  // The id of the change numbered `relay_seq` in `vault` (a purged change keeps its id);
  // nullopt when no change has that number. Code::kNotFound for an unknown vault.
  virtual Result<std::optional<Bytes>> ChangeIdAt(ByteView vault, std::uint64_t relay_seq) = 0;
  // Every author with changes stored in `vault` (purged ones included) and the highest seq
  // held of each, ordered by author. Reads one row per author (the chain heads), not the
  // changes. Code::kNotFound for an unknown vault.
  virtual Result<std::vector<AuthorHead>> AuthorHeads(ByteView vault) = 0;
  // The chain head of `author` in `vault`, if any: its author_seq and its link.
  virtual Result<std::optional<std::pair<std::uint64_t, Bytes>>> ChainHead(ByteView vault,
                                                                           ByteView author) = 0;

  // Key envelopes for `recipient` (idempotent: the same bytes are kept once).
  virtual Status PutEnvelope(ByteView vault, ByteView recipient, ByteView sealed) = 0;
  virtual Result<std::vector<Bytes>> GetEnvelopes(ByteView vault, ByteView recipient) = 0;
  virtual Result<std::size_t> CountEnvelopes(ByteView vault, ByteView recipient) = 0;
  // The envelopes for `recipient` in every vault, ordered by vault (in the order vaults were
  // registered), then by BLAKE2b-256 of their bytes; at most `max_count` of them.
  // `*more` says whether further envelopes for `recipient` remain after the last one.
  virtual Result<std::vector<AddressedEnvelope>> ListEnvelopesFor(ByteView recipient,
                                                                  std::size_t max_count,
                                                                  bool* more) = 0;

  // Drops the bytes of the named changes for good; they keep their relay sequence numbers
  // and ids (so a re-push is refused as kPurged). Unknown ids are ignored.
  virtual Status Purge(ByteView vault, std::span<const Bytes> change_ids) = 0;
  // Drops, from each stored change named, the key slot whose BLAKE2b-256 is `slot_hash`
  // (docs/wire-protocol.md, "Purge"): the change is rewritten without it, for good (a re-push
  // of the same change is a duplicate and stores nothing). Unknown changes and slots are
  // ignored. Returns how many slots were dropped. Code::kNotFound for an unknown vault.
  virtual Result<std::size_t> DropKeySlots(ByteView vault,
                                           std::span<const SlotRedaction> redactions) = 0;

  virtual Result<StorageStats> Stats() = 0;
};

// Opens (creating if needed) the SQLite storage at `path`: WAL, synchronous=FULL, a busy
// timeout so that several objects over one file wait for each other. Code::kIoError or
// kCorrupt when the file cannot be opened or is not relay storage.
Result<std::unique_ptr<RelayStorage>> OpenSqliteRelayStorage(const std::string& path);

}  // namespace parley::relay
