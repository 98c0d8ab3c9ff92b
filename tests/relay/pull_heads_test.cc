// PullBatch.heads as the relay fills them: the pulling device's own head first, then the
// other authors in order, at most tuning::kMaxPullHeads, and within one frame even then.
#include <gtest/gtest.h>

#include "parley/relay/tuning.h"
#include "parley/sync/frame_codec.h"
#include "pull_heads.h"

namespace parley::relay {
namespace {

std::vector<AuthorHead> Heads(std::size_t n) {
  std::vector<AuthorHead> out;
  for (std::size_t i = 0; i < n; ++i) {
    Bytes author(32, 0xff);
    author[0] = static_cast<std::uint8_t>(i >> 8);
    author[1] = static_cast<std::uint8_t>(i);
    out.push_back(AuthorHead{author, (std::uint64_t{1} << 27) - 1 - i});  // the largest seqs
  }
  return out;
}

TEST(PullHeads, AllAuthorsInOrderWithTheDevicesOwnFirst) {
  const auto heads = Heads(5);
  pb::PullBatch b;
  SetPullHeads(&b, heads, heads[3].author);
  ASSERT_EQ(b.heads_size(), 5);
  EXPECT_EQ(Bytes(b.heads(0).author().begin(), b.heads(0).author().end()), heads[3].author);
  EXPECT_EQ(b.heads(0).seq(), heads[3].seq);
  const std::size_t rest[] = {0, 1, 2, 4};
  for (int i = 1; i < 5; ++i) {
    EXPECT_EQ(Bytes(b.heads(i).author().begin(), b.heads(i).author().end()),
              heads[rest[i - 1]].author);
  }
  pb::PullBatch stranger;
  SetPullHeads(&stranger, heads, Bytes(32, 0));
  EXPECT_EQ(stranger.heads_size(), 5);
}

TEST(PullHeads, AtMostTheCapAndTheyFitAnEmptyFrame) {
  const auto heads = Heads(tuning::kMaxPullHeads + 50);
  pb::Frame f;
  f.set_id(~std::uint64_t{0});
  pb::PullBatch* b = f.mutable_pull_batch();
  b->set_head_seq(~std::uint64_t{0});
  b->set_rewound(true);
  SetPullHeads(b, heads, heads.back().author);
  ASSERT_EQ(static_cast<std::size_t>(b->heads_size()), tuning::kMaxPullHeads);
  EXPECT_EQ(Bytes(b->heads(0).author().begin(), b->heads(0).author().end()), heads.back().author);
  EXPECT_LE(f.ByteSizeLong(), wire::kMaxFramePlaintext);
}

}  // namespace
}  // namespace parley::relay
