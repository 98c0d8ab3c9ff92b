// Create, open, lock, reopen; wrong passphrase; missing key-store secret; vault keys.
#include <sys/stat.h>

#include "store_test_util.h"

namespace parley::store {
namespace {

using testutil::kPassphrase;
using testutil::Query;
using testutil::ReadAll;

class StoreLifecycleTest : public testutil::StoreFixture {};

TEST_F(StoreLifecycleTest, CreateOpenRoundTrip) {
  EXPECT_FALSE(Store::Exists(env(), data_dir()));
  CreateStore();
  EXPECT_TRUE(Store::Exists(env(), data_dir()));
  crypto::Bytes identity;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->device().name, "test phone");
    EXPECT_EQ(store->device().identity.public_key.size(), 32u);
    EXPECT_EQ(store->device().kx.public_key.size(), 32u);
    identity = store->device().identity.public_key;
    ASSERT_TRUE(Exec(store->db(),
                     "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT);"
                     "INSERT INTO t VALUES(1,'one'),(2,'two');")
                    .ok());
    auto mode = Query(store->db(), "PRAGMA journal_mode");
    ASSERT_TRUE(mode.ok());
    EXPECT_EQ(mode->at(0), "wal");
    for (const auto& [pragma, want] :
         std::vector<std::pair<std::string, std::string>>{{"PRAGMA synchronous", "2"},
                                                          {"PRAGMA temp_store", "2"},
                                                          {"PRAGMA secure_delete", "1"},
                                                          {"PRAGMA page_size", "4096"},
                                                          {"PRAGMA foreign_keys", "1"}}) {
      auto r = Query(store->db(), pragma);
      ASSERT_TRUE(r.ok()) << pragma;
      EXPECT_EQ(r->at(0), want) << pragma;
    }
    ASSERT_TRUE(store->Lock().ok());
    EXPECT_EQ(store->db(), nullptr);
    EXPECT_TRUE(store->Lock().ok());  // idempotent
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->device().identity.public_key, identity);
  auto rows = Query(store->db(), "SELECT v FROM t ORDER BY k");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, (std::vector<std::string>{"one", "two"}));
  // The signing key survives the round trip: a signature made now verifies.
  crypto::Bytes sig = crypto::Sign(store->device().identity.secret_key, crypto::AsBytes("msg"));
  EXPECT_TRUE(crypto::Verify(identity, crypto::AsBytes("msg"), sig).ok());
}

