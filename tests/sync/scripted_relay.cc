// The scripted relay: see scripted_relay.h.
#include "scripted_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "parley/core/replica_sync.h"
#include "parley/sync/change_parts.h"
#include "parley/sync/session.h"

namespace parley::testing {
namespace {

// Every wait of the scripted relay ends after this, or when the relay is stopped.
constexpr int kRelayWaitMs = 20'000;

crypto::DhKeyPair NewRelayKey() {
  if (!crypto::InitCrypto().ok()) std::abort();
  return crypto::NewDhKeyPair();
}

}  // namespace

// A socket read and written with poll(2) against the relay's stop pipe and a timeout, so the
// relay thread never blocks forever.
class PolledStream final : public wire::ByteStream {
 public:
  PolledStream(int fd, int stop_fd) : fd_(fd), stop_fd_(stop_fd) {}
  ~PolledStream() override { ::close(fd_); }

  Status ReadExact(std::span<std::uint8_t> out) override {
    std::size_t got = 0;
    while (got < out.size()) {
      PARLEY_RETURN_IF_ERROR(Wait(POLLIN));
      const ssize_t n = ::recv(fd_, out.data() + got, out.size() - got, 0);
      if (n == 0) return Error(Domain::kSync, Code::kUnavailable, "closed");
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return Error(Domain::kSync, Code::kUnavailable,
                     std::string("recv: ") + std::strerror(errno));
      }
      got += static_cast<std::size_t>(n);
    }
    return Status::Ok();
  }

  Status WriteAll(wire::ByteView data) override {
    std::size_t sent = 0;
    while (sent < data.size()) {
      PARLEY_RETURN_IF_ERROR(Wait(POLLOUT));
      const ssize_t n =
          ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return Error(Domain::kSync, Code::kUnavailable,
                     std::string("send: ") + std::strerror(errno));
      }
      sent += static_cast<std::size_t>(n);
    }
    return Status::Ok();
  }

 private:
  Status Wait(short events) {
    pollfd fds[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
    const int n = ::poll(fds, 2, kRelayWaitMs);
    if (n == 0) return Error(Domain::kSync, Code::kUnavailable, "timed out");
    if (n < 0 && errno != EINTR) return Error(Domain::kSync, Code::kUnavailable, "poll");
    if (fds[1].revents != 0) return Error(Domain::kSync, Code::kCancelled, "stopped");
    return Status::Ok();
  }

  int fd_;
  int stop_fd_;
};

// Honest serving of `relay_log`: every change after the cursor in one batch.
std::vector<pb::PullBatch> ServeHonestly(const std::vector<Served>& relay_log,
                                         std::uint64_t after) {
  pb::PullBatch b;
  for (const Served& s : relay_log) {
    b.set_head_seq(std::max(b.head_seq(), s.relay_seq));
    if (s.relay_seq <= after) continue;
    pb::StoredChange* sc = b.add_changes();
    sc->set_relay_seq(s.relay_seq);
    *sc->mutable_change() = s.change;
  }
  return {b};
}

ScriptedRelay::ScriptedRelay() : key_(NewRelayKey()) {
  if (::pipe2(stop_, O_CLOEXEC | O_NONBLOCK) != 0 ||
      ::pipe2(accepted_, O_CLOEXEC | O_NONBLOCK) != 0)
    std::abort();
  transport_.Listen(kAddress, [this](int fd) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++connections_;
    }
    if (::write(accepted_[1], &fd, sizeof fd) != static_cast<ssize_t>(sizeof fd)) {
      ::close(fd);
      std::lock_guard<std::mutex> lock(mu_);
      ++finished_;
      idle_.notify_all();
    }
  });
  thread_ = std::thread([this] { Run(); });
}

ScriptedRelay::~ScriptedRelay() {
  transport_.Unlisten(kAddress);
  const char c = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_[1], &c, 1);
  if (thread_.joinable()) thread_.join();
  for (int fd = -1; ::read(accepted_[0], &fd, sizeof fd) == static_cast<ssize_t>(sizeof fd);)
    ::close(fd);
  for (int fd : {stop_[0], stop_[1], accepted_[0], accepted_[1]}) ::close(fd);
}

void ScriptedRelay::SetScript(PullScript script) {
  SetPullHandler(script ? PullHandler([script = std::move(script)](const pb::Pull& p) {
    return script(p.after_seq());
  })
                        : PullHandler());
}

