// `parley device id`: the pairing code as text, and as a QR code only when asked for or when
// standard output is a wide enough terminal.
#include <gtest/gtest.h>

#include <algorithm>

#include "cli_runner.h"
#include "qr_reader.h"

namespace parley::cli_test {
namespace {

constexpr const char* kUpperHalf = "\u2580";
constexpr const char* kColours = "\x1b[30;107m";

TEST(CliDeviceQr, TextOnlyWhenNotATerminal) {
  parley::testing::TempDir root;
  Device phone(root.path(), "phone");
  ASSERT_EQ(phone({"init", "--name", "ana phone", "--no-vault"}).exit_code, 0);
  Outcome id = phone({"device", "id"});
  ASSERT_EQ(id.exit_code, 0) << id.err;
  ASSERT_EQ(id.out.rfind("parley-device:", 0), 0U) << id.out;
  EXPECT_EQ(id.out.find('\n'), id.out.size() - 1) << "one line expected: " << id.out;
  EXPECT_EQ(id.out.find('\x1b'), std::string::npos);
}

TEST(CliDeviceQr, ForcedQrFollowsTheCodeAndJsonNeverHasIt) {
  parley::testing::TempDir root;
  Device phone(root.path(), "phone");
  ASSERT_EQ(phone({"init", "--name", "ana phone", "--no-vault"}).exit_code, 0);
  const std::string code = phone.Json({"device", "id"})["pairing_code"].AsString();

  Outcome shown = phone({"device", "id", "--qr"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  ASSERT_EQ(shown.out.rfind(code + "\n", 0), 0U);
  const std::string picture = shown.out.substr(code.size() + 1);
  EXPECT_EQ(picture.rfind(kColours, 0), 0U);
  EXPECT_NE(picture.find(kUpperHalf), std::string::npos);
  EXPECT_GT(std::count(picture.begin(), picture.end(), '\n'), 10);
  // What a camera reads from the picture is the code, upper-cased (alphanumeric mode).
  std::string upper = code;
  for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  std::string error;
  EXPECT_EQ(qr_test::DecodeRendering(picture, &error), upper);
  EXPECT_EQ(error, "");

  Outcome json = phone({"--json", "device", "id", "--qr"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(json.out.find(kUpperHalf), std::string::npos);
  EXPECT_EQ(json.Json()["pairing_code"].AsString(), code);

  Outcome suppressed = phone({"device", "id", "--no-qr"});
  EXPECT_EQ(suppressed.out, code + "\n");
  Outcome both = phone({"device", "id", "--qr", "--no-qr"});
  EXPECT_NE(both.exit_code, 0);
  EXPECT_NE(both.err.find("--no-qr"), std::string::npos) << both.err;
}

TEST(CliDeviceQr, UpperCasedCodeFromTheQrIsAccepted) {
  // The QR code carries the pairing code upper-cased (the compact alphanumeric mode); an
  // admin device that scans it must accept it.
  parley::testing::TempDir root;
  Device laptop(root.path(), "laptop");
  Device phone(root.path(), "phone");
  ASSERT_EQ(laptop({"init", "--name", "office laptop", "--vault", "coalition"}).exit_code, 0);
  ASSERT_EQ(phone({"init", "--name", "ana phone", "--no-vault"}).exit_code, 0);
  std::string code = phone.Json({"device", "id"})["pairing_code"].AsString();
  for (char& c : code) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  Outcome invited = laptop({"vault", "invite", code, "--out", root.Sub("invite")});
  EXPECT_EQ(invited.exit_code, 0) << invited.err;
}

}  // namespace
}  // namespace parley::cli_test
