// Purge, forensically, with real processes: a founder (admin) and a member sync through a
// real `parley-relay`; a third device has the note and an old bundle but is offline. The
// admin runs `parley purge`; afterwards no file of any device or of the relay holds the
// note's marker, and, opened with their passphrases, no device's tables nor any change body
// (decrypted with every epoch key held) yields the marker or the record's key, and the
// relay's files no longer hold the record's key slot. The offline device then syncs and
// imports the old bundle: the note does not come back, there or anywhere.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <random>

#include "parley/change.pb.h"
#include "parley/core/store.h"
#include "parley/platform/posix_env.h"
#include "relay_fixture.h"

namespace parley::cli_test {
namespace {

bool FileHolds(const std::string& path, const std::string& needle) {
  return ReadBytes(path).find(needle) != std::string::npos;
}

std::vector<std::string> Holding(const std::vector<std::string>& files, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& f : files) {
    if (FileHolds(f, needle)) out.push_back(f);
  }
  return out;
}

// What a device's store holds, opened with its key store and passphrase (the device must
// not be running): every cell of every table, and every change body opened with every
// epoch key held.
struct Opened {
  std::vector<std::string> cells;
  std::vector<std::string> bodies;
  std::string record_key;  // log_record_keys.key of `record`, when held
  std::string slot;        // the key slot stored for `record`'s create, when held
};

Opened OpenDevice(const Device& d, const std::string& record_hex) {
  Opened out;
  Env& env = PosixEnv();
  auto key_store = NewFileKeyStore(env, d.keystore_dir());
  auto store = store::Store::Open(env, *key_store, d.data_dir(), d.env.at("PARLEY_PASSPHRASE"));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return out;
  sqlite3* db = (*store)->db();
  std::vector<std::string> tables;
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &s, nullptr);
  while (sqlite3_step(s) == SQLITE_ROW)
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  auto cell = [](sqlite3_stmt* q, int c) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(q, c));
    return p == nullptr ? std::string()
                        : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(q, c)));
  };
  for (const auto& t : tables) {
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, ("SELECT * FROM \"" + t + "\"").c_str(), -1, &q, nullptr) !=
        SQLITE_OK)
      continue;
    while (sqlite3_step(q) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(q); ++c) out.cells.push_back(cell(q, c));
    }
    sqlite3_finalize(q);
  }
  sqlite3_prepare_v2(db, "SELECT key FROM log_record_keys WHERE lower(hex(record)) = ?1", -1, &s,
                     nullptr);
  sqlite3_bind_text(s, 1, record_hex.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s) == SQLITE_ROW) out.record_key = cell(s, 0);
  sqlite3_finalize(s);
  sqlite3_prepare_v2(db,
                     "SELECT s.slots FROM log_slots s JOIN log_record_keys k ON k.cid = s.cid "
                     "WHERE lower(hex(k.record)) = ?1",
                     -1, &s, nullptr);
  sqlite3_bind_text(s, 1, record_hex.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s) == SQLITE_ROW) out.slot = cell(s, 0);
  sqlite3_finalize(s);
  sqlite3_prepare_v2(db, "SELECT header, body, signature FROM log_changes", -1, &s, nullptr);
  while (sqlite3_step(s) == SQLITE_ROW) {
    pb::ChangeHeader header;
    const std::string h = cell(s, 0), body = cell(s, 1);
    if (!header.ParseFromString(h)) continue;
    for (const auto& e : (*store)->vault()->epochs) {
      auto opened = crypto::XChaChaOpen(e.key.view(), crypto::AsBytes(header.nonce()),
                                        crypto::AsBytes(body), crypto::AsBytes(h));
      if (opened.ok()) out.bodies.emplace_back(opened->begin(), opened->end());
    }
  }
  sqlite3_finalize(s);
  EXPECT_TRUE((*store)->Lock().ok());
  return out;
}

bool AnyHolds(const std::vector<std::string>& items, const std::string& needle) {
  for (const auto& i : items) {
    if (i.find(needle) != std::string::npos) return true;
  }
  return false;
}

class CliPurge : public CliWithRelay {};

