// parley: the command-line client. Disables core dumps, parses the command line, unlocks the
// store when the command needs it, reads the free-text fields given as "-" or "@edit"
// (text_input.h), runs the command, locks the store again, and only then writes the
// command's output; errors map to exit codes with a one-line reason on standard error.
#include <clocale>
#include <cstdio>
#include <string>

#include "app.h"
#include "command_line.h"
#include "parley/platform/process_hardening.h"
#include "table.h"
#include "text_input.h"

namespace {

using parley::cli::Command;

std::vector<Command> AllCommands() {
  std::vector<Command> commands;
  parley::cli::AddVaultCommands(commands);
  parley::cli::AddNegotiationCommands(commands);
  parley::cli::AddRecordCommands(commands);
  parley::cli::AddRecordListCommands(commands);
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
  parley::cli::AddReportCommands(commands);
  parley::cli::AddSearchCommands(commands);
  parley::cli::AddImportCommands(commands);
  return commands;
}

// --json: errors too are JSON, one object on standard error (docs/cli.md, "JSON output").
bool g_json_errors = false;

// Whether the command line asks for --json (before a "--"), for errors found while parsing it.
bool AsksForJson(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string token = argv[i];
    if (token == "--") return false;
    if (token == "--json") return true;
  }
  return false;
}

int Fail(const parley::Status& status,
         const parley::cli::Json& details = parley::cli::Json::object()) {
  if (g_json_errors) {
    std::fprintf(stderr, "%s\n", parley::cli::ErrorJson(status, details).c_str());
    return parley::cli::ExitCode(status);
  }
  std::string message =
      status.message().empty() ? std::string(parley::CodeName(status.code())) : status.message();
  for (auto& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "parley: %s\n", message.c_str());
  return parley::cli::ExitCode(status);
}

// A failure of a command run against the device: when the device heard that the vault
// revoked it and destroyed itself, that is what the user must read, whatever the command.
// Fail() with an exit code of its own.
int Fail(const parley::Status& status, int exit_code) {
  Fail(status);
  return exit_code;
}

int FailOn(parley::cli::App& app, const parley::Status& status) {
  const auto& revoked = app.device().revoked_and_wiped();
  if (!revoked.has_value()) return Fail(status, app.error_details());
  if (parley::Device::Exists(app.env(), app.data_dir())) {
    Fail(status);  // the device's message says what could not be destroyed
    return parley::cli::kExitRevoked;
  }
  const std::string by = !revoked->by_name.empty() ? revoked->by_name
                         : !revoked->by.empty()    ? revoked->by.substr(0, 16)
                                                   : std::string("an admin");
  return Fail(parley::Status(parley::Domain::kApp, parley::Code::kPermissionDenied,
                             "This device was revoked from the vault by " + by +
                                 "; its keys and data have been destroyed."),
              parley::cli::kExitRevoked);
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything secret is in memory: no core file, no reading by other processes.
  if (parley::Status s = parley::DisableCoreDumps(); !s.ok()) return Fail(s);
  std::setlocale(LC_ALL, "");
  g_json_errors = AsksForJson(argc, argv);
  if (parley::Status s = parley::Initialize(); !s.ok()) return Fail(s);
  const std::vector<Command> commands = AllCommands();
  parley::cli::GlobalOptions global;
  auto parsed = parley::cli::Parse(argc, argv, commands, global);
  if (!parsed.ok()) return Fail(parsed.status());
  g_json_errors = global.json;
  parley::cli::SetTimeZone(global.utc ? parley::cli::TimeZone::kUtc
                                      : parley::cli::TimeZone::kLocal);
  if (global.help) {
    std::fputs(parley::cli::HelpText(commands, parsed->help_words).c_str(), stdout);
    return parley::cli::kExitOk;
  }
  if (global.version) {
    std::printf("parley %s\n", PARLEY_VERSION);
    return parley::cli::kExitOk;
  }
  parley::cli::App app(global);
  const Command& command = *parsed->command;
  if (command.needs_store) {
    if (parley::Status s = app.Unlock(); !s.ok()) return FailOn(app, s);
  }
  // After the passphrase proved right, so that typed text is not lost to a mistyped one.
  if (parley::Status s = parley::cli::ReadTextFields(command, parsed->invocation, app.data_dir());
      !s.ok()) {
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
