// The Transport seam: the POSIX (TCP) transport against real loopback sockets, and the
// in-memory loopback transport the sync tests use.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "parley/platform/posix_env.h"
#include "parley/platform/transport.h"
#include "parley/testing/fake_env.h"
#include "parley/testing/loopback_transport.h"

namespace parley {
namespace {

using Steady = std::chrono::steady_clock;

std::vector<std::uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

// A listening TCP socket on 127.0.0.1 with a kernel-chosen port.
struct Listener {
  int fd = -1;
  std::uint16_t port = 0;
  explicit Listener(int backlog = 16, bool listen = true) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    if (listen) {
      EXPECT_EQ(::listen(fd, backlog), 0);
    }
    socklen_t len = sizeof a;
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { EXPECT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0); }
  ~Pipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  void Signal() {
    const char c = 1;
    EXPECT_EQ(::write(fds[1], &c, 1), 1);
  }
};

// Writes all of `data`, waiting on poll_fd() whenever the connection would block.
void WriteAll(Connection& c, const std::vector<std::uint8_t>& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    auto n = c.WriteSome(std::span<const std::uint8_t>(data).subspan(sent));
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    sent += *n;
    if (*n == 0) {
      pollfd p{c.poll_fd(), POLLOUT, 0};
      ASSERT_EQ(::poll(&p, 1, 5'000), 1);
    }
  }
}

// Reads exactly `size` bytes the same way; an error ends the read and is returned.
Result<std::vector<std::uint8_t>> ReadN(Connection& c, std::size_t size) {
  std::vector<std::uint8_t> out(size);
  std::size_t got = 0;
  while (got < size) {
    PARLEY_ASSIGN_OR_RETURN(std::size_t n, c.ReadSome(std::span<std::uint8_t>(out).subspan(got)));
    got += n;
    if (n == 0) {
      pollfd p{c.poll_fd(), POLLIN, 0};
      if (::poll(&p, 1, 5'000) != 1)
        return Error(Domain::kPlatform, Code::kUnavailable, "test read timed out");
    }
  }
  return out;
}

// Waits for the connection's poll_fd() to poll readable; then ReadSome must end with
// kUnavailable (after at most the bytes still in flight).
Status ReadUntilEnd(Connection& c) {
  std::uint8_t buf[64];
  for (int i = 0; i < 1000; ++i) {
    pollfd p{c.poll_fd(), POLLIN, 0};
    if (::poll(&p, 1, 5'000) != 1)
      return Error(Domain::kPlatform, Code::kInternal, "never became readable");
    auto n = c.ReadSome(buf);
    if (!n.ok()) return n.status();
  }
  return Error(Domain::kPlatform, Code::kInternal, "never ended");
}

TEST(PosixTransport, ExchangesBytesWithALoopbackListener) {
  Listener l;
  auto c = PosixTransport().Connect(l.address(), 5'000, -1);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Connection& conn = **c;
  const int server = ::accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(server, 0);
  // The client's socket never blocks: nothing to read yet is "would block", not an error.
  std::uint8_t buf[8];
  auto empty = conn.ReadSome(buf);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, 0u);

  WriteAll(conn, Bytes("hello relay"));
  std::vector<std::uint8_t> got(11);
  ASSERT_EQ(::recv(server, got.data(), got.size(), MSG_WAITALL), 11);
  EXPECT_EQ(got, Bytes("hello relay"));

  ASSERT_EQ(::send(server, "welcome", 7, MSG_NOSIGNAL), 7);
  auto answer = ReadN(conn, 7);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(*answer, Bytes("welcome"));

  ::close(server);
  Status end = ReadUntilEnd(conn);
  EXPECT_EQ(end.code(), Code::kUnavailable) << end.ToString();
  EXPECT_NE(end.message().find("closed the connection"), std::string::npos) << end.ToString();
}

TEST(PosixTransport, LargeWritesReportWouldBlockAndComplete) {
  Listener l;
  auto c = PosixTransport().Connect(l.address(), 5'000, -1);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const int server = ::accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(server, 0);
  std::vector<std::uint8_t> big(8 << 20);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
  std::vector<std::uint8_t> received(big.size());
  std::thread reader([&] {
    EXPECT_EQ(::recv(server, received.data(), received.size(), MSG_WAITALL), ssize_t(big.size()));
  });
  WriteAll(**c, big);
  reader.join();
  EXPECT_EQ(received, big);
  ::close(server);
}

TEST(PosixTransport, RefusedPortIsUnavailable) {
  Listener bound(0, /*listen=*/false);  // bound, never listening: connects are refused
  auto c = PosixTransport().Connect(bound.address(), 5'000, -1);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnavailable) << c.status().ToString();
  EXPECT_NE(c.status().message().find("cannot connect to " + bound.address()), std::string::npos)
      << c.status().ToString();
  EXPECT_NE(c.status().message().find("refused"), std::string::npos) << c.status().ToString();
}

TEST(PosixTransport, MalformedAndUnresolvableAddresses) {
  auto bad = PosixTransport().Connect("no-port-here", 1'000, -1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument) << bad.status().ToString();
  auto unknown = PosixTransport().Connect("name.invalid:4000", 1'000, -1);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kUnavailable) << unknown.status().ToString();
  EXPECT_NE(unknown.status().message().find("cannot resolve"), std::string::npos)
      << unknown.status().ToString();
}

// A listener whose accept queue is full: the kernel drops further SYNs, so a connect to it
// stays pending. Skips the test where the kernel does not behave so.
class StalledListener {
 public:
  StalledListener() : l_(0) {
    for (int i = 0; i < 16; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(l_.port);
      fillers_.push_back(fd);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) continue;
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 200) == 0) {
        stalled_ = true;
        return;
      }
    }
  }
  ~StalledListener() {
    for (int fd : fillers_) ::close(fd);
  }
  bool stalled() const { return stalled_; }
  std::string address() const { return l_.address(); }

 private:
  Listener l_;
  std::vector<int> fillers_;
  bool stalled_ = false;
};

TEST(PosixTransport, ConnectTimeoutIsHonoured) {
  StalledListener s;
  if (!s.stalled()) GTEST_SKIP() << "this kernel completes every connect to a full listener";
  const auto start = Steady::now();
  auto c = PosixTransport().Connect(s.address(), 300, -1);
  const auto took = Steady::now() - start;
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnavailable) << c.status().ToString();
  EXPECT_NE(c.status().message().find("timed out"), std::string::npos) << c.status().ToString();
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(PosixTransport, CancelStopsAPendingConnect) {
  StalledListener s;
  if (!s.stalled()) GTEST_SKIP() << "this kernel completes every connect to a full listener";
  Pipe cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel.Signal();
  });
  const auto start = Steady::now();
  auto c = PosixTransport().Connect(s.address(), 60'000, cancel.fds[0]);
  const auto took = Steady::now() - start;
  canceller.join();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kCancelled) << c.status().ToString();
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(PosixTransport, CancelledBeforehandDoesNotConnect) {
  Listener l;
  Pipe cancel;
  cancel.Signal();
  auto c = PosixTransport().Connect(l.address(), 5'000, cancel.fds[0]);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kCancelled) << c.status().ToString();
}

TEST(PosixTransport, ShutdownFromAnotherThreadWakesAWaitingReader) {
  Listener l;
  auto c = PosixTransport().Connect(l.address(), 5'000, -1);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const int server = ::accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(server, 0);
  Connection& conn = **c;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    conn.Shutdown();
  });
  Status end = ReadUntilEnd(conn);  // the peer never writes: only Shutdown ends this
  stopper.join();
  EXPECT_EQ(end.code(), Code::kUnavailable) << end.ToString();
  auto w = conn.WriteSome(Bytes("late"));
  EXPECT_EQ(w.status().code(), Code::kUnavailable);
  ::close(server);
}

TEST(PosixEnvTransport, IsThePosixTransport) {
  EXPECT_EQ(&PosixEnv().transport(), &PosixTransport());
}

TEST(LoopbackTransport, RoundTripsBytesThroughAnAcceptedSocket) {
  testing::LoopbackTransport t;
  int server = -1;
  t.Listen("relay-a:1", [&](int fd) { server = fd; });
  auto c = t.Connect("relay-a:1", 1'000, -1);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_GE(server, 0);
  EXPECT_EQ(t.connects(), 1u);
  WriteAll(**c, Bytes("ping"));
  std::vector<std::uint8_t> got(4);
  ASSERT_EQ(::recv(server, got.data(), got.size(), MSG_WAITALL), 4);
  EXPECT_EQ(got, Bytes("ping"));
  ASSERT_EQ(::send(server, "pong!", 5, MSG_NOSIGNAL), 5);
  auto answer = ReadN(**c, 5);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(*answer, Bytes("pong!"));
  ::close(server);
  Status end = ReadUntilEnd(**c);
  EXPECT_EQ(end.code(), Code::kUnavailable) << end.ToString();
}

TEST(LoopbackTransport, ConnectionListenerAndShutdown) {
  testing::LoopbackTransport t;
  std::unique_ptr<Connection> server;
  t.ListenConnections("peer", [&](std::unique_ptr<Connection> c) { server = std::move(c); });
  auto c = t.Connect("peer", 1'000, -1);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_NE(server, nullptr);
  WriteAll(*server, Bytes("hello"));
  auto got = ReadN(**c, 5);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, Bytes("hello"));

  (*c)->Shutdown();
  auto r = (*c)->ReadSome(std::span<std::uint8_t>(got->data(), got->size()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  // The peer sees the end too.
  Status end = ReadUntilEnd(*server);
  EXPECT_EQ(end.code(), Code::kUnavailable) << end.ToString();
}

TEST(LoopbackTransport, RefusesUnknownAddresses) {
  testing::LoopbackTransport t;
  t.Listen("relay-a:1", [](int fd) { ::close(fd); });
  auto c = t.Connect("relay-b:1", 1'000, -1);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnavailable) << c.status().ToString();
  EXPECT_NE(c.status().message().find("refused"), std::string::npos) << c.status().ToString();
  t.Unlisten("relay-a:1");
  EXPECT_EQ(t.Connect("relay-a:1", 1'000, -1).status().code(), Code::kUnavailable);
  EXPECT_EQ(t.connects(), 0u);
}

TEST(LoopbackTransport, HonoursCancel) {
  testing::LoopbackTransport t;
  t.Listen("relay-a:1", [](int fd) { ::close(fd); });
  Pipe cancel;
  cancel.Signal();
  EXPECT_EQ(t.Connect("relay-a:1", 1'000, cancel.fds[0]).status().code(), Code::kCancelled);
}

TEST(FaultEnvTransport, DefaultsToTheBaseAndCanBeReplaced) {
  testing::FaultEnv env(PosixEnv());
  EXPECT_EQ(&env.transport(), &PosixTransport());
  testing::LoopbackTransport loopback;
  env.SetTransport(&loopback);
  EXPECT_EQ(&env.transport(), &loopback);
  env.SetTransport(nullptr);
  EXPECT_EQ(&env.transport(), &PosixTransport());
}

}  // namespace
}  // namespace parley
