#include "app.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "parley/core/crypto.h"
#include "parley/platform/posix_env.h"
#include "passphrase.h"
#include "table.h"

namespace parley::cli {

int ExitCode(const Status& status) {
  switch (status.code()) {
    case Code::kOk: return kExitOk;
    case Code::kInvalidArgument: return kExitUsage;
    case Code::kNotFound: return kExitNotFound;
    case Code::kWrongPassphrase: return kExitWrongPassphrase;
    case Code::kCorrupt: return kExitCorrupt;
    case Code::kMissingSecret: return kExitMissingSecret;
    case Code::kAlreadyExists: return kExitAlreadyExists;
    case Code::kPermissionDenied: return kExitPermission;
    case Code::kBusy: return kExitBusy;
    case Code::kLocked: return kExitLocked;
    case Code::kThrottled: return kExitThrottled;
    case Code::kWiped: return kExitWiped;
    case Code::kIoError:
    case Code::kDiskFull: return kExitIo;
    case Code::kConflict: return kExitConflict;
    default: return kExitInternal;
  }
}

std::string DefaultDataDir() {
  if (const char* d = std::getenv("PARLEY_DATA"); d && *d) return d;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return JoinPath(x, "parley");
  const char* home = std::getenv("HOME");
  return JoinPath(JoinPath(home && *home ? home : ".", ".local/share"), "parley");
}

App::App(GlobalOptions global)
    : global_(std::move(global)),
      env_(PosixEnv()),
      data_dir_(global_.data_dir.empty() ? DefaultDataDir() : global_.data_dir),
      keystore_dir_(global_.keystore_dir.empty() ? DefaultKeyStoreDir() : global_.keystore_dir),
      key_store_(NewFileKeyStore(env_, keystore_dir_)) {
  DeviceOptions options;
  options.env = &env_;
  options.key_store = key_store_.get();
  options.data_dir = data_dir_;
  auto device = Device::Open(std::move(options));
  // Open fails only for missing options or an unusable crypto library; main() checked both.
  if (!device.ok()) std::abort();
  device_ = std::move(device).value();
}

App::~App() {
  (void)Lock();
  DiscardOutput();
}

Status App::Unlock() {
  if (!Device::Exists(env_, data_dir_)) {
    return Error(Domain::kApp, Code::kNotFound, "no Parley store in " + data_dir_ + " (run parley init)");
  }
  PARLEY_ASSIGN_OR_RETURN(auto passphrase, ReadPassphrase(/*confirm=*/false));
  return device_->Unlock(View(passphrase));
}

Status App::Lock() { return device_->Lock(); }

Result<log::RecordId> App::ResolveId(std::string_view prefix) { return device_->ResolveId(prefix); }

void App::Print(std::string_view text) { output_.append(text); }

Status App::FlushOutput() {
  std::size_t done = 0;
  Status status;
  while (done < output_.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, output_.data() + done, output_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status = Error(Domain::kApp, Code::kIoError,
                     "cannot write to standard output: " + std::string(std::strerror(n < 0 ? errno : EIO)));
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  DiscardOutput();
  return status;
}

void App::DiscardOutput() {
  if (!output_.empty()) crypto::Zero(output_.data(), output_.size());
  output_.clear();
}

void App::PrintJson(const JsonWriter& json) {
  Print(json.str());
  Print("\n");
}

Status PrintAdded(App& app, std::string_view what, const log::RecordId& id, std::string_view detail) {
  const std::string hex = log::ToString(id);
  if (app.json()) {
    JsonWriter json;
    json.BeginObject().Field("id", hex).Field("type", what).EndObject();
    app.PrintJson(json);
  } else {
    app.Print("Recorded " + std::string(what) + " " + hex + (detail.empty() ? "" : " — " + std::string(detail)) + "\n");
  }
  return Status::Ok();
}

void WriteRecordJson(JsonWriter& json, const log::Record& record) {
  json.BeginObject();
  json.Field("id", log::ToString(record.id));
  json.Field("type", record.type);
  json.Field("recorded", model::FormatTimestamp(model::HlcUnixMs(record.created_hlc)));
  const char* existence = "alive";
  switch (record.existence) {
    case log::Existence::kAlive: break;
    case log::Existence::kDeleted: existence = "deleted"; break;
    case log::Existence::kDeletedWithEdits: existence = "deleted_with_edits"; break;
    case log::Existence::kConflict: existence = "conflict"; break;
  }
  json.Field("existence", existence);
  json.Key("fields").BeginObject();
  for (const auto& f : record.fields) json.Field(f.name, f.newest());
  json.EndObject();
  json.Key("conflicts").BeginObject();
  for (const auto& f : record.fields) {
    if (!f.conflicted()) continue;
    json.Key(f.name).BeginArray();
    for (const auto& v : f.values) json.String(v.data);
    json.EndArray();
  }
  json.EndObject();
  json.EndObject();
}

std::string Cell(const log::Record& record, std::string_view field) {
  const log::Field* f = record.field(field);
  if (f == nullptr) return "";
  if (!f->conflicted()) return f->newest();
  return f->newest() + " ⚠ " + std::to_string(f->values.size()) + " versions";
}

Result<crypto::Argon2Params> KdfCost(const App& app) {
  std::string cost = app.global().kdf_cost;
  if (cost.empty()) {
    if (const char* env = std::getenv("PARLEY_ARGON2")) cost = env;
  }
  if (cost.empty() || cost == "default") return crypto::DefaultArgon2Params();
  if (cost == "min") return crypto::MinimumArgon2Params();
  return UsageError("unknown key-derivation cost '" + cost + "' (expected default or min)");
}

}  // namespace parley::cli
