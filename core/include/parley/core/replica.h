// Replica: a vault's records on one device, its change log and the merge.
//
// Every local Transaction commits exactly one change (a batch of operations) that is
// stamped with a hybrid logical clock, chained to the author's previous change by hash,
// signed with the device's Ed25519 key and encrypted with the vault's current epoch key
// (see docs/change-format.md). Remote changes enter through Apply() (or bundles): each is
// verified (signature, chain link, membership) before anything is applied; a batch is
// applied in one SQLite transaction, all or nothing.
//
// Merge: a record's fields are multi-value registers. A write supersedes the values its
// author had seen; the surviving values of a field are those no write supersedes. One value
// is the field's value; several are a conflict, kept until someone resolves it (Set() on a
// conflicted field supersedes every version). A record's existence is a register too:
// delete is a tombstone, and edits made concurrently with a delete survive and show the
// record as "deleted with concurrent edits". Replicas that hold the same set of changes
// have the same state, whatever the order they received them in.
//
// Ownership: a Replica borrows the Store (which must outlive it, and must not be locked
// while the Replica exists: destroy the Replica before Store::Lock()). Transactions borrow
// the Replica; at most one is open at a time, and while one is open Apply(), CreateVault()
// and AcceptInvite() return Code::kBusy. Reads during an open transaction see its writes.
// Fork / forged chains are refused with Code::kConflict (see docs/change-format.md).
// Thread safety: one thread at a time (the Store's connection is not shared).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "parley/core/store.h"
#include "parley/platform/env.h"

namespace parley::pb {
class Change;
}

