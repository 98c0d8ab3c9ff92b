// Record keys and purges (record_keys.h; docs/change-format.md, "Record keys", "Purge").
#include "log/record_keys.h"

#include <algorithm>
#include <cstring>

#include "log/replica_impl.h"
#include "log/transaction.h"
#include "log/tuning.h"

namespace parley::log {
namespace {

constexpr std::string_view kSlotLabel = "parley/record-key/v1";
constexpr std::string_view kValueLabel = "parley/record-value/v1";

// label || record id || extra, sized once (growing a vector by insert trips GCC 12's
// -Warray-bounds false positive at -O3).
crypto::Bytes Ad(std::string_view label, const RecordId& record, std::string_view extra = {}) {
  crypto::Bytes ad(label.size() + record.size() + extra.size());
  auto at = std::copy(label.begin(), label.end(), ad.begin());
  at = std::copy(record.begin(), record.end(), at);
  std::copy(extra.begin(), extra.end(), at);
  return ad;
}

crypto::Bytes SlotAd(const RecordId& record) { return Ad(kSlotLabel, record); }

crypto::Bytes ValueAd(const RecordId& record, std::string_view field) {
  return Ad(kValueLabel, record, field);
}

std::string_view AsText(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string Seal(crypto::ByteView key, crypto::ByteView plain, crypto::ByteView ad) {
  std::uint8_t nonce[crypto::kXNonceSize];
  crypto::RandomBytes(nonce);
  const crypto::Bytes sealed =
      crypto::XChaChaSeal(key, crypto::ByteView(nonce, sizeof nonce), plain, ad);
  std::string out(reinterpret_cast<const char*>(nonce), sizeof nonce);
  out.append(reinterpret_cast<const char*>(sealed.data()), sealed.size());
  return out;
}

RecordId ToRecordId(std::string_view b) {
  RecordId id{};
  if (b.size() == id.size()) std::memcpy(id.data(), b.data(), id.size());
  return id;
}

}  // namespace

std::string SealKeySlot(crypto::ByteView epoch_key, const RecordId& record,
                        crypto::ByteView record_key) {
  return Seal(epoch_key, record_key, SlotAd(record));
}

RecordKeyBytes RecordKeyBytes::Random() {
  RecordKeyBytes k;
  crypto::RandomBytes(std::span<std::uint8_t>(k.bytes_));
  return k;
}

std::optional<RecordKeyBytes> RecordKeyBytes::Copy(crypto::ByteView bytes) {
  if (bytes.size() != kSize) return std::nullopt;
  RecordKeyBytes k;
  std::memcpy(k.bytes_.data(), bytes.data(), kSize);
  return k;
}

std::optional<RecordKeyBytes> OpenKeySlot(crypto::ByteView epoch_key, const RecordId& record,
                                          std::string_view slot) {
  if (slot.size() != kKeySlotSize || epoch_key.size() != crypto::kAeadKeySize) return std::nullopt;
  const crypto::ByteView bytes = crypto::AsBytes(slot);
  auto opened = crypto::XChaChaOpen(epoch_key, bytes.first(crypto::kXNonceSize),
                                    bytes.subspan(crypto::kXNonceSize), SlotAd(record));
  if (!opened.ok() || opened->size() != kRecordKeySize) return std::nullopt;
  std::optional<RecordKeyBytes> key = RecordKeyBytes::Copy(*opened);
  crypto::Zero(opened->data(), opened->size());
  return key;
}

std::string KeySlotHash(std::string_view slot) {
  const crypto::Hash h = crypto::Blake2b256(crypto::AsBytes(slot));
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

std::string SealValue(crypto::ByteView record_key, const RecordId& record, std::string_view field,
                      std::string_view plaintext) {
  return Seal(record_key, crypto::AsBytes(plaintext), ValueAd(record, field));
}

std::optional<std::string> OpenValue(crypto::ByteView record_key, const RecordId& record,
                                     std::string_view field, std::string_view sealed) {
  if (sealed.size() < crypto::kXNonceSize + crypto::kAeadTagSize ||
      record_key.size() != kRecordKeySize) {
    return std::nullopt;
  }
  const crypto::ByteView bytes = crypto::AsBytes(sealed);
  auto opened = crypto::XChaChaOpen(record_key, bytes.first(crypto::kXNonceSize),
                                    bytes.subspan(crypto::kXNonceSize), ValueAd(record, field));
  if (!opened.ok()) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(opened->data()), opened->size());
}

// --- ReplicaImpl: keys held, slots kept, purges ---

Result<std::optional<RecordKeyBytes>> ReplicaImpl::RecordKey(const RecordId& record) {
  Scoped g(st.record_key);
  st.record_key.BindBlob(1, crypto::ByteView(record.data(), record.size()));
  PARLEY_ASSIGN_OR_RETURN(bool row, st.record_key.Step());
  if (!row || st.record_key.IsNull(0) || st.record_key.Blob(0).size() != kRecordKeySize) {
    return std::optional<RecordKeyBytes>();
  }
  return RecordKeyBytes::Copy(st.record_key.Blob(0));
}

std::string ReplicaImpl::KeptSlots(const pb::ChangeBody* body, std::string_view slots) const {
  std::string out;
  for (std::size_t at = 0; at + kKeySlotSize <= slots.size(); at += kKeySlotSize) {
    const std::string_view slot = slots.substr(at, kKeySlotSize);
    if (body == nullptr) {  // not readable yet: kept until it is
      out.append(slot);
      continue;
    }
    const std::string hash = KeySlotHash(slot);
    bool wanted = false;
    for (const pb::Op& op : body->ops()) {
      if (op.kind_case() != pb::Op::kCreate || op.create().origin().empty() ||
          op.create().key_slot() != hash)
        continue;
      wanted = purged_.count(ToRecordId(op.record())) == 0;
      break;
    }
    // Each slot once.
    if (wanted && out.find(slot) == std::string::npos) out.append(slot);
  }
  return out;
}

std::string ReplicaImpl::JoinSlots(const pb::Change& change) {
  std::string out;
  for (const std::string& s : change.key_slots()) {
    if (s.size() == kKeySlotSize) out.append(s);
  }
  return out;
}

void ReplicaImpl::SplitSlots(std::string_view slots, pb::Change* change) {
  for (std::size_t at = 0; at + kKeySlotSize <= slots.size(); at += kKeySlotSize) {
    change->add_key_slots(std::string(slots.substr(at, kKeySlotSize)));
  }
}

Status ReplicaImpl::StoreSlots(std::int64_t cid, std::string_view slots) {
  Scoped g(st.store_slots);
  if (slots.empty()) {
    Stmt del;
    PARLEY_RETURN_IF_ERROR(del.Prepare(db_, "DELETE FROM log_slots WHERE cid = ?1"));
    return del.Bind(1, cid).Run();
  }
  st.store_slots.Bind(1, cid);
  BindBlobView(st.store_slots, 2, slots);
  return st.store_slots.Run();
}

Result<std::string> ReplicaImpl::SlotsOf(std::int64_t cid) {
  Scoped g(st.slots_of);
  st.slots_of.Bind(1, cid);
  PARLEY_ASSIGN_OR_RETURN(bool row, st.slots_of.Step());
  return row ? std::string(AsText(st.slots_of.Blob(0))) : std::string();
}

std::string ReplicaImpl::OpenedValue(const std::optional<RecordKeyBytes>& key,
                                     const RecordId& record, std::string_view field,
                                     std::string_view sealed, bool* unreadable) const {
  std::optional<std::string> plain;
  if (key.has_value()) plain = OpenValue(key->view(), record, field, sealed);
  *unreadable = !plain.has_value();
  return plain.has_value() ? std::move(*plain) : std::string();
}

Result<std::uint32_t> ReplicaImpl::EpochOf(std::int64_t cid) {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db_, "SELECT epoch FROM log_changes WHERE cid = ?1"));
  s.Bind(1, cid);
  PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? static_cast<std::uint32_t>(s.Int(0)) : 0u;
}

