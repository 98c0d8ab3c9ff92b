// A full disk for tests: a SQLite VFS named "parley-test-full", over "unix", whose writes
// fail with SQLITE_FULL once a byte budget is spent. The write that does not fit writes the
// part that fits first, as a real full disk does. A store is opened over it by naming it in
// StoreOptions::base_vfs (under the page-encrypting VFS).
// The budget is process-wide and shared by every file opened through the VFS (a disk is
// shared too); it may be set and read from any thread.
#pragma once

#include <cstdint>

namespace parley::testing {

inline constexpr const char* kFullDiskVfs = "parley-test-full";

// Registers the VFS (not as the default) once per process; true when it is registered.
bool RegisterFullDiskVfs();

// Bytes that may still be written; -1 (the initial value) means unlimited, 0 means full.
void SetDiskBudget(std::int64_t bytes);
std::int64_t DiskBudget();

// Bytes written through the VFS since the process started (writes that failed count what
// they wrote before failing). Only counts; never changes what is written.
std::int64_t DiskBytesWritten();

}  // namespace parley::testing