TEST_F(StoreLifecycleTest, FilesArePrivate) {
  CreateStore();
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Exec(store->db(), "CREATE TABLE t(v); INSERT INTO t VALUES('x');").ok());
  struct stat st {};
  ASSERT_EQ(::stat(data_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const auto& f : testutil::ListFilesRecursive(data_dir())) {
    ASSERT_EQ(::stat(f.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
}

TEST_F(StoreLifecycleTest, CreateTwiceIsAlreadyExists) {
  CreateStore();
  Status s = Store::Create(env(), key_store(), testutil::FastOptions(data_dir()), kPassphrase);
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
}

TEST_F(StoreLifecycleTest, OpenWithoutStoreIsNotFound) {
  auto r = Store::Open(env(), key_store(), data_dir(), kPassphrase);
  EXPECT_EQ(r.status().code(), Code::kNotFound);
}

// A wrong passphrase changes nothing but the failed-unlock counter (its own file), which the
// next successful open removes again.
TEST_F(StoreLifecycleTest, WrongPassphraseChangesNothing) {
  CreateStore();
  {
    auto s = OpenStore();
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(Exec(s->db(), "CREATE TABLE t(v)").ok());
  }
  std::map<std::string, std::vector<std::uint8_t>> before;
  for (const auto& f : testutil::ListFilesRecursive(tmp_.path())) before[f] = ReadAll(f);
  auto r = Store::Open(env(), key_store(), data_dir(), "not the passphrase");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kWrongPassphrase) << r.status().ToString();
  std::map<std::string, std::vector<std::uint8_t>> after;
  for (const auto& f : testutil::ListFilesRecursive(tmp_.path())) after[f] = ReadAll(f);
  ASSERT_EQ(after.count(data_dir() + "/failures"), 1u);
  after.erase(data_dir() + "/failures");
  EXPECT_EQ(before, after);
  EXPECT_NE(OpenStore(), nullptr);
  EXPECT_FALSE(env().FileExists(data_dir() + "/failures"));
}

TEST_F(StoreLifecycleTest, MissingKeyStoreSecretSaysWhatIsMissing) {
  CreateStore();
  for (const auto& f : testutil::ListFilesRecursive(ks_dir()))
    ASSERT_TRUE(env().RemoveFile(f).ok());
  auto r = Store::Open(env(), key_store(), data_dir(), kPassphrase);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kMissingSecret);
  EXPECT_NE(r.status().message().find("key-store secret"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("parley-"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(ks_dir()), std::string::npos) << r.status().message();
}

TEST_F(StoreLifecycleTest, ArgonParametersBelowFloorRefused) {
  StoreOptions o = testutil::FastOptions(data_dir());
  o.argon2.mem_limit = crypto::MinimumArgon2Params().mem_limit / 2;
  EXPECT_EQ(Store::Create(env(), key_store(), o, kPassphrase).code(), Code::kInvalidArgument);
  o = testutil::FastOptions(data_dir());
  o.argon2.ops_limit = crypto::MinimumArgon2Params().ops_limit - 1;
  EXPECT_EQ(Store::Create(env(), key_store(), o, kPassphrase).code(), Code::kInvalidArgument);
  EXPECT_FALSE(Store::Exists(env(), data_dir()));
}

TEST_F(StoreLifecycleTest, SetVaultPersistsAcrossReopen) {
  CreateStore();
  crypto::Bytes vault_id = crypto::RandomBytes(32);
  crypto::Bytes k1 = crypto::RandomBytes(32), k2 = crypto::RandomBytes(32);
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    EXPECT_FALSE(store->vault().has_value());
    VaultKeys v;
    v.vault_id = vault_id;
    v.name = "Harvest campaign";
    v.epochs.push_back(VaultKey{1, crypto::SecretBytes::Copy(k1)});
    v.epochs.push_back(VaultKey{2, crypto::SecretBytes::Copy(k2)});
    ASSERT_TRUE(store->SetVault(std::move(v)).ok());
    ASSERT_TRUE(store->vault().has_value());
    EXPECT_EQ(store->vault()->Current()->epoch, 2u);
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->vault().has_value());
  const VaultKeys& v = *store->vault();
  EXPECT_EQ(v.vault_id, vault_id);
  EXPECT_EQ(v.name, "Harvest campaign");
  ASSERT_EQ(v.epochs.size(), 2u);
  ASSERT_NE(v.Epoch(1), nullptr);
  EXPECT_TRUE(crypto::ConstantTimeEqual(v.Epoch(1)->key.view(), k1));
  EXPECT_TRUE(crypto::ConstantTimeEqual(v.Current()->key.view(), k2));
  EXPECT_EQ(v.Epoch(3), nullptr);
  // A malformed vault is refused and the old one kept.
  VaultKeys bad;
  bad.vault_id = crypto::RandomBytes(5);
  EXPECT_EQ(store->SetVault(std::move(bad)).code(), Code::kInvalidArgument);
  EXPECT_EQ(store->vault()->vault_id, vault_id);
}

TEST_F(StoreLifecycleTest, InMemoryStoreForTesting) {
  auto r = Store::CreateInMemoryForTesting("replica-1");
  ASSERT_TRUE(r.ok());
  auto& store = *r;
  EXPECT_EQ(store->device().name, "replica-1");
  ASSERT_TRUE(Exec(store->db(), "CREATE TABLE t(v); INSERT INTO t VALUES(1);").ok());
  EXPECT_TRUE(store->Lock().ok());
}

}  // namespace
}  // namespace parley::store
