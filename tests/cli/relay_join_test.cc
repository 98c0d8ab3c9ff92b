// Enrollment through a real `parley-relay` process: `parley vault invite` publishes the
// sealed invite, `parley join` with no argument finds it without being told the vault id,
// refuses to guess when invites from several vaults wait, and says so when none does.
#include <gtest/gtest.h>

#include <memory>

#include "relay_fixture.h"

namespace parley::cli_test {
namespace {

class CliRelayJoin : public CliWithRelay {};

TEST_F(CliRelayJoin, PlainJoinFindsTheOneInviteAndSyncs) {
  auto admin = NewDevice("office", "coalition");
  auto phone = NewDevice("phone", "");
  ASSERT_EQ((*admin)({"sync"}).exit_code, 0);
  const std::string n = admin->Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods"});
  ASSERT_FALSE(n.empty());

  // Nothing waits yet: a clear "not found".
  Outcome early = (*phone)({"join"});
  EXPECT_EQ(early.exit_code, 2) << early.err;
  EXPECT_NE(early.err.find("no pinned relay holds an invite for this device"), std::string::npos)
      << early.err;

  Outcome invited = (*admin)({"vault", "invite", PairingCode(*phone)});
  ASSERT_EQ(invited.exit_code, 0) << invited.err;
  EXPECT_NE(invited.out.find("run: parley join\n"), std::string::npos) << invited.out;

  Outcome joined = (*phone)({"--json", "join"});
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  auto j = joined.Json();
  EXPECT_EQ(j["vault"].AsString(), "coalition");
  EXPECT_EQ(j["vault_id"].AsString().size(), 64u);
  ASSERT_EQ(j["relays"].size(), 1u);
  EXPECT_TRUE(j["relays"][std::size_t{0}]["error"].is_null()) << joined.out;
  EXPECT_GT(j["relays"][std::size_t{0}]["pulled"].AsInt(), 0) << joined.out;
  // The sync after joining brought the admin's records.
  auto shown = phone->Json({"negotiation", "show", n});
  EXPECT_EQ(shown["negotiation"]["fields"]["buyer"].AsString(), "Fresh Harvest Foods");
  // Joining again is refused: the device has a vault.
  EXPECT_EQ((*phone)({"join"}).exit_code, 6);
}

TEST_F(CliRelayJoin, SeveralVaultsAreNotGuessed) {
  auto first = NewDevice("union-office", "warehouse");
  auto second = NewDevice("coalition-office", "farmworkers");
  auto phone = NewDevice("phone", "");
  const std::string code = PairingCode(*phone);
  std::vector<std::string> ids;
  for (Device* admin : {first.get(), second.get()}) {
    ASSERT_EQ((*admin)({"sync"}).exit_code, 0);
    Outcome inv = (*admin)({"--json", "vault", "invite", code});
    ASSERT_EQ(inv.exit_code, 0) << inv.err;
    ids.push_back(inv.Json()["vault_id"].AsString());
    ASSERT_EQ(ids.back().size(), 64u) << inv.out;
  }
  Outcome refused = (*phone)({"join"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_TRUE(refused.out.empty()) << refused.out;
  for (const auto& id : ids) EXPECT_NE(refused.err.find(id), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--vault VAULT_ID"), std::string::npos) << refused.err;

  // Naming one of them works.
  Outcome joined = (*phone)({"--json", "join", "--vault", ids[1]});
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  EXPECT_EQ(joined.Json()["vault"].AsString(), "farmworkers");
  EXPECT_EQ(joined.Json()["vault_id"].AsString(), ids[1]);
}

TEST_F(CliRelayJoin, PlainJoinWithoutARelayAsksForTheInviteFile) {
  Device lone(root_.path(), "lone");
  ASSERT_EQ(lone({"init", "--no-vault"}).exit_code, 0);
  Outcome r = lone({"join"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("INVITE_FILE"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace parley::cli_test
