// RelayServer::Adopt: an in-process relay serves sockets it did not accept, one end of a
// socketpair (no TCP port at all) or a TCP connection, exactly like accepted ones: the same
// handshake, authentication, frames and connection limit.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "parley/relay/relay_server.h"
#include "support/loopback.h"
#include "support/socket_stream.h"
#include "support/temp_dir.h"
#include "test_client.h"

namespace parley::testing {
namespace {

class RelayAdopt : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::InitCrypto().ok()); }
  void TearDown() override {
    if (!server_) return;
    server_->RequestStop();
    server_->Wait();
  }

  // A relay over SQLite storage in a temporary directory; started unless told otherwise.
  void MakeRelay(relay::RelayOptions options = {}, bool start = true) {
    key_ = crypto::NewDhKeyPair();
    auto writer = relay::OpenSqliteRelayStorage(dir_.Sub("relay.db"));
    auto reader = relay::OpenSqliteRelayStorage(dir_.Sub("relay.db"));
    ASSERT_TRUE(writer.ok() && reader.ok());
    options.io_threads = 1;
    server_ = std::make_unique<relay::RelayServer>(
        options, crypto::DhKeyPairFromSecret(key_.secret_key.view()), std::move(writer).value(),
        std::move(reader).value());
    if (start) {
      ASSERT_TRUE(server_->Start().ok());
    }
  }

  // A new socketpair: one end handed to the relay, the other returned for the client.
  std::unique_ptr<SocketStream> AdoptedPair() {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    Status s = server_->Adopt(sv[0]);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::make_unique<SocketStream>(sv[1]);
  }

  std::unique_ptr<TestClient> Client(std::unique_ptr<SocketStream> stream) {
    auto c = TestClient::Over(std::move(stream), key_.public_key, device_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  static void ExpectPong(TestClient& c, std::uint64_t nonce) {
    pb::Frame ping;
    ping.mutable_ping()->set_nonce(nonce);
    auto pong = c.Call(std::move(ping));
    ASSERT_TRUE(pong.ok()) << pong.status().ToString();
    ASSERT_EQ(pong->body_case(), pb::Frame::kPong);
    EXPECT_EQ(pong->pong().nonce(), nonce);
  }

  TempDir dir_;
  crypto::DhKeyPair key_;
  Device device_;
  std::unique_ptr<relay::RelayServer> server_;
};

TEST_F(RelayAdopt, SocketpairEndIsServedThroughHandshakeAuthenticateAndPing) {
  MakeRelay();
  auto client = Client(AdoptedPair());
  ASSERT_NE(client, nullptr);
  EXPECT_GT(client->welcome().max_frame_bytes(), 0u);
  ExpectPong(*client, 41);
  ExpectPong(*client, 42);
}

TEST_F(RelayAdopt, AdoptedTcpConnectionIsServedLikeAnAcceptedOne) {
  MakeRelay();
  auto listener = ListenLoopback(1);
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  auto client_fd = ConnectLoopback(listener->port);
  ASSERT_TRUE(client_fd.ok()) << client_fd.status().ToString();
  const int accepted = ::accept4(listener->fd, nullptr, nullptr, SOCK_CLOEXEC);
  ::close(listener->fd);
  ASSERT_GE(accepted, 0);
  ASSERT_TRUE(server_->Adopt(accepted).ok());
  auto client = Client(std::make_unique<SocketStream>(*client_fd));
  ASSERT_NE(client, nullptr);
  ExpectPong(*client, 7);
}

TEST_F(RelayAdopt, AdoptedSocketsCountAgainstTheConnectionLimit) {
  relay::RelayOptions o;
  o.max_connections = 1;
  MakeRelay(o);
  auto first = Client(AdoptedPair());
  ASSERT_NE(first, nullptr);
  auto second = AdoptedPair();
  EXPECT_TRUE(second->WaitClosed());  // over the limit: closed at once, as an accepted one
  ExpectPong(*first, 1);              // the first one is untouched
}

TEST_F(RelayAdopt, BeforeStartTheSocketIsClosedAndRefused) {
  MakeRelay({}, /*start=*/false);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  EXPECT_EQ(server_->Adopt(sv[0]).code(), Code::kUnavailable);
  SocketStream peer(sv[1]);
  EXPECT_TRUE(peer.WaitClosed());  // the relay owned sv[0] and closed it
}

TEST_F(RelayAdopt, WhatIsNotAStreamSocketIsRefusedAndClosed) {
  MakeRelay();
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  EXPECT_EQ(server_->Adopt(p[0]).code(), Code::kInvalidArgument);
  pollfd w{p[1], POLLOUT, 0};
  ASSERT_EQ(::poll(&w, 1, 1000), 1);
  EXPECT_NE(w.revents & POLLERR, 0);  // no reader left: the relay closed the read end
  ::close(p[1]);

  int d[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, d), 0);
  EXPECT_EQ(server_->Adopt(d[0]).code(), Code::kInvalidArgument);
  ::close(d[1]);
  EXPECT_EQ(server_->Adopt(-1).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace parley::testing
