// Opening a replica, creating a vault, and the log's bookkeeping (authors, chain state,
// version vectors, export of held changes).
#include <algorithm>
#include <cstring>

#include "log/change_codec.h"
#include "log/pairing.h"
#include "log/replica_impl.h"
#include "log/transaction.h"
#include "log/tuning.h"
#include "parley/core/enrolment.h"
#include "parley/core/replica_sync.h"

namespace parley::log {
namespace {

// Times an apply verifies its batch again because another process stored some of the same
// changes meanwhile, before it gives up with Code::kBusy.
constexpr int kMaxApplyRaces = 4;

std::string_view AsText(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
crypto::ByteView Bv(std::string_view s) { return crypto::AsBytes(s); }

}  // namespace

std::string ToString(const RecordId& id) {
  return crypto::ToHex(crypto::ByteView(id.data(), id.size()));
}

Result<RecordId> ParseRecordId(std::string_view hex) {
  if (hex.size() != 32)
    return Error(Domain::kLog, Code::kInvalidArgument, "a record id is 32 hex characters");
  auto bytes = crypto::FromHex(hex);
  if (!bytes.ok())
    return Error(Domain::kLog, Code::kInvalidArgument, "a record id is 32 hex characters");
  RecordId id{};
  std::memcpy(id.data(), bytes->data(), id.size());
  return id;
}

const Field* Record::field(std::string_view name) const {
  for (const Field& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string Record::get(std::string_view name, std::string_view fallback) const {
  const Field* f = field(name);
  return f != nullptr && !f->values.empty() ? f->newest() : std::string(fallback);
}

Result<std::unique_ptr<Replica>> Replica::Open(store::Store& store, Clock& clock) {
  PARLEY_RETURN_IF_ERROR(crypto::InitCrypto());
  if (store.db() == nullptr) return Error(Domain::kLog, Code::kLocked, "the store is locked");
  auto r = std::make_unique<ReplicaImpl>(store, clock);
  PARLEY_RETURN_IF_ERROR(r->Init());
  return std::unique_ptr<Replica>(std::move(r));
}

ReplicaImpl::ReplicaImpl(store::Store& store, Clock& clock)
    : store_(store), db_(store.db()), hlc_(clock) {}

Status ReplicaImpl::Init() {
  PARLEY_RETURN_IF_ERROR(CreateSchema(db_));
  struct {
    Stmt* stmt;
    const char* sql;
  } const kStatements[] = {
      {&st.find_record, "SELECT rid, type FROM log_records WHERE id = ?1"},
      {&st.insert_record, "INSERT INTO log_records(id) VALUES (?1)"},
      {&st.update_record_type,
       "UPDATE log_records SET type = ?2, created_hlc = ?3 WHERE rid = ?1 AND (type = '' OR "
       "created_hlc > ?3 OR "
       "(created_hlc = ?3 AND type > ?2))"},
      {&st.live_field, "SELECT op FROM log_live WHERE rid = ?1 AND field = ?2"},
      {&st.live_record, "SELECT op, field FROM log_live WHERE rid = ?1"},
      {&st.op_held, "SELECT 1 FROM log_ops WHERE op = ?1"},
      {&st.kill_live_exact, "DELETE FROM log_live WHERE rid = ?1 AND field = ?2 AND op = ?3"},
      {&st.kill_live, "DELETE FROM log_live WHERE rid = ?1 AND op = ?2"},
      {&st.insert_live, "INSERT INTO log_live(rid, field, op) VALUES (?1, ?2, ?3)"},
      {&st.last_op, "SELECT last_op FROM log_records WHERE rid = ?1"},
      {&st.set_last_op, "UPDATE log_records SET last_op = ?2 WHERE rid = ?1"},
      {&st.insert_superseded, "INSERT OR IGNORE INTO log_superseded(op, rid) VALUES (?1, ?2)"},
      {&st.check_superseded, "SELECT 1 FROM log_superseded WHERE op = ?1 AND rid = ?2"},
      {&st.delete_superseded, "DELETE FROM log_superseded WHERE op = ?1 AND rid = ?2"},
      {&st.insert_op,
       "INSERT INTO log_ops(op, rid, kind, field, value, hlc, prev) VALUES (?1, ?2, ?3, ?4, ?5, "
       "?6, ?7)"},
      {&st.insert_change,
       "INSERT INTO log_changes(author, seq, id, prev, hlc, epoch, pending, membership, header, "
       "body, signature) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"},
      {&st.held_id, "SELECT id, prev, signature FROM log_changes WHERE author = ?1 AND seq = ?2"},
      {&st.chain_state, "SELECT contig FROM log_authors WHERE id = ?1"},
      {&st.max_seq, "SELECT max_seq FROM log_authors WHERE id = ?1"},
      {&st.update_chain,
       "UPDATE log_authors SET max_seq = max(max_seq, ?2), held = held + 1, contig = ?3 WHERE id = "
       "?1"},
      {&st.insert_author, "INSERT INTO log_authors(key) VALUES (?1)"},
      {&st.set_meta, "INSERT OR REPLACE INTO log_meta(k, v) VALUES (?1, ?2)"},
      {&st.pending_changes,
       "SELECT cid, author, seq, membership, epoch FROM log_changes WHERE pending ORDER BY cid"},
      {&st.mark_membership, "UPDATE log_changes SET membership = ?2, hlc = ?3 WHERE cid = ?1"},
      {&st.pending_change, "SELECT header, body, signature FROM log_changes WHERE cid = ?1"},
      {&st.mark_applied, "UPDATE log_changes SET pending = 0 WHERE cid = ?1"},
      {&st.mark_quarantined, "UPDATE log_changes SET pending = 0, membership = 3 WHERE cid = ?1"},
      {&st.data_version, "PRAGMA data_version"},
      {&st.record_key, "SELECT key FROM log_record_keys WHERE record = ?1"},
      {&st.insert_record_key,
       "INSERT OR IGNORE INTO log_record_keys(record, key, cid, slot_hash) VALUES (?1, ?2, ?3, "
       "?4)"},
      {&st.store_slots, "INSERT OR REPLACE INTO log_slots(cid, slots) VALUES (?1, ?2)"},
      {&st.slots_of, "SELECT slots FROM log_slots WHERE cid = ?1"},
      {&st.text_record, "SELECT id, type, created_hlc FROM log_records WHERE rid = ?1"},
      {&st.text_get, "SELECT text, scope FROM log_text WHERE rowid = ?1"},
      {&st.text_del, "DELETE FROM log_text WHERE rowid = ?1"},
      {&st.text_put,
       "INSERT INTO log_text(rowid, text, record, type, field, scope) VALUES (?1, ?2, ?3, ?4, ?5, "
       "?6)"},
  };
  for (const auto& s : kStatements) PARLEY_RETURN_IF_ERROR(s.stmt->Prepare(db_, s.sql));
  PARLEY_RETURN_IF_ERROR(RevalidateCaches());  // records the data version the caches start from

  Stmt meta;
  PARLEY_RETURN_IF_ERROR(meta.Prepare(db_, "SELECT k, v FROM log_meta"));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, meta.Step());
    if (!row) break;
    if (meta.Text(0) == "founder") founder_ = std::string(AsText(meta.Blob(1)));
    if (meta.Text(0) == "change_size_limit") {
      change_size_limit_ =
          static_cast<std::size_t>(std::max<std::int64_t>(0, sqlite3_column_int64(meta.raw(), 1)));
    }
    if (meta.Text(0) == "hlc")
      hlc_.Resume(static_cast<std::uint64_t>(sqlite3_column_int64(meta.raw(), 1)));
  }
  if (store_.vault().has_value()) {
    const auto& v = store_.vault()->vault_id;
    vault_id_.assign(v.begin(), v.end());
  }
  PARLEY_RETURN_IF_ERROR(ReloadAuthors());
  PARLEY_RETURN_IF_ERROR(CountSuperseded());
  PARLEY_RETURN_IF_ERROR(LoadPurged());
  const auto& pk = store_.device().identity.public_key;
  std::string self(pk.begin(), pk.end());
  self_id_ = FindAuthor(self);
  if (self_id_ == 0) {
    PARLEY_ASSIGN_OR_RETURN(self_id_, InternAuthor(self));
  }
  // A log written before roles could change kept its membership in another table: the
  // roles are derived again from the changes themselves.
  PARLEY_RETURN_IF_ERROR(RecomputeMembership());
  return CheckTextIndex();
}

Status ReplicaImpl::ReloadAuthors() {
  authors_.assign(1, AuthorInfo{});
  author_ids_.clear();
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db_, "SELECT id, key, name, role FROM log_authors ORDER BY id"));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    auto id = static_cast<std::size_t>(s.Int(0));
    if (authors_.size() <= id) authors_.resize(id + 1);
    AuthorInfo& a = authors_[id];
    a.key = std::string(AsText(s.Blob(1)));
    a.hex = crypto::ToHex(Bv(a.key));
    a.name = std::string(s.Text(2));
    a.role = static_cast<int>(s.Int(3));
    author_ids_[a.key] = static_cast<std::int64_t>(id);
  }
  return Status::Ok();
}