Status ReplicaImpl::TakeRecordKey(const RecordId& record, const pb::CreateRecord& create,
                                  const SlotSource* source) {
  if (source == nullptr || create.key_slot().empty()) return Status::Ok();
  std::optional<RecordKeyBytes> key;
  for (std::size_t at = 0; at + kKeySlotSize <= source->slots.size(); at += kKeySlotSize) {
    const std::string_view slot = source->slots.substr(at, kKeySlotSize);
    if (KeySlotHash(slot) != create.key_slot()) continue;
    if (source->epoch_key != nullptr)
      key = OpenKeySlot(source->epoch_key->key.view(), record, slot);
    break;
  }
  // Without a slot (dropped, or never sent) the row still says which change and slot held
  // the key, for a purge to name to relays.
  Scoped g(st.insert_record_key);
  Stmt& s = st.insert_record_key;
  s.BindBlob(1, crypto::ByteView(record.data(), record.size()));
  if (key.has_value()) {
    s.BindBlob(2, key->view());
  } else {
    s.BindNull(2);
  }
  s.Bind(3, source->cid);
  BindBlobView(s, 4, create.key_slot());
  return s.Run();
}

Status ReplicaImpl::LoadPurged() {
  purged_.clear();
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db_, "SELECT record FROM log_purged"));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    purged_.insert(ToRecordId(AsText(s.Blob(0))));
  }
  return Status::Ok();
}

