// Token buckets keyed by a string: each key may spend `rate` tokens per second with bursts of
// up to `burst`. The relay keeps one per device (identity key, across all its connections: a
// frame costs one token and a pushed change one more) and one per source address (each new
// connection costs one).
//
// Memory is bounded: at most `max_buckets` buckets are kept. A new key past the bound first
// drops every bucket that has refilled (a full bucket is what a new key gets anyway, so
// forgetting it changes nothing); when none has, the least recently used one goes (its key
// starts again with a full bucket: the bound wins over exactness). The sweep for refilled
// buckets runs at most once per refill period, so a table full of busy keys costs O(1) per
// new key, not a scan.
// Thread safety: any thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace parley::relay {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  RateLimiter(double rate_per_s, double burst, std::size_t max_buckets)
      : rate_(rate_per_s),
        burst_(burst),
        max_buckets_(std::max<std::size_t>(1, max_buckets)),
        refill_(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(std::min(burst / rate_per_s, 86'400.0)))) {}

  // 0 when `cost` tokens were taken; otherwise how many milliseconds until they will be
  // there (nothing is taken).
  std::uint32_t Take(const std::string& key, double cost) {
    return TakeAt(key, cost, Clock::now());
  }

  // Take() at the time `now` (tests drive the clock).
  std::uint32_t TakeAt(const std::string& key, double cost, Clock::time_point now) {
    std::lock_guard<std::mutex> lock(mu_);
    Bucket* b = nullptr;
    if (auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);  // most recently used first
      b = &*it->second;
    } else {
      if (index_.size() >= max_buckets_) MakeRoom(now);
      lru_.push_front(Bucket{key, burst_, now});
      index_.emplace(key, lru_.begin());
      b = &lru_.front();
    }
    const double elapsed = std::chrono::duration<double>(now - b->last).count();
    b->tokens = std::min(burst_, b->tokens + std::max(0.0, elapsed) * rate_);
    b->last = now;
    if (cost > burst_) cost = burst_;
    if (b->tokens >= cost) {
      b->tokens -= cost;
      return 0;
    }
    const double wait_s = (cost - b->tokens) / rate_;
    return static_cast<std::uint32_t>(std::min(wait_s * 1000.0, 4.0e9)) + 1;
  }

  // Buckets kept now.
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return index_.size();
  }

 private:
  struct Bucket {
    std::string key;
    double tokens;
    Clock::time_point last;
  };

  bool Refilled(const Bucket& b, Clock::time_point now) const {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    return b.tokens + elapsed * rate_ >= burst_;
  }

  // Called with the lock held and the table full: frees at least one bucket.
  void MakeRoom(Clock::time_point now) {
    if (now - last_sweep_ >= refill_ || last_sweep_ == Clock::time_point()) {
      last_sweep_ = now;
      for (auto it = lru_.begin(); it != lru_.end();) {
        if (Refilled(*it, now)) {
          index_.erase(it->key);
          it = lru_.erase(it);
        } else {
          ++it;
        }
      }
    }
    if (index_.size() < max_buckets_) return;
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }

  const double rate_;
  const double burst_;
  const std::size_t max_buckets_;
  const Clock::duration refill_;  // time for an empty bucket to fill
  std::mutex mu_;
  std::list<Bucket> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Bucket>::iterator> index_;
  Clock::time_point last_sweep_{};
};

}  // namespace parley::relay
