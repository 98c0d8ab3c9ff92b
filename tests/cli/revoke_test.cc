// Revoking a lost device through a real `parley-relay` process, with the `parley` command:
// four devices enrolled through the relay (ana founds the vault, bea is promoted to admin,
// carl and dana are members). `vault members` shows them; ana revokes dana with
// `device revoke`; dana's next `sync` is refused and dana wipes itself; what ana writes
// afterwards does not open with any vault key dana ever held (checked on the relay's own
// stored copy), while the others keep syncing and converge. Then concurrent revocations by
// two offline admins, of different members and of each other.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <memory>

#include "parley/change.pb.h"
#include "parley/core/store.h"
#include "parley/platform/posix_env.h"
#include "relay_fixture.h"

namespace parley::cli_test {
namespace {

using Keys = std::vector<crypto::Bytes>;

// One change as the relay stores it.
struct RelayChange {
  std::string author;  // 64 hex characters
  std::uint64_t seq = 0;
  pb::Change change;
};

// Whether `key` opens the change's body (XChaCha20-Poly1305 under the header's nonce, the
// header bytes as associated data: docs/change-format.md). Every key is tried whatever
// epoch the header names.
bool Opens(const pb::Change& change, const crypto::Bytes& key) {
  pb::ChangeHeader header;
  if (!header.ParseFromString(change.header())) return false;
  if (key.size() != crypto::kAeadKeySize || header.nonce().size() != crypto::kXNonceSize)
    return false;
  auto opened =
      crypto::XChaChaOpen(crypto::ByteView(key.data(), key.size()), crypto::AsBytes(header.nonce()),
                          crypto::AsBytes(change.body()), crypto::AsBytes(change.header()));
  return opened.ok();
}

bool OpensWithAny(const pb::Change& change, const Keys& keys) {
  return std::any_of(keys.begin(), keys.end(),
                     [&](const crypto::Bytes& k) { return Opens(change, k); });
}

class CliRevoke : public CliWithRelay {
 protected:
  // ana founds "coalition"; bea, carl and dana join through the relay; bea is promoted.
  void EnrolFour() {
    ana_ = NewDevice("ana", "coalition");
    bea_ = NewDevice("bea", "");
    carl_ = NewDevice("carl", "");
    dana_ = NewDevice("dana", "");
    ASSERT_EQ((*ana_)({"sync"}).exit_code, 0);
    for (Device* d : {bea_.get(), carl_.get(), dana_.get()}) {
      Outcome invited = (*ana_)({"vault", "invite", PairingCode(*d)});
      ASSERT_EQ(invited.exit_code, 0) << invited.err;
      Outcome joined = (*d)({"join"});
      ASSERT_EQ(joined.exit_code, 0) << joined.err;
    }
    Outcome promoted = (*ana_)({"vault", "promote", "bea"});
    ASSERT_EQ(promoted.exit_code, 0) << promoted.err;
    EXPECT_NE(promoted.out.find("Promoted bea"), std::string::npos) << promoted.out;
    EXPECT_NE(promoted.out.find("published"), std::string::npos) << promoted.out;
    for (Device* d : {bea_.get(), carl_.get(), dana_.get()}) {
      Outcome synced = (*d)({"sync"});
      ASSERT_EQ(synced.exit_code, 0) << synced.err;
    }
  }

  // Every vault key epoch a CLI device's store holds, read with the library the way the
  // command opens it (its key store and passphrase). The device must not be running.
  Keys EpochKeys(const Device& d) {
    Env& env = PosixEnv();
    auto key_store = NewFileKeyStore(env, d.keystore_dir());
    auto store = store::Store::Open(env, *key_store, d.data_dir(), d.env.at("PARLEY_PASSPHRASE"));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    Keys out;
    if (!store.ok()) return out;
    EXPECT_TRUE((*store)->vault().has_value());
    if ((*store)->vault().has_value()) {
      for (const auto& e : (*store)->vault()->epochs)
        out.emplace_back(e.key.data(), e.key.data() + e.key.size());
    }
    EXPECT_TRUE((*store)->Lock().ok());
    return out;
  }

