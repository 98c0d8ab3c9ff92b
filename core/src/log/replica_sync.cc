// Read-only views of the replica's tables for the sync client (replica_sync.h).
#include "parley/core/replica_sync.h"

#include <cstring>

#include "log/change_codec.h"
#include "log/pairing.h"
#include "log/replica_impl.h"
#include "log/schema.h"

namespace parley::log {
namespace {

std::string AsString(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

ChangeId ToChangeId(std::span<const std::uint8_t> b) {
  ChangeId id{};
  if (b.size() == id.size()) std::memcpy(id.data(), b.data(), id.size());
  return id;
}

ReplicaImpl& Impl(Replica& replica) { return static_cast<ReplicaImpl&>(replica); }

}  // namespace

Result<ApplyReport> ApplyAndRecord(Replica& replica, std::span<const pb::Change> changes,
                                   const WithinApply& within) {
  return Impl(replica).ApplyRacing(changes, &within);
}

crypto::Bytes DeriveVaultId(crypto::ByteView founder, crypto::ByteView nonce) {
  crypto::Hasher h;
  h.Update(kVaultIdLabel).Update(founder).Update(nonce);
  crypto::Hash id = h.Final256();
  return crypto::Bytes(id.begin(), id.end());
}

Result<VaultIdentity> GetVaultIdentity(Replica& replica) {
  ReplicaImpl& r = Impl(replica);
  if (!r.HasVault())
    return Error(Domain::kLog, Code::kNotFound, "no vault: create one or join one first");
  VaultIdentity out;
  out.vault.assign(r.vault_id().begin(), r.vault_id().end());
  out.founder.assign(r.founder().begin(), r.founder().end());
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(r.db(), "SELECT v FROM log_meta WHERE k = 'vault_nonce'"));
  PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
  if (row) {
    auto b = s.Blob(0);
    out.nonce.assign(b.begin(), b.end());
  }
  return out;
}

Result<std::vector<HeldChange>> HeldChangesAfter(Replica& replica, std::int64_t after,
                                                 std::size_t max_bytes, std::size_t max_count) {
  ReplicaImpl& r = Impl(replica);
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(r.db(),
                "SELECT c.cid, c.id, a.key, c.seq, c.header, c.body, c.signature, k.slots FROM "
                "log_changes c JOIN log_authors a ON a.id = c.author LEFT JOIN log_slots k ON "
                "k.cid = c.cid WHERE c.cid > ?1 ORDER BY c.cid LIMIT ?2"));
  s.Bind(1, after).Bind(2, static_cast<std::int64_t>(max_count));
  std::vector<HeldChange> out;
  std::size_t bytes = 0;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const std::size_t size =
        s.Blob(4).size() + s.Blob(5).size() + s.Blob(6).size() + s.Blob(7).size();
    if (!out.empty() && bytes + size > max_bytes) break;
    bytes += size;
    HeldChange& h = out.emplace_back();
    h.local_seq = s.Int(0);
    h.id = ToChangeId(s.Blob(1));
    h.author = AsString(s.Blob(2));
    h.seq = static_cast<std::uint64_t>(s.Int(3));
    h.change.set_header(AsString(s.Blob(4)));
    h.change.set_body(AsString(s.Blob(5)));
    h.change.set_signature(AsString(s.Blob(6)));
    if (!s.IsNull(7)) ReplicaImpl::SplitSlots(AsString(s.Blob(7)), &h.change);
  }
  return out;
}

Result<std::vector<SlotRedactionRef>> ListSlotRedactions(Replica& replica) {
  ReplicaImpl& r = Impl(replica);
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(r.db(),
                "SELECT change_id, slot_hash FROM log_purged WHERE change_id IS NOT NULL AND "
                "slot_hash IS NOT NULL ORDER BY record"));
  std::vector<SlotRedactionRef> out;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    SlotRedactionRef& ref = out.emplace_back();
    ref.change_id = ToChangeId(s.Blob(0));
    ref.slot_hash = AsString(s.Blob(1));
  }
  return out;
}

Result<std::vector<ChangeRef>> ListChangeRefs(Replica& replica, std::string_view author) {
  ReplicaImpl& r = Impl(replica);
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(r.db(),
                "SELECT c.cid, c.id, a.key, c.seq FROM log_changes c JOIN log_authors a "
                "ON a.id = c.author WHERE ?1 IS NULL OR a.key = ?1 ORDER BY c.cid"));
  if (author.empty()) {
    s.BindNull(1);
  } else {
    s.BindBlob(1, crypto::AsBytes(author));
  }
  std::vector<ChangeRef> out;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ChangeRef& c = out.emplace_back();
    c.local_seq = s.Int(0);
    c.id = ToChangeId(s.Blob(1));
    c.author = AsString(s.Blob(2));
    c.seq = static_cast<std::uint64_t>(s.Int(3));
  }
  return out;
}

Result<std::vector<MemberInfo>> ListMembers(Replica& replica, bool include_revoked) {
  ReplicaImpl& r = Impl(replica);
  Stmt last;
  PARLEY_RETURN_IF_ERROR(
      last.Prepare(r.db(),
                   "SELECT a.max_seq, (SELECT c.hlc FROM log_changes c WHERE c.author = a.id AND "
                   "c.seq = a.max_seq) FROM log_authors a WHERE a.key = ?1"));
  std::vector<MemberInfo> out;
  for (const auto& [identity, d] : r.membership().devices) {
    if (d.revoked && !include_revoked) continue;
    MemberInfo& m = out.emplace_back();
    m.identity = identity;
    m.name = d.name;
    m.admin = d.admin && !d.revoked;
    m.revoked = d.revoked;
    m.founder = d.founder;
    m.enrolled_by = d.enrolled_by;
    m.enrolled_hlc = d.enrolled_hlc;
    m.revoked_by = d.revoked_by;
    m.revoked_hlc = d.revoked_hlc;
    m.revoked_after_seq = d.revoked ? d.after_seq : 0;
    m.has_seal_key = !d.seal.empty();
    m.recovery = d.recovery;
    last.Reset();
    last.BindBlob(1, crypto::AsBytes(identity));
    PARLEY_ASSIGN_OR_RETURN(bool row, last.Step());
    if (row) {
      m.last_seq = static_cast<std::uint64_t>(last.Int(0));
      m.last_change_hlc = static_cast<std::uint64_t>(last.Int(1));
    }
  }
  return out;
}

