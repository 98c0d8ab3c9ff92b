// Test doubles for the Env seam.
//
// FakeClock: time moves only when a test says so. FaultEnv: wraps a real Env and fails
// writes on demand (disk full after N bytes, I/O errors), so tests can check that nothing is
// lost, and its transport can be replaced (say, by a LoopbackTransport). MemoryKeyStore: a
// KeyStore in memory.
// Thread safety: all methods are safe to call from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "parley/platform/env.h"

namespace parley::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t start_unix_ms = 1'750'000'000'000) : unix_ms_(start_unix_ms) {}
  std::int64_t NowUnixMs() override { return unix_ms_.load(); }
  std::int64_t MonotonicNs() override { return mono_ns_.load(); }
  void AdvanceMs(std::int64_t ms) {
    unix_ms_ += ms;
    mono_ns_ += ms * 1'000'000;
  }
  // Moves the wall clock only (e.g. a user changing the phone's time).
  void SetUnixMs(std::int64_t ms) { unix_ms_ = ms; }

 private:
  std::atomic<std::int64_t> unix_ms_;
  std::atomic<std::int64_t> mono_ns_{0};
};

// Forwards to `base`, with faults injected into WriteFileAtomic and ShredFile.
class FaultEnv final : public Env {
 public:
  explicit FaultEnv(Env& base, Clock* clock = nullptr) : base_(base), clock_(clock) {}

  // After `bytes` more bytes have been written, writes fail with Code::kDiskFull.
  void FailWritesAfter(std::uint64_t bytes) { write_budget_ = static_cast<std::int64_t>(bytes); }
  void ClearFaults() { write_budget_ = -1; }
  std::uint64_t bytes_written() const { return bytes_written_.load(); }
  // transport() returns `transport` from now on (nullptr: the base Env's, by default the
  // POSIX one). Call before handing out transport(); `transport` must outlive this Env.
  void SetTransport(Transport* transport) { transport_ = transport; }

  Result<std::vector<std::uint8_t>> ReadFile(const std::string& path) override {
    return base_.ReadFile(path);
  }
  Result<std::vector<std::uint8_t>> ReadFileUpTo(const std::string& path,
                                                 std::uint64_t max_bytes) override {
    return base_.ReadFileUpTo(path, max_bytes);
  }
  Result<FileInfo> StatFile(const std::string& path) override { return base_.StatFile(path); }
  Status WriteFileAtomic(const std::string& path, std::span<const std::uint8_t> data) override;
  Status ShredFile(const std::string& path) override;
  Status RemoveFile(const std::string& path) override { return base_.RemoveFile(path); }
  bool FileExists(const std::string& path) override { return base_.FileExists(path); }
  Result<std::uint64_t> FileSize(const std::string& path) override { return base_.FileSize(path); }
  Status CreateDirs(const std::string& path) override { return base_.CreateDirs(path); }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return base_.ListDir(dir);
  }
  Status RemoveDir(const std::string& path) override { return base_.RemoveDir(path); }
  Status SyncDir(const std::string& dir) override { return base_.SyncDir(dir); }
  void RandomBytes(std::span<std::uint8_t> out) override { base_.RandomBytes(out); }
  Clock& clock() override { return clock_ ? *clock_ : base_.clock(); }
  Transport& transport() override {
    Transport* t = transport_.load();
    return t != nullptr ? *t : base_.transport();
  }

 private:
  Status Charge(std::uint64_t n, const std::string& path);
  Env& base_;
  Clock* clock_;
  std::atomic<Transport*> transport_{nullptr};
  std::atomic<std::int64_t> write_budget_{-1};
  std::atomic<std::uint64_t> bytes_written_{0};
};

class MemoryKeyStore final : public KeyStore {
 public:
  Status Put(std::string_view name, std::span<const std::uint8_t> secret) override;
  Result<std::vector<std::uint8_t>> Get(std::string_view name) override;
  Status Erase(std::string_view name) override;

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<std::uint8_t>, std::less<>> secrets_;
};

}  // namespace parley::testing
