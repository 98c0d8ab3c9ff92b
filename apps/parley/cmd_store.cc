// lock and wipe.
#include <unistd.h>

#include "app.h"
#include "passphrase.h"

namespace parley::cli {
namespace {

Status Lock(App& app, const Invocation&) {
  PARLEY_RETURN_IF_ERROR(app.Lock());
  if (app.json()) {
    app.PrintJson({{"locked", true}, {"data_dir", app.data_dir()}});
  } else {
    app.Print(
        "Locked: the write-ahead log is folded into the encrypted database and truncated; keys are "
        "zeroed.\n");
  }
  return Status::Ok();
}

Status Wipe(App& app, const Invocation& inv) {
  if (!inv.Has("yes")) {
    if (!::isatty(STDIN_FILENO))
      return UsageError("wipe destroys every record on this device: add --yes to confirm");
    PARLEY_ASSIGN_OR_RETURN(
        std::string typed,
        AskOnTerminal("This destroys every Parley record and key on this device. Type WIPE: "));
    // Not confirmed: a usage error (exit 1, docs/cli.md), nothing destroyed.
    if (typed != "WIPE")
      return UsageError("wipe cancelled: WIPE was not typed, nothing was destroyed");
  }
  PARLEY_RETURN_IF_ERROR(app.device().Wipe());
  if (app.json()) {
    app.PrintJson({{"wiped", true}, {"data_dir", app.data_dir()}});
  } else {
    app.Print("Wiped: the master key was destroyed first, then every file in " + app.data_dir() +
              ".\n");
  }
  return Status::Ok();
}

}  // namespace

void AddStoreCommands(std::vector<Command>& commands) {
  commands.push_back({{"lock"},
                      "",
                      "fold the write-ahead log into the encrypted database and zero the keys",
                      {},
                      0,
                      0,
                      &Lock});
  commands.push_back({{"wipe"},
                      "[--yes]",
                      "panic wipe: destroy the keys, then every file (no passphrase needed)",
                      {{"yes", false}},
                      0,
                      0,
                      &Wipe,
                      /*needs_store=*/false});
}

}  // namespace parley::cli
