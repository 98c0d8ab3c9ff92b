// A command line that feels native (docs/cli.md): columns aligned on what a terminal draws
// (wide characters, emoji, accents), times in the local zone unless --utc, a short `status`,
// ambiguous id prefixes that name their candidates, and `resolve --pick N`.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "parley/device.h"
#include "parley/platform/posix_env.h"
#include "relay_fixture.h"

namespace parley::cli_test {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Display columns of UTF-8 text made of ASCII, the CJK used below (two columns each), emoji
// (two; one joined to the previous by U+200D, or the second regional indicator of a flag,
// none) and the combining accent U+0301 (none): an independent count for the assertions.
std::size_t Columns(const std::string& s) {
  std::size_t n = 0;
  bool joined = false;     // after U+200D
  bool half_flag = false;  // after the first regional indicator of a pair
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0xF0) half_flag = false;
    if (c < 0x80) {
      ++n, ++i;
    } else if ((c & 0xE0) == 0xC0) {
      n += (c == 0xCC) ? 0 : 1;  // U+0300..U+033F: combining marks
      i += 2;
    } else if ((c & 0xF0) == 0xE0) {
      const bool zwj = s.compare(i, 3, "\u200D") == 0;
      n += zwj ? 0 : 2;
      joined = zwj;
      i += 3;
      continue;
    } else {
      const bool regional = static_cast<unsigned char>(s[i + 2]) == 0x87 &&
                            static_cast<unsigned char>(s[i + 1]) == 0x9F;
      if (joined || (regional && half_flag)) {
        half_flag = false;
      } else {
        n += 2;
        half_flag = regional;
      }
      i += 4;
    }
    joined = false;
  }
  return n;
}

// The store of a `parley` device opened in this process through the library, unlocked.
std::unique_ptr<parley::Device> OpenInProcess(const Device& d, std::unique_ptr<KeyStore>& keys) {
  keys = NewFileKeyStore(PosixEnv(), d.keystore_dir());
  DeviceOptions o;
  o.env = &PosixEnv();
  o.key_store = keys.get();
  o.data_dir = d.data_dir();
  auto device = parley::Device::Open(o);
  EXPECT_TRUE(device.ok());
  if (!device.ok()) return nullptr;
  Status s = (*device)->Unlock(d.env.at("PARLEY_PASSPHRASE"));
  EXPECT_TRUE(s.ok()) << s.ToString();
  return std::move(device).value();
}

