// backup, backup verify, restore, check: encrypted backups of the vault (docs/backup-format.md)
// and the store's integrity check.
#include <cstdlib>

#include "app.h"
#include "passphrase.h"

namespace parley::cli {
namespace {

inline constexpr const char* kRecoveryKeyVar = "PARLEY_RECOVERY_KEY";
inline constexpr const char* kBackupPassphraseVar = "PARLEY_BACKUP_PASSPHRASE";

// The recovery key: --recovery-key, else PARLEY_RECOVERY_KEY, else typed (when `ask`).
// nullopt when none is given and `ask` is false.
Result<std::optional<recovery::RecoveryKey>> RecoveryKeyFrom(const Invocation& inv, bool ask) {
  crypto::SecretBytes typed;
  std::string_view text;
  const std::string given = inv.Get("recovery-key");
  if (!given.empty()) {
    text = given;
  } else if (const char* env = std::getenv(kRecoveryKeyVar); env != nullptr && *env != '\0') {
    text = env;
  } else if (ask) {
    PARLEY_ASSIGN_OR_RETURN(typed, ReadSecretOnTerminal("Recovery key: "));
    text = View(typed);
  } else {
    return std::optional<recovery::RecoveryKey>();
  }
  auto key = recovery::RecoveryKey::Parse(text);
  if (!key.ok()) return UsageError("the recovery key: " + key.status().message());
  return std::optional<recovery::RecoveryKey>(std::move(key).value());
}

// The backup passphrase: PARLEY_BACKUP_PASSPHRASE, else typed (twice when `confirm`).
Result<crypto::SecretBytes> BackupPassphrase(bool confirm) {
  if (const char* env = std::getenv(kBackupPassphraseVar); env != nullptr && *env != '\0') {
    return crypto::SecretBytes::Copy(crypto::AsBytes(env));
  }
  PARLEY_ASSIGN_OR_RETURN(crypto::SecretBytes first, ReadSecretOnTerminal("Backup passphrase: "));
  if (confirm) {
    PARLEY_ASSIGN_OR_RETURN(crypto::SecretBytes again,
                            ReadSecretOnTerminal("Backup passphrase again: "));
    if (!crypto::ConstantTimeEqual(first.view(), again.view()))
      return UsageError("the backup passphrases differ");
  }
  return first;
}

// What opens an existing backup: the kind its header names.
struct Opener {
  std::optional<recovery::RecoveryKey> key;
  crypto::SecretBytes passphrase;
  backup::BackupSecret secret() const {
    return key.has_value() ? backup::BackupSecret::Recovery(*key)
                           : backup::BackupSecret::Passphrase(View(passphrase));
  }
};

Result<Opener> OpenerFor(App& app, const Invocation& inv, const std::string& path) {
  if (!app.env().FileExists(path))
    return Error(Domain::kApp, Code::kNotFound, "no backup file " + path);
  PARLEY_ASSIGN_OR_RETURN(backup::SecretKind kind, backup::ReadKind(app.env(), path));
  Opener out;
  if (kind == backup::SecretKind::kRecoveryKey) {
    PARLEY_ASSIGN_OR_RETURN(out.key, RecoveryKeyFrom(inv, /*ask=*/true));
  } else {
    PARLEY_ASSIGN_OR_RETURN(out.passphrase, BackupPassphrase(/*confirm=*/false));
  }
  return out;
}

Status Verify(App& app, const Invocation& inv, const std::string& path) {
  PARLEY_ASSIGN_OR_RETURN(Opener opener, OpenerFor(app, inv, path));
  PARLEY_ASSIGN_OR_RETURN(BackupInfo info, Device::VerifyBackup(app.env(), path, opener.secret()));
  if (app.json()) {
    app.PrintJson({{"file", path},
                   {"ok", true},
                   {"vault", info.vault.name},
                   {"vault_id", info.vault.id},
                   {"device", info.device_name},
                   {"secret", std::string(backup::SecretKindName(info.summary.kind))},
                   {"changes", info.summary.changes},
                   {"epochs", info.epochs},
                   {"bytes", info.summary.bytes},
                   {"created_unix_ms", info.created_unix_ms}});
  } else {
    app.Print("Backup " + path + " is intact: vault " + info.vault.name + " (" +
              info.vault.id.substr(0, 16) + "), " + std::to_string(info.summary.changes) +
              " change(s) from device " + info.device_name + "\n");
  }
  return Status::Ok();
}

Status Backup(App& app, const Invocation& inv) {
  if (inv.args.size() == 2) {
    if (inv.args[0] != "verify")
      return UsageError("usage: parley backup FILE, or parley backup verify FILE");
    return Verify(app, inv, inv.args[1]);
  }
  const std::string& path = inv.args[0];
  if (inv.Has("passphrase") && inv.Has("recovery-key")) {
    return UsageError("--passphrase and --recovery-key exclude each other");
  }
  PARLEY_RETURN_IF_ERROR(app.Unlock());
  const std::string protected_dirs[] = {app.data_dir(), app.keystore_dir()};
  PARLEY_RETURN_IF_ERROR(bundle::CheckBundleTarget(app.env(), path, protected_dirs));
  std::optional<recovery::RecoveryKey> key;
  crypto::SecretBytes passphrase;
  if (inv.Has("passphrase")) {
    PARLEY_ASSIGN_OR_RETURN(passphrase, BackupPassphrase(/*confirm=*/true));
  } else {
    PARLEY_ASSIGN_OR_RETURN(key, RecoveryKeyFrom(inv, /*ask=*/true));
  }
  const backup::BackupSecret secret = key.has_value()
                                          ? backup::BackupSecret::Recovery(*key)
                                          : backup::BackupSecret::Passphrase(View(passphrase));
  PARLEY_ASSIGN_OR_RETURN(crypto::Argon2Params cost, KdfCost(app));
  PARLEY_ASSIGN_OR_RETURN(BackupResult done, app.device().Backup(path, secret, cost));
  if (app.json()) {
    app.PrintJson({{"file", path},
                   {"vault", done.vault.name},
                   {"vault_id", done.vault.id},
                   {"secret", std::string(backup::SecretKindName(done.summary.kind))},
                   {"changes", done.summary.changes},
                   {"bytes", done.summary.bytes}});
  } else {
    app.Print("Backed up vault " + done.vault.name + ": " + std::to_string(done.summary.changes) +
              " change(s), " + std::to_string(done.summary.bytes) + " bytes, encrypted under " +
              (key.has_value() ? "the recovery key" : "the backup passphrase") + ", to " + path +
              "\n");
  }
  return Status::Ok();
}

Status Restore(App& app, const Invocation& inv) {
  const std::string& path = inv.args[0];
  if (Device::Exists(app.env(), app.data_dir())) {
    return Error(Domain::kApp, Code::kAlreadyExists,
                 "a Parley store already exists in " + app.data_dir() +
                     "; restore into an empty data directory");
  }
  PARLEY_ASSIGN_OR_RETURN(Opener opener, OpenerFor(app, inv, path));
  // A passphrase backup: the recovery key, when given too, enrols the device.
  std::optional<recovery::RecoveryKey> extra;
  if (!opener.key.has_value()) {
    PARLEY_ASSIGN_OR_RETURN(extra, RecoveryKeyFrom(inv, /*ask=*/false));
  }
  const recovery::RecoveryKey* enrol = opener.key.has_value() ? &*opener.key
                                       : extra.has_value()    ? &*extra
                                                              : nullptr;
  RestoreOptions options;
  PARLEY_ASSIGN_OR_RETURN(options.create.argon2, KdfCost(app));
  options.create.device_name = inv.Get("name");
  options.enrol_with = enrol;
  PARLEY_ASSIGN_OR_RETURN(auto passphrase, ReadPassphrase(/*confirm=*/true));
  PARLEY_ASSIGN_OR_RETURN(
      RestoreResult done,
      app.device().RestoreBackup(path, opener.secret(), options, View(passphrase)));
  if (app.json()) {
    app.PrintJson(
        {{"file", path},
         {"data_dir", app.data_dir()},
         {"vault", done.vault.name},
         {"vault_id", done.vault.id},
         {"from_device", done.from_device},
         {"changes", done.changes},
         {"enrolled", done.enrolled},
         {"pairing_code", done.enrolled ? Json() : Json(done.pairing_code)},
         {"not_enrolled_reason", done.enrolled ? Json() : Json(done.not_enrolled_reason)}});
    return Status::Ok();
  }
  std::string out = "Restored vault " + done.vault.name + " (" + done.vault.id.substr(0, 16) +
                    ") from " + path + ": " + std::to_string(done.changes) +
                    " change(s) taken from device " + done.from_device + "\n";
  out += "  this device has keys of its own: it never writes as " + done.from_device + "\n";
  if (done.enrolled) {
    out +=
        "  enrolled as an admin by the recovery key; pin the vault's relay (`parley relay add "
        "CODE`) and sync:\n"
        "  no other device needs to be online\n";
  } else {
    out += "  not a member of the vault yet (" + done.not_enrolled_reason +
           "): it can read everything but not write or sync.\n"
           "  On an admin device run `parley device invite` with this pairing code, then `parley "
           "join` here:\n    " +
           done.pairing_code + "\n";
  }
  app.Print(out);
  return Status::Ok();
}

Status Check(App& app, const Invocation&) {
  PARLEY_ASSIGN_OR_RETURN(log::IntegrityReport report, app.device().CheckIntegrity());
  if (app.json()) {
    app.PrintJson({{"ok", report.ok()},
                   {"pages", report.pages_checked},
                   {"changes", report.changes},
                   {"authors", report.authors},
                   {"problems", report.problems}});
  } else if (report.ok()) {
    app.Print("The store is sound: " + std::to_string(report.pages_checked) + " pages, " +
              std::to_string(report.changes) + " change(s) from " + std::to_string(report.authors) +
              " device(s) verified\n");
  }
  if (!report.ok()) {
    return Error(Domain::kStore, Code::kCorrupt,
                 "the store failed its integrity check: " + report.problems.front() +
                     (report.problems.size() > 1
                          ? " (and " + std::to_string(report.problems.size() - 1) + " more)"
                          : ""));
  }
  return Status::Ok();
}

}  // namespace

void AddBackupCommands(std::vector<Command>& commands) {
  commands.push_back(
      {{"backup"},
       "FILE [--passphrase | --recovery-key KEY] | verify FILE [--recovery-key KEY]",
       "write an encrypted snapshot of the vault (under the recovery key, or a backup passphrase "
       "with --passphrase), or check one without restoring it",
       {{"passphrase", false}, {"recovery-key", true}},
       1,
       2,
       &Backup,
       /*needs_store=*/false});
  commands.push_back({{"restore"},
                      "FILE [--recovery-key KEY] [--name DEVICE]",
                      "build a new device from a backup in an empty data directory",
                      {{"recovery-key", true}, {"name", true}},
                      1,
                      1,
                      &Restore,
                      /*needs_store=*/false});
  commands.push_back(
      {{"check"},
       "",
       "check the store's integrity: every page and every change's signature and chain",
       {},
       0,
       0,
       &Check});
}

}  // namespace parley::cli
