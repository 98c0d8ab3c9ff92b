// passphrase change, passphrase policy: the passphrase and the failed-unlock wipe.
#include <cstdlib>

#include "app.h"
#include "passphrase.h"

namespace parley::cli {

Result<std::uint32_t> ParseWipeAfter(const std::string& value) {
  if (value == "off") return std::uint32_t{0};
  char* end = nullptr;
  const unsigned long n =
      value.empty() || value[0] == '-' ? 0 : std::strtoul(value.c_str(), &end, 10);
  if (end == nullptr || *end != '\0' || n < 1 || n > 1000) {
    return UsageError(
        "--wipe-after takes a number of failed unlocks from 1 to 1000, or off (got '" + value +
        "')");
  }
  return static_cast<std::uint32_t>(n);
}

namespace {

std::string WipeText(std::uint32_t n) {
  return n == 0 ? std::string("off (failed unlocks only delay the next attempt)")
                : "after " + std::to_string(n) + " failed unlocks in a row";
}

// The current passphrase unlocks (PARLEY_PASSPHRASE or the terminal, as for every command);
// the new one comes from PARLEY_NEW_PASSPHRASE or is asked twice on the terminal.
Status Change(App& app, const Invocation&) {
  if (!Device::Exists(app.env(), app.data_dir())) {
    return Error(Domain::kApp, Code::kNotFound,
                 "no Parley store in " + app.data_dir() + " (run parley init)");
  }
  PARLEY_ASSIGN_OR_RETURN(auto current, ReadPassphrase(/*confirm=*/false));
  PARLEY_RETURN_IF_ERROR(app.device().Unlock(View(current)));
  PARLEY_ASSIGN_OR_RETURN(auto next, ReadNewPassphrase());
  PARLEY_RETURN_IF_ERROR(app.device().ChangePassphrase(View(current), View(next)));
  if (app.json()) {
    app.PrintJson({{"changed", true}, {"data_dir", app.data_dir()}});
  } else {
    app.Print(
        "Passphrase changed: the old one no longer opens this store. Every record is kept.\n");
  }
  return Status::Ok();
}

Status Policy(App& app, const Invocation& inv) {
  if (inv.Has("wipe-after")) {
    PARLEY_ASSIGN_OR_RETURN(std::uint32_t n, ParseWipeAfter(inv.Get("wipe-after")));
    PARLEY_RETURN_IF_ERROR(app.device().SetWipeAfter(n));
  }
  PARLEY_ASSIGN_OR_RETURN(std::uint32_t n, app.device().WipeAfter());
  if (app.json()) {
    app.PrintJson({{"wipe_after", n}});
  } else {
    app.Print("wipe: " + WipeText(n) + "\n");
  }
  return Status::Ok();
}

}  // namespace

void AddPassphraseCommands(std::vector<Command>& commands) {
  commands.push_back(
      {{"passphrase", "change"},
       "",
       "replace the passphrase (the new one from PARLEY_NEW_PASSPHRASE or asked twice)",
       {},
       0,
       0,
       &Change,
       /*needs_store=*/false});
  commands.push_back({{"passphrase", "policy"},
                      "[--wipe-after N|off]",
                      "show or set the wipe of this device after N failed unlocks in a row",
                      {{"wipe-after", true}},
                      0,
                      0,
                      &Policy});
}

}  // namespace parley::cli
