// recover, vault recovery-key: the vault's recovery key (docs/recovery.md).
#include <unistd.h>

#include <cstdlib>

#include "app.h"
#include "passphrase.h"
#include "qr.h"
#include "sync_output.h"
#include "table.h"

namespace parley::cli {

inline constexpr const char* kRecoveryKeyEnv = "PARLEY_RECOVERY_KEY";

void PrintRecoveryKey(App& app, const std::string& key, bool force_qr, bool no_qr) {
  if (key.empty()) return;
  app.Print(
      "\nRecovery key (shown once; it is not stored on this device):\n\n    " + key +
      "\n\n"
      "Write it down now and keep it apart from this device (not on the phone, not in its\n"
      "backup). With it and a relay of the vault, `parley recover` restores the vault and its\n"
      "whole history on a new device when every admin device is lost. Whoever holds it can do\n"
      "the same: `parley vault recovery-key --rotate` replaces it.\n");
  if (no_qr) return;
  auto symbol = qr::Encode(key, qr::Ecc::kMedium);
  if (!symbol.ok()) return;
  if (!force_qr && qr::TerminalColumns(STDOUT_FILENO) < qr::RenderedWidth(*symbol)) return;
  app.Print(qr::RenderHalfBlocks(*symbol));
}

namespace {

Status Recover(App& app, const Invocation& inv) {
  crypto::SecretBytes typed;
  std::string_view key;
  if (!inv.args.empty()) {
    key = inv.args[0];
  } else if (const char* env = std::getenv(kRecoveryKeyEnv); env != nullptr && *env != '\0') {
    key = env;
  } else {
    PARLEY_ASSIGN_OR_RETURN(typed, ReadSecretOnTerminal("Recovery key: "));
    key = View(typed);
  }
  PARLEY_ASSIGN_OR_RETURN(RecoveryResult done, app.device().Recover(key));
  if (app.json()) {
    app.PrintJson({{"vault", done.vault.name},
                   {"vault_id", done.vault.id},
                   {"recovery_member", done.recovery_member},
                   {"safety_code", done.safety_code},
                   {"changes", done.changes},
                   {"records", done.records},
                   {"conflicts", done.conflicts},
                   {"members", done.members},
                   {"role", "admin"},
                   {"relays", SyncResultsJson(done.synced)}});
    return Status::Ok();
  }
  std::string out =
      "Recovered vault " + done.vault.name + " (" + done.vault.id.substr(0, 16) + ")\n";
  out += "  this device is now an admin, enrolled by the recovery key (" +
         ShortId(done.recovery_member) + ")\n";
  out += "  restored " + std::to_string(done.changes) +
         " change(s): " + std::to_string(done.records) + " record(s), " +
         std::to_string(done.conflicts) + " conflicted field(s) kept as they were, " +
         std::to_string(done.members) + " current member(s)\n";
  app.Print(out);
  for (const auto& r : done.synced) app.Print(SyncResultText(r));
  app.Print(
      "Next: revoke the lost device (`parley device revoke NAME`, see `parley vault members`), and "
      "consider a new recovery key (`parley vault recovery-key --rotate`).\n");
  return Status::Ok();
}

Status RecoveryKeyCommand(App& app, const Invocation& inv) {
  if (!inv.Has("rotate")) {
    return UsageError(
        "the recovery key is shown only when it is issued; give --rotate to issue a new one (the "
        "old one stops "
        "working)");
  }
  if (inv.Has("qr") && inv.Has("no-qr"))
    return UsageError("--qr and --no-qr contradict each other");
  PARLEY_ASSIGN_OR_RETURN(RecoveryKeyRotation done, app.device().RotateRecoveryKey());
  if (app.json()) {
    app.PrintJson({{"recovery_key", done.recovery_key},
                   {"revoked", done.revoked.empty() ? Json() : Json(done.revoked)},
                   {"relays", PublishedJson(done.published)}});
    return Status::Ok();
  }
  app.Print(done.revoked.empty()
                ? std::string("Issued a recovery key for the vault.\n")
                : "Issued a new recovery key; the old one (" + ShortId(done.revoked) +
                      ") is revoked and opens nothing written from now on.\n");
  for (const auto& r : done.published) {
    app.Print("relay " + r.relay + ": " +
              (r.status.ok() ? std::string("recovery invite published")
                             : "not published: " + r.status.message()) +
              "\n");
  }
  if (done.published.empty()) {
    app.Print(
        "No relay is pinned: the new key works once a relay holds the vault (`parley relay add`, "
        "`parley sync`).\n");
  }
  PrintRecoveryKey(app, done.recovery_key, inv.Has("qr"), inv.Has("no-qr"));
  return Status::Ok();
}

}  // namespace

void AddRecoveryCommands(std::vector<Command>& commands) {
  commands.push_back(
      {{"recover"},
       "[RECOVERY_KEY]",
       "on a new device (no vault, the vault's relay pinned): restore the vault and its history "
       "with its recovery key (or PARLEY_RECOVERY_KEY, or typed); this device becomes an admin",
       {},
       0,
       1,
       &Recover});
  commands.push_back({{"vault", "recovery-key"},
                      "--rotate [--qr | --no-qr]",
                      "on an admin device: issue a new recovery key; the old one stops working",
                      {{"rotate", false}, {"qr", false}, {"no-qr", false}},
                      0,
                      0,
                      &RecoveryKeyCommand});
}

}  // namespace parley::cli
