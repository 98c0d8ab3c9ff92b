// POSIX Env: plain syscalls, errno mapped to Status in one helper.
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <string>

#include "parley/platform/posix_env.h"

namespace parley {
namespace {

Status ErrnoStatus(int err, const std::string& what) {
  Code code = Code::kIoError;
  switch (err) {
    case ENOENT:
      code = Code::kNotFound;
      break;
    case EEXIST:
      code = Code::kAlreadyExists;
      break;
    case ENOSPC:
    case EDQUOT:
      code = Code::kDiskFull;
      break;
    case EACCES:
    case EPERM:
      code = Code::kPermissionDenied;
      break;
    default:
      break;
  }
  return Status(Domain::kPlatform, code, what + ": " + std::strerror(err));
}

std::string DirName(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteAll(int fd, const std::uint8_t* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write " + path);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return Status::Ok();
}

class PosixAtomicFile final : public AtomicFile {
 public:
  PosixAtomicFile(int fd, std::string path)
      : fd_(fd), path_(std::move(path)), tmp_(path_ + ".tmp") {}
  ~PosixAtomicFile() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  Status Append(std::span<const std::uint8_t> data) override {
    if (fd_ < 0)
      return Status(Domain::kPlatform, Code::kIoError, "write " + tmp_ + ": already closed");
    return WriteAll(fd_, data.data(), data.size(), tmp_);
  }
  Status Commit() override {
    if (fd_ < 0)
      return Status(Domain::kPlatform, Code::kIoError, "commit " + tmp_ + ": already closed");
    Status s;
    if (::fsync(fd_) != 0) s = ErrnoStatus(errno, "fsync " + tmp_);
    if (::close(fd_) != 0 && s.ok()) s = ErrnoStatus(errno, "close " + tmp_);
    fd_ = -1;
    if (s.ok() && ::rename(tmp_.c_str(), path_.c_str()) != 0)
      s = ErrnoStatus(errno, "rename " + tmp_);
    if (!s.ok()) return s;
    committed_ = true;
    return SyncDirPath(DirName(path_));
  }

 private:
  static Status SyncDirPath(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open " + dir);
    Status s;
    if (::fsync(fd) != 0) s = ErrnoStatus(errno, "fsync " + dir);
    ::close(fd);
    return s;
  }
  int fd_;
  std::string path_, tmp_;
  bool committed_ = false;
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixSequentialFile() override { ::close(fd_); }
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    for (;;) {
      ssize_t r = ::read(fd_, out.data(), out.size());
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return ErrnoStatus(errno, "read " + path_);
      return static_cast<std::size_t>(r);
    }
  }

 private:
  int fd_;
  std::string path_;
};

class PosixClock final : public Clock {
 public:
  std::int64_t NowUnixMs() override {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  }
  std::int64_t MonotonicNs() override {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  }
};

class PosixEnvImpl final : public Env {
 public:
  Result<std::vector<std::uint8_t>> ReadFile(const std::string& path) override {
    return ReadFileUpTo(path, UINT64_MAX);
  }

