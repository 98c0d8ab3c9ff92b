// What a relay can learn from change sizes: recording a status, or a note a few characters
// longer or shorter, must not be told apart by the size of the change
// (docs/change-format.md, "Padding").
#include <set>

#include "model_fixture.h"

namespace parley::model {
namespace {

using testutil::Device;

class ChangeSizes : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(device_.ready());
    auto id = model().AddNegotiation({"Fresh Harvest Foods", "Tomato supply WSR"});
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    negotiation_ = *id;
  }
  Model& model() { return device_.model(); }

  // Runs `action`, which must write exactly one change, and returns that change's size as
  // the relay sees it (the serialized Change).
  template <typename F>
  std::size_t SizeOf(F action) {
    auto known = device_.replica().Known();
    EXPECT_TRUE(known.ok());
    clock_.AdvanceMs(1000);
    action();
    auto fresh = device_.replica().ChangesSince(*known);
    EXPECT_TRUE(fresh.ok());
    EXPECT_EQ(fresh->size(), 1u);
    return fresh->empty() ? 0 : fresh->front().ByteSizeLong();
  }

  testing::FakeClock clock_{testutil::kMay1};
  Device device_{clock_, "ana phone", /*with_vault=*/true};
  RecordId negotiation_{};
};

TEST_F(ChangeSizes, EveryCommitmentStatusHasTheSameChangeSize) {
  CommitmentInput c;
  c.kind = "price_premium";
  c.text = "10% premium on every order";
  auto commitment = model().AddCommitment(negotiation_, c);
  ASSERT_TRUE(commitment.ok()) << commitment.status().ToString();
  std::set<std::size_t> sizes;
  for (std::string_view status : CommitmentStatuses()) {
    sizes.insert(SizeOf(
        [&] { ASSERT_TRUE(model().SetCommitmentStatus(*commitment, status).ok()) << status; }));
  }
  EXPECT_EQ(sizes.size(), 1u);
}

TEST_F(ChangeSizes, EveryCampaignStatusHasTheSameChangeSize) {
  std::set<std::size_t> sizes;
  for (std::string_view status : CampaignStatuses()) {
    sizes.insert(SizeOf(
        [&] { ASSERT_TRUE(model().SetCampaignStatus(negotiation_, status).ok()) << status; }));
  }
  EXPECT_EQ(sizes.size(), 1u);
}

TEST_F(ChangeSizes, NotesAFewCharactersApartHaveTheSameChangeSize) {
  std::set<std::size_t> sizes;
  for (const char* text : {"They agreed.", "They refused.", "They will call.", "Buyer agreed"}) {
    sizes.insert(SizeOf([&] {
      ASSERT_TRUE(model().AddNote(negotiation_, {std::nullopt, text}).ok()) << text;
    }));
  }
  EXPECT_EQ(sizes.size(), 1u);
}

}  // namespace
}  // namespace parley::model