std::int64_t ReplicaImpl::FindAuthor(std::string_view key) const {
  auto it = author_ids_.find(std::string(key));
  return it == author_ids_.end() ? 0 : it->second;
}

Result<std::int64_t> ReplicaImpl::InternAuthor(std::string_view key) {
  if (std::int64_t id = FindAuthor(key); id != 0) return id;
  if (key.size() != crypto::kSignPublicKeySize)
    return Error(Domain::kLog, Code::kCorrupt, "malformed device key");
  Scoped g(st.insert_author);
  PARLEY_RETURN_IF_ERROR(st.insert_author.BindBlob(1, Bv(key)).Run());
  const std::int64_t id = sqlite3_last_insert_rowid(db_);
  if (id <= 0 || static_cast<std::uint64_t>(id) > kMaxAuthors) {
    return Error(Domain::kLog, Code::kUnsupported, "too many devices in one vault");
  }
  if (authors_.size() <= static_cast<std::size_t>(id))
    authors_.resize(static_cast<std::size_t>(id) + 1);
  AuthorInfo& a = authors_[static_cast<std::size_t>(id)];
  a.key = std::string(key);
  a.hex = crypto::ToHex(Bv(key));
  author_ids_[a.key] = id;
  return id;
}

Status ReplicaImpl::InTransaction(const std::function<Status()>& body) {
  PARLEY_ASSIGN_OR_RETURN(ImmediateTransaction tx, ImmediateTransaction::Begin(db_, Domain::kLog));
  Status s = RevalidateCaches();  // exact now: no other connection can commit until this one ends
  if (s.ok()) s = body();
  if (s.ok()) s = FlushTextIndex();
  if (s.ok()) s = tx.Commit();  // rolls back itself when the commit fails
  if (!s.ok()) {
    (void)tx.Rollback();
    (void)ReloadAfterRollback();
  }
  return s;
}

