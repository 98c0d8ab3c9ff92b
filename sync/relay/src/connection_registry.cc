#include "connection.h"
#include "server_context.h"

namespace parley::relay {

void ConnectionRegistry::Add(std::uint64_t id, std::weak_ptr<Connection> c) {
  std::lock_guard<std::mutex> lock(mu_);
  live_[id] = std::move(c);
}

std::size_t ConnectionRegistry::Remove(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  live_.erase(id);
  for (auto it = subs_.begin(); it != subs_.end();) {
    it->second.erase(id);
    it = it->second.empty() ? subs_.erase(it) : std::next(it);
  }
  return live_.size();
}

void ConnectionRegistry::Subscribe(const std::string& vault, std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  subs_[vault].insert(id);
}

std::vector<std::shared_ptr<Connection>> ConnectionRegistry::Subscribers(const std::string& vault) {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = subs_.find(vault);
  if (it == subs_.end()) return out;
  for (std::uint64_t id : it->second) {
    auto c = live_.find(id);
    if (c == live_.end()) continue;
    if (auto p = c->second.lock()) out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::shared_ptr<Connection>> ConnectionRegistry::All() {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, w] : live_) {
    if (auto p = w.lock()) out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::string> ConnectionRegistry::SubscribedVaults() {
  std::vector<std::string> out;
  std::lock_guard<std::mutex> lock(mu_);
  out.reserve(subs_.size());
  for (const auto& entry : subs_) out.push_back(entry.first);
  return out;
}

std::size_t ConnectionRegistry::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return live_.size();
}

}  // namespace parley::relay
