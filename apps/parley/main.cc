// parley: the command-line client. Disables core dumps, parses the command line, unlocks the
// store when the command needs it, reads the free-text fields given as "-" or "@edit"
// (text_input.h), runs the command, locks the store again, and only then writes the
// command's output; errors map to exit codes with a one-line reason on standard error.
#include <clocale>
#include <cstdio>
#include <string>

#include "app.h"
#include "args.h"
#include "parley/platform/process_hardening.h"
#include "text_input.h"

namespace {

using parley::cli::Command;

std::vector<Command> AllCommands() {
  std::vector<Command> commands;
  parley::cli::AddVaultCommands(commands);
  parley::cli::AddNegotiationCommands(commands);
  parley::cli::AddRecordCommands(commands);
  parley::cli::AddBottomLineCommands(commands);
  parley::cli::AddSyncCommands(commands);
  parley::cli::AddBundleCommands(commands);
  parley::cli::AddStoreCommands(commands);
  parley::cli::AddRelayCommands(commands);
  parley::cli::AddDeviceSyncCommands(commands);
  parley::cli::AddMemberCommands(commands);
  parley::cli::AddPassphraseCommands(commands);
  parley::cli::AddRecoveryCommands(commands);
  parley::cli::AddBackupCommands(commands);
  parley::cli::AddSearchCommands(commands);
  return commands;
}

void PrintHelp(const std::vector<Command>& commands, const Command* only) {
  if (only != nullptr) {
    std::printf("usage: %s\n  %s\n", parley::cli::UsageLine(*only).c_str(), only->summary.c_str());
    std::string text;
    for (const auto& name : parley::cli::TextFieldNames(*only)) text += (text.empty() ? "" : ", ") + name;
    if (!text.empty()) {
      std::printf("  free text (%s): give - to read it from standard input or @edit to type it in $EDITOR\n",
                  text.c_str());
    }
    return;
  }
  std::printf(
      "parley: encrypted, offline-first records for WSR negotiations\n\n"
      "usage: parley [--data DIR] [--keystore DIR] [--json] COMMAND ...\n\n"
      "commands:\n");
  for (const auto& c : commands) {
    std::printf("  %s\n      %s\n", parley::cli::UsageLine(c).c_str(), c.summary.c_str());
  }
  std::printf(
      "\nfree text (names, notes, terms, amounts, places): a value of - reads it from standard input\n"
      "(one field per command; Ctrl-D ends it), @edit types it in $VISUAL or $EDITOR: neither\n"
      "shows in ps or the shell history. `parley COMMAND --help` names the command's fields.\n"
      "\nenvironment: PARLEY_PASSPHRASE, PARLEY_NEW_PASSPHRASE, PARLEY_DATA, PARLEY_KEYSTORE,\n"
      "             PARLEY_RECOVERY_KEY (recover, restore, backup), PARLEY_BACKUP_PASSPHRASE,\n"
      "             PARLEY_ARGON2=min (tests only)\n"
      "exit codes: 0 ok, 1 usage, 2 not found, 3 wrong passphrase, 4 tampered or corrupt,\n"
      "            5 missing key-store secret, 6 already exists, 7 permission denied, 8 busy,\n"
      "            9 I/O, 10 internal, 11 this device was revoked and wiped, 12 refused by a\n"
      "            vault rule (the last admin) or a forked chain, 13 too soon after failed unlocks\n"
      "            (wait), 14 wiped after too many failed unlocks, 15 locked after idle (no terminal)\n");
}

int Fail(const parley::Status& status) {
  std::string message = status.message().empty() ? std::string(parley::CodeName(status.code())) : status.message();
  for (auto& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "parley: %s\n", message.c_str());
  return parley::cli::ExitCode(status);
}

// A failure of a command run against the device: when the device heard that the vault
// revoked it and destroyed itself, that is what the user must read, whatever the command.
int FailOn(parley::cli::App& app, const parley::Status& status) {
  const auto& revoked = app.device().revoked_and_wiped();
  if (!revoked.has_value()) return Fail(status);
  if (parley::Device::Exists(app.env(), app.data_dir())) {
    Fail(status);  // the device's message says what could not be destroyed
    return parley::cli::kExitRevoked;
  }
  const std::string by = !revoked->by_name.empty() ? revoked->by_name
                         : !revoked->by.empty()    ? revoked->by.substr(0, 16)
                                                   : std::string("an admin");
  std::fprintf(stderr, "parley: This device was revoked from the vault by %s; its keys and data have been destroyed.\n",
               by.c_str());
  return parley::cli::kExitRevoked;
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything secret is in memory: no core file, no reading by other processes.
  if (parley::Status s = parley::DisableCoreDumps(); !s.ok()) return Fail(s);
  std::setlocale(LC_ALL, "");
  if (parley::Status s = parley::Initialize(); !s.ok()) return Fail(s);
  const std::vector<Command> commands = AllCommands();
  parley::cli::GlobalOptions global;
  auto parsed = parley::cli::Parse(argc, argv, commands, global);
  if (!parsed.ok()) return Fail(parsed.status());
  if (global.help) {
    PrintHelp(commands, parsed->command);
    return parley::cli::kExitOk;
  }
  parley::cli::App app(global);
  const Command& command = *parsed->command;
  if (command.needs_store) {
    if (parley::Status s = app.Unlock(); !s.ok()) return FailOn(app, s);
  }
  // After the passphrase proved right, so that typed text is not lost to a mistyped one.
  if (parley::Status s = parley::cli::ReadTextFields(command, parsed->invocation, app.data_dir()); !s.ok()) {
    return Fail(s);
  }
  parley::Status result = command.run(app, parsed->invocation);
  parley::Status locked = app.Lock();
  if (!result.ok() || !locked.ok()) {
    app.DiscardOutput();  // nothing on standard output unless the command succeeded
    return !result.ok() ? FailOn(app, result) : Fail(locked);
  }
  if (parley::Status s = app.FlushOutput(); !s.ok()) return Fail(s);
  return parley::cli::kExitOk;
}
