#include "sync_test_util.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <vector>

#include "parley/platform/posix_env.h"
#include "parley/relay/relay_storage.h"
#include "parley/sync/relay_pairing.h"

namespace parley::testing {

std::unique_ptr<SyncDevice> SyncDevice::Create(const std::string& dir, const std::string& name,
                                               KeyStore& keys, Clock& clock,
                                               sync::SyncOptions options) {
  EXPECT_TRUE(crypto::InitCrypto().ok());
  auto d = std::make_unique<SyncDevice>();
  d->name = name;
  store::StoreOptions o;
  o.data_dir = dir + "/" + name;
  o.argon2 = crypto::MinimumArgon2Params();
  o.device_name = name;
  Env& env = PosixEnv();
  EXPECT_TRUE(env.CreateDirs(o.data_dir).ok());
  Status created = store::Store::Create(env, keys, o, "pass");
  EXPECT_TRUE(created.ok()) << created.ToString();
  d->data_dir = o.data_dir;
  d->store = std::move(store::Store::Open(env, keys, o.data_dir, "pass")).value();
  d->replica = std::move(log::Replica::Open(*d->store, clock)).value();
  d->state = std::move(sync::SyncState::Open(d->store->db())).value();
  d->poller = sync::NewSystemPoller(clock);
  d->transport = &PosixTransport();
  d->client = std::make_unique<sync::SyncClient>(*d->store, *d->replica, *d->state, *d->poller,
                                                 *d->transport, options);
  return d;
}

bool SyncDevice::Reopen(KeyStore& keys, Clock& clock, const std::string& base_vfs,
                        sync::SyncOptions options) {
  client.reset();
  poller.reset();
  state.reset();
  replica.reset();
  store.reset();
  store::StoreOptions o;
  o.data_dir = data_dir;
  o.base_vfs = base_vfs;
  auto opened = store::Store::Open(PosixEnv(), keys, o, "pass");
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  if (!opened.ok()) return false;
  store = std::move(opened).value();
  auto r = log::Replica::Open(*store, clock);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return false;
  replica = std::move(r).value();
  auto st = sync::SyncState::Open(store->db());
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  if (!st.ok()) return false;
  state = std::move(st).value();
  poller = sync::NewSystemPoller(clock);
  client =
      std::make_unique<sync::SyncClient>(*store, *replica, *state, *poller, *transport, options);
  return true;
}

void SyncDevice::UseTransport(Transport& t, sync::SyncOptions options) {
  client.reset();
  transport = &t;
  client =
      std::make_unique<sync::SyncClient>(*store, *replica, *state, *poller, *transport, options);
}

void SyncDevice::Pin(const crypto::Bytes& relay_key, std::uint16_t port) {
  PinAddress(relay_key, "127.0.0.1:" + std::to_string(port));
}

void SyncDevice::PinAddress(const crypto::Bytes& relay_key, const std::string& address) {
  const std::string code = wire::EncodeRelayPairingCode({relay_key, address});
  auto r = state->AddRelay(code);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  if (relay == 0) relay = r->id;
}

log::RecordId SyncDevice::Add(const std::string& type, const std::string& field,
                              const std::string& value) {
  auto tx = std::move(replica->Begin()).value();
  auto id = std::move(tx->Create(type)).value();
  Status set = tx->Set(id, field, value);
  EXPECT_TRUE(set.ok()) << set.ToString();
  auto c = tx->Commit();
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return id;
}

void SyncDevice::Set(const log::RecordId& id, const std::string& field, const std::string& value) {
  auto tx = std::move(replica->Begin()).value();
  ASSERT_TRUE(tx->Set(id, field, value).ok());
  ASSERT_TRUE(tx->Commit().ok());
}

std::uint64_t SyncDevice::Changes() { return replica->ChangeCount().value(); }

std::string SyncDevice::Dump() {
  auto records = std::move(replica->List("", true)).value();
  std::vector<std::string> lines;
  for (const auto& r : records) {
    std::string line =
        log::ToString(r.id) + " " + r.type + " e" + std::to_string(static_cast<int>(r.existence));
    for (const auto& f : r.fields) {
      line += " " + f.name + "=[";
      for (const auto& v : f.values)
        line += v.data + "@" + v.author.substr(0, 8) + "#" + std::to_string(v.seq) + ";";
      line += "]";
    }
    lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

void EnrollOffline(SyncDevice& a, SyncDevice& b) {
  auto invite = a.replica->Invite(b.replica->DevicePairingCode());
  ASSERT_TRUE(invite.ok()) << invite.status().ToString();
  Status s = b.replica->AcceptInvite(*invite);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

std::vector<std::unique_ptr<SyncDevice>> MakeTeam(const std::string& dir,
                                                  const std::vector<std::string>& names,
                                                  KeyStore& keys, Clock& clock) {
  std::vector<std::unique_ptr<SyncDevice>> team;
  for (const std::string& name : names) team.push_back(SyncDevice::Create(dir, name, keys, clock));
  EXPECT_TRUE(team.front()->replica->CreateVault("team").ok());
  for (std::size_t i = 1; i < team.size(); ++i) EnrollOffline(*team.front(), *team[i]);
  return team;
}

InProcessRelay::InProcessRelay(const std::string& dir, relay::RelayOptions options)
    : dir_(dir), options_(std::move(options)) {
  EXPECT_TRUE(crypto::InitCrypto().ok());
  key_ = crypto::NewDhKeyPair();
  EXPECT_TRUE(PosixEnv().CreateDirs(dir).ok());
  options_.listen_host = "127.0.0.1";
  options_.listen_port = 0;
  options_.io_threads = 1;
  Serve();
}

void InProcessRelay::Serve() {
  auto writer = relay::OpenSqliteRelayStorage(dir_ + "/relay.db");
  auto reader = relay::OpenSqliteRelayStorage(dir_ + "/relay.db");
  EXPECT_TRUE(writer.ok() && reader.ok());
  server_ = std::make_unique<relay::RelayServer>(
      options_, crypto::DhKeyPairFromSecret(key_.secret_key.view()), std::move(writer).value(),
      std::move(reader).value());
  Status s = server_->Start();
  EXPECT_TRUE(s.ok()) << s.ToString();
}

void InProcessRelay::Restart() {
  Stop();
  Serve();
}

InProcessRelay::~InProcessRelay() { Stop(); }

std::string InProcessRelay::ServeOn(LoopbackTransport& net, const std::string& address) {
  net.Listen(address, [this](int fd) {
    if (!server_) {
      ::close(fd);  // stopped: the device sees the connection closed
      return;
    }
    Status s = server_->Adopt(fd);
    EXPECT_TRUE(s.ok() || s.code() == Code::kUnavailable) << s.ToString();
  });
  return wire::EncodeRelayPairingCode({key_.public_key, address});
}

void InProcessRelay::Stop() {
  if (!server_) return;
  server_->RequestStop();
  server_->Wait();
  server_.reset();
}

}  // namespace parley::testing