Status ReplicaImpl::ReloadAfterRollback() {
  text_dirty_.clear();
  text_purged_ = false;
  record_rids_.clear();
  created_rids_.clear();
  last_ops_.clear();
  PARLEY_RETURN_IF_ERROR(ReloadAuthors());
  PARLEY_RETURN_IF_ERROR(LoadMembership());
  PARLEY_RETURN_IF_ERROR(LoadPurged());
  return CountSuperseded();
}

Status ReplicaImpl::RevalidateCaches() {
  if (tx_open_) return Status::Ok();  // this connection holds the write lock: nothing changed
  std::int64_t version = 0;
  {
    Scoped g(st.data_version);
    PARLEY_ASSIGN_OR_RETURN(bool row, st.data_version.Step());
    if (row) version = st.data_version.Int(0);
  }
  if (version == data_version_) return Status::Ok();
  if (data_version_ >= 0) {
    PARLEY_RETURN_IF_ERROR(ReloadAfterRollback());
    Stmt meta;
    PARLEY_RETURN_IF_ERROR(meta.Prepare(
        db_, "SELECT k, v FROM log_meta WHERE k IN ('founder', 'hlc', 'change_size_limit')"));
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(bool row, meta.Step());
      if (!row) break;
      if (meta.Text(0) == "founder") founder_ = std::string(AsText(meta.Blob(1)));
      if (meta.Text(0) == "hlc")
        hlc_.Resume(static_cast<std::uint64_t>(sqlite3_column_int64(meta.raw(), 1)));
      if (meta.Text(0) == "change_size_limit") {
        change_size_limit_ = static_cast<std::size_t>(
            std::max<std::int64_t>(0, sqlite3_column_int64(meta.raw(), 1)));
      }
    }
  }
  data_version_ = version;
  return Status::Ok();
}

