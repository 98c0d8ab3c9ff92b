// `parley search` as a script runs it: text and JSON output, the negotiation filter, paging,
// refused input; and, forensically, a purged note and an overwritten text leave no trace of
// their words in any file of the data or key-store directory, while the search index lives
// inside the encrypted database (no file of its own, no temporary file).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <random>

#include "cli_runner.h"

namespace parley::cli_test {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Every file under `dirs` holding a marker (as typed, or lower-cased as the index keeps words).
std::vector<std::string> Holding(const std::vector<std::string>& dirs,
                                 const std::vector<std::string>& markers) {
  std::vector<std::string> hits;
  for (const auto& dir : dirs) {
    for (const auto& f : FilesUnder(dir)) {
      const std::string bytes = ReadBytes(f);
      for (const auto& m : markers) {
        if (bytes.find(m) != std::string::npos || bytes.find(Lower(m)) != std::string::npos)
          hits.push_back(f + ": " + m);
      }
    }
  }
  return hits;
}

std::string Name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

TEST(CliSearch, TextJsonFilterPagingAndRefusals) {
  parley::testing::TempDir root;
  Device laptop(root.path(), "laptop");
  ASSERT_EQ(laptop({"init", "--name", "office laptop"}).exit_code, 0);
  const std::string a = laptop.Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods"});
  const std::string b = laptop.Id({"negotiation", "add", "--buyer", "Beta Markets"});
  const std::string twice =
      laptop.Id({"note", "add", a, "--text", "Boycott, boycott: the buyer flinched"});
  const std::string once =
      laptop.Id({"note", "add", a, "--text", "We talked about the boycott and many other things"});
  const std::string other = laptop.Id({"note", "add", b, "--text", "A boycott elsewhere"});

  Outcome text = laptop({"search", "boycott"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(twice.substr(0, 8) + "  note.text"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("[Boycott], [boycott]: the buyer flinched"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("3 results"), std::string::npos) << text.out;
  EXPECT_LT(text.out.find(twice.substr(0, 8)), text.out.find(once.substr(0, 8)))
      << text.out;  // ranked

  auto json = laptop.Json({"search", "boyc"})["hits"];
  ASSERT_EQ(json.size(), 3u);
  EXPECT_EQ(json[std::size_t{0}]["record"].AsString(), twice);
  EXPECT_EQ(json[std::size_t{0}]["type"].AsString(), "note");
  EXPECT_EQ(json[std::size_t{0}]["field"].AsString(), "text");
  EXPECT_EQ(json[std::size_t{0}]["negotiation"].AsString(), a);
  EXPECT_EQ(json[std::size_t{0}]["snippet"].AsString(), "[Boycott], [boycott]: the buyer flinched");
  EXPECT_TRUE(json[std::size_t{0}]["score"].is_number());

  auto only_b = laptop.Json({"search", "boycott", "--negotiation", b.substr(0, 8)})["hits"];
  ASSERT_EQ(only_b.size(), 1u);
  EXPECT_EQ(only_b[std::size_t{0}]["record"].AsString(), other);
  auto second = laptop.Json({"search", "boycott", "--limit", "1", "--offset", "1"})["hits"];
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[std::size_t{0}]["record"].AsString(), json[std::size_t{1}]["record"].AsString());
  Outcome page = laptop({"search", "boycott", "--limit", "2"});
  EXPECT_NE(page.out.find("more with --offset 2"), std::string::npos) << page.out;
  EXPECT_EQ(laptop({"search", "boycott", "--offset", "9"}).out, "No more results.\n");
  EXPECT_EQ(laptop({"search", "nowhere"}).out, "Nothing found.\n");
  auto none = laptop.Json({"search", "nowhere"})["hits"];
  EXPECT_TRUE(none.is_array());
  EXPECT_EQ(none.size(), 0u);
  // The words can come from standard input (kept out of ps and the shell history).
  auto piped = laptop.Json({"search", "-"}, "flinched\n")["hits"];
  ASSERT_EQ(piped.size(), 1u);
  EXPECT_EQ(piped[std::size_t{0}]["record"].AsString(), twice);
  // Query syntax is only ever words.
  auto syntax = laptop.Json({"search", "boycott* (buyer) -the ^\"flinch"})["hits"];
  ASSERT_EQ(syntax.size(), 1u);

  // Refused: exit 1 (usage / invalid), one line on standard error, nothing on standard output.
  for (const std::vector<std::string>& args : {std::vector<std::string>{"search", "!!! ..."},
                                               {"search", ""},
                                               {"search", "boycott", "--limit", "0"},
                                               {"search", "boycott", "--limit", "x"},
                                               {"search", "boycott", "--offset", "-1"},
                                               {"search", "boycott", "--limit", "1001"}}) {
    Outcome refused = laptop(args);
    EXPECT_EQ(refused.exit_code, 1) << args.back() << ": " << refused.err;
    EXPECT_EQ(refused.out, "");
    EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
    EXPECT_EQ(refused.err.find("SQL"), std::string::npos) << refused.err;
  }
  Outcome unknown =
      laptop({"search", "boycott", "--negotiation", "0000000000000000000000000000000f"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
}

TEST(CliSearch, APurgedOrOverwrittenNoteLeavesNoTraceInAnyFile) {
  parley::testing::TempDir root;
  Device laptop(root.path(), "laptop");
  std::mt19937_64 rng(std::random_device{}());
  const std::string tag = std::to_string(rng() % 1'000'000'000'000ULL);
  const std::string purged_marker = "PURGEDSEARCH" + tag + "xq";
  const std::string edited_marker = "EDITEDSEARCH" + tag + "zk";
  const std::string kept_marker = "KEPTSEARCH" + tag + "wj";
  const std::vector<std::string> markers = {purged_marker, edited_marker, kept_marker};
  ASSERT_EQ(laptop({"init", "--name", "office laptop"}).exit_code, 0);
  const std::string n = laptop.Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods"});
  const std::string purged =
      laptop.Id({"note", "add", n, "--text", "Said in confidence: " + purged_marker});
  const std::string edited =
      laptop.Id({"note", "add", n, "--text", "First version: " + edited_marker});
  const std::string kept = laptop.Id({"note", "add", n, "--text", "Kept: " + kept_marker});
  for (int i = 0; i < 20; ++i)
    laptop.Id({"note", "add", n, "--text", "Other note " + std::to_string(i)});

  // The markers are searchable, so the index holds them.
  EXPECT_EQ(laptop.Json({"search", purged_marker})["hits"][std::size_t{0}]["record"].AsString(),
            purged);
  EXPECT_EQ(laptop.Json({"search", edited_marker})["hits"][std::size_t{0}]["record"].AsString(),
            edited);
  EXPECT_EQ(laptop.Json({"search", kept_marker})["hits"][std::size_t{0}]["record"].AsString(),
            kept);

  Outcome purge = laptop({"purge", purged.substr(0, 8), "--yes"});
  ASSERT_EQ(purge.exit_code, 0) << purge.err;
  Outcome resolve =
      laptop({"resolve", edited.substr(0, 8) + ".text", "Second version, nothing secret"});
  ASSERT_EQ(resolve.exit_code, 0) << resolve.err;
  EXPECT_EQ(laptop.Json({"search", purged_marker})["hits"].size(), 0u);
  EXPECT_EQ(laptop.Json({"search", edited_marker})["hits"].size(), 0u);
  EXPECT_EQ(laptop.Json({"search", "second version"})["hits"].size(), 1u);
  EXPECT_EQ(laptop.Json({"search", kept_marker})["hits"].size(), 1u);

  // Unlocked (between commands: database, write-ahead log, wal-index), then locked: no
  // file holds any marker, and no other file was ever made (no index or temporary file).
  const std::vector<std::string> dirs = {laptop.data_dir(), laptop.keystore_dir()};
  std::vector<std::string> unlocked = Holding(dirs, markers);
  EXPECT_TRUE(unlocked.empty()) << unlocked.front();
  for (const auto& f : FilesUnder(laptop.data_dir())) {
    const std::string name = Name(f);
    EXPECT_TRUE(name == "keys" || name == "parley.db" || name == "parley.db-wal" ||
                name == "parley.db-shm")
        << "unexpected file: " << f;
  }
  ASSERT_EQ(laptop({"lock"}).exit_code, 0);
  std::vector<std::string> locked = Holding(dirs, markers);
  EXPECT_TRUE(locked.empty()) << locked.front();
  for (const auto& f : FilesUnder(laptop.data_dir())) {
    const std::string name = Name(f);
    EXPECT_TRUE(name == "keys" || name == "parley.db") << "left after lock: " << f;
  }
  // The scan finds a marker where one is.
  const std::string control = root.Sub("control");
  ASSERT_EQ(laptop({"search", kept_marker, "--json"}).exit_code, 0);
  {
    FILE* f = std::fopen((control + ".txt").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(laptop({"search", kept_marker}).out.c_str(), f);
    std::fclose(f);
  }
  EXPECT_EQ(Holding({root.path()}, {kept_marker}).size(), 1u);
}

}  // namespace
}  // namespace parley::cli_test
