// The background WAL checkpointer on a real SQLite file: it checkpoints when a commit leaves
// enough frames, loses nothing, and stops cleanly with work pending.
#include <sqlite3.h>

#include <filesystem>

#include "store/checkpointer.h"
#include "store/tuning.h"
#include "store_test_util.h"

namespace parley::store::internal {
namespace {

class CheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(
        sqlite3_open_v2(path_.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr),
        SQLITE_OK);
    ASSERT_TRUE(Exec(db_,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                     "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB NOT NULL);")
                    .ok());
  }
  void TearDown() override { sqlite3_close(db_); }

  // One transaction of `rows` rows of 3,000 bytes: about one page each.
  void InsertRows(int rows) {
    ASSERT_TRUE(Exec(db_, "BEGIN").ok());
    Stmt ins;
    ASSERT_TRUE(ins.Prepare(db_, "INSERT INTO t(v) VALUES(randomblob(3000))").ok());
    for (int i = 0; i < rows; ++i) {
      ASSERT_TRUE(ins.Run().ok());
      ins.Reset();
    }
    ASSERT_TRUE(Exec(db_, "COMMIT").ok());
  }
  std::int64_t Count(sqlite3* db) {
    Stmt s;
    EXPECT_TRUE(s.Prepare(db, "SELECT count(*) FROM t").ok());
    auto row = s.Step();
    return row.ok() && *row ? s.Int(0) : -1;
  }

  testing::TempDir tmp_;
  std::string path_ = tmp_.Sub("plain.db");
  sqlite3* db_ = nullptr;
};

TEST_F(CheckpointerTest, ACommitPastTheThresholdIsCheckpointedInTheBackground) {
  auto c = Checkpointer::Start(db_, path_, nullptr);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto db_size = [&] { return std::filesystem::file_size(path_); };
  const auto before = db_size();
  InsertRows(100);  // below the threshold: no request
  EXPECT_EQ((*c)->runs(), 0u);
  InsertRows(tuning::kWalAutoCheckpointPages + 100);
  ASSERT_GE((*c)->WaitForRuns(1, std::chrono::seconds(60)), 1u) << "no background checkpoint ran";
  EXPECT_EQ((*c)->failures(), 0u);
  // The frames were copied into the database file.
  EXPECT_GT(db_size(),
            before + static_cast<std::uintmax_t>(tuning::kWalAutoCheckpointPages) * 4096);
  EXPECT_EQ(Count(db_), tuning::kWalAutoCheckpointPages + 200);
}

TEST_F(CheckpointerTest, StoppingWithWorkPendingLosesNothing) {
  for (int round = 0; round < 3; ++round) {
    auto c = Checkpointer::Start(db_, path_, nullptr);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    InsertRows(tuning::kWalAutoCheckpointPages + 10);
    c->reset();  // stops at once, whatever the thread was doing
  }
  sqlite3_close(db_);
  db_ = nullptr;
  sqlite3* again = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &again, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  EXPECT_EQ(Count(again), 3 * (tuning::kWalAutoCheckpointPages + 10));
  {
    Stmt check;
    ASSERT_TRUE(check.Prepare(again, "PRAGMA integrity_check").ok());
    ASSERT_TRUE(*check.Step());
    EXPECT_EQ(check.Text(0), "ok");
  }
  sqlite3_close(again);
}

TEST_F(CheckpointerTest, AMissingFileIsAnErrorAndTheConnectionKeepsWorking) {
  auto c = Checkpointer::Start(db_, tmp_.Sub("no-such-dir/x.db"), nullptr);
  EXPECT_FALSE(c.ok());
  InsertRows(10);
  EXPECT_EQ(Count(db_), 10);
}

}  // namespace
}  // namespace parley::store::internal
