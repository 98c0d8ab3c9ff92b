// The processes using a data directory, so that a wipe can stop them all.
//
// Layout: <data dir>/procs/ holds one file per open Store, named "<pid>-<16 hex digits>" and
// holding the pid in decimal. Its process holds a POSIX write lock (fcntl F_SETLK, whole
// file) on it for as long as the store is open; the kernel drops the lock when the process
// dies, so a file whose lock is free is a leftover. The directory itself is the gate: Open
// holds a shared flock on it while it registers and reads the key file, a wipe holds an
// exclusive one from before it looks for processes until every file is gone, so no Open can
// slip between the two.
// Internal to the store. POSIX only; every call is synchronous and thread-compatible.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "parley/platform/status.h"

namespace parley::store::internal {

inline constexpr char kProcsDirName[] = "procs";

// A flock on <data dir>/procs (created when missing), released by the destructor.
class RegistryGate {
 public:
  // Waits (at most tuning::kGateWaitMs) for the lock: Code::kBusy when it stays taken,
  // Code::kNotFound when `data_dir` does not exist, Code::kIoError for other failures.
  static Result<std::unique_ptr<RegistryGate>> Enter(const std::string& data_dir, bool exclusive);
  ~RegistryGate();
  RegistryGate(const RegistryGate&) = delete;
  RegistryGate& operator=(const RegistryGate&) = delete;

 private:
  explicit RegistryGate(int fd) : fd_(fd) {}
  int fd_;
};

// This process's registration of one open store; the destructor removes it.
class ProcessRegistration {
 public:
  // REQUIRES: a gate of `data_dir` is held. Code::kIoError when the file cannot be made.
  static Result<std::unique_ptr<ProcessRegistration>> Register(const std::string& data_dir);
  ~ProcessRegistration();
  ProcessRegistration(const ProcessRegistration&) = delete;
  ProcessRegistration& operator=(const ProcessRegistration&) = delete;

 private:
  ProcessRegistration(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

// Stops every other process registered in `data_dir`: SIGTERM to each holder of a lock,
// then, for those still holding it after tuning::kStopGraceMs, SIGKILL, and waits (at most
// tuning::kKillWaitMs more) until every lock is free. Leftover files are removed; this
// process's own registrations are left alone. REQUIRES: the exclusive gate is held.
// Code::kBusy naming the pids that still hold their lock at the end.
Status StopRegisteredProcesses(const std::string& data_dir);

// Removes every registration file whose lock is free (not this process's) and the procs
// directory when it is then empty. Errors are ignored: a later wipe tries again.
void RemoveRegistry(const std::string& data_dir);

}  // namespace parley::store::internal
