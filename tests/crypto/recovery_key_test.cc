// RecoveryKey: its text form reads back, every single mistyped character is caught, and
// what it derives is fixed by the secret.
#include "parley/core/recovery_key.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace parley::recovery {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

class RecoveryKeyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::InitCrypto().ok()); }
};

TEST_F(RecoveryKeyTest, TextIsNineGroupsOfFourAndReadsBack) {
  RecoveryKey key = RecoveryKey::Generate();
  const std::string text = key.Text();
  ASSERT_EQ(text.size(), 44u);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i % 5 == 4) {
      EXPECT_EQ(text[i], '-') << text;
    } else {
      EXPECT_NE(kAlphabet.find(text[i]), std::string_view::npos) << text;
    }
  }
  auto back = RecoveryKey::Parse(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(crypto::ToHex(back->secret().view()), crypto::ToHex(key.secret().view()));
}

TEST_F(RecoveryKeyTest, ParsingForgivesCaseSpacingAndCrockfordAliases) {
  RecoveryKey key = RecoveryKey::Generate();
  std::string loose;
  for (char c : key.Text()) {
    if (c == '-') {
      loose += "  ";
    } else if (c == '0') {
      loose += 'o';
    } else if (c == '1') {
      loose += 'l';
    } else {
      loose += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  auto back = RecoveryKey::Parse(loose);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->Text(), key.Text());
}

TEST_F(RecoveryKeyTest, EverySingleSubstitutionIsCaught) {
  RecoveryKey key = RecoveryKey::Generate();
  const std::string text = key.Text();
  int tried = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '-') continue;
    for (char c : kAlphabet) {
      if (c == text[i]) continue;
      std::string typo = text;
      typo[i] = c;
      auto parsed = RecoveryKey::Parse(typo);
      ++tried;
      ASSERT_FALSE(parsed.ok()) << "position " << i << " as " << c << " was accepted";
      EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
      EXPECT_NE(parsed.status().message().find("mistyped"), std::string::npos)
          << parsed.status().message();
    }
  }
  EXPECT_EQ(tried, 36 * 31);
}

TEST_F(RecoveryKeyTest, WrongLengthAndForeignCharactersSayWhat) {
  RecoveryKey key = RecoveryKey::Generate();
  const std::string text = key.Text();
  auto shorter = RecoveryKey::Parse(text.substr(0, text.size() - 1));
  ASSERT_FALSE(shorter.ok());
  EXPECT_NE(shorter.status().message().find("this has 35"), std::string::npos)
      << shorter.status().message();
  auto longer = RecoveryKey::Parse(text + "7");
  ASSERT_FALSE(longer.ok());
  EXPECT_NE(longer.status().message().find("more than 36"), std::string::npos)
      << longer.status().message();
  std::string foreign = text;
  foreign[0] = 'U';
  auto bad = RecoveryKey::Parse(foreign);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'U'"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(RecoveryKey::Parse("").ok());
}

TEST_F(RecoveryKeyTest, DerivedKeysAreFixedBySecretAndDistinct) {
  const crypto::Bytes secret(kSecretSize, 0x5a);
  auto a = RecoveryKey::FromSecret(secret);
  auto b = RecoveryKey::FromSecret(secret);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(crypto::ToHex(a->Identity().public_key), crypto::ToHex(b->Identity().public_key));
  EXPECT_EQ(crypto::ToHex(a->Seal().public_key), crypto::ToHex(b->Seal().public_key));
  EXPECT_EQ(crypto::ToHex(a->BackupKey().view()), crypto::ToHex(b->BackupKey().view()));
  EXPECT_EQ(a->EnrolSecret().size(), 16u);
  EXPECT_NE(crypto::ToHex(a->Kx().public_key), crypto::ToHex(a->Seal().public_key));
  RecoveryKey other = RecoveryKey::Generate();
  EXPECT_NE(crypto::ToHex(other.Identity().public_key), crypto::ToHex(a->Identity().public_key));
  EXPECT_NE(crypto::ToHex(other.BackupKey().view()), crypto::ToHex(a->BackupKey().view()));
  EXPECT_FALSE(RecoveryKey::FromSecret(crypto::Bytes(19, 1)).ok());
}

}  // namespace
}  // namespace parley::recovery
