#include "app.h"

#include <unistd.h>

#include <cctype>
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
    case Code::kOk:
      return kExitOk;
    case Code::kInvalidArgument:
      return kExitUsage;
    case Code::kNotFound:
      return kExitNotFound;
    case Code::kWrongPassphrase:
      return kExitWrongPassphrase;
    case Code::kCorrupt:
      return kExitCorrupt;
    case Code::kMissingSecret:
      return kExitMissingSecret;
    case Code::kAlreadyExists:
      return kExitAlreadyExists;
    case Code::kPermissionDenied:
      return kExitPermission;
    case Code::kBusy:
      return kExitBusy;
    case Code::kLocked:
      return kExitLocked;
    case Code::kThrottled:
      return kExitThrottled;
    case Code::kWiped:
      return kExitWiped;
    case Code::kIoError:
    case Code::kDiskFull:
      return kExitIo;
    case Code::kConflict:
      return kExitConflict;
    default:
      return kExitInternal;
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
    return Error(Domain::kApp, Code::kNotFound,
                 "no Parley store in " + data_dir_ + " (run parley init)");
  }
  PARLEY_ASSIGN_OR_RETURN(auto passphrase, ReadPassphrase(/*confirm=*/false));
  return device_->Unlock(View(passphrase));
}

Status App::Lock() { return device_->Lock(); }

Result<log::RecordId> App::ResolveId(std::string_view prefix) {
  auto id = device_->ResolveId(prefix);
  if (id.ok() || id.status().code() != Code::kInvalidArgument) return id;
  auto candidates = device_->IdCandidates(prefix);
  if (!candidates.ok() || candidates->size() < 2) return id;
  Json list = Json::array();
  std::string names;
  for (const auto& c : *candidates) {
    const std::string hex = log::ToString(c.id);
    list.push_back({{"id", hex},
                    {"type", c.type.empty() ? Json() : Json(c.type)},
                    {"label", c.type.empty() ? Json() : Json(c.label)}});
    names += (names.empty() ? "" : "; ") +
             (c.type.empty() ? std::string("purged record") : c.type) + " " + ShortId(hex) +
             (c.label.empty() ? "" : " \"" + Clip(c.label, 30) + "\"");
  }
  error_details_ = {{"candidates", std::move(list)}};
  std::string lower(prefix);
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const bool more = candidates->size() >= kMaxIdCandidates;
  return Error(id.status().domain(), Code::kInvalidArgument,
               "record id prefix " + lower + " is ambiguous; it starts " +
                   (more ? "at least " : "") + std::to_string(candidates->size()) +
                   " records: " + names + (more ? "; ..." : "") + " (give more characters)");
}

void App::Print(std::string_view text) { output_.append(text); }

Status App::FlushOutput() {
  std::size_t done = 0;
  Status status;
  while (done < output_.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, output_.data() + done, output_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status = Error(
          Domain::kApp, Code::kIoError,
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

std::string DumpJson(const Json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

void App::PrintJson(const Json& json) {
  if (json.is_object()) {
    Json document = json;
    document["schema"] = kJsonSchema;
    Print(DumpJson(document));
  } else {
    Print(DumpJson(json));
  }
  Print("\n");
}

namespace {

// The stable name of a code in JSON errors (docs/cli.md).
const char* CodeId(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kNotFound:
      return "not_found";
    case Code::kAlreadyExists:
      return "already_exists";
    case Code::kCorrupt:
      return "corrupt";
    case Code::kWrongPassphrase:
      return "wrong_passphrase";
    case Code::kMissingSecret:
      return "missing_secret";
    case Code::kIoError:
      return "io_error";
    case Code::kDiskFull:
      return "disk_full";
    case Code::kBusy:
      return "busy";
    case Code::kLocked:
      return "locked";
    case Code::kUnsupported:
      return "unsupported";
    case Code::kPermissionDenied:
      return "permission_denied";
    case Code::kConflict:
      return "conflict";
    case Code::kInternal:
      return "internal";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kCancelled:
      return "cancelled";
    case Code::kThrottled:
      return "throttled";
    case Code::kWiped:
      return "wiped";
  }
  return "unknown";
}

}  // namespace

std::string ErrorJson(const Status& status, const Json& details) {
  const char* code = CodeId(status.code());
  Json error = {{"domain", DomainName(status.domain())},
                {"code", code},
                {"message", status.message().empty() ? std::string(CodeName(status.code()))
                                                     : status.message()}};
  if (details.is_object()) {
    for (const auto& [key, value] : details.items()) error[key] = value;
  }
  return DumpJson(Json{{"schema", kJsonSchema}, {"error", std::move(error)}});
}

Status PrintAdded(App& app, std::string_view what, const log::RecordId& id,
                  std::string_view detail) {
  const std::string hex = log::ToString(id);
  if (app.json()) {
    app.PrintJson({{"id", hex}, {"type", what}});
  } else {
    app.Print("Recorded " + std::string(what) + " " + hex +
              (detail.empty() ? "" : " — " + std::string(detail)) + "\n");
  }
  return Status::Ok();
}

namespace {

// Fields that hold a list, stored as comma-separated text: arrays in JSON.
bool IsListField(std::string_view type, std::string_view name) {
  return type == model::kElement && (name == "covered_by" || name == "forms");
}

Json ListJson(std::string_view text) {
  Json out = Json::array();
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) out.push_back(std::string(text.substr(start, comma - start)));
    start = comma + 1;
  }
  return out;
}

Json FieldJson(std::string_view type, std::string_view name, const std::string& value) {
  return IsListField(type, name) ? ListJson(value) : Json(value);
}

}  // namespace

Json RecordJson(const log::Record& record) {
  const char* existence = "alive";
  switch (record.existence) {
    case log::Existence::kAlive:
      break;
    case log::Existence::kDeleted:
      existence = "deleted";
      break;
    case log::Existence::kDeletedWithEdits:
      existence = "deleted_with_edits";
      break;
    case log::Existence::kConflict:
      existence = "conflict";
      break;
  }
  Json fields = Json::object();
  Json conflicts = Json::object();
  for (const auto& f : record.fields) {
    fields[f.name] = FieldJson(record.type, f.name, f.newest());
    if (!f.conflicted()) continue;
    Json versions = Json::array();
    for (const auto& v : f.values) versions.push_back(FieldJson(record.type, f.name, v.data));
    conflicts[f.name] = std::move(versions);
  }
  if (record.type == model::kElement) {  // a list field never set is an empty list, not absent
    for (const char* name : {"covered_by", "forms"}) {
      if (!fields.contains(name)) fields[name] = Json::array();
    }
  }
  return {{"id", log::ToString(record.id)},
          {"type", record.type},
          {"recorded", model::FormatTimestamp(model::HlcUnixMs(record.created_hlc))},
          {"existence", existence},
          {"fields", std::move(fields)},
          {"conflicts", std::move(conflicts)}};
}

Json RecordsJson(const std::vector<log::Record>& records) {
  Json out = Json::array();
  for (const auto& r : records) out.push_back(RecordJson(r));
  return out;
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
