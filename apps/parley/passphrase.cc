#include "passphrase.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace parley::cli {
namespace {

constexpr std::size_t kMaxPassphrase = 1024;

Status Usage(std::string message) {
  return Error(Domain::kApp, Code::kInvalidArgument, std::move(message));
}

// Reads one line from `fd` into locked memory, without the newline.
Result<crypto::SecretBytes> ReadLine(int fd) {
  crypto::SecretBytes buf(kMaxPassphrase);
  std::size_t n = 0;
  while (true) {
    char c;
    ssize_t r = ::read(fd, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || c == '\n') break;
    if (n == kMaxPassphrase) return Usage("passphrase too long (at most 1024 bytes)");
    buf.data()[n++] = static_cast<std::uint8_t>(c);
  }
  if (n > 0 && buf.data()[n - 1] == '\r') --n;
  return crypto::SecretBytes::Copy({buf.data(), n});
}

class Terminal {
 public:
  Terminal() : fd_(::open("/dev/tty", O_RDWR | O_CLOEXEC)) {}
  ~Terminal() {
    if (echo_off_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  void Write(std::string_view s) {
    if (::write(fd_, s.data(), s.size()) < 0) {
      // Nothing useful to do: the prompt is a courtesy.
    }
  }
  void EchoOff() {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    echo_off_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  void EchoOn() {
    if (echo_off_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    echo_off_ = false;
  }
  int fd() const { return fd_; }

 private:
  int fd_;
  termios saved_{};
  bool echo_off_ = false;
};

}  // namespace

namespace {

Result<crypto::SecretBytes> Read(const char* variable, bool confirm, std::string_view prompt,
                                 bool from_env) {
  if (const char* env = from_env ? std::getenv(variable) : nullptr) {
    if (*env == '\0') return Usage(std::string(variable) + " is set but empty");
    return crypto::SecretBytes::Copy(crypto::AsBytes(env));
  }
  Terminal tty;
  if (!tty.ok()) {
    if (!from_env) return Usage("no terminal to ask for the passphrase on");
    return Usage(std::string("no passphrase: set ") + variable + " or run parley on a terminal");
  }
  tty.Write(prompt);
  tty.EchoOff();
  auto first = ReadLine(tty.fd());
  tty.EchoOn();
  tty.Write("\n");
  if (!first.ok()) return first.status();
  if (first->empty()) return Usage("empty passphrase");
  if (!confirm) return first;
  tty.Write("Repeat passphrase: ");
  tty.EchoOff();
  auto second = ReadLine(tty.fd());
  tty.EchoOn();
  tty.Write("\n");
  if (!second.ok()) return second.status();
  if (!crypto::ConstantTimeEqual(first->view(), second->view()))
    return Usage("the passphrases do not match");
  return first;
}

}  // namespace

Result<crypto::SecretBytes> ReadPassphrase(bool confirm) {
  return Read(kPassphraseEnv, confirm,
              confirm ? "New passphrase: " : "Passphrase: ", /*from_env=*/true);
}

Result<crypto::SecretBytes> ReadNewPassphrase() {
  return Read(kNewPassphraseEnv, /*confirm=*/true, "New passphrase: ", /*from_env=*/true);
}

Result<crypto::SecretBytes> AskPassphraseOnTerminal(std::string_view prompt) {
  return Read(kPassphraseEnv, /*confirm=*/false, prompt, /*from_env=*/false);
}

bool HaveTerminal() { return Terminal().ok(); }

Result<crypto::SecretBytes> ReadSecretOnTerminal(std::string_view prompt) {
  Terminal tty;
  if (!tty.ok()) return Usage("no terminal to type on");
  tty.Write(prompt);
  tty.EchoOff();
  auto line = ReadLine(tty.fd());
  tty.EchoOn();
  tty.Write("\n");
  if (!line.ok()) return line.status();
  if (line->empty()) return Usage("nothing typed");
  return line;
}

Result<std::string> AskOnTerminal(std::string_view prompt) {
  Terminal tty;
  if (!tty.ok()) return Usage("no terminal to confirm on");
  tty.Write(prompt);
  std::string line;
  char c;
  while (::read(tty.fd(), &c, 1) == 1 && c != '\n') line += c;
  return line;
}

}  // namespace parley::cli
