// init, device id, vault invite, join: creating a store and enrolling devices offline.
#include <unistd.h>

#include <cstdlib>

#include "app.h"
#include "parley/core/enrolment.h"
#include "passphrase.h"
#include "qr.h"
#include "sync_output.h"

namespace parley::cli {
namespace {

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "device";
  return buf;
}

Status Init(App& app, const Invocation& inv) {
  if (Device::Exists(app.env(), app.data_dir())) {
    return Error(Domain::kApp, Code::kAlreadyExists,
                 "a Parley store already exists in " + app.data_dir());
  }
  if (inv.Has("no-vault") && inv.Has("vault"))
    return UsageError("--vault and --no-vault exclude each other");
  CreateOptions create;
  PARLEY_ASSIGN_OR_RETURN(create.argon2, KdfCost(app));
  create.device_name = inv.Get("name", HostName());
  create.vault_name = inv.Has("no-vault") ? "" : inv.Get("vault", "team");
  if (inv.Has("wipe-after")) {
    PARLEY_ASSIGN_OR_RETURN(create.wipe_after, ParseWipeAfter(inv.Get("wipe-after")));
  }
  PARLEY_ASSIGN_OR_RETURN(auto passphrase, ReadPassphrase(/*confirm=*/true));
  if (inv.Has("qr") && inv.Has("no-qr"))
    return UsageError("--qr and --no-qr contradict each other");
  PARLEY_RETURN_IF_ERROR(app.device().Create(create, View(passphrase)));
  PARLEY_ASSIGN_OR_RETURN(std::string code, app.device().PairingCode());
  const std::string& vault = create.vault_name;
  // Shown once, never stored (docs/recovery.md).
  std::string recovery_key;
  if (!vault.empty()) {
    PARLEY_ASSIGN_OR_RETURN(recovery_key, app.device().TakeRecoveryKey());
  }
  if (app.json()) {
    app.PrintJson({{"data_dir", app.data_dir()},
                   {"keystore_dir", app.keystore_dir()},
                   {"device", create.device_name},
                   {"vault", vault.empty() ? Json() : Json(vault)},
                   {"pairing_code", code},
                   {"wipe_after", create.wipe_after},
                   {"recovery_key", recovery_key.empty() ? Json() : Json(recovery_key)}});
  } else {
    app.Print("Created an encrypted Parley store in " + app.data_dir() + "\n");
    app.Print("  device:    " + create.device_name + "\n");
    app.Print("  key store: " + app.keystore_dir() +
              " (keep it off the data directory's medium)\n");
    if (vault.empty()) {
      app.Print(
          "  no vault yet: show `parley device id` to an admin, then `parley join` (relay pinned) "
          "or "
          "`parley join INVITE_FILE`\n");
    } else {
      app.Print("  vault:     " + vault + " (this device is its admin)\n");
      PrintRecoveryKey(app, recovery_key, inv.Has("qr"), inv.Has("no-qr"));
    }
    if (create.wipe_after > 0) {
      app.Print("  wipes itself after " + std::to_string(create.wipe_after) + " failed unlocks\n");
    }
  }
  return Status::Ok();
}

// The pairing code as a QR code (upper-cased: pairing codes are case-insensitive and the
// alphanumeric mode is more compact), when stdout is a wide enough terminal or when forced.
void ShowQrCode(App& app, const std::string& code, bool force, bool suppress) {
  if (suppress) return;
  std::string upper = code;
  for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  auto symbol = qr::Encode(upper, qr::Ecc::kMedium);
  if (!symbol.ok()) return;  // too long to show as a QR code: the text above is enough
  if (!force && qr::TerminalColumns(STDOUT_FILENO) < qr::RenderedWidth(*symbol)) return;
  app.Print(qr::RenderHalfBlocks(*symbol));
}

Status DeviceId(App& app, const Invocation& inv) {
  if (inv.Has("qr") && inv.Has("no-qr"))
    return UsageError("--qr and --no-qr contradict each other");
  PARLEY_ASSIGN_OR_RETURN(std::string code, app.device().PairingCode());
  if (app.json()) {
    PARLEY_ASSIGN_OR_RETURN(std::string name, app.device().DeviceName());
    app.PrintJson({{"device", name}, {"pairing_code", code}});
  } else {
    app.Print(code + "\n");
    ShowQrCode(app, code, inv.Has("qr"), inv.Has("no-qr"));
  }
  return Status::Ok();
}

Status VaultInvite(App& app, const Invocation& inv) {
  const std::string out = inv.Get("out");
  PARLEY_ASSIGN_OR_RETURN(auto relays, app.device().Relays());
  if (out.empty() && relays.empty())
    return UsageError("--out FILE is required when no relay is pinned");
  PARLEY_ASSIGN_OR_RETURN(InviteResult invite, app.device().Invite(inv.args[0]));
  if (!out.empty()) PARLEY_RETURN_IF_ERROR(app.env().WriteFileAtomic(out, invite.invite));
  const auto bytes = static_cast<std::uint64_t>(invite.invite.size());
  if (app.json()) {
    app.PrintJson({{"invite", out.empty() ? Json() : Json(out)},
                   {"bytes", bytes},
                   {"safety_code", invite.safety_code},
                   {"vault_id", invite.vault_id},
                   {"relays", PublishedJson(invite.relays)}});
    return Status::Ok();
  }
  app.Print("safety code: " + invite.safety_code + " (check that the new device shows the same)\n");
  if (!relays.empty()) {
    for (const auto& r : invite.relays) {
      app.Print("relay " + r.relay + ": " +
                (r.status.ok() ? std::string("members and sealed invite published")
                               : "not published: " + r.status.message()) +
                "\n");
    }
    app.Print("On the new device (with the same relay pinned), run: parley join\n");
    app.Print("  (if invites from several vaults wait for it: parley join --vault " +
              invite.vault_id + ")\n");
    return Status::Ok();
  }
  app.Print("Invite written to " + out + ". Carry it to the new device and run `parley join " +
            out + "` there, then exchange bundles.\n");
  return Status::Ok();
}

// "Joined vault X, invited by DEVICE; safety code 123-456" and what to compare.
std::string JoinedText(const JoinResult& joined) {
  return "Joined vault " + joined.vault.name + ", invited by " +
         (joined.inviter.empty() ? joined.inviter_id.substr(0, 16) : joined.inviter) +
         "; safety code " + joined.safety_code +
         "\n  (check that the inviting device showed the same safety code)\n";
}

// What `join` prints: the vault, the inviter and the safety code; with relays, one line (or
// JSON object) per relay synced afterwards.
void PrintJoined(App& app, const JoinResult& joined, bool through_relays) {
  if (app.json()) {
    app.PrintJson({{"vault", joined.vault.name},
                   {"vault_id", joined.vault.id},
                   {"inviter", joined.inviter},
                   {"safety_code", joined.safety_code},
                   {"relays", through_relays ? SyncResultsJson(joined.synced) : Json::array()}});
    return;
  }
  app.Print(JoinedText(joined));
  if (!through_relays) app.Print("Import a bundle from another device to receive its records.\n");
  for (const auto& r : joined.synced) app.Print(SyncResultText(r));
}

Status Join(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto current, app.device().Vault());
  if (current.has_value())
    return Error(Domain::kApp, Code::kAlreadyExists, "this device already belongs to a vault");
  if (!inv.args.empty() && inv.Has("vault"))
    return UsageError("give INVITE_FILE or --vault VAULT_ID, not both");
  if (inv.Has("vault") && inv.Get("vault").empty()) return UsageError("--vault needs a vault id");
  if (inv.args.empty()) {
    // Through the pinned relays: the invite waiting for this device (or the one in VAULT_ID).
    PARLEY_ASSIGN_OR_RETURN(JoinResult joined, app.device().JoinThroughRelays(inv.Get("vault")));
    PrintJoined(app, joined, /*through_relays=*/true);
    return Status::Ok();
  }
  PARLEY_ASSIGN_OR_RETURN(auto invite, log::ReadInviteFile(app.env(), inv.args[0]));
  PARLEY_ASSIGN_OR_RETURN(JoinResult joined, app.device().JoinWithInvite(invite));
  PrintJoined(app, joined, /*through_relays=*/false);
  return Status::Ok();
}

}  // namespace

