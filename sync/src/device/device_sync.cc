// Device: pinned relays, sync once and watch, and where this device's changes stand.
#include <algorithm>
#include <map>

#include "device_impl.h"
#include "parley/core/replica_sync.h"
#include "parley/wire.pb.h"

namespace parley {

bool SyncResult::any_ok() const {
  return std::any_of(relays.begin(), relays.end(),
                     [](const RelaySyncResult& r) { return r.status.ok(); });
}

std::string_view RefusalCodeName(RefusalCode code) {
  switch (code) {
    case RefusalCode::kUnknown:
      return "unknown";
    case RefusalCode::kBadSignature:
      return "bad_signature";
    case RefusalCode::kBrokenChain:
      return "broken_chain";
    case RefusalCode::kNotMember:
      return "not_member";
    case RefusalCode::kMalformed:
      return "malformed";
    case RefusalCode::kWrongVault:
      return "wrong_vault";
    case RefusalCode::kPurged:
      return "purged";
    case RefusalCode::kTooLarge:
      return "too_large";
    case RefusalCode::kRevoked:
      return "revoked";
    case RefusalCode::kOverQuota:
      return "over_quota";
  }
  return "unknown";
}

namespace {

RefusalCode ToRefusalCode(std::int32_t wire) {
  switch (wire) {
    case pb::REFUSAL_BAD_SIGNATURE:
      return RefusalCode::kBadSignature;
    case pb::REFUSAL_BROKEN_CHAIN:
      return RefusalCode::kBrokenChain;
    case pb::REFUSAL_NOT_MEMBER:
      return RefusalCode::kNotMember;
    case pb::REFUSAL_MALFORMED:
      return RefusalCode::kMalformed;
    case pb::REFUSAL_WRONG_VAULT:
      return RefusalCode::kWrongVault;
    case pb::REFUSAL_PURGED:
      return RefusalCode::kPurged;
    case pb::REFUSAL_TOO_LARGE:
      return RefusalCode::kTooLarge;
    case pb::REFUSAL_REVOKED:
      return RefusalCode::kRevoked;
    case pb::REFUSAL_QUOTA_EXCEEDED:
      return RefusalCode::kOverQuota;
    default:
      return RefusalCode::kUnknown;
  }
}

}  // namespace

RelayInfo Device::Impl::ToInfo(const sync::RelayRecord& r) {
  RelayInfo out;
  out.id = r.id;
  out.label = r.label();
  out.address = r.address;
  out.public_key = crypto::ToHex(r.public_key);
  out.pairing_code = r.pairing_code;
  out.cursor = r.cursor;
  out.head_seq = r.head_seq;
  out.registered = r.registered;
  out.members_version = r.members_version;
  out.last_sync_ms = r.last_sync_ms;
  return out;
}

Status Device::Impl::OpenSync() {
  PARLEY_RETURN_IF_ERROR(RequireUnlocked());
  if (client != nullptr) return Status::Ok();
  PARLEY_ASSIGN_OR_RETURN(state, sync::SyncState::Open(store->db()));
  // A relay whose history went backwards may have lost the recovery invite too.
  state->AddRollbackHook(
      [this](crypto::ByteView relay_key) { return ForgetRecoveryInviteAt(relay_key); });
  poller = sync::NewSystemPoller(env.clock());
  client = std::make_unique<sync::SyncClient>(*store, *replica, *state, *poller, env.transport(),
                                              options.sync, &waker);
  return Status::Ok();
}

sync::Canceller& Device::Impl::FreshCanceller() {
  sync::Canceller* current = cancel.load();
  if (current == nullptr || current->cancelled()) {
    cancellers.push_back(std::make_unique<sync::Canceller>());
    current = cancellers.back().get();
    cancel.store(current);
  }
  return *current;
}

Result<std::vector<Gap>> Device::Impl::Gaps() {
  PARLEY_ASSIGN_OR_RETURN(auto gaps, log::ListGaps(*replica));
  std::vector<Gap> out;
  out.reserve(gaps.size());
  for (const auto& g : gaps)
    out.push_back(Gap{crypto::ToHex(crypto::AsBytes(g.author)), g.name, g.first, g.last});
  return out;
}

Result<RelaySyncResult> Device::Impl::ToResult(const sync::SyncReport& r) {
  RelaySyncResult out;
  out.relay = r.relay;
  out.pushed = r.pushed;
  out.refused = r.refused;
  out.pulled = r.pulled;
  out.duplicates = r.duplicates;
  out.pending = r.pending;
  out.conflicts = r.conflicts;
  out.cursor = r.cursor;
  out.head_seq = r.head_seq;
  for (const auto& x : r.refusals)
    out.refusals.push_back(Refusal{x.id, ToRefusalCode(x.refusal), x.limit, x.reason});
  for (const auto& f : r.relay_faults) {
    out.relay_faults.push_back(
        RelaySyncResult::RelayFault{std::string(sync::RelayFaultName(f.fault)), f.detail});
  }
  out.resent = r.resent;
  out.quarantined = r.quarantined;
  out.set_aside = r.set_aside;
  out.reissued = r.reissued;
  out.slots_redacted = r.slots_redacted;
  if (!r.gaps.empty()) {
    PARLEY_ASSIGN_OR_RETURN(out.gaps, Gaps());
  }
  return out;
}

Result<std::vector<sync::RelayRecord>> Device::Impl::PinnedRelays() {
  PARLEY_RETURN_IF_ERROR(OpenSync());
  PARLEY_ASSIGN_OR_RETURN(auto relays, state->Relays());
  if (relays.empty()) {
    return DeviceError(Code::kNotFound,
                       "no relay pinned: add one with `parley relay add PAIRING_CODE`");
  }
  return relays;
}

void Device::Impl::NoteExchange(const sync::SyncReport& report) {
  if (report.pulled > 0) {
    DeviceEvent e;
    e.kind = DeviceEvent::Kind::kChangesArrived;
    e.relay = report.relay;
    e.count = report.pulled;
    Emit(e);
  }
  NoteConflicts(report.conflicts);
}

Result<RelayInfo> Device::AddRelay(std::string_view pairing_code) {
  PARLEY_RETURN_IF_ERROR(impl_->OpenSync());
  PARLEY_ASSIGN_OR_RETURN(sync::RelayRecord r, impl_->state->AddRelay(pairing_code));
  return Impl::ToInfo(r);
}

Result<std::vector<RelayInfo>> Device::Relays() {
  PARLEY_RETURN_IF_ERROR(impl_->OpenSync());
  PARLEY_ASSIGN_OR_RETURN(auto relays, impl_->state->Relays());
  std::vector<RelayInfo> out;
  out.reserve(relays.size());
  for (const auto& r : relays) out.push_back(Impl::ToInfo(r));
  return out;
}

Result<RelayInfo> Device::RemoveRelay(std::string_view which) {
  PARLEY_RETURN_IF_ERROR(impl_->OpenSync());
  PARLEY_ASSIGN_OR_RETURN(auto relays, impl_->state->Relays());
  std::string lower(which);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<const sync::RelayRecord*> hits;
  for (const auto& r : relays) {
    const std::string key = crypto::ToHex(r.public_key);
    const bool match = which == r.address || which == r.label() || which == r.pairing_code ||
                       (lower.size() >= 4 && key.compare(0, lower.size(), lower) == 0);
    if (match) hits.push_back(&r);
  }
  if (hits.empty())
    return DeviceError(Code::kNotFound, "no pinned relay matches '" + std::string(which) + "'");
  if (hits.size() > 1) {
    std::string names;
    for (const auto* r : hits)
      names += (names.empty() ? "" : ", ") + r->address + " (key " +
               crypto::ToHex(r->public_key).substr(0, 16) + ")";
    return DeviceError(Code::kInvalidArgument,
                       "'" + std::string(which) + "' matches several relays: " + names);
  }
  RelayInfo removed = Impl::ToInfo(*hits.front());
  PARLEY_RETURN_IF_ERROR(impl_->state->RemoveRelay(removed.id));
  return removed;
}

namespace {

// Adds a later exchange with the same relay to its earlier result: counts add up, positions
// and the newest gaps are the later ones'. A failed later exchange keeps the earlier result
// when that one succeeded (what it moved stands) and records nothing else.
void MergeLater(RelaySyncResult& earlier, RelaySyncResult later) {
  if (!later.status.ok()) {
    if (!earlier.status.ok()) earlier.status = later.status;
    return;
  }
  if (!earlier.status.ok()) {
    earlier = std::move(later);
    return;
  }
  earlier.pushed += later.pushed;
  earlier.refused += later.refused;
  earlier.pulled += later.pulled;
  earlier.duplicates += later.duplicates;
  earlier.pending = later.pending;
  earlier.conflicts = later.conflicts;
  earlier.cursor = later.cursor;
  earlier.head_seq = later.head_seq;
  for (auto& r : later.refusals) earlier.refusals.push_back(std::move(r));
  earlier.gaps = std::move(later.gaps);
  for (auto& f : later.relay_faults) earlier.relay_faults.push_back(std::move(f));
  earlier.resent += later.resent;
  earlier.quarantined += later.quarantined;
  earlier.set_aside += later.set_aside;
  earlier.reissued += later.reissued;
  earlier.slots_redacted += later.slots_redacted;
}

}  // namespace

Result<SyncResult> Device::Sync() {
  Impl& d = *impl_;
  PARLEY_ASSIGN_OR_RETURN(auto relays, d.PinnedRelays());
  sync::Canceller& cancel = d.FreshCanceller();
  bool pulled = false;
  // One exchange with one relay: its failure is its result's status. A revocation of this
  // device among what arrived ends the call (and the device).
  auto exchange = [&](const sync::RelayRecord& r) -> Result<RelaySyncResult> {
    auto report = d.client->SyncOnce(r.id, &cancel);
    if (!report.ok()) {
      if (report.status().code() == Code::kCancelled) return report.status();
      PARLEY_RETURN_IF_ERROR(d.CheckRevoked());
      RelaySyncResult failed;
      failed.relay = r.label();
      failed.status = report.status();
      PARLEY_RETURN_IF_ERROR(d.CheckRelayNotice(&failed.status));
      return failed;
    }
    pulled |= report->pulled > 0;
    d.NoteExchange(*report);
    PARLEY_RETURN_IF_ERROR(d.CheckRevoked());
    return d.ToResult(*report);
  };
  SyncResult out;
  // With several relays, a second round carries what one relay served to the others.
  for (int round = 0; round < (relays.size() > 1 ? 2 : 1); ++round) {
    if (round == 1 && !pulled) break;
    out.relays.clear();
    for (const auto& r : relays) {
      PARLEY_ASSIGN_OR_RETURN(RelaySyncResult one, exchange(r));
      out.relays.push_back(std::move(one));
    }
  }
  // An admin whose vault's current epoch key reached a revoked device (concurrent
  // revocations) starts a healed epoch; one more exchange takes it to every relay.
  PARLEY_ASSIGN_OR_RETURN(bool healed, d.replica->HealEpoch());
  if (healed) {
    for (std::size_t i = 0; i < relays.size(); ++i) {
      PARLEY_ASSIGN_OR_RETURN(RelaySyncResult one, exchange(relays[i]));
      MergeLater(out.relays[i], std::move(one));
    }
  }
  // The recovery invite this device issued, to each relay that took this exchange and does
  // not hold it yet (docs/recovery.md). A failure is tried again at the next sync.
  std::vector<sync::RelayRecord> reached;
  for (std::size_t i = 0; i < relays.size() && i < out.relays.size(); ++i) {
    if (out.relays[i].status.ok()) reached.push_back(relays[i]);
  }
  PARLEY_RETURN_IF_ERROR(d.PublishRecoveryInvite(reached, cancel).status());
  return out;
}

namespace {

// "5 minutes", "90 s", "250 ms": how long a lock timeout was, for its message.
std::string IdleText(std::int64_t ms) {
  if (ms % 60'000 == 0)
    return std::to_string(ms / 60'000) + (ms == 60'000 ? " minute" : " minutes");
  if (ms % 1'000 == 0) return std::to_string(ms / 1'000) + " s";
  return std::to_string(ms) + " ms";
}

}  // namespace

Status Device::Watch() { return Watch(WatchOptions{}); }

Status Device::Watch(const WatchOptions& options) {
  Impl& d = *impl_;
  PARLEY_ASSIGN_OR_RETURN(auto relays, d.PinnedRelays());
  sync::Canceller& cancel = d.FreshCanceller();
  Status failure = Status::Ok();
  bool revoked = false;
  sync::WatchObserver obs;
  obs.connected = [&](const std::string& relay) {
    DeviceEvent e;
    e.kind = DeviceEvent::Kind::kConnected;
    e.relay = relay;
    d.Emit(e);
  };
  obs.disconnected = [&](const std::string& relay, const Status& why, std::int64_t retry_ms) {
    DeviceEvent e;
    e.kind = DeviceEvent::Kind::kDisconnected;
    e.relay = relay;
    e.status = why;
    e.retry_ms = retry_ms;
    d.Emit(e);
  };
  // The lock timeout: local activity (own changes pushed, Wake()) restarts the idle clock.
  bool active = false;
  bool idled = false;
  std::int64_t idle_since = -1;
  d.woken.store(false);
  if (options.lock_after_idle_ms > 0) {
    obs.check = [&](std::int64_t now, std::int64_t* recheck_at) -> Status {
      if (idle_since < 0 || active || d.woken.exchange(false)) idle_since = now;
      active = false;
      if (now - idle_since >= options.lock_after_idle_ms) {
        idled = true;
        return DeviceError(Code::kLocked, "idle");
      }
      *recheck_at = idle_since + options.lock_after_idle_ms;
      return Status::Ok();
    };
  }
  obs.synced = [&](const sync::SyncReport& report) {
    if (report.pushed > 0) active = true;
    if (d.replica->Revoked()) {
      // The wipe waits until the client lets go of the store.
      revoked = true;
      cancel.Cancel();
      return;
    }
    auto result = d.ToResult(report);
    if (!result.ok()) {
      if (failure.ok()) failure = result.status();
      cancel.Cancel();
      return;
    }
    d.NoteExchange(report);
    DeviceEvent e;
    e.kind = DeviceEvent::Kind::kSynced;
    e.relay = report.relay;
    e.result = &*result;
    d.Emit(e);
    // As after Sync(): an admin heals the epoch, and the watch pushes it at once.
    auto healed = d.replica->HealEpoch();
    if (!healed.ok()) {
      if (failure.ok()) failure = healed.status();
      cancel.Cancel();
    } else if (*healed) {
      d.waker.Wake();
    }
  };
  // The recovery invite, to the relays that do not hold it yet and that this device has
  // synced with before (docs/recovery.md): a relay never reached is not waited for here.
  // One that cannot be reached now is tried again at the next Sync or Watch.
  std::vector<sync::RelayRecord> known;
  for (const auto& r : relays) {
    if (r.last_sync_ms != 0) known.push_back(r);
  }
  if (auto published = d.PublishRecoveryInvite(known, cancel); !published.ok()) {
    if (published.status().code() == Code::kCancelled) return Status::Ok();
  }
  std::vector<std::int64_t> ids;
  ids.reserve(relays.size());
  for (const auto& r : relays) ids.push_back(r.id);
  Status st = d.client->Watch(ids, cancel, obs);
  if (revoked || d.replica->Revoked()) return d.CheckRevoked();
  if (idled) {
    (void)d.LockStore();  // zeroes every key; a failed checkpoint loses nothing
    return DeviceError(Code::kLocked, "locked after " + IdleText(options.lock_after_idle_ms) +
                                          " idle: unlock again to go on");
  }
  Status unproven = st;
  PARLEY_RETURN_IF_ERROR(d.CheckRelayNotice(&unproven));
  if (d.client->last_revocation().has_value()) return unproven;
  return failure.ok() ? st : failure;
}

void Device::CancelSync() {
  if (sync::Canceller* c = impl_->cancel.load()) c->Cancel();
}

void Device::Wake() {
  impl_->woken.store(true);
  impl_->waker.Wake();
}

Result<DeviceStatus> Device::SyncStatus() {
  Impl& d = *impl_;
  PARLEY_RETURN_IF_ERROR(d.OpenSync());
  DeviceStatus out;
  PARLEY_ASSIGN_OR_RETURN(out.vault, Vault());
  PARLEY_ASSIGN_OR_RETURN(auto relays, d.state->Relays());
  PARLEY_ASSIGN_OR_RETURN(auto waiting, d.state->WaitingPerRelay());
  std::map<std::int64_t, std::string> labels;
  for (const auto& r : relays) {
    RelayStanding s;
    s.relay = Impl::ToInfo(r);
    for (const auto& [id, n] : waiting) {
      if (id == r.id) s.waiting = n;
    }
    labels[r.id] = s.relay.label;
    out.relays.push_back(std::move(s));
  }
  const auto& me = d.store->device().identity.public_key;
  PARLEY_ASSIGN_OR_RETURN(auto own, d.state->OwnChanges(crypto::ByteView(me.data(), me.size())));
  for (const auto& c : own) {
    OwnChange o;
    o.seq = c.seq;
    o.id = c.id;
    for (const auto& [relay, seq] : c.acks) o.acks.emplace_back(labels[relay], seq);
    if (!o.acks.empty()) ++out.own_acknowledged;
    out.own.push_back(std::move(o));
  }
  out.own_changes = out.own.size();
  PARLEY_ASSIGN_OR_RETURN(out.gaps, d.Gaps());
  PARLEY_ASSIGN_OR_RETURN(auto heads, log::ListDeviceHeads(*d.replica));
  for (const auto& h : heads) {
    out.devices.push_back(DeviceStatus::DeviceStanding{crypto::ToHex(crypto::AsBytes(h.identity)),
                                                       h.name, h.self, h.known, h.contig});
  }
  PARLEY_ASSIGN_OR_RETURN(log::LogHealth health, log::GetLogHealth(*d.replica));
  out.quarantined = health.quarantined;
  out.set_aside_waiting = health.set_aside_waiting;
  out.reissued_total = health.reissued_total;
  return out;
}

}  // namespace parley
