// relay_push_changes_per_s and relay_push_ack_ms_p99: 100 enrolled devices push at once, to
// one relay over SQLite, and (suffixes _pg1, _pg2, _pg4) to 1, 2 or 4 relay instances over one
// PostgreSQL server that the bench starts (tests/support/postgres_server.h).
//
// Every device is a real replica (over an in-memory store: the relay is what is measured,
// not the devices' disks) holding its own signed, encrypted single-note changes. Each
// device has its own connection (Noise XK handshake and Authenticate over the public wire
// API, done before the clock starts) and its own thread, and pushes its chain in Push
// frames of kChangesPerPush changes, waiting for each PushAck (sent by the relay only once
// the changes are durable) before the next push, as the sync client does.
#include <sqlite3.h>

#include <algorithm>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "parley/core/replica_sync.h"
#include "parley/platform/posix_env.h"
#include "parley/sync/auth.h"
#include "parley/sync/session.h"
#include "support/postgres_server.h"
#include "support/relay_process.h"
#include "support/socket_stream.h"
#include "sync_device.h"
#include "sync_figures.h"

namespace parley::bench {
namespace {

constexpr std::size_t kDevices = 100;
constexpr std::size_t kChangesPerPush = 20;
constexpr std::size_t kValueSize = 300;

using testing::FindRelayBinary;
using testing::PostgresServer;
using testing::RelayProcess;
using testing::SocketStream;

Status Unavailable(const std::string& what) {
  return Error(Domain::kSync, Code::kUnavailable, what);
}

struct Pusher {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<log::Replica> replica;
  std::string vault;
  std::vector<pb::Change> chain;  // this device's own changes, in chain order
  std::unique_ptr<SocketStream> stream;
  std::optional<wire::NoiseSession> session;
  std::uint64_t next_id = 1;
  std::uint64_t accepted = 0;
  std::vector<double> ack_ms;
  Status error;
};

// `count` notes, each committed as its own change; then the device's chain is read back.
void WriteNotes(Pusher& p, std::size_t count, std::size_t seed) {
  for (std::size_t i = 0; i < count; ++i) {
    auto txn = Take(p.replica->Begin(), "begin");
    const log::RecordId id = Take(txn->Create("note"), "create note");
    Check(txn->Set(id, "text", NoteText(seed * 100'000 + i, kValueSize)), "set note text");
    (void)Take(txn->Commit(), "commit note");
  }
  const std::string me(p.store->device().identity.public_key.begin(),
                       p.store->device().identity.public_key.end());
  auto held = Take(log::HeldChangesAfter(*p.replica, 0, SIZE_MAX, SIZE_MAX), "read changes");
  std::vector<log::HeldChange> own;
  for (auto& h : held) {
    if (h.author == me) own.push_back(std::move(h));
  }
  std::sort(own.begin(), own.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  for (auto& h : own) p.chain.push_back(std::move(h.change));
  const log::VaultIdentity vault = Take(log::GetVaultIdentity(*p.replica), "vault id");
  p.vault.assign(vault.vault.begin(), vault.vault.end());
}

Result<pb::Frame> Call(Pusher& p, pb::Frame frame) {
  frame.set_id(p.next_id++);
  PARLEY_RETURN_IF_ERROR(wire::SendFrame(*p.session, *p.stream, frame));
  PARLEY_ASSIGN_OR_RETURN(pb::Frame answer, wire::ReceiveFrame(*p.session, *p.stream));
  if (answer.body_case() == pb::Frame::kError)
    return Unavailable("relay error: " + answer.error().message());
  if (answer.id() != frame.id()) return Unavailable("an answer to another frame");
  return answer;
}

Status Connect(Pusher& p, std::uint16_t port, const crypto::Bytes& relay_key) {
  PARLEY_ASSIGN_OR_RETURN(p.stream, SocketStream::ConnectLoopback(port));
  const store::DeviceKeys& keys = p.store->device();
  PARLEY_ASSIGN_OR_RETURN(wire::NoiseSession session,
                          wire::NoiseSession::Initiator(keys.kx, relay_key));
  p.session.emplace(std::move(session));
  PARLEY_RETURN_IF_ERROR(wire::RunHandshake(*p.session, *p.stream));
  pb::Frame auth;
  *auth.mutable_authenticate() = wire::MakeAuthenticate(
      keys.identity, wire::MakeKxCertificate(keys.identity, keys.kx.public_key),
      p.session->handshake_hash());
  PARLEY_ASSIGN_OR_RETURN(pb::Frame welcome, Call(p, std::move(auth)));
  if (welcome.body_case() != pb::Frame::kWelcome) return Unavailable("no Welcome");
  return Status::Ok();
}

// Pushes the device's chain, one Push frame of kChangesPerPush changes at a time.
void PushAll(Pusher& p) {
  for (std::size_t at = 0; at < p.chain.size(); at += kChangesPerPush) {
    pb::Frame f;
    pb::Push* push = f.mutable_push();
    push->set_vault(p.vault);
    const std::size_t end = std::min(p.chain.size(), at + kChangesPerPush);
    for (std::size_t i = at; i < end; ++i) *push->add_changes() = p.chain[i];
    Stopwatch clock;
    Result<pb::Frame> answer = Call(p, std::move(f));
    p.ack_ms.push_back(clock.ElapsedMs());
    if (!answer.ok()) {
      p.error = answer.status();
      return;
    }
    if (answer->body_case() != pb::Frame::kPushAck ||
        answer->push_ack().acks_size() != static_cast<int>(end - at)) {
      p.error = Unavailable("the PushAck does not match the push");
      return;
    }
    for (const pb::ChangeAck& a : answer->push_ack().acks()) {
      if (a.refusal() != pb::REFUSAL_NONE || a.relay_seq() == 0) {
        p.error = Unavailable("change refused: " + a.reason());
        return;
      }
      ++p.accepted;
    }
  }
}

// One configuration: `instances` relay processes over one storage (SQLite: one process over
// its own file; PostgreSQL: every instance over the same database, sharing the relay key as
// a deployment does), the 100 devices spread over them round robin.
struct Setup {
  std::string suffix;   // of the figure names: "" for SQLite, "_pg1", "_pg2", "_pg4"
  std::string storage;  // "" (SQLite) or a PostgreSQL URI
  std::size_t instances = 1;
};

void RunRelayPushOn(const Options& options, const Setup& setup) {
  const std::string rate_name = "relay_push_changes_per_s" + setup.suffix;
  const std::string p99_name = "relay_push_ack_ms_p99" + setup.suffix;
  const bool rate = Wanted(options, rate_name);
  const bool p99 = Wanted(options, p99_name);
  if (!rate && !p99) return;
  const std::size_t per_device = options.quick ? 20 : 200;

  const std::string binary = Take(FindRelayBinary(options.relay), "find parley-relay");
  std::vector<std::string> args = {"--admission", "open"};
  if (!setup.storage.empty()) args.insert(args.end(), {"--storage", setup.storage});
  std::vector<std::unique_ptr<ScratchDir>> dirs;
  std::vector<std::unique_ptr<RelayProcess>> relays;
  for (std::size_t i = 0; i < setup.instances; ++i) {
    dirs.push_back(std::make_unique<ScratchDir>(options));
    // Every instance serves with the first one's key: devices pin one relay.
    if (i > 0) {
      Env& env = PosixEnv();
      auto key = Take(env.ReadFile(JoinPath(dirs[0]->path(), "relay.key")), "read the relay key");
      Check(env.WriteFileAtomic(JoinPath(dirs[i]->path(), "relay.key"), key), "copy the relay key");
    }
    relays.push_back(std::make_unique<RelayProcess>(dirs[i]->path(), args, binary));
    Check(relays[i]->Start(), "start a relay instance");
  }
  RelayProcess& first = *relays[0];

  // The admin enrolls every device, then tells the relay the vault's members.
  auto admin = NewSyncDevice(options, /*create_vault=*/true);
  PinRelay(*admin, first.PairingCode(first.port()));
  sqlite3_exec(admin->base.store->db(), "PRAGMA synchronous=OFF", nullptr, nullptr, nullptr);
  std::vector<Pusher> pushers(kDevices);
  Stopwatch ready;
  for (std::size_t i = 0; i < kDevices; ++i) {
    Pusher& p = pushers[i];
    p.store = Take(store::Store::CreateInMemoryForTesting("device-" + std::to_string(i)),
                   "create device");
    p.replica = Take(log::Replica::Open(*p.store, SystemClock()), "open replica");
    const auto invite = Take(admin->base.replica->Invite(p.replica->DevicePairingCode()), "invite");
    Check(p.replica->AcceptInvite(invite), "accept the invite");
  }
  sqlite3_exec(admin->base.store->db(), "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
  (void)SyncOrDie(*admin, "publish the members");
  for (std::size_t i = 0; i < kDevices; ++i) WriteNotes(pushers[i], per_device, i + 1);
  for (std::size_t i = 0; i < kDevices; ++i) {
    RelayProcess& relay = *relays[i % relays.size()];
    Check(Connect(pushers[i], relay.port(), relay.public_key()), "connect a device");
  }
  std::size_t bytes = 0, count = 0;
  for (const Pusher& p : pushers) {
    for (const pb::Change& c : p.chain) bytes += c.ByteSizeLong();
    count += p.chain.size();
  }
  const std::string what = setup.storage.empty()
                               ? std::string("SQLite, 1 instance")
                               : "PostgreSQL, " + std::to_string(setup.instances) + " instance" +
                                     (setup.instances > 1 ? "s" : "");
  Note("relay push (" + what + "): " + std::to_string(kDevices) + " devices enrolled, " +
       std::to_string(count) + " changes of " +
       std::to_string(bytes / std::max<std::size_t>(count, 1)) + " bytes on average, ready in " +
       std::to_string(static_cast<long long>(ready.ElapsedMs())) + " ms");

  std::latch start(static_cast<std::ptrdiff_t>(kDevices) + 1);
  std::vector<std::thread> threads;
  for (Pusher& p : pushers) {
    threads.emplace_back([&start, &p] {
      start.arrive_and_wait();
      PushAll(p);
    });
  }
  start.arrive_and_wait();
  Stopwatch clock;
  for (auto& t : threads) t.join();
  const double seconds = clock.ElapsedS();

  std::uint64_t accepted = 0;
  std::vector<double> ack_ms;
  for (Pusher& p : pushers) {
    Check(p.error, "push");
    accepted += p.accepted;
    ack_ms.insert(ack_ms.end(), p.ack_ms.begin(), p.ack_ms.end());
    p.stream.reset();
  }
  for (auto& relay : relays) Check(relay->Stop(), "stop a relay instance");
  Note("relay push (" + what + "): " + std::to_string(accepted) + " changes accepted in " +
       std::to_string(ack_ms.size()) + " pushes of " + std::to_string(kChangesPerPush) + " in " +
       std::to_string(seconds) + " s; ack p50 " + std::to_string(Quantile(ack_ms, 0.5)) +
       " ms, max " + std::to_string(Quantile(ack_ms, 1.0)) + " ms");
  if (rate) Report(rate_name, static_cast<double>(accepted) / seconds, "changes/s");
  if (p99) Report(p99_name, Quantile(ack_ms, 0.99), "ms");
}

}  // namespace

void RunRelayPush(const Options& options) {
  RunRelayPushOn(options, Setup{"", "", 1});
  bool postgres = false;
  for (const char* s : {"_pg1", "_pg2", "_pg4"}) {
    postgres = postgres || Wanted(options, std::string("relay_push_changes_per_s") + s) ||
               Wanted(options, std::string("relay_push_ack_ms_p99") + s);
  }
  if (!postgres) return;
  for (const std::size_t instances : {1, 2, 4}) {
    // A fresh server each time: every configuration starts from an empty database.
    PostgresServer server;
    Check(server.Start(), "start PostgreSQL");
    RunRelayPushOn(options, Setup{"_pg" + std::to_string(instances), server.uri(), instances});
  }
}

}  // namespace parley::bench
