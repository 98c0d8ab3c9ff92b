// A KeyStore of 0600 files in a 0700 directory: the Linux stand-in for Keychain/Keystore.
#include <memory>
#include <string>

#include "parley/platform/posix_env.h"

namespace parley {
namespace {

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name[0] == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

class FileKeyStore final : public KeyStore {
 public:
  FileKeyStore(Env& env, std::string dir) : env_(env), dir_(std::move(dir)) {}

  Status Put(std::string_view name, std::span<const std::uint8_t> secret) override {
    if (!ValidName(name))
      return Status(Domain::kPlatform, Code::kInvalidArgument, "bad key-store name");
    PARLEY_RETURN_IF_ERROR(env_.CreateDirs(dir_));
    return env_.WriteFileAtomic(PathOf(name), secret);
  }

  Result<std::vector<std::uint8_t>> Get(std::string_view name) override {
    if (!ValidName(name))
      return Status(Domain::kPlatform, Code::kInvalidArgument, "bad key-store name");
    auto r = env_.ReadFile(PathOf(name));
    if (!r.ok() && r.status().code() == Code::kNotFound) {
      return Status(Domain::kPlatform, Code::kMissingSecret,
                    "the key-store secret " + PathOf(name) + " is missing");
    }
    return r;
  }

  Status Erase(std::string_view name) override {
    if (!ValidName(name))
      return Status(Domain::kPlatform, Code::kInvalidArgument, "bad key-store name");
    return env_.ShredFile(PathOf(name));
  }

 private:
  std::string PathOf(std::string_view name) const { return JoinPath(dir_, name); }
  Env& env_;
  std::string dir_;
};

}  // namespace

std::unique_ptr<KeyStore> NewFileKeyStore(Env& env, std::string dir) {
  return std::make_unique<FileKeyStore>(env, std::move(dir));
}

}  // namespace parley
