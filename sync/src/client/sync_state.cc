// The sync client's tables in the device's store (sync_state.h).
#include "parley/sync/sync_state.h"

#include <algorithm>

#include "parley/sync/relay_pairing.h"

namespace parley::sync {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS sync_relays(
  id INTEGER PRIMARY KEY,
  public_key BLOB NOT NULL UNIQUE,
  address TEXT NOT NULL,
  pairing_code TEXT NOT NULL,
  cursor INTEGER NOT NULL DEFAULT 0,
  head_seq INTEGER NOT NULL DEFAULT 0,
  push_mark INTEGER NOT NULL DEFAULT 0,
  registered INTEGER NOT NULL DEFAULT 0,
  members_version INTEGER NOT NULL DEFAULT 0,
  members_digest BLOB,
  last_sync_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sync_acks(
  relay INTEGER NOT NULL,
  change_id BLOB NOT NULL,
  relay_seq INTEGER NOT NULL,
  PRIMARY KEY(relay, change_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_redactions(
  relay INTEGER NOT NULL,
  change_id BLOB NOT NULL,
  slot_hash BLOB NOT NULL,
  PRIMARY KEY(relay, change_id, slot_hash)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_admission(
  one INTEGER PRIMARY KEY CHECK (one = 1),
  admission BLOB NOT NULL);
)sql";

constexpr char kColumns[] =
    "SELECT id, public_key, address, pairing_code, cursor, head_seq, push_mark, registered, "
    "members_version, "
    "members_digest, last_sync_ms, cursor_id FROM sync_relays";

RelayRecord ReadRow(const Stmt& s) {
  RelayRecord r;
  r.id = s.Int(0);
  auto key = s.Blob(1);
  r.public_key.assign(key.begin(), key.end());
  r.address = std::string(s.Text(2));
  r.pairing_code = std::string(s.Text(3));
  r.cursor = static_cast<std::uint64_t>(s.Int(4));
  r.head_seq = static_cast<std::uint64_t>(s.Int(5));
  r.push_mark = s.Int(6);
  r.registered = s.Int(7) != 0;
  r.members_version = static_cast<std::uint64_t>(s.Int(8));
  auto digest = s.Blob(9);
  r.members_digest.assign(digest.begin(), digest.end());
  r.last_sync_ms = s.Int(10);
  auto cursor_id = s.Blob(11);
  r.cursor_id.assign(cursor_id.begin(), cursor_id.end());
  return r;
}

crypto::ByteView IdView(const log::ChangeId& id) { return {id.data(), id.size()}; }

}  // namespace

std::string RelayRecord::label() const {
  if (!address.empty()) return address;
  return crypto::ToHex(
      crypto::ByteView(public_key.data(), std::min<std::size_t>(public_key.size(), 8)));
}

Result<std::unique_ptr<SyncState>> SyncState::Open(sqlite3* db) {
  if (db == nullptr) return Error(Domain::kSync, Code::kLocked, "the store is locked");
  PARLEY_RETURN_IF_ERROR(Exec(db, kSchema, Domain::kSync));
  {
    // cursor_id came later: a store from before gets the column (its cursor is then not
    // checked until the next pull moves it).
    Stmt has;
    PARLEY_RETURN_IF_ERROR(
        has.Prepare(db, "SELECT 1 FROM pragma_table_info('sync_relays') WHERE name = 'cursor_id'"));
    PARLEY_ASSIGN_OR_RETURN(bool row, has.Step());
    if (!row)
      PARLEY_RETURN_IF_ERROR(
          Exec(db, "ALTER TABLE sync_relays ADD COLUMN cursor_id BLOB", Domain::kSync));
    Stmt limit;
    PARLEY_RETURN_IF_ERROR(limit.Prepare(
        db, "SELECT 1 FROM pragma_table_info('sync_relays') WHERE name = 'change_limit'"));
    PARLEY_ASSIGN_OR_RETURN(row, limit.Step());
    if (!row) {
      PARLEY_RETURN_IF_ERROR(
          Exec(db, "ALTER TABLE sync_relays ADD COLUMN change_limit INTEGER NOT NULL DEFAULT 0",
               Domain::kSync));
    }
  }
  std::unique_ptr<SyncState> s(new SyncState(db));
  PARLEY_RETURN_IF_ERROR(s->ack_of_.Prepare(
      db, "SELECT relay_seq FROM sync_acks WHERE relay = ?1 AND change_id = ?2"));
  PARLEY_RETURN_IF_ERROR(s->insert_ack_.Prepare(
      db, "INSERT OR REPLACE INTO sync_acks(relay, change_id, relay_seq) VALUES (?1, ?2, ?3)"));
  return s;
}

Result<RelayRecord> SyncState::AddRelay(std::string_view pairing_code) {
  PARLEY_ASSIGN_OR_RETURN(wire::RelayPairing pairing, wire::DecodeRelayPairingCode(pairing_code));
  if (pairing.address.empty()) {
    return Error(Domain::kSync, Code::kInvalidArgument,
                 "the pairing code carries no relay address");
  }
  const std::string canonical = wire::EncodeRelayPairingCode(pairing);
  Stmt find;
  PARLEY_RETURN_IF_ERROR(find.Prepare(db_, std::string(kColumns) + " WHERE public_key = ?1"));
  find.BindBlob(1, pairing.public_key);
  PARLEY_ASSIGN_OR_RETURN(bool exists, find.Step());
  if (exists) {
    RelayRecord r = ReadRow(find);
    find.Reset();
    Stmt upd;
    PARLEY_RETURN_IF_ERROR(
        upd.Prepare(db_, "UPDATE sync_relays SET address = ?2, pairing_code = ?3 WHERE id = ?1"));
    PARLEY_RETURN_IF_ERROR(upd.Bind(1, r.id).Bind(2, pairing.address).Bind(3, canonical).Run());
    return Error(Domain::kSync, Code::kAlreadyExists,
                 "this relay is already pinned (address updated to " + pairing.address + ")");
  }
  Stmt ins;
  PARLEY_RETURN_IF_ERROR(ins.Prepare(
      db_, "INSERT INTO sync_relays(public_key, address, pairing_code) VALUES (?1, ?2, ?3)"));
  PARLEY_RETURN_IF_ERROR(
      ins.BindBlob(1, pairing.public_key).Bind(2, pairing.address).Bind(3, canonical).Run());
  return Relay(sqlite3_last_insert_rowid(db_));
}

Result<std::vector<RelayRecord>> SyncState::Relays() {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db_, std::string(kColumns) + " ORDER BY id"));
  std::vector<RelayRecord> out;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadRow(s));
  }
  return out;
}