void ScriptedRelay::SetPullHandler(PullHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  pull_ = std::move(handler);
}

void ScriptedRelay::SetPushHandler(PushHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  push_ = std::move(handler);
}

void ScriptedRelay::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return finished_ == connections_; });
}

int ScriptedRelay::pulls() {
  std::lock_guard<std::mutex> lock(mu_);
  return pulls_;
}

void ScriptedRelay::Run() {
  for (;;) {
    pollfd fds[2] = {{accepted_[0], POLLIN, 0}, {stop_[0], POLLIN, 0}};
    const int n = ::poll(fds, 2, -1);  // the destructor's stop byte ends this wait
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return;
    int fd = -1;
    if (::read(accepted_[0], &fd, sizeof fd) != static_cast<ssize_t>(sizeof fd)) continue;
    {
      PolledStream stream(fd, stop_[0]);
      Serve(stream);
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++finished_;
    idle_.notify_all();
  }
}

// Answers one device until it hangs up (or misbehaves, or the relay stops).
void ScriptedRelay::Serve(PolledStream& stream) {
  auto session = wire::NoiseSession::Responder(key_);
  if (!session.ok() || !wire::RunHandshake(*session, stream).ok()) return;
  auto auth = wire::ReceiveFrame(*session, stream);
  if (!auth.ok() || auth->body_case() != pb::Frame::kAuthenticate) return;
  pb::Frame welcome;
  welcome.set_id(auth->id());
  welcome.mutable_welcome()->set_protocol_version(1);
  welcome.mutable_welcome()->set_max_frame_bytes(static_cast<std::uint32_t>(wire::kMaxWireMessage));
  welcome.mutable_welcome()->set_max_push_changes(1000);
  welcome.mutable_welcome()->set_max_change_bytes(wire::kMaxChangeBytes);
  if (!wire::SendFrame(*session, stream, welcome).ok()) return;
  for (;;) {
    auto f = wire::ReceiveFrame(*session, stream);
    if (!f.ok()) return;
    std::vector<pb::Frame> answers;
    auto answer = [&]() -> pb::Frame& {
      answers.emplace_back();
      answers.back().set_id(f->id());
      return answers.back();
    };
    switch (f->body_case()) {
      case pb::Frame::kPush: {
        PushHandler handler;
        {
          std::lock_guard<std::mutex> lock(mu_);
          handler = push_;
        }
        if (handler && !f->push().has_part()) {
          pb::PushAck* acks = answer().mutable_push_ack();
          for (pb::ChangeAck& a : handler(f->push())) *acks->add_acks() = std::move(a);
        } else if (f->push().has_part()) {
          const pb::ChangePart& p = f->push().part();
          if (p.index() + 1 < p.count()) {
            answer().mutable_done();
          } else {
            pb::ChangeAck* a = answer().mutable_push_ack()->add_acks();
            a->set_change_id(p.change_id());
            a->set_relay_seq(++push_seq_);
          }
        } else {
          pb::PushAck* acks = answer().mutable_push_ack();
          for (const pb::Change& c : f->push().changes()) {
            const log::ChangeId id = log::ChangeIdOf(c);
            pb::ChangeAck* a = acks->add_acks();
            a->set_change_id(id.data(), id.size());
            a->set_relay_seq(++push_seq_);  // acknowledged, never served back
          }
        }
        break;
      }
      case pb::Frame::kPull: {
        PullHandler handler;
        {
          std::lock_guard<std::mutex> lock(mu_);
          handler = pull_;
          ++pulls_;
        }
        std::vector<pb::PullBatch> batches;
        if (handler) batches = handler(f->pull());
        if (batches.empty()) batches.emplace_back();
        for (pb::PullBatch& b : batches) *answer().mutable_pull_batch() = std::move(b);
        break;
      }
      case pb::Frame::kPing:
        answer().mutable_pong();
        break;
      case pb::Frame::kRegisterVault:
      case pb::Frame::kSetMembership:
      case pb::Frame::kPutEnvelope:
      case pb::Frame::kSubscribe:
        answer().mutable_done();
        break;
      default: {
        pb::Error* e = answer().mutable_error();
        e->set_code(pb::ERROR_UNSUPPORTED);
        e->set_message("not scripted");
        break;
      }
    }
    for (const pb::Frame& a : answers) {
      if (!wire::SendFrame(*session, stream, a).ok()) return;
    }
  }
}

}  // namespace parley::testing