TEST(CliDisplay, TableColumnsLineUpWithWideCharactersEmojiAndAccents) {
  parley::testing::TempDir root;
  Device d(root.path(), "d");
  ASSERT_EQ(d({"init"}).exit_code, 0);
  const std::vector<std::string> buyers = {"日本語商事", "👨\u200D👩\u200D👧 Family Co", "🇲🇽 Frutas",
                                           "Cafe\xCC\x81 Verde", "Plain Buyer"};
  for (const auto& b : buyers)
    ASSERT_EQ(d({"negotiation", "add", "--buyer", b, "--title", "t"}).exit_code, 0);
  Outcome list = d({"negotiation", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const auto lines = Lines(list.out);
  ASSERT_EQ(lines.size(), buyers.size() + 2) << list.out;  // the header, a row each, the count
  EXPECT_EQ(lines.back(), "5 negotiations");
  // The TITLE column starts at the same display column on every line.
  const std::size_t title_at = Columns(lines[0].substr(0, lines[0].find("TITLE")));
  for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
    const std::size_t at = lines[i].find("  t  ");
    ASSERT_NE(at, std::string::npos) << lines[i];
    EXPECT_EQ(Columns(lines[i].substr(0, at + 2)), title_at) << list.out;
  }
}

TEST(CliDisplay, TimesAreLocalWithTheirOffsetUnlessUtcIsAsked) {
  parley::testing::TempDir root;
  Device d(root.path(), "d");
  ASSERT_EQ(d({"init", "--name", "laptop", "--vault", "coalition"}).exit_code, 0);
  const std::string n = d.Id({"negotiation", "add", "--buyer", "Acme"});
  const std::string note = d.Id({"note", "add", n, "--text", "phase-in"});

  d.env["TZ"] = "Asia/Kolkata";
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"negotiation", "show", n},
        {"history", note},
        {"negotiation", "list"},
        {"vault", "members"}}) {
    Outcome local = d(command);
    ASSERT_EQ(local.exit_code, 0) << local.err;
    EXPECT_NE(local.out.find(" +05:30"), std::string::npos) << command[0] << ":\n" << local.out;
    EXPECT_EQ(local.out.find(" UTC"), std::string::npos) << local.out;
    std::vector<std::string> utc_command = command;
    utc_command.push_back("--utc");
    Outcome utc = d(utc_command);
    ASSERT_EQ(utc.exit_code, 0) << utc.err;
    EXPECT_NE(utc.out.find(" UTC"), std::string::npos) << command[0] << ":\n" << utc.out;
    EXPECT_EQ(utc.out.find("+05:30"), std::string::npos) << utc.out;
  }
  d.env["TZ"] = "America/Mexico_City";  // UTC-6 all year since 2022
  Outcome mexico = d({"history", note});
  EXPECT_NE(mexico.out.find(" -06:00"), std::string::npos) << mexico.out;
  // A POSIX zone needs no tz database.
  d.env["TZ"] = "IST-05:30";
  EXPECT_NE(d({"history", note}).out.find(" +05:30"), std::string::npos);

  // JSON stays UTC ISO-8601 whatever the zone.
  d.env["TZ"] = "Asia/Kolkata";
  auto shown = d.Json({"negotiation", "show", n});
  const std::string recorded = shown["notes"][std::size_t{0}]["recorded"].AsString();
  ASSERT_EQ(recorded.size(), 20u) << recorded;
  EXPECT_EQ(recorded.back(), 'Z');
  EXPECT_EQ(shown["negotiation"]["fields"]["created"].AsString().back(), 'Z');
}

class CliStatus : public CliWithRelay {};

TEST_F(CliStatus, SummarisesByDefaultAndListsChangesWithVerbose) {
  auto ana = NewDevice("ana", "coalition");
  const std::string n = ana->Id({"negotiation", "add", "--buyer", "Acme"});
  ASSERT_EQ((*ana)({"sync"}).exit_code, 0);
  {
    std::unique_ptr<KeyStore> keys;
    auto device = OpenInProcess(*ana, keys);
    ASSERT_NE(device, nullptr);
    auto id = device->ResolveId(n);
    ASSERT_TRUE(id.ok());
    for (int i = 0; i < 120; ++i) {
      ASSERT_TRUE(device->model()
                      .AddNote(*id, model::NoteInput{std::nullopt, "note " + std::to_string(i)})
                      .ok());
    }
    ASSERT_TRUE(device->Lock().ok());
  }
  ana->env["TZ"] = "Asia/Kolkata";
  Outcome summary = (*ana)({"status"});
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  const auto lines = Lines(summary.out);
  EXPECT_LE(lines.size(), 10u) << summary.out;
  EXPECT_NE(summary.out.find("120 change(s) waiting"), std::string::npos) << summary.out;
  EXPECT_NE(summary.out.find("records: 1 negotiation, 120 note"), std::string::npos) << summary.out;
  EXPECT_NE(summary.out.find("conflicts: 0"), std::string::npos) << summary.out;
  EXPECT_NE(summary.out.find("last sync "), std::string::npos) << summary.out;
  EXPECT_NE(summary.out.find("+05:30"), std::string::npos) << summary.out;  // the last sync, local
  EXPECT_EQ(summary.out.find("NOT acknowledged"), std::string::npos) << summary.out;

  Outcome verbose = (*ana)({"status", "--verbose"});
  ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
  std::size_t listed = 0;
  for (const auto& l : Lines(verbose.out)) listed += l.find("  change ") == 0 ? 1 : 0;
  EXPECT_GE(listed, 120u) << verbose.out;

  auto json = ana->Json({"status"});
  EXPECT_EQ(json["records"]["note"].AsInt(), 120);
  EXPECT_EQ(json["records"]["negotiation"].AsInt(), 1);
  EXPECT_EQ(json["conflicts"].AsInt(), 0);
  EXPECT_EQ(json["relays"][std::size_t{0}]["last_sync"].AsString().back(), 'Z');
}

