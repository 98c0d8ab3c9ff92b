#include "relay_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "parley/relay/relay_storage.h"
#include "parley/sync/auth.h"
#include "parley/sync/session.h"
#include "support/loopback.h"

namespace parley::fuzz {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using relay::NewChange;

[[noreturn]] void Die(const std::string& what) { Fail("relay fixture: " + what); }

// Like Require() of fuzz_support.h, reporting through Fail().
void Need(const Status& status, const char* what) {
  if (!status.ok()) Die(std::string(what) + ": " + status.ToString());
}
template <typename T>
T NeedValue(Result<T> r, const char* what) {
  Need(r.status(), what);
  return std::move(r).value();
}

std::string View(const crypto::Bytes& b) { return std::string(b.begin(), b.end()); }

// The per-process directory: $TMPDIR/parley-fuzz-relay-XXXXXX, removed at exit.
const std::string& WorkDir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/parley-fuzz-relay-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp failed");
    static const std::string keep = pattern;
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(keep, ec);
    });
    return pattern;
  }();
  return dir;
}

void RemoveDb(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ec);
}

NewChange ToNewChange(const pb::Change& change) {
  auto checked = log::CheckChange(change, FixedVault());
  Need(checked.status(), "check fixture change");
  NewChange n;
  n.vault = FixedVault();
  n.id.assign(checked->id.begin(), checked->id.end());
  n.author = FixedAuthor().public_key;
  n.author_seq = checked->header.seq();
  n.prev.assign(checked->header.prev().begin(), checked->header.prev().end());
  const log::ChangeLink link = log::ChangeLinkOf(checked->id, change.signature());
  n.link.assign(link.begin(), link.end());
  n.data = change.SerializeAsString();
  return n;
}

// The template storage, made once per process; returns its path.
const std::string& TemplateDb() {
  static const std::string path = [] {
    std::string p = WorkDir() + "/template.db";
    RemoveDb(p);
    {
      auto storage = NeedValue(relay::OpenSqliteRelayStorage(p), "open template storage");
      Need(storage->RegisterVault(FixedVault(), FixedAdminDevice().identity.public_key),
           "register vault");
      pb::MembershipList list;
      list.set_vault(View(FixedVault()));
      list.set_version(1);
      auto* admin = list.add_members();
      admin->set_identity(View(FixedAdminDevice().identity.public_key));
      admin->set_role("admin");
      auto* member = list.add_members();
      member->set_identity(View(FixedMemberDevice().identity.public_key));
      member->set_role("member");
      const pb::SetMembership set = wire::MakeSetMembership(list, FixedAdminDevice().identity);
      relay::StoredMembership m;
      m.version = 1;
      m.list = set.list();
      m.signer.assign(set.signer().begin(), set.signer().end());
      m.signature.assign(set.signature().begin(), set.signature().end());
      Need(storage->SetMembership(FixedVault(), m), "set membership");
      std::vector<NewChange> changes;
      for (std::size_t i = 0; i < kTemplateChanges; ++i)
        changes.push_back(ToNewChange(FixtureChanges()[i]));
      auto outcomes = NeedValue(storage->InsertChanges(changes), "store fixture changes");
      for (const auto& o : outcomes) {
        if (o.result != relay::InsertResult::kStored) Die("a fixture change was not stored");
      }
    }
    return p;
  }();
  return path;
}

void CopyFileOrDie(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) Die("cannot copy " + from + ": " + ec.message());
}

// ---- Blocking socket helpers with a deadline ----

bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int r = poll(&p, 1, static_cast<int>(left));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

Status WriteAll(int fd, crypto::ByteView data, Clock::time_point deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFor(fd, POLLOUT, deadline))
        return Status(Domain::kSync, Code::kUnavailable, "write timed out");
    } else {
      return Status(Domain::kSync, Code::kUnavailable, "write failed");
    }
  }
  return Status::Ok();
}

Status ReadExact(int fd, std::uint8_t* out, std::size_t size, Clock::time_point deadline) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = recv(fd, out + done, size - done, 0);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFor(fd, POLLIN, deadline))
        return Status(Domain::kSync, Code::kUnavailable, "read timed out");
    } else {
      return Status(Domain::kSync, Code::kUnavailable, "the relay closed the connection");
    }
  }
  return Status::Ok();
}

Result<crypto::Bytes> ReadMessage(int fd, Clock::time_point deadline) {
  std::uint8_t prefix[wire::kLengthPrefixSize];
  PARLEY_RETURN_IF_ERROR(ReadExact(fd, prefix, sizeof prefix, deadline));
  PARLEY_ASSIGN_OR_RETURN(std::size_t n, wire::DecodeLength(prefix, wire::kMaxWireMessage));
  crypto::Bytes msg(n);
  PARLEY_RETURN_IF_ERROR(ReadExact(fd, msg.data(), n, deadline));
  return msg;
}