namespace parley::log {

using RecordId = std::array<std::uint8_t, 16>;
std::string ToString(const RecordId& id);              // 32 lowercase hex characters
Result<RecordId> ParseRecordId(std::string_view hex);  // exactly 32 hex characters

using ChangeId = std::array<std::uint8_t, 32>;

// One surviving (or historical) value of a field.
struct Value {
  std::string data;
  std::uint64_t hlc = 0;    // ms << 16 | counter
  std::string author;       // hex of the author's identity key
  std::string author_name;  // the authoring device's label, if known
  std::uint64_t seq = 0;    // author's change number
  std::uint32_t index = 0;  // op index in that change
  // The record's key is not held here (its key slot did not arrive): `data` is empty
  // (docs/change-format.md, "Record keys").
  bool unreadable = false;
};

struct Field {
  std::string name;
  std::vector<Value> values;  // ordered by (hlc, author, seq, index); the last is the newest
  bool conflicted() const { return values.size() > 1; }
  const std::string& newest() const { return values.back().data; }
};

enum class Existence {
  kAlive,
  kDeleted,
  kDeletedWithEdits,  // deleted, but edits concurrent with the delete survive
  kConflict,          // concurrent delete and re-create
};

struct Record {
  RecordId id{};
  std::string type;
  Existence existence = Existence::kAlive;
  std::uint64_t created_hlc = 0;
  std::vector<Field> fields;  // ordered by name; only fields with surviving values
  const Field* field(std::string_view name) const;
  // The newest surviving value of `name`, or `fallback`.
  std::string get(std::string_view name, std::string_view fallback = "") const;
};

struct Conflict {
  RecordId record{};
  std::string type;
  std::string field;          // "" for an existence conflict (delete vs edit / re-create)
  std::vector<Value> values;  // every surviving version, ordered by clock
};

// One change, as a Value or HistoryEntry names it: enough to ask which of two changes was
// written knowing the other (Replica::HappenedBefore, Replica::CausalOrder).
struct ChangeStamp {
  std::string author;     // hex identity key of its author
  std::uint64_t seq = 0;  // the author's change number (from 1)
  std::uint64_t hlc = 0;  // its clock: orders changes neither of which happened before the other
};

// Replica::CausalOrder orders at most this many changes causally, needing at most this many
// lookups of what an author had seen (changes x other authors among them); beyond either, it
// returns clock order (docs/change-format.md, "History order").
inline constexpr std::size_t kMaxCausalChanges = 2048;
inline constexpr std::size_t kMaxCausalLookups = 16384;

// The size of one record key slot (Change.key_slots): nonce (24) || XChaCha20-Poly1305 of the
// 32-byte record key (16-byte tag) (docs/change-format.md, "Record keys").
inline constexpr std::size_t kKeySlotBytes = 24 + 32 + 16;

struct HistoryEntry {
  std::uint64_t hlc = 0;
  std::string author;       // hex identity key
  std::string author_name;  // device label, if known
  std::uint64_t seq = 0;
  std::string op;     // "create", "restore", "set", "delete", "purge"
  std::string field;  // for "set"
  std::string value;  // for "set"
  bool live = false;  // the value still survives
};

// What Replica::Purge destroyed on this device.
struct PurgeOutcome {
  ChangeId change{};              // the change holding the purge
  std::size_t ops_destroyed = 0;  // operations (history entries) deleted
  bool key_destroyed = false;     // the record's key was held here and is gone
  bool slot_dropped = false;      // the key slot was dropped from the change that carried it
};

struct ApplyReport {
  std::size_t applied = 0;     // new changes verified and applied
  std::size_t duplicates = 0;  // already held; ignored
  std::size_t pending = 0;     // held back: author not yet known to be a member, or key not arrived
  // Kept but never applied: written by a revoked device after its revocation
  // (docs/membership.md).
  std::size_t refused_revoked = 0;
  // Quarantined: authenticated (signed by a member, chain intact) but its body does not
  // decrypt, parse or pass the checks (e.g. a forged record create). Kept and counted, never
  // applied; the rest of the batch applies (docs/change-format.md, "Quarantine").
  std::size_t quarantined = 0;
  // This device's own changes set aside because a change signed by its own key with the
  // same number arrived (it was restored from an older copy): written again as new changes
  // by log::ReissueSetAside (replica_sync.h).
  std::size_t set_aside = 0;
  // Signatures verified: every change's own signature (docs/change-format.md).
  std::size_t signatures_verified = 0;
  // Gaps: changes known to exist (a later one names them) but not held. "device hex: seq a-b".
  std::vector<std::string> gaps;
};

// Per-author progress: the highest contiguous sequence number held.
struct VersionVector {
  std::vector<std::pair<std::string, std::uint64_t>> entries;  // hex author -> seq
};

// --- Full-text search (docs/storage-schema.md, "Text index") ---
// What Replica::SearchText looks for beyond the words.
struct TextSearchOptions {
  // Only records of this scope: a negotiation's id (the record itself and every record whose
  // `negotiation` field names it). Empty: every record.
  std::optional<RecordId> scope;
  std::size_t limit = 20;  // 1 to kMaxTextHits
  std::size_t offset = 0;  // hits skipped first, at most kMaxTextOffset
  // Put around each matched word in TextHit::snippet.
  std::string mark_open = "[";
  std::string mark_close = "]";
};
inline constexpr std::size_t kMaxTextHits = 1000;
inline constexpr std::size_t kMaxTextOffset = 1'000'000;
inline constexpr std::size_t kMaxSearchBytes = 1024;
inline constexpr std::size_t kMaxSearchWords = 32;

// One field of one record that matches every word searched.
struct TextHit {
  RecordId record{};
  std::string type;               // the record's type
  std::string field;              // the matching field
  std::optional<RecordId> scope;  // its negotiation (the record's own id for a negotiation)
  std::string snippet;            // the text around the matches, marked; "…" where cut
  double score = 0;               // bm25: lower is better; hits come best first
};

class Replica;

// An invite made by Replica::InviteDevice.
struct InviteMade {
  std::vector<std::uint8_t> invite;
  std::string safety_code;  // "123-456": the new device shows the same one
};

// How Replica::InviteDevice enrols the device: as a plain member (the default), as an admin,
// or as the vault's recovery member (an admin whose keys a recovery key derives,
// docs/recovery.md; `recovery` implies `admin`).
struct InviteRole {
  bool admin = false;
  bool recovery = false;
};

// What a device joined, from Replica::JoinVault.
struct Joined {
  std::string vault;  // 32 raw bytes
  std::string vault_name;
  std::string inviter;       // 32 raw bytes: the admin device that made the invite
  std::string inviter_name;  // its device name
  std::string safety_code;   // "123-456": the admin device showed the same one
};

// One local change in the making. Nothing is visible to readers until Commit().
class Transaction {
 public:
  virtual ~Transaction() = default;
  // A new record of `type` (e.g. "negotiation"). Returns its fresh random id.
  virtual Result<RecordId> Create(std::string_view type) = 0;
  // Writes a field, superseding every value currently visible to this device.
  // Code::kNotFound for an unknown record.
  virtual Status Set(const RecordId& record, std::string_view field, std::string_view value) = 0;
  // Deletes (tombstones) a record.
  virtual Status Delete(const RecordId& record) = 0;
  // Brings a deleted record back (supersedes the tombstones seen).
  virtual Status Restore(const RecordId& record) = 0;
  // Signs, encrypts and stores the change durably; returns its id. An empty transaction
  // commits nothing and returns Code::kInvalidArgument. On failure nothing is stored.
  virtual Result<ChangeId> Commit() = 0;
};

class Replica {
 public:
  // Opens the replica tables in `store` (creating them on first use).
  static Result<std::unique_ptr<Replica>> Open(store::Store& store, Clock& clock);
  virtual ~Replica() = default;

