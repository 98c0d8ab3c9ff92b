// PostgreSQL relay storage: the contract of relay_storage.h over one database shared by any
// number of relay instances. Schema and locking: docs/relay-operations.md.
//
// Every write runs in a transaction that first locks the rows of the vaults it touches
// (SELECT ... FOR UPDATE on vaults, in vault byte order, so instances never deadlock); the
// vault row holds the last assigned relay sequence number (head_seq) and the bytes held
// (stored_bytes). Reads after the lock see every commit made before it (READ COMMITTED: one
// snapshot per statement). A transaction that fails with a serialization failure or a
// deadlock is retried. Commits wait for the WAL flush (synchronous_commit = on, set on each
// connection).
//
// InsertChanges takes two round trips whatever the batch size: [BEGIN, lock the vaults,
// read the ids and chain heads the batch names] then [write all rows with arrays, COMMIT]
// (libpq pipeline mode, prepared statements, binary parameters).
#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "parley/change.pb.h"
#include "parley/relay/relay_storage.h"
#include "parley/sync/auth.h"
#include "postgres_conn.h"

namespace parley::relay {
namespace {

using pg::Params;
using pg::Res;

// Schema version held in relay_schema; storage with a higher one is refused.
constexpr std::int64_t kSchemaVersion = 1;
// pg_advisory_xact_lock key serializing schema creation (0x7061726c65790001: "parley", 1).
constexpr const char* kSchemaLockKey = "8097879414873325569";
// Attempts of a transaction that fails with a serialization failure or deadlock.
constexpr int kAttempts = 8;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS relay_schema(version bigint NOT NULL);
CREATE TABLE IF NOT EXISTS vaults(
  vid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  vault bytea NOT NULL UNIQUE,
  creator bytea NOT NULL,
  head_seq bigint NOT NULL DEFAULT 0,
  stored_bytes bigint NOT NULL DEFAULT 0,
  members_version bigint NOT NULL DEFAULT 0,
  members_list bytea,
  members_signer bytea,
  members_signature bytea);
CREATE TABLE IF NOT EXISTS changes(
  vid bigint NOT NULL,
  seq bigint NOT NULL,
  id bytea NOT NULL,
  author bytea NOT NULL,
  author_seq bigint NOT NULL,
  data bytea,
  PRIMARY KEY (vid, seq),
  UNIQUE (vid, id));
CREATE TABLE IF NOT EXISTS chains(
  vid bigint NOT NULL,
  author bytea NOT NULL,
  seq bigint NOT NULL,
  link bytea NOT NULL,
  PRIMARY KEY (vid, author));
CREATE TABLE IF NOT EXISTS envelopes(
  vid bigint NOT NULL,
  recipient bytea NOT NULL,
  digest bytea NOT NULL,
  sealed bytea NOT NULL,
  PRIMARY KEY (vid, recipient, digest));
CREATE INDEX IF NOT EXISTS envelopes_by_recipient ON envelopes(recipient, vid, digest);
CREATE TABLE IF NOT EXISTS vault_members(
  identity bytea NOT NULL, vid bigint NOT NULL, PRIMARY KEY (identity, vid));
CREATE INDEX IF NOT EXISTS vault_members_by_vault ON vault_members(vid);
CREATE TABLE IF NOT EXISTS revoked_devices(
  identity bytea NOT NULL, vid bigint NOT NULL, PRIMARY KEY (identity, vid));
CREATE INDEX IF NOT EXISTS revoked_devices_by_vault ON revoked_devices(vid);
CREATE TABLE IF NOT EXISTS allowances(
  vault bytea PRIMARY KEY, quota_bytes bigint NOT NULL DEFAULT 0);
)sql";

// Statements (prepared once per connection, by their address).
constexpr const char* kFindVid = "SELECT vid FROM vaults WHERE vault = $1";
constexpr const char* kRegister =
    "WITH v AS (INSERT INTO vaults(vault, creator) VALUES($1, $2) ON CONFLICT (vault) DO NOTHING "
    "RETURNING vid) "
    "INSERT INTO vault_members(identity, vid) SELECT $2, vid FROM v RETURNING vid";
constexpr const char* kGetVault =
    "SELECT creator, head_seq, members_version, members_list, members_signer, "
    "members_signature, stored_bytes FROM vaults WHERE vault = $1";
constexpr const char* kSetList =
    "UPDATE vaults SET members_version = $1::int8, members_list = $2, members_signer = $3, "
    "members_signature = $4 WHERE vault = $5 AND members_version = $6::int8 RETURNING vid";
constexpr const char* kVersionOf = "SELECT members_version FROM vaults WHERE vault = $1";
constexpr const char* kUnindexList =
    "WITH m AS (DELETE FROM vault_members WHERE vid = $1::int8) "
    "DELETE FROM revoked_devices WHERE vid = $1::int8";
constexpr const char* kIndexList =
    "WITH m AS (INSERT INTO vault_members(identity, vid) "
    "SELECT DISTINCT x, $1::int8 FROM unnest($2::bytea[]) AS x ON CONFLICT DO NOTHING) "
    "INSERT INTO revoked_devices(identity, vid) "
    "SELECT DISTINCT x, $1::int8 FROM unnest($3::bytea[]) AS x ON CONFLICT DO NOTHING";
constexpr const char* kNotify = "SELECT pg_notify('parley_relay', $1)";
constexpr const char* kFindRevocation =
    "SELECT v.vault, v.members_version, v.members_list, v.members_signer, v.members_signature "
    "FROM revoked_devices r JOIN vaults v ON v.vid = r.vid WHERE r.identity = $1 "
    "ORDER BY r.vid LIMIT 1";
constexpr const char* kIsMember = "SELECT 1 FROM vault_members WHERE identity = $1 LIMIT 1";
constexpr const char* kBegin = "BEGIN";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kLockVaults =
    "SELECT v.vid, v.vault, v.head_seq, v.stored_bytes, COALESCE(a.quota_bytes, 0) "
    "FROM vaults v LEFT JOIN allowances a ON a.vault = v.vault "
    "WHERE v.vault = ANY($1::bytea[]) ORDER BY v.vault FOR UPDATE OF v";
constexpr const char* kLockVid = "SELECT 1 FROM vaults WHERE vid = $1::int8 FOR UPDATE";
constexpr const char* kHeldIds =
    "SELECT c.vid, c.id, c.seq, c.data IS NULL FROM changes c "
    "JOIN vaults v ON v.vid = c.vid "
    "JOIN unnest($1::bytea[], $2::bytea[]) AS x(vault, id) ON v.vault = x.vault AND c.id = x.id";
constexpr const char* kHeads =
    "SELECT ch.vid, ch.author, ch.seq, ch.link FROM chains ch "
    "JOIN vaults v ON v.vid = ch.vid "
    "JOIN unnest($1::bytea[], $2::bytea[]) AS x(vault, author) "
    "ON v.vault = x.vault AND ch.author = x.author";
constexpr const char* kWriteBatch =
    "WITH ins AS (INSERT INTO changes(vid, seq, id, author, author_seq, data) "
    "SELECT * FROM unnest($1::int8[], $2::int8[], $3::bytea[], $4::bytea[], $5::int8[], "
    "$6::bytea[])), "
    "ch AS (INSERT INTO chains(vid, author, seq, link) "
    "SELECT * FROM unnest($7::int8[], $8::bytea[], $9::int8[], $10::bytea[]) "
    "ON CONFLICT (vid, author) DO UPDATE SET seq = EXCLUDED.seq, link = EXCLUDED.link), "
    "v AS (UPDATE vaults SET head_seq = x.head_seq, stored_bytes = x.stored_bytes "
    "FROM unnest($11::int8[], $12::int8[], $13::int8[]) AS x(vid, head_seq, stored_bytes) "
    "WHERE vaults.vid = x.vid) "
    "SELECT pg_notify('parley_relay', n) FROM unnest($14::text[]) AS n";
// Rows of the vault after a cursor, with the running byte total: row 1 always comes; a
// later row only if the total stays within the budget; the first row past the budget or
// the count comes without data and says that more remain.
constexpr const char* kReadChanges =
    "SELECT seq, run, CASE WHEN n = 1 OR (run <= $3::int8 AND n <= $4::int8) THEN data END "
    "FROM (SELECT seq, data, row_number() OVER w AS n, sum(octet_length(data)) OVER w AS run "
    "FROM (SELECT seq, data FROM changes WHERE vid = $1::int8 AND seq > $2::int8 "
    "AND data IS NOT NULL ORDER BY seq LIMIT $4::int8 + 1) c WINDOW w AS (ORDER BY seq)) t "
    "WHERE n <= 2 OR run - octet_length(data) <= $3::int8 ORDER BY seq";
constexpr const char* kChangeIdAt =
    "SELECT id FROM changes WHERE vid = $1::int8 AND seq = $2::int8";
constexpr const char* kAuthorHeads =
    "SELECT author, seq FROM chains WHERE vid = $1::int8 ORDER BY author";
constexpr const char* kChainHead =
    "SELECT seq, link FROM chains WHERE vid = $1::int8 AND author = $2";
constexpr const char* kPutEnvelope =
    "INSERT INTO envelopes(vid, recipient, digest, sealed) VALUES($1::int8, $2, $3, $4) "
    "ON CONFLICT DO NOTHING";
constexpr const char* kGetEnvelopes =
    "SELECT sealed FROM envelopes WHERE vid = $1::int8 AND recipient = $2 ORDER BY digest";
constexpr const char* kCountEnvelopes =
    "SELECT count(*) FROM envelopes WHERE vid = $1::int8 AND recipient = $2";
constexpr const char* kListEnvelopes =
    "SELECT v.vault, e.sealed FROM envelopes e JOIN vaults v ON v.vid = e.vid "
    "WHERE e.recipient = $1 ORDER BY e.vid, e.digest LIMIT $2::int8 + 1";
constexpr const char* kPurge =
    "WITH old AS (SELECT seq, octet_length(data) AS len FROM changes "
    "WHERE vid = $1::int8 AND id = ANY($2::bytea[]) AND data IS NOT NULL), "
    "p AS (UPDATE changes c SET data = NULL FROM old WHERE c.vid = $1::int8 AND c.seq = old.seq) "
    "UPDATE vaults SET stored_bytes = stored_bytes - (SELECT COALESCE(sum(len), 0) FROM old) "
    "WHERE vid = $1::int8";
constexpr const char* kHeldData =
    "SELECT id, data FROM changes WHERE vid = $1::int8 AND id = ANY($2::bytea[]) "
    "AND data IS NOT NULL";
constexpr const char* kRewrite =
    "WITH u AS (UPDATE changes c SET data = x.data FROM unnest($2::bytea[], $3::bytea[]) "
    "AS x(id, data) WHERE c.vid = $1::int8 AND c.id = x.id) "
    "UPDATE vaults SET stored_bytes = stored_bytes - $4::int8 WHERE vid = $1::int8";
constexpr const char* kAllow =
    "INSERT INTO allowances(vault, quota_bytes) VALUES($1, $2::int8) "
    "ON CONFLICT (vault) DO UPDATE SET quota_bytes = EXCLUDED.quota_bytes";
constexpr const char* kIsAllowed = "SELECT 1 FROM allowances WHERE vault = $1";
constexpr const char* kListVaults =
    "SELECT COALESCE(v.vault, a.vault), v.vid IS NOT NULL, a.vault IS NOT NULL, "
    "COALESCE(v.head_seq, 0), COALESCE(v.stored_bytes, 0), COALESCE(a.quota_bytes, 0) "
    "FROM vaults v FULL OUTER JOIN allowances a ON a.vault = v.vault ORDER BY 1";
constexpr const char* kStats =
    "SELECT count(*), COALESCE(sum(head_seq), 0)::int8, COALESCE(sum(stored_bytes), 0)::int8, "
    "pg_database_size(current_database())::int8 FROM vaults";
constexpr const char* kVaultIds = "SELECT vault FROM vaults ORDER BY vid";
constexpr const char* kExportVault =
    "SELECT vid, creator, head_seq, members_version, members_list, members_signer, "
    "members_signature FROM vaults WHERE vault = $1";
constexpr const char* kExportChains =
    "SELECT author, seq, link FROM chains WHERE vid = $1::int8 ORDER BY author";
constexpr const char* kExportEnvelopes =
    "SELECT recipient, sealed FROM envelopes WHERE vid = $1::int8 ORDER BY recipient, digest";
constexpr const char* kExportChanges =
    "SELECT seq, id, author, author_seq, data FROM changes WHERE vid = $1::int8 "
    "AND seq > $2::int8 ORDER BY seq LIMIT $3::int8";
constexpr const char* kImportVault =
    "INSERT INTO vaults(vault, creator, head_seq, members_version, members_list, "
    "members_signer, members_signature) VALUES($1, $2, $3::int8, $4::int8, $5, $6, $7) "
    "ON CONFLICT (vault) DO NOTHING RETURNING vid";
constexpr const char* kImportRest =
    "WITH c AS (INSERT INTO chains(vid, author, seq, link) "
    "SELECT $1::int8, a, s, l FROM unnest($2::bytea[], $3::int8[], $4::bytea[]) AS x(a, s, l)) "
    "INSERT INTO envelopes(vid, recipient, digest, sealed) "
    "SELECT $1::int8, r, d, e FROM unnest($5::bytea[], $6::bytea[], $7::bytea[]) AS y(r, d, e) "
    "ON CONFLICT DO NOTHING";
constexpr const char* kImportChanges =
    "WITH ins AS (INSERT INTO changes(vid, seq, id, author, author_seq, data) "
    "SELECT $1::int8, s, i, a, q, CASE WHEN pt = 'p' THEN NULL ELSE d END "
    "FROM unnest($2::int8[], $3::bytea[], $4::bytea[], $5::int8[], $6::bytea[], $7::text[]) "
    "AS x(s, i, a, q, d, pt)) "
    "UPDATE vaults SET stored_bytes = stored_bytes + $8::int8 WHERE vid = $1::int8";

ByteView View(const std::string& s) { return crypto::AsBytes(s); }
std::string Key(ByteView b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}
std::int64_t I64(std::uint64_t v) {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(v, std::numeric_limits<std::int64_t>::max()));
}
std::int64_t Count(std::size_t n) {
  return static_cast<std::int64_t>(std::min<std::size_t>(n, std::size_t{1} << 40));
}

