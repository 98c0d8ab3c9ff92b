// Tampering: a flipped byte anywhere in the key file, a database page or the WAL, and
// truncated files, must give Code::kCorrupt (or kWrongPassphrase where the passphrase cannot
// be told apart), never data and never a crash.
#include <cstring>
#include <filesystem>
#include <random>

#include "parley/keys.pb.h"
#include "store_test_util.h"

namespace parley::store {
namespace {

using testutil::kPassphrase;
using testutil::ReadAll;
using testutil::WriteAll;

class StoreTamperTest : public testutil::StoreFixture {
 protected:
  // Fills table t with `rows` rows of 300-byte values over many pages.
  static void Fill(sqlite3* db, int rows, int first = 0) {
    ASSERT_TRUE(Exec(db,
                     "CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v TEXT NOT NULL);"
                     "CREATE INDEX IF NOT EXISTS t_v ON t(v);")
                    .ok());
    Stmt ins;
    ASSERT_TRUE(ins.Prepare(db, "INSERT INTO t VALUES(?, ?)").ok());
    ASSERT_TRUE(Exec(db, "BEGIN").ok());
    for (int i = first; i < first + rows; ++i) {
      ins.Bind(1, static_cast<std::int64_t>(i))
          .Bind(2, std::string(300, static_cast<char>('a' + i % 26)) + std::to_string(i));
      ASSERT_TRUE(ins.Run().ok());
    }
    ASSERT_TRUE(Exec(db, "COMMIT").ok());
  }

  // Opens the store in `dir` and reads everything; the first error, or OK.
  Status OpenAndReadAll(const std::string& dir) {
    auto store = Store::Open(env(), key_store(), dir, kPassphrase);
    if (!store.ok()) return store.status();
    sqlite3* db = (*store)->db();
    auto check = testutil::Query(db, "PRAGMA integrity_check");
    if (!check.ok()) return check.status();
    if (check->size() != 1 || check->at(0) != "ok") {
      return Status(Domain::kStore, Code::kInternal, "integrity_check reported: " + check->at(0));
    }
    auto rows = testutil::Query(db, "SELECT count(*) || ':' || sum(length(v)) FROM t");
    if (!rows.ok()) return rows.status();
    auto by_index = testutil::Query(db, "SELECT count(*) FROM t INDEXED BY t_v WHERE v > ''");
    if (!by_index.ok()) return by_index.status();
    return (*store)->Lock();
  }

