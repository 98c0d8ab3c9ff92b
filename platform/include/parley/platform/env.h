// Env: the only door from core/ and sync/ to the operating system.
//
// Core and sync receive an Env&; they never pick one. The POSIX implementation lives in
// parley::platform_posix (linked by apps, bindings and tests only); test doubles (fake clock,
// fault-injecting files, in-memory key store) live in parley::platform_testing.
//
// The network is reached only through the Env's Transport (transport.h): the sync client
// opens its relay connections there, so a phone host can supply its own networking.
// One exception remains: the sync client waits with poll(2) on descriptors (a Connection's
// poll_fd(), and two self-pipes of its own for cancel and wake: the Canceller and the Waker
// in sync/src/client/poller.cc), which every POSIX host, Android and iOS included, provides.
//
// Ownership: the caller owns the Env and keeps it alive longer than everything given it.
// Thread safety: every method of Env, Clock, KeyStore, Transport may be called from any
// thread (a Connection has its own rules: transport.h).
// SQLite does its own file I/O through its VFS layer (see core/store/vfs.h); Env covers
// every other file Parley writes (key files, bundles, exports) and the wipe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "parley/platform/status.h"
#include "parley/platform/transport.h"

namespace parley {

// Wall-clock and monotonic time. Fakes let tests move time by hand.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (wall clock; may jump).
  virtual std::int64_t NowUnixMs() = 0;
  // Monotonic nanoseconds since an arbitrary origin; never goes backwards.
  virtual std::int64_t MonotonicNs() = 0;
};

// The platform's secret store (Keychain/Keystore on phones; a directory of 0600 files on
// Linux). Holds the per-store secret that is combined with the passphrase, so that the
// data directory alone (say, copied off a seized phone) is not enough to attack offline.
class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // Stores `secret` under `name`, replacing any previous one. Durable on return.
  virtual Status Put(std::string_view name, std::span<const std::uint8_t> secret) = 0;
  // Reads the secret named `name`. Code::kMissingSecret when absent; the message says where
  // it was looked for.
  virtual Result<std::vector<std::uint8_t>> Get(std::string_view name) = 0;
  // Destroys the secret (overwrites then removes where the medium allows). OK if absent.
  virtual Status Erase(std::string_view name) = 0;
};

// What a path names (stat(2): symlinks followed).
struct FileInfo {
  enum class Kind { kRegular, kDirectory, kOther };  // kOther: a device, FIFO, socket...
  Kind kind = Kind::kOther;
  std::uint64_t device = 0;  // with `inode`, names the file whatever path reaches it
  std::uint64_t inode = 0;
  std::uint64_t size = 0;  // bytes, for a regular file
};

// A file written piece by piece and published atomically (Env::NewAtomicFile): the pieces go
// to a temporary file beside the destination; Commit() fsyncs it, renames it over the
// destination and fsyncs the directory. Destroyed without a successful Commit(), it removes
// the temporary: the destination is never seen half written. One thread at a time.
class AtomicFile {
 public:
  virtual ~AtomicFile() = default;
  // Code::kDiskFull when the medium is full (the temporary is then removed at destruction).
  virtual Status Append(std::span<const std::uint8_t> data) = 0;
  virtual Status Commit() = 0;
};

// A file read from its start piece by piece (Env::OpenSequential). One thread at a time.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to out.size() bytes; 0 at the end of the file.
  virtual Result<std::size_t> Read(std::span<std::uint8_t> out) = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // Streaming versions of WriteFileAtomic and ReadFile, for files too large to hold in
  // memory (backups). The temporary of NewAtomicFile is `path` + ".tmp", created anew as in
  // WriteFileAtomic. The defaults hold the whole file in memory and use WriteFileAtomic /
  // ReadFile (test doubles); the POSIX Env streams.
  virtual Result<std::unique_ptr<AtomicFile>> NewAtomicFile(const std::string& path);
  virtual Result<std::unique_ptr<SequentialFile>> OpenSequential(const std::string& path);

  // Whole-file reads. Code::kNotFound when the file does not exist.
  virtual Result<std::vector<std::uint8_t>> ReadFile(const std::string& path) = 0;
  // Reads `path` from its start, whatever it is (regular file, FIFO, device), and stops
  // after max_bytes + 1 bytes: a result longer than max_bytes means the file is longer than
  // max_bytes (the rest is not read), so memory stays bounded on an endless stream.
  // Code::kNotFound when the file does not exist, kInvalidArgument for a directory.
  virtual Result<std::vector<std::uint8_t>> ReadFileUpTo(const std::string& path,
                                                         std::uint64_t max_bytes) = 0;
  // stat(2) of `path`, following symlinks. Code::kNotFound when nothing is there.
  virtual Result<FileInfo> StatFile(const std::string& path) = 0;
  // Writes `data` to `path` atomically and durably: a temporary file in the same directory,
  // fsync, rename over `path`, fsync of the directory. On failure `path` is unchanged and
  // no temporary is left behind. Code::kDiskFull when the medium is full. Mode 0600. The
  // temporary is created anew (never through a symlink or over an existing file). The
  // caller checks what `path` is: the rename replaces whatever is there.
  virtual Status WriteFileAtomic(const std::string& path, std::span<const std::uint8_t> data) = 0;
  // Overwrites the file's current length with random bytes, fsyncs, then removes it.
  // Used by the panic wipe for small key files (crypto-erase). OK if absent.
  virtual Status ShredFile(const std::string& path) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;  // OK if absent
  virtual bool FileExists(const std::string& path) = 0;
  virtual Result<std::uint64_t> FileSize(const std::string& path) = 0;
  // Creates the directory and its parents (mode 0700). OK if it exists.
  virtual Status CreateDirs(const std::string& path) = 0;
  // Names (not paths) of the entries in `dir`, without "." and "..".
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Removes an empty directory. OK if absent.
  virtual Status RemoveDir(const std::string& path) = 0;
  // fsync of a directory, making creations, renames and removals in it durable.
  virtual Status SyncDir(const std::string& dir) = 0;

  // Cryptographically secure random bytes. Never fails.
  virtual void RandomBytes(std::span<std::uint8_t> out) = 0;

  virtual Clock& clock() = 0;

  // Connections to relays. Owned by the Env (or outliving it); never changes.
  virtual Transport& transport() = 0;
};

// Joins two path parts with exactly one '/'.
std::string JoinPath(std::string_view dir, std::string_view name);

}  // namespace parley
