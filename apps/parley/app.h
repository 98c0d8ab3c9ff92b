// The state of one `parley` invocation: global options, where the data and key store live,
// the unlocked store (opened on demand, locked again before exit), and output.
//
// Exit codes (docs/cli.md): see ExitCode().
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "command_line.h"
#include "parley/device.h"
#include "parley/platform/env.h"

namespace parley::cli {

using Json = nlohmann::json;

// The version of the `--json` documents (docs/cli.md, "JSON output"): every document has
// "schema": kJsonSchema at its top level.
inline constexpr int kJsonSchema = 1;

// Exit codes, stable for scripts.
enum Exit : int {
  kExitOk = 0,
  kExitUsage = 1,     // bad command line or invalid value
  kExitNotFound = 2,  // unknown id, missing file, no store
  kExitWrongPassphrase = 3,
  kExitCorrupt = 4,        // tampered or corrupt store, WAL, key file or bundle
  kExitMissingSecret = 5,  // the key-store secret of this store is missing
  kExitAlreadyExists = 6,  // e.g. init over an existing store
  kExitPermission = 7,     // not a member / not an admin / invite for another device
  kExitBusy = 8,           // another process holds the store
  kExitIo = 9,             // I/O error or disk full
  kExitInternal = 10,      // anything else
  kExitRevoked = 11,       // the vault revoked this device: its keys and data were destroyed
  kExitConflict = 12,      // refused by a vault rule (the last admin) or a forked chain
  kExitThrottled = 13,     // too soon after failed unlocks: wait the time the message says
  kExitWiped = 14,         // the store wiped itself after its limit of failed unlocks
  kExitLocked = 15,  // sync --watch --lock-after locked the device and no terminal could unlock it
};
int ExitCode(const Status& status);

class App {
 public:
  explicit App(GlobalOptions global);
  ~App();

  const GlobalOptions& global() const { return global_; }
  bool json() const { return global_.json; }
  Env& env() { return env_; }
  KeyStore& key_store() { return *key_store_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& keystore_dir() const { return keystore_dir_; }

  // Reads the passphrase and unlocks the device.
  Status Unlock();
  // Locks the device if unlocked (checkpoint, truncate the WAL, zero the keys). Idempotent.
  Status Lock();
  bool unlocked() const { return device_->unlocked(); }

  // The device of the data directory (locked until Unlock() or Device::Create()).
  Device& device() { return *device_; }
  // REQUIRES: unlocked().
  model::Model& model() { return device_->model(); }

  // A record id from a unique prefix (at least 4 hex characters) or a full id. When the
  // prefix is ambiguous the error names each record it starts (type, short id, a clipped
  // label) and error_details() holds {"candidates": [{"id", "type", "label"}...]}.
  Result<log::RecordId> ResolveId(std::string_view prefix);
  // Members added to the JSON error object of the command's failure (an empty object when
  // none): set by the call that produced the failure.
  const Json& error_details() const { return error_details_; }

  // Output. Print and PrintJson compose the command's output in memory; main() writes it to
  // standard output only once the command succeeded and the store locked cleanly, and
  // otherwise zeroes it unwritten, so a failing command prints nothing there (docs/cli.md).
  void Print(std::string_view text);
  // One JSON document and a newline. An object gets "schema": kJsonSchema; strings that are
  // not valid UTF-8 have each bad byte replaced by U+FFFD, so the output is always valid JSON.
  void PrintJson(const Json& json);
  // Writes what was composed so far to standard output now and forgets it: for a command
  // whose output is a stream of results each true on its own (`sync --watch`), and for
  // main() at the end. Code::kIoError when standard output cannot be written.
  Status FlushOutput();
  // Zeroes and forgets what was composed and not yet written.
  void DiscardOutput();

 private:
  GlobalOptions global_;
  Env& env_;
  std::string data_dir_;
  std::string keystore_dir_;
  std::unique_ptr<KeyStore> key_store_;
  std::unique_ptr<Device> device_;
  std::string output_;  // composed, not yet written to standard output
  Json error_details_ = Json::object();
};

// The default data directory: $PARLEY_DATA, else $XDG_DATA_HOME/parley, else
// $HOME/.local/share/parley.
std::string DefaultDataDir();

// Usage error in Domain::kApp.
inline Status UsageError(std::string message) {
  return Error(Domain::kApp, Code::kInvalidArgument, std::move(message));
}

// Registration of each command group (one file each).
// Argon2id cost for a new store or backup: the defaults, or the floor when PARLEY_ARGON2=min
// or --kdf-cost min (for tests and demonstrations only: a weaker passphrase hash).
// kInvalidArgument (usage) for any other value.
Result<crypto::Argon2Params> KdfCost(const App& app);
// "--wipe-after N": N failed unlocks (1 to 1000), or "off" (0). kInvalidArgument otherwise.
Result<std::uint32_t> ParseWipeAfter(const std::string& value);

void AddVaultCommands(std::vector<Command>& commands);
void AddNegotiationCommands(std::vector<Command>& commands);
void AddRecordCommands(std::vector<Command>& commands);
void AddBottomLineCommands(std::vector<Command>& commands);
void AddSyncCommands(std::vector<Command>& commands);
void AddBundleCommands(std::vector<Command>& commands);
void AddStoreCommands(std::vector<Command>& commands);
void AddRelayCommands(std::vector<Command>& commands);
void AddDeviceSyncCommands(std::vector<Command>& commands);
void AddMemberCommands(std::vector<Command>& commands);
void AddPassphraseCommands(std::vector<Command>& commands);
void AddRecoveryCommands(std::vector<Command>& commands);
void AddBackupCommands(std::vector<Command>& commands);
void AddReportCommands(std::vector<Command>& commands);  // cmd_report.cc
void AddSearchCommands(std::vector<Command>& commands);
void AddImportCommands(std::vector<Command>& commands);  // cmd_import.cc
void AddRecordListCommands(
    std::vector<Command>& commands);  // cmd_records.cc: TYPE show/list/edit/delete
// The JSON key of a list of records of `type`: "negotiations", "notes", "bottom_line", ...
std::string ListKey(std::string_view type);

// Shows a recovery key once (docs/recovery.md): the text, what to do with it, and a QR code
// when stdout is a wide enough terminal (`force_qr`: always; `no_qr`: never).
void PrintRecoveryKey(App& app, const std::string& key, bool force_qr, bool no_qr);

// Prints "Recorded <what> <id> — <detail>" (or {"id", "type"} with --json).
Status PrintAdded(App& app, std::string_view what, const log::RecordId& id,
                  std::string_view detail);

// Shared JSON for a record: {"id", "type", "recorded", "existence", "fields": {...},
// "conflicts": {...}}; the list fields (kListFields) are arrays.
Json RecordJson(const log::Record& record);
// A list of records as a JSON array of RecordJson.
Json RecordsJson(const std::vector<log::Record>& records);
// `value` as JSON text (one line), invalid UTF-8 replaced by U+FFFD.
std::string DumpJson(const Json& value);
// {"schema": kJsonSchema, "error": {"domain", "code", "message"}}: how `--json` reports a
// failure on standard error (docs/cli.md).
// `details` (an object) adds members to "error", e.g. "candidates" for an ambiguous id.
std::string ErrorJson(const Status& status, const Json& details = Json::object());
// A field's value for a table cell: the newest value, "⚠ N versions" appended on conflict.
std::string Cell(const log::Record& record, std::string_view field);

}  // namespace parley::cli