  // Restores `pristine` into `work` and flips one byte of `file` at `offset`.
  static void FlipCopy(const std::string& pristine, const std::string& work,
                       const std::string& file, std::size_t offset) {
    std::filesystem::remove_all(work);
    testutil::CopyDir(pristine, work);
    auto bytes = ReadAll(work + "/" + file);
    ASSERT_LT(offset, bytes.size());
    bytes[offset] ^= 0x01;
    WriteAll(work + "/" + file, bytes);
  }
};

TEST_F(StoreTamperTest, KeyFileFlippedAtEveryOffset) {
  CreateStore();
  const std::string key_path = data_dir() + "/keys";
  const auto pristine = ReadAll(key_path);
  ASSERT_GT(pristine.size(), 100u);
  int corrupt = 0, wrong = 0;
  for (std::size_t i = 0; i < pristine.size(); ++i) {
    for (std::uint8_t mask : {0x01, 0x80}) {
      auto bytes = pristine;
      bytes[i] ^= mask;
      WriteAll(key_path, bytes);
      auto r = Store::Open(env(), key_store(), data_dir(), kPassphrase);
      ASSERT_FALSE(r.ok()) << "flipped key file byte " << i << " opened the store";
      if (r.status().code() == Code::kCorrupt) {
        ++corrupt;
      } else {
        ASSERT_EQ(r.status().code(), Code::kWrongPassphrase) << i << ": " << r.status().ToString();
        ++wrong;
      }
    }
  }
  WriteAll(key_path, pristine);
  EXPECT_NE(OpenStore(), nullptr);
  // The checksum and the header MAC catch every flip before the passphrase is tried.
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(corrupt, static_cast<int>(pristine.size() * 2));
}

// Rewrites the key file with different header fields and a recomputed checksum, as an
// attacker who understands the format would: the MAC (keyed by the key-store secret) still
// refuses it. Format 2: magic, KeyFile, 32-byte MAC (kept), 32-byte unkeyed checksum.
TEST_F(StoreTamperTest, ParameterDowngradeWithValidChecksumRefused) {
  CreateStore();
  const std::string key_path = data_dir() + "/keys";
  const auto pristine = ReadAll(key_path);
  auto rewrite = [&](auto mutate) {
    pb::KeyFile kf;
    ASSERT_TRUE(kf.ParseFromArray(pristine.data() + 8, static_cast<int>(pristine.size() - 8 - 64)));
    mutate(kf);
    std::string body = kf.SerializeAsString();
    std::vector<std::uint8_t> out(pristine.begin(), pristine.begin() + 8);
    out.insert(out.end(), body.begin(), body.end());
    out.insert(out.end(), pristine.end() - 64, pristine.end() - 32);
    crypto::Hash sum = crypto::Blake2b256(out);
    out.insert(out.end(), sum.begin(), sum.end());
    WriteAll(key_path, out);
  };
  rewrite([](pb::KeyFile& kf) { kf.set_argon2_ops(kf.argon2_ops() + 1); });
  EXPECT_EQ(Store::Open(env(), key_store(), data_dir(), kPassphrase).status().code(),
            Code::kCorrupt);
  rewrite([](pb::KeyFile& kf) { kf.set_argon2_mem(1 << 20); });
  auto r = Store::Open(env(), key_store(), data_dir(), kPassphrase);
  EXPECT_EQ(r.status().code(), Code::kCorrupt);
  EXPECT_NE(r.status().message().find("tampered or corrupt"), std::string::npos);
  rewrite([](pb::KeyFile& kf) { kf.set_salt(std::string(16, 'x')); });
  EXPECT_EQ(Store::Open(env(), key_store(), data_dir(), kPassphrase).status().code(),
            Code::kCorrupt);
  WriteAll(key_path, pristine);
  EXPECT_NE(OpenStore(), nullptr);
}

TEST_F(StoreTamperTest, DatabaseNeverRevealsTheSqliteHeader) {
  CreateStore();
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    Fill(store->db(), 50);
  }
  auto db = ReadAll(data_dir() + "/parley.db");
  ASSERT_GE(db.size(), 4096u);
  EXPECT_NE(std::memcmp(db.data(), "SQLite format 3", 15), 0);
}

TEST_F(StoreTamperTest, FlippedByteInEveryDatabasePage) {
  CreateStore();
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    Fill(store->db(), 80);
    auto free_pages = testutil::Query(store->db(), "PRAGMA freelist_count");
    ASSERT_TRUE(free_pages.ok());
    ASSERT_EQ(free_pages->at(0), "0");  // every page is reachable by the reads below
  }
  const std::string pristine = tmp_.Sub("pristine"), work = tmp_.Sub("work");
  testutil::CopyDir(data_dir(), pristine);
  ASSERT_FALSE(std::filesystem::exists(pristine + "/parley.db-wal") &&
               std::filesystem::file_size(pristine + "/parley.db-wal") > 0);
  {
    Status s = OpenAndReadAll(pristine);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  const std::size_t size = std::filesystem::file_size(pristine + "/parley.db");
  ASSERT_EQ(size % 4096, 0u);
  const std::size_t pages = size / 4096;
  ASSERT_GE(pages, 10u);
  std::mt19937 rng(20240601);
  int tried = 0;
  for (std::size_t p = 0; p < pages; ++p) {
    auto in = [&rng](std::size_t lo, std::size_t hi) {
      return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
    };
    // Page 1's SQLite header, content, the nonce and the tag in the reserved bytes.
    std::vector<std::size_t> offsets = {in(0, 99), in(100, 4055), in(4056, 4079), in(4080, 4095)};
    if (p == 0) offsets.insert(offsets.end(), {0, 18, 20, 28, 4095});
    for (std::size_t o : offsets) {
      FlipCopy(pristine, work, "parley.db", p * 4096 + o);
      Status s = OpenAndReadAll(work);
      ASSERT_EQ(s.code(), Code::kCorrupt)
          << "page " << p << " offset " << o << ": " << s.ToString();
      ++tried;
    }
  }
  std::printf("flipped %d bytes across %zu pages: all reported corrupt\n", tried, pages);
}

TEST_F(StoreTamperTest, FlippedByteAnywhereInTheWal) {
  CreateStore();
  const std::string pristine = tmp_.Sub("pristine"), work = tmp_.Sub("work");
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(Exec(store->db(), "PRAGMA wal_autocheckpoint=0").ok());
    Fill(store->db(), 25);
    Fill(store->db(), 25, 1000);
    ASSERT_TRUE(Exec(store->db(), "UPDATE t SET v = v || 'x' WHERE k % 7 = 0").ok());
    // Copy while the connection still holds uncheckpointed frames.
    testutil::CopyDir(data_dir(), pristine);
  }
  const std::size_t wal_size = std::filesystem::file_size(pristine + "/parley.db-wal");
  ASSERT_GT(wal_size, 72u + 4 * 4160u);
  ASSERT_EQ((wal_size - 72) % 4160, 0u);
  // Unflipped, the copy opens and every row is there.
  std::filesystem::remove_all(work);
  testutil::CopyDir(pristine, work);
  {
    Status s = OpenAndReadAll(work);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  const std::size_t frames = (wal_size - 72) / 4160;
  std::mt19937 rng(7);
  std::vector<std::size_t> offsets = {0, 7, 16, 31, 32, 55, 56, 71};  // the header unit
  for (std::size_t f = 0; f < frames; ++f) {
    const std::size_t base = 72 + f * 4160;
    // Frame header (page number, db size, salts, checksums), page, nonce, tag.
    auto in = [&rng](std::size_t lo, std::size_t hi) {
      return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
    };
    for (std::size_t o :
         {in(0, 23), in(24, 4119), std::size_t{4119}, in(4120, 4143), in(4144, 4159)}) {
      offsets.push_back(base + o);
    }
  }
  // A bad last frame is indistinguishable from a write torn by a killed process (no frame of
  // the same WAL generation follows it): the log ends before it, as SQLite does for its own
  // torn writes, and the store opens whole. Every other flip is tampering.
  const std::size_t last_frame = 72 + (frames - 1) * 4160;
  std::size_t corrupt = 0, torn = 0;
  for (std::size_t o : offsets) {
    FlipCopy(pristine, work, "parley.db-wal", o);
    Status s = OpenAndReadAll(work);
    if (o >= last_frame) {
      ASSERT_TRUE(s.ok()) << "WAL offset " << o << " in the last frame: " << s.ToString();
      ++torn;
    } else {
      ASSERT_EQ(s.code(), Code::kCorrupt) << "WAL offset " << o << ": " << s.ToString();
      ++corrupt;
    }
  }
  EXPECT_EQ(torn, 5u);
  std::printf(
      "flipped %zu bytes across %zu WAL frames: %zu reported corrupt, %zu in the last frame read "
      "as a torn tail\n",
      offsets.size(), frames, corrupt, torn);
}

TEST_F(StoreTamperTest, TruncatedDatabaseIsCorrupt) {
  CreateStore();
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    Fill(store->db(), 120);
  }
  const std::string pristine = tmp_.Sub("pristine"), work = tmp_.Sub("work");
  testutil::CopyDir(data_dir(), pristine);
  const std::size_t size = std::filesystem::file_size(pristine + "/parley.db");
  for (std::size_t cut : {std::size_t{0}, std::size_t{100}, std::size_t{4096},
                          std::size_t{4096 + 17}, size / 2 / 4096 * 4096, size - 4096, size - 1}) {
    std::filesystem::remove_all(work);
    testutil::CopyDir(pristine, work);
    std::filesystem::resize_file(work + "/parley.db", cut);
    Status s = OpenAndReadAll(work);
    ASSERT_EQ(s.code(), Code::kCorrupt) << "cut at " << cut << ": " << s.ToString();
  }
  std::filesystem::remove_all(work);
  testutil::CopyDir(pristine, work);
  std::filesystem::remove(work + "/parley.db");
  EXPECT_EQ(OpenAndReadAll(work).code(), Code::kCorrupt);
}

}  // namespace
}  // namespace parley::store
