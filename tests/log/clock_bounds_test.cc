// Clock bounds: wall clock readings outside the valid range never reach the clock, received
// clocks beyond the range are refused, and no arithmetic wraps (docs/change-format.md,
// "Clock").
#include <limits>

#include "log/change_codec.h"
#include "log/hlc.h"
#include "log_test_util.h"

namespace parley::logtest {
namespace {

// 2200-01-01T00:00:00Z.
constexpr std::int64_t k2200 = 7'258'118'400'000;
// About year 10,900: ms << 16 no longer fits in 64 bits, and what is left of it reads as a
// day of 2025.
constexpr std::int64_t kFarFuture = (std::int64_t{1} << 48) + 1'760'000'000'000;

std::uint64_t CreatedHlc(Device& d, const log::RecordId& id) {
  auto r = d->Get(id);
  EXPECT_TRUE(r.ok() && r->has_value());
  return r.ok() && r->has_value() ? (*r)->created_hlc : 0;
}

TEST(ClockBounds, AWallClockFarInTheFutureDoesNotWrapTheClock) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 1);
  const log::RecordId first = CreateWith(team[0], "note", "text", "before");
  clock.SetUnixMs(kFarFuture);
  const log::RecordId second = CreateWith(team[0], "note", "text", "after");
  // The wall clock is not believed: the clock only counted on.
  EXPECT_EQ(CreatedHlc(team[0], second), CreatedHlc(team[0], first) + 1);
}

TEST(ClockBounds, AWallClockBeforeTheRangeOnlyCounts) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 1);
  const log::RecordId first = CreateWith(team[0], "note", "text", "before");
  clock.SetUnixMs(1'000);  // a phone whose clock was reset to 1970
  const log::RecordId second = CreateWith(team[0], "note", "text", "after");
  EXPECT_EQ(CreatedHlc(team[0], second), CreatedHlc(team[0], first) + 1);
}

TEST(ClockBounds, AReceivedClockBeyondTheRangeIsQuarantined) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 2);
  Device& a = team[0];
  Device& b = team[1];
  Sync(a, b);
  Sync(b, a);
  // b seals, by hand, a change dated just past the end of the range.
  std::uint64_t seq = 0;
  std::string link;
  const auto& pk = b.store->device().identity.public_key;
  const std::string bkey(pk.begin(), pk.end());
  for (const pb::Change& c : All(b)) {
    auto checked = log::CheckChange(c, b.store->vault()->vault_id);
    ASSERT_TRUE(checked.ok());
    if (checked->header.author() != bkey || checked->header.seq() <= seq) continue;
    seq = checked->header.seq();
    const log::ChangeLink l = log::ChangeLinkOf(checked->id, c.signature());
    link.assign(reinterpret_cast<const char*>(l.data()), l.size());
  }
  const log::RecordId id = CreateWith(a, "note", "text", "x");
  Sync(a, b);
  const std::uint64_t top = (static_cast<std::uint64_t>(k2200) << 16) | 0xFFFFULL;
  // b's next changes, each after the one before, with the clocks given.
  auto next = [&](std::uint64_t hlc, const std::string& value) {
    pb::ChangeBody body;
    body.set_hlc(hlc);
    pb::Op* op = body.add_ops();
    op->set_record(id.data(), id.size());
    op->mutable_set()->set_field("text");
    op->mutable_set()->set_value(value);
    log::SealParams p;
    p.vault = b.store->vault()->vault_id;
    p.author = &b.store->device().identity;
    p.seq = ++seq;
    p.prev = crypto::AsBytes(link);
    p.epoch = b.store->vault()->Current()->epoch;
    p.epoch_key = b.store->vault()->Current()->key.view();
    pb::Change change;
    log::ChangeId cid{};
    EXPECT_TRUE(log::SealChange(p, body, &change, &cid).ok());
    const log::ChangeLink l = log::ChangeLinkOf(cid, change.signature());
    link.assign(reinterpret_cast<const char*>(l.data()), l.size());
    return change;
  };
  // Beyond the range: signed by a member, so kept, but quarantined and never applied.
  for (std::uint64_t hlc : {top + 1, std::uint64_t{~0ULL}}) {
    const pb::Change change = next(hlc, "from the far future");
    auto r = a->Apply(std::span(&change, 1));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->quarantined, 1u) << "a clock of " << hlc << " was accepted";
    EXPECT_EQ(r->applied, 0u);
    auto got = a->Get(id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->get("text"), "x");
  }
  // The top of the range itself is a valid clock.
  const pb::Change change = next(top, "at the end of the range");
  auto r = a->Apply(std::span(&change, 1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->applied, 1u);
  // ...and it moves a's clock at most 24 hours past a's wall clock.
  const log::RecordId later = CreateWith(a, "note", "text", "y");
  EXPECT_LE(CreatedHlc(a, later) >> 16,
            static_cast<std::uint64_t>(clock.NowUnixMs() + 24LL * 3600 * 1000));
}

