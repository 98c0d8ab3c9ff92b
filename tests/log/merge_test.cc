// Merge semantics between devices: multi-value registers, tombstones, re-creation.
#include "log/change_codec.h"
#include "log/hlc.h"
#include "log_test_util.h"

namespace parley::logtest {
namespace {

class Merge : public ::testing::Test {
 protected:
  testing::FakeClock clock;
  std::vector<Device> team = MakeTeam(clock, 3);
  Device& a = team[0];
  Device& b = team[1];
  Device& c = team[2];
  void Exchange() {
    for (auto* from : {&a, &b, &c}) {
      for (auto* to : {&a, &b, &c}) {
        if (from != to) Sync(*from, *to);
      }
    }
  }
  log::Record Rec(Device& d, const log::RecordId& id) {
    auto r = d->Get(id);
    EXPECT_TRUE(r.ok() && r->has_value());
    return r.ok() && r->has_value() ? **r : log::Record{};
  }
};

TEST_F(Merge, ConcurrentWritesKeepEveryVersionUntilResolved) {
  log::RecordId id = CreateWith(a, "commitment", "terms", "draft");
  Exchange();
  clock.AdvanceMs(10);
  SetOne(a, id, "terms", "from a");
  clock.AdvanceMs(10);
  SetOne(b, id, "terms", "from b");
  clock.AdvanceMs(10);
  SetOne(c, id, "status", "proposed");  // another field: no conflict
  Exchange();
  for (auto* d : {&a, &b, &c}) {
    log::Record r = Rec(*d, id);
    EXPECT_EQ(ValuesOf(r, "terms"), (std::vector<std::string>{"from a", "from b"}));  // by clock
    EXPECT_TRUE(r.field("terms")->conflicted());
    EXPECT_EQ(r.get("status"), "proposed");
    auto conflicts = (*d)->Conflicts();
    ASSERT_TRUE(conflicts.ok());
    ASSERT_EQ(conflicts->size(), 1u);
    EXPECT_EQ((*conflicts)[0].field, "terms");
    EXPECT_EQ((*conflicts)[0].values.size(), 2u);
    EXPECT_EQ((*conflicts)[0].values[0].author_name, "device-0");
    EXPECT_EQ((*conflicts)[0].values[1].author_name, "device-1");
  }
  // Resolving on c supersedes both versions everywhere.
  SetOne(c, id, "terms", "agreed text");
  Exchange();
  for (auto* d : {&a, &b, &c}) {
    EXPECT_EQ(ValuesOf(Rec(*d, id), "terms"), std::vector<std::string>{"agreed text"});
    EXPECT_TRUE((*d)->Conflicts()->empty());
  }
  // History keeps every value ever written.
  auto h = a->History(id);
  ASSERT_TRUE(h.ok());
  std::vector<std::string> values;
  for (const auto& e : *h) {
    if (e.op == "set" && e.field == "terms") values.push_back(e.value);
  }
  EXPECT_EQ(values, (std::vector<std::string>{"draft", "from a", "from b", "agreed text"}));
}

TEST_F(Merge, DeleteVersusConcurrentEditKeepsTheEdit) {
  log::RecordId id = CreateWith(a, "note", "text", "v1");
  Exchange();
  DeleteOne(a, id);
  SetOne(b, id, "text", "edited while deleted elsewhere");
  Exchange();
  for (auto* d : {&a, &b, &c}) {
    log::Record r = Rec(*d, id);
    EXPECT_EQ(r.existence, log::Existence::kDeletedWithEdits);
    EXPECT_EQ(ValuesOf(r, "text"), std::vector<std::string>{"edited while deleted elsewhere"});
    auto conflicts = (*d)->Conflicts();
    ASSERT_EQ(conflicts->size(), 1u);
    EXPECT_EQ((*conflicts)[0].field, "");
    EXPECT_TRUE((*d)->List("note")->empty());
    EXPECT_EQ((*d)->List("note", /*include_deleted=*/true)->size(), 1u);
  }
  // Keeping the edit: restore.
  RestoreOne(c, id);
  Exchange();
  for (auto* d : {&a, &b, &c}) {
    EXPECT_EQ(Rec(*d, id).existence, log::Existence::kAlive);
    EXPECT_TRUE((*d)->Conflicts()->empty());
  }
}

TEST_F(Merge, DeleteThenRecreateAndExistenceConflict) {
  log::RecordId id = CreateWith(a, "party", "name", "Buyer Inc");
  Exchange();
  DeleteOne(a, id);
  Exchange();
  EXPECT_EQ(Rec(b, id).existence, log::Existence::kDeleted);
  EXPECT_TRUE(Rec(b, id).fields.empty());
  RestoreOne(b, id);  // re-create after delete
  SetOne(b, id, "name", "Buyer Inc (again)");
  Exchange();
  EXPECT_EQ(Rec(c, id).existence, log::Existence::kAlive);
  EXPECT_EQ(Rec(c, id).get("name"), "Buyer Inc (again)");
  // Concurrent delete (a) and restore-from-tombstone (b) of a deleted record.
  DeleteOne(a, id);
  Exchange();
  DeleteOne(a, id);
  RestoreOne(b, id);
  Exchange();
  for (auto* d : {&a, &b, &c}) {
    EXPECT_EQ(Rec(*d, id).existence, log::Existence::kConflict);
    auto conflicts = (*d)->Conflicts();
    ASSERT_EQ(conflicts->size(), 1u);
    ASSERT_EQ((*conflicts)[0].values.size(), 2u);
  }
  auto h = c->History(id);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->front().op, "create");
  EXPECT_EQ(h->back().op == "delete" || h->back().op == "restore", true);
}

TEST_F(Merge, HistoryAndLiveValuesDoNotDependOnArrivalOrder) {
  log::RecordId id = CreateWith(a, "note", "text", "v1");
  clock.AdvanceMs(10);
  SetOne(a, id, "text", "v2");
  SetOne(a, id, "title", "t1");
  clock.AdvanceMs(10);
  SetOne(a, id, "text", "v3");
  DeleteOne(a, id);
  RestoreOne(a, id);
  SetOne(a, id, "text", "v4");
  // b receives a's changes newest first (each supersedes ops it has not seen yet), c in order.
  std::vector<pb::Change> changes = All(a);
  for (auto it = changes.rbegin(); it != changes.rend(); ++it)
    ASSERT_TRUE(b->Apply(std::span(&*it, 1)).ok());
  Sync(a, c);
  auto ha = a->History(id);
  ASSERT_TRUE(ha.ok()) << ha.status().ToString();
  ASSERT_EQ(ha->size(), 8u);  // create, 5 sets, delete, restore
  for (auto* d : {&b, &c}) {
    auto h = (*d)->History(id);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    ASSERT_EQ(h->size(), ha->size());
    for (std::size_t i = 0; i < ha->size(); ++i) {
      EXPECT_EQ((*h)[i].op, (*ha)[i].op) << i;
      EXPECT_EQ((*h)[i].field, (*ha)[i].field) << i;
      EXPECT_EQ((*h)[i].value, (*ha)[i].value) << i;
      EXPECT_EQ((*h)[i].seq, (*ha)[i].seq) << i;
      EXPECT_EQ((*h)[i].live, (*ha)[i].live) << i;
    }
    EXPECT_EQ(Rec(*d, id).existence, log::Existence::kAlive);
    EXPECT_EQ(ValuesOf(Rec(*d, id), "text"), std::vector<std::string>{"v4"});
    EXPECT_TRUE(ValuesOf(Rec(*d, id), "title").empty());  // the deletion superseded it
    EXPECT_TRUE((*d)->Conflicts()->empty());
  }
  int live = 0;
  for (const auto& e : *ha) live += e.live ? 1 : 0;
  EXPECT_EQ(live, 2);  // the restore and "v4"
}

TEST_F(Merge, ForkedChainsAreRejected) {
  CreateWith(a, "note", "text", "v1");
  auto held = All(a);
  const pb::Change real = held.back();
  pb::ChangeHeader rh;
  ASSERT_TRUE(rh.ParseFromString(real.header()));
  ASSERT_TRUE(b->Apply(std::span(&real, 1)).ok());
  const std::uint64_t b_count = *b->ChangeCount();
  // The same device (same key) signs a different change with the same number.
  log::SealParams p;
  p.vault = a.store->vault()->vault_id;
  p.author = &a.store->device().identity;
  p.seq = rh.seq();
  p.prev = crypto::AsBytes(rh.prev());
  p.epoch = 0;
  p.epoch_key = a.store->vault()->Current()->key.view();
  pb::ChangeBody body;
  body.set_hlc(log::HlcFromMs(clock.NowUnixMs()) + 5);
  pb::Op* op = body.add_ops();
  op->set_record(std::string(16, 'z'));
  op->mutable_create()->set_type("note");
  pb::Change forged;
  log::ChangeId id{};
  ASSERT_TRUE(log::SealChange(p, body, &forged, &id).ok());
  auto r = b->Apply(std::span(&forged, 1));
  EXPECT_EQ(r.status().code(), Code::kConflict);
  EXPECT_NE(r.status().message().find("forked"), std::string::npos);
  // A next change that links to something else than the held one.
  p.seq = rh.seq() + 1;
  crypto::Bytes bogus(32, 9);
  p.prev = bogus;
  ASSERT_TRUE(log::SealChange(p, body, &forged, &id).ok());
  EXPECT_EQ(b->Apply(std::span(&forged, 1)).status().code(), Code::kConflict);
  // The same, arriving before the change it should link to: refused when that one arrives.
  p.seq = rh.seq() + 2;
  ASSERT_TRUE(log::SealChange(p, body, &forged, &id).ok());
  ASSERT_TRUE(c->Apply(std::span(&forged, 1)).ok());
  pb::Change middle;
  p.seq = rh.seq() + 1;
  p.prev = crypto::ByteView(reinterpret_cast<const std::uint8_t*>(rh.prev().data()),
                            32);  // any other id
  ASSERT_TRUE(log::SealChange(p, body, &middle, &id).ok());
  EXPECT_EQ(c->Apply(std::span(&middle, 1)).status().code(), Code::kConflict);
  // Nothing of a refused batch is applied.
  EXPECT_EQ(*b->ChangeCount(), b_count);
}

TEST(Membership, NonMemberChangesWaitForTheirMembership) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 2);
  Device outsider_view = MakeDevice(clock, "x");  // unused: membership travels in invites
  (void)outsider_view;
  Device d = MakeDevice(clock, "late");
  // d joins; d writes; device-1 receives d's change before the admin's AddMember.
  auto invite = team[0]->Invite(d->DevicePairingCode());
  ASSERT_TRUE(invite.ok());
  ASSERT_TRUE(d->AcceptInvite(*invite).ok());
  log::RecordId id = CreateWith(d, "note", "text", "from the new phone");
  std::vector<pb::Change> mine;
  for (auto& c : All(d)) {
    pb::ChangeHeader h;
    ASSERT_TRUE(h.ParseFromString(c.header()));
    if (h.author() == std::string(d.store->device().identity.public_key.begin(),
                                  d.store->device().identity.public_key.end())) {
      mine.push_back(c);
    }
  }
  ASSERT_EQ(mine.size(), 1u);
  auto r = team[1]->Apply(mine);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->pending, 1u);
  EXPECT_FALSE(team[1]->Get(id)->has_value());
  r = team[1]->Apply(All(team[0]));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto rec = team[1]->Get(id);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((*rec)->get("text"), "from the new phone");
  EXPECT_EQ((*rec)->fields[0].values[0].author_name, "late");
}