Result<ApplyReport> ReplicaImpl::ApplyRacing(
    std::span<const pb::Change> changes,
    const std::function<Status(std::span<const ChangeId>)>* within) {
  for (int attempt = 0;; ++attempt) {
    insert_raced_ = false;
    auto report = ApplyWithin(changes, within);
    if (report.ok() || !insert_raced_) return report;
    insert_raced_ = false;
    if (attempt + 1 >= kMaxApplyRaces) {
      return Error(Domain::kLog, Code::kBusy,
                   "another process keeps storing the same changes at the same time; try again");
    }
  }
}

Status ReplicaImpl::CountSuperseded() {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db_, "SELECT count(*) FROM log_superseded"));
  PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
  superseded_rows_ = row ? s.Int(0) : 0;
  return Status::Ok();
}

Status ReplicaImpl::SetMeta(std::string_view key, std::string_view value) {
  Scoped g(st.set_meta);
  return st.set_meta.Bind(1, key).BindBlob(2, Bv(value)).Run();
}

Status ReplicaImpl::SaveClock() {
  Scoped g(st.set_meta);
  st.set_meta.Bind(1, std::string_view("hlc")).Bind(2, static_cast<std::int64_t>(hlc_.last()));
  return st.set_meta.Run();
}

Result<std::int64_t> ReplicaImpl::FindRecord(const RecordId& id, std::string* type) {
  if (type == nullptr) {
    auto it = record_rids_.find(id);
    if (it != record_rids_.end()) return it->second;
  }
  Scoped g(st.find_record);
  st.find_record.BindBlob(1, crypto::ByteView(id.data(), id.size()));
  PARLEY_ASSIGN_OR_RETURN(bool row, st.find_record.Step());
  if (!row) return std::int64_t{0};
  if (type != nullptr) *type = std::string(st.find_record.Text(1));
  const std::int64_t rid = st.find_record.Int(0);
  if (record_rids_.size() >= kMaxCachedRecords) record_rids_.clear();  // rows are in the table
  record_rids_[id] = rid;
  return rid;
}

Result<std::int64_t> ReplicaImpl::CreatedRecord(const RecordId& id) {
  if (auto it = created_rids_.find(id); it != created_rids_.end()) return it->second;
  std::string type;
  PARLEY_ASSIGN_OR_RETURN(std::int64_t rid, FindRecord(id, &type));
  if (rid == 0 || type.empty()) return std::int64_t{0};
  if (created_rids_.size() >= kMaxCachedRecords) created_rids_.clear();
  created_rids_.emplace(id, rid);
  return rid;
}

Result<std::int64_t> ReplicaImpl::InternRecord(std::string_view id) {
  RecordId record{};
  std::memcpy(record.data(), id.data(), record.size());
  PARLEY_ASSIGN_OR_RETURN(std::int64_t found, FindRecord(record, nullptr));
  if (found != 0) return found;
  Scoped g(st.insert_record);
  PARLEY_RETURN_IF_ERROR(st.insert_record.BindBlob(1, Bv(id)).Run());
  const std::int64_t rid = sqlite3_last_insert_rowid(db_);
  if (record_rids_.size() >= kMaxCachedRecords) record_rids_.clear();
  record_rids_[record] = rid;
  if (last_ops_.size() >= kMaxCachedRecords) last_ops_.clear();
  last_ops_[rid] = 0;
  return rid;
}

Result<std::optional<ReplicaImpl::HeldEntry>> ReplicaImpl::Held(std::int64_t author_id,
                                                                std::uint64_t seq) {
  if (author_id == 0 || seq == 0) return std::optional<HeldEntry>();
  Scoped g(st.held_id);
  st.held_id.Bind(1, author_id).Bind(2, static_cast<std::int64_t>(seq));
  PARLEY_ASSIGN_OR_RETURN(bool row, st.held_id.Step());
  if (!row) return std::optional<HeldEntry>();
  HeldEntry e;
  auto copy = [](std::span<const std::uint8_t> from, ChangeId& to) {
    if (from.size() == to.size()) std::memcpy(to.data(), from.data(), to.size());
  };
  copy(st.held_id.Blob(0), e.id);
  copy(st.held_id.Blob(1), e.prev);
  auto sig = st.held_id.Blob(2);
  e.link =
      ChangeLinkOf(e.id, std::string_view(reinterpret_cast<const char*>(sig.data()), sig.size()));
  return std::optional<HeldEntry>(e);
}

