// Bundles between real encrypted stores in temporary directories.
#include "parley/core/bundle.h"

#include "log_test_util.h"
#include "parley/platform/posix_env.h"
#include "support/temp_dir.h"

namespace parley::logtest {
namespace {

struct FileDevice {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<log::Replica> replica;
};

class Bundles : public ::testing::Test {
 protected:
  testing::TempDir dir;
  testing::FakeClock clock;
  testing::MemoryKeyStore keys;
  Env& env = PosixEnv();

  FileDevice Open(const std::string& name) {
    store::StoreOptions o;
    o.data_dir = dir.Sub(name);
    o.argon2 = crypto::MinimumArgon2Params();
    o.device_name = name;
    EXPECT_TRUE(store::Store::Create(env, keys, o, "pass").ok());
    auto s = store::Store::Open(env, keys, o.data_dir, "pass");
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    FileDevice d;
    d.store = std::move(s).value();
    d.replica = std::move(log::Replica::Open(*d.store, clock)).value();
    return d;
  }
  // a creates the vault, invites b, and writes three notes.
  void SetUpPair(FileDevice& a, FileDevice& b) {
    ASSERT_TRUE(a.replica->CreateVault("team").ok());
    auto invite = a.replica->Invite(b.replica->DevicePairingCode());
    ASSERT_TRUE(invite.ok());
    ASSERT_TRUE(b.replica->AcceptInvite(*invite).ok());
    for (int i = 0; i < 3; ++i) {
      auto tx = a.replica->Begin();
      auto id = (*tx)->Create("note");
      ASSERT_TRUE((*tx)->Set(*id, "text", "note " + std::to_string(i)).ok());
      ASSERT_TRUE((*tx)->Commit().ok());
    }
  }
};

TEST_F(Bundles, ExportImportIsIdempotent) {
  FileDevice a = Open("a"), b = Open("b");
  SetUpPair(a, b);
  const std::string path = dir.Sub("out.bundle");
  auto summary = bundle::ExportBundle(*a.replica, *a.store, env, path);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->changes, 5u);
  auto file = env.ReadFile(path);
  ASSERT_TRUE(file.ok());
  const std::string bytes(file->begin(), file->end());
  EXPECT_EQ(bytes.find("note 1"), std::string::npos);  // nothing readable
  auto r = bundle::ImportBundle(*b.replica, *b.store, env, path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->applied, 3u);
  EXPECT_EQ(b.replica->List("note")->size(), 3u);
  auto again = bundle::ImportBundle(*b.replica, *b.store, env, path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->applied, 0u);
  EXPECT_EQ(again->duplicates, 5u);
  EXPECT_EQ(*b.replica->ChangeCount(), 5u);
  // Only what the other side lacks.
  auto known = b.replica->Known();
  auto delta = bundle::ExportBundle(*a.replica, *a.store, env, dir.Sub("delta.bundle"), *known);
  ASSERT_TRUE(delta.ok());
  EXPECT_EQ(delta->changes, 0u);
}

TEST_F(Bundles, TruncatedOrTamperedBundlesAreRefusedWhole) {
  FileDevice a = Open("a"), b = Open("b");
  SetUpPair(a, b);
  const std::string path = dir.Sub("out.bundle");
  ASSERT_TRUE(bundle::ExportBundle(*a.replica, *a.store, env, path).ok());
  const auto good = *env.ReadFile(path);
  const std::uint64_t before = *b.replica->ChangeCount();
  const std::string bad_path = dir.Sub("bad.bundle");
  std::size_t tried = 0;
  for (std::size_t n = 0; n < good.size(); n += 1 + n / 8) {
    ASSERT_TRUE(env.WriteFileAtomic(bad_path, std::span(good.data(), n)).ok());
    auto r = bundle::ImportBundle(*b.replica, *b.store, env, bad_path);
    ASSERT_FALSE(r.ok()) << "truncated at " << n;
    EXPECT_EQ(r.status().code(), Code::kCorrupt) << r.status().ToString();
    ++tried;
  }
  for (std::size_t i = 0; i < good.size(); i += 1 + i / 16) {
    auto bad = good;
    bad[i] ^= 0x04;
    ASSERT_TRUE(env.WriteFileAtomic(bad_path, bad).ok());
    auto r = bundle::ImportBundle(*b.replica, *b.store, env, bad_path);
    ASSERT_FALSE(r.ok()) << "flipped byte " << i;
    EXPECT_EQ(r.status().code(), Code::kCorrupt) << i << ": " << r.status().ToString();
    ++tried;
  }
  auto extra = good;
  extra.push_back(0);
  ASSERT_TRUE(env.WriteFileAtomic(bad_path, extra).ok());
  EXPECT_EQ(bundle::ImportBundle(*b.replica, *b.store, env, bad_path).status().code(),
            Code::kCorrupt);
  EXPECT_GT(tried, 100u);
  EXPECT_EQ(*b.replica->ChangeCount(), before);
  EXPECT_TRUE(b.replica->List("note")->empty());
}

TEST_F(Bundles, AnotherVaultIsRefused) {
  FileDevice a = Open("a"), b = Open("b"), other = Open("other");
  SetUpPair(a, b);
  ASSERT_TRUE(other.replica->CreateVault("other team").ok());
  const std::string path = dir.Sub("other.bundle");
  ASSERT_TRUE(bundle::ExportBundle(*other.replica, *other.store, env, path).ok());
  auto r = bundle::ImportBundle(*b.replica, *b.store, env, path);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("another vault"), std::string::npos);
}

TEST_F(Bundles, FullDiskLeavesNoFile) {
  FileDevice a = Open("a"), b = Open("b");
  SetUpPair(a, b);
  testing::FaultEnv faulty(env);
  faulty.FailWritesAfter(100);
  const std::string path = dir.Sub("full.bundle");
  auto r = bundle::ExportBundle(*a.replica, *a.store, faulty, path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDiskFull);
  EXPECT_FALSE(env.FileExists(path));
  auto names = env.ListDir(dir.path());
  ASSERT_TRUE(names.ok());
  for (const auto& n : *names) EXPECT_EQ(n.find("full"), std::string::npos) << n;
}

}  // namespace
}  // namespace parley::logtest
