// Keeping a process's memory to itself: no core file, no reading by other processes.
//
// A Parley process holds secrets in ordinary memory while it runs: the decrypted pages of
// SQLite's page cache, records being shown, text being typed. Keys live in locked, guarded
// memory (crypto.h), but those pages do not. A crash that writes a core file would put them
// on disk in the clear, and any process of the same user could read them through
// /proc/PID/mem or a debugger. Command-line programs (`parley`, `parley-relay`) call
// DisableCoreDumps() first thing in main(), before they read a passphrase or open a store.
//
// This is a host (POSIX desktop/server) concern, not the library's: a phone host has its own
// operating-system rules (Android and iOS apps run sandboxed, and the OS decides about crash
// reports and debugging of release builds), so the library never calls it.
//
// Thread safety: call once, from main(), before starting threads.
#pragma once

#include "parley/platform/status.h"

namespace parley {

// Sets the core-file size limit, soft and hard, to 0 (setrlimit(RLIMIT_CORE)): no core file
// is written for this process, nor for the programs it starts (an editor, say), which inherit
// the limit and cannot raise it again. On Linux also marks the process not dumpable
// (prctl(PR_SET_DUMPABLE, 0)): no core file whatever the limit or core_pattern, and
// /proc/PID/mem, /proc/PID/environ, /proc/PID/fd and ptrace are closed to other processes of
// the same user (root with CAP_SYS_PTRACE still can). Not dumpable also means no debugger
// can attach to a running `parley` as its user.
//
// Code::kIoError (Domain::kPlatform) naming the call that failed; the process should then
// stop rather than run exposed. Both steps are attempted whatever the first's outcome.
Status DisableCoreDumps();

}  // namespace parley
