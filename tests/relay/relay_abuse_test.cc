// Bad input at a real relay process: each gets the documented answer or a disconnect, the
// relay does not crash, other connections carry on, and nothing is stored that should not be.
#include <signal.h>

#include "relay_fixture.h"

namespace parley::testing {
namespace {

class RelayAbuse : public RelayFixture {
 protected:
  // A healthy, authenticated admin with a registered vault, to show others are unaffected.
  void StartWith(std::vector<std::string> args = {}) {
    StartWithVault(std::move(args));
    if (HasFatalFailure()) return;
    chain_ = Chain(&admin_.identity, vault_);
  }
  void ExpectHealthy() {
    pb::Frame pong = Ping(*admin_client_, 5);
    EXPECT_EQ(pong.body_case(), pb::Frame::kPong);
    pb::Frame ack = Push(*admin_client_, {chain_.Next()});
    ASSERT_EQ(ack.body_case(), pb::Frame::kPushAck);
    EXPECT_EQ(ack.push_ack().acks(0).refusal(), pb::REFUSAL_NONE);
  }
  std::unique_ptr<SocketStream> Raw() {
    auto s = SocketStream::ConnectLoopback(relay_->port());
    EXPECT_TRUE(s.ok());
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::unique_ptr<TestClient> HandshakeOnly(const Device& d) {
    auto c = TestClient::Connect(relay_->port(), relay_->public_key(), d, /*authenticate=*/false);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  Chain chain_;
};

TEST_F(RelayAbuse, ZeroLengthIsADisconnect) {
  StartWith();
  auto raw = Raw();
  std::uint8_t zero[2] = {0, 0};
  ASSERT_TRUE(raw->WriteAll(zero).ok());
  EXPECT_TRUE(raw->WaitClosed());
  EXPECT_TRUE(relay_->WaitForLog("empty message"));
  ExpectHealthy();
}

TEST_F(RelayAbuse, GarbageHandshakeIsADisconnect) {
  StartWith();
  auto raw = Raw();
  crypto::Bytes junk = crypto::RandomBytes(48);
  auto msg = wire::Prefixed(junk);
  ASSERT_TRUE(raw->WriteAll(*msg).ok());
  // Message 1 carries a tag under the es key: junk fails it, and the relay hangs up.
  EXPECT_TRUE(raw->WaitClosed());
  EXPECT_TRUE(relay_->WaitForLog("handshake failed"));
  ExpectHealthy();
}

TEST_F(RelayAbuse, OversizedHandshakeMessageIsRefusedFromItsLength) {
  StartWith();
  auto raw = Raw();
  std::uint8_t big[2] = {0x10, 0x00};  // 4096 bytes announced, none sent
  ASSERT_TRUE(raw->WriteAll(big).ok());
  EXPECT_TRUE(raw->WaitClosed());
  EXPECT_TRUE(relay_->WaitForLog("over the cap"));
  ExpectHealthy();
}

TEST_F(RelayAbuse, FrameOverTheCapIsADisconnect) {
  StartWith({"--max-frame-bytes", "8192"});
  EXPECT_EQ(admin_client_->welcome().max_frame_bytes(), 8192u);
  auto c = Connect(member_);
  std::uint8_t big[2] = {0x27, 0x10};  // 10000 > 8192: refused before any payload is read
  ASSERT_TRUE(c->SendRaw(big).ok());
  EXPECT_TRUE(c->WaitClosed());
  EXPECT_TRUE(relay_->WaitForLog("over the cap"));
  ExpectHealthy();
}

TEST_F(RelayAbuse, GarbageAfterTheHandshakeIsADisconnect) {
  StartWith();
  auto c = Connect(member_);
  ASSERT_TRUE(c->SendRaw(*wire::Prefixed(crypto::RandomBytes(100))).ok());
  EXPECT_TRUE(c->WaitClosed());
  EXPECT_TRUE(relay_->WaitForLog("a frame failed to decrypt"));
  // Before authentication too.
  auto h = HandshakeOnly(member_);
  ASSERT_TRUE(h->SendRaw(*wire::Prefixed(crypto::RandomBytes(100))).ok());
  EXPECT_TRUE(h->WaitClosed());
  ExpectHealthy();
}

TEST_F(RelayAbuse, NothingButAnErrorBeforeAuthentication) {
  StartWith();
  auto h = HandshakeOnly(member_);
  pb::Frame ping;
  ping.set_id(9);
  ping.mutable_ping()->set_nonce(1);
  ASSERT_TRUE(h->Send(ping).ok());
  auto answer = h->Receive();
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->error().code(), pb::ERROR_UNAUTHENTICATED);
  EXPECT_EQ(answer->id(), 9u);
  EXPECT_TRUE(h->WaitClosed());
  ExpectHealthy();
}

TEST_F(RelayAbuse, WrongAuthenticationSignatureIsRefused) {
  StartWith();
  auto h = HandshakeOnly(member_);
  pb::Frame auth;
  // Signed over another hash: what a replayed Authenticate from another session looks like.
  *auth.mutable_authenticate() = wire::MakeAuthenticate(
      member_.identity, wire::MakeKxCertificate(member_.identity, member_.kx.public_key),
      crypto::Bytes(64, 1));
  ASSERT_TRUE(h->Send(auth).ok());
  auto answer = h->Receive();
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->error().code(), pb::ERROR_AUTH_FAILED);
  EXPECT_TRUE(h->WaitClosed());
  // A certificate for another transport key.
  auto h2 = HandshakeOnly(member_);
  *auth.mutable_authenticate() = wire::MakeAuthenticate(
      member_.identity,
      wire::MakeKxCertificate(member_.identity, crypto::NewDhKeyPair().public_key),
      h2->session().handshake_hash());
  ASSERT_TRUE(h2->Send(auth).ok());
  EXPECT_EQ(h2->Receive()->error().code(), pb::ERROR_AUTH_FAILED);
  EXPECT_TRUE(h2->WaitClosed());
  ExpectHealthy();
}

TEST_F(RelayAbuse, AClientThatStopsReadingIsCutAlone) {
  StartWith({"--max-queue-frames", "8"});
  // Enough data that every pull answer is large.
  for (int round = 0; round < 2; ++round) {
    std::vector<pb::Change> batch;
    for (int i = 0; i < 20; ++i) batch.push_back(chain_.Next(3000));
    ASSERT_EQ(Push(*admin_client_, batch).body_case(), pb::Frame::kPushAck);
  }
  auto slow = Connect(admin_);
  pb::Frame pull;
  pull.mutable_pull()->set_vault(vault_.data(), vault_.size());
  // Keep asking, never read. The relay's answers fill the socket buffers, then its queue.
  for (int i = 0; i < 2000 && relay_->CountLog("outbound queue full") == 0; ++i) {
    pull.set_id(i + 100);
    if (!slow->Send(pull).ok()) break;  // the relay cut us
  }
  EXPECT_TRUE(relay_->WaitForLog("outbound queue full"));
  ExpectHealthy();
  EXPECT_EQ(PullAll(*admin_client_).size(), 41u);
}

TEST_F(RelayAbuse, RateLimitedWithARetryHint) {
  StartWith({"--rate", "5", "--burst", "5"});
  bool limited = false;
  for (int i = 0; i < 20 && !limited; ++i) {
    pb::Frame r = Ping(*admin_client_, i);
    if (r.body_case() == pb::Frame::kError) {
      EXPECT_EQ(r.error().code(), pb::ERROR_RATE_LIMITED);
      EXPECT_GT(r.error().retry_after_ms(), 0u);
      limited = true;
    }
  }
  EXPECT_TRUE(limited);
  // A large push costs its changes: refused as a whole, nothing stored.
  std::vector<pb::Change> many;
  Chain other(&admin_.identity, vault_);
  for (int i = 0; i < 50; ++i) many.push_back(other.Next());
  pb::Frame r = Push(*admin_client_, many);
  EXPECT_EQ(r.error().code(), pb::ERROR_RATE_LIMITED);
}

TEST_F(RelayAbuse, SilentClientsTimeOutInTheHandshake) {
  StartWith({"--handshake-timeout-ms", "1000"});
  auto raw = Raw();
  EXPECT_TRUE(raw->WaitClosed());  // the relay closes; nothing was sent
  EXPECT_TRUE(relay_->WaitForLog("read timeout"));
  ExpectHealthy();
}

TEST_F(RelayAbuse, ConnectionsOverTheLimitAreClosed) {
  StartWith({"--max-connections", "2"});
  auto second = Connect(member_);
  ASSERT_NE(second, nullptr);
  auto third = Raw();
  EXPECT_TRUE(third->WaitClosed());
  EXPECT_TRUE(relay_->WaitForLog("connection limit"));
  ExpectHealthy();
}

TEST_F(RelayAbuse, TooManyChangesInOnePush) {
  StartWith({"--max-push-changes", "5"});
  EXPECT_EQ(admin_client_->welcome().max_push_changes(), 5u);
  std::vector<pb::Change> many;
  for (std::uint32_t i = 0; i <= admin_client_->welcome().max_push_changes(); ++i)
    many.push_back(chain_.Next(1));
  EXPECT_EQ(Push(*admin_client_, many).error().code(), pb::ERROR_TOO_LARGE);
  EXPECT_TRUE(PullAll(*admin_client_).empty());
}

// SIGTERM: the listener closes, pushes already received are stored and acknowledged, the
// process exits 0.
TEST_F(RelayAbuse, SigtermAcknowledgesInFlightPushesAndExitsZero) {
  StartWith();
  std::vector<crypto::Bytes> ids;
  for (int i = 0; i < 20; ++i) {
    pb::Frame f;
    f.set_id(1000 + i);
    f.mutable_push()->set_vault(vault_.data(), vault_.size());
    crypto::Bytes id;
    *f.mutable_push()->add_changes() = chain_.Next(200, &id);
    ids.push_back(id);
    ASSERT_TRUE(admin_client_->Send(f).ok());
  }
  EXPECT_EQ(relay_->Terminate(), 0);
  for (int i = 0; i < 20; ++i) {
    auto ack = admin_client_->Receive();
    ASSERT_TRUE(ack.ok()) << "push " << i << ": " << ack.status().ToString();
    ASSERT_EQ(ack->body_case(), pb::Frame::kPushAck);
    EXPECT_EQ(ack->id(), 1000u + i);
    EXPECT_EQ(ack->push_ack().acks(0).relay_seq(), static_cast<std::uint64_t>(i + 1));
  }
  EXPECT_TRUE(admin_client_->WaitClosed());
  std::string log = relay_->Log();
  EXPECT_NE(log.find("event=stopped"), std::string::npos);
  // Everything acknowledged is there after a restart.
  StartRelay();
  auto again = Connect(admin_);
  auto all = PullAll(*again);
  ASSERT_EQ(all.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(ChangeIdOf(all[i].change()), ids[i]);
}

}  // namespace
}  // namespace parley::testing
