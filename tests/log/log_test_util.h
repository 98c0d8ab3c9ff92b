// Shared helpers for the change-log tests: devices over in-memory stores, a team built by
// invites, and change exchange.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "parley/change.pb.h"
#include "parley/core/replica.h"
#include "parley/core/store.h"
#include "parley/testing/fake_env.h"

namespace parley::logtest {

struct Device {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<log::Replica> replica;
  log::Replica* operator->() { return replica.get(); }
};

inline Device MakeDevice(Clock& clock, const std::string& name) {
  Device d;
  auto s = store::Store::CreateInMemoryForTesting(name);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  d.store = std::move(s).value();
  auto r = log::Replica::Open(*d.store, clock);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  d.replica = std::move(r).value();
  return d;
}

// devices[0] creates the vault and invites every other device.
inline std::vector<Device> MakeTeam(Clock& clock, int n) {
  std::vector<Device> team;
  for (int i = 0; i < n; ++i) team.push_back(MakeDevice(clock, "device-" + std::to_string(i)));
  EXPECT_TRUE(team[0]->CreateVault("team").ok());
  for (int i = 1; i < n; ++i) {
    auto invite = team[0]->Invite(team[static_cast<std::size_t>(i)]->DevicePairingCode());
    EXPECT_TRUE(invite.ok()) << invite.status().ToString();
    Status s = team[static_cast<std::size_t>(i)]->AcceptInvite(*invite);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return team;
}

inline std::vector<pb::Change> All(Device& d) {
  auto c = d->ChangesSince({});
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : std::vector<pb::Change>{};
}

// Applies everything `from` holds to `to`.
inline log::ApplyReport Sync(Device& from, Device& to) {
  auto changes = All(from);
  auto r = to->Apply(changes);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : log::ApplyReport{};
}

inline log::RecordId CreateWith(Device& d, const std::string& type, const std::string& field,
                                const std::string& value) {
  auto tx = d->Begin();
  EXPECT_TRUE(tx.ok()) << tx.status().ToString();
  auto id = (*tx)->Create(type);
  EXPECT_TRUE(id.ok());
  EXPECT_TRUE((*tx)->Set(*id, field, value).ok());
  EXPECT_TRUE((*tx)->Commit().ok());
  return *id;
}

inline void SetOne(Device& d, const log::RecordId& id, const std::string& field,
                   const std::string& value) {
  auto tx = d->Begin();
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  ASSERT_TRUE((*tx)->Set(id, field, value).ok());
  auto c = (*tx)->Commit();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
}

inline void DeleteOne(Device& d, const log::RecordId& id) {
  auto tx = d->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE((*tx)->Delete(id).ok());
  ASSERT_TRUE((*tx)->Commit().ok());
}

inline void RestoreOne(Device& d, const log::RecordId& id) {
  auto tx = d->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE((*tx)->Restore(id).ok());
  ASSERT_TRUE((*tx)->Commit().ok());
}

inline std::vector<std::string> ValuesOf(const log::Record& r, const std::string& field) {
  std::vector<std::string> out;
  if (const log::Field* f = r.field(field)) {
    for (const auto& v : f->values) out.push_back(v.data);
  }
  return out;
}

}  // namespace parley::logtest