  // Every change the relay stores, from its SQLite database (sync/relay/src/sqlite_storage.cc).
  std::vector<RelayChange> RelayChanges() {
    std::vector<RelayChange> out;
    sqlite3* db = nullptr;
    const std::string path = root_.Sub("relay") + "/relay.db";
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    EXPECT_EQ(rc, SQLITE_OK) << path;
    sqlite3_stmt* s = nullptr;
    if (rc == SQLITE_OK) {
      rc = sqlite3_prepare_v2(db, "SELECT author, author_seq, data FROM changes ORDER BY seq", -1,
                              &s, nullptr);
      EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errmsg(db);
    }
    while (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
      RelayChange c;
      const auto* author = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 0));
      c.author = crypto::ToHex(
          crypto::ByteView(author, static_cast<std::size_t>(sqlite3_column_bytes(s, 0))));
      c.seq = static_cast<std::uint64_t>(sqlite3_column_int64(s, 1));
      const auto* data = static_cast<const char*>(sqlite3_column_blob(s, 2));
      EXPECT_TRUE(c.change.ParseFromArray(data, sqlite3_column_bytes(s, 2)));
      out.push_back(std::move(c));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
  }

  // `vault members --json` as one line per member, without what differs between devices
  // (which one is "self"), sorted: name, id, role, revoked, by whom.
  std::string MemberView(const Device& d) {
    auto members = d.Json({"vault", "members"})["members"];
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < members.size(); ++i) {
      const auto& m = members[i];
      lines.push_back(
          m["name"].AsString() + " " + m["id"].AsString().substr(0, 8) + " " +
          m["role"].AsString() +
          (m["revoked"].AsBool() ? " revoked by " + m["revoked_by_name"].AsString() : " active"));
    }
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }

  // A member's entry in `vault members --json` on `d`.
  testing::json::Value Member(const Device& d, const std::string& name) {
    auto members = d.Json({"vault", "members"})["members"];
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (members[i]["name"].AsString() == name) return members[i];
    }
    ADD_FAILURE() << "no member " << name;
    return {};
  }

  // The texts of a negotiation's notes as `negotiation show --json` gives them, sorted.
  std::vector<std::string> Notes(const Device& d, const std::string& negotiation) {
    auto shown = d.Json({"negotiation", "show", negotiation});
    std::vector<std::string> out;
    for (std::size_t i = 0; i < shown["notes"].size(); ++i)
      out.push_back(shown["notes"][i]["fields"]["text"].AsString());
    std::sort(out.begin(), out.end());
    return out;
  }

  // `d` was told of its revocation by `by` (any admin when empty: a relay's notice names the
  // admin who signed the relay's list): exit 11, the sentence, and no key file or store left.
  void ExpectWipedBy(const Device& d, const Outcome& run, const std::string& by) {
    EXPECT_EQ(run.exit_code, 11) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
    if (by.empty()) {
      EXPECT_NE(run.err.find("This device was revoked from the vault by "), std::string::npos)
          << run.err;
      EXPECT_NE(run.err.find("; its keys and data have been destroyed."), std::string::npos)
          << run.err;
    } else {
      EXPECT_NE(run.err.find("This device was revoked from the vault by " + by +
                             "; its keys and data have been destroyed."),
                std::string::npos)
          << run.err;
    }
    for (const auto& f : FilesUnder(d.data_dir())) {
      EXPECT_NE(f.substr(f.rfind('/') + 1), "keys") << f;
      EXPECT_NE(f.substr(f.rfind('/') + 1), "parley.db") << f;
    }
    // Nothing left to open.
    Outcome again = d({"negotiation", "list"});
    EXPECT_EQ(again.exit_code, 2) << again.err;
  }

  // Takes the relay down, runs `offline`, brings it back on a new port and re-pins it on
  // every device given (`relay add` of a pinned key updates its address: exit 6).
  template <typename F>
  void WhileRelayIsDown(const std::vector<Device*>& devices, F offline) {
    ASSERT_TRUE(relay_->Stop().ok());
    offline();
    Status started = relay_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    code_ = wire::EncodeRelayPairingCode(
        {relay_->public_key(), "127.0.0.1:" + std::to_string(relay_->port())});
    for (Device* d : devices) {
      Outcome pinned = (*d)({"relay", "add", code_});
      ASSERT_EQ(pinned.exit_code, 6) << pinned.err;
    }
  }

  std::unique_ptr<Device> ana_, bea_, carl_, dana_;
};

