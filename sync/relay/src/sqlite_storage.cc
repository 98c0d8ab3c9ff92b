// SQLite relay storage. Schema (docs/wire-protocol.md, "Relay storage"):
//   vaults(vid, vault, creator, head_seq, members_version, members_list, members_signer,
//          members_signature)
//   changes(vid, seq, id, author, author_seq, data)   data NULL once purged
//   chains(vid, author, seq, link)                     per-author chain head and its link
//   envelopes(vid, recipient, digest, sealed)          also indexed by recipient
//   vault_members(identity, vid)                       who each vault's current list admits
//   revoked_devices(identity, vid)                     whom each vault's current list revokes
// The last two index the stored lists (rewritten with each list, in its transaction); they
// came with schema version 1 (PRAGMA user_version), whose migration fills them from the
// lists already stored.
// head_seq is the vault's last assigned sequence number; it only grows, so numbers are
// never reused even after a purge. WAL with synchronous=FULL: a commit is on disk when
// sqlite3_step of COMMIT returns.
#include <sqlite3.h>
#include <sys/stat.h>

#include <deque>
#include <limits>
#include <map>

#include "parley/change.pb.h"
#include "parley/core/crypto.h"
#include "parley/core/sqlite_util.h"
#include "parley/relay/relay_storage.h"
#include "parley/relay/tuning.h"
#include "parley/sync/auth.h"

