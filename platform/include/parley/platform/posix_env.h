// POSIX implementations of Env, Clock, KeyStore and Transport. Linked by apps, bindings and
// tests only.
#pragma once

#include <memory>
#include <string>

#include "parley/platform/env.h"
#include "parley/platform/transport.h"

namespace parley {

// The process-wide POSIX Env. Thread-safe. Never destroyed.
Env& PosixEnv();

// The real clock (CLOCK_REALTIME / CLOCK_MONOTONIC).
Clock& SystemClock();

// TCP (platform/src/posix_transport.cc): resolves with getaddrinfo and tries each result
// with a non-blocking connect (close-on-exec, TCP_NODELAY) under the one deadline; waits with
// poll(2) on the socket and the cancel fd, on the real monotonic clock. Connections are the
// sockets themselves (poll_fd() is the socket). PosixEnv().transport() returns it.
// Thread-safe. Never destroyed.
Transport& PosixTransport();

// Adopts `fd`, a connected stream socket (TCP, or one end of socketpair(AF_UNIX,
// SOCK_STREAM)), as a Connection: marks it non-blocking and close-on-exec; the Connection
// closes it when destroyed. Never fails.
std::unique_ptr<Connection> NewSocketConnection(int fd);

// A KeyStore holding one 0600 file per name in `dir` (created 0700 on first Put).
// Names are restricted to [A-Za-z0-9._-]; others get Code::kInvalidArgument.
std::unique_ptr<KeyStore> NewFileKeyStore(Env& env, std::string dir);

// The default key-store directory: $PARLEY_KEYSTORE, else $XDG_CONFIG_HOME/parley/keystore,
// else $HOME/.config/parley/keystore.
std::string DefaultKeyStoreDir();

}  // namespace parley
