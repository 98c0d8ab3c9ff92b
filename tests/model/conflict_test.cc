// Two devices of one vault edit the same commitment concurrently: the model shows the
// conflict, refuses to count a conflicted status as cover, and a resolve settles it.
#include "model_fixture.h"

namespace parley::model {
namespace {

using testutil::Device;

TEST(ModelConflict, ConcurrentStatusEditsAreAConflictUntilResolved) {
  testing::FakeClock clock(testutil::kMay1);
  Device admin(clock, "office laptop", /*with_vault=*/true);
  Device phone(clock, "ana phone", /*with_vault=*/false);
  ASSERT_TRUE(admin.ready() && phone.ready());
  ASSERT_NO_FATAL_FAILURE(admin.Enroll(phone));

  auto n = admin.model().AddNegotiation({"Fresh Harvest Foods", ""});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  CommitmentInput c;
  c.kind = "independent_monitoring";
  c.text = "Independent monitoring by a worker-driven body";
  auto commitment = admin.model().AddCommitment(*n, c);
  ASSERT_TRUE(commitment.ok());
  ASSERT_TRUE(admin.model().RequireElement(*n, {"independent_monitoring", {*commitment}, {}}).ok());
  ASSERT_NO_FATAL_FAILURE(admin.SendTo(phone));

  auto seen = phone.model().BottomLine(*n);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  ASSERT_EQ(seen->elements.size(), 1u);

  // Offline, both devices change the status.
  clock.AdvanceMs(1000);
  ASSERT_TRUE(admin.model().SetCommitmentStatus(*commitment, "agreed").ok());
  clock.AdvanceMs(1000);
  ASSERT_TRUE(phone.model().SetCommitmentStatus(*commitment, "withdrawn").ok());
  ASSERT_NO_FATAL_FAILURE(admin.SendTo(phone));
  ASSERT_NO_FATAL_FAILURE(phone.SendTo(admin));

  for (Device* d : {&admin, &phone}) {
    auto conflicts = d->model().Conflicts();
    ASSERT_TRUE(conflicts.ok()) << conflicts.status().ToString();
    ASSERT_EQ(conflicts->size(), 1u);
    const log::Conflict& k = conflicts->front();
    EXPECT_EQ(k.record, *commitment);
    EXPECT_EQ(k.field, "status");
    ASSERT_EQ(k.values.size(), 2u);
    EXPECT_EQ(k.values[0].data, "agreed");  // ordered by clock
    EXPECT_EQ(k.values[1].data, "withdrawn");
    EXPECT_EQ(k.values[1].author_name, "ana phone");
    auto r = d->model().BottomLine(*n);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->elements[0].covered);  // "agreed" is only one of the versions
    EXPECT_TRUE(r->elements[0].conflicted);
    EXPECT_EQ(r->verdict, Verdict::kWalkAway);
  }

  clock.AdvanceMs(1000);
  ASSERT_TRUE(phone.model().Resolve(*commitment, "status", "agreed").ok());
  ASSERT_NO_FATAL_FAILURE(phone.SendTo(admin));
  for (Device* d : {&admin, &phone}) {
    auto conflicts = d->model().Conflicts();
    ASSERT_TRUE(conflicts.ok());
    EXPECT_TRUE(conflicts->empty());
    auto r = d->model().BottomLine(*n);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->elements[0].covered);
    EXPECT_FALSE(r->elements[0].conflicted);
    EXPECT_TRUE(r->meets);
  }
  // The status history shows every version and who wrote it.
  auto statuses = admin.model().StatusHistory(*commitment);
  ASSERT_TRUE(statuses.ok());
  ASSERT_EQ(statuses->size(), 4u);
  EXPECT_EQ(statuses->back().status, "agreed");
  EXPECT_EQ(statuses->back().author_name, "ana phone");
  EXPECT_TRUE(statuses->back().live);
}

}  // namespace
}  // namespace parley::model
