// ReplicaImpl: the Replica over the Store's SQLite connection (see replica.h for the
// contract and schema.h for the tables). Its parts live in separate files:
//   replica.cc      opening, vault creation, version vectors, change export
//   transaction.cc  local transactions (one change each)
//   apply.cc        verifying and applying remote changes
//   merge.cc        the register semantics shared by local and remote operations
//   membership.cc   membership closure, invites
//   read.cc         records, conflicts, history
// Invariant: every write happens inside one SQLite transaction that either commits whole
// or rolls back (after which the in-memory author cache is reloaded from the tables).
// Other processes may write the same database: every in-memory cache below is checked
// against SQLite's data version (PRAGMA data_version) at the start of each read, local
// transaction and apply, and inside each write transaction once it holds the write lock
// (RevalidateCaches); a commit of another connection since drops and reloads them all.
#pragma once

#include <google/protobuf/arena.h>

#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "log/hlc.h"
#include "log/membership_rules.h"
#include "log/record_keys.h"
#include "log/schema.h"
#include "log/verify_batch.h"
#include "parley/change.pb.h"
#include "parley/core/change_rules.h"
#include "parley/core/replica.h"
#include "parley/core/sqlite_util.h"

namespace parley::log {

class LocalTransaction;

// Binds without copying (SQLITE_STATIC): the bytes must stay valid until the statement is
// reset. An empty view binds an empty value, never NULL.
inline void BindTextView(Stmt& s, int i, std::string_view text) {
  sqlite3_bind_text(s.raw(), i, text.empty() ? "" : text.data(), static_cast<int>(text.size()),
                    SQLITE_STATIC);
}
inline void BindBlobView(Stmt& s, int i, std::string_view blob) {
  static const char kEmpty = 0;
  sqlite3_bind_blob(s.raw(), i, blob.empty() ? &kEmpty : blob.data(), static_cast<int>(blob.size()),
                    SQLITE_STATIC);
}

// Resets a cached statement when the scope ends, whatever the path out.
struct Scoped {
  explicit Scoped(Stmt& s) : stmt(s) {}
  ~Scoped() { stmt.Reset(); }
  Stmt& stmt;
};

struct AuthorInfo {
  std::string key;  // 32 raw bytes
  std::string hex;
  std::string name;
  int role = kRoleNone;
};

// Who purged a record (record_keys.cc).
struct PurgeBy {
  std::int64_t author_id = 0;
  std::uint64_t seq = 0;
  std::uint64_t hlc = 0;
};
struct PurgeRecordInfo {
  std::string author;  // hex
  std::string author_name;
  std::uint64_t seq = 0;
  std::uint64_t hlc = 0;
};
// The key slots of the change being applied (record_keys.cc): its row, its kept slots
// (kKeySlotSize bytes each) and the key of its epoch.
struct SlotSource {
  std::int64_t cid = 0;
  std::string_view slots;
  const store::VaultKey* epoch_key = nullptr;
};

class ReplicaImpl final : public Replica {
 public:
  ReplicaImpl(store::Store& store, Clock& clock);
  Status Init();

