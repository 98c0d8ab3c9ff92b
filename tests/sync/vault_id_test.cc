// The vault id has one derivation (log::DeriveVaultId); the wire's RegisterVault uses it.
#include <gtest/gtest.h>

#include <string>

#include "parley/core/crypto.h"
#include "parley/core/replica_sync.h"
#include "parley/sync/auth.h"

namespace parley {
namespace {

crypto::ByteView View(const std::string& s) { return crypto::AsBytes(s); }

TEST(VaultIdTest, IsTheLabelledHashOfFounderAndNonce) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  const crypto::Bytes founder(32, 0x11);
  const crypto::Bytes nonce(32, 0x22);
  crypto::Bytes message(log::kVaultIdLabel.begin(), log::kVaultIdLabel.end());
  message.insert(message.end(), founder.begin(), founder.end());
  message.insert(message.end(), nonce.begin(), nonce.end());
  const crypto::Hash expected = crypto::Blake2b256(message);
  EXPECT_EQ(log::DeriveVaultId(founder, nonce), crypto::Bytes(expected.begin(), expected.end()));
  EXPECT_EQ(log::kVaultIdLabel, "parley/vault/v1");
}

TEST(VaultIdTest, RegistrationCarriesTheDerivedId) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  const crypto::SignKeyPair creator = crypto::NewSignKeyPair();
  const pb::RegisterVault reg = wire::MakeRegisterVault(creator);
  const crypto::Bytes derived = log::DeriveVaultId(creator.public_key, View(reg.nonce()));
  EXPECT_EQ(crypto::Bytes(reg.vault().begin(), reg.vault().end()), derived);
  EXPECT_TRUE(wire::VerifyRegisterVault(reg).ok());

  pb::RegisterVault other_nonce = reg;
  other_nonce.mutable_nonce()->back() ^= 1;
  Status s = wire::VerifyRegisterVault(other_nonce);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
}

}  // namespace
}  // namespace parley