Status WriteMessage(int fd, crypto::ByteView message, Clock::time_point deadline) {
  PARLEY_ASSIGN_OR_RETURN(crypto::Bytes out, wire::Prefixed(message));
  return WriteAll(fd, out, deadline);
}

}  // namespace

const std::vector<pb::Change>& FixtureChanges() {
  static const std::vector<pb::Change> changes = [] {
    // Sealing draws nonces: from the deterministic source, restarted, so that every process
    // (the target and the seed generator) makes the same changes.
    if (std::string_view(randombytes_implementation_name()) != DeterministicRandomName()) {
      Die("FixtureChanges() needs UseDeterministicRandom()");
    }
    ResetDeterministicRandom();
    std::vector<pb::Change> out;
    std::string prev;
    for (std::uint64_t seq = 1; seq <= 4; ++seq) {
      pb::ChangeBody body;
      body.set_hlc((1'750'000'000'000ULL << 16) + seq);
      pb::Op* op = body.add_ops();
      op->set_record(std::string(16, static_cast<char>(seq)));
      op->mutable_create()->set_type("note");
      pb::Change c =
          NeedValue(SealWithFixedKeys(body, seq, crypto::AsBytes(prev)), "seal fixture change");
      auto checked = NeedValue(log::CheckChange(c, FixedVault()), "check fixture change");
      const log::ChangeLink link = log::ChangeLinkOf(checked.id, c.signature());
      prev.assign(reinterpret_cast<const char*>(link.data()), link.size());
      out.push_back(std::move(c));
    }
    return out;
  }();
  return changes;
}

Result<crypto::Bytes> RelayChangeId(const pb::Change& change, crypto::ByteView vault) {
  pb::ChangeHeader h;
  if (!h.ParseFromString(change.header()))
    return Status(Domain::kSync, Code::kCorrupt, "header does not parse");
  if (!crypto::ConstantTimeEqual(crypto::AsBytes(h.vault()), vault)) {
    return Status(Domain::kSync, Code::kCorrupt, "another vault");
  }
  if (h.author().size() != crypto::kSignPublicKeySize ||
      change.signature().size() != crypto::kSignatureSize) {
    return Status(Domain::kSync, Code::kCorrupt, "bad sizes");
  }
  crypto::Hasher hasher;
  hasher.Update(std::string_view("parley/change-id/v1"))
      .UpdateU64(change.header().size())
      .Update(change.header())
      .Update(change.body());
  const crypto::Hash id = hasher.Final256();
  std::string msg = "parley/change/v1";
  msg.append(reinterpret_cast<const char*>(id.data()), id.size());
  PARLEY_RETURN_IF_ERROR(crypto::Verify(crypto::AsBytes(h.author()), crypto::AsBytes(msg),
                                        crypto::AsBytes(change.signature())));
  return crypto::Bytes(id.begin(), id.end());
}

// ---- LiveRelay ----

LiveRelay::LiveRelay() {
  const std::string& tmpl = TemplateDb();
  db_path_ = WorkDir() + "/relay.db";
  RemoveDb(db_path_);
  CopyFileOrDie(tmpl, db_path_);
  if (fs::exists(tmpl + "-wal")) CopyFileOrDie(tmpl + "-wal", db_path_ + "-wal");
  auto writer = NeedValue(relay::OpenSqliteRelayStorage(db_path_), "open relay storage");
  auto reader = NeedValue(relay::OpenSqliteRelayStorage(db_path_), "open relay storage");
  relay::RelayOptions o;
  o.listen_host = "127.0.0.1";
  o.listen_port = 0;
  o.io_threads = 1;
  // Every frame must reach its handler: the token bucket never runs dry here.
  o.rate_per_s = 1e12;
  o.rate_burst = 1e12;
  o.shutdown_grace_ms = 5'000;
  o.metrics_interval_ms = 3'600'000;
  server_ = std::make_unique<relay::RelayServer>(
      o, crypto::DhKeyPairFromSecret(FixedRelayKey().secret_key.view()), std::move(writer),
      std::move(reader));
  Need(server_->Start(), "start relay");
}

LiveRelay::~LiveRelay() {
  server_->RequestStop();
  server_->Wait();
  server_.reset();
  RemoveDb(db_path_);
}

// ---- LoopbackClient ----

