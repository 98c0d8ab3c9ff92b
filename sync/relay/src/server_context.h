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
#include "unauthenticated.h"
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

// `storage` after SetDefaultVaultQuota(bytes): the quota is the storage's to enforce, inside
// the transaction that stores a change.
inline std::unique_ptr<RelayStorage> WithDefaultQuota(std::unique_ptr<RelayStorage> storage,
                                                      std::uint64_t bytes) {
  if (storage) storage->SetDefaultVaultQuota(bytes);
  return storage;
}

struct ServerContext {
  ServerContext(const RelayOptions& o, crypto::DhKeyPair key, std::unique_ptr<RelayStorage> w,
                std::unique_ptr<RelayStorage> r)
      : options(o),
        static_key(std::move(key)),
        storage(WithDefaultQuota(std::move(w), o.vault_quota_bytes),
                WithDefaultQuota(std::move(r), o.vault_quota_bytes)),
        checks(CheckThreads()),
        limiter(o.rate_per_s, o.rate_burst, o.rate_max_buckets),
        address_limiter(o.address_rate_per_s, o.address_rate_burst, o.rate_max_buckets),
        unauthenticated(o.max_unauthenticated, o.max_unauthenticated_per_address) {}

  const RelayOptions options;
  const crypto::DhKeyPair static_key;
  StorageWorker storage;
  asio::thread_pool checks;  // check_pool.h
  VaultDirectory vaults;
  RateLimiter limiter;          // per device, for frames
  RateLimiter address_limiter;  // per source address (AddressKey), for new connections
  UnauthenticatedConnections unauthenticated;
  // Connections through Authenticate and not yet destroyed.
  std::atomic<std::uint64_t> authenticated{0};
  // Bytes of answers queued and not yet written, all connections together.
  std::atomic<std::uint64_t> outbound_bytes{0};
  Metrics metrics;
  ConnectionRegistry connections;
  std::atomic<bool> stopping{false};
  // Bytes reserved by the reassembly of large changes, all connections together.
  std::atomic<std::uint64_t> reassembly_bytes{0};
  // Called (any thread) when a connection object is destroyed.
  std::function<void()> on_connection_gone;
};

}  // namespace parley::relay
