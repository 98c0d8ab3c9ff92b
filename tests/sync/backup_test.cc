// Device::Backup / VerifyBackup / RestoreBackup / CheckIntegrity over real store files:
// restore with a fresh identity, enrolment through the recovery member and through a normal
// invite, and refusal of damaged, truncated or wrongly keyed backups (nothing created).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "device_fixture.h"

namespace parley::testing {
namespace {

constexpr std::string_view kBackupPass = "a long backup passphrase";

std::vector<char> Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}
void Spill(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::string> NoteTexts(Device& d) {
  std::vector<std::string> out;
  auto negotiations = d.model().Negotiations();
  EXPECT_TRUE(negotiations.ok());
  for (const auto& n : *negotiations) {
    auto overview = d.model().Overview(n.id);
    EXPECT_TRUE(overview.ok());
    for (const auto& r : overview->notes) out.push_back(r.get("text"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

class BackupTest : public DeviceFixture {
 protected:
  std::unique_ptr<Device> Blank(const std::string& dir) {
    DeviceOptions o;
    o.env = &env_;
    o.key_store = &keys_;
    o.data_dir = dir_.path() + "/" + dir;
    auto d = Device::Open(o);
    EXPECT_TRUE(d.ok());
    return std::move(d).value();
  }
  RestoreOptions Options(const recovery::RecoveryKey* enrol = nullptr) {
    RestoreOptions o;
    o.create.argon2 = crypto::MinimumArgon2Params();
    o.enrol_with = enrol;
    return o;
  }
  // A vault whose founder wrote `notes` notes.
  std::unique_ptr<Device> Founder(int notes) {
    auto a = Make("ana", "Coop");
    auto n = a->model().AddNegotiation({"Acme", "2027"});
    EXPECT_TRUE(n.ok());
    for (int i = 0; i < notes; ++i) {
      EXPECT_TRUE(
          a->model().AddNote(*n, model::NoteInput{std::nullopt, "note " + std::to_string(i)}).ok());
    }
    return a;
  }
  std::string Path(const std::string& name) { return dir_.path() + "/" + name; }
};

TEST_F(BackupTest, PassphraseBackupRestoresEveryChangeAndJoinsThroughAnInvite) {
  auto a = Founder(25);
  auto made = a->Backup(Path("a.pbk"), backup::BackupSecret::Passphrase(kBackupPass),
                        crypto::MinimumArgon2Params());
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->summary.kind, backup::SecretKind::kPassphrase);

  auto info =
      Device::VerifyBackup(env_, Path("a.pbk"), backup::BackupSecret::Passphrase(kBackupPass));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->summary.changes, made->summary.changes);
  EXPECT_EQ(info->device_name, "ana");

  auto b = Blank("restored");
  auto r = b->RestoreBackup(Path("a.pbk"), backup::BackupSecret::Passphrase(kBackupPass), Options(),
                            kDevicePass);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->enrolled);
  EXPECT_EQ(r->changes, made->summary.changes);
  EXPECT_EQ(NoteTexts(*b), NoteTexts(*a));
  EXPECT_EQ(NoteTexts(*b).size(), 25u);
  auto check = b->CheckIntegrity();
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok()) << check->problems.front();
  EXPECT_EQ(check->changes, made->summary.changes);
  // Not a member: it cannot write yet.
  auto negotiations = b->model().Negotiations();
  ASSERT_TRUE(negotiations.ok());
  EXPECT_FALSE(b->model()
                   .AddNote(negotiations->front().id, model::NoteInput{std::nullopt, "too early"})
                   .ok());
  // An admin enrols it with the normal invite; it joins though it holds the vault already.
  auto invite = a->Invite(r->pairing_code);
  ASSERT_TRUE(invite.ok()) << invite.status().ToString();
  auto joined = b->JoinWithInvite(invite->invite);
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  ASSERT_TRUE(
      b->model()
          .AddNote(negotiations->front().id, model::NoteInput{std::nullopt, "from the restored"})
          .ok());
  auto members = b->Members();
  ASSERT_TRUE(members.ok());
  bool self_member = false;
  for (const auto& m : *members) self_member = self_member || (m.is_self && !m.revoked);
  EXPECT_TRUE(self_member);
}

TEST_F(BackupTest, RecoveryKeyRestoreEnrolsThroughTheRecoveryMemberAndSyncsWithoutFork) {
  const auto key = recovery::RecoveryKey::Generate();
  auto a = Founder(10);
  // The recovery member: an admin whose keys derive from the recovery key (here enrolled by
  // hand; a vault created with a recovery key has one from the start).
  {
    DeviceOptions o;
    o.env = &env_;
    o.key_store = &keys_;
    o.data_dir = Path("paper");
    auto r = Device::Open(o);
    ASSERT_TRUE(r.ok());
    CreateOptions c;
    c.device_name = "recovery";
    c.argon2 = crypto::MinimumArgon2Params();
    c.identity_from = &key;
    ASSERT_TRUE((*r)->Create(c, kDevicePass).ok());
    auto code = (*r)->PairingCode();
    ASSERT_TRUE(code.ok());
    auto invite = a->Invite(*code);
    ASSERT_TRUE(invite.ok()) << invite.status().ToString();
    ASSERT_TRUE((*r)->JoinWithInvite(invite->invite).ok());
    ASSERT_TRUE(a->Promote("recovery").ok());
    ASSERT_TRUE((*r)->Wipe().ok());  // it exists only on paper
  }
  std::string relay_code;
  auto relay = Relay("r1", &relay_code);
  ASSERT_TRUE(a->AddRelay(relay_code).ok());
  ASSERT_TRUE(a->Sync().ok());

  auto made = a->Backup(Path("a.pbk"), backup::BackupSecret::Recovery(key));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto b = Blank("restored");
  auto r = b->RestoreBackup(Path("a.pbk"), backup::BackupSecret::Recovery(key), Options(&key),
                            kDevicePass);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->enrolled) << r->not_enrolled_reason;
  // The recovery member's temporary store is gone.
  auto left = env_.ListDir(Path("restored"));
  ASSERT_TRUE(left.ok());
  for (const auto& name : *left) EXPECT_NE(name.rfind(".recovery-", 0), 0u) << name;
  auto check = b->CheckIntegrity();
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok());

