// Forensic test: what a seized device's storage holds. Unique markers are planted through
// the command line in a note, a Buyer's name and an amount (and more); then every byte of
// every file Parley wrote (data directory, key-store directory, invite and bundle files) is
// searched for them, raw and as UTF-16: zero hits, before and after `parley lock`.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "cli_runner.h"

namespace parley::cli_test {
namespace {

std::string Utf16(const std::string& ascii, bool big_endian) {
  std::string out;
  for (char c : ascii) {
    if (big_endian) out += '\0';
    out += c;
    if (!big_endian) out += '\0';
  }
  return out;
}

// Every (file, encoding) where a marker occurs.
std::vector<std::string> Hits(const std::vector<std::string>& files, const std::vector<std::string>& markers) {
  std::vector<std::string> hits;
  for (const auto& f : files) {
    const std::string bytes = ReadBytes(f);
    for (const auto& m : markers) {
      if (bytes.find(m) != std::string::npos) hits.push_back(f + ": raw " + m);
      if (bytes.find(Utf16(m, false)) != std::string::npos) hits.push_back(f + ": UTF-16LE " + m);
      if (bytes.find(Utf16(m, true)) != std::string::npos) hits.push_back(f + ": UTF-16BE " + m);
    }
  }
  return hits;
}

TEST(CliForensic, NoPlantedMarkerInAnyFileParleyWrote) {
  parley::testing::TempDir root;
  Device laptop(root.path(), "laptop");
  Device phone(root.path(), "phone");
  std::mt19937_64 rng(std::random_device{}());
  const std::string tag = std::to_string(rng() % 1'000'000'000'000ULL);
  const std::string note_marker = "NOTEMARKER" + tag + "xq";
  const std::string buyer_marker = "BUYERMARKER" + tag + "zk";
  const std::string amount_marker = "9" + tag + ".731";
  const std::string stdin_marker = "STDINMARKER" + tag + "wj";
  const std::string party_marker = "PARTYMARKER" + tag + "vb";
  const std::vector<std::string> markers = {note_marker, buyer_marker, amount_marker, stdin_marker, party_marker};

  ASSERT_EQ(laptop({"init", "--name", "office laptop"}).exit_code, 0);
  ASSERT_EQ(phone({"init", "--name", "ana phone", "--no-vault"}).exit_code, 0);
  const std::string code = phone.Json({"device", "id"})["pairing_code"].AsString();
  ASSERT_EQ(laptop({"vault", "invite", code, "--out", root.Sub("invite")}).exit_code, 0);
  ASSERT_EQ(phone({"join", root.Sub("invite")}).exit_code, 0);

  const std::string n = laptop.Id({"negotiation", "add", "--buyer", buyer_marker, "--title", "Supply chain"});
  laptop.Id({"party", "add", n, "--role", "supplier", "--name", party_marker});
  laptop.Id({"note", "add", n, "--text", "Said in the room: " + note_marker});
  ASSERT_EQ(laptop({"note", "add", n}, "From standard input: " + stdin_marker + "\n").exit_code, 0);
  const std::string c = laptop.Id({"commitment", "add", n, "--kind", "price_premium", "--text", "Premium",
                                   "--amount", amount_marker + " USD"});
  ASSERT_EQ(laptop({"commitment", "status", c, "countered"}).exit_code, 0);
  ASSERT_EQ(laptop({"bundle", "export", root.Sub("laptop.bundle")}).exit_code, 0);
  ASSERT_EQ(phone({"bundle", "import", root.Sub("laptop.bundle")}).exit_code, 0);
  ASSERT_EQ(phone({"bundle", "export", root.Sub("phone.bundle")}).exit_code, 0);

  // The markers really went in: the decrypted view shows them, and the scanner finds them
  // in a file that holds them.
  Outcome shown = phone({"negotiation", "show", n});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  for (const auto& m : {note_marker, buyer_marker, amount_marker, stdin_marker, party_marker}) {
    EXPECT_NE(shown.out.find(m), std::string::npos) << m;
  }
  {
    std::ofstream control(root.Sub("control.txt"));
    control << shown.out;
  }
  EXPECT_EQ(Hits({root.Sub("control.txt")}, markers).size(), markers.size());
  ASSERT_EQ(std::remove(root.Sub("control.txt").c_str()), 0);

  const std::vector<std::string> files = FilesUnder(root.path());
  ASSERT_GE(files.size(), 7u);  // two key files, two databases, two secrets, invite, bundles
  std::vector<std::string> before = Hits(files, markers);
  EXPECT_TRUE(before.empty()) << before.size() << " hits, first: " << before.front();

  ASSERT_EQ(laptop({"lock"}).exit_code, 0);
  ASSERT_EQ(phone({"lock"}).exit_code, 0);
  std::vector<std::string> after = Hits(FilesUnder(root.path()), markers);
  EXPECT_TRUE(after.empty()) << after.size() << " hits, first: " << after.front();
  // Locked means nothing but the key file and the encrypted database in the data directory.
  for (const Device* d : {&laptop, &phone}) {
    for (const auto& f : FilesUnder(d->data_dir())) {
      const std::string name = f.substr(f.rfind('/') + 1);
      EXPECT_TRUE(name == "keys" || name == "parley.db") << "left after lock: " << f;
    }
  }
}

}  // namespace
}  // namespace parley::cli_test