  Status CreateVault(std::string_view name) override;
  bool HasVault() const override;
  std::string DevicePairingCode() const override;
  Result<InviteMade> InviteDevice(std::string_view pairing_code, InviteRole role = {}) override;
  Result<Joined> JoinVault(std::span<const std::uint8_t> invite) override;
  Status SetRole(std::string_view identity, bool admin) override;
  Status Revoke(std::string_view identity) override;
  bool Revoked() const override;
  Result<bool> HealEpoch() override;
  Result<std::unique_ptr<Transaction>> Begin() override;
  Result<std::optional<Record>> Get(const RecordId& id) override;
  Result<std::vector<Record>> List(std::string_view type, bool include_deleted) override;
  Result<std::vector<Record>> Find(std::string_view type, std::string_view field,
                                   std::string_view value) override;
  Result<std::vector<Conflict>> Conflicts() override;
  Result<std::vector<HistoryEntry>> History(const RecordId& id) override;
  Result<RecordId> ResolvePrefix(std::string_view prefix) override;
  Result<std::vector<RecordId>> MatchPrefix(std::string_view prefix, std::size_t limit) override;
  Result<PurgeOutcome> Purge(const RecordId& id) override;  // record_keys.cc
  Result<std::vector<TextHit>> SearchText(
      std::string_view query,
      const TextSearchOptions& options) override;  // text_index.cc
  Result<bool> HappenedBefore(const ChangeStamp& a,
                              const ChangeStamp& b) override;  // causal_order.cc
  Result<std::vector<std::size_t>> CausalOrder(std::span<const ChangeStamp> changes) override;
  Result<ApplyReport> Apply(std::span<const pb::Change> changes) override;
  // Apply, with `within` (when not null) run inside its transaction just before the commit
  // (replica_sync.h, ApplyAndRecord).
  Result<ApplyReport> ApplyWithin(std::span<const pb::Change> changes,
                                  const std::function<Status(std::span<const ChangeId>)>* within);
  // ApplyWithin, again (with a fresh verification) when another process stored some of the
  // same changes between this one's verification and its write transaction: those are then
  // duplicates. Code::kBusy when that keeps happening (a few times in a row).
  Result<ApplyReport> ApplyRacing(std::span<const pb::Change> changes,
                                  const std::function<Status(std::span<const ChangeId>)>* within);
  // Checks a received batch (verify_batch.cc): form, ids, chain links, the signatures no
  // link vouches for, and the bodies (opened onto `arena`). Nothing is written.
  Result<VerifiedBatch> VerifyBatch(std::span<const pb::Change> changes,
                                    google::protobuf::Arena* arena);
  Result<std::vector<pb::Change>> ChangesSince(const VersionVector& known) override;
  Result<VersionVector> Known() override;
  Result<std::uint64_t> ChangeCount() override;

  // --- Internal, used by the parts above and by bundles ---
  store::Store& store() { return store_; }
  sqlite3* db() { return db_; }
  HybridClock& hlc() { return hlc_; }
  const std::string& vault_id() const { return vault_id_; }
  const std::string& founder() const { return founder_; }
  std::int64_t self_id() const { return self_id_; }
  // The author with small id `id`; an empty one for an id not loaded (a row another process
  // added after the last RevalidateCaches).
  const AuthorInfo& author(std::int64_t id) const {
    static const AuthorInfo kUnknown;
    return id > 0 && static_cast<std::size_t>(id) < authors_.size()
               ? authors_[static_cast<std::size_t>(id)]
               : kUnknown;
  }
  void set_tx_open(bool open) { tx_open_ = open; }

  Result<std::unique_ptr<LocalTransaction>> BeginLocal(bool require_member);
  // Maps a device key to its small id, adding it to log_authors if new.
  Result<std::int64_t> InternAuthor(std::string_view key);
  std::int64_t FindAuthor(std::string_view key) const;
  std::int64_t FindAuthorHex(std::string_view hex) const;  // 0 for bad hex or an unknown key
  Status ReloadAuthors();
  // Runs `body` in one write transaction (ImmediateTransaction): commits when it returns
  // Ok; otherwise rolls back, reloads the caches (ReloadAfterRollback) and returns its error.
  Status InTransaction(const std::function<Status()>& body);
  // After a rollback: drops the caches of rows that may be gone and reloads the authors.
  Status ReloadAfterRollback();
  // When another connection (another process) committed since the last call: drops every
  // in-memory cache and reloads it from the tables (ReloadAfterRollback, the founder and the
  // clock). Cheap otherwise (one PRAGMA). Called at the start of every read, local
  // transaction and apply, and by InTransaction once the write lock is held.
  Status RevalidateCaches();
  Status SetMeta(std::string_view key, std::string_view value);

  // Record rows: the id, or 0 when unknown. `type` receives the type ("" before creation).
  Result<std::int64_t> FindRecord(const RecordId& id, std::string* type);
  Result<std::int64_t> InternRecord(std::string_view id);
  // The row id of a record whose creation is held; 0 otherwise.
  Result<std::int64_t> CreatedRecord(const RecordId& id);