  // Both devices write and sync: the restored one has its own chain, nothing forks.
  auto negotiations = b->model().Negotiations();
  ASSERT_TRUE(negotiations.ok());
  ASSERT_TRUE(b->model()
                  .AddNote(negotiations->front().id, model::NoteInput{std::nullopt, "restored"})
                  .ok());
  ASSERT_TRUE(a->model()
                  .AddNote(negotiations->front().id, model::NoteInput{std::nullopt, "original"})
                  .ok());
  auto members = b->Members();
  ASSERT_TRUE(members.ok());
  bool admin = false;
  for (const auto& m : *members) admin = admin || (m.is_self && m.admin);
  EXPECT_TRUE(admin);
  // The relay learns the new member from an admin that knows it: here the original device,
  // from a bundle the restored one wrote (no relay involved in the enrolment itself).
  ASSERT_TRUE(b->ExportBundle(Path("news.bundle")).ok());
  ASSERT_TRUE(a->ImportBundle(Path("news.bundle")).ok());
  ASSERT_TRUE(a->Sync().ok());
  ASSERT_TRUE(b->AddRelay(relay_code).ok());
  for (int round = 0; round < 2; ++round) {
    for (Device* d : {b.get(), a.get()}) {
      auto s = d->Sync();
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      for (const auto& rr : s->relays) {
        EXPECT_TRUE(rr.status.ok()) << rr.status.ToString();
        EXPECT_EQ(rr.refused, 0u);
      }
    }
  }
  EXPECT_EQ(NoteTexts(*a), NoteTexts(*b));
  EXPECT_EQ(NoteTexts(*a).size(), 12u);
  auto conflicts = a->model().Negotiations();
  ASSERT_TRUE(conflicts.ok());
}

