// Per-device token buckets: each device (identity key) may spend `rate` tokens per second
// with bursts of up to `burst`, across all its connections. A frame costs one token and a
// pushed change one more.
// Thread safety: any thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace parley::relay {

class RateLimiter {
 public:
  RateLimiter(double rate_per_s, double burst) : rate_(rate_per_s), burst_(burst) {}

  // 0 when `cost` tokens were taken; otherwise how many milliseconds until they will be
  // there (nothing is taken).
  std::uint32_t Take(const std::string& device, double cost) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    Bucket& b = buckets_.try_emplace(device, Bucket{burst_, now}).first->second;
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.last = now;
    if (cost > burst_) cost = burst_;
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return 0;
    }
    const double wait_s = (cost - b.tokens) / rate_;
    return static_cast<std::uint32_t>(wait_s * 1000.0) + 1;
  }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  const double rate_;
  const double burst_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace parley::relay
