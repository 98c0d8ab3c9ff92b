// The README's examples, run as written. Every ```sh block of README.md that shows `parley`
// or `parley-relay` commands is read from the source tree when the test runs, and each of
// its lines is run for real, in the README's order, by the built binaries on machines of
// their own (a HOME, a data directory, a key store each) against a real relay.
//
// Nothing is skipped silently: a README line the table below does not know fails the test,
// so does a line whose command fails, and so does an entry of the table the README no longer
// has. Adding an example to the README therefore means adding it here, with what it needs.
//
// What cannot be literal in the README is replaced, whole word by whole word, by a value the
// test made or read from an earlier command's --json output:
//
//   README text                   replaced by
//   ----------------------------  -----------------------------------------------------------
//   3f2a                          the id of the negotiation `negotiation add` made ("id")
//   9c1e                          the id of the commitment `commitment add` made ("id")
//   5b7d                          the id of the note `note add` made ("id")
//   meetings.csv                  stays as written: the test writes it in the machine's HOME
//                                 (the current directory) first
//   3f2a9c01                      the key prefix (8 hex characters, as `relay list` shows it)
//                                 of a second relay pinned just before `relay remove`
//   parley-relay:..., ...         the pairing code of the test's relay
//   Ben's phone                   the second device's name ("device" of `device id --json`;
//                                 `init --no-vault` names a device after the host)
//   /media/usb/to-office.parley   a file in a directory of the test ("the USB stick")
//   ~/parley-2027-05.pbk,         files in a directory of the test shared by the machines
//   ~/parley.pbk                  ("carried over"): a restore happens on another machine
//   /var/lib/parley-relay         a directory of the test (relay.example.org:7878, the
//                                 address the relay's pairing code carries, stays as written)
//   ~ (any other word)            the machine's HOME
//
// Typed input: `-` is fed on standard input; each `@edit` is typed by an editor ($EDITOR is
// a script that writes the next line of its queue); passphrases and keys come from
// PARLEY_PASSPHRASE, PARLEY_NEW_PASSPHRASE, PARLEY_RECOVERY_KEY and
// PARLEY_BACKUP_PASSPHRASE, as the README says scripts pass them. PARLEY_ARGON2=min keeps
// each unlock fast (for tests only). `export PARLEY_DATA=~/parley-data` is taken as each
// machine's shell setting, so the commands run with no --data, with the key store in its
// default place under HOME.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "relay_fixture.h"

namespace parley::cli_test {
namespace {

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// One line of a README block: the command as written (its trailing comment taken off) and
// the heading of the section it is in.
struct ReadmeLine {
  std::string section;
  std::string command;
};

// The README's ```sh blocks as lines. A block whose first command is one of `excluded` (the
// build and install scripts: not examples of parley) is left out whole. A line that is only a
// comment contributes the `parley ...` commands quoted in it with backquotes.
std::vector<ReadmeLine> ReadmeCommands(const std::string& text,
                                       const std::set<std::string>& excluded) {
  std::vector<ReadmeLine> lines;
  std::istringstream in(text);
  std::string line, section;
  bool in_block = false, first = false, skip_block = false;
  while (std::getline(in, line)) {
    if (!in_block) {
      if (line.rfind("#", 0) == 0) section = Trim(line.substr(line.find_first_not_of('#')));
      if (line == "```sh") in_block = first = true, skip_block = false;
      continue;
    }
    if (line.rfind("```", 0) == 0) {
      in_block = false;
      continue;
    }
    if (skip_block) continue;
    const std::string t = Trim(line);
    if (t.empty()) continue;
    if (t[0] == '#') {
      // A comment line: the commands it quotes.
      for (std::size_t at = t.find('`'); at != std::string::npos;) {
        const std::size_t end = t.find('`', at + 1);
        if (end == std::string::npos) break;
        const std::string quoted = t.substr(at + 1, end - at - 1);
        if (quoted.rfind("parley ", 0) == 0) lines.push_back({section, quoted});
        at = t.find('`', end + 1);
      }
      continue;
    }
    // The trailing comment: a # after a blank, outside quotes.
    std::string command;
    char quote = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const char c = t[i];
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '#' && i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t')) {
        break;
      }
      command.push_back(c);
    }
    command = Trim(command);
    if (first) {
      first = false;
      const std::string word = command.substr(0, command.find(' '));
      if (excluded.count(word) != 0) {
        skip_block = true;
        continue;
      }
    }
    lines.push_back({section, command});
  }
  return lines;
}