Status ReplicaImpl::InsertChange(std::int64_t author_id, std::uint64_t seq, const ChangeId& id,
                                 const pb::ChangeHeader& header, const pb::Change& change,
                                 std::uint64_t hlc, bool pending, std::int64_t membership) {
  {
    Scoped g(st.insert_change);
    Stmt& s = st.insert_change;
    s.Bind(1, author_id)
        .Bind(2, static_cast<std::int64_t>(seq))
        .BindBlob(3, crypto::ByteView(id.data(), id.size()));
    if (header.prev().empty()) {
      s.BindNull(4);
    } else {
      s.BindBlob(4, Bv(header.prev()));
    }
    s.Bind(5, static_cast<std::int64_t>(hlc)).Bind(6, static_cast<std::int64_t>(header.epoch()));
    s.Bind(7, std::int64_t{pending ? 1 : 0}).Bind(8, membership);
    BindBlobView(s, 9, change.header());
    BindBlobView(s, 10, change.body());
    BindBlobView(s, 11, change.signature());
    Status stored = s.Run();
    if (!stored.ok() && sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_UNIQUE) {
      // Another process stored this change after the batch was verified (ApplyRacing).
      insert_raced_ = true;
      return Error(Domain::kLog, Code::kBusy,
                   "another process stored change " + std::to_string(seq) +
                       " of the same device at the same time; try again");
    }
    PARLEY_RETURN_IF_ERROR(stored);
  }
  std::int64_t contig = 0;
  {
    Scoped g(st.chain_state);
    st.chain_state.Bind(1, author_id);
    PARLEY_ASSIGN_OR_RETURN(bool row, st.chain_state.Step());
    if (row) contig = st.chain_state.Int(0);
  }
  if (static_cast<std::uint64_t>(contig) + 1 == seq) {
    contig = static_cast<std::int64_t>(seq);
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(auto next, Held(author_id, static_cast<std::uint64_t>(contig) + 1));
      if (!next.has_value()) break;
      ++contig;
    }
  }
  Scoped g(st.update_chain);
  return st.update_chain.Bind(1, author_id)
      .Bind(2, static_cast<std::int64_t>(seq))
      .Bind(3, contig)
      .Run();
}

Result<std::vector<std::string>> ReplicaImpl::Gaps(std::int64_t author_id) {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db_, "SELECT max_seq, held, contig FROM log_authors WHERE id = ?1"));
  s.Bind(1, author_id);
  PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
  std::vector<std::string> out;
  if (!row || s.Int(0) == s.Int(1)) return out;
  std::uint64_t expect = static_cast<std::uint64_t>(s.Int(2)) + 1;
  Stmt q;
  PARLEY_RETURN_IF_ERROR(
      q.Prepare(db_, "SELECT seq FROM log_changes WHERE author = ?1 AND seq > ?2 ORDER BY seq"));
  q.Bind(1, author_id).Bind(2, s.Int(2));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool r, q.Step());
    if (!r) break;
    auto seq = static_cast<std::uint64_t>(q.Int(0));
    if (seq > expect) {
      out.push_back(author(author_id).hex + ": seq " + std::to_string(expect) + "-" +
                    std::to_string(seq - 1));
    }
    expect = seq + 1;
  }
  return out;
}

bool ReplicaImpl::HasVault() const { return !vault_id_.empty() && !founder_.empty(); }

std::string ReplicaImpl::DevicePairingCode() const {
  const store::DeviceKeys& d = store_.device();
  PairingInfo info;
  info.identity = d.identity.public_key;
  info.kx = d.kx.public_key;
  info.seal = d.seal.public_key;
  info.seal_cert = MakeSealCertificate(d.identity, d.seal.public_key);
  info.secret.assign(store::kEnrolSecretSize, 0);
  if (d.enrol_secret.size() == store::kEnrolSecretSize) {
    std::copy(d.enrol_secret.data(), d.enrol_secret.data() + store::kEnrolSecretSize,
              info.secret.begin());
  }
  info.name = d.name;
  std::string code = EncodePairingCode(info);
  std::fill(info.secret.begin(), info.secret.end(), std::uint8_t{0});
  return code;
}

