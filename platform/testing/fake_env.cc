#include "parley/testing/fake_env.h"

namespace parley::testing {

Status FaultEnv::Charge(std::uint64_t n, const std::string& path) {
  std::int64_t budget = write_budget_.load();
  if (budget >= 0) {
    if (static_cast<std::uint64_t>(budget) < n) {
      write_budget_ = 0;
      return Status(Domain::kPlatform, Code::kDiskFull,
                    "write " + path + ": No space left on device");
    }
    write_budget_ = budget - static_cast<std::int64_t>(n);
  }
  bytes_written_ += n;
  return Status::Ok();
}

Status FaultEnv::WriteFileAtomic(const std::string& path, std::span<const std::uint8_t> data) {
  PARLEY_RETURN_IF_ERROR(Charge(data.size(), path));
  return base_.WriteFileAtomic(path, data);
}

Status FaultEnv::ShredFile(const std::string& path) {
  auto size = base_.FileSize(path);
  if (size.ok()) PARLEY_RETURN_IF_ERROR(Charge(*size, path));
  return base_.ShredFile(path);
}

Status MemoryKeyStore::Put(std::string_view name, std::span<const std::uint8_t> secret) {
  std::lock_guard lock(mu_);
  secrets_[std::string(name)] = std::vector<std::uint8_t>(secret.begin(), secret.end());
  return Status::Ok();
}

Result<std::vector<std::uint8_t>> MemoryKeyStore::Get(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = secrets_.find(name);
  if (it == secrets_.end())
    return Status(Domain::kPlatform, Code::kMissingSecret,
                  "the key-store secret " + std::string(name) + " is missing");
  return it->second;
}

Status MemoryKeyStore::Erase(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = secrets_.find(name);
  if (it != secrets_.end()) secrets_.erase(it);
  return Status::Ok();
}

}  // namespace parley::testing
