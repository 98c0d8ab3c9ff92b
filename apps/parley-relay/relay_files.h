// The relay's data directory (mode 0700; every file in it 0600):
//   relay.key     the X25519 static secret key, 32 raw bytes
//   address       optional "host:port" hint put in the pairing code
//   relay.db      SQLite storage (+ -wal, -shm)
//   metrics       counters, rewritten every second while serving
//   lock          held (flock) by the process serving the directory; holds its pid
//   relay.toml    optional configuration file (docs/relay-operations.md)
#pragma once

#include <string>

#include "parley/core/crypto.h"
#include "parley/platform/env.h"

namespace parley::relay_app {

std::string KeyPath(const std::string& dir);
std::string AddressPath(const std::string& dir);
std::string DbPath(const std::string& dir);
std::string MetricsPath(const std::string& dir);
std::string LockPath(const std::string& dir);
std::string ConfigPath(const std::string& dir);

// Creates the directory and a new key. Code::kAlreadyExists when a key is there already.
Status CreateKey(Env& env, const std::string& dir);
// Code::kNotFound ("run parley-relay init first") when there is no key.
Result<crypto::DhKeyPair> LoadKey(Env& env, const std::string& dir);
// The stored address hint, or "".
std::string LoadAddress(Env& env, const std::string& dir);
Status SaveAddress(Env& env, const std::string& dir, const std::string& address);

// The key of the log's short keyed hashes (RelayOptions::log_id_key): BLAKE2b-256 keyed with
// the relay's secret key over "parley-relay log ids".
crypto::Bytes LogIdKey(const crypto::DhKeyPair& key);

// Makes `dir` private: created 0700 when missing (`create`), otherwise refused unless it is a
// directory owned by this user; a group or other permission bit on it or on the relay's
// files in it is taken away (`*tightened` lists what was changed, for the log). Code::
// kPermissionDenied (the message says whose it is and what to do) or kIoError.
Status SecureDataDir(const std::string& dir, bool create, std::string* tightened);

// An exclusive flock(2) on DIR/lock (created 0600), released when the object is destroyed
// or the process ends, whatever way it ends. Held by `serve` for its whole life, by `migrate`
// (on its data directory) and by `backup` (on the destination). Commands that SQLite lets run
// beside a serving relay (`backup` of the source, `vault allow`, `vault list`) take none.
class DirLock {
 public:
  // Takes the lock without waiting and writes this process's pid into the file. Code::kBusy
  // "another parley-relay is serving DIR (pid N)" when another process holds it.
  static Result<DirLock> Take(const std::string& dir);
  DirLock() = default;
  ~DirLock();
  DirLock(DirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  DirLock& operator=(DirLock&& o) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace parley::relay_app
