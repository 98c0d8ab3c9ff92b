// vault members, vault promote, vault demote, device revoke: who belongs to the vault and
// the admins' changes to it (docs/membership.md).
#include "app.h"
#include "sync_output.h"
#include "table.h"

namespace parley::cli {
namespace {

std::string Who(const std::string& name, const std::string& id) {
  if (!name.empty()) return name;
  return id.empty() ? std::string("an unknown device") : ShortId(id);
}

Json NullableString(const std::string& value) { return value.empty() ? Json() : Json(value); }

Json NullableTime(std::int64_t unix_ms) {
  return unix_ms == 0 ? Json() : Json(model::FormatTimestamp(unix_ms));
}

Json MemberJson(const MemberSummary& m) {
  return {{"name", m.name},
          {"id", m.id},
          {"role", m.admin ? "admin" : "member"},
          {"founder", m.founder},
          {"recovery", m.recovery},
          {"enrolled_by", NullableString(m.enrolled_by)},
          {"enrolled_by_name", NullableString(m.enrolled_by_name)},
          {"enrolled_at", NullableTime(m.enrolled_ms)},
          {"last_seq", m.last_seq},
          {"last_change_at", NullableTime(m.last_change_ms)},
          {"revoked", m.revoked},
          {"revoked_by", NullableString(m.revoked_by)},
          {"revoked_by_name", NullableString(m.revoked_by_name)},
          {"revoked_at", NullableTime(m.revoked_ms)},
          {"self", m.is_self}};
}

std::string When(std::int64_t unix_ms) {
  return unix_ms == 0 ? std::string("(time unknown)") : FormatMsTime(unix_ms);
}

std::string Enrolled(const MemberSummary& m) {
  if (m.founder)
    return "founded the vault" +
           (m.enrolled_ms == 0 ? std::string() : ", " + FormatMsTime(m.enrolled_ms));
  return "by " + Who(m.enrolled_by_name, m.enrolled_by) + ", " + When(m.enrolled_ms);
}

std::string LastChange(const MemberSummary& m) {
  if (m.last_seq == 0) return "none";
  return "#" + std::to_string(m.last_seq) +
         (m.last_change_ms == 0 ? std::string() : ", " + FormatMsTime(m.last_change_ms));
}

std::string Standing(const MemberSummary& m) {
  if (!m.revoked) return "active";
  return "revoked by " + Who(m.revoked_by_name, m.revoked_by) + " on " + When(m.revoked_ms);
}

Status Members(App& app, const Invocation&) {
  PARLEY_ASSIGN_OR_RETURN(auto vault, app.device().Vault());
  if (!vault.has_value()) {
    return Error(Domain::kApp, Code::kNotFound,
                 "this device belongs to no vault yet (see parley join)");
  }
  PARLEY_ASSIGN_OR_RETURN(auto members, app.device().Members());
  if (app.json()) {
    Json list = Json::array();
    for (const auto& m : members) list.push_back(MemberJson(m));
    app.PrintJson({{"vault", vault->name}, {"members", std::move(list)}});
    return Status::Ok();
  }
  Table table({"", "NAME", "ID", "ROLE", "ENROLLED", "LAST CHANGE", "STATUS"}, 60);
  // The recovery member is listed (as "recovery key") but is no device: it is not counted.
  std::size_t active = 0, admins = 0, revoked = 0;
  bool recovery = false;
  for (const auto& m : members) {
    if (m.recovery && !m.revoked) recovery = true;
    if (!m.recovery) {
      active += m.revoked ? 0 : 1;
      admins += m.admin ? 1 : 0;
      revoked += m.revoked ? 1 : 0;
    }
    const std::string role = m.revoked    ? "—"
                             : m.recovery ? "recovery key"
                             : m.admin    ? "admin"
                                          : "member";
    table.Row({m.is_self ? "*" : "", m.name, ShortId(m.id), role, Enrolled(m), LastChange(m),
               Standing(m)});
  }
  std::string out = "Vault " + vault->name + ": " + std::to_string(active) + " member(s), " +
                    std::to_string(admins) + " admin(s)";
  if (revoked > 0) out += ", " + std::to_string(revoked) + " revoked";
  out += recovery ? ", a recovery key" : ", no recovery key";
  out += "\n";
  if (!table.empty()) out += table.Render(0);
  out += "* this device\n";
  if (admins == 1) {
    out +=
        recovery
            ? "Only one admin device: if it is lost, `parley recover` with the recovery key makes "
              "a new one. "
              "A second one avoids that: `parley vault promote DEVICE`.\n"
            : "Only one admin: if its device is lost, nobody can revoke devices or enrol new ones. "
              "Make a second one with `parley vault promote DEVICE`.\n";
  }
  app.Print(out);
  return Status::Ok();
}

enum class Action { kPromote, kDemote, kRevoke };

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kPromote:
      return "promote";
    case Action::kDemote:
      return "demote";
    case Action::kRevoke:
      return "revoke";
  }
  return "";
}

