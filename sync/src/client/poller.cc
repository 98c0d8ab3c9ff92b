// Canceller (a self-pipe) and the system Poller.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "parley/core/crypto.h"
#include "parley/sync/client.h"

namespace parley::sync {
namespace {

class SystemPoller final : public Poller {
 public:
  explicit SystemPoller(Clock& clock) : clock_(clock) {}
  int Poll(pollfd* fds, nfds_t n, std::int64_t timeout_ms) override {
    const int t =
        timeout_ms < 0 ? -1 : static_cast<int>(std::min<std::int64_t>(timeout_ms, 1 << 30));
    return ::poll(fds, n, t);
  }
  Clock& clock() override { return clock_; }
  std::uint64_t Random() override {
    std::uint64_t r = 0;
    crypto::RandomBytes(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(&r), sizeof r));
    return r;
  }

 private:
  Clock& clock_;
};

}  // namespace

Canceller::Canceller() {
  if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) fds_[0] = fds_[1] = -1;
}

Canceller::~Canceller() {
  if (fds_[0] >= 0) ::close(fds_[0]);
  if (fds_[1] >= 0) ::close(fds_[1]);
}

void Canceller::Cancel() {
  // A byte left in the pipe is the flag: poll keeps seeing it, and cancelled() reads it
  // without consuming it. write(2) is async-signal-safe.
  const char c = 1;
  if (fds_[1] >= 0) {
    const int saved = errno;
    [[maybe_unused]] ssize_t n = ::write(fds_[1], &c, 1);
    errno = saved;
  }
}

bool Canceller::cancelled() const {
  if (fds_[0] < 0) return false;
  pollfd p{fds_[0], POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

Waker::Waker() {
  if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) fds_[0] = fds_[1] = -1;
}

Waker::~Waker() {
  if (fds_[0] >= 0) ::close(fds_[0]);
  if (fds_[1] >= 0) ::close(fds_[1]);
}

void Waker::Wake() {
  const char c = 1;
  if (fds_[1] >= 0) {
    const int saved = errno;
    [[maybe_unused]] ssize_t n = ::write(fds_[1], &c, 1);  // a full pipe already wakes
    errno = saved;
  }
}

void Waker::Drain() {
  if (fds_[0] < 0) return;
  char buf[64];
  while (::read(fds_[0], buf, sizeof buf) > 0) {
  }
}

std::unique_ptr<Poller> NewSystemPoller(Clock& clock) {
  return std::make_unique<SystemPoller>(clock);
}

}  // namespace parley::sync