  Result<std::vector<std::uint8_t>> ReadFileUpTo(const std::string& path,
                                                 std::uint64_t max_bytes) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open " + path);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
      const int err = errno;
      ::close(fd);
      if (S_ISDIR(st.st_mode))
        return Status(Domain::kPlatform, Code::kInvalidArgument, path + " is a directory");
      return ErrnoStatus(err, "stat " + path);
    }
    const std::uint64_t limit = max_bytes == UINT64_MAX ? max_bytes : max_bytes + 1;
    std::vector<std::uint8_t> out;
    std::uint8_t buf[65536];
    while (out.size() < limit) {
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, limit - out.size()));
      ssize_t r = ::read(fd, buf, want);
      if (r < 0) {
        if (errno == EINTR) continue;
        Status s = ErrnoStatus(errno, "read " + path);
        ::close(fd);
        return s;
      }
      if (r == 0) break;
      out.insert(out.end(), buf, buf + r);
    }
    ::close(fd);
    return out;
  }

  Result<FileInfo> StatFile(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "stat " + path);
    FileInfo info;
    info.kind = S_ISREG(st.st_mode)   ? FileInfo::Kind::kRegular
                : S_ISDIR(st.st_mode) ? FileInfo::Kind::kDirectory
                                      : FileInfo::Kind::kOther;
    info.device = static_cast<std::uint64_t>(st.st_dev);
    info.inode = static_cast<std::uint64_t>(st.st_ino);
    info.size = static_cast<std::uint64_t>(st.st_size);
    return info;
  }

  Status WriteFileAtomic(const std::string& path, std::span<const std::uint8_t> data) override {
    std::string tmp = path + ".tmp";
    // A temporary left by a crash (or a symlink put there) is removed, never written through.
    if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, "remove " + tmp);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus(errno, "create " + tmp);
    Status s = WriteAll(fd, data.data(), data.size(), tmp);
    if (s.ok() && ::fsync(fd) != 0) s = ErrnoStatus(errno, "fsync " + tmp);
    if (::close(fd) != 0 && s.ok()) s = ErrnoStatus(errno, "close " + tmp);
    if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoStatus(errno, "rename " + tmp);
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
    return SyncDir(DirName(path));
  }

  Result<std::unique_ptr<AtomicFile>> NewAtomicFile(const std::string& path) override {
    std::string tmp = path + ".tmp";
    if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, "remove " + tmp);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus(errno, "create " + tmp);
    return std::unique_ptr<AtomicFile>(new PosixAtomicFile(fd, path));
  }

  Result<std::unique_ptr<SequentialFile>> OpenSequential(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open " + path);
    return std::unique_ptr<SequentialFile>(new PosixSequentialFile(fd, path));
  }

  Status ShredFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? Status::Ok() : ErrnoStatus(errno, "open " + path);
    struct stat st {};
    Status s;
    if (::fstat(fd, &st) != 0) s = ErrnoStatus(errno, "stat " + path);
    if (s.ok()) {
      std::vector<std::uint8_t> noise(static_cast<std::size_t>(st.st_size));
      if (!noise.empty()) randombytes_buf(noise.data(), noise.size());
      s = WriteAll(fd, noise.data(), noise.size(), path);
      if (s.ok() && ::fdatasync(fd) != 0) s = ErrnoStatus(errno, "fsync " + path);
    }
    ::close(fd);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT && s.ok())
      s = ErrnoStatus(errno, "unlink " + path);
    return s;
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, "unlink " + path);
    return Status::Ok();
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Result<std::uint64_t> FileSize(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "stat " + path);
    return static_cast<std::uint64_t>(st.st_size);
  }

  Status CreateDirs(const std::string& path) override {
    if (path.empty()) return Status::Ok();
    std::string partial;
    std::size_t pos = 0;
    while (pos != std::string::npos) {
      pos = path.find('/', pos + 1);
      partial = path.substr(0, pos);
      if (partial.empty()) continue;
      if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
        return ErrnoStatus(errno, "mkdir " + partial);
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus(errno, "opendir " + dir);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    return names;
  }

  Status RemoveDir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, "rmdir " + path);
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open dir " + dir);
    Status s;
    if (::fsync(fd) != 0) s = ErrnoStatus(errno, "fsync dir " + dir);
    ::close(fd);
    return s;
  }

  void RandomBytes(std::span<std::uint8_t> out) override {
    if (!out.empty()) randombytes_buf(out.data(), out.size());
  }

  Clock& clock() override { return SystemClock(); }
  Transport& transport() override { return PosixTransport(); }
};

}  // namespace

Env& PosixEnv() {
  static PosixEnvImpl* env = new PosixEnvImpl();  // never destroyed: usable during exit
  return *env;
}

Clock& SystemClock() {
  static PosixClock* clock = new PosixClock();
  return *clock;
}

std::string DefaultKeyStoreDir() {
  if (const char* ks = std::getenv("PARLEY_KEYSTORE"); ks && *ks) return ks;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    return JoinPath(xdg, "parley/keystore");
  const char* home = std::getenv("HOME");
  return JoinPath(home && *home ? home : ".", ".config/parley/keystore");
}

}  // namespace parley
