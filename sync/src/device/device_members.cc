// Device: the vault's members, roles and revocation, and the lost-device wipe.
#include <algorithm>
#include <cctype>
#include <map>

#include "device_impl.h"
#include "parley/core/model.h"
#include "parley/core/replica_sync.h"
#include "parley/sync/revocation.h"

namespace parley {
namespace {

std::string Hex(const std::string& raw) {
  return raw.empty() ? std::string() : crypto::ToHex(crypto::AsBytes(raw));
}

std::int64_t Ms(std::uint64_t hlc) { return hlc == 0 ? 0 : model::HlcUnixMs(hlc); }

// Every member ever enrolled, as summaries (names of enrolling and revoking admins filled
// in), ordered by name then id.
Result<std::vector<MemberSummary>> Summaries(log::Replica& replica, const std::string& self_raw) {
  PARLEY_ASSIGN_OR_RETURN(auto members, log::ListMembers(replica, /*include_revoked=*/true));
  std::map<std::string, std::string> names;
  for (const auto& m : members) names[m.identity] = m.name;
  auto name_of = [&](const std::string& raw) {
    auto it = names.find(raw);
    return it == names.end() ? std::string() : it->second;
  };
  std::vector<MemberSummary> out;
  for (const auto& m : members) {
    MemberSummary s;
    s.name = m.name;
    s.id = Hex(m.identity);
    s.admin = m.admin && !m.revoked;
    s.founder = m.founder;
    s.enrolled_by = Hex(m.enrolled_by);
    s.enrolled_by_name = name_of(m.enrolled_by);
    s.enrolled_ms = Ms(m.enrolled_hlc);
    s.last_seq = m.last_seq;
    s.last_change_ms = Ms(m.last_change_hlc);
    s.revoked = m.revoked;
    s.revoked_by = Hex(m.revoked_by);
    s.revoked_by_name = name_of(m.revoked_by);
    s.revoked_ms = Ms(m.revoked_hlc);
    s.revoked_after_seq = m.revoked_after_seq;
    s.can_receive_keys = m.has_seal_key;
    s.is_self = m.identity == self_raw;
    s.recovery = m.recovery;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const MemberSummary& a, const MemberSummary& b) {
    return a.name != b.name ? a.name < b.name : a.id < b.id;
  });
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

// "name (id 1a2b3c4d)" for messages.
std::string Named(const MemberSummary& m) { return m.name + " (id " + m.id.substr(0, 8) + ")"; }

enum class Action { kPromote, kDemote, kRevoke };

}  // namespace

Status Device::Impl::WipeRevoked(const Revocation& why) {
  revoked = why;
  (void)LockStore();  // the keys go first; a failed checkpoint does not matter to a wipe
  Status wiped = store::Store::Wipe(env, key_store, options.data_dir);
  DeviceEvent e;
  e.kind = DeviceEvent::Kind::kRevokedAndWiped;
  e.revocation = why;
  if (!wiped.ok()) e.status = wiped;
  Emit(e);
  const std::string by = why.by_name.empty()
                             ? (why.by.empty() ? std::string("an admin") : why.by.substr(0, 16))
                             : why.by_name;
  std::string message = "this device was revoked from the vault by " + by;
  message += wiped.ok() ? "; its keys and data have been destroyed"
                        : "; its keys are locked but destroying its files failed (" +
                              wiped.message() + "): run `parley wipe`";
  return DeviceError(Code::kPermissionDenied, message);
}

Status Device::Impl::CheckRevoked() {
  if (replica == nullptr || !replica->Revoked()) return Status::Ok();
  Revocation why;
  const auto& me = store->device().identity.public_key;
  const std::string self(reinterpret_cast<const char*>(me.data()), me.size());
  auto members = Summaries(*replica, self);
  if (members.ok()) {
    for (const auto& m : *members) {
      if (!m.is_self) continue;
      why.by = m.revoked_by;
      why.by_name = m.revoked_by_name;
      why.at_ms = m.revoked_ms;
    }
  }
  return WipeRevoked(why);
}

Status Device::Impl::CheckRelayNotice(Status* unproven) {
  if (client == nullptr || replica == nullptr || !client->last_revocation().has_value())
    return Status::Ok();
  auto check = sync::CheckRevocationNotice(*replica, *store, *client->last_revocation());
  if (!check.ok() || !check->proven) {
    // A relay's word alone wipes nothing.
    if (unproven != nullptr) {
      *unproven = DeviceError(
          Code::kPermissionDenied,
          "the relay refuses this device as revoked from the vault, with a member list this "
          "device cannot verify (" +
              (check.ok() ? check->reason : check.status().message()) +
              "); nothing was wiped. If the list is genuine, this device missed changes: "
              "import a bundle from a team member");
    }
    return Status::Ok();
  }
  Revocation why;
  why.by = crypto::ToHex(crypto::AsBytes(check->revoked_by));
  const auto& me = store->device().identity.public_key;
  auto members =
      Summaries(*replica, std::string(reinterpret_cast<const char*>(me.data()), me.size()));
  if (members.ok()) {
    for (const auto& m : *members) {
      if (m.id == why.by) why.by_name = m.name;
    }
  }
  return WipeRevoked(why);
}

const std::optional<Revocation>& Device::revoked_and_wiped() const { return impl_->revoked; }

Result<std::vector<MemberSummary>> Device::Members() {
  Impl& d = *impl_;
  PARLEY_RETURN_IF_ERROR(d.RequireUnlocked());
  if (!d.store->vault().has_value()) return std::vector<MemberSummary>();
  const auto& me = d.store->device().identity.public_key;
  return Summaries(*d.replica, std::string(reinterpret_cast<const char*>(me.data()), me.size()));
}

Result<MemberSummary> Device::ResolveMember(std::string_view device) {
  PARLEY_ASSIGN_OR_RETURN(auto members, Members());
  if (device.empty())
    return DeviceError(Code::kInvalidArgument, "name a device by its name or id prefix");
  std::vector<const MemberSummary*> hits;
  for (const auto& m : members) {
    if (m.name == device) hits.push_back(&m);
  }
  const std::string lower = Lower(device);
  if (hits.empty() && IsHex(lower)) {
    if (lower.size() < 4) {
      return DeviceError(
          Code::kInvalidArgument,
          "id prefix '" + lower + "' too short: give at least 4 characters, or the device's name");
    }
    for (const auto& m : members) {
      if (m.id.compare(0, lower.size(), lower) == 0) hits.push_back(&m);
    }
  }
  if (hits.empty()) {
    return DeviceError(Code::kNotFound,
                       "no device of the vault is named '" + std::string(device) +
                           "' or has an id starting with it (see `parley vault members`)");
  }
  if (hits.size() > 1) {
    // A revoked device and its replacement may share a name: the current member is meant.
    std::vector<const MemberSummary*> current;
    for (const auto* m : hits) {
      if (!m->revoked) current.push_back(m);
    }
    if (current.size() == 1) return *current.front();
    std::string names;
    for (const auto* m : hits)
      names += (names.empty() ? "" : ", ") + Named(*m) + (m->revoked ? " revoked" : "");
    return DeviceError(Code::kInvalidArgument, "'" + std::string(device) + "' is ambiguous: " +
                                                   names + "; give a longer id prefix");
  }
  return *hits.front();
}

namespace {

Result<MembershipChange> ChangeMember(Device& device, log::Replica& replica, std::string_view which,
                                      Action action) {
  PARLEY_ASSIGN_OR_RETURN(MemberSummary target, device.ResolveMember(which));
  if (action == Action::kRevoke && target.is_self) {
    return DeviceError(
        Code::kInvalidArgument,
        "this device cannot revoke itself; revoke it from another admin device, or wipe it "
        "with `parley wipe`");
  }
  if (target.revoked) {
    return DeviceError(Code::kNotFound,
                       Named(target) + " was revoked already; it is no longer a member");
  }
  PARLEY_ASSIGN_OR_RETURN(crypto::Bytes raw, crypto::FromHex(target.id));
  const std::string identity(reinterpret_cast<const char*>(raw.data()), raw.size());
  switch (action) {
    case Action::kPromote:
      PARLEY_RETURN_IF_ERROR(replica.SetRole(identity, true));
      break;
    case Action::kDemote:
      PARLEY_RETURN_IF_ERROR(replica.SetRole(identity, false));
      break;
    case Action::kRevoke:
      PARLEY_RETURN_IF_ERROR(replica.Revoke(identity));
      break;
  }
  MembershipChange out;
  // Publication: one exchange with every pinned relay. None pinned: the change travels by
  // bundle, nothing to report.
  PARLEY_ASSIGN_OR_RETURN(auto relays, device.Relays());
  if (!relays.empty()) {
    auto synced = device.Sync();
    if (!synced.ok()) {
      if (device.revoked_and_wiped().has_value()) return synced.status();
      return DeviceError(
          synced.status().code(),
          "the change is committed here but was not published: " + synced.status().message());
    }
    out.synced = std::move(synced->relays);
  }
  PARLEY_ASSIGN_OR_RETURN(auto members, device.Members());
  out.member = std::move(target);
  for (auto& m : members) {
    if (m.id == out.member.id) out.member = std::move(m);
  }
  return out;
}

}  // namespace

Result<MembershipChange> Device::Promote(std::string_view device) {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  return ChangeMember(*this, *impl_->replica, device, Action::kPromote);
}

Result<MembershipChange> Device::Demote(std::string_view device) {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  return ChangeMember(*this, *impl_->replica, device, Action::kDemote);
}

Result<MembershipChange> Device::Revoke(std::string_view device) {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  return ChangeMember(*this, *impl_->replica, device, Action::kRevoke);
}

Result<PurgeResult> Device::Purge(const log::RecordId& id) {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  PurgeResult out;
  out.record = id;
  PARLEY_ASSIGN_OR_RETURN(out.outcome, impl_->replica->Purge(id));
  PARLEY_ASSIGN_OR_RETURN(auto relays, Relays());
  if (!relays.empty()) {
    auto synced = Sync();
    if (!synced.ok()) {
      if (revoked_and_wiped().has_value()) return synced.status();
      return DeviceError(synced.status().code(),
                         "the record is purged here but the purge was not published: " +
                             synced.status().message());
    }
    out.synced = std::move(synced->relays);
  }
  return out;
}

}  // namespace parley
