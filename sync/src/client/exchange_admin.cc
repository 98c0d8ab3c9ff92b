// Step 1 of a session: the relay learns the vault and its members (exchange.h).
#include <algorithm>
#include <optional>

#include "exchange.h"
#include "parley/sync/auth.h"

namespace parley::sync {
namespace {

void Set(std::string* out, crypto::ByteView b) {
  out->assign(reinterpret_cast<const char*>(b.data()), b.size());
}

// The version the relay holds, from its stale-membership answer (Error.membership_version).
std::optional<std::uint64_t> HeldVersion(const pb::Error& e) {
  if (e.code() != pb::ERROR_CONFLICT || !e.has_membership_version()) return std::nullopt;
  return e.membership_version();
}

}  // namespace

Status EnsureVault(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay,
                   SyncReport& report) {
  PARLEY_ASSIGN_OR_RETURN(log::VaultIdentity vault, log::GetVaultIdentity(ctx.replica));
  const store::DeviceKeys& me = ctx.store.device();
  if (!relay.registered && !vault.nonce.empty() &&
      crypto::ConstantTimeEqual(vault.founder, me.identity.public_key)) {
    pb::Frame f;
    pb::RegisterVault* r = f.mutable_register_vault();
    Set(r->mutable_vault(), vault.vault);
    Set(r->mutable_creator(), me.identity.public_key);
    Set(r->mutable_nonce(), vault.nonce);
    crypto::Bytes msg(wire::kRegisterLabel.begin(), wire::kRegisterLabel.end());
    msg.insert(msg.end(), vault.vault.begin(), vault.vault.end());
    Set(r->mutable_signature(), crypto::Sign(me.identity.secret_key, msg));
    PARLEY_RETURN_IF_ERROR(conn.Call(std::move(f)).status());
    PARLEY_RETURN_IF_ERROR(ctx.state.SetRegistered(relay.id));
    relay.registered = true;
    report.registered_vault = true;
  }

  // Current members and revoked devices alike (a replica that does not list revoked devices
  // yet returns current members only: the list then revokes nobody new).
  PARLEY_ASSIGN_OR_RETURN(std::vector<log::MemberInfo> everyone,
                          log::ListMembers(ctx.replica, /*include_revoked=*/true));
  std::vector<log::MemberInfo> members, revoked;
  for (log::MemberInfo& m : everyone) (m.revoked ? revoked : members).push_back(std::move(m));
  const std::string self(me.identity.public_key.begin(), me.identity.public_key.end());
  auto mine = std::find_if(members.begin(), members.end(),
                           [&](const log::MemberInfo& m) { return m.identity == self; });
  if (mine == members.end() || !mine->admin)
    return Status::Ok();  // revoked, or not an admin: nothing to publish
  // The digest of a set without revoked devices is the one earlier versions recorded, so
  // an unchanged set is not published again.
  crypto::Hasher h;
  h.Update(std::string_view("parley/member-set/v1"));
  for (const auto& m : members) h.Update(m.identity).Update(std::string_view(m.admin ? "A" : "M"));
  for (const auto& m : revoked)
    h.Update(m.identity).Update(std::string_view("R")).UpdateU64(m.revoked_after_seq);
  const crypto::Hash digest = h.Final256();
  if (relay.members_digest.size() == digest.size() &&
      crypto::ConstantTimeEqual(relay.members_digest, digest)) {
    return Status::Ok();
  }
  // An admission of this device (a restore enrolled it offline): a relay whose list does not
  // hold this device yet takes the list on it (docs/wire-protocol.md, "Admission").
  PARLEY_ASSIGN_OR_RETURN(std::string admission_bytes, ctx.state.Admission());
  pb::Admission admission;
  const bool admitted = !admission_bytes.empty() && admission.ParseFromString(admission_bytes) &&
                        admission.device() == self &&
                        admission.vault().size() == vault.vault.size() &&
                        crypto::ConstantTimeEqual(crypto::AsBytes(admission.vault()), vault.vault);
  std::uint64_t version = relay.members_version + 1;
  for (int attempt = 0; attempt < 2; ++attempt) {
    pb::MembershipList list;
    Set(list.mutable_vault(), vault.vault);
    list.set_version(version);
    for (const auto& m : members) {
      pb::Member* pm = list.add_members();
      pm->set_identity(m.identity);
      pm->set_role(m.admin ? "admin" : "member");
    }
    for (const auto& m : revoked) {
      list.add_revoked(m.identity);
      list.add_revoked_after(m.revoked_after_seq);
    }
    pb::Frame f;
    *f.mutable_set_membership() = wire::MakeSetMembership(list, me.identity);
    if (admitted) *f.mutable_set_membership()->mutable_admission() = admission;
    auto answer = conn.Call(std::move(f));
    if (answer.ok()) {
      PARLEY_RETURN_IF_ERROR(ctx.state.SetMembers(relay.id, version, digest));
      relay.members_version = version;
      relay.members_digest.assign(digest.begin(), digest.end());
      report.published_members = true;
      return Status::Ok();
    }
    if (answer.status().code() == Code::kConflict &&
        conn.last_error().code() == pb::ERROR_REVOCATION_DROPPED) {
      // The relay holds a revocation this device has not learned yet (another admin's):
      // publish nothing now; the pull below brings it, and the next session publishes.
      return Status::Ok();
    }
    auto held = HeldVersion(conn.last_error());
    if (answer.status().code() != Code::kConflict || !held.has_value()) return answer.status();
    version = *held + 1;  // another admin (or a lost ack) moved the relay's list on
  }
  return Error(Domain::kSync, Code::kConflict,
               "the relay's membership list keeps changing; try again");
}

Status PublishRedactions(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay,
                         SyncReport& report) {
  PARLEY_ASSIGN_OR_RETURN(std::vector<log::SlotRedactionRef> unsent,
                          ctx.state.UnsentRedactions(relay.id, ctx.replica));
  if (unsent.empty()) return Status::Ok();
  // Only an admin may ask a relay to drop slots (a member's request would be refused).
  PARLEY_ASSIGN_OR_RETURN(std::vector<log::MemberInfo> members,
                          log::ListMembers(ctx.replica, false));
  const store::DeviceKeys& me = ctx.store.device();
  const std::string self(me.identity.public_key.begin(), me.identity.public_key.end());
  const bool admin = std::any_of(members.begin(), members.end(), [&](const log::MemberInfo& m) {
    return m.identity == self && m.admin;
  });
  if (!admin) return Status::Ok();
  PARLEY_ASSIGN_OR_RETURN(log::VaultIdentity vault, log::GetVaultIdentity(ctx.replica));
  constexpr std::size_t kPerFrame = 1000;  // the relay's limit per Purge frame
  for (std::size_t at = 0; at < unsent.size(); at += kPerFrame) {
    const std::size_t n = std::min(kPerFrame, unsent.size() - at);
    pb::Frame f;
    pb::Purge* p = f.mutable_purge();
    Set(p->mutable_vault(), vault.vault);
    for (std::size_t i = at; i < at + n; ++i) {
      pb::SlotRedaction* r = p->add_redactions();
      r->set_change_id(unsent[i].change_id.data(), unsent[i].change_id.size());
      r->set_slot_hash(unsent[i].slot_hash);
    }
    PARLEY_RETURN_IF_ERROR(conn.Call(std::move(f)).status());
    PARLEY_RETURN_IF_ERROR(ctx.state.MarkRedactionsSent(
        relay.id, std::span<const log::SlotRedactionRef>(unsent).subspan(at, n)));
    report.slots_redacted += n;
  }
  return Status::Ok();
}

}  // namespace parley::sync
