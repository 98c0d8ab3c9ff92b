// `parley import` as a person and a script run it: 2,000 notes in one process, a batch per
// change, then found by search and listed; standard input and JSON lines; a bad row names
// its line and column and writes nothing; a progress bar on standard error when that is a
// terminal (a pseudo-terminal here), and none when it is a pipe.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>

#include "cli_runner.h"

namespace parley::cli_test {
namespace {

class CliImport : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(dev_({"init"}).exit_code, 0);
    n_ = dev_.Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods"});
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = root_.Sub(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  // A CSV of `n` notes ("note 1" ... "note n") of the negotiation, by an id prefix.
  std::string Notes(std::size_t n) {
    std::string csv = "type,negotiation,text\n";
    for (std::size_t i = 1; i <= n; ++i) {
      csv += "note," + n_.substr(0, 8) + ",\"note " + std::to_string(i) + ", imported\"\n";
    }
    return csv;
  }
  std::size_t NoteCount() { return dev_.Json({"negotiation", "show", n_})["notes"].size(); }

  parley::testing::TempDir root_;
  Device dev_{root_.path(), "d"};
  std::string n_;
};

TEST_F(CliImport, TwoThousandNotesInOneProcessThenSearchedAndListed) {
  const std::string file = Write("notes.csv", Notes(2000));
  Outcome run = dev_({"--json", "import", file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "") << "no progress bar when standard error is not a terminal";
  auto json = run.Json();
  EXPECT_EQ(json["schema"].AsInt(), 1);
  EXPECT_EQ(json["imported"].AsInt(), 2000);
  EXPECT_EQ(json["changes"].AsInt(), 4) << "500 records per change by default";
  EXPECT_EQ(json["by_type"]["note"].AsInt(), 2000);
  EXPECT_EQ(json["by_type"].size(), 1u);

  EXPECT_EQ(NoteCount(), 2000u);
  auto hits = dev_.Json({"search", "1207"})["hits"];
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[std::size_t{0}]["type"].AsString(), "note");
  EXPECT_NE(hits[std::size_t{0}]["snippet"].AsString().find("imported"), std::string::npos);

  Outcome text = dev_({"import", file, "--batch", "300"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out, "Imported 2,000 records in 7 changes: 2,000 notes.\n");
  EXPECT_EQ(text.err, "");
  EXPECT_EQ(NoteCount(), 4000u);
}

TEST_F(CliImport, StandardInputJsonLinesAndDryRun) {
  dev_.Id({"party", "add", n_, "--role", "buyer", "--name", "Fresh Harvest Foods"});
  const std::string jsonl =
      "{\"type\":\"commitment\",\"negotiation\":\"" + n_ +
      "\",\"kind\":\"price premium\",\"text\":\"a penny per pound\",\"by\":\"Fresh Harvest Foods\","
      "\"amount\":\"0.01 USD/lb\"}\n"
      "{\"type\":\"campaign_action\",\"negotiation\":\"" +
      n_ + "\",\"date\":\"2025-04-20\",\"kind\":\"protest\"}\n";
  Outcome dry = dev_({"--json", "import", "-", "--format", "jsonl", "--dry-run"}, jsonl);
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_TRUE(dry.Json()["dry_run"].AsBool());
  EXPECT_EQ(dry.Json()["imported"].AsInt(), 2);
  EXPECT_EQ(dev_.Json({"negotiation", "show", n_})["commitments"].size(), 0u)
      << "a dry run writes nothing";

  Outcome run = dev_({"import", "-", "--format", "jsonl"}, jsonl);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "Imported 2 records in 1 change: 1 campaign_action, 1 commitment.\n");
  auto shown = dev_.Json({"negotiation", "show", n_});
  ASSERT_EQ(shown["commitments"].size(), 1u);
  EXPECT_EQ(shown["commitments"][std::size_t{0}]["fields"]["kind"].AsString(), "price_premium");
  EXPECT_EQ(shown["campaign_actions"].size(), 1u);
}

TEST_F(CliImport, ABadRowNamesItsLineAndColumnAndWritesNothing) {
  // A header of four columns over rows of three fields.
  const std::string rows = Notes(3);
  const std::string file =
      Write("short.csv", "type,negotiation,text,date\n" + rows.substr(rows.find('\n') + 1));
  // Line 1,502: a session on a day that does not exist.
  std::string fixed = "type,negotiation,text,date\n";
  for (std::size_t i = 1; i <= 1500; ++i)
    fixed += "note," + n_ + ",note " + std::to_string(i) + ",\n";
  fixed += "session," + n_ + ",,2025-02-30\n";
  Outcome run = dev_({"import", Write("bad-date.csv", fixed)});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("line 1502, column date: invalid date '2025-02-30'"), std::string::npos)
      << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(NoteCount(), 0u);

  Outcome short_row = dev_({"--json", "import", file});
  EXPECT_EQ(short_row.exit_code, 1);
  EXPECT_NE(short_row.err.find("\"message\":\"line 2: 3 fields, but the header names 4 columns\""),
            std::string::npos)
      << short_row.err;