TEST_F(BackupTest, BackupsCarryRecordKeysAndNeverUndoAPurge) {
  auto a = Founder(3);
  auto negotiations = a->model().Negotiations();
  ASSERT_TRUE(negotiations.ok());
  auto overview = a->model().Overview(negotiations->front().id);
  ASSERT_TRUE(overview.ok());
  std::optional<log::RecordId> doomed;
  for (const auto& r : overview->notes) {
    if (r.get("text") == "note 0") doomed = r.id;
  }
  ASSERT_TRUE(doomed.has_value());
  const auto pass = backup::BackupSecret::Passphrase(kBackupPass);
  const auto argon2 = crypto::MinimumArgon2Params();
  ASSERT_TRUE(a->Backup(Path("before.pbk"), pass, argon2).ok());
  ASSERT_TRUE(a->ExportBundle(Path("old.bundle")).ok());
  auto purged = a->Purge(*doomed);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  ASSERT_TRUE(a->Backup(Path("after.pbk"), pass, argon2).ok());
  ASSERT_TRUE(a->ExportBundle(Path("purge.bundle")).ok());

  // Taken before the purge: every value reads (the record keys travel in the backup).
  auto early = Blank("early");
  ASSERT_TRUE(early->RestoreBackup(Path("before.pbk"), pass, Options(), kDevicePass).ok());
  EXPECT_EQ(NoteTexts(*early), (std::vector<std::string>{"note 0", "note 1", "note 2"}));
  // ... until the purge reaches it, as any device that was offline.
  auto imported = early->ImportBundle(Path("purge.bundle"));
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(NoteTexts(*early), (std::vector<std::string>{"note 1", "note 2"}));

  // Taken after it: the purged note is not in it, and the others read.
  auto late = Blank("late");
  ASSERT_TRUE(late->RestoreBackup(Path("after.pbk"), pass, Options(), kDevicePass).ok());
  EXPECT_EQ(NoteTexts(*late), (std::vector<std::string>{"note 1", "note 2"}));
  auto check = late->CheckIntegrity();
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok());
  // A bundle from before the purge does not bring it back either.
  auto old = late->ImportBundle(Path("old.bundle"));
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(NoteTexts(*late), (std::vector<std::string>{"note 1", "note 2"}));
}

