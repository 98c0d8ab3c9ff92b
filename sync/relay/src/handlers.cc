// The relay's answer to each frame after authentication (docs/wire-protocol.md, "Frames").
// Every vault operation starts with the membership check (an all-vaults GetEnvelopes
// checks it per vault; a device the vault's list revokes gets ERROR_REVOKED with that list);
// nothing is stored for a device that is not a member, and a PushAck is queued only after the
// storage commit returned.
#include <algorithm>
#include <map>

#include "change_check.h"
#include "connection.h"
#include "log.h"
#include "parley/relay/tuning.h"
#include "parley/sync/auth.h"
#include "parley/sync/wire_limits.h"

namespace parley::relay {
namespace {

using tuning::kMaxEnvelopesListed;
using tuning::kMaxEnvelopesPerDevice;
using tuning::kMaxPurgeIds;
using tuning::kRetryAfterStorageErrorMs;

crypto::ByteView View(const std::string& s) { return crypto::AsBytes(s); }

std::string Short(const std::string& vault) { return LogId(View(vault)); }

// ERROR_CONFLICT for a SetMembership whose version is not the next one; `held` is the
// version the relay holds, in the message for people and in membership_version for clients.
pb::Frame StaleMembership(std::uint64_t id, std::uint64_t held) {
  pb::Frame f;
  f.set_id(id);
  pb::Error* e = f.mutable_error();
  e->set_code(pb::ERROR_CONFLICT);
  e->set_message("stale membership version: the relay holds " + std::to_string(held));
  e->set_membership_version(held);
  return f;
}

// Whether `device` is on the vault's current membership list (version 0: the creator).
// An unreadable stored list counts as no membership.
bool IsMember(const VaultInfo& info, crypto::ByteView device) {
  if (info.membership.version == 0) return crypto::ConstantTimeEqual(info.creator, device);
  auto parsed = wire::ParseMembership(info.membership.list);
  return parsed.ok() && parsed->Find(device) != nullptr;
}

// The Envelopes answer: each envelope in `items` and (bytes only) in `sealed`, dropping
// envelopes from the end until the frame fits.
pb::Frame EnvelopesAnswer(std::uint64_t id, const std::vector<AddressedEnvelope>& envelopes) {
  pb::Frame answer;
  answer.set_id(id);
  pb::Envelopes* out = answer.mutable_envelopes();
  for (const AddressedEnvelope& e : envelopes) {
    out->add_sealed(e.sealed.data(), e.sealed.size());
    pb::Envelope* item = out->add_items();
    item->set_vault(e.vault.data(), e.vault.size());
    item->set_sealed(e.sealed.data(), e.sealed.size());
  }
  while (answer.ByteSizeLong() > wire::kMaxFramePlaintext && out->items_size() > 0) {
    out->mutable_sealed()->RemoveLast();
    out->mutable_items()->RemoveLast();
  }
  return answer;
}

}  // namespace

asio::awaitable<std::shared_ptr<const VaultView>> Connection::LoadVault(std::uint64_t id,
                                                                        const std::string& vault) {
  if (vault.size() != 32) {
    SendError(id, pb::ERROR_MALFORMED, "a vault id is 32 bytes");
    co_return nullptr;
  }
  if (auto v = ctx_.vaults.Find(vault)) co_return v;
  auto fn = [vault](RelayStorage& s) { return s.GetVault(View(vault)); };
  auto info = co_await Call<Result<VaultInfo>>(ctx_.storage, false, std::move(fn));
  if (!info.ok()) {
    if (info.status().code() == Code::kNotFound) {
      SendError(id, pb::ERROR_UNKNOWN_VAULT, "unknown vault");
    } else {
      ctx_.metrics.storage_errors.fetch_add(1, std::memory_order_relaxed);
      SendError(id, pb::ERROR_UNAVAILABLE, "storage unavailable", kRetryAfterStorageErrorMs);
    }
    co_return nullptr;
  }
  auto view = std::make_shared<VaultView>();
  view->creator = info->creator;
  view->stored = info->membership;
  if (info->membership.version == 0) {
    view->members.vault.assign(vault.begin(), vault.end());
    view->members.members.push_back(wire::MemberEntry{info->creator, true});
  } else {
    auto parsed = wire::ParseMembership(info->membership.list);
    if (!parsed.ok()) {
      SendError(id, pb::ERROR_UNAVAILABLE, "stored membership unreadable",
                kRetryAfterStorageErrorMs);
      co_return nullptr;
    }
    view->members = std::move(*parsed);
  }
  ctx_.vaults.Put(vault, view);
  co_return ctx_.vaults.Find(vault);
}

asio::awaitable<std::shared_ptr<const VaultView>> Connection::RequireMember(
    std::uint64_t id, const std::string& vault, bool need_admin) {
  auto view = co_await LoadVault(id, vault);
  if (!view) co_return nullptr;
  if (view->members.IsRevoked(device_)) {
    LogInfo("revoked_refused", {{"conn", id_}, {"device", device_hex_}, {"vault", Short(vault)}});
    SendRevoked(id, view->stored);
    co_return nullptr;
  }
  const wire::MemberEntry* me = view->members.Find(device_);
  if (me == nullptr) {
    SendError(id, pb::ERROR_NOT_MEMBER, "this device is not a member of the vault");
    co_return nullptr;
  }
  if (need_admin && !me->admin) {
    SendError(id, pb::ERROR_NOT_ADMIN, "only an admin may do this");
    co_return nullptr;
  }
  co_return view;
}

asio::awaitable<void> Connection::Handle(pb::Frame frame) {
  const std::uint64_t id = frame.id();
  switch (frame.body_case()) {
    case pb::Frame::kPush:
      co_await HandlePush(id, frame.push());
      break;
    case pb::Frame::kPull:
      co_await HandlePull(id, frame.pull());
      break;
    case pb::Frame::kSubscribe: {
      auto view = co_await RequireMember(id, frame.subscribe().vault(), false);
      if (view) HandleSubscribe(id, frame.subscribe(), *view);
      break;
    }
    case pb::Frame::kRegisterVault:
      co_await HandleRegister(id, frame.register_vault());
      break;
    case pb::Frame::kSetMembership:
      co_await HandleSetMembership(id, frame.set_membership());
      break;
    case pb::Frame::kPutEnvelope:
      co_await HandlePutEnvelope(id, frame.put_envelope());
      break;
    case pb::Frame::kGetEnvelopes:
      co_await HandleGetEnvelopes(id, frame.get_envelopes());
      break;
    case pb::Frame::kPurge:
      co_await HandlePurge(id, frame.purge());
      break;
    case pb::Frame::kPing: {
      pb::Frame pong;
      pong.set_id(id);
      pong.mutable_pong()->set_nonce(frame.ping().nonce());
      SendFrame(pong);
      break;
    }
    case pb::Frame::kAuthenticate:
      SendError(id, pb::ERROR_UNSUPPORTED, "already authenticated");
      break;
    default:
      SendError(id, pb::ERROR_UNSUPPORTED,
                std::string("unsupported frame type: ") + wire::FrameTypeName(frame));
      break;
  }
}

asio::awaitable<void> Connection::HandlePush(std::uint64_t id, const pb::Push& push) {
  if (push.has_part()) {
    co_await HandlePushPart(id, push);
    co_return;
  }
  if (static_cast<std::uint32_t>(push.changes_size()) > ctx_.options.max_push_changes) {
    SendError(id, pb::ERROR_TOO_LARGE, "too many changes in one push");
    co_return;
  }
  auto view = co_await RequireMember(id, push.vault(), false);
  if (!view) co_return;
  // `push` lives in Handle's frame, untouched until the checks are done.
  auto check = [p = &push] { return CheckPushedChanges(p->changes(), View(p->vault())); };
  std::vector<CheckResult> checked =
      co_await OnCheckPool<std::vector<CheckResult>>(ctx_.checks, std::move(check));
  co_await StoreAndAck(id, push.vault(), *view, std::move(checked));
}

asio::awaitable<void> Connection::StoreAndAck(std::uint64_t id, const std::string& vault,
                                              const VaultView& view,
                                              std::vector<CheckResult> checked) {
  pb::Frame answer;
  answer.set_id(id);
  auto* acks = answer.mutable_push_ack();
  std::vector<NewChange> to_store;
  std::vector<int> slot;  // ack index of each change in to_store
  for (CheckResult& r : checked) {
    pb::ChangeAck* ack = acks->add_acks();
    if (r.refusal == pb::REFUSAL_NONE &&
        view.members.RefusesAsRevoked(r.change.author, r.change.author_seq)) {
      r.refusal = pb::REFUSAL_REVOKED;
      r.reason = "the author was revoked from the vault before this change";
    }
    // A revoked device's changes from before its revocation are kept like a member's.
    if (r.refusal == pb::REFUSAL_NONE && view.members.Find(r.change.author) == nullptr &&
        !view.members.IsRevoked(r.change.author)) {
      r.refusal = pb::REFUSAL_NOT_MEMBER;
      r.reason = "the author is not a member of the vault";
    }
    if (r.refusal != pb::REFUSAL_NONE) {
      ack->set_refusal(r.refusal);
      ack->set_reason(r.reason);
      continue;
    }
    ack->set_change_id(r.change.id.data(), r.change.id.size());
    slot.push_back(acks->acks_size() - 1);
    to_store.push_back(std::move(r.change));
  }
  std::uint64_t newest = 0;
  std::uint64_t stored = 0, duplicate = 0, over_quota = 0;
  if (!to_store.empty()) {
    auto outcomes = co_await CallPush(ctx_.storage, std::move(to_store));
    if (!outcomes.ok()) {
      ctx_.metrics.storage_errors.fetch_add(1, std::memory_order_relaxed);
      LogWarn("storage_error", {{"conn", id_}, {"reason", outcomes.status().message()}});
      SendError(id, pb::ERROR_UNAVAILABLE, "storage unavailable", kRetryAfterStorageErrorMs);
      co_return;
    }
    for (std::size_t i = 0; i < outcomes->size(); ++i) {
      pb::ChangeAck* ack = acks->mutable_acks(slot[i]);
      const InsertOutcome& o = (*outcomes)[i];
      switch (o.result) {
        case InsertResult::kStored:
          ++stored;
          newest = std::max(newest, o.relay_seq);
          ack->set_relay_seq(o.relay_seq);
          break;
        case InsertResult::kAlreadyHeld:
          ++duplicate;
          ack->set_relay_seq(o.relay_seq);
          break;
        case InsertResult::kBrokenChain:
          ack->set_refusal(pb::REFUSAL_BROKEN_CHAIN);
          ack->set_reason("the change does not extend its author's chain held by the relay");
          break;
        case InsertResult::kPurged:
          ack->set_refusal(pb::REFUSAL_PURGED);
          ack->set_reason("the change was purged");
          break;
        case InsertResult::kUnknownVault:
          ack->set_refusal(pb::REFUSAL_WRONG_VAULT);
          ack->set_reason("unknown vault");
          break;
        case InsertResult::kOverQuota:
          ++over_quota;
          ack->set_refusal(pb::REFUSAL_QUOTA_EXCEEDED);
          break;
      }
    }
  }
  if (over_quota > 0) {
    // The figures for people, read after the commit: what the vault holds and its quota.
    const std::string usage = co_await QuotaUsage(vault);
    for (pb::ChangeAck& ack : *acks->mutable_acks()) {
      if (ack.refusal() == pb::REFUSAL_QUOTA_EXCEEDED) ack.set_reason(usage);
    }
    ctx_.metrics.changes_over_quota.fetch_add(over_quota, std::memory_order_relaxed);
  }
  const std::uint64_t refused = static_cast<std::uint64_t>(checked.size()) - stored - duplicate;
  ctx_.metrics.changes_accepted.fetch_add(stored, std::memory_order_relaxed);
  ctx_.metrics.changes_duplicate.fetch_add(duplicate, std::memory_order_relaxed);
  ctx_.metrics.changes_refused.fetch_add(refused, std::memory_order_relaxed);
  LogInfo("push", {{"conn", id_},
                   {"device", device_hex_},
                   {"vault", Short(vault)},
                   {"stored", stored},
                   {"duplicate", duplicate},
                   {"refused", refused},
                   {"over_quota", over_quota}});
  SendFrame(answer);
  ctx_.metrics.push_ack.Observe(Clock::now() - frame_read_at_);
  if (newest > 0) {
    for (auto& sub : ctx_.connections.Subscribers(vault)) sub->Notify(vault, newest);
  }
}

asio::awaitable<Result<std::pair<std::uint64_t, std::uint64_t>>> Connection::QuotaFigures(
    const std::string& vault) {
  const std::uint64_t default_quota = ctx_.options.vault_quota_bytes;
  auto fn = [vault,
             default_quota](RelayStorage& st) -> Result<std::pair<std::uint64_t, std::uint64_t>> {
    PARLEY_ASSIGN_OR_RETURN(VaultInfo info, st.GetVault(View(vault)));
    std::uint64_t quota = default_quota;
    // Only an admitted vault can have a quota of its own; the list is read only then.
    PARLEY_ASSIGN_OR_RETURN(bool allowed, st.IsVaultAllowed(View(vault)));
    if (allowed) {
      PARLEY_ASSIGN_OR_RETURN(std::vector<VaultUsage> all, st.ListVaults());
      for (const VaultUsage& u : all) {
        if (u.quota_bytes != 0 && std::string(u.vault.begin(), u.vault.end()) == vault)
          quota = u.quota_bytes;
      }
    }
    return std::make_pair(info.stored_bytes, quota);
  };
  co_return co_await Call<Result<std::pair<std::uint64_t, std::uint64_t>>>(ctx_.storage, false,
                                                                           std::move(fn));
}

asio::awaitable<std::string> Connection::QuotaUsage(const std::string& vault) {
  auto figures = co_await QuotaFigures(vault);
  if (!figures.ok()) co_return "the vault is over its quota on this relay";
  co_return QuotaMessage(figures->first, figures->second);
}

std::string QuotaMessage(std::uint64_t held, std::uint64_t quota) {
  return "the vault holds " + std::to_string(held) + " of its " + std::to_string(quota) +
         " bytes on this relay";
}

void Connection::HandleSubscribe(std::uint64_t id, const pb::Subscribe& sub, const VaultView&) {
  ctx_.connections.Subscribe(sub.vault(), id_);
  SendDone(id);
}

asio::awaitable<void> Connection::HandleRegister(std::uint64_t id, const pb::RegisterVault& reg) {
  if (Status s = wire::VerifyRegisterVault(reg); !s.ok()) {
    SendError(id, pb::ERROR_MALFORMED, s.message());
    co_return;
  }
  if (!crypto::ConstantTimeEqual(View(reg.creator()), device_)) {
    SendError(id, pb::ERROR_MALFORMED, "the creator must be the authenticated device");
    co_return;
  }
  // The storage task keeps its own copy.
  // NOLINTNEXTLINE(performance-unnecessary-copy-initialization)
  const std::string vault = reg.vault(), creator = reg.creator();
  const bool allowlist = ctx_.options.admission == Admission::kAllowlist;
  auto fn = [vault, creator, allowlist](RelayStorage& st) -> Status {
    if (allowlist) {
      PARLEY_ASSIGN_OR_RETURN(bool allowed, st.IsVaultAllowed(View(vault)));
      if (!allowed) {
        // A vault registered before the allowlist keeps working: registering it again is
        // answered as always.
        Result<VaultInfo> known = st.GetVault(View(vault));
        if (known.ok()) return Error(Domain::kSync, Code::kAlreadyExists, "registered");
        if (known.status().code() != Code::kNotFound) return known.status();
        return Error(Domain::kSync, Code::kPermissionDenied, "not admitted");
      }
    }
    return st.RegisterVault(View(vault), View(creator));
  };
  Status s = co_await Call<Status>(ctx_.storage, true, std::move(fn));
  if (s.code() == Code::kPermissionDenied) {
    ctx_.metrics.vaults_not_admitted.fetch_add(1, std::memory_order_relaxed);
    LogInfo("vault_not_admitted", {{"conn", id_}, {"vault", Short(vault)}});
    const std::string hex = crypto::ToHex(View(vault));
    SendError(id, pb::ERROR_NOT_ADMITTED,
              "this relay admits only vaults its operator allowed, and not vault " + hex +
                  "; the operator admits it with `parley-relay vault allow " + hex + "`");
    co_return;
  }
  if (s.code() == Code::kAlreadyExists) {
    auto view = co_await LoadVault(id, vault);
    if (!view) co_return;
    if (view->creator == device_) {
      SendDone(id);  // registering the same vault again is harmless
    } else {
      SendError(id, pb::ERROR_CONFLICT, "the vault id is taken");
    }
    co_return;
  }
  if (!s.ok()) {
    ctx_.metrics.storage_errors.fetch_add(1, std::memory_order_relaxed);
    SendError(id, pb::ERROR_UNAVAILABLE, "storage unavailable", kRetryAfterStorageErrorMs);
    co_return;
  }
  LogInfo("vault_registered", {{"conn", id_}, {"device", device_hex_}, {"vault", Short(vault)}});
  SendDone(id);
}

asio::awaitable<void> Connection::HandleSetMembership(std::uint64_t id,
                                                      const pb::SetMembership& set) {
  auto parsed = wire::ParseMembership(set.list());
  if (!parsed.ok()) {
    SendError(id, pb::ERROR_MALFORMED, parsed.status().message());
    co_return;
  }
  if (Status s = wire::VerifyMembershipSignature(set); !s.ok()) {
    SendError(id, pb::ERROR_MALFORMED, s.message());
    co_return;
  }
  const std::string vault(parsed->vault.begin(), parsed->vault.end());
  // A device the current list does not hold may publish a list on an admin's admission
  // (docs/wire-protocol.md, "Admission"): it then counts as an admin of the current list
  // for this list only, which it signs and which lists it as an admin.
  std::shared_ptr<const VaultView> view;
  bool admitted = false;
  if (set.has_admission()) {
    view = co_await LoadVault(id, vault);
    if (!view) co_return;
    if (!view->members.IsRevoked(device_) && view->members.Find(device_) == nullptr) {
      const pb::Admission& a = set.admission();
      if (Status s = wire::VerifyAdmission(a); !s.ok()) {
        SendError(id, pb::ERROR_MALFORMED, s.message());
        co_return;
      }
      if (a.vault() != vault || !crypto::ConstantTimeEqual(View(a.device()), device_)) {
        SendError(id, pb::ERROR_MALFORMED, "the admission is for another vault or device");
        co_return;
      }
      const wire::MemberEntry* by = view->members.Find(View(a.signer()));
      if (by == nullptr || !by->admin) {
        SendError(id, pb::ERROR_NOT_ADMIN,
                  "the admission must be signed by an admin of the current list");
        co_return;
      }
      const wire::MemberEntry* listed = parsed->Find(device_);
      if (!crypto::ConstantTimeEqual(View(set.signer()), device_) || listed == nullptr ||
          !listed->admin) {
        SendError(id, pb::ERROR_MALFORMED,
                  "an admitted device's list must be signed by it and list it as an admin");
        co_return;
      }
      admitted = true;
    }
  }
  if (!admitted) {
    view = co_await RequireMember(id, vault, false);
    if (!view) co_return;
    const wire::MemberEntry* signer = view->members.Find(View(set.signer()));
    if (signer == nullptr || !signer->admin) {
      SendError(id, pb::ERROR_NOT_ADMIN, "the list must be signed by an admin of the current list");
      co_return;
    }
  }
  if (parsed->version != view->members.version + 1) {
    ctx_.metrics.ErrorSent(pb::ERROR_CONFLICT);
    SendFrame(StaleMembership(id, view->members.version));
    co_return;
  }
  // A revocation is permanent: the new list keeps every key the held one revokes (and so
  // re-admits none of them, a key being never both member and revoked).
  if (const crypto::Bytes* dropped = wire::FirstDroppedRevocation(view->members, *parsed)) {
    SendError(id, pb::ERROR_REVOCATION_DROPPED,
              "the list drops the revoked device " +
                  crypto::ToHex(crypto::ByteView(dropped->data(), 8)) +
                  "; a revocation is permanent");
    co_return;
  }
  StoredMembership m;
  m.version = parsed->version;
  m.list = set.list();
  m.signer.assign(set.signer().begin(), set.signer().end());
  m.signature.assign(set.signature().begin(), set.signature().end());
  auto fn = [vault, m](RelayStorage& st) { return st.SetMembership(View(vault), m); };
  Status s = co_await Call<Status>(ctx_.storage, true, std::move(fn));
  if (s.code() == Code::kConflict) {
    // Another connection committed a list first: answer with the version storage holds.
    auto read = [vault](RelayStorage& st) { return st.GetVault(View(vault)); };
    auto info = co_await Call<Result<VaultInfo>>(ctx_.storage, false, std::move(read));
    if (!info.ok()) {
      ctx_.metrics.storage_errors.fetch_add(1, std::memory_order_relaxed);
      SendError(id, pb::ERROR_UNAVAILABLE, "storage unavailable", kRetryAfterStorageErrorMs);
      co_return;
    }
    ctx_.metrics.ErrorSent(pb::ERROR_CONFLICT);
    SendFrame(StaleMembership(id, info->membership.version));
    co_return;
  }
  if (!s.ok()) {
    ctx_.metrics.storage_errors.fetch_add(1, std::memory_order_relaxed);
    SendError(id, pb::ERROR_UNAVAILABLE, "storage unavailable", kRetryAfterStorageErrorMs);
    co_return;
  }
  auto next = std::make_shared<VaultView>();
  next->creator = view->creator;
  next->members = std::move(*parsed);
  next->stored = m;
  const auto revoked = static_cast<std::uint64_t>(next->members.revoked.size());
  ctx_.vaults.Put(vault, std::move(next));
  LogInfo("membership", {{"conn", id_},
                         {"vault", Short(vault)},
                         {"version", m.version},
                         {"revoked", revoked},
                         {"admitted", admitted ? 1 : 0}});
  SendDone(id);
}

asio::awaitable<void> Connection::HandlePutEnvelope(std::uint64_t id, const pb::PutEnvelope& put) {
  auto view = co_await RequireMember(id, put.vault(), true);
  if (!view) co_return;
  if (put.recipient().size() != crypto::kSignPublicKeySize || put.sealed().empty()) {
    SendError(id, pb::ERROR_MALFORMED, "recipient must be 32 bytes and the envelope not empty");
    co_return;
  }
  if (put.sealed().size() > wire::kMaxEnvelopeBytes) {
    SendError(id, pb::ERROR_TOO_LARGE,
              "an envelope holds at most " + std::to_string(wire::kMaxEnvelopeBytes) + " bytes");
    co_return;
  }
  // The storage task keeps its own copy.
  // NOLINTNEXTLINE(performance-unnecessary-copy-initialization)
  const std::string vault = put.vault(), recipient = put.recipient(), sealed = put.sealed();
  auto fn = [vault, recipient, sealed](RelayStorage& st) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::size_t n, st.CountEnvelopes(View(vault), View(recipient)));
    if (n >= kMaxEnvelopesPerDevice)
      return Error(Domain::kSync, Code::kInvalidArgument, "too many envelopes");
    return st.PutEnvelope(View(vault), View(recipient), View(sealed));
  };
  Status s = co_await Call<Status>(ctx_.storage, true, std::move(fn));
  if (s.code() == Code::kInvalidArgument) {
    SendError(id, pb::ERROR_TOO_LARGE, "this device already has the most envelopes a vault keeps");
  } else if (!s.ok()) {
    ctx_.metrics.storage_errors.fetch_add(1, std::memory_order_relaxed);
    SendError(id, pb::ERROR_UNAVAILABLE, "storage unavailable", kRetryAfterStorageErrorMs);
  } else {
    SendDone(id);
  }
}