TEST(ClockBounds, TheClockRefusesToIssueRatherThanWrap) {
  testing::FakeClock clock;
  // One value before the top: the last one is issued, then the clock refuses.
  log::HybridClock h(clock, log::kHlcMax - 1);
  auto last = h.Now();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, log::kHlcMax);
  auto refused = h.Now();
  EXPECT_EQ(refused.status().code(), Code::kUnsupported);
  EXPECT_EQ(h.last(), log::kHlcMax);
  // A wall clock at the very end of the range does not help either.
  clock.SetUnixMs(log::kHlcMaxWallMs);
  EXPECT_FALSE(h.Now().ok());
  // Observing cannot move it past the top, nor wrap it.
  h.Observe(~0ULL);
  EXPECT_EQ(h.last(), log::kHlcMax);
  // Values above the top given at construction are taken as the top.
  log::HybridClock over(clock, ~0ULL);
  EXPECT_EQ(over.last(), log::kHlcMax);
  EXPECT_FALSE(over.Now().ok());
}

TEST(ClockBounds, AnInvalidWallClockIsReportedAndOnlyCounts) {
  for (std::int64_t wrong :
       {std::int64_t{0}, log::kHlcMinWallMs - 1, log::kHlcMaxWallMs + 1, kFarFuture,
        std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}) {
    testing::FakeClock clock;
    log::HybridClock h(clock);
    auto a = h.Now();
    ASSERT_TRUE(a.ok());
    EXPECT_TRUE(h.wall_clock_valid());
    clock.SetUnixMs(wrong);
    auto b = h.Now();
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(*b, *a + 1) << wrong;
    EXPECT_FALSE(h.wall_clock_valid()) << wrong;
    // Received clocks are believed up to 24 h past the nearest valid reading, no further.
    h.Observe(~0ULL);
    const std::int64_t nearest =
        wrong < log::kHlcMinWallMs ? log::kHlcMinWallMs : log::kHlcMaxWallMs;
    const std::uint64_t limit =
        std::min(log::HlcFromMs(nearest) + (static_cast<std::uint64_t>(log::kMaxHlcDriftMs) << 16),
                 log::kHlcMax);
    EXPECT_EQ(h.last(), std::max(*b, limit)) << wrong;
  }
  testing::FakeClock clock;
  // Both ends of the range are valid readings.
  log::HybridClock fresh(clock);
  clock.SetUnixMs(log::kHlcMinWallMs);
  EXPECT_EQ(*fresh.Now(), log::HlcFromMs(log::kHlcMinWallMs));
  EXPECT_TRUE(fresh.wall_clock_valid());
  clock.SetUnixMs(log::kHlcMaxWallMs);
  EXPECT_EQ(*fresh.Now(), log::HlcFromMs(log::kHlcMaxWallMs));
  EXPECT_TRUE(fresh.wall_clock_valid());
}

TEST(ClockBounds, ADeviceAtTheEndOfItsClockWritesNothing) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 1);
  const log::RecordId id = CreateWith(team[0], "note", "text", "v1");
  // Driven to the top by a wall clock at the very end of the range and a full counter.
  clock.SetUnixMs(log::kHlcMaxWallMs);
  for (int i = 0; i < (1 << 16); ++i) {
    auto tx = team[0]->Begin();
    ASSERT_TRUE(tx.ok()) << i << " " << tx.status().ToString();
    if (i + 1 == (1 << 16)) {
      ASSERT_TRUE((*tx)->Set(id, "text", "last").ok());
      ASSERT_TRUE((*tx)->Commit().ok());
    }
  }
  auto tx = team[0]->Begin();
  ASSERT_FALSE(tx.ok());
  EXPECT_EQ(tx.status().code(), Code::kUnsupported);
  // The last change is intact and no transaction is left open.
  auto r = team[0]->Get(id);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->get("text"), "last");
  EXPECT_EQ((*r)->fields[0].values.back().hlc, log::kHlcMax);
}

}  // namespace
}  // namespace parley::logtest
