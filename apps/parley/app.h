// The state of one `parley` invocation: global options, where the data and key store live,
// the unlocked store (opened on demand, locked again before exit), and output.
//
// Exit codes (docs/cli.md): see ExitCode().
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "args.h"
#include "json_writer.h"
#include "parley/device.h"
#include "parley/platform/env.h"

namespace parley::cli {

// Exit codes, stable for scripts.
enum Exit : int {
  kExitOk = 0,
  kExitUsage = 1,           // bad command line or invalid value
  kExitNotFound = 2,        // unknown id, missing file, no store
  kExitWrongPassphrase = 3,
  kExitCorrupt = 4,         // tampered or corrupt store, WAL, key file or bundle
  kExitMissingSecret = 5,   // the key-store secret of this store is missing
  kExitAlreadyExists = 6,   // e.g. init over an existing store
  kExitPermission = 7,      // not a member / not an admin / invite for another device
  kExitBusy = 8,            // another process holds the store
  kExitIo = 9,              // I/O error or disk full
  kExitInternal = 10,       // anything else
  kExitRevoked = 11,        // the vault revoked this device: its keys and data were destroyed
  kExitConflict = 12,       // refused by a vault rule (the last admin) or a forked chain
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

  // A record id from a unique prefix (at least 4 hex characters) or a full id.
  Result<log::RecordId> ResolveId(std::string_view prefix);

  // Writes to standard output.
  void Print(std::string_view text);
  void PrintJson(const JsonWriter& json);

 private:
  GlobalOptions global_;
  Env& env_;
  std::string data_dir_;
  std::string keystore_dir_;
  std::unique_ptr<KeyStore> key_store_;
  std::unique_ptr<Device> device_;
};

// The default data directory: $PARLEY_DATA, else $XDG_DATA_HOME/parley, else
// $HOME/.local/share/parley.
std::string DefaultDataDir();

// Usage error in Domain::kApp.
inline Status UsageError(std::string message) {
  return Error(Domain::kApp, Code::kInvalidArgument, std::move(message));
}

// Registration of each command group (one file each).
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
void AddRecoveryCommands(std::vector<Command>& commands);
void AddBackupCommands(std::vector<Command>& commands);

// Shows a recovery key once (docs/recovery.md): the text, what to do with it, and a QR code
// when stdout is a wide enough terminal (`force_qr`: always; `no_qr`: never).
void PrintRecoveryKey(App& app, const std::string& key, bool force_qr, bool no_qr);

// Prints "Recorded <what> <id> — <detail>" (or {"id", "type"} with --json).
Status PrintAdded(App& app, std::string_view what, const log::RecordId& id, std::string_view detail);

// Shared JSON for a record: {"id", "type", "created", "fields": {...}, "conflicts": [...]}.
void WriteRecordJson(JsonWriter& json, const log::Record& record);
// A field's value for a table cell: the newest value, "⚠ N versions" appended on conflict.
std::string Cell(const log::Record& record, std::string_view field);

}  // namespace parley::cli