// The vault's only admin is lost; a device restored from its backup with the recovery key
// (offline: the enrolment asks no relay) then syncs on its own, with no other admin ever
// online again: the relay takes it as a member on the recovery member's word, and a member
// that was already there sees what it writes.
TEST_F(BackupTest, RecoveryKeyRestoreSyncsOnItsOwnWithNoOtherAdminOnline) {
  std::string relay_code;
  auto relay = Relay("r1", &relay_code);
  auto a = Make("ana", "Coop");
  auto key_text = a->TakeRecoveryKey();
  ASSERT_TRUE(key_text.ok()) << key_text.status().ToString();
  auto key = recovery::RecoveryKey::Parse(*key_text);
  ASSERT_TRUE(key.ok());
  auto n = a->model().AddNegotiation({"Acme", "2027"});
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE(a->model().AddNote(*n, model::NoteInput{std::nullopt, "before"}).ok());
  ASSERT_TRUE(a->AddRelay(relay_code).ok());
  ASSERT_TRUE(a->Sync().ok());
  // bea, a member (not an admin), joins through the relay.
  auto bea = Make("bea", "");
  auto bea_code = bea->PairingCode();
  ASSERT_TRUE(bea_code.ok());
  auto invite = a->Invite(*bea_code);
  ASSERT_TRUE(invite.ok()) << invite.status().ToString();
  ASSERT_TRUE(a->Sync().ok());
  ASSERT_TRUE(bea->JoinWithInvite(invite->invite).ok());
  ASSERT_TRUE(bea->AddRelay(relay_code).ok());
  auto bea_first = bea->Sync();
  ASSERT_TRUE(bea_first.ok() && bea_first->any_ok());

  ASSERT_TRUE(a->Backup(Path("a.pbk"), backup::BackupSecret::Recovery(*key)).ok());
  ASSERT_TRUE(a->Wipe().ok());  // ana's phone is lost
  a.reset();

  auto b = Blank("restored");
  auto r = b->RestoreBackup(Path("a.pbk"), backup::BackupSecret::Recovery(*key), Options(&*key),
                            kDevicePass);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->enrolled) << r->not_enrolled_reason;
  ASSERT_TRUE(b->model().AddNote(*n, model::NoteInput{std::nullopt, "restored"}).ok());
  ASSERT_TRUE(b->AddRelay(relay_code).ok());
  auto synced = b->Sync();
  ASSERT_TRUE(synced.ok()) << synced.status().ToString();
  ASSERT_EQ(synced->relays.size(), 1u);
  EXPECT_TRUE(synced->relays[0].status.ok()) << synced->relays[0].status.ToString();
  EXPECT_EQ(synced->relays[0].refused, 0u);
  auto status = b->SyncStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->own_unacknowledged(), 0u);

  auto bea_synced = bea->Sync();
  ASSERT_TRUE(bea_synced.ok()) << bea_synced.status().ToString();
  ASSERT_TRUE(bea_synced->any_ok()) << bea_synced->relays[0].status.ToString();
  EXPECT_EQ(bea_synced->relays[0].refused, 0u);
  EXPECT_EQ(NoteTexts(*bea), (std::vector<std::string>{"before", "restored"}));
  // The restored device is an admin the relay knows: it invites a new device through it.
  auto carl = Make("carl", "");
  auto carl_code = carl->PairingCode();
  ASSERT_TRUE(carl_code.ok());
  auto carl_invite = b->Invite(*carl_code);
  ASSERT_TRUE(carl_invite.ok()) << carl_invite.status().ToString();
  ASSERT_TRUE(b->Sync().ok());
  ASSERT_TRUE(carl->JoinWithInvite(carl_invite->invite).ok());
  ASSERT_TRUE(carl->AddRelay(relay_code).ok());
  auto carl_synced = carl->Sync();
  ASSERT_TRUE(carl_synced.ok() && carl_synced->any_ok());
  EXPECT_EQ(NoteTexts(*carl), (std::vector<std::string>{"before", "restored"}));
}

