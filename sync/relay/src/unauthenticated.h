// Connections not yet through the Noise handshake and Authenticate, and the source-address
// key they are counted under.
//
// The table caps them per address (a new connection past `max_per_address` is refused) and
// in total (past `max_total` the OLDEST one is given up to make room, so that a flood of
// silent connections cannot lock devices out: a device connecting after the flood is the
// newest and completes its handshake). A connection leaves the table when it authenticates,
// closes, or is evicted.
// Thread safety: any thread (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "asio_includes.h"

namespace parley::relay {

class Connection;

// The key a connection from `peer` is limited under: the IPv4 address (IPv4-mapped IPv6
// addresses count as IPv4), or the /64 prefix of an IPv6 address. Empty for what has no
// network address (AF_UNIX sockets handed to RelayServer::Adopt): those are limited in
// total only. Binary; never logged.
std::string AddressKey(const asio::generic::stream_protocol::socket& socket);

class UnauthenticatedConnections {
 public:
  UnauthenticatedConnections(std::size_t max_total, std::size_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  // Whether `key` already holds max_per_address connections (always false for "").
  bool AddressFull(const std::string& key);
  // Removes and returns the oldest connection (null when the table is empty).
  std::shared_ptr<Connection> TakeOldest();
  // Adds a connection; the caller made room (see full()).
  void Add(std::uint64_t id, const std::string& key, std::weak_ptr<Connection> c);
  // Removes `id` if present (authenticated, closed or evicted). Idempotent.
  void Remove(std::uint64_t id);
  bool full();
  std::size_t size();

 private:
  struct Entry {
    std::string key;
    std::weak_ptr<Connection> conn;
  };
  const std::size_t max_total_;
  const std::size_t max_per_address_;
  std::mutex mu_;
  std::map<std::uint64_t, Entry> by_id_;  // ids grow: begin() is the oldest
  std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace parley::relay
