// Files at the edges of `bundle import`, `join` and `bundle export`: endless or huge inputs
// are refused with bounded memory, and an export never writes over the store's own files or
// over anything that is not a regular file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.h"
#include "parley/platform/posix_env.h"

namespace parley::cli_test {
namespace {

// Every run of these tests must finish within this much address space.
constexpr std::uint64_t kMemoryLimit = 512ull << 20;

// A sparse file of `size` bytes (no disk used).
void MakeSparse(const std::string& path, off_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, size), 0);
  ::close(fd);
}

// Writes to the FIFO at `path` on its own thread: `data` once, or zeros without end when
// `endless`, until the reader closes it. Joined by the destructor (which unblocks a writer
// still waiting for a reader).
class FifoWriter {
 public:
  FifoWriter(std::string path, std::string data, bool endless) : path_(std::move(path)) {
    ::signal(SIGPIPE, SIG_IGN);  // a reader that stops early is the point: EPIPE, not death
    EXPECT_EQ(::mkfifo(path_.c_str(), 0600), 0);
    thread_ = std::thread([this, data = std::move(data), endless] {
      const int fd = ::open(path_.c_str(), O_WRONLY);
      if (fd < 0) return;
      const std::string zeros(65536, '\0');
      const std::string& chunk = endless ? zeros : data;
      do {
        std::size_t sent = 0;
        while (sent < chunk.size()) {
          const ssize_t n = ::write(fd, chunk.data() + sent, chunk.size() - sent);
          if (n <= 0) {
            ::close(fd);
            return;
          }
          sent += static_cast<std::size_t>(n);
          written_ += static_cast<std::uint64_t>(n);
        }
      } while (endless);
      ::close(fd);
    });
  }
  ~FifoWriter() {
    // Unblock a writer still waiting in open(): be its reader for a moment.
    const int fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK);
    if (fd >= 0) ::close(fd);
    thread_.join();
  }
  std::uint64_t written() const { return written_; }

 private:
  std::string path_;
  std::thread thread_;
  std::atomic<std::uint64_t> written_{0};
};

class CliFileEdges : public ::testing::Test {
 protected:
  parley::testing::TempDir root;
  Device laptop{root.path(), "laptop"};
  Device phone{root.path(), "phone"};

  void SetUp() override {
    laptop.memory_limit = kMemoryLimit;
    phone.memory_limit = kMemoryLimit;
  }
  std::string File(const std::string& name) { return root.Sub(name); }

  void InitLaptop() {
    ASSERT_EQ(laptop({"init", "--name", "laptop", "--vault", "coalition"}).exit_code, 0);
  }
  // A phone that can join: returns the path of a valid invite for it.
  std::string InvitePhone() {
    EXPECT_EQ(phone({"init", "--name", "phone", "--no-vault"}).exit_code, 0);
    const std::string code = phone.Json({"device", "id"})["pairing_code"].AsString();
    EXPECT_EQ(laptop({"vault", "invite", code, "--out", File("invite")}).exit_code, 0);
    return File("invite");
  }
  void ExpectPhoneNotJoined() {
    Outcome members = phone({"vault", "members"});
    EXPECT_NE(members.exit_code, 0) << "the phone joined: " << members.out;
  }
};

// The state of every file of a store (name, size, digest of the content), to show that
// nothing of it changed.
std::vector<std::string> Snapshot(const std::string& dir) {
  std::vector<std::string> files;
  for (const std::string& f : FilesUnder(dir)) {
    const std::string bytes = ReadBytes(f);
    files.push_back(f + " " + std::to_string(bytes.size()) + " " +
                    std::to_string(std::hash<std::string>{}(bytes)));
  }
  return files;
}