TEST_F(BackupTest, WrongSecretsAreClearErrors) {
  const auto key = recovery::RecoveryKey::Generate();
  const auto other = recovery::RecoveryKey::Generate();
  auto a = Founder(3);
  ASSERT_TRUE(a->Backup(Path("k.pbk"), backup::BackupSecret::Recovery(key)).ok());
  ASSERT_TRUE(a->Backup(Path("p.pbk"), backup::BackupSecret::Passphrase(kBackupPass),
                        crypto::MinimumArgon2Params())
                  .ok());

  auto wrong_key = Device::VerifyBackup(env_, Path("k.pbk"), backup::BackupSecret::Recovery(other));
  EXPECT_EQ(wrong_key.status().code(), Code::kWrongPassphrase);
  EXPECT_NE(wrong_key.status().message().find("not made with this recovery key"),
            std::string::npos);
  auto wrong_pass = Device::VerifyBackup(
      env_, Path("p.pbk"), backup::BackupSecret::Passphrase("another long passphrase"));
  EXPECT_EQ(wrong_pass.status().code(), Code::kWrongPassphrase);
  EXPECT_NE(wrong_pass.status().message().find("wrong backup passphrase"), std::string::npos);
  auto kind = Device::VerifyBackup(env_, Path("p.pbk"), backup::BackupSecret::Recovery(key));
  EXPECT_EQ(kind.status().code(), Code::kInvalidArgument);
  auto short_pass = a->Backup(Path("s.pbk"), backup::BackupSecret::Passphrase("short"));
  EXPECT_EQ(short_pass.status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(env_.FileExists(Path("s.pbk")));

  auto b = Blank("restored");
  auto r = b->RestoreBackup(Path("k.pbk"), backup::BackupSecret::Recovery(other), Options(&other),
                            kDevicePass);
  EXPECT_EQ(r.status().code(), Code::kWrongPassphrase);
  EXPECT_FALSE(Device::Exists(env_, Path("restored")));
}

TEST_F(BackupTest, TamperedOrTruncatedBackupsAreRefusedWholeAndLeaveNoStore) {
  const auto key = recovery::RecoveryKey::Generate();
  auto a = Founder(400);  // several chunks are not needed: each frame's regions are
  auto made = a->Backup(Path("good.pbk"), backup::BackupSecret::Recovery(key));
  ASSERT_TRUE(made.ok());
  const std::vector<char> good = Slurp(Path("good.pbk"));
  ASSERT_EQ(good.size(), made->summary.bytes);
  // Frame boundaries, from the lengths.
  std::vector<std::size_t> frames;  // offsets of each frame's length
  for (std::size_t at = 132; at < good.size();) {
    frames.push_back(at);
    std::uint32_t len = 0;
    for (int i = 0; i < 4; ++i)
      len |= static_cast<std::uint32_t>(
                 static_cast<std::uint8_t>(good[at + static_cast<std::size_t>(i)]))
             << (8 * i);
    at += 4 + len;
  }
  ASSERT_GE(frames.size(), 3u);  // manifest, changes, end
  std::vector<std::pair<std::string, std::size_t>> flips = {
      {"magic", 0}, {"version", 8},        {"kind", 9},       {"argon2", 12},
      {"salt", 30}, {"stream header", 50}, {"key check", 70}, {"header hash", 110}};
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const std::size_t at = frames[i];
    const std::size_t end = i + 1 < frames.size() ? frames[i + 1] : good.size();
    flips.push_back({"frame " + std::to_string(i) + " length", at});
    flips.push_back({"frame " + std::to_string(i) + " ciphertext", at + 4 + (end - at - 4) / 2});
    flips.push_back({"frame " + std::to_string(i) + " tag", end - 1});
  }
  std::vector<std::size_t> cuts = {
      0, 10, 131, 132, 140, frames[1], frames[1] + 50, frames.back(), good.size() - 1};
  int tries = 0;
  auto refused = [&](const std::vector<char>& bytes, const std::string& what) {
    const std::string path = Path("bad.pbk");
    Spill(path, bytes);
    auto v = Device::VerifyBackup(env_, path, backup::BackupSecret::Recovery(key));
    EXPECT_FALSE(v.ok()) << what;
    EXPECT_TRUE(v.status().code() == Code::kCorrupt ||
                v.status().code() == Code::kWrongPassphrase ||
                v.status().code() == Code::kInvalidArgument)
        << what << ": " << v.status().ToString();
    auto b = Blank("r" + std::to_string(tries++));
    auto r =
        b->RestoreBackup(path, backup::BackupSecret::Recovery(key), Options(&key), kDevicePass);
    EXPECT_FALSE(r.ok()) << what;
    EXPECT_FALSE(Device::Exists(env_, b->data_dir())) << what;
  };
  for (const auto& [what, at] : flips) {
    std::vector<char> bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    refused(bad, "flip in " + what);
  }
  for (std::size_t cut : cuts) {
    refused(std::vector<char>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut)),
            "cut at " + std::to_string(cut));
  }
  std::vector<char> longer = good;
  longer.push_back('x');
  refused(longer, "a trailing byte");
  // Damage in a frame is "tampered", not "wrong key".
  std::vector<char> bad = good;
  bad[frames[1] + 10] ^= 0x40;
  Spill(Path("bad.pbk"), bad);
  EXPECT_EQ(Device::VerifyBackup(env_, Path("bad.pbk"), backup::BackupSecret::Recovery(key))
                .status()
                .code(),
            Code::kCorrupt);
}

}  // namespace
}  // namespace parley::testing
