#include "store/unlock_guard.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "store/tuning.h"

namespace parley::store::internal {
namespace {

constexpr char kMagic[8] = {'P', 'R', 'L', 'Y', 'F', 'A', 'I', 'L'};
constexpr std::uint32_t kFormat = 1;
constexpr std::size_t kStoreId = 16;
constexpr std::size_t kBodySize = sizeof kMagic + 4 + kStoreId + 4 + 8;
constexpr std::size_t kFileSize = kBodySize + crypto::kHashSize;
constexpr std::string_view kMacLabel = "parley unlock failures mac";

crypto::Hash Mac(crypto::ByteView body, const crypto::SecretBytes& secret) {
  crypto::SecretBytes key(32);
  crypto::Hasher h(32, secret.view());
  h.Update(kMacLabel).Final(key.span());
  return crypto::Blake2b256(body, key.view());
}

std::uint64_t GetLe(crypto::ByteView b, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i)
    v |= static_cast<std::uint64_t>(b[at + static_cast<std::size_t>(i)]) << (8 * i);
  return v;
}
void PutLe(crypto::Bytes& out, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

Status Tampered(const std::string& path, std::string_view why) {
  return Status(
      Domain::kStore, Code::kCorrupt,
      "the failed-unlock counter " + path + " is tampered or corrupt (" + std::string(why) + ")");
}

std::int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::int64_t UnlockDelayMs(std::uint32_t failures) {
  if (failures <= tuning::kFreeUnlockFailures) return 0;
  const std::uint32_t doublings = failures - tuning::kFreeUnlockFailures - 1;
  if (doublings >= 20) return tuning::kMaxUnlockDelayMs;
  return std::min(tuning::kFirstUnlockDelayMs << doublings, tuning::kMaxUnlockDelayMs);
}

std::int64_t RemainingDelayMs(const FailureCount& count, std::int64_t now) {
  const std::int64_t delay = UnlockDelayMs(count.failures);
  if (delay == 0) return 0;
  const std::int64_t elapsed = now - count.last_failure_unix_ms;
  if (elapsed < 0) return delay;
  return std::max<std::int64_t>(0, delay - elapsed);
}

Result<FailureCount> ReadFailures(Env& env, const std::string& data_dir, crypto::ByteView store_id,
                                  const crypto::SecretBytes& secret) {
  const std::string path = JoinPath(data_dir, kFailuresFileName);
  auto file = env.ReadFileUpTo(path, kFileSize);
  if (!file.ok()) {
    if (file.status().code() == Code::kNotFound) return FailureCount{};
    return file.status();
  }
  if (file->size() != kFileSize) return Tampered(path, "bad size");
  crypto::ByteView all(*file);
  crypto::Hash mac = Mac(all.first(kBodySize), secret);
  if (!crypto::ConstantTimeEqual(mac, all.subspan(kBodySize)))
    return Tampered(path, "authentication failed");
  if (std::memcmp(all.data(), kMagic, sizeof kMagic) != 0 || GetLe(all, 8, 4) != kFormat) {
    return Tampered(path, "unknown format");
  }
  if (store_id.size() != kStoreId ||
      !crypto::ConstantTimeEqual(all.subspan(12, kStoreId), store_id)) {
    return Tampered(path, "of another store");
  }
  FailureCount c;
  c.failures = static_cast<std::uint32_t>(GetLe(all, 12 + kStoreId, 4));
  c.last_failure_unix_ms = static_cast<std::int64_t>(GetLe(all, 16 + kStoreId, 8));
  return c;
}

Status WriteFailures(Env& env, const std::string& data_dir, crypto::ByteView store_id,
                     const crypto::SecretBytes& secret, const FailureCount& count) {
  crypto::Bytes out(sizeof kMagic);
  std::memcpy(out.data(), kMagic, sizeof kMagic);
  PutLe(out, kFormat, 4);
  out.insert(out.end(), store_id.begin(), store_id.end());
  PutLe(out, count.failures, 4);
  PutLe(out, static_cast<std::uint64_t>(count.last_failure_unix_ms), 8);
  crypto::Hash mac = Mac(out, secret);
  out.insert(out.end(), mac.begin(), mac.end());
  return env.WriteFileAtomic(JoinPath(data_dir, kFailuresFileName), out);
}

Status ClearFailures(Env& env, const std::string& data_dir) {
  const std::string path = JoinPath(data_dir, kFailuresFileName);
  if (!env.FileExists(path)) return Status::Ok();
  PARLEY_RETURN_IF_ERROR(env.RemoveFile(path));
  return env.SyncDir(data_dir);
}

Result<std::unique_ptr<UnlockLock>> UnlockLock::Acquire(const std::string& data_dir) {
  const int fd = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    return Status(Domain::kStore, e == ENOENT ? Code::kNotFound : Code::kIoError,
                  "opening " + data_dir + " (" + std::strerror(e) + ")");
  }
  const std::int64_t deadline = SteadyMs() + tuning::kGateWaitMs;
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return std::unique_ptr<UnlockLock>(new UnlockLock(fd));
    const int e = errno;
    if ((e != EWOULDBLOCK && e != EINTR) || SteadyMs() >= deadline) {
      ::close(fd);
      if (e == EWOULDBLOCK || e == EINTR) {
        return Status(Domain::kStore, Code::kBusy,
                      "another process keeps trying to unlock the store in " + data_dir);
      }
      return Status(Domain::kStore, Code::kIoError,
                    "locking " + data_dir + " (" + std::strerror(e) + ")");
    }
    // An attempt in another process holds it for one Argon2id run: poll, flock has no timeout.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

UnlockLock::~UnlockLock() { ::close(fd_); }

}  // namespace parley::store::internal