TEST_F(CliPurge, NothingOfAPurgedNoteRemainsOnAnyDeviceOrTheRelay) {
  std::mt19937_64 rng(std::random_device{}());
  const std::string marker = "PURGEMARKER" + std::to_string(rng() % 1'000'000'000'000ULL) + "qz";
  auto ana = NewDevice("ana", "coalition");
  auto bea = NewDevice("bea", "");
  auto carl = NewDevice("carl", "");
  ASSERT_EQ((*ana)({"sync"}).exit_code, 0);
  for (Device* d : {bea.get(), carl.get()}) {
    Outcome invited = (*ana)({"vault", "invite", PairingCode(*d)});
    ASSERT_EQ(invited.exit_code, 0) << invited.err;
    Outcome joined = (*d)({"join"});
    ASSERT_EQ(joined.exit_code, 0) << joined.err;
  }
  const std::string n = ana->Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods"});
  const std::string note = ana->Id({"note", "add", n, "--text", "Said in the room: " + marker});
  ASSERT_EQ((*ana)({"sync"}).exit_code, 0);
  for (Device* d : {bea.get(), carl.get()}) {
    Outcome synced = (*d)({"sync"});
    ASSERT_EQ(synced.exit_code, 0) << synced.err;
    EXPECT_NE((*d)({"negotiation", "show", n}).out.find(marker), std::string::npos);
  }
  // carl keeps an old bundle and goes offline.
  const std::string old_bundle = root_.Sub("carl-old.bundle");
  ASSERT_EQ((*carl)({"bundle", "export", old_bundle}).exit_code, 0);

  // The record's key and slot, as the devices and the relay hold them before the purge.
  const Opened before = OpenDevice(*bea, note);
  ASSERT_EQ(before.record_key.size(), 32u);
  ASSERT_EQ(before.slot.size(), 72u);
  EXPECT_FALSE(AnyHolds(before.bodies, marker));  // values are sealed under the record key
  EXPECT_FALSE(before.bodies.empty());
  const std::vector<std::string> relay_files_before = FilesUnder(root_.Sub("relay"));
  EXPECT_FALSE(Holding(relay_files_before, before.slot).empty()) << "the relay stored the slot";

  // Without a terminal and without --yes: refused.
  Outcome unconfirmed = (*ana)({"purge", note.substr(0, 8)});
  EXPECT_EQ(unconfirmed.exit_code, 1) << unconfirmed.err;
  EXPECT_NE(unconfirmed.err.find("--yes"), std::string::npos) << unconfirmed.err;
  // A member cannot purge.
  Outcome member = (*bea)({"purge", note.substr(0, 8), "--yes"});
  EXPECT_NE(member.exit_code, 0);

  auto purged = ana->Json({"purge", note.substr(0, 8), "--yes"});
  EXPECT_TRUE(purged["purged"].AsBool());
  EXPECT_TRUE(purged["key_destroyed"].AsBool());
  ASSERT_EQ(purged["relays"].size(), 1u);
  EXPECT_EQ(purged["relays"][std::size_t{0}]["slots_redacted"].AsInt(), 1);
  Outcome bea_sync = (*bea)({"sync"});
  ASSERT_EQ(bea_sync.exit_code, 0) << bea_sync.err;

  // History says who purged it and when, and nothing else.
  for (Device* d : {ana.get(), bea.get()}) {
    Outcome h = (*d)({"history", note.substr(0, 8)});
    ASSERT_EQ(h.exit_code, 0) << h.err;
    EXPECT_NE(h.out.find("purged by ana"), std::string::npos) << h.out;
    EXPECT_EQ(h.out.find(marker), std::string::npos);
    EXPECT_EQ((*d)({"negotiation", "show", n}).out.find(marker), std::string::npos);
  }

  auto check_everywhere = [&](const std::vector<Device*>& devices) {
    std::vector<std::string> files = FilesUnder(root_.Sub("relay"));
    for (Device* d : devices) {
      for (const auto& f : FilesUnder(d->data_dir())) files.push_back(f);
      for (const auto& f : FilesUnder(d->keystore_dir())) files.push_back(f);
    }
    EXPECT_TRUE(Holding(files, marker).empty()) << Holding(files, marker).front();
    // The relay's database and write-ahead log no longer hold the slot.
    const auto slot_left = Holding(FilesUnder(root_.Sub("relay")), before.slot);
    EXPECT_TRUE(slot_left.empty()) << slot_left.front();
    for (Device* d : devices) {
      SCOPED_TRACE(d->data_dir());
      const Opened after = OpenDevice(*d, note);
      EXPECT_TRUE(after.record_key.empty());
      EXPECT_FALSE(AnyHolds(after.cells, marker));
      EXPECT_FALSE(AnyHolds(after.cells, before.record_key));
      EXPECT_FALSE(AnyHolds(after.cells, before.slot));
      EXPECT_FALSE(AnyHolds(after.bodies, marker));
      EXPECT_FALSE(AnyHolds(after.bodies, before.record_key));
      EXPECT_FALSE(after.bodies.empty());
    }
  };
  check_everywhere({ana.get(), bea.get()});

  // carl comes back: syncs, then imports its old bundle. The note does not come back.
  Outcome carl_sync = (*carl)({"sync"});
  ASSERT_EQ(carl_sync.exit_code, 0) << carl_sync.err;
  Outcome imported = (*carl)({"bundle", "import", old_bundle});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  for (Device* d : {ana.get(), bea.get(), carl.get()}) {
    ASSERT_EQ((*d)({"sync"}).exit_code, 0);
    EXPECT_EQ((*d)({"negotiation", "show", n}).out.find(marker), std::string::npos);
  }
  check_everywhere({ana.get(), bea.get(), carl.get()});
  // Only the admin asked the relay to drop the slot, once: confirmed, never sent again; the
  // members that applied the purge sent nothing.
  const std::string log = relay_->Log();
  std::size_t purges = 0;
  for (std::size_t at = log.find("event=purge"); at != std::string::npos;
       at = log.find("event=purge", at + 1)) {
    ++purges;
  }
  EXPECT_EQ(purges, 1u) << log;
}

}  // namespace
}  // namespace parley::cli_test
