// The Noise layer against the published cacophony vectors (tests/vectors/noise/), byte
// for byte: every handshake message, the handshake hash, and the transport messages after it.
#include <gtest/gtest.h>

#include <iostream>

#include "parley/sync/noise.h"
#include "support/json.h"

namespace parley::noise {
namespace {

namespace json = testing::json;

Bytes Hex(const json::Value& v) {
  auto r = crypto::FromHex(v.AsString());
  EXPECT_TRUE(r.ok()) << v.AsString();
  return r.ok() ? *r : Bytes();
}

std::optional<crypto::DhKeyPair> KeyPair(const json::Value& vec, const char* field) {
  const json::Value* v = vec.Find(field);
  if (v == nullptr) return std::nullopt;
  return crypto::DhKeyPairFromSecret(Hex(*v));
}

std::optional<Bytes> PublicKey(const json::Value& vec, const char* field) {
  const json::Value* v = vec.Find(field);
  if (v == nullptr) return std::nullopt;
  return Hex(*v);
}

json::Value LoadVectors() {
  auto parsed =
      json::ParseFile(std::string(PARLEY_VECTORS_DIR) + "/noise/cacophony-25519-chachapoly.json");
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : json::Value();
}

TEST(NoiseVectors, EverySupportedVectorByteForByte) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  json::Value doc = LoadVectors();
  const json::Array& vectors = doc["vectors"].AsArray();
  int ran = 0, skipped = 0, xk = 0;
  for (const json::Value& vec : vectors) {
    const std::string& name = vec["protocol_name"].AsString();
    SCOPED_TRACE(name);
    auto pattern = ParseProtocolName(name);
    if (!pattern) {
      ++skipped;
      std::cout << "skipped " << name << ": pattern not implemented\n";
      continue;
    }
    HandshakeConfig ic;
    ic.pattern = *pattern;
    ic.initiator = true;
    ic.prologue = Hex(vec["init_prologue"]);
    ic.s = KeyPair(vec, "init_static");
    ic.e = KeyPair(vec, "init_ephemeral");
    ic.rs = PublicKey(vec, "init_remote_static");
    HandshakeConfig rc;
    rc.pattern = *pattern;
    rc.initiator = false;
    rc.prologue = Hex(vec["resp_prologue"]);
    rc.s = KeyPair(vec, "resp_static");
    rc.e = KeyPair(vec, "resp_ephemeral");
    rc.rs = PublicKey(vec, "resp_remote_static");
    auto init = HandshakeState::Create(std::move(ic));
    auto resp = HandshakeState::Create(std::move(rc));
    ASSERT_TRUE(init.ok()) << init.status().ToString();
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();

    const json::Array& messages = vec["messages"].AsArray();
    std::size_t i = 0;
    for (; i < messages.size() && !init->finished(); ++i) {
      HandshakeState& writer = (i % 2 == 0) ? *init : *resp;
      HandshakeState& reader = (i % 2 == 0) ? *resp : *init;
      Bytes payload = Hex(messages[i]["payload"]);
      auto ct = writer.WriteMessage(payload);
      ASSERT_TRUE(ct.ok()) << ct.status().ToString();
      EXPECT_EQ(crypto::ToHex(*ct), messages[i]["ciphertext"].AsString())
          << "handshake message " << i;
      auto pt = reader.ReadMessage(*ct);
      ASSERT_TRUE(pt.ok()) << pt.status().ToString();
      EXPECT_EQ(*pt, payload);
    }
    ASSERT_TRUE(init->finished());
    ASSERT_TRUE(resp->finished());
    EXPECT_EQ(crypto::ToHex(init->handshake_hash()), vec["handshake_hash"].AsString());
    EXPECT_EQ(init->handshake_hash(), resp->handshake_hash());

    auto [i_send, i_recv] = init->Split();
    auto [r_recv, r_send] = resp->Split();
    // After the handshake the initiator sends on even-numbered messages of an interactive
    // pattern's remaining list, alternating with the responder.
    const bool initiator_sends_first = (i % 2 == 0);
    for (std::size_t j = i; j < messages.size(); ++j) {
      bool from_initiator = ((j - i) % 2 == 0) == initiator_sends_first;
      CipherState& tx = from_initiator ? i_send : r_send;
      CipherState& rx = from_initiator ? r_recv : i_recv;
      Bytes payload = Hex(messages[j]["payload"]);
      auto ct = tx.Encrypt({}, payload);
      ASSERT_TRUE(ct.ok());
      EXPECT_EQ(crypto::ToHex(*ct), messages[j]["ciphertext"].AsString())
          << "transport message " << j;
      auto pt = rx.Decrypt({}, *ct);
      ASSERT_TRUE(pt.ok());
      EXPECT_EQ(*pt, payload);
    }
    ++ran;
    if (*pattern == Pattern::kXK) ++xk;
  }
  std::cout << "noise vectors: " << ran << " ran, " << skipped << " skipped, " << xk
            << " of them XK\n";
  RecordProperty("vectors_ran", ran);
  EXPECT_GE(xk, 1);
  EXPECT_GT(ran, 0);
}

// Tampering with any byte of any XK handshake message makes the reader fail. Each probe
// replays a deterministic handshake (fixed keys) up to the message, then flips one byte.
TEST(NoiseXK, FlippedByteInHandshakeIsRejected) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  const Bytes prologue{'p', 'a', 'r', 'l', 'e', 'y', '/', '1'};
  const Bytes relay_secret(32, 0x11), device_secret(32, 0x22), ie(32, 0x33), re(32, 0x44);
  const Bytes relay_public = crypto::DhKeyPairFromSecret(relay_secret).public_key;

