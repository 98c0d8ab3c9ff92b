// `bundle state` and `bundle export --since`: a device exports only what the other lacks.
#include <gtest/gtest.h>

#include "cli_runner.h"
#include "parley/platform/posix_env.h"

namespace parley::cli_test {
namespace {

TEST(CliBundleSince, ExportsOnlyWhatTheOtherDeviceLacks) {
  parley::testing::TempDir root;
  Device laptop(root.path(), "laptop");
  Device phone(root.path(), "phone");
  auto file = [&](const std::string& name) { return root.Sub(name); };

  ASSERT_EQ(laptop({"init", "--name", "laptop", "--vault", "coalition"}).exit_code, 0);
  ASSERT_EQ(phone({"init", "--name", "phone", "--no-vault"}).exit_code, 0);
  const std::string code = phone.Json({"device", "id"})["pairing_code"].AsString();
  ASSERT_EQ(laptop({"vault", "invite", code, "--out", file("invite")}).exit_code, 0);
  ASSERT_EQ(phone({"join", file("invite")}).exit_code, 0);

  const std::string n = laptop.Id({"negotiation", "add", "--buyer", "Acme"});
  auto full = laptop.Json({"bundle", "export", file("all.bundle")});
  ASSERT_EQ(phone({"bundle", "import", file("all.bundle")}).exit_code, 0);

  // The phone now holds everything the laptop had: a bundle for it is empty...
  auto state = phone.Json({"bundle", "state"});
  const std::string since = state["state"].AsString();
  ASSERT_EQ(since.rfind("parley-state:", 0), 0u) << since;
  auto nothing = laptop.Json({"bundle", "export", file("none.bundle"), "--since", since});
  EXPECT_EQ(nothing["changes"].AsInt(), 0);

  // ...and after two more edits it holds exactly those two changes.
  ASSERT_EQ(laptop({"note", "add", n, "--text", "first"}).exit_code, 0);
  ASSERT_EQ(laptop({"note", "add", n, "--text", "second"}).exit_code, 0);
  auto delta = laptop.Json({"bundle", "export", file("delta.bundle"), "--since", since});
  EXPECT_EQ(delta["changes"].AsInt(), 2);
  EXPECT_LT(delta["bytes"].AsInt(), full["bytes"].AsInt());
  auto imported = phone.Json({"bundle", "import", file("delta.bundle")});
  EXPECT_EQ(imported["applied"].AsInt(), 2);
  EXPECT_EQ(imported["duplicates"].AsInt(), 0);
  EXPECT_EQ(phone.Json({"negotiation", "show", n})["notes"].size(), 2u);

  // A mistyped state code is a usage error, with nothing written.
  std::string bad = since;
  bad[bad.size() - 3] = bad[bad.size() - 3] == 'a' ? 'b' : 'a';
  Outcome refused = laptop({"bundle", "export", file("bad.bundle"), "--since", bad});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("state code"), std::string::npos) << refused.err;
  EXPECT_FALSE(parley::PosixEnv().FileExists(file("bad.bundle")));
}

}  // namespace
}  // namespace parley::cli_test