  // merge.cc: writes one op and its supersessions into the register tables. For kOpCreate
  // `value` is the type of an originating create, or empty for a restore (which never sets
  // the record's type).
  Status WriteOp(std::int64_t op, std::int64_t rid, int kind, std::string_view field,
                 std::string_view value, std::uint64_t hlc,
                 std::span<const std::int64_t> supersedes);
  // A local op is about to supersede every live op of a field ("" = the existence register),
  // or of the whole record when `field` is null: removes them from log_live and returns
  // their keys in `out` (cleared first). The op's WriteOp is then given no `supersedes`.
  Status TakeLiveOps(std::int64_t rid, const std::string_view* field,
                     std::vector<std::int64_t>* out);
  // Applies a verified body's ops (author_id wrote change `seq`). `slots` (null for a local
  // change, whose keys its transaction keeps) gives the record keys of its creates.
  Status ApplyBody(std::int64_t author_id, std::uint64_t seq, const pb::ChangeBody& body,
                   const SlotSource* slots = nullptr);

  // record_keys.cc. The key of `record`, if held.
  Result<std::optional<RecordKeyBytes>> RecordKey(const RecordId& record);
  // A stored SetField value, opened with the record's key; empty with `*unreadable` set when
  // the key is not held or the value does not open.
  std::string OpenedValue(const std::optional<RecordKeyBytes>& key, const RecordId& record,
                          std::string_view field, std::string_view sealed, bool* unreadable) const;
  // Of `slots` (a change's, kKeySlotSize bytes each), those to keep: each named by an
  // originating create of `body` whose record is not purged, once; every well-formed one
  // while `body` is null (not readable yet).
  std::string KeptSlots(const pb::ChangeBody* body, std::string_view slots) const;
  // The change's well-formed slots, concatenated; and back.
  static std::string JoinSlots(const pb::Change& change);
  static void SplitSlots(std::string_view slots, pb::Change* change);
  // log_slots of change row `cid` (empty: none).
  Status StoreSlots(std::int64_t cid, std::string_view slots);
  Result<std::string> SlotsOf(std::int64_t cid);
  // The epoch of held change row `cid` (header.epoch).
  Result<std::uint32_t> EpochOf(std::int64_t cid);
  // Keeps the record key an originating create's slot holds (or, without it, which change and
  // slot held it).
  Status TakeRecordKey(const RecordId& record, const pb::CreateRecord& create,
                       const SlotSource* source);
  // An originating create of a purged record arrived: its change and slot are remembered
  // for relays.
  Status NoteLatePurgedCreate(const RecordId& record, const pb::CreateRecord& create,
                              const SlotSource* source);
  Status DropSlot(std::int64_t cid, std::string_view slot_hash);
  // A held change `id` arrived again with key slots: the slots its stored copy lacks are
  // taken when they are still wanted (a pending change keeps them until it is applied; an
  // applied one gives the keys of its not purged records whose key is not held).
  Status FillMissingSlots(const pb::Change& change, const ChangeId& id);
  // Inside a transaction: deletes the record's key, ops, live values and row, drops its
  // slot and remembers the purge.
  Status DestroyRecord(const RecordId& record, const PurgeBy& by);
  // Destroys every record an effective purge (membership_.purges) names and that is not
  // purged yet.
  Status ApplyPurges();
  Status LoadPurged();
  bool IsPurged(const RecordId& record) const { return purged_.count(record) != 0; }
  Result<std::optional<PurgeRecordInfo>> PurgeInfo(const RecordId& record);
  // After a committed purge: checkpoints and truncates the write-ahead log.
  void CheckpointAfterPurge();
  // Records a held change and updates its author's chain state.
  Status InsertChange(std::int64_t author_id, std::uint64_t seq, const ChangeId& id,
                      const pb::ChangeHeader& header, const pb::Change& change, std::uint64_t hlc,
                      bool pending, std::int64_t membership);
  // membership.cc. Reads every held membership change (log_changes.membership = 1) whose
  // key is held and evaluates the rules (membership_rules.h) into membership_.
  Status LoadMembership();
  // LoadMembership, then writes each device's role and name into log_authors.
  Status RecomputeMembership();
  // Takes the epoch keys sealed to this device in held NewEpoch operations of (former)
  // admins into the key file. Returns whether any was new.
  Result<bool> AbsorbEpochKeys();
  // Adds `keys` to the vault's keys, rewriting the key file.
  Status AddEpochKeys(std::vector<store::VaultKey> keys);
  // The epoch keys held, ascending by epoch number. REQUIRES a vault.
  std::vector<const store::VaultKey*> EpochKeysByNumber() const;
  // Whether an applied change is no longer entitled (its author was revoked before it), or is
  // under a void epoch.
  Result<bool> AppliedButVoid();
  // Clears the record tables and marks every change pending, for ApplyPending to rebuild
  // the records from the entitled changes (after a revocation voided applied changes).
  Status Rematerialize();
  // After changes were stored: re-evaluates membership (when `membership_dirty`), takes new
  // keys, rebuilds when needed, applies the pending changes that are now entitled and
  // readable, and repeats while that reveals membership operations.
  Status Settle(const std::map<std::int64_t, const pb::ChangeBody*>& opened, bool membership_dirty,
                std::size_t* applied);
  // Applies held changes that are entitled and whose key is held. Bodies already opened in
  // this batch are passed by change row id to avoid decrypting twice. Sets
  // `*opened_membership` when a change whose body was unreadable until now holds
  // membership operations.
  Status ApplyPending(const std::map<std::int64_t, const pb::ChangeBody*>& opened,
                      std::size_t* applied, bool* opened_membership);
  const Membership& membership() const { return membership_; }
  // kPermissionDenied unless this device is a current admin.
  Status CheckAdmin() const;
  // The current member `identity`; kNotFound for a device never enrolled or revoked.
  Result<const DeviceMembership*> CurrentMember(std::string_view identity) const;
  // Adds a NewEpoch operation to `tx`: a fresh random epoch number and key (kept in the key
  // file first), with every key held, sealed to each current member except `excluded`.
  Result<std::uint32_t> StartEpoch(LocalTransaction& tx, std::string_view excluded);
  // The key of `epoch`, if held.
  const store::VaultKey* EpochKey(std::uint32_t epoch) const;
  // The key this device writes under: the newest effective epoch it holds.
  const store::VaultKey* WriteKey() const;
  Status SaveClock();
  // A held change's id, its header.prev (zero for seq 1) and its link (ChangeLinkOf).
  struct HeldEntry {
    ChangeId id{};
    ChangeLink prev{};
    ChangeLink link{};
  };
  // The held change (author_id, seq), if any.
  Result<std::optional<HeldEntry>> Held(std::int64_t author_id, std::uint64_t seq);
  Result<std::vector<std::string>> Gaps(std::int64_t author_id);