// Words as a POSIX shell splits them (blanks, '...' and "..." quotes; no expansion).
std::vector<std::string> Words(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool any = false;
  char quote = 0;
  for (char c : command) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        word.push_back(c);
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      any = true;
    } else if (c == ' ' || c == '\t') {
      if (any || !word.empty()) words.push_back(word);
      word.clear();
      any = false;
    } else {
      word.push_back(c);
    }
  }
  EXPECT_EQ(quote, 0) << "unbalanced quote in: " << command;
  if (any || !word.empty()) words.push_back(word);
  return words;
}

// A machine of the README: a HOME of its own, the variables its shell would hold.
struct Machine {
  std::string home;
  std::map<std::string, std::string> env;
};

struct Ran {
  int exit_code = -1;
  std::string out, err;
};

// What one README line needs beyond its own words.
struct Step {
  std::string machine;
  std::string input;                           // standard input (placeholders replaced)
  std::vector<std::string> edits;              // what the editor types for each @edit, in order
  std::map<std::string, std::string> env;      // more variables for this command
  std::map<std::string, std::string> capture;  // placeholder -> member of the --json output
  std::function<void()> before, after;         // what the test does around it
  std::function<void(const std::vector<std::string>&)> run;  // runs it another way (a server)
  bool last = false;                                         // runs after every other line
};

class ReadmeExamples : public CliWithRelay {
 protected:
  void SetUp() override {
    CliWithRelay::SetUp();
    shared_ = root_.Sub("shared");
    std::filesystem::create_directories(shared_);
    subs_["parley-relay:..."] = code_;
    subs_["..."] = code_;
    subs_["/media/usb/to-office.parley"] = root_.Sub("usb") + "/to-office.parley";
    subs_["~/parley-2027-05.pbk"] = shared_ + "/parley-2027-05.pbk";
    subs_["~/parley.pbk"] = shared_ + "/parley.pbk";
    subs_["/var/lib/parley-relay"] = root_.Sub("relay-host") + "/parley-relay";
  }

  Machine& M(const std::string& name) {
    auto it = machines_.find(name);
    if (it != machines_.end()) return it->second;
    Machine m;
    m.home = root_.Sub(name);
    std::filesystem::create_directories(m.home + "/run");
    ::chmod((m.home + "/run").c_str(), 0700);
    m.env["PARLEY_PASSPHRASE"] = "passphrase of " + name + ": correct horse battery";
    m.env["PARLEY_ARGON2"] = "min";
    m.env["XDG_RUNTIME_DIR"] = m.home + "/run";
    for (const auto& [k, v] : exported_) m.env[k] = Sub(v, m);
    return machines_.emplace(name, std::move(m)).first->second;
  }

  std::string Sub(const std::string& word, const Machine& m) {
    auto it = subs_.find(word);
    if (it != subs_.end()) return it->second;
    if (word == "~") return m.home;
    if (word.rfind("~/", 0) == 0) return m.home + word.substr(1);
    return word;
  }