Result<RelayRecord> SyncState::Relay(std::int64_t id) {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db_, std::string(kColumns) + " WHERE id = ?1"));
  s.Bind(1, id);
  PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Error(Domain::kSync, Code::kNotFound, "no such relay");
  return ReadRow(s);
}

Status SyncState::RecordPushAcks(std::int64_t relay, std::span<const Ack> acks,
                                 std::optional<std::int64_t> push_mark) {
  return WithImmediateTransaction(
      db_,
      [&]() -> Status {
        for (const Ack& a : acks) {
          Status s = insert_ack_.Bind(1, relay)
                         .BindBlob(2, IdView(a.id))
                         .Bind(3, static_cast<std::int64_t>(a.relay_seq))
                         .Run();
          insert_ack_.Reset();
          PARLEY_RETURN_IF_ERROR(s);
        }
        if (push_mark.has_value()) {
          Stmt upd;
          PARLEY_RETURN_IF_ERROR(upd.Prepare(
              db_, "UPDATE sync_relays SET push_mark = max(push_mark, ?2) WHERE id = ?1"));
          PARLEY_RETURN_IF_ERROR(upd.Bind(1, relay).Bind(2, *push_mark).Run());
        }
        return Status::Ok();
      },
      Domain::kSync);
}

Status SyncState::RecordPulled(std::int64_t relay, std::span<const Ack> acks, std::uint64_t cursor,
                               std::uint64_t head) {
  return WithImmediateTransaction(
      db_, [&] { return RecordPulledInTransaction(relay, acks, cursor, head); }, Domain::kSync);
}