  auto fresh_pair = [&]() {
    HandshakeConfig ic{Pattern::kXK, true,
                       prologue,     crypto::DhKeyPairFromSecret(device_secret),
                       relay_public, crypto::DhKeyPairFromSecret(ie)};
    HandshakeConfig rc{Pattern::kXK, false,
                       prologue,     crypto::DhKeyPairFromSecret(relay_secret),
                       std::nullopt, crypto::DhKeyPairFromSecret(re)};
    return std::make_pair(std::move(HandshakeState::Create(std::move(ic)).value()),
                          std::move(HandshakeState::Create(std::move(rc)).value()));
  };

  int probes = 0;
  for (int msg = 0; msg < 3; ++msg) {
    std::size_t size = 0;
    {
      auto [init, resp] = fresh_pair();
      for (int i = 0; i <= msg; ++i) {
        HandshakeState& w = (i % 2 == 0) ? init : resp;
        HandshakeState& r = (i % 2 == 0) ? resp : init;
        auto ct = w.WriteMessage(crypto::AsBytes("payload"));
        ASSERT_TRUE(ct.ok());
        size = ct->size();
        ASSERT_TRUE(r.ReadMessage(*ct).ok());
      }
    }
    for (std::size_t b = 0; b < size; ++b) {
      auto [init, resp] = fresh_pair();
      for (int i = 0; i <= msg; ++i) {
        HandshakeState& w = (i % 2 == 0) ? init : resp;
        HandshakeState& r = (i % 2 == 0) ? resp : init;
        auto ct = w.WriteMessage(crypto::AsBytes("payload"));
        ASSERT_TRUE(ct.ok());
        if (i == msg) (*ct)[b] ^= 0x01;
        auto pt = r.ReadMessage(*ct);
        if (i < msg) {
          ASSERT_TRUE(pt.ok());
        } else {
          EXPECT_FALSE(pt.ok()) << "message " << msg << " byte " << b << " accepted after a flip";
          if (!pt.ok()) {
            EXPECT_EQ(pt.status().code(), Code::kCorrupt);
          }
        }
      }
      ++probes;
    }
  }
  EXPECT_GT(probes, 100);
}

TEST(NoiseXK, TransportRejectsReplayAndTamper) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  Bytes key(32, 0x5a);
  CipherState tx(key), rx(key);
  auto c0 = tx.Encrypt({}, crypto::AsBytes("frame zero"));
  auto c1 = tx.Encrypt({}, crypto::AsBytes("frame one"));
  ASSERT_TRUE(c0.ok() && c1.ok());
  EXPECT_FALSE(rx.Decrypt({}, *c1).ok());  // out of order: wrong nonce
  EXPECT_EQ(rx.nonce(), 0u);               // a failure does not advance
  ASSERT_TRUE(rx.Decrypt({}, *c0).ok());
  EXPECT_FALSE(rx.Decrypt({}, *c0).ok());  // replay
  Bytes bad = *c1;
  bad.back() ^= 0x80;
  EXPECT_FALSE(rx.Decrypt({}, bad).ok());
  EXPECT_TRUE(rx.Decrypt({}, *c1).ok());
}

}  // namespace
}  // namespace parley::noise