Status ReplicaImpl::CreateVault(std::string_view name) {
  if (store_.vault().has_value())
    return Error(Domain::kLog, Code::kAlreadyExists, "this store already has a vault");
  if (tx_open_) return Error(Domain::kLog, Code::kBusy, "a transaction is open");
  store::VaultKeys keys;
  // The id is derived so that a relay can check who created the vault (replica_sync.h).
  const crypto::Bytes nonce = crypto::RandomBytes(32);
  keys.vault_id = DeriveVaultId(Bv(author(self_id_).key), nonce);
  keys.name = std::string(name);
  store::VaultKey k0;
  k0.epoch = 0;
  k0.key = crypto::SecretBytes::Random(crypto::kAeadKeySize);
  keys.epochs.push_back(std::move(k0));
  const std::string vault(keys.vault_id.begin(), keys.vault_id.end());
  const std::string self = author(self_id_).key;

  auto record_founder = [&]() -> Status {
    PARLEY_RETURN_IF_ERROR(SetMeta("founder", self));
    return SetMeta("vault_nonce", AsText(nonce));
  };
  PARLEY_RETURN_IF_ERROR(InTransaction(record_founder));
  founder_ = self;
  PARLEY_RETURN_IF_ERROR(store_.SetVault(std::move(keys)));
  vault_id_ = vault;
  PARLEY_ASSIGN_OR_RETURN(auto tx, BeginLocal(/*require_member=*/false));
  const store::DeviceKeys& d = store_.device();
  PARLEY_RETURN_IF_ERROR(tx->AddMember(Bv(author(self_id_).key), d.kx.public_key, kRoleAdmin,
                                       d.name, d.seal.public_key,
                                       MakeSealCertificate(d.identity, d.seal.public_key)));
  PARLEY_ASSIGN_OR_RETURN(ChangeId id, tx->Commit());
  (void)id;
  return Status::Ok();
}

Result<VersionVector> ReplicaImpl::Known() {
  PARLEY_RETURN_IF_ERROR(RevalidateCaches());
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db_, "SELECT id, contig FROM log_authors WHERE contig > 0 ORDER BY key"));
  VersionVector vv;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    vv.entries.emplace_back(author(s.Int(0)).hex, static_cast<std::uint64_t>(s.Int(1)));
  }
  return vv;
}

Result<std::vector<pb::Change>> ReplicaImpl::ChangesSince(const VersionVector& known) {
  PARLEY_RETURN_IF_ERROR(RevalidateCaches());
  std::unordered_map<std::string, std::uint64_t> have;
  for (const auto& [hex, seq] : known.entries) have[hex] = seq;
  Stmt authors_q, changes_q;
  PARLEY_RETURN_IF_ERROR(
      authors_q.Prepare(db_, "SELECT id FROM log_authors WHERE held > 0 ORDER BY key"));
  PARLEY_RETURN_IF_ERROR(changes_q.Prepare(db_,
                                           "SELECT c.header, c.body, c.signature, s.slots FROM "
                                           "log_changes c LEFT JOIN log_slots s ON s.cid = c.cid "
                                           "WHERE c.author = ?1 AND c.seq > ?2 ORDER BY c.seq"));
  std::vector<pb::Change> out;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, authors_q.Step());
    if (!row) break;
    const std::int64_t id = authors_q.Int(0);
    auto it = have.find(author(id).hex);
    changes_q.Reset();
    changes_q.Bind(1, id).Bind(2, static_cast<std::int64_t>(it == have.end() ? 0 : it->second));
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(bool r, changes_q.Step());
      if (!r) break;
      pb::Change& c = out.emplace_back();
      c.set_header(std::string(AsText(changes_q.Blob(0))));
      c.set_body(std::string(AsText(changes_q.Blob(1))));
      c.set_signature(std::string(AsText(changes_q.Blob(2))));
      if (!changes_q.IsNull(3)) SplitSlots(AsText(changes_q.Blob(3)), &c);
    }
  }
  return out;
}

Result<std::uint64_t> ReplicaImpl::ChangeCount() {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db_, "SELECT count(*) FROM log_changes"));
  PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? static_cast<std::uint64_t>(s.Int(0)) : 0;
}

}  // namespace parley::log