  // The largest serialized change the relays of this device accept (0: no limit known);
  // kept in log_meta "change_size_limit", set by log::SetChangeSizeLimit.
  std::size_t change_size_limit() const { return change_size_limit_; }
  void set_change_size_limit(std::size_t bytes) { change_size_limit_ = bytes; }

  // reissue.cc. The lowest seq of this device's own chain that a change of `changes`,
  // signed by this device's key, replaces (0: none): the device was restored from an older copy.
  Result<std::uint64_t> OwnForkIn(std::span<const pb::Change> changes);
  // Inside a transaction: moves this device's changes from `from` on to log_set_aside and
  // rebuilds the records without them; returns how many were set aside.
  Result<std::size_t> SetAsideOwnFrom(std::uint64_t from);
  // Writes every set-aside change again as a new change (one transaction each); returns how many.
  Result<std::size_t> ReissueSetAside();
  // Writes again, as new changes on top of the chain (one transaction each), this device's
  // own changes under a void epoch (Membership::void_epochs) that it has not written again
  // yet; returns how many. Nothing when this device is not a member.
  Result<std::size_t> RewriteVoidEpochChanges();
  // One change of this device's to write again; `written` runs inside the transaction that
  // writes it (marks it done).
  struct HeldChange {
    std::uint64_t seq = 0;
    pb::Change change;
    std::function<Status()> written;
  };
  enum class MissingKey { kStop, kSkip };  // a change whose epoch key is not held
  // Writes each of `held` (in order, one transaction each) again as a new change, with
  // references between them renumbered; returns how many were written.
  Result<std::size_t> WriteAgain(std::vector<HeldChange>& held, MissingKey missing);

  // text_index.cc (docs/storage-schema.md, "Text index"). The index follows the record
  // tables: every op written marks its record, and before each commit the marked records'
  // rows are rebuilt from their surviving values (FlushTextIndex); a purge also merges the
  // index so the purged words leave its pages.
  void MarkText(std::int64_t rid) { text_dirty_.insert(rid); }
  Status FlushTextIndex();
  // Empties the index (Rematerialize: the records are rebuilt, and marked, afterwards).
  Status ClearTextIndex();
  // At open: rebuilds the whole index when it was built by another version of the rules
  // (or never).
  Status CheckTextIndex();