namespace parley::relay {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS vaults(
  vid INTEGER PRIMARY KEY, vault BLOB NOT NULL UNIQUE, creator BLOB NOT NULL,
  head_seq INTEGER NOT NULL DEFAULT 0, members_version INTEGER NOT NULL DEFAULT 0,
  members_list BLOB, members_signer BLOB, members_signature BLOB);
CREATE TABLE IF NOT EXISTS changes(
  vid INTEGER NOT NULL, seq INTEGER NOT NULL, id BLOB NOT NULL, author BLOB NOT NULL,
  author_seq INTEGER NOT NULL, data BLOB, PRIMARY KEY(vid, seq));
CREATE UNIQUE INDEX IF NOT EXISTS changes_by_id ON changes(vid, id);
CREATE TABLE IF NOT EXISTS chains(
  vid INTEGER NOT NULL, author BLOB NOT NULL, seq INTEGER NOT NULL, link BLOB NOT NULL,
  PRIMARY KEY(vid, author)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS envelopes(
  vid INTEGER NOT NULL, recipient BLOB NOT NULL, digest BLOB NOT NULL, sealed BLOB NOT NULL,
  PRIMARY KEY(vid, recipient, digest)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS envelopes_by_recipient ON envelopes(recipient, vid, digest);
CREATE TABLE IF NOT EXISTS vault_members(
  identity BLOB NOT NULL, vid INTEGER NOT NULL, PRIMARY KEY(identity, vid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS vault_members_by_vault ON vault_members(vid);
CREATE TABLE IF NOT EXISTS revoked_devices(
  identity BLOB NOT NULL, vid INTEGER NOT NULL, PRIMARY KEY(identity, vid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS revoked_devices_by_vault ON revoked_devices(vid);
)sql";

// PRAGMA user_version of storage this code writes. 0: before the member and revocation
// indexes (filled from the stored lists when such storage is opened).
constexpr std::int64_t kSchemaVersion = 1;

Status Io(int rc, sqlite3* db, std::string_view what) {
  return SqliteStatus(rc, db, what, Domain::kSync);
}
Bytes ToBytes(std::span<const std::uint8_t> b) { return Bytes(b.begin(), b.end()); }
ByteView View(const std::string& s) { return crypto::AsBytes(s); }

// The stored list in columns `first` .. `first` + 3 of a row: version, list, signer,
// signature.
StoredMembership StoredMembershipAt(const Stmt& s, int first) {
  StoredMembership m;
  m.version = static_cast<std::uint64_t>(s.Int(first));
  auto list = s.Blob(first + 1);
  m.list.assign(reinterpret_cast<const char*>(list.data()), list.size());
  m.signer = ToBytes(s.Blob(first + 2));
  m.signature = ToBytes(s.Blob(first + 3));
  return m;
}

class SqliteRelayStorage final : public RelayStorage {
 public:
  explicit SqliteRelayStorage(sqlite3* db) : db_(db) {}
  ~SqliteRelayStorage() override {
    stmts_.clear();
    sqlite3_close_v2(db_);
  }

  Status Init() {
    sqlite3_busy_timeout(db_, tuning::kSqliteBusyTimeoutMs);
    // secure_delete: the bytes of a dropped key slot or purged change are overwritten, not
    // left in free pages.
    PARLEY_RETURN_IF_ERROR(
        Exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;",
             Domain::kSync));
    PARLEY_RETURN_IF_ERROR(Exec(db_, kSchema, Domain::kSync));
    // Storage written when chain heads held ids (chain format 1) is refused, not misread.
    Stmt layout;
    PARLEY_RETURN_IF_ERROR(
        layout.Prepare(db_, "SELECT 1 FROM pragma_table_info('chains') WHERE name = 'link'"));
    PARLEY_ASSIGN_OR_RETURN(bool has_link, layout.Step());
    if (!has_link) {
      return Error(
          Domain::kSync, Code::kUnsupported,
          "this relay's storage uses an earlier chain format that this version cannot serve");
    }
    PARLEY_ASSIGN_OR_RETURN(std::int64_t version, UserVersion());
    if (version > kSchemaVersion) {
      return Error(Domain::kSync, Code::kUnsupported,
                   "this relay's storage was written by a newer version");
    }
    if (version < kSchemaVersion) PARLEY_RETURN_IF_ERROR(Migrate());
    return Status::Ok();
  }

  Status RegisterVault(ByteView vault, ByteView creator) override {
    bool registered = false;
    const Status done = WithImmediateTransaction(
        db_,
        [&]() -> Status {
          Stmt& s = Get("INSERT OR IGNORE INTO vaults(vault, creator) VALUES(?, ?)");
          PARLEY_RETURN_IF_ERROR(s.BindBlob(1, vault).BindBlob(2, creator).Run());
          if (sqlite3_changes(db_) == 0) return Status::Ok();
          registered = true;
          const std::int64_t vid = sqlite3_last_insert_rowid(db_);
          Stmt& m = Get("INSERT OR IGNORE INTO vault_members(identity, vid) VALUES(?, ?)");
          return m.BindBlob(1, creator).Bind(2, vid).Run();
        },
        Domain::kSync);
    PARLEY_RETURN_IF_ERROR(done);
    if (!registered) return Error(Domain::kSync, Code::kAlreadyExists, "the vault is registered");
    return Status::Ok();
  }

  Result<VaultInfo> GetVault(ByteView vault) override {
    Stmt& s =
        Get("SELECT creator, head_seq, members_version, members_list, members_signer, "
            "members_signature "
            "FROM vaults WHERE vault = ?");
    s.BindBlob(1, vault);
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) {
      s.Reset();
      return Error(Domain::kSync, Code::kNotFound, "unknown vault");
    }
    VaultInfo v;
    v.creator = ToBytes(s.Blob(0));
    v.head_seq = static_cast<std::uint64_t>(s.Int(1));
    v.membership = StoredMembershipAt(s, 2);
    s.Reset();
    return v;
  }

  Status SetMembership(ByteView vault, const StoredMembership& m) override {
    bool replaced = false;
    const Status done = WithImmediateTransaction(
        db_,
        [&]() -> Status {
          Stmt& s =
              Get("UPDATE vaults SET members_version = ?, members_list = ?, members_signer = ?, "
                  "members_signature = ? "
                  "WHERE vault = ? AND members_version = ?");
          s.Bind(1, static_cast<std::int64_t>(m.version))
              .BindBlob(2, View(m.list))
              .BindBlob(3, m.signer);
          s.BindBlob(4, m.signature)
              .BindBlob(5, vault)
              .Bind(6, static_cast<std::int64_t>(m.version) - 1);
          PARLEY_RETURN_IF_ERROR(s.Run());
          if (sqlite3_changes(db_) != 1) return Status::Ok();
          replaced = true;
          PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
          return IndexList(vid, m.list);
        },
        Domain::kSync);
    PARLEY_RETURN_IF_ERROR(done);
    if (replaced) return Status::Ok();
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return Error(Domain::kSync, Code::kNotFound, "unknown vault");
    return Error(Domain::kSync, Code::kConflict, "the membership version is not the next one");
  }

  Result<std::optional<Revocation>> FindRevocation(ByteView identity) override {
    Stmt& s = Get(
        "SELECT v.vault, v.members_version, v.members_list, v.members_signer, v.members_signature "
        "FROM revoked_devices r JOIN vaults v ON v.vid = r.vid WHERE r.identity = ? ORDER BY r.vid "
        "LIMIT 1");
    s.BindBlob(1, identity);
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    std::optional<Revocation> out;
    if (row) {
      Revocation& r = out.emplace();
      r.vault = ToBytes(s.Blob(0));
      r.membership = StoredMembershipAt(s, 1);
    }
    s.Reset();
    return out;
  }

  Result<bool> IsMemberAnywhere(ByteView identity) override {
    Stmt& s = Get("SELECT 1 FROM vault_members WHERE identity = ? LIMIT 1");
    s.BindBlob(1, identity);
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    s.Reset();
    return row;
  }

  Result<std::vector<InsertOutcome>> InsertChanges(std::span<const NewChange> changes) override {
    PARLEY_ASSIGN_OR_RETURN(ImmediateTransaction tx,
                            ImmediateTransaction::Begin(db_, Domain::kSync));
    auto out = InsertAll(changes);
    if (!out.ok()) return out.status();  // rolled back by tx
    PARLEY_RETURN_IF_ERROR(tx.Commit());
    return out;
  }

  Result<std::vector<ChangeRow>> ReadChanges(ByteView vault, std::uint64_t after_seq,
                                             std::size_t max_bytes, std::size_t max_count,
                                             bool* more) override {
    *more = false;
    std::vector<ChangeRow> rows;
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return Error(Domain::kSync, Code::kNotFound, "unknown vault");
    Stmt& s =
        Get("SELECT seq, data FROM changes WHERE vid = ? AND seq > ? AND data IS NOT NULL ORDER BY "
            "seq");
    s.Bind(1, vid).Bind(2, static_cast<std::int64_t>(after_seq));
    std::size_t bytes = 0;
    PARLEY_RETURN_IF_ERROR(s.ForEach([&](const Stmt& row) {
      auto data = row.Blob(1);
      if (!rows.empty() && (bytes + data.size() > max_bytes || rows.size() >= max_count)) {
        *more = true;
        return false;
      }
      bytes += data.size();
      rows.push_back(
          ChangeRow{static_cast<std::uint64_t>(row.Int(0)),
                    std::string(reinterpret_cast<const char*>(data.data()), data.size())});
      return true;
    }));
    return rows;
  }

  Result<std::optional<Bytes>> ChangeIdAt(ByteView vault, std::uint64_t relay_seq) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return Error(Domain::kSync, Code::kNotFound, "unknown vault");
    std::optional<Bytes> out;
    if (relay_seq > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return out;
    Stmt& s = Get("SELECT id FROM changes WHERE vid = ? AND seq = ?");
    s.Bind(1, vid).Bind(2, static_cast<std::int64_t>(relay_seq));
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) out = ToBytes(s.Blob(0));
    s.Reset();
    return out;
  }

  Result<std::vector<AuthorHead>> AuthorHeads(ByteView vault) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return Error(Domain::kSync, Code::kNotFound, "unknown vault");
    std::vector<AuthorHead> out;
    Stmt& s = Get("SELECT author, seq FROM chains WHERE vid = ? ORDER BY author");
    s.Bind(1, vid);
    PARLEY_RETURN_IF_ERROR(s.ForEach([&](const Stmt& row) {
      out.push_back(AuthorHead{ToBytes(row.Blob(0)), static_cast<std::uint64_t>(row.Int(1))});
      return true;
    }));
    return out;
  }

  Result<std::optional<std::pair<std::uint64_t, Bytes>>> ChainHead(ByteView vault,
                                                                   ByteView author) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    return Head(vid, author);
  }

  Status PutEnvelope(ByteView vault, ByteView recipient, ByteView sealed) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return Error(Domain::kSync, Code::kNotFound, "unknown vault");
    crypto::Hash digest = crypto::Blake2b256(sealed);
    Stmt& s =
        Get("INSERT OR IGNORE INTO envelopes(vid, recipient, digest, sealed) VALUES(?, ?, ?, ?)");
    return s.Bind(1, vid).BindBlob(2, recipient).BindBlob(3, digest).BindBlob(4, sealed).Run();
  }