const store::VaultKey* CurrentEpochKey(Replica& replica) { return Impl(replica).WriteKey(); }

Result<std::vector<ChainGap>> ListGaps(Replica& replica) {
  ReplicaImpl& r = Impl(replica);
  // Missing: below the highest held, and above it up to the newest known to exist (named
  // by a change that saw it).
  Stmt authors, seqs;
  PARLEY_RETURN_IF_ERROR(authors.Prepare(
      r.db(),
      "SELECT a.id, a.key, a.name, a.contig, max(a.max_seq, COALESCE((SELECT max(s.upto) FROM "
      "log_seen s WHERE "
      "s.of = a.id), 0)) AS known FROM log_authors a WHERE known > a.contig ORDER BY a.key"));
  PARLEY_RETURN_IF_ERROR(seqs.Prepare(
      r.db(), "SELECT seq FROM log_changes WHERE author = ?1 AND seq > ?2 ORDER BY seq"));
  std::vector<ChainGap> out;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, authors.Step());
    if (!row) break;
    const std::string key = AsString(authors.Blob(1));
    const std::string name(authors.Text(2));
    const auto known = static_cast<std::uint64_t>(authors.Int(4));
    std::uint64_t expect = static_cast<std::uint64_t>(authors.Int(3)) + 1;
    seqs.Reset();
    seqs.Bind(1, authors.Int(0)).Bind(2, authors.Int(3));
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(bool r2, seqs.Step());
      if (!r2) break;
      const auto seq = static_cast<std::uint64_t>(seqs.Int(0));
      if (seq > expect) out.push_back(ChainGap{key, name, expect, seq - 1});
      expect = seq + 1;
    }
    if (known >= expect) out.push_back(ChainGap{key, name, expect, known});
  }
  return out;
}

Result<std::vector<DeviceHead>> ListDeviceHeads(Replica& replica) {
  ReplicaImpl& r = Impl(replica);
  Stmt q;
  PARLEY_RETURN_IF_ERROR(q.Prepare(
      r.db(),
      "SELECT a.id, a.key, a.name, a.contig, a.held, a.max_seq, max(a.max_seq, COALESCE((SELECT "
      "max(s.upto) FROM log_seen s "
      "WHERE s.of = a.id), 0)) AS known FROM log_authors a WHERE known > 0 ORDER BY a.key"));
  std::vector<DeviceHead> out;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    DeviceHead d;
    d.identity = AsString(q.Blob(1));
    d.name = std::string(q.Text(2));
    d.contig = static_cast<std::uint64_t>(q.Int(3));
    d.held = static_cast<std::uint64_t>(q.Int(4));
    d.max_seq = static_cast<std::uint64_t>(q.Int(5));
    d.known = static_cast<std::uint64_t>(q.Int(6));
    d.self = q.Int(0) == r.self_id();
    out.push_back(std::move(d));
  }
  return out;
}

Result<LogHealth> GetLogHealth(Replica& replica) {
  ReplicaImpl& r = Impl(replica);
  Stmt q;
  PARLEY_RETURN_IF_ERROR(
      q.Prepare(r.db(),
                "SELECT (SELECT count(*) FROM log_changes WHERE membership = 3), (SELECT count(*) "
                "FROM log_set_aside), "
                "COALESCE((SELECT v FROM log_meta WHERE k = 'set_aside_total'), 0), "
                "COALESCE((SELECT v FROM log_meta WHERE k = 'reissued_total'), 0)"));
  PARLEY_ASSIGN_OR_RETURN(bool row, q.Step());
  LogHealth h;
  if (row) {
    h.quarantined = static_cast<std::uint64_t>(q.Int(0));
    h.set_aside_waiting = static_cast<std::uint64_t>(q.Int(1));
    h.set_aside_total = static_cast<std::uint64_t>(q.Int(2));
    h.reissued_total = static_cast<std::uint64_t>(q.Int(3));
  }
  return h;
}

Status SetChangeSizeLimit(Replica& replica, std::size_t bytes) {
  ReplicaImpl& r = Impl(replica);
  if (r.change_size_limit() == bytes) return Status::Ok();
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(r.db(), "INSERT OR REPLACE INTO log_meta(k, v) VALUES ('change_size_limit', ?1)"));
  PARLEY_RETURN_IF_ERROR(s.Bind(1, static_cast<std::int64_t>(bytes)).Run());
  r.set_change_size_limit(bytes);
  return Status::Ok();
}

Result<std::size_t> ReissueSetAside(Replica& replica) { return Impl(replica).ReissueSetAside(); }

Result<DeviceCode> DecodeDeviceCode(std::string_view code) {
  PARLEY_ASSIGN_OR_RETURN(PairingInfo info, DecodePairingCode(code));
  std::fill(info.secret.begin(), info.secret.end(), std::uint8_t{0});
  return DeviceCode{std::move(info.identity), std::move(info.kx), std::move(info.name),
                    std::move(info.seal), info.version};
}

}  // namespace parley::log