  // --- Vault ---
  // Makes this device the first admin of a new vault: creates its id and first epoch key,
  // stores them in the Store, and commits the genesis change. Code::kAlreadyExists if the
  // store already has a vault.
  virtual Status CreateVault(std::string_view name) = 0;
  virtual bool HasVault() const = 0;
  // This device's pairing code (v2): "parley-device:" + base32 of identity key, X25519
  // handshake key, X25519 sealing key and its certificate, the one-time enrolment secret
  // and the name (docs/enrolment.md). The same code until the device belongs to a vault,
  // across restarts; once it does, the secret is gone and the code carries zeros in its
  // place (no invite can be made from it).
  virtual std::string DevicePairingCode() const = 0;
  // On an admin device: approves the device whose pairing code is given. Commits the
  // membership change and returns the invite (parley/core/enrolment.h): vault id, founder
  // and nonce, name, epoch keys sealed to the new device's sealing key, the membership
  // history, signed by this device and MACed with the code's enrolment secret; and the
  // safety code both screens show. Code::kPermissionDenied if not an admin;
  // kInvalidArgument for a bad code, this device's own code, or a v1 code (no secret);
  // kAlreadyExists when that device is already a member; kUnsupported for a vault whose
  // id this device cannot show to be derived from its founder. `role` says what the device
  // becomes (a plain member unless told).
  virtual Result<InviteMade> InviteDevice(std::string_view pairing_code, InviteRole role = {}) = 0;
  // On the invited device: checks the invite (every check of log::CheckInvite), stores the
  // vault keys (destroying the enrolment secret) and applies the membership history.
  // kAlreadyExists when this store already belongs to a vault; kPermissionDenied for an
  // invite not made from this device's pairing code, not for this device, or not from an
  // admin of the vault; kCorrupt for a tampered or malformed one. On failure nothing changes.
  virtual Result<Joined> JoinVault(std::span<const std::uint8_t> invite) = 0;
  // InviteDevice, the invite's bytes only.
  Result<std::vector<std::uint8_t>> Invite(std::string_view pairing_code) {
    PARLEY_ASSIGN_OR_RETURN(InviteMade made, InviteDevice(pairing_code));
    return std::move(made.invite);
  }
  // JoinVault, the status only.
  Status AcceptInvite(std::span<const std::uint8_t> invite) { return JoinVault(invite).status(); }

  // --- Members and epochs (docs/membership.md) ---
  // On an admin device: makes the current member `identity` (32 raw bytes) an admin
  // (`admin` true) or a plain member. Commits one change. kPermissionDenied when this
  // device is not an admin (or is revoked); kNotFound when `identity` is not a current
  // member; kAlreadyExists when it already has that role; kConflict when it is the last
  // admin and would be demoted.
  virtual Status SetRole(std::string_view identity, bool admin) = 0;
  // On an admin device: revokes the current member `identity`. Commits one change holding
  // the revocation (naming that device's newest change held here: its later changes are
  // refused everywhere) and a new epoch key, sealed to every remaining member that has a
  // sealing key; this device writes under the new epoch from then on. kPermissionDenied
  // when this device is not an admin; kNotFound for a device that is not a current member;
  // kInvalidArgument for this device itself; kConflict for the last admin.
  virtual Status Revoke(std::string_view identity) = 0;
  // True when the changes held here revoke this device: it may no longer write, and its
  // owner must destroy its keys (Device does, docs/membership.md "Lost-device wipe").
  virtual bool Revoked() const = 0;
  // On an admin device: starts a new epoch (sealed to every current member) when the
  // current epoch's key reached a device that is now revoked, or misses a current member
  // with a sealing key: what concurrent revocations leave behind. Returns whether a
  // change was committed. false without doing anything on a device that is not an admin.
  virtual Result<bool> HealEpoch() = 0;

  // --- Local edits ---
  virtual Result<std::unique_ptr<Transaction>> Begin() = 0;