asio::awaitable<void> Connection::HandleGetEnvelopes(std::uint64_t id,
                                                     const pb::GetEnvelopes& get) {
  const crypto::Bytes me = device_;
  Result<std::vector<AddressedEnvelope>> got = std::vector<AddressedEnvelope>{};
  if (get.vault().empty()) {
    // Every vault: only envelopes addressed to this device, and only in vaults whose
    // current membership list holds it (the rule of the one-vault request below).
    auto fn = [me](RelayStorage& st) -> Result<std::vector<AddressedEnvelope>> {
      bool more = false;
      PARLEY_ASSIGN_OR_RETURN(auto stored, st.ListEnvelopesFor(me, kMaxEnvelopesListed, &more));
      std::map<Bytes, bool> member;
      std::vector<AddressedEnvelope> out;
      for (AddressedEnvelope& e : stored) {
        auto it = member.find(e.vault);
        if (it == member.end()) {
          PARLEY_ASSIGN_OR_RETURN(VaultInfo info, st.GetVault(e.vault));
          it = member.emplace(e.vault, IsMember(info, me)).first;
        }
        if (it->second) out.push_back(std::move(e));
      }
      return out;
    };
    got = co_await Call<Result<std::vector<AddressedEnvelope>>>(ctx_.storage, false, std::move(fn));
  } else {
    auto view = co_await RequireMember(id, get.vault(), false);
    if (!view) co_return;
    // The storage task keeps its own copy.
    // NOLINTNEXTLINE(performance-unnecessary-copy-initialization)
    const std::string vault = get.vault();
    auto fn = [vault, me](RelayStorage& st) -> Result<std::vector<AddressedEnvelope>> {
      PARLEY_ASSIGN_OR_RETURN(std::vector<crypto::Bytes> sealed, st.GetEnvelopes(View(vault), me));
      std::vector<AddressedEnvelope> out;
      out.reserve(sealed.size());
      for (crypto::Bytes& e : sealed)
        out.push_back(AddressedEnvelope{Bytes(vault.begin(), vault.end()), std::move(e)});
      return out;
    };
    got = co_await Call<Result<std::vector<AddressedEnvelope>>>(ctx_.storage, false, std::move(fn));
  }
  if (!got.ok()) {
    ctx_.metrics.storage_errors.fetch_add(1, std::memory_order_relaxed);
    SendError(id, pb::ERROR_UNAVAILABLE, "storage unavailable", kRetryAfterStorageErrorMs);
    co_return;
  }
  SendFrame(EnvelopesAnswer(id, *got));
}