TEST_F(CliRevoke, ARevokedPhoneWipesItselfAndCannotReadWhatFollows) {
  ASSERT_NO_FATAL_FAILURE(EnrolFour());
  const std::string n = ana_->Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods"});
  ASSERT_FALSE(n.empty());
  ASSERT_FALSE(
      ana_->Id({"note", "add", n, "--text", "before: wage floor agreed in principle"}).empty());
  ASSERT_EQ((*ana_)({"sync"}).exit_code, 0);
  for (Device* d : {bea_.get(), carl_.get(), dana_.get()}) ASSERT_EQ((*d)({"sync"}).exit_code, 0);

  // Everyone sees the four devices and their roles.
  for (Device* d : {ana_.get(), bea_.get(), carl_.get(), dana_.get()}) {
    auto members = d->Json({"vault", "members"})["members"];
    std::size_t devices = 0;  // the vault's recovery key is listed too, as its recovery member
    for (std::size_t i = 0; i < members.size(); ++i)
      devices += members[i]["recovery"].AsBool() ? 0 : 1;
    ASSERT_EQ(devices, 4u) << MemberView(*d);
  }
  EXPECT_EQ(Member(*ana_, "ana")["role"].AsString(), "admin");
  EXPECT_TRUE(Member(*ana_, "ana")["founder"].AsBool());
  EXPECT_TRUE(Member(*ana_, "ana")["self"].AsBool());
  EXPECT_EQ(Member(*ana_, "bea")["role"].AsString(), "admin");
  EXPECT_FALSE(Member(*ana_, "bea")["self"].AsBool());
  EXPECT_EQ(Member(*ana_, "carl")["role"].AsString(), "member");
  EXPECT_EQ(Member(*ana_, "dana")["role"].AsString(), "member");
  EXPECT_EQ(Member(*ana_, "dana")["enrolled_by_name"].AsString(), "ana");
  EXPECT_FALSE(Member(*ana_, "dana")["enrolled_at"].is_null());
  EXPECT_FALSE(Member(*ana_, "dana")["revoked"].AsBool());
  EXPECT_TRUE(Member(*dana_, "dana")["self"].AsBool());
  for (Device* d : {bea_.get(), carl_.get(), dana_.get()})
    EXPECT_EQ(MemberView(*d), MemberView(*ana_));
  Outcome table = (*carl_)({"vault", "members"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const char* word :
       {"ana", "bea", "carl", "dana", "admin", "member", "active", "* this device"}) {
    EXPECT_NE(table.out.find(word), std::string::npos) << word << "\n" << table.out;
  }

  // Every key dana ever held: it is offline from here on until its next sync.
  const Keys dana_keys = EpochKeys(*dana_);
  ASSERT_FALSE(dana_keys.empty());

  // A plain member may not revoke.
  Outcome not_admin = (*carl_)({"device", "revoke", "dana"});
  EXPECT_EQ(not_admin.exit_code, 7) << not_admin.err;

  const std::string dana_id = Member(*ana_, "dana")["id"].AsString();
  Outcome revoked = (*ana_)({"--json", "device", "revoke", dana_id.substr(0, 8)});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  auto r = revoked.Json();
  EXPECT_EQ(r["action"].AsString(), "revoke");
  EXPECT_EQ(r["device"]["name"].AsString(), "dana");
  EXPECT_TRUE(r["device"]["revoked"].AsBool());
  EXPECT_EQ(r["device"]["revoked_by_name"].AsString(), "ana");
  ASSERT_EQ(r["relays"].size(), 1u);
  EXPECT_TRUE(r["relays"][std::size_t{0}]["error"].is_null()) << revoked.out;
  EXPECT_GE(r["relays"][std::size_t{0}]["pushed"].AsInt(), 1) << revoked.out;
  // Revoking it again: not a member any more.
  EXPECT_EQ((*ana_)({"device", "revoke", "dana"}).exit_code, 2);
  // ana's newest change is the revocation; everything it writes later must be closed to dana.
  const auto revocation_seq = static_cast<std::uint64_t>(Member(*ana_, "ana")["last_seq"].AsInt());
  ASSERT_GT(revocation_seq, 0u);
  const std::string ana_id = Member(*ana_, "ana")["id"].AsString();

  ASSERT_FALSE(ana_->Id({"note", "add", n, "--text", "after: walkout planned for Friday"}).empty());
  Outcome pushed = (*ana_)({"sync"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;

  // dana's next sync: refused, and it destroys itself.
  Outcome dana_sync = (*dana_)({"sync"});
  ExpectWipedBy(*dana_, dana_sync, "ana");

  // On the relay: ana's changes after the revocation open with ana's keys, never with dana's.
  const Keys ana_keys = EpochKeys(*ana_);
  std::size_t after = 0, opened_by_ana = 0;
  for (const auto& c : RelayChanges()) {
    if (c.author != ana_id || c.seq <= revocation_seq) continue;
    ++after;
    EXPECT_FALSE(OpensWithAny(c.change, dana_keys))
        << "ana's change " << c.seq << " opens with a key dana held";
    if (OpensWithAny(c.change, ana_keys)) ++opened_by_ana;
  }
  EXPECT_GE(after, 1u);
  EXPECT_EQ(opened_by_ana, after);
  // The check can fail: what ana wrote before the revocation does open with dana's keys.
  std::size_t before_open = 0;
  for (const auto& c : RelayChanges()) {
    if (c.author == ana_id && c.seq < revocation_seq && OpensWithAny(c.change, dana_keys))
      ++before_open;
  }
  EXPECT_GE(before_open, 1u);

  // bea and carl keep syncing and converge with ana.
  for (Device* d : {bea_.get(), carl_.get()}) {
    Outcome synced = (*d)({"sync"});
    ASSERT_EQ(synced.exit_code, 0) << synced.err;
  }
  const std::vector<std::string> expected = {"after: walkout planned for Friday",
                                             "before: wage floor agreed in principle"};
  EXPECT_EQ(Notes(*ana_, n), expected);
  EXPECT_EQ(Notes(*bea_, n), expected);
  EXPECT_EQ(Notes(*carl_, n), expected);
  // carl writes; bea reads it.
  ASSERT_FALSE(carl_->Id({"note", "add", n, "--text", "carl: buyer asked for a week"}).empty());
  ASSERT_EQ((*carl_)({"sync"}).exit_code, 0);
  ASSERT_EQ((*bea_)({"sync"}).exit_code, 0);
  EXPECT_EQ(Notes(*bea_, n), Notes(*carl_, n));
  EXPECT_EQ(Notes(*bea_, n).size(), 3u);
  EXPECT_EQ(MemberView(*bea_), MemberView(*ana_));
  EXPECT_EQ(MemberView(*carl_), MemberView(*ana_));
  EXPECT_TRUE(Member(*carl_, "dana")["revoked"].AsBool());
  EXPECT_EQ(Member(*carl_, "dana")["revoked_by_name"].AsString(), "ana");
  EXPECT_FALSE(Member(*carl_, "dana")["revoked_at"].is_null());
  Outcome shown = (*carl_)({"vault", "members"});
  EXPECT_NE(shown.out.find("revoked by ana on "), std::string::npos) << shown.out;
}

TEST_F(CliRevoke, AdminsRulesAreClearOnTheCommandLine) {
  ASSERT_NO_FATAL_FAILURE(EnrolFour());
  // The last admin cannot be demoted: bea steps down, then ana cannot.
  Outcome bea_down = (*ana_)({"vault", "demote", "bea"});
  ASSERT_EQ(bea_down.exit_code, 0) << bea_down.err;
  EXPECT_NE(bea_down.out.find("Demoted bea"), std::string::npos) << bea_down.out;
  Outcome last = (*ana_)({"vault", "demote", "ana"});
  EXPECT_EQ(last.exit_code, 12) << last.err;
  EXPECT_TRUE(last.out.empty()) << last.out;
  EXPECT_EQ(last.err.rfind("parley: ", 0), 0u) << last.err;
  // A plain member may not promote; ana revoking itself is refused; unknown names.
  EXPECT_EQ((*carl_)({"vault", "promote", "carl"}).exit_code, 7);
  Outcome self = (*ana_)({"device", "revoke", "ana"});
  EXPECT_EQ(self.exit_code, 1) << self.err;
  EXPECT_NE(self.err.find("cannot revoke itself"), std::string::npos) << self.err;
  EXPECT_EQ((*ana_)({"device", "revoke", "nobody"}).exit_code, 2);
  EXPECT_EQ((*ana_)({"device", "revoke"}).exit_code, 1);
  Outcome help = (*ana_)({"device", "revoke", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: parley device revoke DEVICE"), std::string::npos) << help.out;
  // JSON of promote: the member after the change and the relay's result.
  Outcome promoted = (*ana_)({"--json", "vault", "promote", "carl"});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.err;
  auto j = promoted.Json();
  EXPECT_EQ(j["action"].AsString(), "promote");
  EXPECT_EQ(j["device"]["role"].AsString(), "admin");
  ASSERT_EQ(j["relays"].size(), 1u);
  EXPECT_TRUE(j["relays"][std::size_t{0}]["error"].is_null()) << promoted.out;
}

// Two offline admins revoke different members: both revocations hold, a healed epoch keeps
// what is written next from both revoked devices, and every remaining device agrees.
TEST_F(CliRevoke, ConcurrentRevocationsOfDifferentMembersBothHold) {
  ASSERT_NO_FATAL_FAILURE(EnrolFour());
  const Keys carl_keys = EpochKeys(*carl_);
  const Keys dana_keys = EpochKeys(*dana_);
  ASSERT_NO_FATAL_FAILURE(WhileRelayIsDown({ana_.get(), bea_.get(), carl_.get(), dana_.get()}, [&] {
    Outcome a = (*ana_)({"device", "revoke", "carl"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_NE(a.out.find("not published"), std::string::npos) << a.out;
    Outcome b = (*bea_)({"device", "revoke", "dana"});
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_NE(b.out.find("not published"), std::string::npos) << b.out;
  }));
  // Each admin syncs in turn; ana once more to hear of bea's.
  for (Device* d : {ana_.get(), bea_.get(), ana_.get()}) {
    Outcome synced = (*d)({"sync"});
    ASSERT_EQ(synced.exit_code, 0) << synced.err;
  }
  // Both hear of it from the relay's notice, signed by whichever admin published last.
  ExpectWipedBy(*carl_, (*carl_)({"sync"}), "");
  ExpectWipedBy(*dana_, (*dana_)({"sync"}), "");
  EXPECT_EQ(MemberView(*ana_), MemberView(*bea_));
  EXPECT_TRUE(Member(*ana_, "carl")["revoked"].AsBool());
  EXPECT_EQ(Member(*ana_, "carl")["revoked_by_name"].AsString(), "ana");
  EXPECT_TRUE(Member(*ana_, "dana")["revoked"].AsBool());
  EXPECT_EQ(Member(*ana_, "dana")["revoked_by_name"].AsString(), "bea");
  EXPECT_EQ(Member(*bea_, "ana")["role"].AsString(), "admin");
  EXPECT_EQ(Member(*ana_, "bea")["role"].AsString(), "admin");

  // What is written now is under the healed epoch: neither revoked device's keys open it.
  const std::string ana_id = Member(*ana_, "ana")["id"].AsString();
  const auto last = static_cast<std::uint64_t>(Member(*ana_, "ana")["last_seq"].AsInt());
  ASSERT_FALSE(ana_->Id({"negotiation", "add", "--buyer", "Blue Harvest"}).empty());
  ASSERT_EQ((*ana_)({"sync"}).exit_code, 0);
  const Keys ana_keys = EpochKeys(*ana_);
  std::size_t checked = 0;
  for (const auto& c : RelayChanges()) {
    if (c.author != ana_id || c.seq <= last) continue;
    ++checked;
    EXPECT_TRUE(OpensWithAny(c.change, ana_keys));
    EXPECT_FALSE(OpensWithAny(c.change, carl_keys)) << "change " << c.seq;
    EXPECT_FALSE(OpensWithAny(c.change, dana_keys)) << "change " << c.seq;
  }
  EXPECT_GE(checked, 1u);
  ASSERT_EQ((*bea_)({"sync"}).exit_code, 0);
  EXPECT_EQ(bea_->Json({"negotiation", "list"})["negotiations"].size(), 1u);
}

// Two offline admins revoke each other: the earlier revocation in clock order wins, on every
// device, whichever order the changes reach it in.
TEST_F(CliRevoke, AdminsRevokingEachOtherTheEarlierWins) {
  ASSERT_NO_FATAL_FAILURE(EnrolFour());
  const std::string bundle = root_.Sub("bea.parley");
  ASSERT_NO_FATAL_FAILURE(WhileRelayIsDown({ana_.get(), bea_.get(), carl_.get(), dana_.get()}, [&] {
    // ana first, then bea (separate processes: bea's clock reads later).
    ASSERT_EQ((*ana_)({"device", "revoke", "bea"}).exit_code, 0);
    ASSERT_EQ((*bea_)({"device", "revoke", "ana"}).exit_code, 0);
    // carl hears of bea's (the later) first, by bundle: for now ana looks revoked to carl.
    ASSERT_EQ((*bea_)({"bundle", "export", bundle}).exit_code, 0);
    Outcome imported = (*carl_)({"bundle", "import", bundle});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    EXPECT_TRUE(Member(*carl_, "ana")["revoked"].AsBool());
  }));
  ASSERT_EQ((*ana_)({"sync"}).exit_code, 0);
  // The relay refuses bea, but its list is signed by ana, whom bea itself revoked: a relay's
  // word alone wipes nothing.
  Outcome refused = (*bea_)({"sync"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.exit_code, 11) << refused.err;
  EXPECT_NE(refused.err.find("cannot verify"), std::string::npos) << refused.err;
  EXPECT_TRUE(Member(*bea_, "ana")["revoked"].AsBool());
  // A bundle from ana carries ana's earlier revocation: bea wipes itself.
  const std::string from_ana = root_.Sub("ana.parley");
  ASSERT_EQ((*ana_)({"bundle", "export", from_ana}).exit_code, 0);
  ExpectWipedBy(*bea_, (*bea_)({"bundle", "import", from_ana}), "ana");
  for (Device* d : {carl_.get(), dana_.get(), ana_.get()}) {
    Outcome synced = (*d)({"sync"});
    ASSERT_EQ(synced.exit_code, 0) << synced.err;
  }
  for (Device* d : {ana_.get(), carl_.get(), dana_.get()}) {
    EXPECT_FALSE(Member(*d, "ana")["revoked"].AsBool()) << MemberView(*d);
    EXPECT_EQ(Member(*d, "ana")["role"].AsString(), "admin");
    EXPECT_TRUE(Member(*d, "bea")["revoked"].AsBool()) << MemberView(*d);
    EXPECT_EQ(Member(*d, "bea")["revoked_by_name"].AsString(), "ana");
  }
  EXPECT_EQ(MemberView(*carl_), MemberView(*ana_));
  EXPECT_EQ(MemberView(*dana_), MemberView(*ana_));
  // And the vault goes on: ana writes, carl and dana read it.
  const std::string n = ana_->Id({"negotiation", "add", "--buyer", "Acme Apparel"});
  ASSERT_FALSE(n.empty());
  ASSERT_EQ((*ana_)({"sync"}).exit_code, 0);
  for (Device* d : {carl_.get(), dana_.get()}) {
    ASSERT_EQ((*d)({"sync"}).exit_code, 0);
    EXPECT_EQ(d->Json({"negotiation", "show", n})["negotiation"]["fields"]["buyer"].AsString(),
              "Acme Apparel");
  }
}

}  // namespace
}  // namespace parley::cli_test
