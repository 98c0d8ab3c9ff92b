// Typing text at a terminal: one Ctrl-D ends it, at the start of a line or after part of a
// line, as a person expects, and nothing typed afterwards goes into the record. The real
// `parley` runs on a pseudo-terminal (forkpty) that the test types into.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "cli_runner.h"

namespace parley::cli_test {
namespace {

struct TerminalRun {
  int exit_code = -1;
  bool needed_more = false;  // it was still reading after `typed`
  std::string screen;        // everything the terminal showed
};

// Reads the terminal's output until the other side is closed by every process (the program
// exited: read fails with EIO) or `timeout` passes. True when it closed.
bool ReadUntilClosed(int master, std::string& screen, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{master, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return false;
    char buf[4096];
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n > 0) {
      screen.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return true;  // EIO (or end of file): no process holds the terminal any more
  }
}

void Type(int master, const std::string& keys) {
  ASSERT_EQ(::write(master, keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
}

// Runs `parley ARGS` of `device` with a new pseudo-terminal as its controlling terminal and
// standard input, output and error; types `typed`, and waits for it to exit. When it is still
// reading 20 s later, types `more` (which must end its input) and waits again.
TerminalRun RunOnTerminal(const Device& device, const std::vector<std::string>& args,
                          const std::string& typed, const std::string& more) {
  ChildCommand command(device, args);

  TerminalRun run;
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    ::execve(command.argv()[0], command.argv(), command.envp());
    ::_exit(127);
  }
  if (pid < 0) {
    ADD_FAILURE() << "forkpty failed";
    return run;
  }
  Type(master, typed);
  if (!ReadUntilClosed(master, run.screen, std::chrono::seconds(20))) {
    run.needed_more = true;
    Type(master, more);
    if (!ReadUntilClosed(master, run.screen, std::chrono::seconds(20))) ::kill(pid, SIGKILL);
  }
  ::close(master);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

class CliTerminalInput : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(dev_({"init"}).exit_code, 0);
    n_ = dev_.Id({"negotiation", "add", "--buyer", "Acme"});
  }
  std::vector<std::string> Notes() {
    std::vector<std::string> notes;
    const auto shown = dev_.Json({"negotiation", "show", n_});
    for (std::size_t i = 0; i < shown["notes"].size(); ++i) {
      notes.push_back(shown["notes"][i]["fields"]["text"].AsString());
    }
    return notes;
  }
  parley::testing::TempDir root_;
  Device dev_{root_.path(), "d"};
  std::string n_;
};

constexpr char kCtrlD = '\x04';

TEST_F(CliTerminalInput, OneCtrlDAtTheStartOfALineEndsTheNote) {
  const std::string more = std::string("TYPED AFTER THE FIRST CTRL-D\n") + kCtrlD + kCtrlD;
  TerminalRun run =
      RunOnTerminal(dev_, {"note", "add", n_},
                    std::string("Buyer wants a phase-in.\nSecond line.\n") + kCtrlD, more);
  EXPECT_FALSE(run.needed_more) << "the note did not end at the first Ctrl-D";
  EXPECT_EQ(run.exit_code, 0) << run.screen;
  EXPECT_NE(run.screen.find("Ctrl-D"), std::string::npos)
      << "no prompt on the terminal: " << run.screen;
  EXPECT_EQ(Notes(), std::vector<std::string>{"Buyer wants a phase-in.\nSecond line."});
}

TEST_F(CliTerminalInput, OneCtrlDAfterPartOfALineEndsTheNote) {
  const std::string more = std::string("TYPED AFTER THE FIRST CTRL-D\n") + kCtrlD + kCtrlD;
  TerminalRun run = RunOnTerminal(dev_, {"note", "add", n_, "--text", "-"},
                                  std::string("First line\nno newline at the end") + kCtrlD, more);
  EXPECT_FALSE(run.needed_more) << "the note did not end at the first Ctrl-D";
  EXPECT_EQ(run.exit_code, 0) << run.screen;
  EXPECT_EQ(Notes(), std::vector<std::string>{"First line\nno newline at the end"});
}

TEST_F(CliTerminalInput, AnyFieldTypedAtTheTerminalEndsAtOneCtrlD) {
  const std::string more = std::string("MORE\n") + kCtrlD + kCtrlD;
  TerminalRun run = RunOnTerminal(dev_, {"party", "add", n_, "--role", "ally", "--name", "-"},
                                  std::string("Comité de Apoyo") + kCtrlD, more);
  EXPECT_FALSE(run.needed_more) << "the name did not end at the first Ctrl-D";
  EXPECT_EQ(run.exit_code, 0) << run.screen;
  EXPECT_EQ(dev_.Json({"negotiation", "show", n_})["parties"][std::size_t{0}]["fields"]["name"]
                .AsString(),
            "Comité de Apoyo");
}

TEST_F(CliTerminalInput, AWipeNotConfirmedExitsOneAndKeepsTheStore) {
  // docs/cli.md: a wipe that was not confirmed is a usage error (exit 1), nothing destroyed.
  TerminalRun run = RunOnTerminal(dev_, {"wipe"}, "no\n", "\n");
  EXPECT_FALSE(run.needed_more) << run.screen;
  EXPECT_EQ(run.exit_code, 1) << run.screen;
  EXPECT_NE(run.screen.find("Type WIPE"), std::string::npos) << run.screen;
  EXPECT_NE(run.screen.find("wipe cancelled"), std::string::npos) << run.screen;
  EXPECT_EQ(dev_.Json({"negotiation", "list"})["negotiations"].size(), 1u);
}

TEST_F(CliTerminalInput, ADeleteAsksFirstAndOnlyYesDeletes) {
  const std::string note = dev_.Id({"note", "add", n_, "--text", "Keep me unless told"});
  TerminalRun kept = RunOnTerminal(dev_, {"note", "delete", note.substr(0, 8)}, "no\n", "\n");
  EXPECT_FALSE(kept.needed_more) << kept.screen;
  EXPECT_EQ(kept.exit_code, 1) << kept.screen;
  EXPECT_NE(kept.screen.find("Delete note " + note.substr(0, 8) + "? Type yes to confirm"),
            std::string::npos)
      << kept.screen;
  EXPECT_NE(kept.screen.find("delete cancelled"), std::string::npos) << kept.screen;
  EXPECT_EQ(Notes(), std::vector<std::string>{"Keep me unless told"});
  TerminalRun deleted = RunOnTerminal(dev_, {"note", "delete", note.substr(0, 8)}, "yes\n", "\n");
  EXPECT_FALSE(deleted.needed_more) << deleted.screen;
  EXPECT_EQ(deleted.exit_code, 0) << deleted.screen;
  EXPECT_TRUE(Notes().empty());
}

}  // namespace
}  // namespace parley::cli_test
