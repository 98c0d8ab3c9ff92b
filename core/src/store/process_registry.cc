#include "store/process_registry.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "parley/core/crypto.h"
#include "parley/platform/env.h"
#include "store/tuning.h"

namespace parley::store::internal {
namespace {

Status RegistryError(Code code, const std::string& what) {
  return Status(Domain::kStore, code,
                what + (errno != 0 ? std::string(" (") + std::strerror(errno) + ")" : ""));
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Sleeping is how a lock held by another process is waited for: neither flock nor fcntl
// locks can be waited on with a deadline or polled through a file descriptor.
void Pause() { std::this_thread::sleep_for(std::chrono::milliseconds(10)); }

std::string OwnPrefix() { return std::to_string(::getpid()) + "-"; }

// The pid holding the write lock of the registration at `path`; 0 when the lock is free or
// the file is gone; -1 when the lock is held by a process whose pid cannot be seen.
pid_t LockHolder(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return 0;
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  const int rc = ::fcntl(fd, F_GETLK, &fl);
  ::close(fd);  // this process holds no lock on another process's registration
  if (rc != 0 || fl.l_type == F_UNLCK) return 0;
  return fl.l_pid > 0 ? fl.l_pid : -1;
}

// The pid a registration's name starts with (its process, unless the pid was reused).
pid_t NamedPid(const std::string& name) {
  pid_t pid = 0;
  for (char c : name) {
    if (c < '0' || c > '9') break;
    pid = pid * 10 + (c - '0');
  }
  return pid;
}

std::vector<std::string> Registrations(const std::string& procs) {
  std::vector<std::string> names;
  DIR* d = ::opendir(procs.c_str());
  if (d == nullptr) return names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    names.push_back(std::move(name));
  }
  ::closedir(d);
  return names;
}

}  // namespace

Result<std::unique_ptr<RegistryGate>> RegistryGate::Enter(const std::string& data_dir,
                                                          bool exclusive) {
  const std::string procs = JoinPath(data_dir, kProcsDirName);
  const std::int64_t deadline = NowMs() + tuning::kGateWaitMs;
  for (;;) {
    errno = 0;
    if (::mkdir(procs.c_str(), 0700) != 0 && errno != EEXIST) {
      if (errno == ENOENT) return RegistryError(Code::kNotFound, "no data directory " + data_dir);
      return RegistryError(Code::kIoError, "creating " + procs);
    }
    const int fd = ::open(procs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;  // removed by the last process that left: make it again
      return RegistryError(Code::kIoError, "opening " + procs);
    }
    bool locked = false;
    for (;;) {
      if (::flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0) {
        locked = true;
        break;
      }
      if ((errno != EWOULDBLOCK && errno != EINTR) || NowMs() >= deadline) break;
      Pause();
    }
    if (!locked) {
      Status s = errno == EWOULDBLOCK || errno == EINTR
                     ? Status(Domain::kStore, Code::kBusy,
                              exclusive ? "another process keeps opening the store in " + data_dir
                                        : "the store in " + data_dir + " is being wiped")
                     : RegistryError(Code::kIoError, "locking " + procs);
      ::close(fd);
      return s;
    }
    // The directory locked must still be the one at the path: the last process to leave
    // removes it (under the exclusive lock), and a lock on a removed directory guards nothing.
    struct stat held {
    }, named{};
    if (::fstat(fd, &held) == 0 && ::stat(procs.c_str(), &named) == 0 &&
        held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
      return std::unique_ptr<RegistryGate>(new RegistryGate(fd));
    }
    ::close(fd);
    if (NowMs() >= deadline)
      return Status(Domain::kStore, Code::kBusy, "the registry of " + data_dir + " keeps changing");
  }
}

RegistryGate::~RegistryGate() { ::close(fd_); }

Result<std::unique_ptr<ProcessRegistration>> ProcessRegistration::Register(
    const std::string& data_dir) {
  std::uint8_t random[8];
  crypto::RandomBytes(std::span<std::uint8_t>(random, sizeof random));
  const std::string path =
      JoinPath(JoinPath(data_dir, kProcsDirName),
               OwnPrefix() + crypto::ToHex(crypto::ByteView(random, sizeof random)));
  errno = 0;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return RegistryError(Code::kIoError, "registering this process in " + path);
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::fcntl(fd, F_SETLK, &fl) != 0 ||
      ::write(fd, pid.data(), pid.size()) != static_cast<ssize_t>(pid.size())) {
    Status s = RegistryError(Code::kIoError, "registering this process in " + path);
    ::unlink(path.c_str());
    ::close(fd);
    return s;
  }
  return std::unique_ptr<ProcessRegistration>(new ProcessRegistration(path, fd));
}

ProcessRegistration::~ProcessRegistration() {
  ::unlink(path_.c_str());  // first: a wipe that sees the name finds the lock still held
  ::close(fd_);
  // The last to leave removes the directory, when nobody is entering it: a locked store
  // leaves only its key file and database behind.
  const std::string procs = path_.substr(0, path_.rfind('/'));
  const int dir = ::open(procs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  if (::flock(dir, LOCK_EX | LOCK_NB) == 0) ::rmdir(procs.c_str());  // fails when not empty
  ::close(dir);
}

Status StopRegisteredProcesses(const std::string& data_dir) {
  const std::string procs = JoinPath(data_dir, kProcsDirName);
  const std::string own = OwnPrefix();
  struct Running {
    std::string path;
    pid_t pid;
  };
  std::vector<Running> running;
  for (const std::string& name : Registrations(procs)) {
    if (name.rfind(own, 0) == 0) continue;  // this process: Device::Wipe locked its store
    const std::string path = JoinPath(procs, name);
    pid_t holder = LockHolder(path);
    if (holder == 0) {
      ::unlink(path.c_str());  // a leftover of a process that died
      continue;
    }
    if (holder < 0) holder = NamedPid(name);
    if (holder > 0) ::kill(holder, SIGTERM);
    running.push_back({path, holder});
  }
  auto wait_until = [&](std::int64_t deadline) {
    for (;;) {
      std::erase_if(running, [](const Running& r) { return LockHolder(r.path) == 0; });
      if (running.empty() || NowMs() >= deadline) return;
      Pause();
    }
  };
  wait_until(NowMs() + tuning::kStopGraceMs);
  if (running.empty()) return Status::Ok();
  for (const Running& r : running) {
    if (r.pid > 0) ::kill(r.pid, SIGKILL);
  }
  wait_until(NowMs() + tuning::kKillWaitMs);
  if (running.empty()) return Status::Ok();
  std::string pids;
  for (const Running& r : running) pids += (pids.empty() ? "" : ", ") + std::to_string(r.pid);
  return Status(Domain::kStore, Code::kBusy,
                "process " + pids + " using " + data_dir + " did not stop");
}

void RemoveRegistry(const std::string& data_dir) {
  const std::string procs = JoinPath(data_dir, kProcsDirName);
  const std::string own = OwnPrefix();
  for (const std::string& name : Registrations(procs)) {
    if (name.rfind(own, 0) == 0) continue;
    const std::string path = JoinPath(procs, name);
    if (LockHolder(path) == 0) ::unlink(path.c_str());
  }
  ::rmdir(procs.c_str());
}

}  // namespace parley::store::internal
