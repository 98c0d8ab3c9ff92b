// A relay that takes smaller changes than the device could write (`--max-change-bytes`):
// once the device has met the relay, a change too large for it is refused before it is
// committed, with a clear message, so that it never sits at the head of the device's chain
// blocking every later change at that relay.
#include <gtest/gtest.h>

#include "relay_fixture.h"

namespace parley::cli_test {
namespace {

class CliChangeSize : public CliWithRelay {};

TEST_F(CliChangeSize, AChangeLargerThanTheRelayTakesIsRefusedBeforeItIsCommitted) {
  // A second relay that takes no change in parts: at most one frame.
  testing::RelayProcess small(root_.Sub("small-relay"),
                              {"--max-change-bytes", "0", "--max-frame-bytes", "16384"});
  ASSERT_TRUE(small.Start().ok());
  auto ana = std::make_unique<Device>(root_.path(), "ana");
  ASSERT_EQ((*ana)({"init", "--name", "ana", "--vault", "coalition"}).exit_code, 0);
  ASSERT_EQ((*ana)({"relay", "add", small.PairingCode(small.port())}).exit_code, 0);
  const std::string n = ana->Id({"negotiation", "add", "--buyer", "Acme"});
  ASSERT_EQ((*ana)({"sync"}).exit_code, 0);

  Outcome big = (*ana)({"note", "add", n}, std::string(40000, 'x') + "\n");
  EXPECT_EQ(big.exit_code, 1) << big.out << big.err;
  EXPECT_NE(big.err.find("split it"), std::string::npos) << big.err;
  // Nothing was committed, and what comes next still goes up.
  EXPECT_EQ(ana->Json({"negotiation", "show", n})["notes"].size(), 0u);
  Outcome small_note = (*ana)({"note", "add", n, "--text", "short"});
  ASSERT_EQ(small_note.exit_code, 0) << small_note.err;
  auto synced = ana->Json({"sync"});
  EXPECT_EQ(synced["relays"][std::size_t{0}]["refused"].AsInt(), 0);
  EXPECT_EQ(ana->Json({"status"})["own_unacknowledged"].AsInt(), 0);
}

}  // namespace
}  // namespace parley::cli_test
