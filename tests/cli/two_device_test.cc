// Two devices of one vault, no network: offline enrollment, bundles both ways, a concurrent
// edit that becomes a conflict on both, and its resolution.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "cli_runner.h"

namespace parley::cli_test {
namespace {

TEST(CliTwoDevices, BundleExchangeConflictAndResolve) {
  parley::testing::TempDir root;
  Device laptop(root.path(), "laptop");
  Device phone(root.path(), "phone");
  auto file = [&](const std::string& name) { return root.Sub(name); };

  ASSERT_EQ(laptop({"init", "--name", "office laptop", "--vault", "coalition"}).exit_code, 0);
  ASSERT_EQ(phone({"init", "--name", "ana phone", "--no-vault"}).exit_code, 0);
  const std::string code = phone.Json({"device", "id"})["pairing_code"].AsString();
  ASSERT_FALSE(code.empty());
  ASSERT_EQ(laptop({"vault", "invite", code, "--out", file("invite")}).exit_code, 0);
  Outcome joined = phone({"join", file("invite")});
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  EXPECT_NE(joined.out.find("coalition"), std::string::npos) << joined.out;

  const std::string n = laptop.Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods"});
  const std::string c = laptop.Id(
      {"commitment", "add", n, "--kind", "independent_monitoring", "--text", "Independent audits"});
  ASSERT_EQ(
      laptop({"bottomline", "require", n, "independent_monitoring", "--covered-by", c}).exit_code,
      0);
  auto exported = laptop.Json({"bundle", "export", file("laptop-1.bundle")});
  EXPECT_GT(exported["changes"].AsInt(), 0);
  auto imported = phone.Json({"bundle", "import", file("laptop-1.bundle")});
  EXPECT_GT(imported["applied"].AsInt(), 0);
  EXPECT_EQ(phone.Json({"negotiation", "show", n})["commitments"].size(), 1u);

  // The phone records a note; the laptop receives it.
  const std::string note = phone.Id({"note", "add", n, "--text", "Buyer asked for a phase-in"});
  ASSERT_EQ(phone({"bundle", "export", file("phone-1.bundle")}).exit_code, 0);
  ASSERT_EQ(laptop({"bundle", "import", file("phone-1.bundle")}).exit_code, 0);
  auto on_laptop = laptop.Json({"negotiation", "show", n});
  ASSERT_EQ(on_laptop["notes"].size(), 1u);
  EXPECT_EQ(on_laptop["notes"][std::size_t{0}]["id"].AsString(), note);
  auto note_history = laptop.Json({"history", note});
  EXPECT_EQ(note_history["entries"][std::size_t{0}]["device"].AsString(), "ana phone");

  // Offline, both change the commitment's status.
  ASSERT_EQ(laptop({"commitment", "status", c, "agreed"}).exit_code, 0);
  ASSERT_EQ(phone({"commitment", "status", c, "withdrawn"}).exit_code, 0);
  ASSERT_EQ(laptop({"bundle", "export", file("laptop-2.bundle")}).exit_code, 0);
  ASSERT_EQ(phone({"bundle", "export", file("phone-2.bundle")}).exit_code, 0);
  ASSERT_EQ(laptop({"bundle", "import", file("phone-2.bundle")}).exit_code, 0);
  auto phone_import = phone.Json({"bundle", "import", file("laptop-2.bundle")});
  EXPECT_EQ(phone_import["conflicts"].AsInt(), 1);
  // Importing the same bundle again changes nothing.
  auto again = phone.Json({"bundle", "import", file("laptop-2.bundle")});
  EXPECT_EQ(again["applied"].AsInt(), 0);
  EXPECT_GT(again["duplicates"].AsInt(), 0);

  for (const Device* d : {&laptop, &phone}) {
    auto conflicts = d->Json({"conflicts"})["conflicts"];
    ASSERT_EQ(conflicts.size(), 1u);
    const auto& k = conflicts[std::size_t{0}];
    EXPECT_EQ(k["record"].AsString(), c);
    EXPECT_EQ(k["field"].AsString(), "status");
    ASSERT_EQ(k["versions"].size(), 2u);
    std::set<std::string> values = {k["versions"][std::size_t{0}]["value"].AsString(),
                                    k["versions"][std::size_t{1}]["value"].AsString()};
    EXPECT_EQ(values, (std::set<std::string>{"agreed", "withdrawn"}));
    auto report = d->Json({"bottomline", "report", n});
    EXPECT_FALSE(report["meets"].AsBool());
    EXPECT_TRUE(report["elements"][std::size_t{0}]["conflicted"].AsBool());
  }
  Outcome human = laptop({"conflicts"});
  EXPECT_NE(human.out.find("parley resolve " + c.substr(0, 8) + ".status"), std::string::npos)
      << human.out;

  // A tampered bundle is refused whole.
  std::string bytes = ReadBytes(file("laptop-2.bundle"));
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
  {
    std::ofstream f(file("tampered.bundle"), std::ios::binary);
    f << bytes;
  }
  Outcome tampered = phone({"bundle", "import", file("tampered.bundle")});
  EXPECT_EQ(tampered.exit_code, 4) << tampered.err;

  // The phone resolves; the laptop receives the resolution.
  Outcome resolved = phone({"resolve", c.substr(0, 8) + ".status", "agreed"});
  ASSERT_EQ(resolved.exit_code, 0) << resolved.err;
  ASSERT_EQ(phone({"bundle", "export", file("phone-3.bundle")}).exit_code, 0);
  ASSERT_EQ(laptop({"bundle", "import", file("phone-3.bundle")}).exit_code, 0);
  for (const Device* d : {&laptop, &phone}) {
    EXPECT_EQ(d->Json({"conflicts"})["conflicts"].size(), 0u);
    auto report = d->Json({"bottomline", "report", n});
    EXPECT_TRUE(report["meets"].AsBool());
    EXPECT_EQ(report["verdict"].AsString(), "current terms meet the bottom line");
  }
}

}  // namespace
}  // namespace parley::cli_test
