// The enrolment keys of the key bundle (format 2): a sealing key distinct from the
// handshake key, and a one-time enrolment secret that is stable until the store gets a
// vault and destroyed then; a format 1 bundle is upgraded on its first open.
#include <functional>

#include "parley/keys.pb.h"
#include "store/key_file.h"
#include "store_test_util.h"

namespace parley::store {
namespace {

using testutil::kPassphrase;

class StoreEnrolKeysTest : public testutil::StoreFixture {
 protected:
  // Rewrites the key file's bundle through `edit`, sealed again under the same master key.
  // The header AD is rebuilt here from docs/storage-format.md.
  void EditBundle(const std::function<void(pb::KeyBundle&)>& edit) {
    const std::string path = data_dir() + "/keys";
    auto data = internal::ParseKeyFile(testutil::ReadAll(path));
    ASSERT_TRUE(data.ok()) << data.status().ToString();
    auto secret_bytes = key_store().Get(internal::KeyStoreName(data->header.store_id));
    ASSERT_TRUE(secret_bytes.ok());
    crypto::SecretBytes secret = crypto::SecretBytes::Copy(*secret_bytes);
    auto kek = internal::DeriveKek(kPassphrase, data->header, secret);
    ASSERT_TRUE(kek.ok());
    auto master = internal::UnwrapMaster(*data, *kek);
    ASSERT_TRUE(master.ok());
    crypto::Bytes ad;
    const std::string label = "parley key file v1";
    ad.insert(ad.end(), label.begin(), label.end());
    auto put = [&ad](std::uint64_t v, int n) {
      for (int i = 0; i < n; ++i) ad.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    };
    put(data->header.format, 4);
    ad.insert(ad.end(), data->header.store_id.begin(), data->header.store_id.end());
    put(data->header.argon2.ops_limit, 8);
    put(data->header.argon2.mem_limit, 8);
    ad.insert(ad.end(), data->header.salt.begin(), data->header.salt.end());
    auto plain = crypto::XChaChaOpen(master->view(), data->bundle_nonce, data->wrapped_bundle, ad);
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    pb::KeyBundle bundle;
    ASSERT_TRUE(bundle.ParseFromArray(plain->data(), static_cast<int>(plain->size())));
    edit(bundle);
    const std::string out = bundle.SerializeAsString();
    data->wrapped_bundle =
        crypto::XChaChaSeal(master->view(), data->bundle_nonce, crypto::AsBytes(out), ad);
    testutil::WriteAll(path, internal::EncodeKeyFile(*data, secret));
  }

  crypto::Bytes Secret(const Store& s) {
    const auto& k = s.device().enrol_secret;
    return crypto::Bytes(k.data(), k.data() + k.size());
  }
};

TEST_F(StoreEnrolKeysTest, SecretIsStableUntilTheStoreHasAVault) {
  CreateStore();
  crypto::Bytes secret, seal;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    secret = Secret(*store);
    seal = store->device().seal.public_key;
    EXPECT_EQ(secret.size(), kEnrolSecretSize);
    ASSERT_EQ(seal.size(), 32u);
    EXPECT_NE(seal, store->device().kx.public_key) << "the sealing key is not the handshake key";
  }
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(Secret(*store), secret);
    EXPECT_EQ(store->device().seal.public_key, seal);
    VaultKeys v;
    v.vault_id = crypto::RandomBytes(32);
    v.name = "team";
    v.epochs.push_back(VaultKey{0, crypto::SecretBytes::Random(32)});
    ASSERT_TRUE(store->SetVault(std::move(v)).ok());
    EXPECT_TRUE(store->device().enrol_secret.empty());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->device().enrol_secret.empty())
      << "the secret is gone for good once the store has a vault";
  EXPECT_EQ(store->device().seal.public_key, seal);
}

TEST_F(StoreEnrolKeysTest, FormatOneBundleIsUpgradedOnFirstOpen) {
  CreateStore();
  crypto::Bytes identity;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    identity = store->device().identity.public_key;
  }
  EditBundle([](pb::KeyBundle& b) {
    b.clear_seal_secret();
    b.clear_enrol_secret();
    b.clear_format();
  });
  crypto::Bytes secret, seal;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->device().identity.public_key, identity);
    seal = store->device().seal.public_key;
    secret = Secret(*store);
    EXPECT_EQ(seal.size(), 32u);
    EXPECT_EQ(secret.size(), kEnrolSecretSize);
  }
  // The upgrade was written: the same keys on the next open.
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->device().seal.public_key, seal);
  EXPECT_EQ(Secret(*store), secret);
}

TEST_F(StoreEnrolKeysTest, BundleOfANewerFormatIsRefused) {
  CreateStore();
  EditBundle([](pb::KeyBundle& b) { b.set_format(3); });
  auto r = Store::Open(env(), key_store(), data_dir(), kPassphrase);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorrupt);
  EXPECT_NE(r.status().message().find("newer version"), std::string::npos) << r.status().message();
}

TEST_F(StoreEnrolKeysTest, MalformedSealOrSecretIsRefused) {
  CreateStore();
  EditBundle([](pb::KeyBundle& b) { b.set_enrol_secret("short"); });
  EXPECT_EQ(Store::Open(env(), key_store(), data_dir(), kPassphrase).status().code(),
            Code::kCorrupt);
}

}  // namespace
}  // namespace parley::store
