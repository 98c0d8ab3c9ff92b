// Record identity: a record's id is bound to the device that created it, so no other member
// can create (or retype) a record under that id (docs/change-format.md, "Record identity").
#include <algorithm>

#include "log/change_codec.h"
#include "log/hlc.h"
#include "log/record_identity.h"
#include "log_test_util.h"

namespace parley::logtest {
namespace {

std::string KeyOf(Device& d) {
  const auto& pk = d.store->device().identity.public_key;
  return std::string(pk.begin(), pk.end());
}

// Seals `body` as `d`'s next change, by hand (the way a modified client would), without
// storing it on `d`.
pb::Change SealAsNext(Device& d, const pb::ChangeBody& body) {
  std::uint64_t seq = 0;
  std::string link;
  for (const pb::Change& c : All(d)) {
    auto checked = log::CheckChange(c, d.store->vault()->vault_id);
    EXPECT_TRUE(checked.ok()) << checked.status().ToString();
    if (!checked.ok() || checked->header.author() != KeyOf(d) || checked->header.seq() <= seq)
      continue;
    seq = checked->header.seq();
    const log::ChangeLink l = log::ChangeLinkOf(checked->id, c.signature());
    link.assign(reinterpret_cast<const char*>(l.data()), l.size());
  }
  log::SealParams p;
  p.vault = d.store->vault()->vault_id;
  p.author = &d.store->device().identity;
  p.seq = seq + 1;
  p.prev = crypto::AsBytes(link);
  p.epoch = d.store->vault()->Current()->epoch;
  p.epoch_key = d.store->vault()->Current()->key.view();
  pb::Change out;
  log::ChangeId id{};
  EXPECT_TRUE(log::SealChange(p, body, &out, &id).ok());
  return out;
}

// A body of one CreateRecord for `record`, with the smallest clock there is.
pb::ChangeBody CreateBody(const log::RecordId& record, const std::string& type,
                          const std::string& origin) {
  pb::ChangeBody body;
  body.set_hlc(1);
  pb::Op* op = body.add_ops();
  op->set_record(record.data(), record.size());
  op->mutable_create()->set_type(type);
  if (!origin.empty()) op->mutable_create()->set_origin(origin);
  return body;
}

std::string TypeOn(Device& d, const log::RecordId& id) {
  auto r = d->Get(id);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() && r->has_value() ? (*r)->type : std::string();
}

class RecordIdentity : public ::testing::Test {
 protected:
  testing::FakeClock clock;
  std::vector<Device> team = MakeTeam(clock, 3);
  Device& admin = team[0];
  Device& member = team[1];
  Device& hostile = team[2];
  log::RecordId negotiation{};

  void SetUp() override {
    negotiation = CreateWith(admin, "negotiation", "buyer", "Acme");
    for (auto* to : {&member, &hostile}) Sync(admin, *to);
    for (auto* from : {&member, &hostile}) Sync(*from, admin);
    clock.AdvanceMs(1000);
  }
};

TEST_F(RecordIdentity, AMemberCannotRetypeAnotherMembersRecord) {
  // The hostile member claims to have created the negotiation first, as a note.
  const pb::Change forged =
      SealAsNext(hostile, CreateBody(negotiation, "note", std::string(16, 'o')));
  for (auto* d : {&admin, &member}) {
    // Signed by a member, so kept; never applied (quarantined, docs/change-format.md).
    auto r = (*d)->Apply(std::span(&forged, 1));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->quarantined, 1u) << "a forged create was accepted";
    EXPECT_EQ(r->applied, 0u);
  }
  for (auto* d : {&admin, &member, &hostile}) {
    EXPECT_EQ(TypeOn(*d, negotiation), "negotiation");
    auto listed = (*d)->List("negotiation", false);
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].id, negotiation);
  }
}

