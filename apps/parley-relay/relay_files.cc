#include "relay_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "parley/platform/posix_env.h"

namespace parley::relay_app {
namespace {

Status IoError(const std::string& what) {
  return Error(Domain::kApp, Code::kIoError, what + ": " + std::strerror(errno));
}

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

std::string KeyPath(const std::string& dir) { return JoinPath(dir, "relay.key"); }
std::string AddressPath(const std::string& dir) { return JoinPath(dir, "address"); }
std::string DbPath(const std::string& dir) { return JoinPath(dir, "relay.db"); }
std::string MetricsPath(const std::string& dir) { return JoinPath(dir, "metrics"); }
std::string LockPath(const std::string& dir) { return JoinPath(dir, "lock"); }
std::string ConfigPath(const std::string& dir) { return JoinPath(dir, "relay.toml"); }

Status CreateKey(Env& env, const std::string& dir) {
  PARLEY_RETURN_IF_ERROR(env.CreateDirs(dir));
  if (env.FileExists(KeyPath(dir))) {
    return Error(Domain::kApp, Code::kAlreadyExists, "a relay key already exists in " + dir);
  }
  crypto::DhKeyPair key = crypto::NewDhKeyPair();
  return env.WriteFileAtomic(KeyPath(dir), key.secret_key.view());
}

Result<crypto::DhKeyPair> LoadKey(Env& env, const std::string& dir) {
  auto raw = env.ReadFile(KeyPath(dir));
  if (!raw.ok()) {
    if (raw.status().code() == Code::kNotFound) {
      return Error(Domain::kApp, Code::kNotFound,
                   "no relay key in " + dir + " (run parley-relay init first)");
    }
    return raw.status();
  }
  if (raw->size() != crypto::kDhSize)
    return Error(Domain::kApp, Code::kCorrupt, "the relay key file is damaged");
  crypto::DhKeyPair key = crypto::DhKeyPairFromSecret(*raw);
  volatile std::uint8_t* p = raw->data();  // zero the plain copy; volatile keeps the stores
  for (std::size_t i = 0; i < raw->size(); ++i) p[i] = 0;
  return key;
}

std::string LoadAddress(Env& env, const std::string& dir) {
  auto raw = env.ReadFile(AddressPath(dir));
  if (!raw.ok()) return "";
  std::string s(raw->begin(), raw->end());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Status SaveAddress(Env& env, const std::string& dir, const std::string& address) {
  std::string line = address + "\n";
  return env.WriteFileAtomic(AddressPath(dir), crypto::AsBytes(line));
}

crypto::Bytes LogIdKey(const crypto::DhKeyPair& key) {
  const crypto::Hash h = crypto::Blake2b256(
      crypto::AsBytes(std::string_view("parley-relay log ids")), key.secret_key.view());
  return crypto::Bytes(h.begin(), h.end());
}

Status SecureDataDir(const std::string& dir, bool create, std::string* tightened) {
  // The directory may be a symbolic link to it (systemd's DynamicUser= makes one).
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT || !create) return IoError("cannot read the data directory " + dir);
    if (Status s = PosixEnv().CreateDirs(dir); !s.ok()) return s;
    if (::stat(dir.c_str(), &st) != 0) return IoError("cannot read the data directory " + dir);
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error(Domain::kApp, Code::kInvalidArgument, dir + " is not a directory");
  }
  const uid_t me = ::geteuid();
  if (st.st_uid != me) {
    return Error(Domain::kApp, Code::kPermissionDenied,
                 "the data directory " + dir + " belongs to uid " + std::to_string(st.st_uid) +
                     ", not to this user (uid " + std::to_string(me) +
                     "): run parley-relay as its owner, or chown -R it to this user");
  }
  if ((st.st_mode & 077) != 0) {
    if (::chmod(dir.c_str(), 0700) != 0) return IoError("cannot make " + dir + " private");
    *tightened += dir + " " + Octal(st.st_mode) + "->0700 ";
  }
  for (const char* name : {"relay.key", "address", "relay.db", "relay.db-wal", "relay.db-shm",
                           "metrics", "lock", "relay.toml"}) {
    const std::string path = JoinPath(dir, name);
    struct stat f {};
    if (::lstat(path.c_str(), &f) != 0 || !S_ISREG(f.st_mode)) continue;
    if (f.st_uid != me) {
      return Error(Domain::kApp, Code::kPermissionDenied,
                   path + " belongs to uid " + std::to_string(f.st_uid) +
                       ", not to this user (uid " + std::to_string(me) +
                       "): run parley-relay as its owner, or chown -R the directory");
    }
    if ((f.st_mode & 077) != 0) {
      if (::chmod(path.c_str(), f.st_mode & 0700) != 0)
        return IoError("cannot make " + path + " private");
      *tightened +=
          std::string(name) + " " + Octal(f.st_mode) + "->" + Octal(f.st_mode & 0700) + " ";
    }
  }
  if (!tightened->empty()) tightened->pop_back();
  return Status::Ok();
}

Result<DirLock> DirLock::Take(const std::string& dir) {
  const std::string path = LockPath(dir);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return IoError("cannot open " + path);
  DirLock lock(fd);
  const int op = LOCK_EX | LOCK_NB;
  int rc = 0;
  while ((rc = ::flock(fd, op)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    if (errno != EWOULDBLOCK) return IoError("cannot lock " + path);
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string pid(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return Error(Domain::kApp, Code::kBusy,
                 "another parley-relay is serving " + dir +
                     (pid.empty() ? std::string() : " (pid " + pid + ")"));
  }
  const std::string line = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) {
    return IoError("cannot write " + path);
  }
  return lock;
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);
}

DirLock& DirLock::operator=(DirLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

}  // namespace parley::relay_app
