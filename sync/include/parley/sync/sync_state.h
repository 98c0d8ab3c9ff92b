// The sync client's durable state, kept in the device's encrypted store (the same SQLite
// connection as the replica, in its own tables):
//
//   sync_relays  one row per pinned relay: its static key and address (from its pairing
//                code), the pull cursor (the last relay sequence number whose change is
//                applied here), the push mark (every held change at or below this local log
//                position is acknowledged by the relay), whether the vault is registered
//                there and which membership list version it holds, and the last sync.
//                `cursor_id` is the id of the change at the cursor, sent with the next Pull
//                so that a relay whose history went backwards says so.
//   sync_acks    (relay, change id) -> relay sequence number: the relay holds the change
//                durably (it acknowledged our push, or served it to us).
//   sync_admission  at most one row: an admin's admission of this device (wire
//                `Admission`, docs/wire-protocol.md), sent with this device's member lists
//                so that a relay whose list does not hold it yet takes them.
//
// Invariants: the cursor only moves forward, and only after the changes it covers are
// applied durably in the replica; an ack is recorded only after the relay's PushAck (which
// the relay sends after its commit) or after the served change is applied here. So a crash
// or a cut connection at any point leaves a state from which the next sync resumes: at
// worst a batch is pulled or pushed again, and both sides treat repeats as no-ops.
//
// Ownership: borrows the SQLite connection (the Store's), which must outlive it.
// Thread safety: the thread that owns the Store. Failures: the store's SQLite errors.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "parley/core/crypto.h"
#include "parley/core/replica.h"
#include "parley/core/replica_sync.h"
#include "parley/core/sqlite_util.h"

namespace parley::sync {

struct RelayRecord {
  std::int64_t id = 0;
  crypto::Bytes public_key;  // relay's X25519 static key (pinned)
  std::string address;       // "host:port"
  std::string pairing_code;
  std::uint64_t cursor = 0;           // last relay_seq applied here
  crypto::Bytes cursor_id;            // id of the change at `cursor` (empty: not known)
  std::uint64_t head_seq = 0;         // the relay's newest relay_seq, as last seen
  std::int64_t push_mark = 0;         // every local change <= this is acknowledged
  bool registered = false;            // the vault is known to the relay
  std::uint64_t members_version = 0;  // membership list version the relay holds
  crypto::Bytes members_digest;       // digest of the member set last published
  std::int64_t last_sync_ms = 0;      // end of the last complete sync (0: never)
  std::string label() const;          // address, or the key's first hex digits
};

struct Ack {
  log::ChangeId id{};
  std::uint64_t relay_seq = 0;
};

class SyncState {
 public:
  // Creates the tables if needed.
  static Result<std::unique_ptr<SyncState>> Open(sqlite3* db);

  // Pins a relay from its pairing code. Code::kAlreadyExists if that key is pinned (the
  // address is then updated); Code::kInvalidArgument for a bad code.
  Result<RelayRecord> AddRelay(std::string_view pairing_code);
  Result<std::vector<RelayRecord>> Relays();
  Result<RelayRecord> Relay(std::int64_t id);

  // Acks from a PushAck, and the new push mark if it moved (one transaction).
  Status RecordPushAcks(std::int64_t relay, std::span<const Ack> acks,
                        std::optional<std::int64_t> push_mark);
  // Acks for served changes just applied, the new cursor and head (one transaction).
  // The cursor never moves back.
  Status RecordPulled(std::int64_t relay, std::span<const Ack> acks, std::uint64_t cursor,
                      std::uint64_t head);
  // The same writes inside the transaction the caller has open on the store's connection
  // (log::ApplyAndRecord: the cursor moves in the commit that applies the batch).
  Status RecordPulledInTransaction(std::int64_t relay, std::span<const Ack> acks,
                                   std::uint64_t cursor, std::uint64_t head);
  // The relay sequence number of `id` at `relay`, if acknowledged.
  Result<std::optional<std::uint64_t>> AckOf(std::int64_t relay, const log::ChangeId& id);
  // The relay's history went backwards (docs/wire-protocol.md, "Rollback"): cursor, head
  // and push mark back to 0 and every ack of it forgotten, and what ForgetPublished
  // forgets (one transaction), so that the next pull reads all it holds and the next push
  // offers all it lacks.
  Status ResetRelayHistory(std::int64_t relay);
  // The relay lost what this device had published to it besides changes: its registration
  // and member list are marked unpublished, and every rollback hook runs (one
  // transaction), so that the next exchange publishes them again.
  Status ForgetPublished(std::int64_t relay);
  // A hook run inside the transaction of ResetRelayHistory and ForgetPublished, with the
  // relay's static key: the owner of other per-relay confirmations (the recovery invite,
  // docs/recovery.md) forgets them there. A failing hook rolls the transaction back.
  using RollbackHook = std::function<Status(crypto::ByteView relay_key)>;
  void AddRollbackHook(RollbackHook hook) { rollback_hooks_.push_back(std::move(hook)); }

  // The admission of this device by an admin (a serialized wire `Admission`), kept until a
  // new one replaces it; empty when there is none.
  Status SetAdmission(const std::string& admission);
  Result<std::string> Admission();
  // The relay does not hold these changes after all (its heads say so): their acks are
  // forgotten and the push mark lowered to at most `push_mark` (one transaction).
  Status ForgetAcks(std::int64_t relay, std::span<const log::ChangeId> ids, std::int64_t push_mark);
  // The largest change `relay` accepts (from its Welcome); returns the smallest such limit
  // over every pinned relay that gave one (0: none).
  Result<std::uint64_t> SetChangeLimit(std::int64_t relay, std::uint64_t bytes);
  Status SetRegistered(std::int64_t relay);
  Status SetMembers(std::int64_t relay, std::uint64_t version, crypto::ByteView digest);
  // Key slots dropped by purges here (log::ListSlotRedactions) that `relay` has not
  // confirmed dropping yet; and recording its confirmation (docs/sync-client.md, "Purges").
  Result<std::vector<log::SlotRedactionRef>> UnsentRedactions(std::int64_t relay,
                                                              log::Replica& replica);
  Status MarkRedactionsSent(std::int64_t relay, std::span<const log::SlotRedactionRef> sent);
  Status SetLastSync(std::int64_t relay, std::int64_t unix_ms, std::uint64_t head);
  // Unpins a relay and forgets its acknowledgements (one transaction). kNotFound if absent.
  Status RemoveRelay(std::int64_t relay);

  // Where held changes stand (sync_standing.cc). These read the replica's log_changes and
  // log_authors tables (docs/storage-format.md) beside sync_acks, one query each.
  // Held changes each relay has not acknowledged, by relay id.
  Result<std::vector<std::pair<std::int64_t, std::uint64_t>>> WaitingPerRelay();
  // The changes authored by `identity` (32 raw bytes), oldest first, each with the relays
  // that acknowledged it.
  struct OwnChangeAcks {
    std::uint64_t seq = 0;
    log::ChangeId id{};
    std::vector<std::pair<std::int64_t, std::uint64_t>> acks;  // (relay id, relay seq)
  };
  Result<std::vector<OwnChangeAcks>> OwnChanges(crypto::ByteView identity);

 private:
  explicit SyncState(sqlite3* db) : db_(db) {}
  // Forgets registration and member list of `relay` and runs the hooks; inside a
  // transaction the caller holds.
  Status ForgetPublishedInTransaction(std::int64_t relay);

  sqlite3* db_;
  Stmt ack_of_, insert_ack_;
  std::vector<RollbackHook> rollback_hooks_;
};

}  // namespace parley::sync
