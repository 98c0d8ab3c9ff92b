// Chain links that cover signatures: one verified signature per author's run in a batch
// authenticates the rest, and a tampered signature anywhere in the run is still refused.
#include "log/change_codec.h"
#include "log_test_util.h"

namespace parley::logtest {
namespace {

class Chains : public ::testing::Test {
 protected:
  testing::FakeClock clock;
  std::vector<Device> team = MakeTeam(clock, 2);
  Device& a = team[0];
  Device& b = team[1];

  // `n` changes written by `a` after everything `b` already holds.
  std::vector<pb::Change> Fresh(int n) {
    const std::size_t before = All(a).size();
    for (int i = 0; i < n; ++i) CreateWith(a, "note", "text", "v" + std::to_string(i));
    auto all = All(a);
    return std::vector<pb::Change>(all.begin() + static_cast<std::ptrdiff_t>(before), all.end());
  }
};

TEST_F(Chains, EveryChangesOwnSignatureIsVerified) {
  Sync(a, b);
  // Large enough for the second thread, and small enough for one.
  for (std::size_t n : {std::size_t{5}, std::size_t{40}}) {
    auto run = Fresh(n);
    auto r = b->Apply(run);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->applied, n);
    EXPECT_EQ(r->signatures_verified, n);
  }
}

TEST_F(Chains, ABadSignatureVouchedForByALinkIsStillRefused) {
  Sync(a, b);
  const std::uint64_t held = *b->ChangeCount();
  // A change with a bad signature, followed by a correctly signed change of the same author
  // that links to it (the link covers the bad signature): the author's word is not enough.
  auto run = Fresh(2);
  run[0].mutable_signature()->at(3) ^= 0x01;
  log::SealParams p;
  pb::ChangeHeader first;
  ASSERT_TRUE(first.ParseFromString(run[0].header()));
  p.vault = a.store->vault()->vault_id;
  p.author = &a.store->device().identity;
  p.seq = first.seq() + 1;
  const log::ChangeLink link = log::ChangeLinkOf(log::ChangeIdOf(run[0]), run[0].signature());
  const std::string prev(reinterpret_cast<const char*>(link.data()), link.size());
  p.prev = crypto::AsBytes(prev);
  p.epoch = first.epoch();
  p.epoch_key = a.store->vault()->Current()->key.view();
  auto body = log::OpenBody(run[1], a.store->vault()->Current()->key.view());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  pb::Change second;
  log::ChangeId id{};
  ASSERT_TRUE(log::SealChange(p, *body, &second, &id).ok());
  std::vector<pb::Change> batch{run[0], second};
  auto r = b->Apply(batch);
  EXPECT_EQ(r.status().code(), Code::kCorrupt) << r.status().ToString();
  EXPECT_NE(r.status().message().find("signature"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(*b->ChangeCount(), held);
}

TEST_F(Chains, ATamperedSignatureAnywhereInTheRunRefusesTheBatch) {
  Sync(a, b);
  const std::uint64_t held = *b->ChangeCount();
  const auto run = Fresh(6);
  for (std::size_t k = 0; k < run.size(); ++k) {
    auto bad = run;
    bad[k].mutable_signature()->at(k % 64) ^= 0x20;
    auto r = b->Apply(bad);
    EXPECT_EQ(r.status().code(), Code::kCorrupt) << "signature of change " << k;
    EXPECT_NE(r.status().message().find("signature"), std::string::npos) << r.status().ToString();
    EXPECT_EQ(*b->ChangeCount(), held) << "nothing of the batch is kept";
  }
  ASSERT_TRUE(b->Apply(run).ok());
}

TEST_F(Chains, AChangeFillingAGapMustLinkToItsHeldSuccessor) {
  Sync(a, b);
  auto run = Fresh(5);
  // Everything but the third change: a gap.
  std::vector<pb::Change> most = run;
  most.erase(most.begin() + 2);
  auto r = b->Apply(most);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->gaps.size(), 1u);
  // The missing change with a forged signature: its held successor does not link to it.
  pb::Change forged = run[2];
  forged.mutable_signature()->at(0) ^= 1;
  auto refused = b->Apply(std::span(&forged, 1));
  EXPECT_EQ(refused.status().code(), Code::kCorrupt) << refused.status().ToString();
  // The real one links to the held successor and its own signature holds.
  auto filled = b->Apply(std::span(&run[2], 1));
  ASSERT_TRUE(filled.ok()) << filled.status().ToString();
  EXPECT_EQ(filled->applied, 1u);
  EXPECT_EQ(filled->signatures_verified, 1u);
  EXPECT_TRUE(filled->gaps.empty());
}

TEST_F(Chains, APrevThatNamesTheIdInsteadOfTheLinkIsRefused) {
  Sync(a, b);
  const auto run = Fresh(1);
  pb::ChangeHeader last;
  ASSERT_TRUE(last.ParseFromString(run[0].header()));
  const log::ChangeId id = log::ChangeIdOf(run[0]);
  // A correctly signed next change whose prev is the predecessor's id, not its link.
  log::SealParams p;
  p.vault = a.store->vault()->vault_id;
  p.author = &a.store->device().identity;
  p.seq = last.seq() + 1;
  p.prev = crypto::ByteView(id.data(), id.size());
  p.epoch = a.store->vault()->Current()->epoch;
  p.epoch_key = a.store->vault()->Current()->key.view();
  pb::ChangeBody body;
  body.set_hlc(run.size() + 1000);
  pb::Change next;
  log::ChangeId next_id{};
  ASSERT_TRUE(log::SealChange(p, body, &next, &next_id).ok());
  std::vector<pb::Change> batch = {run[0], next};
  auto r = b->Apply(batch);
  EXPECT_EQ(r.status().code(), Code::kConflict) << r.status().ToString();
}

}  // namespace
}  // namespace parley::logtest
