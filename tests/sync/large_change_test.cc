// A transaction larger than one wire frame (docs/wire-protocol.md, "Changes in parts"):
// one device commits 1,000 updates of 300-byte values as one change, syncs through an
// in-process relay, and a second device receives that change intact and converges.
#include <gtest/gtest.h>

#include "parley/core/replica_sync.h"
#include "parley/sync/frame_codec.h"
#include "sync_test_util.h"

namespace parley::testing {
namespace {

class LargeChangeSync : public ::testing::Test {
 protected:
  TempDir dir;
  FakeClock clock;
  MemoryKeyStore keys;
};

TEST_F(LargeChangeSync, AThousandUpdateTransactionSyncsAsOneChange) {
  InProcessRelay relay(dir.Sub("relay"));
  auto team = MakeTeam(dir.path(), {"a", "b"}, keys, clock);
  auto& a = team[0];
  auto& b = team[1];
  a->Pin(relay.public_key(), relay.port());
  b->Pin(relay.public_key(), relay.port());
  a->Add("note", "text", "before");
  b->Add("note", "text", "b's own note");

  const std::uint64_t before = a->Changes();
  {
    auto tx = std::move(a->replica->Begin()).value();
    auto id = std::move(tx->Create("sheet")).value();
    for (int i = 0; i < 1000; ++i) {
      // 300 bytes that do not compress: the change's body stays about 340 KB.
      const std::string value = crypto::ToHex(crypto::RandomBytes(150));
      ASSERT_EQ(value.size(), 300u);
      ASSERT_TRUE(tx->Set(id, "cell" + std::to_string(i % 250), value).ok());
    }
    auto c = tx->Commit();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
  }
  ASSERT_EQ(a->Changes(), before + 1);  // one transaction, one change
  a->Add("note", "text", "after");

  // The change does not fit one frame.
  auto held = log::HeldChangesAfter(*a->replica, 0, 64u << 20, 100);
  ASSERT_TRUE(held.ok());
  std::size_t largest = 0;
  for (const auto& h : *held) largest = std::max(largest, h.change.ByteSizeLong());
  EXPECT_GT(largest, 300'000u);
  EXPECT_GT(largest, wire::kMaxFramePlaintext);

  auto pushed = a->Sync();
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_EQ(pushed->refused, 0u) << (pushed->refusals.empty() ? ""
                                                              : pushed->refusals[0].Describe());
  EXPECT_EQ(pushed->pushed, a->Changes());

  auto pulled = b->Sync();
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  EXPECT_EQ(pulled->refused, 0u);
  EXPECT_GE(pulled->pulled, 3u);  // before, the large change, after
  EXPECT_EQ(pulled->cursor, pulled->head_seq);
  auto again = a->Sync();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(b->Dump(), a->Dump());
  EXPECT_EQ(b->Changes(), a->Changes());
  // Nothing moves any more: the cursor is past the large change.
  auto idle = b->Sync();
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ(idle->pulled, 0u);
  EXPECT_EQ(idle->pushed, 0u);
}

}  // namespace
}  // namespace parley::testing
