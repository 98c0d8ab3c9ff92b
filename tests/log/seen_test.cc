// What a change's author had seen (docs/change-format.md): a device learns of changes it
// is missing even at the end of a chain, and a change that is signed but unreadable is
// quarantined without stopping the rest.
#include <algorithm>

#include "log/change_codec.h"
#include "log_test_util.h"
#include "parley/core/replica_sync.h"

namespace parley::logtest {
namespace {

std::string KeyOf(Device& d) {
  const auto& k = d.store->device().identity.public_key;
  return std::string(k.begin(), k.end());
}

std::uint64_t SeqOf(const pb::Change& c) {
  pb::ChangeHeader h;
  EXPECT_TRUE(h.ParseFromString(c.header()));
  return h.seq();
}

std::vector<pb::Change> ByAuthor(Device& from, Device& author) {
  std::vector<pb::Change> out;
  for (auto& c : All(from)) {
    pb::ChangeHeader h;
    EXPECT_TRUE(h.ParseFromString(c.header()));
    if (h.author() == KeyOf(author)) out.push_back(c);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& x, const auto& y) { return SeqOf(x) < SeqOf(y); });
  return out;
}

log::DeviceHead HeadOf(Device& on, Device& of) {
  auto heads = log::ListDeviceHeads(*on.replica);
  EXPECT_TRUE(heads.ok()) << heads.status().ToString();
  for (auto& h : *heads) {
    if (h.identity == KeyOf(of)) return h;
  }
  return {};
}

class Seen : public ::testing::Test {
 protected:
  testing::FakeClock clock;
  std::vector<Device> team = MakeTeam(clock, 3);
  Device& a = team[0];
  Device& b = team[1];
  Device& c = team[2];
};

TEST_F(Seen, AWithheldTailIsKnownThroughAnotherDevicesChange) {
  for (auto* d : {&a, &b, &c}) {
    for (auto* e : {&a, &b, &c}) {
      if (d != e) Sync(*d, *e);
    }
  }
  for (int i = 0; i < 5; ++i) CreateWith(a, "note", "text", "n" + std::to_string(i));
  Sync(a, c);
  CreateWith(c, "note", "text", "c saw all of a");
  // b is served everything but the last two changes of a: the end of a's chain.
  auto of_a = ByAuthor(a, a);
  ASSERT_GE(of_a.size(), 5u);
  const std::uint64_t newest = SeqOf(of_a.back());
  std::vector<pb::Change> served(of_a.begin(), of_a.end() - 2);
  ASSERT_TRUE(b->Apply(served).ok());
  // Without c's change nothing says more exists.
  auto gaps = log::ListGaps(*b.replica);
  ASSERT_TRUE(gaps.ok());
  EXPECT_TRUE(gaps->empty());
  EXPECT_EQ(HeadOf(b, a).known, newest - 2);
  ASSERT_TRUE(b->Apply(ByAuthor(c, c)).ok());
  gaps = log::ListGaps(*b.replica);
  ASSERT_TRUE(gaps.ok());
  ASSERT_EQ(gaps->size(), 1u);
  EXPECT_EQ((*gaps)[0].author, KeyOf(a));
  EXPECT_EQ((*gaps)[0].first, newest - 1);
  EXPECT_EQ((*gaps)[0].last, newest);
  const log::DeviceHead head = HeadOf(b, a);
  EXPECT_EQ(head.known, newest);
  EXPECT_EQ(head.contig, newest - 2);
  // Once served, the gap closes.
  ASSERT_TRUE(b->Apply(of_a).ok());
  gaps = log::ListGaps(*b.replica);
  ASSERT_TRUE(gaps.ok());
  EXPECT_TRUE(gaps->empty());
}

TEST_F(Seen, AChangeSaysOnlyWhatGrewSinceItsAuthorsLastChange) {
  Sync(a, c);
  CreateWith(c, "note", "text", "first");
  CreateWith(c, "note", "text", "second: nothing new seen");
  auto mine = ByAuthor(c, c);
  ASSERT_GE(mine.size(), 2u);
  const auto* key = c.store->vault()->Current();
  auto first = log::OpenBody(mine[mine.size() - 2], key->key.view());
  auto second = log::OpenBody(mine.back(), key->key.view());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(second->seen_size(), 0);
  // The first names a's head, by index into its authors.
  bool names_a = false;
  for (const auto& s : first->seen()) {
    ASSERT_GE(s.author(), 1u);
    if (first->authors(static_cast<int>(s.author() - 1)) == KeyOf(a))
      names_a = s.seq() == SeqOf(ByAuthor(a, a).back());
  }
  EXPECT_TRUE(names_a);
}

TEST_F(Seen, ASignedChangeThatCannotBeReadIsQuarantinedAndTheRestApplies) {
  Sync(a, b);
  Sync(a, c);
  auto of_a = ByAuthor(a, a);
  const pb::Change& last = of_a.back();
  pb::ChangeHeader h;
  ASSERT_TRUE(h.ParseFromString(last.header()));
  // a's next change, correctly signed and linked, but its body sealed under a key nobody holds.
  const log::ChangeLink link = log::ChangeLinkOf(log::ChangeIdOf(last), last.signature());
  const std::string prev(reinterpret_cast<const char*>(link.data()), link.size());
  const crypto::Bytes wrong_key(32, 0x5a);
  log::SealParams p;
  p.vault = a.store->vault()->vault_id;
  p.author = &a.store->device().identity;
  p.seq = h.seq() + 1;
  p.prev = crypto::AsBytes(prev);
  p.epoch = h.epoch();
  p.epoch_key = wrong_key;
  pb::ChangeBody body;
  body.set_hlc(h.seq() << 20);
  auto* op = body.add_ops();
  op->set_record(std::string(16, 'x'));
  op->mutable_set()->set_field("text");
  op->mutable_set()->set_value("poison");
  pb::Change poison;
  log::ChangeId poison_id{};
  ASSERT_TRUE(log::SealChange(p, body, &poison, &poison_id).ok());
  // And a good change of a after it, linking to it.
  const log::ChangeLink poison_link = log::ChangeLinkOf(poison_id, poison.signature());
  const std::string prev2(reinterpret_cast<const char*>(poison_link.data()), poison_link.size());
  pb::ChangeBody good_body;
  good_body.set_hlc((h.seq() + 1) << 20);
  log::SealParams p2 = p;
  p2.seq = h.seq() + 2;
  p2.prev = crypto::AsBytes(prev2);
  p2.epoch_key = a.store->vault()->Current()->key.view();
  CreateWith(c, "note", "text", "from c");
  auto of_c = ByAuthor(c, c);
  std::vector<pb::Change> batch{poison};
  batch.push_back(of_c.back());
  auto r = b->Apply(batch);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->quarantined, 1u);
  EXPECT_EQ(r->applied, 1u);
  auto notes = b->List("note");
  ASSERT_TRUE(notes.ok());
  EXPECT_EQ(notes->size(), 1u);
  auto health = log::GetLogHealth(*b.replica);
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->quarantined, 1u);
  // The same batch again: duplicates, nothing fails.
  auto again = b->Apply(batch);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->duplicates, 2u);
}

}  // namespace
}  // namespace parley::logtest