Status Change(App& app, const Invocation& inv, Action action) {
  Device& device = app.device();
  Result<MembershipChange> done = action == Action::kPromote  ? device.Promote(inv.args[0])
                                  : action == Action::kDemote ? device.Demote(inv.args[0])
                                                              : device.Revoke(inv.args[0]);
  if (!done.ok()) return done.status();
  const MemberSummary& m = done->member;
  if (app.json()) {
    app.PrintJson({{"action", ActionName(action)},
                   {"device", MemberJson(m)},
                   {"relays", SyncResultsJson(done->synced)}});
    return Status::Ok();
  }
  const std::string who = m.name + " (" + ShortId(m.id) + ")";
  switch (action) {
    case Action::kPromote:
      app.Print("Promoted " + who +
                " to admin: it can now invite, promote, demote and revoke devices.\n");
      break;
    case Action::kDemote:
      app.Print("Demoted " + who + " to member.\n");
      break;
    case Action::kRevoke:
      app.Print("Revoked " + who +
                ": its later changes are refused, and what is written from now on is encrypted "
                "under a new vault key it never receives.\n"
                "When it next reaches a relay it destroys its keys and data.\n");
      break;
  }
  if (done->synced.empty()) {
    app.Print(
        "No relay pinned: the change reaches the other devices in the next bundle you export.\n");
  }
  for (const auto& r : done->synced) {
    if (r.status.ok()) {
      app.Print("relay " + r.relay + ": published (pushed " + std::to_string(r.pushed) +
                ", pulled " + std::to_string(r.pulled) + ")\n");
    } else {
      app.Print("relay " + r.relay + ": not published: " + r.status.message() +
                " (run `parley sync` later)\n");
    }
  }
  return Status::Ok();
}

Status Promote(App& app, const Invocation& inv) { return Change(app, inv, Action::kPromote); }
Status Demote(App& app, const Invocation& inv) { return Change(app, inv, Action::kDemote); }
Status Revoke(App& app, const Invocation& inv) { return Change(app, inv, Action::kRevoke); }

}  // namespace

void AddMemberCommands(std::vector<Command>& commands) {
  commands.push_back(
      {{"vault", "members"},
       "",
       "every device ever enrolled: role, who enrolled it and when, its last change, "
       "revoked or active (* marks this device)",
       {},
       0,
       0,
       &Members});
  commands.push_back(
      {{"vault", "promote"},
       "DEVICE",
       "on an admin device: make the device (name or id prefix) an admin, and publish it",
       {},
       1,
       1,
       &Promote,
       /*needs_store=*/true,
       /*text_args=*/{0}});
  commands.push_back(
      {{"vault", "demote"},
       "DEVICE",
       "on an admin device: make an admin (name or id prefix) a plain member; the last admin "
       "cannot be demoted",
       {},
       1,
       1,
       &Demote,
       /*needs_store=*/true,
       /*text_args=*/{0}});
  commands.push_back(
      {{"device", "revoke"},
       "DEVICE",
       "on an admin device: revoke a lost or retired device (name or id prefix): its keys no "
       "longer open new data and it wipes itself when it next syncs",
       {},
       1,
       1,
       &Revoke,
       /*needs_store=*/true,
       /*text_args=*/{0}});
}

}  // namespace parley::cli