TEST(CliAmbiguousId, APrefixOfTwoRecordsListsBoth) {
  parley::testing::TempDir root;
  Device d(root.path(), "d");
  ASSERT_EQ(d({"init"}).exit_code, 0);
  const std::string n = d.Id({"negotiation", "add", "--buyer", "Acme"});
  std::string prefix;
  std::string first, second;
  {
    std::unique_ptr<KeyStore> keys;
    auto device = OpenInProcess(d, keys);
    ASSERT_NE(device, nullptr);
    auto neg = device->ResolveId(n);
    ASSERT_TRUE(neg.ok());
    // Notes until two ids share their first 4 hex characters (a few hundred, by the birthday
    // bound).
    std::map<std::string, std::string> seen;
    for (int i = 0; i < 20000 && prefix.empty(); ++i) {
      auto note = device->model().AddNote(
          *neg, model::NoteInput{std::nullopt, "note number " + std::to_string(i)});
      ASSERT_TRUE(note.ok());
      const std::string hex = log::ToString(*note);
      auto [it, fresh] = seen.emplace(hex.substr(0, 4), hex);
      if (!fresh) prefix = hex.substr(0, 4), first = it->second, second = hex;
    }
    ASSERT_FALSE(prefix.empty());
    if (second < first) std::swap(first, second);
    // The library: the message names both (type and short id, no content); IdCandidates lists them.
    auto resolved = device->ResolveId(prefix);
    ASSERT_EQ(resolved.status().code(), Code::kInvalidArgument);
    EXPECT_NE(resolved.status().message().find("note " + first.substr(0, 8)), std::string::npos)
        << resolved.status().message();
    EXPECT_NE(resolved.status().message().find("note " + second.substr(0, 8)), std::string::npos);
    EXPECT_EQ(resolved.status().message().find("note number"), std::string::npos);
    auto candidates = device->IdCandidates(prefix);
    ASSERT_TRUE(candidates.ok());
    ASSERT_EQ(candidates->size(), 2u);
    EXPECT_EQ(log::ToString((*candidates)[0].id), first);
    EXPECT_EQ(log::ToString((*candidates)[1].id), second);
    EXPECT_EQ((*candidates)[0].type, "note");
    EXPECT_EQ((*candidates)[0].label.rfind("note number ", 0), 0u);
    ASSERT_TRUE(device->Lock().ok());
  }
  Outcome text = d({"history", prefix});
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_EQ(Lines(text.err).size(), 1u) << text.err;
  for (const auto& id : {first, second}) {
    EXPECT_NE(text.err.find("note " + id.substr(0, 8) + " \"note number "), std::string::npos)
        << text.err;
  }
  Outcome json = d({"history", prefix, "--json"});
  EXPECT_EQ(json.exit_code, 1);
  auto parsed = testing::json::Parse(json.err);
  ASSERT_TRUE(parsed.ok()) << json.err;
  const auto& error = (*parsed)["error"];
  EXPECT_EQ(error["code"].AsString(), "invalid_argument");
  ASSERT_EQ(error["candidates"].size(), 2u) << json.err;
  std::set<std::string> ids = {error["candidates"][std::size_t{0}]["id"].AsString(),
                               error["candidates"][std::size_t{1}]["id"].AsString()};
  EXPECT_EQ(ids, (std::set<std::string>{first, second}));
  EXPECT_EQ(error["candidates"][std::size_t{0}]["type"].AsString(), "note");
  EXPECT_EQ(error["candidates"][std::size_t{0}]["label"].AsString().rfind("note number ", 0), 0u);
  // One more character settles it.
  EXPECT_EQ(d({"history", first.substr(0, 12)}).exit_code, 0);
}