TEST_F(CliFileEdges, BundleImportOfAnEndlessDeviceIsRefused) {
  InitLaptop();
  Outcome r = laptop({"bundle", "import", "/dev/zero"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(CliFileEdges, BundleImportOfAFifoIsRefusedWithoutReadingIt) {
  InitLaptop();
  FifoWriter writer(File("fifo"), "", /*endless=*/true);
  Outcome r = laptop({"bundle", "import", File("fifo")});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
}

TEST_F(CliFileEdges, BundleImportOfAHugeFileIsRefusedBeforeReading) {
  InitLaptop();
  MakeSparse(File("huge.bundle"), (off_t{1} << 30) + 1);
  Outcome r = laptop({"bundle", "import", File("huge.bundle")});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("larger than 1024 MiB"), std::string::npos) << r.err;
}

TEST_F(CliFileEdges, JoinOfAnEndlessDeviceIsRefused) {
  InitLaptop();
  InvitePhone();
  Outcome r = phone({"join", "/dev/zero"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("larger than 1024 KiB"), std::string::npos) << r.err;
  ExpectPhoneNotJoined();
}

TEST_F(CliFileEdges, JoinOfAnEndlessFifoStopsReadingAtTheLimit) {
  InitLaptop();
  InvitePhone();
  {
    FifoWriter writer(File("fifo"), "", /*endless=*/true);
    Outcome r = phone({"join", File("fifo")});
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.err.find("larger than 1024 KiB"), std::string::npos) << r.err;
  }
  ExpectPhoneNotJoined();
}

TEST_F(CliFileEdges, JoinOfAHugeFileIsRefused) {
  InitLaptop();
  InvitePhone();
  MakeSparse(File("huge.invite"), off_t{64} << 20);
  Outcome r = phone({"join", File("huge.invite")});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("larger than 1024 KiB"), std::string::npos) << r.err;
  ExpectPhoneNotJoined();
}

TEST_F(CliFileEdges, JoinThroughAFifoWorks) {
  InitLaptop();
  const std::string invite = ReadBytes(InvitePhone());
  ASSERT_FALSE(invite.empty());
  FifoWriter writer(File("fifo"), invite, /*endless=*/false);
  Outcome r = phone({"join", File("fifo")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(phone({"vault", "members"}).exit_code, 0);
}

// Export onto `target` is refused (exit 1, the message says why), nothing of the store
// changes, and the store still opens and works.
void ExpectExportRefused(const Device& d, const std::string& target, const std::string& why) {
  const auto data_before = Snapshot(d.data_dir());
  const auto keystore_before = Snapshot(d.keystore_dir());
  ASSERT_FALSE(data_before.empty());
  Outcome r = d({"bundle", "export", target});
  EXPECT_EQ(r.exit_code, 1) << target << ": " << r.err;
  EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(Snapshot(d.data_dir()), data_before)
      << "exporting to " << target << " changed the store";
  EXPECT_EQ(Snapshot(d.keystore_dir()), keystore_before)
      << "exporting to " << target << " changed the key store";
  EXPECT_EQ(d({"negotiation", "list"}).exit_code, 0)
      << "the store no longer opens after exporting to " << target;
}

TEST_F(CliFileEdges, ExportOntoTheStoresOwnFilesIsRefused) {
  InitLaptop();
  ASSERT_EQ(laptop({"negotiation", "add", "--buyer", "Acme"}).exit_code, 0);
  const std::string data = laptop.data_dir();
  ExpectExportRefused(laptop, data + "/keys", "one of the store's own files");
  ExpectExportRefused(laptop, data + "/parley.db", "one of the store's own files");
  // Through ".." and a symlink: the same files by another name.
  ExpectExportRefused(laptop, data + "/../" + data.substr(data.rfind('/') + 1) + "/keys",
                      "one of the store's own files");
  ASSERT_EQ(::symlink((data + "/keys").c_str(), File("innocent.bundle").c_str()), 0);
  ExpectExportRefused(laptop, File("innocent.bundle"), "one of the store's own files");
  // A new file inside the data directory, and the key-store secret.
  ExpectExportRefused(laptop, data + "/new.bundle", "inside the store's directory");
  const auto secrets = FilesUnder(laptop.keystore_dir());
  ASSERT_FALSE(secrets.empty());
  ExpectExportRefused(laptop, secrets[0], "one of the store's own files");
  // The data directory itself.
  ExpectExportRefused(laptop, data, "it is a directory");
}

// Device nodes made in the test's own directory (as root: the same kind of node as /dev/null
// and /dev/full, so a regression replaces the test's copy, never the system's), and a FIFO.
TEST_F(CliFileEdges, ExportOntoADeviceNodeOrFifoIsRefusedAndLeavesIt) {
  InitLaptop();
  std::vector<std::string> nodes;
  if (::geteuid() == 0) {
    ASSERT_EQ(::mknod(File("null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_EQ(::mknod(File("full").c_str(), S_IFCHR | 0666, makedev(1, 7)), 0);
    nodes = {File("null"), File("full")};
  }
  ASSERT_EQ(::mkfifo(File("fifo").c_str(), 0600), 0);
  nodes.push_back(File("fifo"));
  for (const std::string& node : nodes) {
    struct stat before {};
    ASSERT_EQ(::lstat(node.c_str(), &before), 0);
    ExpectExportRefused(laptop, node, "not a regular file");
    struct stat after {};
    ASSERT_EQ(::lstat(node.c_str(), &after), 0) << node << " is gone";
    EXPECT_EQ(after.st_mode, before.st_mode) << node << " was replaced";
    EXPECT_EQ(after.st_rdev, before.st_rdev);
    EXPECT_EQ(after.st_ino, before.st_ino);
    EXPECT_FALSE(parley::PosixEnv().FileExists(node + ".tmp"));
  }
}

TEST_F(CliFileEdges, ExportToARegularFileWorksAndReplacesIt) {
  InitLaptop();
  ASSERT_EQ(laptop({"negotiation", "add", "--buyer", "Acme"}).exit_code, 0);
  auto first = laptop.Json({"bundle", "export", File("out.bundle")});
  EXPECT_GT(first["changes"].AsInt(), 0);
  EXPECT_EQ(ReadBytes(File("out.bundle")).size(), static_cast<std::size_t>(first["bytes"].AsInt()));
  // Over an existing regular file outside the store: replaced.
  ASSERT_EQ(laptop({"negotiation", "add", "--buyer", "Beta"}).exit_code, 0);
  auto second = laptop.Json({"bundle", "export", File("out.bundle")});
  EXPECT_EQ(second["changes"].AsInt(), first["changes"].AsInt() + 1);
  EXPECT_EQ(ReadBytes(File("out.bundle")).size(),
            static_cast<std::size_t>(second["bytes"].AsInt()));
  // And the bundle imports on another device of the vault.
  ASSERT_EQ(phone({"join", InvitePhone()}).exit_code, 0);
  EXPECT_EQ(phone({"bundle", "import", File("out.bundle")}).exit_code, 0);
  EXPECT_EQ(phone.Json({"bundle", "import", File("out.bundle")})["duplicates"].AsInt(),
            second["changes"].AsInt());
}

}  // namespace
}  // namespace parley::cli_test