void AddVaultCommands(std::vector<Command>& commands) {
  commands.push_back(
      {{"init"},
       "[--name DEVICE] [--vault NAME | --no-vault] [--wipe-after N] [--qr | --no-qr]",
       "create the encrypted store (and a new vault, this device its admin, and its recovery key)",
       {TextOption("name"),
        TextOption("vault"),
        {"no-vault", false},
        {"wipe-after", true},
        {"qr", false},
        {"no-qr", false}},
       0,
       0,
       &Init,
       /*needs_store=*/false});
  commands.push_back(
      {{"device", "id"},
       "[--qr | --no-qr]",
       "print this device's pairing code (and a QR code when the terminal is wide enough)",
       {{"qr", false}, {"no-qr", false}},
       0,
       0,
       &DeviceId});
  commands.push_back(
      {{"vault", "invite"},
       "PAIRING_CODE [--out FILE]",
       "on an admin device: enroll the device with this pairing code, write its invite "
       "and publish it to every pinned relay",
       {{"out", true}},
       1,
       1,
       &VaultInvite,
       /*needs_store=*/true,
       /*text_args=*/{0}});
  commands.push_back(
      {{"join"},
       "[INVITE_FILE | --vault VAULT_ID]",
       "on a new device: accept an invite (from a file, or waiting on a pinned relay)",
       {{"vault", true}},
       0,
       1,
       &Join});
}

}  // namespace parley::cli