Status SyncState::RecordPulledInTransaction(std::int64_t relay, std::span<const Ack> acks,
                                            std::uint64_t cursor, std::uint64_t head) {
  for (const Ack& a : acks) {
    Status s = insert_ack_.Bind(1, relay)
                   .BindBlob(2, IdView(a.id))
                   .Bind(3, static_cast<std::int64_t>(a.relay_seq))
                   .Run();
    insert_ack_.Reset();
    PARLEY_RETURN_IF_ERROR(s);
  }
  if (!acks.empty() && acks.back().relay_seq == cursor) {
    Stmt id;
    PARLEY_RETURN_IF_ERROR(
        id.Prepare(db_, "UPDATE sync_relays SET cursor_id = ?2 WHERE id = ?1 AND cursor < ?3"));
    PARLEY_RETURN_IF_ERROR(id.Bind(1, relay)
                               .BindBlob(2, IdView(acks.back().id))
                               .Bind(3, static_cast<std::int64_t>(cursor))
                               .Run());
  }
  Stmt upd;
  PARLEY_RETURN_IF_ERROR(upd.Prepare(db_,
                                     "UPDATE sync_relays SET cursor = max(cursor, ?2), head_seq = "
                                     "max(head_seq, ?3) WHERE id = ?1"));
  return upd.Bind(1, relay)
      .Bind(2, static_cast<std::int64_t>(cursor))
      .Bind(3, static_cast<std::int64_t>(head))
      .Run();
}

Result<std::optional<std::uint64_t>> SyncState::AckOf(std::int64_t relay, const log::ChangeId& id) {
  ack_of_.Bind(1, relay).BindBlob(2, IdView(id));
  auto row = ack_of_.Step();
  std::optional<std::uint64_t> out;
  if (row.ok() && *row) out = static_cast<std::uint64_t>(ack_of_.Int(0));
  ack_of_.Reset();
  if (!row.ok()) return row.status();
  return out;
}

Status SyncState::ResetRelayHistory(std::int64_t relay) {
  return WithImmediateTransaction(
      db_,
      [&]() -> Status {
        Stmt upd, del;
        PARLEY_RETURN_IF_ERROR(upd.Prepare(db_,
                                           "UPDATE sync_relays SET cursor = 0, cursor_id = NULL, "
                                           "head_seq = 0, push_mark = 0 WHERE id = ?1"));
        PARLEY_RETURN_IF_ERROR(upd.Bind(1, relay).Run());
        PARLEY_RETURN_IF_ERROR(del.Prepare(db_, "DELETE FROM sync_acks WHERE relay = ?1"));
        PARLEY_RETURN_IF_ERROR(del.Bind(1, relay).Run());
        return ForgetPublishedInTransaction(relay);
      },
      Domain::kSync);
}

Status SyncState::ForgetPublished(std::int64_t relay) {
  return WithImmediateTransaction(
      db_, [&]() -> Status { return ForgetPublishedInTransaction(relay); }, Domain::kSync);
}

Status SyncState::ForgetPublishedInTransaction(std::int64_t relay) {
  Stmt upd, key;
  PARLEY_RETURN_IF_ERROR(upd.Prepare(
      db_, "UPDATE sync_relays SET registered = 0, members_digest = NULL WHERE id = ?1"));
  PARLEY_RETURN_IF_ERROR(upd.Bind(1, relay).Run());
  PARLEY_RETURN_IF_ERROR(key.Prepare(db_, "SELECT public_key FROM sync_relays WHERE id = ?1"));
  key.Bind(1, relay);
  PARLEY_ASSIGN_OR_RETURN(bool row, key.Step());
  if (!row) return Status::Ok();
  const crypto::Bytes relay_key(key.Blob(0).begin(), key.Blob(0).end());
  for (const RollbackHook& hook : rollback_hooks_) PARLEY_RETURN_IF_ERROR(hook(relay_key));
  return Status::Ok();
}

Status SyncState::SetAdmission(const std::string& admission) {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db_, "INSERT OR REPLACE INTO sync_admission(one, admission) VALUES(1, ?1)"));
  return s.BindBlob(1, crypto::AsBytes(admission)).Run();
}

Result<std::string> SyncState::Admission() {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db_, "SELECT admission FROM sync_admission WHERE one = 1"));
  PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::string();
  return std::string(reinterpret_cast<const char*>(s.Blob(0).data()), s.Blob(0).size());
}