asio::awaitable<void> Connection::HandlePurge(std::uint64_t id, const pb::Purge& purge) {
  auto view = co_await RequireMember(id, purge.vault(), true);
  if (!view) co_return;
  if (purge.change_ids_size() + purge.redactions_size() > kMaxPurgeIds) {
    SendError(id, pb::ERROR_TOO_LARGE, "at most 1000 change ids and slot redactions per purge");
    co_return;
  }
  std::vector<SlotRedaction> redactions;
  for (const auto& r : purge.redactions()) {
    if (r.change_id().size() != 32 || r.slot_hash().size() != 32) {
      SendError(id, pb::ERROR_MALFORMED,
                "a slot redaction names a 32-byte change id and slot hash");
      co_return;
    }
    redactions.push_back(SlotRedaction{crypto::Bytes(r.change_id().begin(), r.change_id().end()),
                                       crypto::Bytes(r.slot_hash().begin(), r.slot_hash().end())});
  }
  std::vector<crypto::Bytes> ids;
  for (const auto& cid : purge.change_ids()) {
    if (cid.size() != 32) {
      SendError(id, pb::ERROR_MALFORMED, "a change id is 32 bytes");
      co_return;
    }
    ids.emplace_back(cid.begin(), cid.end());
  }
  // The storage task keeps its own copy.
  // NOLINTNEXTLINE(performance-unnecessary-copy-initialization)
  const std::string vault = purge.vault();
  auto fn = [vault, ids, redactions](RelayStorage& st) -> Status {
    if (!ids.empty()) PARLEY_RETURN_IF_ERROR(st.Purge(View(vault), ids));
    if (redactions.empty()) return Status::Ok();
    return st.DropKeySlots(View(vault), redactions).status();
  };
  Status s = co_await Call<Status>(ctx_.storage, true, std::move(fn));
  if (!s.ok()) {
    SendError(id, pb::ERROR_UNAVAILABLE, "storage unavailable", kRetryAfterStorageErrorMs);
    co_return;
  }
  LogInfo("purge", {{"conn", id_},
                    {"vault", Short(vault)},
                    {"changes", static_cast<std::uint64_t>(ids.size())},
                    {"slots", static_cast<std::uint64_t>(redactions.size())}});
  SendDone(id);
}

}  // namespace parley::relay
