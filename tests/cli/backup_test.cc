// `parley backup`, `backup verify`, `restore` and `check` with real processes: a backup taken
// while another process writes 1,000 notes holds every note committed before it began; the
// restored device (fresh data and key-store directories, its own keys) passes its integrity
// check, enrols through the recovery key and syncs with a real relay beside the original
// device without forking anything; damaged backups and wrong secrets are refused whole.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "background_parley.h"
#include "relay_fixture.h"

namespace parley::cli_test {
namespace {

using std::chrono::seconds;

bool Has(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

class BackupCli : public CliWithRelay {
 protected:
  // The founder (with the relay pinned): its recovery key from `init --json`.
  std::unique_ptr<Device> Founder(std::string* recovery_key) {
    auto d = std::make_unique<Device>(root_.path(), "ana");
    auto init = d->Json({"init", "--name", "ana", "--vault", "coop", "--no-qr"});
    *recovery_key = init["recovery_key"].AsString();
    EXPECT_FALSE(recovery_key->empty());
    EXPECT_EQ((*d)({"relay", "add", code_}).exit_code, 0);
    return d;
  }
  static int Committed(const std::string& line) {
    return line.rfind("committed ", 0) == 0 ? std::atoi(line.c_str() + 10) : 0;
  }
};

TEST_F(BackupCli,
       BackupWhileAnotherProcessWritesRestoresEverythingCommittedBeforeAndSyncsWithoutFork) {
  std::string key;
  auto ana = Founder(&key);
  const std::string negotiation = ana->Id({"negotiation", "add", "--buyer", "Acme"});
  ASSERT_EQ((*ana)({"sync"}).exit_code, 0);

  BackgroundParley writer(*ana, {negotiation, "1000"}, PARLEY_NOTE_WRITER);
  ASSERT_TRUE(
      writer.WaitForLine([](const std::string& l) { return Committed(l) >= 50; }, seconds(120)))
      << writer.Errors();
  // Everything reported so far was committed before the backup below begins.
  int before = 0;
  {
    const std::string out = writer.Output();
    std::size_t at = 0;
    while ((at = out.find("committed ", at)) != std::string::npos)
      before = std::max(before, std::atoi(out.c_str() + (at += 10)));
  }
  const std::string file = root_.path() + "/ana.pbk";
  auto with_key = ana->env;
  with_key["PARLEY_RECOVERY_KEY"] = key;
  Device ana_key = *ana;
  ana_key.env = with_key;
  Outcome made = ana_key({"--json", "backup", file});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  ASSERT_EQ(writer.WaitExit(seconds(300)), 0) << writer.Errors();
  EXPECT_LT(before, 1000);
  const std::int64_t backed_up = made.Json()["changes"].AsInt();
  EXPECT_GE(backed_up, static_cast<std::int64_t>(before));
  std::printf("backup began after %d of 1000 notes were committed; it holds %lld changes\n", before,
              static_cast<long long>(backed_up));

  Outcome verified = ana_key({"--json", "backup", "verify", file});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_EQ(verified.Json()["changes"].AsInt(), backed_up);

  // A new machine: fresh data and key-store directories.
  Device phone(root_.path(), "phone");
  phone.env["PARLEY_RECOVERY_KEY"] = key;
  Outcome restored = phone({"--json", "restore", file, "--name", "phone"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  auto r = restored.Json();
  EXPECT_TRUE(r["enrolled"].AsBool()) << restored.out;
  EXPECT_EQ(r["changes"].AsInt(), backed_up);
  Outcome shown = phone({"--json", "negotiation", "show", negotiation});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  for (int i = 1; i <= before; ++i) {
    ASSERT_TRUE(Has(shown.out, "\"note " + std::to_string(i) + "\""))
        << "note " << i << " of " << before;
  }
  Outcome checked = phone({"--json", "check"});
  ASSERT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_TRUE(checked.Json()["ok"].AsBool());

  // The relay learns the new member from the original admin, which hears of it by a bundle
  // (the enrolment itself used no relay).
  const std::string news = root_.path() + "/phone.bundle";
  ASSERT_EQ(phone({"bundle", "export", news}).exit_code, 0);
  ASSERT_EQ((*ana)({"bundle", "import", news}).exit_code, 0);
  ASSERT_EQ((*ana)({"note", "add", negotiation, "--text", "from ana after the backup"}).exit_code,
            0);
  ASSERT_EQ(phone({"relay", "add", code_}).exit_code, 0);
  ASSERT_EQ(phone({"note", "add", negotiation, "--text", "from the restored phone"}).exit_code, 0);
  for (int round = 0; round < 2; ++round) {
    for (Device* d : {ana.get(), &phone}) {
      Outcome s = (*d)({"--json", "sync"});
      ASSERT_EQ(s.exit_code, 0) << s.err;
      auto relays = s.Json()["relays"];
      ASSERT_EQ(relays.size(), 1u);
      EXPECT_TRUE(relays[std::size_t{0}]["error"].is_null()) << s.out;
      EXPECT_EQ(relays[std::size_t{0}]["refused"].AsInt(), 0) << s.out;
    }
  }
  Outcome a_view = (*ana)({"--json", "negotiation", "show", negotiation});
  Outcome p_view = phone({"--json", "negotiation", "show", negotiation});
  EXPECT_TRUE(Has(a_view.out, "from the restored phone"));
  EXPECT_TRUE(Has(p_view.out, "from ana after the backup"));
  EXPECT_TRUE(Has(p_view.out, "\"note 1000\""));
  EXPECT_EQ((*ana)({"check"}).exit_code, 0);
  EXPECT_EQ(phone({"check"}).exit_code, 0);
}

// The only admin's phone is lost. A new phone restores its backup with the recovery key,
// offline, then pins the relay and syncs with no other admin online: the relay takes it as
// a member, and bea, a member from before, sees what it writes.
TEST_F(BackupCli, RestoredWithTheRecoveryKeySyncsWithNoOtherAdminOnline) {
  std::string key;
  auto ana = Founder(&key);
  const std::string negotiation = ana->Id({"negotiation", "add", "--buyer", "Acme"});
  ASSERT_EQ((*ana)({"note", "add", negotiation, "--text", "from ana"}).exit_code, 0);
  auto bea = NewDevice("bea", "");
  ASSERT_EQ((*ana)({"vault", "invite", PairingCode(*bea)}).exit_code, 0);
  Outcome joined = (*bea)({"join"});
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  const std::string file = root_.path() + "/ana.pbk";
  Device ana_key = *ana;
  ana_key.env["PARLEY_RECOVERY_KEY"] = key;
  ASSERT_EQ(ana_key({"backup", file}).exit_code, 0);
  // ana's phone is lost: nothing of it is left.
  std::filesystem::remove_all(ana->data_dir());
  std::filesystem::remove_all(ana->keystore_dir());

  Device phone(root_.path(), "phone");
  phone.env["PARLEY_RECOVERY_KEY"] = key;
  Outcome restored = phone({"--json", "restore", file, "--name", "phone"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_TRUE(restored.Json()["enrolled"].AsBool()) << restored.out;
  phone.env["PARLEY_RECOVERY_KEY"] = "";
  ASSERT_EQ(phone({"note", "add", negotiation, "--text", "from the restored phone"}).exit_code, 0);
  ASSERT_EQ(phone({"relay", "add", code_}).exit_code, 0);
  Outcome synced = phone({"--json", "sync"});
  ASSERT_EQ(synced.exit_code, 0) << synced.out << synced.err;
  auto relay = synced.Json()["relays"][std::size_t{0}];
  EXPECT_TRUE(relay["error"].is_null()) << synced.out;
  EXPECT_EQ(relay["refused"].AsInt(), 0) << synced.out;
  EXPECT_EQ(phone.Json({"status"})["own_unacknowledged"].AsInt(), 0);

  Outcome bea_synced = (*bea)({"--json", "sync"});
  ASSERT_EQ(bea_synced.exit_code, 0) << bea_synced.out << bea_synced.err;
  Outcome seen = (*bea)({"--json", "negotiation", "show", negotiation});
  ASSERT_EQ(seen.exit_code, 0) << seen.err;
  EXPECT_TRUE(Has(seen.out, "from the restored phone")) << seen.out;
  EXPECT_TRUE(Has(seen.out, "from ana")) << seen.out;
}

TEST_F(BackupCli, DamagedBackupsAndWrongSecretsAreRefusedWhole) {
  std::string key;
  auto ana = Founder(&key);
  const std::string negotiation = ana->Id({"negotiation", "add", "--buyer", "Acme"});
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ((*ana)({"note", "add", negotiation, "--text", "n" + std::to_string(i)}).exit_code, 0);
  const std::string file = root_.path() + "/ana.pbk";
  Device ana_key = *ana;
  ana_key.env["PARLEY_RECOVERY_KEY"] = key;
  ASSERT_EQ(ana_key({"backup", file}).exit_code, 0);
  const std::string good = ReadBytes(file);

  // A wrong recovery key (valid, another vault's) is exit 3 with a clear message.
  Device other(root_.path(), "other");
  std::string other_key =
      other.Json({"init", "--name", "o", "--vault", "x", "--no-qr"})["recovery_key"].AsString();
  Device phone(root_.path(), "phone");
  phone.env["PARLEY_RECOVERY_KEY"] = other_key;
  Outcome wrong = phone({"restore", file});
  EXPECT_EQ(wrong.exit_code, 3) << wrong.err;
  EXPECT_TRUE(Has(wrong.err, "not made with this recovery key")) << wrong.err;
  EXPECT_TRUE(FilesUnder(phone.data_dir()).empty());
  Outcome wrong_verify = phone({"backup", "verify", file});
  EXPECT_EQ(wrong_verify.exit_code, 3) << wrong_verify.err;

  // A passphrase backup and a wrong passphrase.
  Device ana_pass = *ana;
  ana_pass.env["PARLEY_BACKUP_PASSPHRASE"] = "the right backup passphrase";
  const std::string pfile = root_.path() + "/ana-pass.pbk";
  ASSERT_EQ(ana_pass({"backup", "--passphrase", pfile}).exit_code, 0);
  Device phone2(root_.path(), "phone2");
  phone2.env["PARLEY_BACKUP_PASSPHRASE"] = "not the right passphrase";
  Outcome bad_pass = phone2({"restore", pfile});
  EXPECT_EQ(bad_pass.exit_code, 3) << bad_pass.err;
  EXPECT_TRUE(Has(bad_pass.err, "wrong backup passphrase")) << bad_pass.err;
  EXPECT_TRUE(FilesUnder(phone2.data_dir()).empty());
  phone2.env["PARLEY_BACKUP_PASSPHRASE"] = "the right backup passphrase";
  Outcome restored = phone2({"--json", "restore", pfile});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_FALSE(restored.Json()["enrolled"].AsBool());
  EXPECT_FALSE(restored.Json()["pairing_code"].AsString().empty());

  // Damage: one flipped byte in the header, the key check, a frame, the last tag; cuts.
  phone.env["PARLEY_RECOVERY_KEY"] = key;
  const std::size_t spots[] = {3, 20, 80, 120, 132, 140, good.size() / 2, good.size() - 1};
  for (std::size_t at : spots) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    WriteBytes(file, bad);
    Outcome o = phone({"restore", file});
    EXPECT_NE(o.exit_code, 0) << "flip at " << at;
    EXPECT_TRUE(o.exit_code == 4 || o.exit_code == 3) << "flip at " << at << ": " << o.err;
    EXPECT_TRUE(FilesUnder(phone.data_dir()).empty()) << "flip at " << at;
  }
  for (std::size_t cut :
       {std::size_t{0}, std::size_t{100}, std::size_t{200}, good.size() - 17, good.size() - 1}) {
    WriteBytes(file, good.substr(0, cut));
    Outcome o = phone({"restore", file});
    EXPECT_EQ(o.exit_code, 4) << "cut at " << cut << ": " << o.err;
    EXPECT_TRUE(FilesUnder(phone.data_dir()).empty()) << "cut at " << cut;
    EXPECT_EQ(phone({"backup", "verify", file}).exit_code, 4);
  }
}

}  // namespace
}  // namespace parley::cli_test