Status SyncState::ForgetAcks(std::int64_t relay, std::span<const log::ChangeId> ids,
                             std::int64_t push_mark) {
  return WithImmediateTransaction(
      db_,
      [&]() -> Status {
        Stmt del, upd;
        PARLEY_RETURN_IF_ERROR(
            del.Prepare(db_, "DELETE FROM sync_acks WHERE relay = ?1 AND change_id = ?2"));
        for (const log::ChangeId& id : ids) {
          del.Reset();
          PARLEY_RETURN_IF_ERROR(del.Bind(1, relay).BindBlob(2, IdView(id)).Run());
        }
        PARLEY_RETURN_IF_ERROR(upd.Prepare(
            db_, "UPDATE sync_relays SET push_mark = min(push_mark, ?2) WHERE id = ?1"));
        return upd.Bind(1, relay).Bind(2, push_mark).Run();
      },
      Domain::kSync);
}

Result<std::uint64_t> SyncState::SetChangeLimit(std::int64_t relay, std::uint64_t bytes) {
  Stmt upd, min;
  PARLEY_RETURN_IF_ERROR(
      upd.Prepare(db_, "UPDATE sync_relays SET change_limit = ?2 WHERE id = ?1"));
  PARLEY_RETURN_IF_ERROR(upd.Bind(1, relay).Bind(2, static_cast<std::int64_t>(bytes)).Run());
  PARLEY_RETURN_IF_ERROR(min.Prepare(
      db_, "SELECT COALESCE(min(change_limit), 0) FROM sync_relays WHERE change_limit > 0"));
  PARLEY_ASSIGN_OR_RETURN(bool row, min.Step());
  return row ? static_cast<std::uint64_t>(min.Int(0)) : 0;
}

Status SyncState::SetRegistered(std::int64_t relay) {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db_, "UPDATE sync_relays SET registered = 1 WHERE id = ?1"));
  return s.Bind(1, relay).Run();
}

Status SyncState::SetMembers(std::int64_t relay, std::uint64_t version, crypto::ByteView digest) {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(
      db_, "UPDATE sync_relays SET members_version = ?2, members_digest = ?3 WHERE id = ?1"));
  return s.Bind(1, relay).Bind(2, static_cast<std::int64_t>(version)).BindBlob(3, digest).Run();
}

Result<std::vector<log::SlotRedactionRef>> SyncState::UnsentRedactions(std::int64_t relay,
                                                                       log::Replica& replica) {
  PARLEY_ASSIGN_OR_RETURN(std::vector<log::SlotRedactionRef> all, log::ListSlotRedactions(replica));
  if (all.empty()) return all;
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(
      db_, "SELECT 1 FROM sync_redactions WHERE relay = ?1 AND change_id = ?2 AND slot_hash = ?3"));
  std::vector<log::SlotRedactionRef> out;
  for (log::SlotRedactionRef& r : all) {
    s.Reset();
    s.Bind(1, relay).BindBlob(2, IdView(r.change_id)).BindBlob(3, crypto::AsBytes(r.slot_hash));
    PARLEY_ASSIGN_OR_RETURN(bool sent, s.Step());
    if (!sent) out.push_back(std::move(r));
  }
  return out;
}

Status SyncState::MarkRedactionsSent(std::int64_t relay,
                                     std::span<const log::SlotRedactionRef> sent) {
  return WithImmediateTransaction(db_, [&]() -> Status {
    Stmt s;
    PARLEY_RETURN_IF_ERROR(s.Prepare(
        db_,
        "INSERT OR IGNORE INTO sync_redactions(relay, change_id, slot_hash) VALUES (?1, ?2, ?3)"));
    for (const log::SlotRedactionRef& r : sent) {
      s.Reset();
      PARLEY_RETURN_IF_ERROR(s.Bind(1, relay)
                                 .BindBlob(2, IdView(r.change_id))
                                 .BindBlob(3, crypto::AsBytes(r.slot_hash))
                                 .Run());
    }
    return Status::Ok();
  });
}

Status SyncState::SetLastSync(std::int64_t relay, std::int64_t unix_ms, std::uint64_t head) {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(
      db_, "UPDATE sync_relays SET last_sync_ms = ?2, head_seq = max(head_seq, ?3) WHERE id = ?1"));
  return s.Bind(1, relay).Bind(2, unix_ms).Bind(3, static_cast<std::int64_t>(head)).Run();
}

}  // namespace parley::sync
