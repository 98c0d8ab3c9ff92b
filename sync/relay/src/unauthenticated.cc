#include "unauthenticated.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace parley::relay {

std::string AddressKey(const asio::generic::stream_protocol::socket& socket) {
  std::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return {};
  const auto* sa = static_cast<const sockaddr*>(ep.data());
  if (sa->sa_family == AF_INET && ep.size() >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, ep.data(), sizeof in);
    std::string key(5, '4');
    std::memcpy(key.data() + 1, &in.sin_addr, 4);
    return key;
  }
  if (sa->sa_family == AF_INET6 && ep.size() >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, ep.data(), sizeof in6);
    const std::uint8_t* b = in6.sin6_addr.s6_addr;
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, kMapped, sizeof kMapped) == 0) {
      std::string key(5, '4');
      std::memcpy(key.data() + 1, b + 12, 4);
      return key;
    }
    std::string key(9, '6');
    std::memcpy(key.data() + 1, b, 8);  // the /64 prefix
    return key;
  }
  return {};
}

bool UnauthenticatedConnections::AddressFull(const std::string& key) {
  if (key.empty()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = per_address_.find(key);
  return it != per_address_.end() && it->second >= max_per_address_;
}

std::shared_ptr<Connection> UnauthenticatedConnections::TakeOldest() {
  std::lock_guard<std::mutex> lock(mu_);
  while (!by_id_.empty()) {
    auto it = by_id_.begin();
    std::shared_ptr<Connection> c = it->second.conn.lock();
    if (!it->second.key.empty()) {
      auto a = per_address_.find(it->second.key);
      if (a != per_address_.end() && --a->second == 0) per_address_.erase(a);
    }
    by_id_.erase(it);
    if (c) return c;  // one already gone freed its place; look further
  }
  return nullptr;
}

void UnauthenticatedConnections::Add(std::uint64_t id, const std::string& key,
                                     std::weak_ptr<Connection> c) {
  std::lock_guard<std::mutex> lock(mu_);
  by_id_[id] = Entry{key, std::move(c)};
  if (!key.empty()) ++per_address_[key];
}

void UnauthenticatedConnections::Remove(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  if (!it->second.key.empty()) {
    auto a = per_address_.find(it->second.key);
    if (a != per_address_.end() && --a->second == 0) per_address_.erase(a);
  }
  by_id_.erase(it);
}

bool UnauthenticatedConnections::full() {
  std::lock_guard<std::mutex> lock(mu_);
  return by_id_.size() >= max_total_;
}

std::size_t UnauthenticatedConnections::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return by_id_.size();
}

}  // namespace parley::relay