Status ReplicaImpl::NoteLatePurgedCreate(const RecordId& record, const pb::CreateRecord& create,
                                         const SlotSource* source) {
  if (source == nullptr || create.key_slot().empty()) return Status::Ok();
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db_,
                "UPDATE log_purged SET change_id = (SELECT id FROM log_changes WHERE cid = ?2), "
                "slot_hash = ?3 WHERE record = ?1 AND change_id IS NULL"));
  s.BindBlob(1, crypto::ByteView(record.data(), record.size())).Bind(2, source->cid);
  BindBlobView(s, 3, create.key_slot());
  return s.Run();
}

Status ReplicaImpl::DropSlot(std::int64_t cid, std::string_view slot_hash) {
  PARLEY_ASSIGN_OR_RETURN(std::string slots, SlotsOf(cid));
  std::string kept;
  for (std::size_t at = 0; at + kKeySlotSize <= slots.size(); at += kKeySlotSize) {
    const std::string_view slot = std::string_view(slots).substr(at, kKeySlotSize);
    if (KeySlotHash(slot) != slot_hash) kept.append(slot);
  }
  if (kept.size() == slots.size()) return Status::Ok();
  last_purge_.slot_dropped = true;
  return StoreSlots(cid, kept);
}

Status ReplicaImpl::FillMissingSlots(const pb::Change& change, const ChangeId& id) {
  std::int64_t cid = 0;
  bool pending = false;
  std::uint32_t epoch = 0;
  {
    Stmt s;
    PARLEY_RETURN_IF_ERROR(s.Prepare(
        db_, "SELECT cid, pending, epoch FROM log_changes WHERE id = ?1 AND membership != 3"));
    s.BindBlob(1, crypto::ByteView(id.data(), id.size()));
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    cid = s.Int(0);
    pending = s.Int(1) != 0;
    epoch = static_cast<std::uint32_t>(s.Int(2));
  }
  PARLEY_ASSIGN_OR_RETURN(std::string stored, SlotsOf(cid));
  const std::string incoming = JoinSlots(change);
  std::string slots = stored;
  if (pending) {
    // Not applied yet: kept like the slots of its first copy, filtered when it is applied.
    for (std::size_t at = 0; at + kKeySlotSize <= incoming.size(); at += kKeySlotSize) {
      const std::string_view slot = std::string_view(incoming).substr(at, kKeySlotSize);
      if (slots.find(slot) == std::string::npos) slots.append(slot);
    }
  } else {
    // Applied: only the slot of a record this change created, not purged, whose key is not held.
    struct Missing {
      RecordId record;
      std::string slot_hash;
    };
    std::vector<Missing> missing;
    {
      Stmt s;
      PARLEY_RETURN_IF_ERROR(s.Prepare(
          db_, "SELECT record, slot_hash FROM log_record_keys WHERE cid = ?1 AND key IS NULL"));
      s.Bind(1, cid);
      for (;;) {
        PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        missing.push_back(Missing{ToRecordId(AsText(s.Blob(0))), std::string(AsText(s.Blob(1)))});
      }
    }
    const store::VaultKey* epoch_key = EpochKey(epoch);
    for (const Missing& m : missing) {
      if (purged_.count(m.record) != 0 || epoch_key == nullptr) continue;
      for (std::size_t at = 0; at + kKeySlotSize <= incoming.size(); at += kKeySlotSize) {
        const std::string_view slot = std::string_view(incoming).substr(at, kKeySlotSize);
        if (KeySlotHash(slot) != m.slot_hash) continue;
        std::optional<RecordKeyBytes> key = OpenKeySlot(epoch_key->key.view(), m.record, slot);
        if (!key.has_value()) break;
        Stmt u;
        PARLEY_RETURN_IF_ERROR(u.Prepare(
            db_, "UPDATE log_record_keys SET key = ?1 WHERE record = ?2 AND key IS NULL"));
        u.BindBlob(1, key->view()).BindBlob(2, crypto::ByteView(m.record.data(), m.record.size()));
        PARLEY_RETURN_IF_ERROR(u.Run());
        PARLEY_ASSIGN_OR_RETURN(std::int64_t rid, FindRecord(m.record, nullptr));
        if (rid != 0) MarkText(rid);  // its values are readable now: indexed
        if (slots.find(slot) == std::string::npos) slots.append(slot);
        break;
      }
    }
  }
  if (slots == stored) return Status::Ok();
  return StoreSlots(cid, slots);
}

