// What every connection of one relay shares. Thread safety: each member documents its own;
// the plain fields are set before the first connection and then only read.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "check_pool.h"
#include "metrics.h"
#include "parley/relay/relay_server.h"
#include "rate_limiter.h"
#include "storage_worker.h"
#include "vault_directory.h"

namespace parley::relay {

class Connection;

// Live connections and their vault subscriptions. Any thread.
class ConnectionRegistry {
 public:
  void Add(std::uint64_t id, std::weak_ptr<Connection> c);
  // Returns the number of connections left.
  std::size_t Remove(std::uint64_t id);
  void Subscribe(const std::string& vault, std::uint64_t id);
  // Connections subscribed to `vault` (still alive).
  std::vector<std::shared_ptr<Connection>> Subscribers(const std::string& vault);
  std::vector<std::shared_ptr<Connection>> All();
  // Every vault some live connection subscribed to.
  std::vector<std::string> SubscribedVaults();
  std::size_t size();

 private:
  std::mutex mu_;
  std::map<std::uint64_t, std::weak_ptr<Connection>> live_;
  std::map<std::string, std::set<std::uint64_t>> subs_;
};

struct ServerContext {
  ServerContext(const RelayOptions& o, crypto::DhKeyPair key, std::unique_ptr<RelayStorage> w,
                std::unique_ptr<RelayStorage> r)
      : options(o),
        static_key(std::move(key)),
        storage(std::move(w), std::move(r)),
        checks(CheckThreads()),
        limiter(o.rate_per_s, o.rate_burst) {}

  const RelayOptions options;
  const crypto::DhKeyPair static_key;
  StorageWorker storage;
  asio::thread_pool checks;  // check_pool.h
  VaultDirectory vaults;
  RateLimiter limiter;
  Metrics metrics;
  ConnectionRegistry connections;
  std::atomic<bool> stopping{false};
  // Bytes reserved by the reassembly of large changes, all connections together.
  std::atomic<std::uint64_t> reassembly_bytes{0};
  // Called (any thread) when a connection object is destroyed.
  std::function<void()> on_connection_gone;
};

}  // namespace parley::relay