  // seen.cc. Appends to a new local change's body what this device holds that its previous
  // changes did not say (ChangeBody.seen).
  Status AddSeen(pb::ChangeBody* body);
  // Keeps what change (author_id, seq) says its author had seen.
  Status RecordSeen(std::int64_t author_id, std::uint64_t seq, const pb::ChangeBody& body);

 private:
  friend class LocalTransaction;
  Result<Record> BuildRecord(std::int64_t rid, std::string_view id, std::string_view type,
                             std::uint64_t created);
  Result<std::vector<Value>> ValuesOf(std::int64_t rid, const std::string& field);
  // merge.cc: marks `s` superseded by an op of record `rid`.
  Status Supersede(std::int64_t s, std::int64_t rid);
  // The newest op of the record held here (0 = none): the head of its history chain.
  Result<std::int64_t> LastOp(std::int64_t rid);
  Value MakeValue(std::int64_t op, std::uint64_t hlc, std::string data) const;
  void SortValues(std::vector<Value>& values) const;
  Existence ExistenceOf(const std::vector<int>& live_kinds, bool has_fields) const;

  store::Store& store_;
  sqlite3* db_;
  HybridClock hlc_;
  std::string vault_id_;  // empty without a vault
  std::string founder_;   // raw identity key of the vault's root admin
  std::int64_t self_id_ = 0;
  bool tx_open_ = false;
  std::size_t change_size_limit_ = 0;
  // PRAGMA data_version when the caches were last known to match the tables (-1: never).
  std::int64_t data_version_ = -1;
  // Set by InsertChange when the change was stored meanwhile by another connection.
  bool insert_raced_ = false;
  std::vector<AuthorInfo> authors_;  // index = author id (0 unused)
  // Record id -> row id, for rows known to be committed or in the open transaction
  // (cleared on rollback, and when kMaxCachedRecords is reached). Saves a lookup per
  // operation.
  struct RecordIdHash {
    std::size_t operator()(const RecordId& id) const noexcept {
      std::uint64_t a, b;
      std::memcpy(&a, id.data(), 8);
      std::memcpy(&b, id.data() + 8, 8);
      return static_cast<std::size_t>(a ^ (b * 0x9e3779b97f4a7c15ULL));
    }
  };
  std::unordered_map<RecordId, std::int64_t, RecordIdHash> record_rids_;
  std::unordered_map<RecordId, std::int64_t, RecordIdHash>
      created_rids_;                                   // the subset with a creation held
  std::unordered_set<RecordId, RecordIdHash> purged_;  // every record purged here (log_purged)
  PurgeOutcome last_purge_;                            // what the last DestroyRecord did
  std::unordered_set<std::int64_t> text_dirty_;        // records whose text index rows are stale
  bool text_purged_ = false;  // a record was destroyed: merge the index before committing
  Status ReindexText(std::int64_t rid);
  bool purged_since_checkpoint_ = false;
  // Record row id -> head of its history chain (log_records.last_op); cleared on rollback.
  std::unordered_map<std::int64_t, std::int64_t> last_ops_;
  std::vector<std::int64_t> scratch_ops_;  // reused by ApplyBody
  // Rows in log_superseded (recounted on rollback): when 0, arrivals need no lookup.
  std::int64_t superseded_rows_ = 0;
  Status CountSuperseded();
  std::unordered_map<std::string, std::int64_t> author_ids_;
  Membership membership_;
  std::vector<MemberOpRow> member_ops_;  // what membership_ was evaluated from

 public:
  // Cached prepared statements (prepared once in Init()).
  struct Statements {
    Stmt find_record, insert_record, update_record_type;
    Stmt live_field, live_record, op_held, kill_live, kill_live_exact, insert_live,
        insert_superseded, check_superseded, delete_superseded, insert_op, last_op, set_last_op;
    Stmt insert_change, held_id, chain_state, max_seq, update_chain, insert_author, set_meta;
    Stmt pending_changes, pending_change, mark_applied, mark_membership, mark_quarantined;
    Stmt data_version;
    Stmt record_key, insert_record_key, store_slots, slots_of;
    Stmt text_record, text_get, text_del, text_put;  // text_index.cc
  } st;
};

}  // namespace parley::log