  Outcome unknown = dev_({"import", "notes.txt"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("--format"), std::string::npos) << unknown.err;
  Outcome missing = dev_({"import", root_.Sub("absent.csv")});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  Outcome batch = dev_({"import", file, "--batch", "0"});
  EXPECT_EQ(batch.exit_code, 1);
  EXPECT_NE(batch.err.find("--batch"), std::string::npos) << batch.err;
  EXPECT_EQ(NoteCount(), 0u);
}

// The fenced block after `fence` in the "Import" section of docs/cli.md, unindented.
std::string DocsExample(const std::string& fence) {
  const std::string doc = ReadBytes(std::string(PARLEY_DOCS_DIR) + "/cli.md");
  const std::size_t section = doc.find("### Import");
  const std::size_t begin = doc.find("  " + fence + "\n", section);
  if (section == std::string::npos || begin == std::string::npos) {
    ADD_FAILURE() << "no " << fence << " example in docs/cli.md";
    return "";
  }
  const std::size_t end = doc.find("  ```\n", begin + fence.size() + 3);
  std::string out;
  for (std::size_t at = doc.find('\n', begin) + 1; at < end;) {
    const std::size_t eol = doc.find('\n', at);
    out += doc.substr(at + 2, eol - at - 2) + "\n";  // two spaces of list indentation
    at = eol + 1;
  }
  return out;
}

// Replaces every "2564e1c2" (the negotiation of the examples) by `prefix`.
std::string WithNegotiation(std::string text, const std::string& prefix) {
  for (std::size_t at = text.find("2564e1c2"); at != std::string::npos;
       at = text.find("2564e1c2", at)) {
    text.replace(at, 8, prefix);
  }
  return text;
}

TEST_F(CliImport, TheExamplesOfTheDocumentationImport) {
  dev_.Id({"party", "add", n_, "--role", "buyer", "--name", "Fresh Harvest Foods"});
  const std::string csv = WithNegotiation(DocsExample("```csv"), n_.substr(0, 8));
  Outcome run = dev_({"import", Write("meetings.csv", csv)});
  ASSERT_EQ(run.exit_code, 0) << run.err << csv;
  EXPECT_EQ(run.out,
            "Imported 5 records in 1 change: 1 campaign_action, 1 commitment, 1 need, 1 note, 1 "
            "session.\n");
  const std::string jsonl = WithNegotiation(DocsExample("```json"), n_.substr(0, 8));
  run = dev_({"import", Write("meetings.jsonl", jsonl)});
  ASSERT_EQ(run.exit_code, 0) << run.err << jsonl;
  auto shown = dev_.Json({"negotiation", "show", n_});
  ASSERT_EQ(shown["needs"].size(), 1u);
  EXPECT_EQ(shown["needs"][std::size_t{0}]["fields"]["text"].AsString(),
            "Announced audits\n(a week ahead)");
  ASSERT_EQ(shown["notes"].size(), 2u);
  EXPECT_EQ(shown["notes"][std::size_t{0}]["fields"]["text"].AsString(),
            "Buyer asked for a phase-in, \"two seasons at most\"");
  EXPECT_EQ(shown["sessions"].size(), 2u);
}

// Runs `parley ARGS` with standard error on a new pseudo-terminal and standard output on a
// pipe; returns what each showed and the exit code.
struct SplitRun {
  int exit_code = -1;
  std::string terminal;
  std::string out;
};

SplitRun RunWithTerminalStderr(const Device& device, const std::vector<std::string>& args) {
  ChildCommand command(device, args);

  SplitRun run;
  int master = -1, slave = -1, out[2] = {-1, -1};
  if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0 || ::pipe(out) != 0) {
    ADD_FAILURE() << "openpty or pipe failed";
    return run;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(slave, STDERR_FILENO);
    ::close(master);
    ::close(out[0]);
    ::execve(command.argv()[0], command.argv(), command.envp());
    ::_exit(127);
  }
  ::close(slave);
  ::close(out[1]);
  // Reads both until the program has exited and closed them (the terminal then reads EIO).
  bool terminal_open = true, out_open = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while ((terminal_open || out_open) && std::chrono::steady_clock::now() < deadline) {
    pollfd p[2] = {{terminal_open ? master : -1, POLLIN, 0}, {out_open ? out[0] : -1, POLLIN, 0}};
    if (::poll(p, 2, 1000) < 0 && errno != EINTR) break;
    char buf[4096];
    if (terminal_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = ::read(master, buf, sizeof buf);
      if (n > 0) {
        run.terminal.append(buf, static_cast<std::size_t>(n));
      } else if (!(n < 0 && errno == EINTR)) {
        terminal_open = false;
      }
    }
    if (out_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n > 0) {
        run.out.append(buf, static_cast<std::size_t>(n));
      } else if (!(n < 0 && errno == EINTR)) {
        out_open = false;
      }
    }
  }
  if (terminal_open || out_open) {
    ADD_FAILURE() << "parley did not finish";
    ::kill(pid, SIGKILL);
  }
  ::close(master);
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

TEST_F(CliImport, AProgressBarOnATerminalOnly) {
  const std::string file = Write("notes.csv", Notes(2000));
  SplitRun run = RunWithTerminalStderr(dev_, {"import", file});
  ASSERT_EQ(run.exit_code, 0) << run.terminal;
  EXPECT_NE(run.terminal.find("Importing [......"), std::string::npos) << run.terminal;
  EXPECT_NE(run.terminal.find("] 1,000/2,000 records"), std::string::npos) << run.terminal;
  EXPECT_NE(run.terminal.find("[##############################] 2,000/2,000 records"),
            std::string::npos)
      << run.terminal;
  EXPECT_EQ(run.out, "Imported 2,000 records in 4 changes: 2,000 notes.\n")
      << "the summary goes to standard output";

  Outcome piped = dev_({"import", file});
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.err, "") << "no progress bar on a pipe";
  EXPECT_EQ(piped.out, "Imported 2,000 records in 4 changes: 2,000 notes.\n");
  EXPECT_EQ(NoteCount(), 4000u);
}

}  // namespace
}  // namespace parley::cli_test
