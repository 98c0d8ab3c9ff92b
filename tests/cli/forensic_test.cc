// Forensic test: what a seized device's storage holds. Unique markers are planted through
// the command line in a note, a Buyer's name and an amount (and more); then every byte of
// every file Parley wrote (data directory, key-store directory, invite and bundle files) is
// searched for them, raw and as UTF-16: zero hits, before and after `parley lock`. And while
// `parley` holds typed text, no process on the machine shows it in its arguments or
// environment (what `ps` shows).
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "cli_runner.h"
#include "process_probe.h"

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
std::vector<std::string> Hits(const std::vector<std::string>& files,
                              const std::vector<std::string>& markers) {
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
  const std::vector<std::string> markers = {note_marker, buyer_marker, amount_marker, stdin_marker,
                                            party_marker};

  ASSERT_EQ(laptop({"init", "--name", "office laptop"}).exit_code, 0);
  ASSERT_EQ(phone({"init", "--name", "ana phone", "--no-vault"}).exit_code, 0);
  const std::string code = phone.Json({"device", "id"})["pairing_code"].AsString();
  ASSERT_EQ(laptop({"vault", "invite", code, "--out", root.Sub("invite")}).exit_code, 0);
  ASSERT_EQ(phone({"join", root.Sub("invite")}).exit_code, 0);

  const std::string n =
      laptop.Id({"negotiation", "add", "--buyer", buyer_marker, "--title", "Supply chain"});
  laptop.Id({"party", "add", n, "--role", "supplier", "--name", party_marker});
  laptop.Id({"note", "add", n, "--text", "Said in the room: " + note_marker});
  ASSERT_EQ(laptop({"note", "add", n}, "From standard input: " + stdin_marker + "\n").exit_code, 0);
  const std::string c = laptop.Id({"commitment", "add", n, "--kind", "price_premium", "--text",
                                   "Premium", "--amount", amount_marker + " USD"});
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

// Sampled while `parley` holds the text and waits — for the rest of its standard input, or
// for the editor it started — so the sample is taken at a moment the text is in flight. The
// editor is a script that writes the text into the file, says so through one FIFO and waits
// on another until the test has looked.
TEST(CliForensic, NoTypedMarkerInAnyProcessArgumentsOrEnvironment) {
  using namespace std::chrono_literals;
  parley::testing::TempDir root;
  parley::testing::TempDir scripts;  // outside `root`: the editor script holds its marker
  std::mt19937_64 rng(std::random_device{}());
  const std::string tag = std::to_string(rng() % 1'000'000'000'000ULL);
  const std::string stdin_marker = "STDINMARKER" + tag + "pq";
  const std::string editor_marker = "EDITORMARKER" + tag + "rt";
  const std::string control_marker = "CONTROLMARKER" + tag + "uv";
  const std::vector<std::string> markers = {stdin_marker, editor_marker};

  Device d(root.path(), "d");
  ASSERT_EQ(::mkdir(root.Sub("run").c_str(), 0700), 0);
  d.env["XDG_RUNTIME_DIR"] = root.Sub("run");
  ASSERT_EQ(d({"init"}).exit_code, 0);
  const std::string n = d.Id({"negotiation", "add", "--buyer", "Acme"});

  // The sampler finds a marker where there is one: a program with it among its arguments.
  {
    int in[2];
    ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    const pid_t control = SpawnProbed({"/bin/sh", "-c", "read line; exit 0", "sh", control_marker},
                                      {}, in[0], null, null);
    ::close(in[0]);
    ::close(null);
    ASSERT_GT(control, 0);
    EXPECT_FALSE(ProcessesShowing({control_marker}).empty()) << "the sampler misses arguments";
    ::close(in[1]);
    EXPECT_EQ(WaitForExit(control, 30s), 0);
  }

  // From standard input: sampled once parley has read the marker and waits for the rest.
  {
    PipedParley typing(d, {"note", "add", n, "--text", "-"});
    ASSERT_TRUE(typing.Write("Typed: " + stdin_marker + "\n"));
    ASSERT_TRUE(typing.WaitInputRead(60s));
    const std::vector<std::string> hits = ProcessesShowing(markers);
    EXPECT_TRUE(hits.empty()) << hits.size() << " hits, first: " << hits.front();
    Outcome done = typing.Finish();
    ASSERT_EQ(done.exit_code, 0) << done.err;
  }

  // From the editor: sampled while the editor, having written the marker, waits.
  {
    const std::string ready = scripts.Sub("ready"), go = scripts.Sub("go"),
                      editor = scripts.Sub("editor");
    ASSERT_EQ(::mkfifo(ready.c_str(), 0600), 0);
    ASSERT_EQ(::mkfifo(go.c_str(), 0600), 0);
    {
      std::ofstream f(editor);
      f << "#!/bin/sh\nprintf '%s\\n' 'Typed in the editor: " << editor_marker << "' > \"$1\"\n"
        << "echo ready > '" << ready << "'\nread line < '" << go << "'\n";
    }
    ASSERT_EQ(::chmod(editor.c_str(), 0700), 0);
    // Both ends held here: opening them never blocks, and neither sees an end of file.
    const int ready_fd = ::open(ready.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    const int go_fd = ::open(go.c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(ready_fd, 0);
    ASSERT_GE(go_fd, 0);
    d.env["EDITOR"] = editor;
    PipedParley editing(d, {"negotiation", "add", "--buyer", "@edit"});
    pollfd p{ready_fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 60'000), 1) << "the editor did not start";
    const std::vector<std::string> hits = ProcessesShowing(markers);
    EXPECT_TRUE(hits.empty()) << hits.size() << " hits, first: " << hits.front();
    ASSERT_EQ(::write(go_fd, "go\n", 3), 3);
    Outcome done = editing.Finish();
    ::close(ready_fd);
    ::close(go_fd);
    ASSERT_EQ(done.exit_code, 0) << done.err;
  }

  // Both went in, and no file under the test's root (the editor's directory included) holds
  // either marker.
  Outcome shown = d({"negotiation", "list", "--json"});
  Outcome note = d({"negotiation", "show", n});
  EXPECT_NE(shown.out.find(editor_marker), std::string::npos) << shown.out;
  EXPECT_NE(note.out.find(stdin_marker), std::string::npos) << note.out;
  const std::vector<std::string> files = Hits(FilesUnder(root.path()), markers);
  EXPECT_TRUE(files.empty()) << files.size() << " hits, first: " << files.front();
  EXPECT_TRUE(FilesUnder(root.Sub("run")).empty());
}

}  // namespace
}  // namespace parley::cli_test