TEST(Membership, OnlyAdminsInviteAndInvitesAreBound) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 2);
  Device d = MakeDevice(clock, "d");
  Device e = MakeDevice(clock, "e");
  EXPECT_EQ(team[1]->Invite(d->DevicePairingCode()).status().code(), Code::kPermissionDenied);
  EXPECT_EQ(team[0]->Invite("parley-device:abc").status().code(), Code::kInvalidArgument);
  auto invite = team[0]->Invite(d->DevicePairingCode());
  ASSERT_TRUE(invite.ok());
  // For another device.
  EXPECT_EQ(e->AcceptInvite(*invite).code(), Code::kPermissionDenied);
  EXPECT_FALSE(e->HasVault());
  // Tampered anywhere.
  for (std::size_t i = 0; i < invite->size(); i += 7) {
    auto bad = *invite;
    bad[i] ^= 0x10;
    Status s = d->AcceptInvite(bad);
    EXPECT_FALSE(s.ok()) << "byte " << i;
    EXPECT_FALSE(d->HasVault());
  }
  std::vector<std::uint8_t> cut(invite->begin(),
                                invite->begin() + static_cast<long>(invite->size() / 2));
  EXPECT_FALSE(d->AcceptInvite(cut).ok());
  ASSERT_TRUE(d->AcceptInvite(*invite).ok());
  EXPECT_TRUE(d->HasVault());
  EXPECT_EQ(d->AcceptInvite(*invite).code(), Code::kAlreadyExists);
  CreateWith(d, "note", "text", "ok");
}

}  // namespace
}  // namespace parley::logtest
