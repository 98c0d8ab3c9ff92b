// The recovery key through a real `parley-relay` process, with the `parley` command: the
// admin's `init` shows the key once (captured from --json), a second device joins, both
// write, a conflict is made and left; the admin device is lost (its directories deleted);
// a new device recovers the vault with the key: every note, the conflict and the history
// are there, it is an admin (it invites and revokes), and the second device keeps syncing
// with it. Then the key is rotated: the old key is refused with a clear message, the new
// one recovers on yet another device. A mistyped key says so.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "relay_fixture.h"

namespace parley::cli_test {
namespace {

class CliRecover : public CliWithRelay {
 protected:
  // `parley init --vault` on a new device, pinned to the relay; returns the recovery key.
  std::string NewAdmin(std::unique_ptr<Device>& d, const std::string& name) {
    d = std::make_unique<Device>(root_.path(), name);
    auto created = d->Json({"init", "--name", name, "--vault", "coalition"});
    const std::string key = created["recovery_key"].AsString();
    EXPECT_EQ(key.size(), 44u) << key;
    Outcome pinned = (*d)({"relay", "add", code_});
    EXPECT_EQ(pinned.exit_code, 0) << pinned.err;
    return key;
  }
  // A note's texts as `negotiation show` lists them, sorted.
  std::set<std::string> Notes(const Device& d, const std::string& n) {
    auto shown = d.Json({"negotiation", "show", n});
    std::set<std::string> out;
    for (std::size_t i = 0; i < shown["notes"].size(); ++i)
      out.insert(shown["notes"][i]["fields"]["text"].AsString());
    return out;
  }
};

TEST_F(CliRecover, LostAdminRecoveredWithTheKeyThenRotated) {
  std::unique_ptr<Device> phone;
  const std::string key = NewAdmin(phone, "ana phone");
  ASSERT_EQ((*phone)({"sync"}).exit_code, 0);
  // The human form shows the key only at init; members list the recovery member.
  Outcome members = (*phone)({"vault", "members"});
  ASSERT_EQ(members.exit_code, 0) << members.err;
  EXPECT_NE(members.out.find("recovery key"), std::string::npos) << members.out;
  EXPECT_NE(members.out.find("1 member(s), 1 admin(s), a recovery key"), std::string::npos)
      << members.out;
  EXPECT_EQ(members.out.find(key), std::string::npos);

  // A second device joins through the relay; both write; a conflict is made and left.
  auto laptop = NewDevice("bea laptop", "");
  ASSERT_EQ((*phone)({"vault", "invite", PairingCode(*laptop)}).exit_code, 0);
  Outcome joined = (*laptop)({"join"});
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  const std::string n = phone->Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods"});
  const std::string c = phone->Id(
      {"commitment", "add", n, "--kind", "independent_monitoring", "--text", "Independent audits"});
  const std::string note1 =
      phone->Id({"note", "add", n, "--text", "phone: buyer asked for a phase-in"});
  ASSERT_EQ((*phone)({"sync"}).exit_code, 0);
  ASSERT_EQ((*laptop)({"sync"}).exit_code, 0);
  const std::string note2 =
      laptop->Id({"note", "add", n, "--text", "laptop: audit schedule drafted"});
  ASSERT_EQ((*phone)({"commitment", "status", c, "agreed"}).exit_code, 0);
  ASSERT_EQ((*laptop)({"commitment", "status", c, "withdrawn"}).exit_code, 0);
  ASSERT_EQ((*phone)({"sync"}).exit_code, 0);
  ASSERT_EQ((*laptop)({"sync"}).exit_code, 0);
  ASSERT_EQ((*phone)({"sync"}).exit_code, 0);
  ASSERT_EQ(phone->Json({"conflicts"})["conflicts"].size(), 1u);
  const auto history_before = phone->Json({"history", c});
  const std::set<std::string> notes = {"phone: buyer asked for a phase-in",
                                       "laptop: audit schedule drafted"};
  ASSERT_EQ(Notes(*phone, n), notes);

  // The phone is lost: nothing of it is left.
  std::filesystem::remove_all(phone->data_dir());
  std::filesystem::remove_all(phone->keystore_dir());

  // A mistyped key is caught before anything is asked of the relay.
  auto tablet = NewDevice("ana tablet", "");
  std::string typo = key;
  typo[0] = typo[0] == '7' ? '8' : '7';
  Outcome mistyped = (*tablet)({"recover", typo});
  EXPECT_EQ(mistyped.exit_code, 1) << mistyped.err;
  EXPECT_NE(mistyped.err.find("mistyped"), std::string::npos) << mistyped.err;
  // A well-formed key that no relay knows.
  Outcome unknown = (*tablet)({"recover", "0000-0000-0000-0000-0000-0000-0000-0000-0000"});
  EXPECT_NE(unknown.exit_code, 0);

  // The key (from the environment, as a script gives it; in lower case, as typed).
  std::string lower = key;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  tablet->env["PARLEY_RECOVERY_KEY"] = lower;
  Outcome recovered = (*tablet)({"--json", "recover"});
  tablet->env["PARLEY_RECOVERY_KEY"] = "";
  ASSERT_EQ(recovered.exit_code, 0) << recovered.err;
  auto done = recovered.Json();
  EXPECT_EQ(done["vault"].AsString(), "coalition");
  EXPECT_EQ(done["role"].AsString(), "admin");
  EXPECT_EQ(done["conflicts"].AsInt(), 1);
  EXPECT_GE(done["records"].AsInt(), 4);
  EXPECT_GT(done["changes"].AsInt(), 8);

  // Everything is there: notes, the conflict, the history.
  EXPECT_EQ(Notes(*tablet, n), notes);
  ASSERT_EQ(tablet->Json({"conflicts"})["conflicts"].size(), 1u);
  auto history_after = tablet->Json({"history", c});
  ASSERT_EQ(history_after["entries"].size(), history_before["entries"].size());
  for (std::size_t i = 0; i < history_before["entries"].size(); ++i) {
    EXPECT_EQ(history_after["entries"][i]["device"].AsString(),
              history_before["entries"][i]["device"].AsString());
  }
  (void)note1;
  (void)note2;
  // No temporary store is left in the data directory.
  for (const auto& entry : std::filesystem::directory_iterator(tablet->data_dir())) {
    EXPECT_EQ(entry.path().filename().string().rfind(".recovery-", 0), std::string::npos)
        << entry.path();
  }

  // The tablet is an admin: it revokes the lost phone and invites a new device.
  Outcome revoked = (*tablet)({"device", "revoke", "ana phone"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  auto desk = NewDevice("desk", "");
  Outcome invited = (*tablet)({"vault", "invite", PairingCode(*desk)});
  ASSERT_EQ(invited.exit_code, 0) << invited.err;
  ASSERT_EQ((*desk)({"join"}).exit_code, 0);
  EXPECT_EQ(Notes(*desk, n), notes);

  // The laptop keeps syncing with it, both ways.
  ASSERT_EQ((*laptop)({"sync"}).exit_code, 0);
  ASSERT_EQ(tablet->Id({"note", "add", n, "--text", "tablet: after the recovery"}).empty(), false);
  ASSERT_EQ((*tablet)({"sync"}).exit_code, 0);
  ASSERT_EQ(laptop->Id({"note", "add", n, "--text", "laptop: seen the tablet"}).empty(), false);
  ASSERT_EQ((*laptop)({"sync"}).exit_code, 0);
  ASSERT_EQ((*tablet)({"sync"}).exit_code, 0);
  std::set<std::string> all = notes;
  all.insert({"tablet: after the recovery", "laptop: seen the tablet"});
  EXPECT_EQ(Notes(*tablet, n), all);
  EXPECT_EQ(Notes(*laptop, n), all);

  // Rotation: a new key; the old one stops working.
  auto rotated = tablet->Json({"vault", "recovery-key", "--rotate"});
  const std::string new_key = rotated["recovery_key"].AsString();
  ASSERT_EQ(new_key.size(), 44u);
  EXPECT_NE(new_key, key);
  ASSERT_EQ(rotated["relays"].size(), 1u);
  EXPECT_TRUE(rotated["relays"][std::size_t{0}]["published"].AsBool());
  auto spare = NewDevice("spare", "");
  Outcome old_key = (*spare)({"recover", key});
  EXPECT_EQ(old_key.exit_code, 7) << old_key.err;
  EXPECT_NE(old_key.err.find("this recovery key was replaced by a newer one"), std::string::npos)
      << old_key.err;
  Outcome new_one = (*spare)({"recover", new_key});
  ASSERT_EQ(new_one.exit_code, 0) << new_one.err;
  EXPECT_NE(new_one.out.find("Recovered vault coalition"), std::string::npos) << new_one.out;
  EXPECT_EQ(Notes(*spare, n), all);
  // A device in a vault does not recover.
  Outcome again = (*spare)({"recover", new_key});
  EXPECT_EQ(again.exit_code, 6) << again.err;
}

// The relay is brought back from a copy of its data taken before the current recovery
// invite was published (here: before a rotation). The admin's next sync finds the relay's
// history went backwards and puts the member list and the recovery invite there again, so
// the newest key recovers the vault.
TEST_F(CliRecover, AfterARelayRollbackTheRecoveryInviteIsPublishedAgain) {
  std::unique_ptr<Device> phone;
  NewAdmin(phone, "ana phone");
  const std::string n = phone->Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods"});
  ASSERT_EQ((*phone)({"note", "add", n, "--text", "before the copy"}).exit_code, 0);
  ASSERT_EQ((*phone)({"sync"}).exit_code, 0);
  const std::string relay_dir = root_.Sub("relay");
  const std::string older = root_.Sub("relay-older");
  auto restart = [&] {
    Status s = relay_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    code_ = relay_->PairingCode(relay_->port());
    Outcome added = (*phone)({"relay", "add", code_});
    ASSERT_TRUE(added.exit_code == 0 || added.exit_code == 6) << added.err;
  };
  ASSERT_TRUE(relay_->Stop().ok());
  std::filesystem::remove_all(older);
  std::filesystem::copy(relay_dir, older, std::filesystem::copy_options::recursive);
  ASSERT_NO_FATAL_FAILURE(restart());

  auto rotated = phone->Json({"vault", "recovery-key", "--rotate"});
  const std::string key = rotated["recovery_key"].AsString();
  ASSERT_EQ(key.size(), 44u);
  EXPECT_TRUE(rotated["relays"][std::size_t{0}]["published"].AsBool());
  ASSERT_EQ((*phone)({"note", "add", n, "--text", "after the copy"}).exit_code, 0);
  ASSERT_EQ((*phone)({"sync"}).exit_code, 0);

  // The relay comes back from the older copy: no new invite, no new member list.
  ASSERT_TRUE(relay_->Stop().ok());
  std::filesystem::remove_all(relay_dir);
  std::filesystem::copy(older, relay_dir, std::filesystem::copy_options::recursive);
  ASSERT_NO_FATAL_FAILURE(restart());
  Outcome synced = (*phone)({"--json", "sync"});
  ASSERT_EQ(synced.exit_code, 0) << synced.out << synced.err;
  const auto faults = synced.Json()["relays"][std::size_t{0}]["relay_faults"];
  ASSERT_GE(faults.size(), 1u) << synced.out;
  EXPECT_EQ(faults[std::size_t{0}]["fault"].AsString(), "rolled_back");

  // The phone is lost; the newest key recovers everything on a new device.
  std::filesystem::remove_all(phone->data_dir());
  std::filesystem::remove_all(phone->keystore_dir());
  auto tablet = NewDevice("ana tablet", "");
  Outcome recovered = (*tablet)({"--json", "recover", key});
  ASSERT_EQ(recovered.exit_code, 0) << recovered.out << recovered.err;
  EXPECT_EQ(recovered.Json()["role"].AsString(), "admin");
  EXPECT_EQ(Notes(*tablet, n), (std::set<std::string>{"before the copy", "after the copy"}));
}

}  // namespace
}  // namespace parley::cli_test
