// Forensic: unique markers written through the store never appear in any file of the data
// directory or the key store, before or after Lock(); and a panic wipe leaves nothing behind.
#include <chrono>
#include <cstring>
#include <filesystem>

#include "store_test_util.h"

namespace parley::store {
namespace {

using testutil::kPassphrase;

class StoreForensicTest : public testutil::StoreFixture {
 protected:
  // Every marker, in the encodings SQLite could store it in.
  std::vector<std::string> Needles() const {
    std::vector<std::string> n = markers_;
    n.push_back("SQLite format 3");
    n.push_back(kPassphrase);
    return n;
  }

  // Returns "file: needle" for every hit in every file under the data and key-store dirs.
  std::vector<std::string> Scan() const {
    std::vector<std::string> hits;
    for (const auto& dir : {data_dir_, ks_dir_}) {
      for (const auto& file : testutil::ListFilesRecursive(dir)) {
        auto bytes = testutil::ReadAll(file);
        std::string_view hay(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        for (const auto& needle : Needles()) {
          if (hay.find(needle) != std::string_view::npos) hits.push_back(file + ": " + needle);
        }
      }
    }
    return hits;
  }

  std::vector<std::string> markers_ = {"MARKER-note-Zq7uWk3p", "MARKER-buyer-Fresh-Harvest-Corp-x9",
                                       "MARKER-amount-0.0175-per-pound-Y4"};
};

TEST_F(StoreForensicTest, NoPlaintextInAnyFileBeforeAndAfterLock) {
  CreateStore();
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  sqlite3* db = store->db();
  ASSERT_TRUE(Exec(db,
                   "PRAGMA wal_autocheckpoint=0;"
                   "CREATE TABLE note(id INTEGER PRIMARY KEY, text TEXT);"
                   "CREATE INDEX note_text ON note(text);"
                   "CREATE VIRTUAL TABLE note_fts USING fts5(text);")
                  .ok());
  Stmt ins, fts;
  ASSERT_TRUE(ins.Prepare(db, "INSERT INTO note(text) VALUES(?)").ok());
  ASSERT_TRUE(fts.Prepare(db, "INSERT INTO note_fts(text) VALUES(?)").ok());
  for (int round = 0; round < 20; ++round) {
    for (const auto& m : markers_) {
      ASSERT_TRUE(ins.Bind(1, m + " round " + std::to_string(round)).Run().ok());
      ASSERT_TRUE(fts.Bind(1, m).Run().ok());
    }
  }
  // A large sort and a temporary table: temp_store=MEMORY keeps them off the disk.
  auto sorted = testutil::Query(db, "SELECT text FROM note ORDER BY text DESC, id");
  ASSERT_TRUE(sorted.ok()) << sorted.status().ToString();
  ASSERT_TRUE(Exec(db, "CREATE TEMP TABLE scratch AS SELECT * FROM note").ok());
  // Frames still in the WAL (autocheckpoint is off), then some in the main file too.
  auto before = Scan();
  EXPECT_TRUE(before.empty()) << before.front();
  ASSERT_TRUE(Exec(db, "PRAGMA wal_checkpoint(PASSIVE); DELETE FROM note WHERE id % 2 = 0;").ok());
  auto mid = Scan();
  EXPECT_TRUE(mid.empty()) << mid.front();
  ASSERT_TRUE(store->Lock().ok());
  auto after = Scan();
  EXPECT_TRUE(after.empty()) << after.front();
  // The markers really went through the store.
  auto reopened = OpenStore();
  ASSERT_NE(reopened, nullptr);
  auto rows = testutil::Query(reopened->db(),
                              "SELECT count(*) FROM note_fts WHERE note_fts MATCH '\"Zq7uWk3p\"'");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->at(0), "20");
}

TEST_F(StoreForensicTest, WipeRemovesEverything) {
  CreateStore();
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(Exec(store->db(),
                     "CREATE TABLE t(v); INSERT INTO t SELECT randomblob(3000) FROM "
                     "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<3000) "
                     "SELECT x FROM c);")
                    .ok());
    ASSERT_TRUE(
        Exec(store->db(),
             "PRAGMA wal_autocheckpoint=0; UPDATE t SET v = randomblob(3000) WHERE rowid < 500")
            .ok());
    // Wiped while open: as a panic wipe from another process would find it.
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(Store::Wipe(env(), key_store(), data_dir()).ok());
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    std::printf("wiped a %s store in %lld ms\n", "~10 MB", static_cast<long long>(ms.count()));
  }
  // Whatever the closing connection may have recreated is removed by a second wipe.
  ASSERT_TRUE(Store::Wipe(env(), key_store(), data_dir()).ok());
  EXPECT_FALSE(std::filesystem::exists(data_dir()));
  EXPECT_TRUE(testutil::ListFilesRecursive(ks_dir()).empty());
  EXPECT_FALSE(Store::Exists(env(), data_dir()));
  auto r = Store::Open(env(), key_store(), data_dir(), kPassphrase);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().message().find("no store"), std::string::npos);
  EXPECT_TRUE(Store::Wipe(env(), key_store(), data_dir()).ok());  // nothing there: OK
}

TEST_F(StoreForensicTest, WipeWorksWithoutKeyStoreSecret) {
  CreateStore();
  // With the key-store secret already gone and the database unreadable, the key file is still
  // shredded and the rest removed.
  for (const auto& f : testutil::ListFilesRecursive(ks_dir()))
    ASSERT_TRUE(env().RemoveFile(f).ok());
  ASSERT_TRUE(Store::Wipe(env(), key_store(), data_dir()).ok());
  EXPECT_FALSE(std::filesystem::exists(data_dir()));
}

}  // namespace
}  // namespace parley::store
