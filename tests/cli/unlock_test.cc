// The hardened unlock through the real `parley` binary: the passphrase strength floor at
// init, the wipe after N failed unlocks, the delay between failures, `passphrase change`,
// `passphrase policy`, and `sync --watch --lock-after` without a terminal.
#include <gtest/gtest.h>

#include "cli_runner.h"
#include "relay_fixture.h"

namespace parley::cli_test {
namespace {

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST(CliUnlock, WeakPassphraseIsRefusedAtInitWithItsLengthAndEstimate) {
  testing::TempDir root;
  Device d(root.path(), "a");
  d.env["PARLEY_PASSPHRASE"] = "password123";
  Outcome r = d({"init"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(Has(r.err, "passphrase too weak: 11 characters")) << r.err;
  EXPECT_TRUE(Has(r.err, "bits of estimated entropy")) << r.err;
  EXPECT_EQ(d({"status"}).exit_code, 2) << "nothing was created";
}

TEST(CliUnlock, WipesTheStoreAfterNFailedUnlocks) {
  testing::TempDir root;
  Device d(root.path(), "a");
  ASSERT_EQ(d({"init", "--wipe-after", "3"}).exit_code, 0);
  ASSERT_EQ(d({"negotiation", "add", "--buyer", "Acme"}).exit_code, 0);
  EXPECT_EQ(d.Json({"passphrase", "policy"})["wipe_after"].AsInt(), 3);
  Device wrong = d;
  wrong.env["PARLEY_PASSPHRASE"] = "not the passphrase";
  for (int i = 1; i <= 2; ++i) {
    Outcome r = wrong({"negotiation", "list"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_TRUE(Has(r.err, std::to_string(i) + " failed unlock")) << r.err;
    EXPECT_TRUE(Has(r.err, "wipes itself after 3")) << r.err;
  }
  Outcome wiped = wrong({"negotiation", "list"});
  EXPECT_EQ(wiped.exit_code, 14) << wiped.err;
  EXPECT_TRUE(Has(wiped.err, "wiped after 3 failed unlocks")) << wiped.err;
  EXPECT_TRUE(FilesUnder(d.data_dir()).empty());
  EXPECT_TRUE(FilesUnder(d.keystore_dir()).empty());
  Outcome status = d({"status"});
  EXPECT_EQ(status.exit_code, 2) << status.err;
  EXPECT_TRUE(Has(status.err, "no Parley store")) << status.err;
}

TEST(CliUnlock, SuccessResetsTheCountAndPolicyCanBeTurnedOff) {
  testing::TempDir root;
  Device d(root.path(), "a");
  ASSERT_EQ(d({"init", "--wipe-after", "2"}).exit_code, 0);
  Device wrong = d;
  wrong.env["PARLEY_PASSPHRASE"] = "not the passphrase";
  EXPECT_EQ(wrong({"status"}).exit_code, 3);
  EXPECT_EQ(d({"status"}).exit_code, 0) << "a success resets the count";
  EXPECT_EQ(wrong({"status"}).exit_code, 3);
  EXPECT_EQ(d({"passphrase", "policy", "--wipe-after", "off"}).exit_code, 0);
  EXPECT_EQ(wrong({"status"}).exit_code, 3);
  EXPECT_EQ(wrong({"status"}).exit_code, 3);
  EXPECT_EQ(d({"passphrase", "policy", "--wipe-after", "0"}).exit_code, 1);
  EXPECT_EQ(d.Json({"passphrase", "policy"})["wipe_after"].AsInt(), 0);
}

// After 3 failures each attempt waits 1 s, then 2 s...: an attempt before that is refused
// (exit 13) without trying the passphrase, even the right one.
TEST(CliUnlock, AttemptsTooSoonAfterFailuresAreRefusedWithTheWait) {
  testing::TempDir root;
  Device d(root.path(), "a");
  ASSERT_EQ(d({"init"}).exit_code, 0);
  Device wrong = d;
  wrong.env["PARLEY_PASSPHRASE"] = "not the passphrase";
  for (int i = 0; i < 3; ++i) ASSERT_EQ(wrong({"status"}).exit_code, 3);
  // Wait out the 1 s delay the third failure earned (the exit code says when it is over).
  Outcome r;
  do {
    r = wrong({"status"});
  } while (r.exit_code == 13);
  ASSERT_EQ(r.exit_code, 3) << "the fourth failure: " << r.err;
  EXPECT_TRUE(Has(r.err, "the next attempt must wait 2 s")) << r.err;
  r = d({"status"});
  EXPECT_EQ(r.exit_code, 13) << r.err;
  EXPECT_TRUE(Has(r.err, "4 failed unlocks in a row: wait ")) << r.err;
  EXPECT_TRUE(Has(r.err, "the passphrase was not tried")) << r.err;
  do {
    r = d({"status"});
  } while (r.exit_code == 13);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliUnlock, PassphraseChangeKeepsRecordsAndRetiresTheOldOne) {
  testing::TempDir root;
  Device d(root.path(), "a");
  ASSERT_EQ(d({"init"}).exit_code, 0);
  const std::string id = d.Id({"negotiation", "add", "--buyer", "Acme"});
  Device change = d;
  change.env["PARLEY_NEW_PASSPHRASE"] = "1234567890";
  Outcome weak = change({"passphrase", "change"});
  EXPECT_EQ(weak.exit_code, 1) << weak.err;
  EXPECT_TRUE(Has(weak.err, "passphrase too weak: 10 characters")) << weak.err;
  change.env["PARLEY_NEW_PASSPHRASE"] = "copper kettle winter parade";
  Outcome changed = change({"passphrase", "change"});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_TRUE(Has(changed.out, "Passphrase changed")) << changed.out;
  Outcome old = d({"negotiation", "list"});
  EXPECT_EQ(old.exit_code, 3) << old.err;
  Device renewed = d;
  renewed.env["PARLEY_PASSPHRASE"] = "copper kettle winter parade";
  Outcome listed = renewed({"negotiation", "show", id});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(Has(listed.out, "Acme")) << listed.out;
  // Without the new passphrase and without a terminal: a usage error, nothing changed.
  Device no_new = renewed;
  Outcome missing = no_new({"passphrase", "change"});
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_TRUE(Has(missing.err, "PARLEY_NEW_PASSPHRASE")) << missing.err;
  EXPECT_EQ(renewed({"status"}).exit_code, 0);
}

using CliWatchLock = CliWithRelay;

// `sync --watch --lock-after` locks the keys after the idle time; with no terminal to ask the
// passphrase on (PARLEY_PASSPHRASE is not consent) the watch ends with exit 15.
TEST_F(CliWatchLock, WatchLocksWhenIdleAndEndsWithoutATerminal) {
  auto d = NewDevice("a", "team");
  Outcome r = (*d)({"sync", "--watch", "--lock-after", "1s"});
  EXPECT_EQ(r.exit_code, 15) << r.err;
  EXPECT_TRUE(Has(r.err, "locked after 1 s idle")) << r.err;
  EXPECT_TRUE(Has(r.err, "no terminal")) << r.err;
  EXPECT_EQ((*d)({"sync", "--lock-after", "1s"}).exit_code, 1) << "--lock-after goes with --watch";
  EXPECT_EQ((*d)({"sync", "--watch", "--lock-after", "soon"}).exit_code, 1);
}

}  // namespace
}  // namespace parley::cli_test