Status NotFound() { return Error(Domain::kSync, Code::kNotFound, "unknown vault"); }

// The stored list in columns `first` .. `first` + 3 of `row`.
StoredMembership MembershipAt(const PGresult* r, int row, int first) {
  StoredMembership m;
  m.version = static_cast<std::uint64_t>(pg::GetInt8(r, row, first));
  if (!pg::IsNull(r, row, first + 1)) m.list = pg::GetString(r, row, first + 1);
  if (!pg::IsNull(r, row, first + 2)) m.signer = pg::GetBytes(r, row, first + 2);
  if (!pg::IsNull(r, row, first + 3)) m.signature = pg::GetBytes(r, row, first + 3);
  return m;
}

// "<kind>:<vault hex>:<number>", the payload of a notification (docs/relay-operations.md).
std::string Payload(char kind, ByteView vault, std::uint64_t n) {
  return std::string(1, kind) + ":" + crypto::ToHex(vault) + ":" + std::to_string(n);
}

// A statement and its parameters, for a pipeline.
struct Query {
  const char* sql;
  Params params;
};

class PostgresRelayStorage final : public RelayStorage {
 public:
  explicit PostgresRelayStorage(std::string uri) : uri_(std::move(uri)) {}

  Status Init() {
    PARLEY_RETURN_IF_ERROR(Ensure());
    PGconn* c = conn_.get();
    // Schema creation is serialized between instances starting together; CREATE ... IF NOT
    // EXISTS alone races on the catalogs.
    const std::string create =
        std::string("BEGIN; SELECT pg_advisory_xact_lock(") + kSchemaLockKey + ");" + kSchema +
        "INSERT INTO relay_schema(version) SELECT " + std::to_string(kSchemaVersion) +
        " WHERE NOT EXISTS (SELECT 1 FROM relay_schema);"
        "SELECT max(version)::text FROM relay_schema;";
    Res r(PQexec(c, create.c_str()));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      return Abort(Failed(r.get(), "creating the schema"));
    }
    const std::int64_t version = std::stoll(pg::GetString(r.get(), 0, 0));
    Res done(PQexec(c, "COMMIT"));
    if (PQresultStatus(done.get()) != PGRES_COMMAND_OK) {
      return Failed(done.get(), "creating the schema");
    }
    if (version > kSchemaVersion) {
      return Error(Domain::kSync, Code::kUnsupported,
                   "this relay's storage was written by a newer version");
    }
    return Status::Ok();
  }

  Status RegisterVault(ByteView vault, ByteView creator) override {
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kRegister, Params().Bytea(vault).Bytea(creator)));
    if (PQntuples(r.get()) == 0) {
      return Error(Domain::kSync, Code::kAlreadyExists, "the vault is registered");
    }
    return Status::Ok();
  }

  Result<VaultInfo> GetVault(ByteView vault) override {
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kGetVault, Params().Bytea(vault)));
    if (PQntuples(r.get()) == 0) return NotFound();
    VaultInfo v;
    v.creator = pg::GetBytes(r.get(), 0, 0);
    v.head_seq = static_cast<std::uint64_t>(pg::GetInt8(r.get(), 0, 1));
    v.membership = MembershipAt(r.get(), 0, 2);
    v.stored_bytes = static_cast<std::uint64_t>(pg::GetInt8(r.get(), 0, 6));
    return v;
  }

  Status SetMembership(ByteView vault, const StoredMembership& m) override {
    bool replaced = false;
    Status done = Transact([&]() -> Status {
      replaced = false;
      PARLEY_ASSIGN_OR_RETURN(Res r,
                              Exec(kSetList, Params()
                                                 .Int(static_cast<std::int64_t>(m.version))
                                                 .Bytea(View(m.list))
                                                 .Bytea(m.signer)
                                                 .Bytea(m.signature)
                                                 .Bytea(vault)
                                                 .Int(static_cast<std::int64_t>(m.version) - 1)));
      if (PQntuples(r.get()) != 1) return Status::Ok();
      replaced = true;
      PARLEY_RETURN_IF_ERROR(IndexList(pg::GetInt8(r.get(), 0, 0), m.list));
      return Exec(kNotify, Params().Text(Payload('m', vault, m.version))).status();
    });
    if (!done.ok()) return done;
    if (replaced) return Status::Ok();
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kVersionOf, Params().Bytea(vault)));
    if (PQntuples(r.get()) == 0) return NotFound();
    return Error(Domain::kSync, Code::kConflict, "the membership version is not the next one");
  }

  Result<std::optional<Revocation>> FindRevocation(ByteView identity) override {
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kFindRevocation, Params().Bytea(identity)));
    std::optional<Revocation> out;
    if (PQntuples(r.get()) > 0) {
      Revocation& rev = out.emplace();
      rev.vault = pg::GetBytes(r.get(), 0, 0);
      rev.membership = MembershipAt(r.get(), 0, 1);
    }
    return out;
  }

  Result<bool> IsMemberAnywhere(ByteView identity) override {
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kIsMember, Params().Bytea(identity)));
    return PQntuples(r.get()) > 0;
  }

  Result<std::vector<InsertOutcome>> InsertChanges(std::span<const NewChange> changes) override {
    std::vector<InsertOutcome> out;
    if (changes.empty()) return out;
    for (int attempt = 1;; ++attempt) {
      Status s = InsertOnce(changes, &out);
      if (s.ok()) return out;
      if (s.code() != Code::kBusy || attempt >= kAttempts) return s;
    }
  }

  Result<std::vector<ChangeRow>> ReadChanges(ByteView vault, std::uint64_t after_seq,
                                             std::size_t max_bytes, std::size_t max_count,
                                             bool* more) override {
    *more = false;
    std::vector<ChangeRow> rows;
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return NotFound();
    if (after_seq >= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return rows;
    }
    PARLEY_ASSIGN_OR_RETURN(
        Res r, Exec(kReadChanges, Params()
                                      .Int(vid)
                                      .Int(I64(after_seq))
                                      .Int(Count(max_bytes))
                                      .Int(std::max<std::int64_t>(1, Count(max_count)))));
    const int n = PQntuples(r.get());
    for (int i = 0; i < n; ++i) {
      if (pg::IsNull(r.get(), i, 2)) {
        *more = true;
        break;
      }
      rows.push_back(ChangeRow{static_cast<std::uint64_t>(pg::GetInt8(r.get(), i, 0)),
                               pg::GetString(r.get(), i, 2)});
    }
    return rows;
  }

  Result<std::optional<Bytes>> ChangeIdAt(ByteView vault, std::uint64_t relay_seq) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return NotFound();
    std::optional<Bytes> out;
    if (relay_seq > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return out;
    }
    PARLEY_ASSIGN_OR_RETURN(
        Res r, Exec(kChangeIdAt, Params().Int(vid).Int(static_cast<std::int64_t>(relay_seq))));
    if (PQntuples(r.get()) > 0) out = pg::GetBytes(r.get(), 0, 0);
    return out;
  }

  Result<std::vector<AuthorHead>> AuthorHeads(ByteView vault) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return NotFound();
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kAuthorHeads, Params().Int(vid)));
    std::vector<AuthorHead> out;
    out.reserve(static_cast<std::size_t>(PQntuples(r.get())));
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      out.push_back(AuthorHead{pg::GetBytes(r.get(), i, 0),
                               static_cast<std::uint64_t>(pg::GetInt8(r.get(), i, 1))});
    }
    return out;
  }

  Result<std::optional<std::pair<std::uint64_t, Bytes>>> ChainHead(ByteView vault,
                                                                   ByteView author) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    std::optional<std::pair<std::uint64_t, Bytes>> out;
    if (vid == 0) return out;
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kChainHead, Params().Int(vid).Bytea(author)));
    if (PQntuples(r.get()) > 0) {
      out.emplace(static_cast<std::uint64_t>(pg::GetInt8(r.get(), 0, 0)),
                  pg::GetBytes(r.get(), 0, 1));
    }
    return out;
  }

  Status PutEnvelope(ByteView vault, ByteView recipient, ByteView sealed) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return NotFound();
    const crypto::Hash digest = crypto::Blake2b256(sealed);
    return Exec(kPutEnvelope, Params().Int(vid).Bytea(recipient).Bytea(digest).Bytea(sealed))
        .status();
  }

  Result<std::vector<Bytes>> GetEnvelopes(ByteView vault, ByteView recipient) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    std::vector<Bytes> out;
    if (vid == 0) return out;
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kGetEnvelopes, Params().Int(vid).Bytea(recipient)));
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(pg::GetBytes(r.get(), i, 0));
    return out;
  }

  Result<std::size_t> CountEnvelopes(ByteView vault, ByteView recipient) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return std::size_t{0};
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kCountEnvelopes, Params().Int(vid).Bytea(recipient)));
    return static_cast<std::size_t>(pg::GetInt8(r.get(), 0, 0));
  }

  Result<std::vector<AddressedEnvelope>> ListEnvelopesFor(ByteView recipient, std::size_t max_count,
                                                          bool* more) override {
    *more = false;
    std::vector<AddressedEnvelope> out;
    PARLEY_ASSIGN_OR_RETURN(Res r,
                            Exec(kListEnvelopes, Params().Bytea(recipient).Int(Count(max_count))));
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      if (out.size() >= max_count) {
        *more = true;
        break;
      }
      out.push_back(AddressedEnvelope{pg::GetBytes(r.get(), i, 0), pg::GetBytes(r.get(), i, 1)});
    }
    return out;
  }

  Status Purge(ByteView vault, std::span<const Bytes> ids) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return NotFound();
    std::vector<ByteView> views(ids.begin(), ids.end());
    return Transact([&]() -> Status {
      PARLEY_RETURN_IF_ERROR(Exec(kLockVid, Params().Int(vid)).status());
      return Exec(kPurge, Params().Int(vid).ByteaArray(views)).status();
    });
  }

  Result<std::size_t> DropKeySlots(ByteView vault,
                                   std::span<const SlotRedaction> redactions) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return NotFound();
    std::size_t dropped = 0;
    Status done = Transact([&]() -> Status {
      dropped = 0;
      PARLEY_RETURN_IF_ERROR(Exec(kLockVid, Params().Int(vid)).status());
      std::vector<ByteView> ids;
      for (const SlotRedaction& r : redactions) ids.emplace_back(r.change_id);
      PARLEY_ASSIGN_OR_RETURN(Res held, Exec(kHeldData, Params().Int(vid).ByteaArray(ids)));
      // The current bytes of each change named, rewritten in memory redaction by redaction.
      std::map<std::string, std::string> data;
      for (int i = 0; i < PQntuples(held.get()); ++i) {
        data.emplace(Key(pg::GetBytes(held.get(), i, 0)), pg::GetString(held.get(), i, 1));
      }
      std::map<std::string, std::size_t> original;
      for (const auto& [id, bytes] : data) original.emplace(id, bytes.size());
      std::set<std::string> rewritten;
      for (const SlotRedaction& r : redactions) {
        auto it = data.find(Key(r.change_id));
        if (it == data.end()) continue;
        pb::Change change;
        if (!change.ParseFromString(it->second)) continue;
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
        if (!change.SerializeToString(&bytes)) {
          return Error(Domain::kSync, Code::kInternal, "encoding a change");
        }
        it->second = std::move(bytes);
        rewritten.insert(it->first);
        dropped += static_cast<std::size_t>(before - slots->size());
      }
      if (rewritten.empty()) return Status::Ok();
      std::vector<ByteView> out_ids;
      std::vector<ByteView> out_data;
      std::int64_t shrunk = 0;
      for (const std::string& id : rewritten) {
        const std::string& bytes = data[id];
        out_ids.push_back(View(id));
        out_data.push_back(View(bytes));
        shrunk += static_cast<std::int64_t>(original[id]) - static_cast<std::int64_t>(bytes.size());
      }
      return Exec(kRewrite, Params().Int(vid).ByteaArray(out_ids).ByteaArray(out_data).Int(shrunk))
          .status();
    });
    if (!done.ok()) return done;
    return dropped;
  }

  void SetDefaultVaultQuota(std::uint64_t bytes) override { default_quota_ = bytes; }

  Status AllowVault(ByteView vault, std::uint64_t quota_bytes) override {
    return Exec(kAllow, Params().Bytea(vault).Int(I64(quota_bytes))).status();
  }

  Result<bool> IsVaultAllowed(ByteView vault) override {
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kIsAllowed, Params().Bytea(vault)));
    return PQntuples(r.get()) > 0;
  }

  Result<std::vector<VaultUsage>> ListVaults() override {
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kListVaults, Params()));
    std::vector<VaultUsage> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      VaultUsage& u = out.emplace_back();
      u.vault = pg::GetBytes(r.get(), i, 0);
      u.registered = pg::GetBool(r.get(), i, 1);
      u.allowed = pg::GetBool(r.get(), i, 2);
      u.changes = static_cast<std::uint64_t>(pg::GetInt8(r.get(), i, 3));
      u.stored_bytes = static_cast<std::uint64_t>(pg::GetInt8(r.get(), i, 4));
      u.quota_bytes = static_cast<std::uint64_t>(pg::GetInt8(r.get(), i, 5));
    }
    return out;
  }

  Result<StorageStats> Stats() override {
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kStats, Params()));
    StorageStats s;
    s.vaults = static_cast<std::uint64_t>(pg::GetInt8(r.get(), 0, 0));
    s.changes = static_cast<std::uint64_t>(pg::GetInt8(r.get(), 0, 1));
    s.stored_bytes = static_cast<std::uint64_t>(pg::GetInt8(r.get(), 0, 2));
    s.storage_bytes = static_cast<std::uint64_t>(pg::GetInt8(r.get(), 0, 3));
    return s;
  }

  Result<std::vector<Bytes>> ExportVaultIds() override {
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kVaultIds, Params()));
    std::vector<Bytes> out;
    out.reserve(static_cast<std::size_t>(PQntuples(r.get())));
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(pg::GetBytes(r.get(), i, 0));
    return out;
  }

  Result<ExportedVault> ExportVault(ByteView vault) override {
    ExportedVault v;
    // One snapshot for the row, its heads and its envelopes.
    Status done = Transact(
        [&]() -> Status {
          v = ExportedVault();
          PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kExportVault, Params().Bytea(vault)));
          if (PQntuples(r.get()) == 0) return NotFound();
          const std::int64_t vid = pg::GetInt8(r.get(), 0, 0);
          v.vault = Bytes(vault.begin(), vault.end());
          v.creator = pg::GetBytes(r.get(), 0, 1);
          v.head_seq = static_cast<std::uint64_t>(pg::GetInt8(r.get(), 0, 2));
          v.membership = MembershipAt(r.get(), 0, 3);
          PARLEY_ASSIGN_OR_RETURN(Res chains, Exec(kExportChains, Params().Int(vid)));
          for (int i = 0; i < PQntuples(chains.get()); ++i) {
            v.chains.push_back(
                ExportedVault::Chain{pg::GetBytes(chains.get(), i, 0),
                                     static_cast<std::uint64_t>(pg::GetInt8(chains.get(), i, 1)),
                                     pg::GetBytes(chains.get(), i, 2)});
          }
          PARLEY_ASSIGN_OR_RETURN(Res envs, Exec(kExportEnvelopes, Params().Int(vid)));
          for (int i = 0; i < PQntuples(envs.get()); ++i) {
            v.envelopes.push_back(ExportedVault::Envelope{pg::GetBytes(envs.get(), i, 0),
                                                          pg::GetBytes(envs.get(), i, 1)});
          }
          return Status::Ok();
        },
        "REPEATABLE READ");
    if (!done.ok()) return done;
    return v;
  }

  Result<std::vector<ExportedChange>> ExportChanges(ByteView vault, std::uint64_t after_seq,
                                                    std::size_t max_count) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return NotFound();
    PARLEY_ASSIGN_OR_RETURN(
        Res r, Exec(kExportChanges, Params().Int(vid).Int(I64(after_seq)).Int(Count(max_count))));
    std::vector<ExportedChange> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      ExportedChange& c = out.emplace_back();
      c.relay_seq = static_cast<std::uint64_t>(pg::GetInt8(r.get(), i, 0));
      c.id = pg::GetBytes(r.get(), i, 1);
      c.author = pg::GetBytes(r.get(), i, 2);
      c.author_seq = static_cast<std::uint64_t>(pg::GetInt8(r.get(), i, 3));
      if (!pg::IsNull(r.get(), i, 4)) c.data = pg::GetString(r.get(), i, 4);
    }
    return out;
  }

  Status ImportVault(const ExportedVault& v) override {
    bool exists = false;
    Status done = Transact([&]() -> Status {
      exists = false;
      Params p;
      p.Bytea(v.vault).Bytea(v.creator).Int(I64(v.head_seq)).Int(I64(v.membership.version));
      if (v.membership.version == 0 && v.membership.list.empty()) {
        p.Null().Null().Null();
      } else {
        p.Bytea(View(v.membership.list)).Bytea(v.membership.signer).Bytea(v.membership.signature);
      }
      PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kImportVault, p));
      if (PQntuples(r.get()) == 0) {
        exists = true;
        return Status::Ok();
      }
      const std::int64_t vid = pg::GetInt8(r.get(), 0, 0);
      if (v.membership.version == 0) {
        PARLEY_RETURN_IF_ERROR(
            Exec(kIndexList, Params().Int(vid).ByteaArray({ByteView(v.creator)}).ByteaArray({}))
                .status());
      } else {
        PARLEY_RETURN_IF_ERROR(IndexList(vid, v.membership.list));
      }
      std::vector<ByteView> authors, links, recipients, digests, sealed;
      std::vector<std::int64_t> seqs;
      for (const ExportedVault::Chain& c : v.chains) {
        authors.emplace_back(c.author);
        seqs.push_back(I64(c.seq));
        links.emplace_back(c.link);
      }
      std::vector<crypto::Hash> hashes;
      hashes.reserve(v.envelopes.size());
      for (const ExportedVault::Envelope& e : v.envelopes) {
        hashes.push_back(crypto::Blake2b256(e.sealed));
        recipients.emplace_back(e.recipient);
        digests.emplace_back(hashes.back());
        sealed.emplace_back(e.sealed);
      }
      return Exec(kImportRest, Params()
                                   .Int(vid)
                                   .ByteaArray(authors)
                                   .Int8Array(seqs)
                                   .ByteaArray(links)
                                   .ByteaArray(recipients)
                                   .ByteaArray(digests)
                                   .ByteaArray(sealed))
          .status();
    });
    if (!done.ok()) return done;
    if (exists) return Error(Domain::kSync, Code::kAlreadyExists, "the vault is registered");
    vids_.erase(Key(v.vault));
    return Status::Ok();
  }

  Status ImportChanges(ByteView vault, std::span<const ExportedChange> changes) override {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t vid, Vid(vault));
    if (vid == 0) return NotFound();
    std::vector<std::int64_t> seqs, author_seqs;
    std::vector<ByteView> ids, authors, data;
    std::vector<std::string> purged;
    std::int64_t bytes = 0;
    for (const ExportedChange& c : changes) {
      seqs.push_back(I64(c.relay_seq));
      ids.emplace_back(c.id);
      authors.emplace_back(c.author);
      author_seqs.push_back(I64(c.author_seq));
      data.push_back(c.data ? View(*c.data) : ByteView());
      purged.emplace_back(c.data ? "k" : "p");
      if (c.data) bytes += static_cast<std::int64_t>(c.data->size());
    }
    return Transact([&]() -> Status {
      PARLEY_RETURN_IF_ERROR(Exec(kLockVid, Params().Int(vid)).status());
      return Exec(kImportChanges, Params()
                                      .Int(vid)
                                      .Int8Array(seqs)
                                      .ByteaArray(ids)
                                      .ByteaArray(authors)
                                      .Int8Array(author_seqs)
                                      .ByteaArray(data)
                                      .TextArray(purged)
                                      .Int(bytes))
          .status();
    });
  }

 private:
  // A usable connection: reconnects when there is none or it was lost.
  Status Ensure() {
    if (conn_ != nullptr && PQstatus(conn_.get()) == CONNECTION_OK) {
      if (PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) return Status::Ok();
      Rollback();
      if (PQstatus(conn_.get()) == CONNECTION_OK &&
          PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) {
        return Status::Ok();
      }
    }
    conn_.reset();
    prepared_.clear();
    PARLEY_ASSIGN_OR_RETURN(pg::Conn c, pg::Connect(uri_));
    // Commits wait for the WAL flush whatever the server's default; notices stay quiet.
    // Prepared statements are planned for each execution's values: a generic plan made
    // while the tables were small (seq scans) would stay in use as they grow, and a batch's
    // lookup of held ids would scan every change of the vault.
    Res set(PQexec(c.get(),
                   "SET synchronous_commit = on; SET client_min_messages = warning; "
                   "SET default_transaction_isolation = 'read committed'; "
                   "SET plan_cache_mode = force_custom_plan"));
    if (PQresultStatus(set.get()) != PGRES_COMMAND_OK) {
      return pg::ErrorOf(c.get(), set.get(), "configuring the connection");
    }
    conn_ = std::move(c);
    return Status::Ok();
  }

  // The status of a failed result; a lost connection is dropped (the next call reconnects).
  Status Failed(const PGresult* r, std::string_view what) {
    Status s = pg::ErrorOf(conn_.get(), r, what);
    if (conn_ != nullptr && PQstatus(conn_.get()) != CONNECTION_OK) {
      conn_.reset();
      prepared_.clear();
    }
    return s;
  }

  // The name `sql` is prepared under on this connection (prepared on first use).
  Result<const char*> Prepared(const char* sql) {
    auto it = prepared_.find(sql);
    if (it != prepared_.end()) return it->second.c_str();
    std::string name = "p" + std::to_string(prepared_.size());
    Res r(PQprepare(conn_.get(), name.c_str(), sql, 0, nullptr));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return Failed(r.get(), "preparing");
    return prepared_.emplace(sql, std::move(name)).first->second.c_str();
  }

  // Runs one statement (binary results). Outside a transaction it commits by itself.
  Result<Res> Exec(const char* sql, const Params& p) {
    PARLEY_RETURN_IF_ERROR(Ensure0());
    PARLEY_ASSIGN_OR_RETURN(const char* name, Prepared(sql));
    Res r(PQexecPrepared(conn_.get(), name, p.count(), p.values(), p.lengths(), p.formats(), 1));
    const ExecStatusType st = PQresultStatus(r.get());
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return Failed(r.get(), "a statement");
    return r;
  }

  // Ensure() outside a transaction; inside one, only that the connection is there.
  Status Ensure0() {
    if (in_transaction_) {
      if (conn_ == nullptr || PQstatus(conn_.get()) != CONNECTION_OK) {
        conn_.reset();
        prepared_.clear();
        return Error(Domain::kSync, Code::kUnavailable, "PostgreSQL: the connection was lost");
      }
      return Status::Ok();
    }
    return Ensure();
  }

  // Runs `body` in a transaction, retrying it (from the start) after a serialization
  // failure or deadlock. Nothing of a failed attempt stays.
  Status Transact(const std::function<Status()>& body, const char* isolation = nullptr) {
    for (int attempt = 1;; ++attempt) {
      PARLEY_RETURN_IF_ERROR(Ensure());
      const std::string begin =
          isolation ? std::string("BEGIN ISOLATION LEVEL ") + isolation : std::string("BEGIN");
      Res b(PQexec(conn_.get(), begin.c_str()));
      if (PQresultStatus(b.get()) != PGRES_COMMAND_OK) return Failed(b.get(), "BEGIN");
      in_transaction_ = true;
      Status s = body();
      if (s.ok()) {
        Res c(PQexec(conn_.get(), "COMMIT"));
        if (PQresultStatus(c.get()) != PGRES_COMMAND_OK) s = Failed(c.get(), "COMMIT");
      }
      in_transaction_ = false;
      if (s.ok()) return s;
      if (conn_ != nullptr && PQstatus(conn_.get()) == CONNECTION_OK) {
        Rollback();
      }
      if (s.code() != Code::kBusy || attempt >= kAttempts) return s;
    }
  }

  // Sends `queries` as one pipeline and waits for all their results (one each). Code::
  // kUnavailable when the connection broke (it is dropped); the first failed statement's
  // status otherwise (the following ones were skipped by the server).
  Result<std::vector<Res>> Pipeline(std::span<Query> queries) {
    std::vector<const char*> names;
    for (Query& q : queries) {
      PARLEY_ASSIGN_OR_RETURN(const char* name, Prepared(q.sql));
      names.push_back(name);
    }
    PGconn* c = conn_.get();
    auto broken = [&](std::string_view what) -> Status {
      Status s = Error(Domain::kSync, Code::kUnavailable,
                       "PostgreSQL: " + std::string(what) + ": " + PQerrorMessage(c));
      conn_.reset();
      prepared_.clear();
      return s;
    };
    if (PQenterPipelineMode(c) != 1) return broken("entering pipeline mode");
    for (std::size_t i = 0; i < queries.size(); ++i) {
      const Params& p = queries[i].params;
      if (PQsendQueryPrepared(c, names[i], p.count(), p.values(), p.lengths(), p.formats(), 1) !=
          1) {
        return broken("sending");
      }
    }
    if (PQpipelineSync(c) != 1) return broken("sending");
    std::vector<Res> out;
    Status first_error;
    for (std::size_t i = 0; i < queries.size(); ++i) {
      Res r(PQgetResult(c));
      if (r == nullptr) return broken("reading");
      const ExecStatusType st = PQresultStatus(r.get());
      if (st == PGRES_FATAL_ERROR && first_error.ok()) {
        first_error = pg::ErrorOf(c, r.get(), "a statement");
      }
      if (st == PGRES_PIPELINE_ABORTED && first_error.ok()) {
        first_error = Error(Domain::kSync, Code::kInternal, "PostgreSQL: a statement was skipped");
      }
      // The end of this query's results.
      while (PGresult* extra = PQgetResult(c)) PQclear(extra);
      out.push_back(std::move(r));
    }
    Res sync(PQgetResult(c));
    if (sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
      return broken("reading");
    }
    if (PQexitPipelineMode(c) != 1) return broken("leaving pipeline mode");
    if (PQstatus(c) != CONNECTION_OK) return broken("reading");
    if (!first_error.ok()) return first_error;
    return out;
  }

  // One attempt of InsertChanges. Code::kBusy: retry.
  Status InsertOnce(std::span<const NewChange> changes, std::vector<InsertOutcome>* out) {
    out->clear();
    PARLEY_RETURN_IF_ERROR(Ensure());
    std::set<std::string> vault_set;
    std::set<std::pair<std::string, std::string>> head_keys;
    std::vector<ByteView> id_vaults, ids, head_vaults, head_authors;
    for (const NewChange& c : changes) {
      vault_set.insert(Key(c.vault));
      id_vaults.emplace_back(c.vault);
      ids.emplace_back(c.id);
      if (head_keys.emplace(Key(c.vault), Key(c.author)).second) {
        head_vaults.emplace_back(c.vault);
        head_authors.emplace_back(c.author);
      }
    }
    std::vector<ByteView> vaults;
    vaults.reserve(vault_set.size());
    for (const std::string& v : vault_set) vaults.push_back(View(v));

    // Round trip 1: lock the vault rows (in vault order), then read what the batch names.
    std::vector<Query> first;
    first.push_back(Query{kBegin, Params()});
    first.push_back(Query{kLockVaults, std::move(Params().ByteaArray(vaults))});
    first.push_back(Query{kHeldIds, std::move(Params().ByteaArray(id_vaults).ByteaArray(ids))});
    first.push_back(
        Query{kHeads, std::move(Params().ByteaArray(head_vaults).ByteaArray(head_authors))});
    auto read = Pipeline(first);
    if (!read.ok()) return Abort(read.status());
    const PGresult* locked = (*read)[1].get();
    const PGresult* held = (*read)[2].get();
    const PGresult* heads = (*read)[3].get();

    struct VaultState {
      std::int64_t vid = 0;
      std::int64_t head_seq = 0;
      std::int64_t stored_bytes = 0;
      std::uint64_t quota = 0;
      bool touched = false;
    };
    std::map<std::string, VaultState> state;
    for (int i = 0; i < PQntuples(locked); ++i) {
      VaultState& s = state[Key(pg::GetBytes(locked, i, 1))];
      s.vid = pg::GetInt8(locked, i, 0);
      s.head_seq = pg::GetInt8(locked, i, 2);
      s.stored_bytes = pg::GetInt8(locked, i, 3);
      const std::int64_t own = pg::GetInt8(locked, i, 4);
      s.quota = own > 0 ? static_cast<std::uint64_t>(own) : default_quota_;
    }
    // (vid, id) -> (seq, purged); (vid, author) -> (author seq, link).
    std::map<std::pair<std::int64_t, std::string>, std::pair<std::int64_t, bool>> known;
    for (int i = 0; i < PQntuples(held); ++i) {
      known[{pg::GetInt8(held, i, 0), Key(pg::GetBytes(held, i, 1))}] = {pg::GetInt8(held, i, 2),
                                                                         pg::GetBool(held, i, 3)};
    }
    std::map<std::pair<std::int64_t, std::string>, std::pair<std::uint64_t, Bytes>> head;
    for (int i = 0; i < PQntuples(heads); ++i) {
      head[{pg::GetInt8(heads, i, 0), Key(pg::GetBytes(heads, i, 1))}] = {
          static_cast<std::uint64_t>(pg::GetInt8(heads, i, 2)), pg::GetBytes(heads, i, 3)};
    }

    // The batch in order, as the SQLite storage does it one change at a time.
    std::vector<std::int64_t> c_vid, c_seq, c_author_seq;
    std::vector<ByteView> c_id, c_author, c_data;
    std::map<std::pair<std::int64_t, std::string>, const NewChange*> new_heads;
    for (const NewChange& c : changes) {
      auto vs = state.find(Key(c.vault));
      if (vs == state.end()) {
        out->push_back(InsertOutcome{InsertResult::kUnknownVault, 0});
        continue;
      }
      VaultState& s = vs->second;
      if (auto k = known.find({s.vid, Key(c.id)}); k != known.end()) {
        out->push_back(
            InsertOutcome{k->second.second ? InsertResult::kPurged : InsertResult::kAlreadyHeld,
                          static_cast<std::uint64_t>(k->second.first)});
        continue;
      }
      const auto head_key = std::make_pair(s.vid, Key(c.author));
      auto h = head.find(head_key);
      const bool links = h != head.end()
                             ? (c.author_seq == h->second.first + 1 && c.prev == h->second.second)
                             : (c.author_seq == 1 && c.prev.empty());
      if (!links) {
        out->push_back(InsertOutcome{InsertResult::kBrokenChain, 0});
        continue;
      }
      if (s.quota > 0 && static_cast<std::uint64_t>(s.stored_bytes) + c.data.size() > s.quota) {
        out->push_back(InsertOutcome{InsertResult::kOverQuota, 0});
        continue;
      }
      const std::int64_t seq = ++s.head_seq;
      s.stored_bytes += static_cast<std::int64_t>(c.data.size());
      s.touched = true;
      known[{s.vid, Key(c.id)}] = {seq, false};
      head[head_key] = {c.author_seq, c.link};
      new_heads[head_key] = &c;
      c_vid.push_back(s.vid);
      c_seq.push_back(seq);
      c_id.emplace_back(c.id);
      c_author.emplace_back(c.author);
      c_author_seq.push_back(static_cast<std::int64_t>(c.author_seq));
      c_data.push_back(View(c.data));
      out->push_back(InsertOutcome{InsertResult::kStored, static_cast<std::uint64_t>(seq)});
    }

    // Round trip 2: every row in one statement, the notifications, COMMIT.
    std::vector<Query> second;
    if (!c_vid.empty()) {
      std::vector<std::int64_t> h_vid, h_seq, v_vid, v_head, v_bytes;
      std::vector<ByteView> h_author, h_link;
      for (const auto& [key, c] : new_heads) {
        h_vid.push_back(key.first);
        h_author.emplace_back(c->author);
        h_seq.push_back(static_cast<std::int64_t>(c->author_seq));
        h_link.emplace_back(c->link);
      }
      std::vector<std::string> notes;
      for (const auto& [vault, s] : state) {
        if (!s.touched) continue;
        v_vid.push_back(s.vid);
        v_head.push_back(s.head_seq);
        v_bytes.push_back(s.stored_bytes);
        notes.push_back(Payload('c', View(vault), static_cast<std::uint64_t>(s.head_seq)));
      }
      Params w;
      w.Int8Array(c_vid).Int8Array(c_seq).ByteaArray(c_id).ByteaArray(c_author);
      w.Int8Array(c_author_seq).ByteaArray(c_data);
      w.Int8Array(h_vid).ByteaArray(h_author).Int8Array(h_seq).ByteaArray(h_link);
      w.Int8Array(v_vid).Int8Array(v_head).Int8Array(v_bytes).TextArray(notes);
      second.push_back(Query{kWriteBatch, std::move(w)});
    }
    second.push_back(Query{kCommit, Params()});
    auto written = Pipeline(second);
    if (!written.ok()) {
      out->clear();
      return Abort(written.status());
    }
    return Status::Ok();
  }

  // Ends the open transaction, if any, discarding it (errors are not reported: a lost
  // connection is found by the next call).
  void Rollback() {
    Res r(PQexec(conn_.get(), "ROLLBACK"));
    (void)r;
  }

  // Rolls back after a failed pipeline (when the connection is still there) and returns
  // `s`.
  Status Abort(Status s) {
    if (conn_ != nullptr && PQstatus(conn_.get()) == CONNECTION_OK &&
        PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) {
      Rollback();
    }
    if (conn_ != nullptr && PQstatus(conn_.get()) != CONNECTION_OK) {
      conn_.reset();
      prepared_.clear();
    }
    return s;
  }

  // Rewrites the vault's rows of the member and revocation indexes from `list` (a stored
  // MembershipList; one that does not parse names nobody).
  Status IndexList(std::int64_t vid, const std::string& list) {
    PARLEY_RETURN_IF_ERROR(Exec(kUnindexList, Params().Int(vid)).status());
    auto parsed = wire::ParseMembership(list);
    if (!parsed.ok()) return Status::Ok();
    std::vector<ByteView> members, revoked;
    for (const wire::MemberEntry& e : parsed->members) members.emplace_back(e.identity);
    for (const Bytes& r : parsed->revoked) revoked.emplace_back(r);
    return Exec(kIndexList, Params().Int(vid).ByteaArray(members).ByteaArray(revoked)).status();
  }

  // 0 when the vault is unknown. A vault's vid never changes, so known ones are cached.
  Result<std::int64_t> Vid(ByteView vault) {
    std::string key = Key(vault);
    if (auto it = vids_.find(key); it != vids_.end()) return it->second;
    PARLEY_ASSIGN_OR_RETURN(Res r, Exec(kFindVid, Params().Bytea(vault)));
    const std::int64_t vid = PQntuples(r.get()) > 0 ? pg::GetInt8(r.get(), 0, 0) : 0;
    if (vid != 0) vids_.emplace(std::move(key), vid);
    return vid;
  }

  std::string uri_;
  pg::Conn conn_;
  bool in_transaction_ = false;
  std::map<const char*, std::string> prepared_;  // statement text (by address) -> name
  std::map<std::string, std::int64_t> vids_;
  std::uint64_t default_quota_ = 0;
};

}  // namespace

Result<std::unique_ptr<RelayStorage>> OpenPostgresRelayStorage(const std::string& uri) {
  auto storage = std::make_unique<PostgresRelayStorage>(uri);
  PARLEY_RETURN_IF_ERROR(storage->Init());
  return std::unique_ptr<RelayStorage>(std::move(storage));
}

}  // namespace parley::relay