TEST_F(RecordIdentity, ARestoreByAnotherMemberNeverSetsTheType) {
  // Without an origin the create is a restore: accepted, but it does not make the
  // negotiation a note, nor change when it was created.
  const log::Record before = *(*admin->Get(negotiation));
  const pb::Change restore = SealAsNext(hostile, CreateBody(negotiation, "note", ""));
  for (auto* d : {&admin, &member}) {
    auto r = (*d)->Apply(std::span(&restore, 1));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->applied, 1u);
    EXPECT_EQ(TypeOn(*d, negotiation), "negotiation");
    EXPECT_EQ((*(*d)->Get(negotiation))->created_hlc, before.created_hlc);
    EXPECT_TRUE((*(*d)->List("note", false)).empty());
  }
}

TEST_F(RecordIdentity, AForgedCreateOfARecordNotYetHeldIsRefused) {
  // A fresh id with an origin it was not derived from.
  log::RecordId fresh{};
  crypto::RandomBytes(fresh);
  const pb::Change forged = SealAsNext(hostile, CreateBody(fresh, "note", std::string(16, 'o')));
  auto r = admin->Apply(std::span(&forged, 1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->quarantined, 1u);
  EXPECT_EQ(r->applied, 0u);
  auto got = admin->Get(fresh);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_F(RecordIdentity, ACopiedOriginatingCreateIsRefusedFromAnotherAuthor) {
  // The admin's originating create, replayed in the hostile member's change: its origin
  // derives the id from the admin's key, not the hostile member's.
  std::string origin;
  for (const pb::Change& c : All(admin)) {
    auto body = log::OpenBody(c, admin.store->vault()->Current()->key.view());
    if (!body.ok()) continue;
    for (const pb::Op& op : body->ops()) {
      if (op.has_create() && op.record() == std::string(negotiation.begin(), negotiation.end())) {
        origin = op.create().origin();
      }
    }
  }
  ASSERT_EQ(origin.size(), 16u);
  const pb::Change forged = SealAsNext(hostile, CreateBody(negotiation, "note", origin));
  auto r = member->Apply(std::span(&forged, 1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->quarantined, 1u);
  EXPECT_EQ(TypeOn(member, negotiation), "negotiation");
}

TEST_F(RecordIdentity, ALocalCreateDerivesItsIdFromItsCreator) {
  const log::RecordId id = CreateWith(member, "note", "text", "hello");
  std::string origin;
  for (const pb::Change& c : All(member)) {
    auto body = log::OpenBody(c, member.store->vault()->Current()->key.view());
    ASSERT_TRUE(body.ok());
    for (const pb::Op& op : body->ops()) {
      if (op.has_create() && op.record() == std::string(id.begin(), id.end()))
        origin = op.create().origin();
    }
  }
  ASSERT_EQ(origin.size(), log::kRecordOriginSize);
  EXPECT_EQ(log::DeriveRecordId(KeyOf(member), origin), id);
  EXPECT_NE(log::DeriveRecordId(KeyOf(admin), origin), id);
  // The rule, spelled out: BLAKE2b-256(label || key || origin), first 16 bytes.
  crypto::Hasher h;
  h.Update(std::string_view("parley/record-id/v1")).Update(KeyOf(member)).Update(origin);
  const crypto::Hash full = h.Final256();
  EXPECT_TRUE(std::equal(id.begin(), id.end(), full.begin()));
  // Every device sees it, with its type.
  Sync(member, admin);
  EXPECT_EQ(TypeOn(admin, id), "note");
}

TEST_F(RecordIdentity, ARestoreArrivingBeforeTheCreateDoesNotShowTheRecord) {
  const log::RecordId id = CreateWith(admin, "note", "text", "v1");
  Sync(admin, member);
  {
    auto tx = member->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Delete(id).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  {
    auto tx = member->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Restore(id).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  // The hostile member gets the member's delete and restore but not the admin's create.
  std::vector<pb::Change> only_member;
  for (const pb::Change& c : All(member)) {
    pb::ChangeHeader h;
    ASSERT_TRUE(h.ParseFromString(c.header()));
    if (h.author() == KeyOf(member)) only_member.push_back(c);
  }
  ASSERT_TRUE(hostile->Apply(only_member).ok());
  auto got = hostile->Get(id);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  Sync(admin, hostile);
  EXPECT_EQ(TypeOn(hostile, id), "note");
  EXPECT_EQ((*hostile->Get(id))->existence, log::Existence::kAlive);
}

}  // namespace
}  // namespace parley::logtest