  // Runs `binary args...` on machine `m` in its HOME, with `input` on standard input and an
  // editor that types `edits` one after the other.
  Ran Run(Machine& m, const std::string& binary, const std::vector<std::string>& args,
          const std::string& input, const std::vector<std::string>& edits,
          const std::map<std::string, std::string>& more_env) {
    const std::string queue = m.home + "/.edits", editor = m.home + "/.editor";
    {
      std::ofstream q(queue, std::ios::trunc);
      for (const auto& e : edits) q << e << "\n";
      std::ofstream s(editor, std::ios::trunc);
      s << "#!/bin/sh\nhead -n 1 '" << queue << "' > \"$1\" && sed -i 1d '" << queue << "'\n";
    }
    ::chmod(editor.c_str(), 0700);
    std::map<std::string, std::string> vars = m.env;
    vars["EDITOR"] = editor;
    for (const auto& [k, v] : more_env) vars[k] = v;
    const std::string in_path = m.home + "/.stdin", out_path = m.home + "/.stdout",
                      err_path = m.home + "/.stderr";
    {
      std::ofstream f(in_path, std::ios::binary | std::ios::trunc);
      f << input;
    }
    std::vector<std::string> argv_s = {binary};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s = ChildEnvironment(m.home, vars);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setsid();
      int in = ::open(in_path.c_str(), O_RDONLY);
      int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (in < 0 || out < 0 || err < 0 || ::chdir(m.home.c_str()) != 0) ::_exit(126);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    EXPECT_GT(pid, 0);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    Ran r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = ReadBytes(out_path);
    r.err = ReadBytes(err_path);
    EXPECT_EQ(ReadBytes(queue), "")
        << "the editor was not asked for every @edit of: " << ::testing::PrintToString(args);
    return r;
  }

  // `parley ARGS` on a machine, outside the README (the test's own preparation).
  testing::json::Value Parley(const std::string& machine, std::vector<std::string> args) {
    args.push_back("--json");
    Ran r = Run(M(machine), ParleyBinary(), args, "", {}, {});
    EXPECT_EQ(r.exit_code, 0) << "parley " << ::testing::PrintToString(args) << ": " << r.err;
    auto v = testing::json::Parse(r.out);
    return v.ok() ? *v : testing::json::Value();
  }

  // Runs one README line as its step says.
  void RunLine(const ReadmeLine& line, Step& step) {
    SCOPED_TRACE("README, " + line.section + ": " + line.command);
    std::printf("[%s] $ %s\n", step.machine.empty() ? "shell" : step.machine.c_str(),
                line.command.c_str());
    if (step.before) step.before();
    std::vector<std::string> words = Words(line.command);
    ASSERT_FALSE(words.empty());
    if (words[0] == "export") {
      ASSERT_EQ(words.size(), 2u);
      const auto eq = words[1].find('=');
      ASSERT_NE(eq, std::string::npos);
      const std::string value = words[1].substr(eq + 1);
      // Each machine's shell: "~" is its own HOME.
      exported_[words[1].substr(0, eq)] = value;
      for (auto& [name, m] : machines_) m.env[words[1].substr(0, eq)] = Sub(value, m);
      return;
    }
    Machine& m = M(step.machine);
    std::vector<std::string> args;
    for (std::size_t i = 1; i < words.size(); ++i) args.push_back(Sub(words[i], m));
    if (step.run) {
      step.run(args);
      return;
    }
    std::string binary;
    if (words[0] == "parley") {
      binary = ParleyBinary();
    } else if (words[0] == "parley-relay") {
      binary = testing::RelayBinary();
    } else {
      FAIL() << "not a parley command";
    }
    if (!step.capture.empty()) args.push_back("--json");
    std::string input = step.input;
    if (subs_.count(input) != 0) input = subs_[input];
    Ran r = Run(m, binary, args, input, step.edits, step.env);
    ASSERT_EQ(r.exit_code, 0) << "the README's example fails as written:\n" << r.err << r.out;
    if (!step.capture.empty()) {
      auto v = testing::json::Parse(r.out);
      ASSERT_TRUE(v.ok()) << r.out;
      for (const auto& [placeholder, member] : step.capture) {
        ASSERT_TRUE((*v)[member].is_string()) << member << " in " << r.out;
        subs_[placeholder] = (*v)[member].AsString();
      }
    }
    if (step.after) step.after();
  }