Status ReplicaImpl::DestroyRecord(const RecordId& record, const PurgeBy& by) {
  const crypto::ByteView rec(record.data(), record.size());
  last_purge_ = PurgeOutcome{};
  PARLEY_ASSIGN_OR_RETURN(std::int64_t rid, FindRecord(record, nullptr));
  if (rid != 0) {
    // Its text index rows go before the commit, and the index is merged so that its words
    // leave the pages (text_index.cc).
    MarkText(rid);
    text_purged_ = true;
    // The record's ops are chained from log_records.last_op (schema.h).
    PARLEY_ASSIGN_OR_RETURN(std::int64_t op, LastOp(rid));
    Stmt del_op;
    PARLEY_RETURN_IF_ERROR(
        del_op.Prepare(db_, "DELETE FROM log_ops WHERE op = ?1 AND rid = ?2 RETURNING prev"));
    while (op != 0) {
      del_op.Reset();
      del_op.Bind(1, op).Bind(2, rid);
      PARLEY_ASSIGN_OR_RETURN(bool row, del_op.Step());
      if (!row) break;
      op = del_op.Int(0);
      ++last_purge_.ops_destroyed;
    }
    del_op.Reset();
    Stmt rest;
    PARLEY_RETURN_IF_ERROR(
        rest.Prepare(db_, "DELETE FROM log_ops WHERE rid = ?1"));  // none when the chain is whole
    PARLEY_RETURN_IF_ERROR(rest.Bind(1, rid).Run());
    last_purge_.ops_destroyed += static_cast<std::size_t>(sqlite3_changes(db_));
    for (const char* sql :
         {"DELETE FROM log_live WHERE rid = ?1", "DELETE FROM log_superseded WHERE rid = ?1",
          "DELETE FROM log_records WHERE rid = ?1"}) {
      Stmt d;
      PARLEY_RETURN_IF_ERROR(d.Prepare(db_, sql));
      PARLEY_RETURN_IF_ERROR(d.Bind(1, rid).Run());
    }
  }
  // The key goes (secure_delete overwrites its bytes), and with it the slot in the change
  // that carried it.
  std::int64_t cid = 0;
  std::string slot_hash, change_id;
  {
    Stmt k;
    PARLEY_RETURN_IF_ERROR(
        k.Prepare(db_,
                  "SELECT k.cid, k.slot_hash, k.key IS NOT NULL, c.id FROM log_record_keys k "
                  "LEFT JOIN log_changes c ON c.cid = k.cid WHERE k.record = ?1"));
    k.BindBlob(1, rec);
    PARLEY_ASSIGN_OR_RETURN(bool row, k.Step());
    if (row) {
      cid = k.Int(0);
      slot_hash = std::string(AsText(k.Blob(1)));
      last_purge_.key_destroyed = k.Int(2) != 0;
      if (!k.IsNull(3)) change_id = std::string(AsText(k.Blob(3)));
    }
    Stmt del;
    PARLEY_RETURN_IF_ERROR(del.Prepare(db_, "DELETE FROM log_record_keys WHERE record = ?1"));
    PARLEY_RETURN_IF_ERROR(del.BindBlob(1, rec).Run());
  }
  if (cid != 0 && !slot_hash.empty()) PARLEY_RETURN_IF_ERROR(DropSlot(cid, slot_hash));
  {
    Stmt p;
    PARLEY_RETURN_IF_ERROR(p.Prepare(
        db_,
        "INSERT OR IGNORE INTO log_purged(record, author, seq, hlc, change_id, slot_hash) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    p.BindBlob(1, rec).Bind(2, by.author_id).Bind(3, static_cast<std::int64_t>(by.seq));
    p.Bind(4, static_cast<std::int64_t>(by.hlc));
    if (change_id.size() == sizeof(ChangeId) && slot_hash.size() == crypto::kHashSize) {
      p.BindBlob(5, crypto::AsBytes(change_id)).BindBlob(6, crypto::AsBytes(slot_hash));
    } else {
      p.BindNull(5).BindNull(6);
    }
    PARLEY_RETURN_IF_ERROR(p.Run());
  }
  purged_.insert(record);
  record_rids_.clear();
  created_rids_.clear();
  last_ops_.clear();
  purged_since_checkpoint_ = true;
  return CountSuperseded();
}

Status ReplicaImpl::ApplyPurges() {
  for (const auto& [record_bytes, p] : membership_.purges) {
    const RecordId record = ToRecordId(record_bytes);
    if (purged_.count(record) != 0) continue;
    const std::int64_t aid = FindAuthor(p.author);
    if (aid == 0) continue;
    const PurgeBy by{aid, p.seq, p.hlc};
    if (sqlite3_get_autocommit(db_) != 0) {
      PARLEY_RETURN_IF_ERROR(InTransaction([&] { return DestroyRecord(record, by); }));
    } else {
      PARLEY_RETURN_IF_ERROR(DestroyRecord(record, by));
    }
  }
  return Status::Ok();
}

void ReplicaImpl::CheckpointAfterPurge() {
  if (!purged_since_checkpoint_ || sqlite3_get_autocommit(db_) == 0) return;
  purged_since_checkpoint_ = false;
  // Old page images of the purged rows go from the write-ahead log (best effort: a reader
  // of another connection may hold some back until the next checkpoint).
  (void)sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
}

Result<PurgeOutcome> ReplicaImpl::Purge(const RecordId& record) {
  PARLEY_RETURN_IF_ERROR(RevalidateCaches());
  PARLEY_RETURN_IF_ERROR(CheckAdmin());
  if (purged_.count(record) != 0) {
    return Error(Domain::kLog, Code::kNotFound,
                 "record " + ToString(record) + " was already purged");
  }
  PARLEY_ASSIGN_OR_RETURN(std::int64_t rid, CreatedRecord(record));
  if (rid == 0) return Error(Domain::kLog, Code::kNotFound, "no record " + ToString(record));
  PARLEY_ASSIGN_OR_RETURN(auto tx, BeginLocal(/*require_member=*/true));
  PARLEY_RETURN_IF_ERROR(tx->Purge(record));
  PARLEY_ASSIGN_OR_RETURN(ChangeId id, tx->Commit());
  PurgeOutcome out = last_purge_;
  out.change = id;
  CheckpointAfterPurge();
  return out;
}

Result<std::optional<PurgeRecordInfo>> ReplicaImpl::PurgeInfo(const RecordId& record) {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db_, "SELECT author, seq, hlc FROM log_purged WHERE record = ?1"));
  s.BindBlob(1, crypto::ByteView(record.data(), record.size()));
  PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<PurgeRecordInfo>();
  PurgeRecordInfo info;
  const AuthorInfo& a = author(s.Int(0));
  info.author = a.hex;
  info.author_name = a.name;
  info.seq = static_cast<std::uint64_t>(s.Int(1));
  info.hlc = static_cast<std::uint64_t>(s.Int(2));
  return std::optional<PurgeRecordInfo>(info);
}

}  // namespace parley::log