LoopbackClient::LoopbackClient(std::uint16_t port, const FixedDevice& device) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  // Thousands of short connections per run: a connect may fail for a moment (the listen
  // queue full, no free local port while earlier ones wait out TIME_WAIT). ConnectLoopback
  // retries until its deadline; only then is it the relay's fault.
  fd_ = NeedValue(testing::ConnectLoopback(port, std::chrono::seconds(10)), "connect to the relay");
  if (fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK) != 0) Die("fcntl failed");

  noise::HandshakeConfig c;
  c.pattern = noise::Pattern::kXK;
  c.initiator = true;
  c.prologue = crypto::Bytes(wire::kPrologue.begin(), wire::kPrologue.end());
  c.s = crypto::DhKeyPairFromSecret(device.kx.secret_key.view());
  c.rs = FixedRelayKey().public_key;
  auto hs = NeedValue(noise::HandshakeState::Create(std::move(c)), "initiator");
  while (!hs.finished()) {
    if (hs.my_turn()) {
      crypto::Bytes msg = NeedValue(hs.WriteMessage({}), "write handshake");
      Need(WriteMessage(fd_, msg, deadline), "send handshake");
    } else {
      crypto::Bytes msg = NeedValue(ReadMessage(fd_, deadline), "receive handshake");
      (void)NeedValue(hs.ReadMessage(msg), "read handshake");
    }
  }
  const crypto::Bytes hash = hs.handshake_hash();
  auto [i2r, r2i] = hs.Split();
  send_ = std::move(i2r);
  recv_ = std::move(r2i);

  pb::Frame auth;
  auth.set_id(1);
  *auth.mutable_authenticate() = wire::MakeAuthenticate(
      device.identity, wire::MakeKxCertificate(device.identity, device.kx.public_key), hash);
  const std::string plain = auth.SerializeAsString();
  crypto::Bytes sealed = NeedValue(send_.Encrypt({}, crypto::AsBytes(plain)), "seal authenticate");
  Need(WriteMessage(fd_, sealed, deadline), "send authenticate");
  crypto::Bytes answer = NeedValue(ReadMessage(fd_, deadline), "receive welcome");
  crypto::Bytes opened = NeedValue(recv_.Decrypt({}, answer), "open welcome");
  pb::Frame welcome = NeedValue(wire::ParseFrame(opened), "parse welcome");
  if (welcome.body_case() != pb::Frame::kWelcome)
    Die("the relay did not welcome the fixture device");
}

LoopbackClient::~LoopbackClient() {
  if (fd_ >= 0) close(fd_);
}

Result<std::vector<pb::Frame>> LoopbackClient::Exchange(
    const std::vector<crypto::ByteView>& plaintexts, std::uint64_t ping_id, std::uint64_t nonce,
    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // Everything to send, sealed in order.
  crypto::Bytes out;
  auto append = [&](crypto::ByteView plain) -> Status {
    PARLEY_ASSIGN_OR_RETURN(crypto::Bytes sealed, send_.Encrypt({}, plain));
    PARLEY_ASSIGN_OR_RETURN(crypto::Bytes prefixed, wire::Prefixed(sealed));
    out.insert(out.end(), prefixed.begin(), prefixed.end());
    return Status::Ok();
  };
  for (crypto::ByteView p : plaintexts) PARLEY_RETURN_IF_ERROR(append(p));
  pb::Frame ping;
  ping.set_id(ping_id);
  ping.mutable_ping()->set_nonce(nonce);
  PARLEY_RETURN_IF_ERROR(append(crypto::AsBytes(ping.SerializeAsString())));

  std::vector<pb::Frame> frames;
  std::size_t answers = 0;
  const std::size_t expected = plaintexts.size() + 1;
  std::size_t sent = 0;
  wire::LengthDecoder in;
  std::uint8_t buf[16384];
  while (answers < expected) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0)
      return Status(Domain::kSync, Code::kUnavailable, "the relay did not answer in time");
    pollfd p{fd_, static_cast<short>(POLLIN | (sent < out.size() ? POLLOUT : 0)), 0};
    const int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno != EINTR) return Status(Domain::kSync, Code::kUnavailable, "poll failed");
    if (r <= 0) continue;
    if ((p.revents & POLLOUT) && sent < out.size()) {
      const ssize_t n = send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n > 0)
        sent += static_cast<std::size_t>(n);
      else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return Status(Domain::kSync, Code::kUnavailable, "the relay closed the connection (write)");
      }
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        return Status(Domain::kSync, Code::kUnavailable, "the relay closed the connection");
      }
      if (n > 0) in.Feed(crypto::ByteView(buf, static_cast<std::size_t>(n)));
      for (;;) {
        PARLEY_ASSIGN_OR_RETURN(std::optional<crypto::Bytes> msg, in.Next());
        if (!msg) break;
        auto plain = recv_.Decrypt({}, *msg);
        if (!plain.ok()) return Status(Domain::kSync, Code::kCorrupt, "an answer does not decrypt");
        PARLEY_ASSIGN_OR_RETURN(pb::Frame f, wire::ParseFrame(*plain));
        if (f.body_case() != pb::Frame::kNotify) ++answers;
        frames.push_back(std::move(f));
        if (answers == expected) break;
      }
    }
  }
  return frames;
}

}  // namespace parley::fuzz
