// A cache of each vault's creator and current membership (members, revoked keys and the
// signed list itself), so that the membership check of
// every vault operation does not wait for storage. Loaded from storage on a miss and
// replaced after a membership change commits.
// Thread safety: any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "parley/relay/relay_storage.h"
#include "parley/sync/auth.h"

namespace parley::relay {

struct VaultView {
  crypto::Bytes creator;
  wire::ParsedMembership members;  // version 0: the creator alone, as admin; `revoked` too
  StoredMembership stored;         // the signed list as stored (the proof sent with ERROR_REVOKED)
};

class VaultDirectory {
 public:
  std::shared_ptr<const VaultView> Find(const std::string& vault) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = vaults_.find(vault);
    return it == vaults_.end() ? nullptr : it->second;
  }
  void Put(const std::string& vault, std::shared_ptr<const VaultView> view) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = vaults_[vault];
    // Never replace a newer list by an older one loaded concurrently.
    if (!slot || slot->members.version <= view->members.version) slot = std::move(view);
  }
  // Forgets `vault` (another relay instance replaced its list): the next use reloads it.
  void Erase(const std::string& vault) {
    std::lock_guard<std::mutex> lock(mu_);
    vaults_.erase(vault);
  }
  // Forgets every vault (lost notifications: nothing cached can be trusted to be current).
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    vaults_.clear();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const VaultView>> vaults_;
};

}  // namespace parley::relay