TEST(CliResolve, PickTakesTheNumberedVersionAndWrongFieldsNameTheRightOnes) {
  parley::testing::TempDir root;
  Device laptop(root.path(), "laptop");
  Device phone(root.path(), "phone");
  auto file = [&](const std::string& name) { return root.Sub(name); };
  ASSERT_EQ(laptop({"init", "--name", "office laptop", "--vault", "coalition"}).exit_code, 0);
  ASSERT_EQ(phone({"init", "--name", "ana phone", "--no-vault"}).exit_code, 0);
  const std::string code = phone.Json({"device", "id"})["pairing_code"].AsString();
  ASSERT_EQ(laptop({"vault", "invite", code, "--out", file("invite")}).exit_code, 0);
  ASSERT_EQ(phone({"join", file("invite")}).exit_code, 0);
  const std::string n = laptop.Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods"});
  const std::string note = laptop.Id({"note", "add", n, "--text", "first wording"});
  ASSERT_EQ(laptop({"bundle", "export", file("l1")}).exit_code, 0);
  ASSERT_EQ(phone({"bundle", "import", file("l1")}).exit_code, 0);
  const std::string ref = note.substr(0, 8) + ".text";
  ASSERT_EQ(laptop({"resolve", ref, "laptop wording"}).exit_code, 0);
  ASSERT_EQ(phone({"resolve", ref, "phone wording"}).exit_code, 0);
  ASSERT_EQ(laptop({"bundle", "export", file("l2")}).exit_code, 0);
  ASSERT_EQ(phone({"bundle", "import", file("l2")}).exit_code, 0);

  Outcome listed = phone({"conflicts"});
  ASSERT_EQ(listed.exit_code, 0);
  EXPECT_NE(listed.out.find("parley resolve " + ref + " --pick N"), std::string::npos)
      << listed.out;
  auto versions = phone.Json({"conflicts"})["conflicts"][std::size_t{0}]["versions"];
  ASSERT_EQ(versions.size(), 2u);
  const std::string second = versions[std::size_t{1}]["value"].AsString();
  EXPECT_NE(listed.out.find("2) " + second), std::string::npos) << listed.out;

  // Out of range, zero, both or neither: usage errors, nothing changes.
  EXPECT_EQ(phone({"resolve", ref, "--pick", "3"}).exit_code, 1);
  EXPECT_EQ(phone({"resolve", ref, "--pick", "0"}).exit_code, 1);
  EXPECT_EQ(phone({"resolve", ref, "2", "--pick", "2"}).exit_code, 1);
  Outcome neither = phone({"resolve", ref});
  EXPECT_EQ(neither.exit_code, 1);
  EXPECT_NE(neither.err.find("--pick N"), std::string::npos) << neither.err;
  EXPECT_EQ(phone.Json({"conflicts"})["conflicts"].size(), 1u);

  auto picked = phone.Json({"resolve", ref, "--pick", "2"});
  EXPECT_EQ(picked["value"].AsString(), second);
  EXPECT_EQ(phone.Json({"conflicts"})["conflicts"].size(), 0u);
  auto shown = phone.Json({"negotiation", "show", n});
  EXPECT_EQ(shown["notes"][std::size_t{0}]["fields"]["text"].AsString(), second);
  // A VALUE is still stored as given, digits too.
  ASSERT_EQ(phone({"resolve", ref, "2"}).exit_code, 0);
  EXPECT_EQ(
      phone.Json({"negotiation", "show", n})["notes"][std::size_t{0}]["fields"]["text"].AsString(),
      "2");

  // A wrong or missing field names the fields of the record's type.
  for (const std::vector<std::string>& wrong :
       {std::vector<std::string>{"resolve", note.substr(0, 4) + ".txt", "x"},
        {"resolve", note.substr(0, 4) + ".txt", "--pick", "1"},
        {"resolve", note.substr(0, 4)},
        {"resolve", note.substr(0, 4) + "."}}) {
    Outcome out = phone(wrong);
    EXPECT_EQ(out.exit_code, 1) << wrong[1];
    EXPECT_NE(out.err.find("negotiation, session, text"), std::string::npos)
        << wrong[1] << ": " << out.err;
  }
}

}  // namespace
}  // namespace parley::cli_test