  testing::TempDir relay2_root_;
  std::string shared_;
  std::map<std::string, Machine> machines_;
  std::map<std::string, std::string> exported_;
  std::map<std::string, std::string> subs_;
};

// The table names only what each step needs; GCC 12 warns about the members left to their
// defaults in designated initializers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
TEST_F(ReadmeExamples, EveryExampleRunsAsWritten) {
  const std::string readme = ReadBytes(std::string(PARLEY_SOURCE_DIR) + "/README.md");
  ASSERT_FALSE(readme.empty()) << "no README.md in " << PARLEY_SOURCE_DIR;
  // Blocks of build and install commands: how to build Parley or a program against it, not
  // examples of it (the continuous build runs them; the cc lines: tests/consumer).
  const std::vector<ReadmeLine> lines =
      ReadmeCommands(readme, {"scripts/demo.sh", "scripts/install-deps.sh", "cc"});

  const std::string using_parley = "Using `parley`", lost = "When a phone is lost",
                    backup = "Backup and restore",
                    recovery = "When every admin device is lost: the recovery key",
                    relay = "Running a relay";
  const std::string backup_passphrase = "a backup passphrase: maple orbit tundra 42";
  const std::string new_passphrase = "the new passphrase of ana: staple margin orbit";
  auto recovery_key = [this] { return subs_["$RECOVERY_KEY"]; };
  std::unique_ptr<testing::RelayProcess> spare;  // the relay `relay remove` unpins
  std::unique_ptr<testing::RelayProcess> served;

  // Every line of the README, by section and command, and what it needs. Machines: "ana"
  // (Ana's phone, the admin), "ben" (the second device), "office" (the office laptop, made a
  // second admin), "new-machine" (where the backup is restored), "ana-new" (Ana's new phone,
  // recovered with the recovery key), "relay-host" (the relay of "Running a relay") and
  // "relay-user" (a device that pins that relay's code).
  std::map<std::pair<std::string, std::string>, Step> steps;
  auto add = [&](const std::string& section, const std::string& command, Step s) {
    ASSERT_TRUE(steps.emplace(std::make_pair(section, command), std::move(s)).second) << command;
  };
  add(using_parley, "export PARLEY_DATA=~/parley-data", {});
  add(using_parley, "parley init --name @edit --vault @edit",
      {.machine = "ana",
       .edits = {"Ana's phone", "coalition"},
       .capture = {{"$RECOVERY_KEY", "recovery_key"}},
       .after = [&] {
         // PARLEY_DATA is where the store went; the key store is in its default place.
         EXPECT_FALSE(FilesUnder(M("ana").home + "/parley-data").empty());
         EXPECT_FALSE(FilesUnder(M("ana").home + "/.config/parley/keystore").empty());
       }});
  add(using_parley, "parley negotiation add --buyer - --title @edit",
      {.machine = "ana",
       .input = "Fresh Harvest Foods\n",
       .edits = {"Fair food agreement"},
       .capture = {{"3f2a", "id"}}});
  add(using_parley, "parley note add 3f2a",
      {.machine = "ana", .input = "The Buyer asked for two weeks.\n", .capture = {{"5b7d", "id"}}});
  add(using_parley, "parley party add 3f2a --role buyer --name @edit",
      {.machine = "ana", .edits = {"Fresh Harvest Foods"}, .capture = {{"$PARTY", "id"}}});
  add(using_parley,
      "parley commitment add 3f2a --kind price_premium --text @edit --by @edit --amount -",
      {.machine = "ana",
       .input = "0.05 USD/lb\n",
       .edits = {"A premium on every pound of tomatoes", "Fresh Harvest Foods"},
       .capture = {{"9c1e", "id"}},
       .after = [&] {
         // --by named the party: the commitment is by that party.
         auto n = Parley("ana", {"negotiation", "show", subs_["3f2a"]});
         ASSERT_EQ(n["commitments"].size(), 1u);
         EXPECT_EQ(n["commitments"][std::size_t{0}]["fields"]["by"].AsString(), subs_["$PARTY"]);
       }});
  add(using_parley, "parley commitment status 9c1e agreed", {.machine = "ana"});
  add(using_parley, "parley bottomline require 3f2a financial_support --covered-by 9c1e",
      {.machine = "ana"});
  add(using_parley,
      "parley bottomline require 3f2a financial_support --form \"price_premium>=0.05 USD/lb\" "
      "--form \"licensing fee\"",
      {.machine = "ana"});
  add(using_parley, "parley bottomline report 3f2a", {.machine = "ana"});
  add(using_parley, "parley report 3f2a --format html --output report.html",
      {.machine = "ana", .after = [&] {
         EXPECT_NE(ReadBytes(M("ana").home + "/report.html").find("Fair food agreement"),
                   std::string::npos);
       }});
  add(using_parley, "parley note list --negotiation 3f2a --limit 20",
      {.machine = "ana", .after = [&] {
         auto list = Parley("ana", {"note", "list", "--negotiation", subs_["3f2a"]});
         ASSERT_EQ(list["notes"].size(), 1u);
         EXPECT_EQ(list["notes"][std::size_t{0}]["id"].AsString(), subs_["5b7d"]);
       }});
  add(using_parley, "parley search \"two weeks\" --negotiation 3f2a",
      {.machine = "ana", .after = [&] {
         auto hits = Parley("ana", {"search", "two weeks"});
         ASSERT_EQ(hits["hits"].size(), 1u);
         EXPECT_EQ(hits["hits"][std::size_t{0}]["record"].AsString(), subs_["5b7d"]);
       }});
  add(using_parley, "parley note show 5b7d", {.machine = "ana"});
  add(using_parley, "parley note edit 5b7d --text @edit",
      {.machine = "ana", .edits = {"The Buyer asked for three weeks."}, .after = [&] {
         auto shown = Parley("ana", {"note", "show", subs_["5b7d"]});
         EXPECT_EQ(shown["record"]["fields"]["text"].AsString(),
                   "The Buyer asked for three weeks.");
       }});
  add(using_parley, "parley note delete 5b7d --yes",
      {.machine = "ana", .after = [&] {
         EXPECT_EQ(Parley("ana", {"note", "list", "--negotiation", subs_["3f2a"]})["notes"].size(),
                   0u);
       }});
  add(using_parley, "parley import meetings.csv",
      {.machine = "ana",
       .before =
           [&] {
             std::ofstream csv(M("ana").home + "/meetings.csv");
             csv << "type,negotiation,date,place,text\n"
                 << "session," << subs_["3f2a"] << ",2025-04-02,Immokalee,\n"
                 << "note," << subs_["3f2a"]
                 << ",,,\"Buyer asked for a phase-in, \"\"two seasons at most\"\"\"\n";
           },
       .after =
           [&] {
             EXPECT_EQ(
                 Parley("ana", {"note", "list", "--negotiation", subs_["3f2a"]})["notes"].size(),
                 1u);
             EXPECT_EQ(
                 Parley("ana", {"session", "list", "--negotiation", subs_["3f2a"]})["sessions"]
                     .size(),
                 1u);
           }});
  add(using_parley, "parley bundle export /media/usb/to-office.parley",
      {.machine = "ana",
       .before = [&] { std::filesystem::create_directories(root_.Sub("usb")); },
       .after =
           [&] { EXPECT_TRUE(std::filesystem::exists(subs_["/media/usb/to-office.parley"])); }});
  add(using_parley, "parley relay add parley-relay:...", {.machine = "ana"});
  add(using_parley, "parley relay list", {.machine = "ana"});
  add(using_parley, "parley relay remove 3f2a9c01",
      {.machine = "ana",
       .before =
           [&] {
             // A second relay to unpin; the first stays for the sync below.
             spare = std::make_unique<testing::RelayProcess>(relay2_root_.Sub("relay"));
             const std::string spare_code = spare->PairingCode(1);
             Parley("ana", {"relay", "add", spare_code});
             auto list = Parley("ana", {"relay", "list"});
             for (std::size_t i = 0; i < list["relays"].size(); ++i) {
               if (list["relays"][std::size_t{i}]["pairing_code"].AsString() == spare_code) {
                 subs_["3f2a9c01"] =
                     list["relays"][std::size_t{i}]["public_key"].AsString().substr(0, 8);
               }
             }
             ASSERT_EQ(subs_["3f2a9c01"].size(), 8u);
           },
       .after =
           [&] {
             EXPECT_EQ(Parley("ana", {"relay", "list"})["relays"].size(), 1u);
           }});
  add(using_parley, "parley sync", {.machine = "ana"});
  add(using_parley, "parley status", {.machine = "ana"});
  // "# a second device: `parley init --no-vault`, `parley relay add ...`, then `parley device id`"
  add(using_parley, "parley init --no-vault", {.machine = "ben"});
  add(using_parley, "parley relay add ...", {.machine = "ben"});
  add(using_parley, "parley device id",
      {.machine = "ben", .capture = {{"$BEN_CODE", "pairing_code"}, {"Ben's phone", "device"}}});
  add(using_parley, "parley vault invite -", {.machine = "ana", .input = "$BEN_CODE"});
  add(using_parley, "parley join",
      {.machine = "ben", .after = [&] {
         EXPECT_EQ(
             Parley("ben", {"negotiation", "show", subs_["3f2a"]})["negotiation"]["fields"]["buyer"]
                 .AsString(),
             "Fresh Harvest Foods");
       }});
  add(using_parley, "parley passphrase change",
      {.machine = "ana", .env = {{"PARLEY_NEW_PASSPHRASE", new_passphrase}}, .after = [&] {
         M("ana").env["PARLEY_PASSPHRASE"] = new_passphrase;
       }});
  add(using_parley, "parley passphrase policy --wipe-after 10", {.machine = "ana"});
  add(using_parley, "parley lock", {.machine = "ana"});
  add(using_parley, "parley wipe --yes",
      {.machine = "ana",
       .after =
           [&] {
             EXPECT_TRUE(FilesUnder(M("ana").home + "/parley-data").empty());
             EXPECT_EQ(Run(M("ana"), ParleyBinary(), {"status"}, "", {}, {}).exit_code, 2);
           },
       .last = true});

  add(lost, "parley vault members", {.machine = "ana"});
  add(lost, "parley device revoke \"Ben's phone\"",
      {.machine = "ana", .after = [&] {
         // The lost phone learns it at its next sync, destroys its keys and data: exit 11.
         Ran r = Run(M("ben"), ParleyBinary(), {"sync"}, "", {}, {});
         EXPECT_EQ(r.exit_code, 11) << r.err;
         EXPECT_NE(r.err.find("This device was revoked from the vault by Ana's phone; its keys and "
                              "data have been destroyed."),
                   std::string::npos)
             << r.err;
       }});
  add(lost, "parley vault promote \"Office laptop\"",
      {.machine = "ana", .before = [&] {
         // The office laptop joins the vault the way the README enrols any device.
         Parley("office", {"init", "--name", "Office laptop", "--no-vault"});
         Parley("office", {"relay", "add", code_});
         const std::string code = Parley("office", {"device", "id"})["pairing_code"].AsString();
         Parley("ana", {"vault", "invite", code});
         Parley("office", {"join"});
       }});

  add(backup, "parley backup ~/parley-2027-05.pbk", {.machine = "ana"});
  add(backup, "parley backup --passphrase ~/parley.pbk",
      {.machine = "ana", .env = {{"PARLEY_BACKUP_PASSPHRASE", backup_passphrase}}});
  add(backup, "parley backup verify ~/parley-2027-05.pbk", {.machine = "ana"});
  add(backup, "parley restore ~/parley-2027-05.pbk", {.machine = "new-machine"});
  add(backup, "parley check", {.machine = "new-machine"});

  add(recovery, "parley init --name \"Ana's new phone\" --no-vault", {.machine = "ana-new"});
  add(recovery, "parley relay add parley-relay:...", {.machine = "ana-new"});
  add(recovery, "parley recover", {.machine = "ana-new"});
  add(recovery, "parley device revoke \"Ana's phone\"", {.machine = "ana-new"});
  add(recovery, "parley vault recovery-key --rotate", {.machine = "ana-new"});

  add(relay, "parley-relay init --data /var/lib/parley-relay --address relay.example.org:7878",
      {.machine = "relay-host",
       .before = [&] { std::filesystem::create_directories(root_.Sub("relay-host")); },
       .after =
           [&] {
             // The code it printed is one `parley relay add` takes (it carries the address).
             Ran info =
                 Run(M("relay-host"), testing::RelayBinary(),
                     {"info", "--data", subs_["/var/lib/parley-relay"], "--json"}, "", {}, {});
             ASSERT_EQ(info.exit_code, 0) << info.err;
             auto v = testing::json::Parse(info.out);
             ASSERT_TRUE(v.ok()) << info.out;
             Parley("relay-user", {"init", "--no-vault"});
             Parley("relay-user", {"relay", "add", (*v)["pairing_code"].AsString()});
           }});
  // Serves until SIGTERM: run in the background on a free loopback port instead of
  // 0.0.0.0:7878, until it says it listens, then stopped; it must stop cleanly.
  add(relay, "parley-relay serve --data /var/lib/parley-relay --listen 0.0.0.0:7878",
      {.machine = "relay-host", .run = [&](const std::vector<std::string>& args) {
         ASSERT_EQ(args.size(), 5u);
         EXPECT_EQ(args[0], "serve");
         EXPECT_EQ(args[1], "--data");
         EXPECT_EQ(args[3], "--listen");
         served = std::make_unique<testing::RelayProcess>(args[2]);
         Status s = served->Start();
         ASSERT_TRUE(s.ok()) << s.ToString();
         s = served->Stop();
         EXPECT_TRUE(s.ok()) << s.ToString();
       }});
  add(relay, "parley-relay metrics --data /var/lib/parley-relay", {.machine = "relay-host"});

  // The recovery key goes to every command that needs it through the environment.
  for (auto& [key, step] : steps) {
    const auto& command = key.second;
    if (command.find("backup ~/") != std::string::npos ||
        command.find("verify") != std::string::npos ||
        command.find("restore") != std::string::npos || command == "parley recover") {
      auto before = step.before;
      step.before = [&, before, s = &step] {
        if (before) before();
        s->env["PARLEY_RECOVERY_KEY"] = recovery_key();
      };
    }
  }

  std::set<std::pair<std::string, std::string>> seen;
  std::vector<std::pair<ReadmeLine, Step*>> deferred;
  for (const ReadmeLine& line : lines) {
    auto it = steps.find({line.section, line.command});
    if (it == steps.end()) {
      ADD_FAILURE() << "a README example this test does not know how to run (add it to the "
                       "table):\n  section \""
                    << line.section << "\": " << line.command;
      continue;
    }
    seen.insert(it->first);
    if (it->second.last) {
      deferred.emplace_back(line, &it->second);
      continue;
    }
    RunLine(line, it->second);
    if (HasFatalFailure()) return;
  }
  for (auto& [line, step] : deferred) RunLine(line, *step);
  for (const auto& [key, step] : steps) {
    EXPECT_EQ(seen.count(key), 1u)
        << "the README no longer shows (section \"" << key.first << "\"): " << key.second;
  }
}
#pragma GCC diagnostic pop

}  // namespace
}  // namespace parley::cli_test