  Result<std::vector<Bytes>> GetEnvelopes(ByteView vault, ByteView recipient) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    std::vector<Bytes> out;
    Stmt& s = Get("SELECT sealed FROM envelopes WHERE vid = ? AND recipient = ? ORDER BY digest");
    s.Bind(1, vid).BindBlob(2, recipient);
    PARLEY_RETURN_IF_ERROR(s.ForEach([&](const Stmt& row) {
      out.push_back(ToBytes(row.Blob(0)));
      return true;
    }));
    return out;
  }

  Result<std::size_t> CountEnvelopes(ByteView vault, ByteView recipient) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    Stmt& s = Get("SELECT count(*) FROM envelopes WHERE vid = ? AND recipient = ?");
    s.Bind(1, vid).BindBlob(2, recipient);
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    std::size_t n = row ? static_cast<std::size_t>(s.Int(0)) : 0;
    s.Reset();
    return n;
  }

  Result<std::vector<AddressedEnvelope>> ListEnvelopesFor(ByteView recipient, std::size_t max_count,
                                                          bool* more) override {
    *more = false;
    std::vector<AddressedEnvelope> out;
    Stmt& s =
        Get("SELECT v.vault, e.sealed FROM envelopes e JOIN vaults v ON v.vid = e.vid "
            "WHERE e.recipient = ? ORDER BY e.vid, e.digest");
    s.BindBlob(1, recipient);
    PARLEY_RETURN_IF_ERROR(s.ForEach([&](const Stmt& row) {
      if (out.size() >= max_count) {
        *more = true;
        return false;
      }
      out.push_back(AddressedEnvelope{ToBytes(row.Blob(0)), ToBytes(row.Blob(1))});
      return true;
    }));
    return out;
  }

  Status Purge(ByteView vault, std::span<const Bytes> ids) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return Error(Domain::kSync, Code::kNotFound, "unknown vault");
    return WithImmediateTransaction(
        db_,
        [&]() -> Status {
          for (const Bytes& id : ids) {
            Stmt& s = Get("UPDATE changes SET data = NULL WHERE vid = ? AND id = ?");
            PARLEY_RETURN_IF_ERROR(s.Bind(1, vid).BindBlob(2, id).Run());
          }
          return Status::Ok();
        },
        Domain::kSync);
  }

  Result<std::size_t> DropKeySlots(ByteView vault,
                                   std::span<const SlotRedaction> redactions) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return Error(Domain::kSync, Code::kNotFound, "unknown vault");
    std::size_t dropped = 0;
    Status done = WithImmediateTransaction(
        db_,
        [&]() -> Status {
          for (const SlotRedaction& r : redactions) {
            Stmt& q = Get("SELECT data FROM changes WHERE vid = ? AND id = ? AND data IS NOT NULL");
            q.Bind(1, vid).BindBlob(2, r.change_id);
            PARLEY_ASSIGN_OR_RETURN(bool row, q.Step());
            if (!row) continue;
            pb::Change change;
            auto data = q.Blob(0);
            const bool parsed = change.ParseFromArray(data.data(), static_cast<int>(data.size()));
            q.Reset();
            if (!parsed) continue;
            // The id covers neither slot nor signature-free parts: dropping one keeps the
            // stored change valid (docs/wire-protocol.md, "Purge").
            auto* slots = change.mutable_key_slots();
            const int before = slots->size();
            for (int i = slots->size() - 1; i >= 0; --i) {
              const crypto::Hash h = crypto::Blake2b256(crypto::AsBytes(slots->Get(i)));
              if (r.slot_hash.size() == h.size() &&
                  std::equal(h.begin(), h.end(), r.slot_hash.begin())) {
                slots->DeleteSubrange(i, 1);
              }
            }
            if (slots->size() == before) continue;
            std::string bytes;
            if (!change.SerializeToString(&bytes))
              return Error(Domain::kSync, Code::kInternal, "encoding a change");
            Stmt& u = Get("UPDATE changes SET data = ? WHERE vid = ? AND id = ?");
            u.BindBlob(1, View(bytes)).Bind(2, vid).BindBlob(3, r.change_id);
            PARLEY_RETURN_IF_ERROR(u.Run());
            dropped += static_cast<std::size_t>(before - slots->size());
          }
          return Status::Ok();
        },
        Domain::kSync);
    if (!done.ok()) return done;
    if (dropped > 0) {
      // Old page images of the rewritten rows go from the write-ahead log too (best effort).
      (void)sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    }
    return dropped;
  }

 private:
  // Statements are prepared once and cached by their text.
  Stmt& Get(const char* sql) {
    for (auto& [text, stmt] : stmts_) {
      if (text == sql) {
        stmt.Reset();
        return stmt;
      }
    }
    stmts_.emplace_back(sql, Stmt());
    Status s = stmts_.back().second.Prepare(db_, sql);
    (void)s;  // a failure surfaces as an error from the first Step/Run
    return stmts_.back().second;
  }

  Result<std::int64_t> UserVersion() {
    Stmt s;
    PARLEY_RETURN_IF_ERROR(s.Prepare(db_, "PRAGMA user_version"));
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : 0;
  }

  // Rewrites the vault's rows of the member and revocation indexes from `list` (a stored
  // MembershipList; one that does not parse names nobody).
  Status IndexList(std::int64_t vid, const std::string& list) {
    PARLEY_RETURN_IF_ERROR(Get("DELETE FROM vault_members WHERE vid = ?").Bind(1, vid).Run());
    PARLEY_RETURN_IF_ERROR(Get("DELETE FROM revoked_devices WHERE vid = ?").Bind(1, vid).Run());
    auto parsed = wire::ParseMembership(list);
    if (!parsed.ok()) return Status::Ok();
    for (const wire::MemberEntry& e : parsed->members) {
      Stmt& m = Get("INSERT OR IGNORE INTO vault_members(identity, vid) VALUES(?, ?)");
      PARLEY_RETURN_IF_ERROR(m.BindBlob(1, e.identity).Bind(2, vid).Run());
    }
    for (const Bytes& r : parsed->revoked) {
      Stmt& m = Get("INSERT OR IGNORE INTO revoked_devices(identity, vid) VALUES(?, ?)");
      PARLEY_RETURN_IF_ERROR(m.BindBlob(1, r).Bind(2, vid).Run());
    }
    return Status::Ok();
  }

  // Schema 0 -> 1: fills the member and revocation indexes from the stored lists. Another
  // object over the same file may have migrated meanwhile: the version is read again under
  // the write lock.
  Status Migrate() {
    return WithImmediateTransaction(
        db_,
        [&]() -> Status {
          PARLEY_ASSIGN_OR_RETURN(std::int64_t version, UserVersion());
          if (version >= kSchemaVersion) return Status::Ok();
          struct Row {
            std::int64_t vid;
            Bytes creator;
            std::int64_t members_version;
            std::string list;
          };
          std::vector<Row> rows;
          Stmt s;
          PARLEY_RETURN_IF_ERROR(
              s.Prepare(db_, "SELECT vid, creator, members_version, members_list FROM vaults"));
          PARLEY_RETURN_IF_ERROR(s.ForEach([&](const Stmt& r) {
            auto list = r.Blob(3);
            rows.push_back(
                Row{r.Int(0), ToBytes(r.Blob(1)), r.Int(2),
                    std::string(reinterpret_cast<const char*>(list.data()), list.size())});
            return true;
          }));
          for (const Row& r : rows) {
            if (r.members_version == 0) {
              Stmt& m = Get("INSERT OR IGNORE INTO vault_members(identity, vid) VALUES(?, ?)");
              PARLEY_RETURN_IF_ERROR(m.BindBlob(1, r.creator).Bind(2, r.vid).Run());
            } else {
              PARLEY_RETURN_IF_ERROR(IndexList(r.vid, r.list));
            }
          }
          return Exec(db_, "PRAGMA user_version = " + std::to_string(kSchemaVersion),
                      Domain::kSync);
        },
        Domain::kSync);
  }

  // 0 when the vault is unknown. A vault's vid never changes, so known ones are cached.
  Result<std::int64_t> Vid(ByteView vault) {
    std::string key(vault.begin(), vault.end());
    if (auto it = vids_.find(key); it != vids_.end()) return it->second;
    Stmt& s = Get("SELECT vid FROM vaults WHERE vault = ?");
    s.BindBlob(1, vault);
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    std::int64_t vid = row ? s.Int(0) : 0;
    s.Reset();
    if (vid != 0) vids_.emplace(std::move(key), vid);
    return vid;
  }

  Result<std::optional<std::pair<std::uint64_t, Bytes>>> Head(std::int64_t vid, ByteView author) {
    Stmt& s = Get("SELECT seq, link FROM chains WHERE vid = ? AND author = ?");
    s.Bind(1, vid).BindBlob(2, author);
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    std::optional<std::pair<std::uint64_t, Bytes>> out;
    if (row) out.emplace(static_cast<std::uint64_t>(s.Int(0)), ToBytes(s.Blob(1)));
    s.Reset();
    return out;
  }

  Result<InsertOutcome> InsertOne(const NewChange& c) {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(c.vault));
    if (vid == 0) return InsertOutcome{InsertResult::kUnknownVault, 0};
    {
      Stmt& s = Get("SELECT seq, data IS NULL FROM changes WHERE vid = ? AND id = ?");
      s.Bind(1, vid).BindBlob(2, c.id);
      PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
      if (row) {
        InsertOutcome o{s.Int(1) != 0 ? InsertResult::kPurged : InsertResult::kAlreadyHeld,
                        static_cast<std::uint64_t>(s.Int(0))};
        s.Reset();
        return o;
      }
      s.Reset();
    }
    PARLEY_ASSIGN_OR_RETURN(auto head, Head(vid, c.author));
    const bool links = head ? (c.author_seq == head->first + 1 && c.prev == head->second)
                            : (c.author_seq == 1 && c.prev.empty());
    if (!links) return InsertOutcome{InsertResult::kBrokenChain, 0};

    Stmt& bump = Get("UPDATE vaults SET head_seq = head_seq + 1 WHERE vid = ? RETURNING head_seq");
    bump.Bind(1, vid);
    PARLEY_ASSIGN_OR_RETURN(bool bumped, bump.Step());
    if (!bumped) return Error(Domain::kSync, Code::kInternal, "sequence update returned nothing");
    const std::int64_t seq = bump.Int(0);
    bump.Reset();

    Stmt& ins =
        Get("INSERT INTO changes(vid, seq, id, author, author_seq, data) VALUES(?, ?, ?, ?, ?, ?)");
    ins.Bind(1, vid).Bind(2, seq).BindBlob(3, c.id).BindBlob(4, c.author);
    ins.Bind(5, static_cast<std::int64_t>(c.author_seq)).BindBlob(6, View(c.data));
    PARLEY_RETURN_IF_ERROR(ins.Run());
    Stmt& chain = Get("INSERT OR REPLACE INTO chains(vid, author, seq, link) VALUES(?, ?, ?, ?)");
    chain.Bind(1, vid)
        .BindBlob(2, c.author)
        .Bind(3, static_cast<std::int64_t>(c.author_seq))
        .BindBlob(4, c.link);
    PARLEY_RETURN_IF_ERROR(chain.Run());
    return InsertOutcome{InsertResult::kStored, static_cast<std::uint64_t>(seq)};
  }

  Result<std::vector<InsertOutcome>> InsertAll(std::span<const NewChange> changes) {
    std::vector<InsertOutcome> out;
    out.reserve(changes.size());
    for (const NewChange& c : changes) {
      PARLEY_ASSIGN_OR_RETURN(InsertOutcome o, InsertOne(c));
      out.push_back(o);
    }
    return out;
  }

  sqlite3* db_;
  std::deque<std::pair<const char*, Stmt>> stmts_;  // deque: references stay valid
  std::map<std::string, std::int64_t> vids_;

  // ---- Storage-wide figures (the metrics) ----
 public:
  // Counts vaults and changes and sums the change data (one pass over `changes`: LENGTH of
  // a blob reads no overflow page); the size on disk is page_count * page_size plus the WAL
  // file. Read-only; meant for the reader object, every few seconds at most.
  Result<StorageStats> Stats() override {
    StorageStats out;
    Stmt& s =
        Get("SELECT (SELECT COUNT(*) FROM vaults), COUNT(*), COALESCE(SUM(LENGTH(data)), 0), "
            "(SELECT page_count FROM pragma_page_count()) * "
            "(SELECT page_size FROM pragma_page_size()) FROM changes");
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) {
      out.vaults = static_cast<std::uint64_t>(s.Int(0));
      out.changes = static_cast<std::uint64_t>(s.Int(1));
      out.stored_bytes = static_cast<std::uint64_t>(s.Int(2));
      out.storage_bytes = static_cast<std::uint64_t>(s.Int(3));
    }
    s.Reset();
    if (const char* file = sqlite3_db_filename(db_, "main"); file != nullptr && *file != 0) {
      struct stat st {};
      if (::stat((std::string(file) + "-wal").c_str(), &st) == 0)
        out.storage_bytes += static_cast<std::uint64_t>(st.st_size);
    }
    return out;
  }
};

}  // namespace

Result<std::unique_ptr<RelayStorage>> OpenSqliteRelayStorage(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = Io(rc, db, "opening relay storage");
    sqlite3_close_v2(db);
    return s;
  }
  auto storage = std::make_unique<SqliteRelayStorage>(db);
  PARLEY_RETURN_IF_ERROR(storage->Init());
  return std::unique_ptr<RelayStorage>(std::move(storage));
}

}  // namespace parley::relay