  // --- Reading ---
  virtual Result<std::optional<Record>> Get(const RecordId& id) = 0;
  // Records of `type` (all types when empty), oldest first. Deleted ones only when asked.
  virtual Result<std::vector<Record>> List(std::string_view type, bool include_deleted = false) = 0;
  // Records of `type` whose field `field` has `value` among its surviving values.
  virtual Result<std::vector<Record>> Find(std::string_view type, std::string_view field,
                                           std::string_view value) = 0;
  virtual Result<std::vector<Conflict>> Conflicts() = 0;
  // Every operation ever applied to the record, in the order its changes were made: each
  // change after every change of the record that happened before it (CausalOrder); the ops
  // of one change by their index. The originating create (the one carrying the record's
  // origin, written by its creator) reads "create", every other create "restore".
  // Code::kNotFound for an unknown record.
  virtual Result<std::vector<HistoryEntry>> History(const RecordId& id) = 0;
  // On an admin device: purges the record for good (docs/change-format.md, "Purge").
  // Commits one change holding a PurgeRecord; in the same transaction the record's key, its
  // operations, history and live values are deleted and its key slot dropped from the
  // change that carried it; the purge is remembered so that nothing of the record is taken
  // again. History then lists one "purge" entry. kPermissionDenied when this device is not
  // an admin; kNotFound for an unknown or already purged record.
  virtual Result<PurgeOutcome> Purge(const RecordId& id) = 0;
  // Resolves a unique hex prefix (at least 4 characters) of a record id (a purged record's
  // too).
  // Code::kNotFound / Code::kInvalidArgument ("ambiguous") otherwise.
  virtual Result<RecordId> ResolvePrefix(std::string_view prefix) = 0;
  // Every record id (a purged record's too) that starts with the hex `prefix` (4 to 32
  // characters, any case), in id order, at most `limit` of them (none found: empty).
  // Code::kInvalidArgument for a prefix that is not 4 to 32 hex characters.
  virtual Result<std::vector<RecordId>> MatchPrefix(std::string_view prefix, std::size_t limit) = 0;

  // Full-text search over the free-text fields of live records (docs/storage-schema.md,
  // "Text index"): deleted and purged records, and values no longer surviving, are not
  // found; every surviving version of a conflicted field is. `query` is words, never
  // FTS5 syntax: it is split into words as the index splits text (letters and digits,
  // case and diacritics folded), each word must appear, the last one as a prefix. Hits
  // are ranked by bm25, best first. Code::kInvalidArgument when the query is not UTF-8,
  // longer than kMaxSearchBytes, has no word or more than kMaxSearchWords, or when the
  // limit or offset is out of range. Changes of an open transaction are not seen until it
  // commits.
  virtual Result<std::vector<TextHit>> SearchText(std::string_view query,
                                                  const TextSearchOptions& options) = 0;

  // --- Causality (docs/change-format.md, "History order") ---
  // Whether change `a` happened before change `b`: the same author wrote `a` first, or
  // `b`'s author, when it wrote `b`, held every change of `a`'s author up to `a.seq`, as
  // `b` or an earlier change of its author says (ChangeBody.seen). false when neither
  // happened before the other (concurrent), for a change and itself, and when either author
  // is unknown here. Only changes held here are read: the answer can turn true once earlier
  // changes of `b`'s author arrive. `hlc` is not used. Errors only for a failing store.
  virtual Result<bool> HappenedBefore(const ChangeStamp& a, const ChangeStamp& b) = 0;
  // Indexes into `changes` (each once), in causal order: every change after each change of
  // the list that happened before it; among the changes ready at each step, the smallest
  // (hlc, author, seq, position) first, so concurrent changes keep clock order. Beyond
  // kMaxCausalChanges / kMaxCausalLookups, clock order. A cycle (only claims a dishonest
  // author makes can form one) is broken at its oldest change by clock.
  virtual Result<std::vector<std::size_t>> CausalOrder(std::span<const ChangeStamp> changes) = 0;

  // --- Exchange ---
  // Verifies and applies remote changes, all in one transaction. A change that fails
  // verification fails the whole call (Code::kCorrupt / kPermissionDenied, message says
  // which and why) and nothing is applied.
  virtual Result<ApplyReport> Apply(std::span<const pb::Change> changes) = 0;
  // Changes held that are not covered by `known` (all when empty), in per-author order.
  virtual Result<std::vector<pb::Change>> ChangesSince(const VersionVector& known) = 0;
  virtual Result<VersionVector> Known() = 0;
  // Number of changes held.
  virtual Result<std::uint64_t> ChangeCount() = 0;
};

}  // namespace parley::log
