// POSIX implementations of Env, Clock and KeyStore. Linked by apps, bindings and tests only.
#pragma once

#include <memory>
#include <string>

#include "parley/platform/env.h"

namespace parley {

// The process-wide POSIX Env. Thread-safe. Never destroyed.
Env& PosixEnv();

// The real clock (CLOCK_REALTIME / CLOCK_MONOTONIC).
Clock& SystemClock();

// A KeyStore holding one 0600 file per name in `dir` (created 0700 on first Put).
// Names are restricted to [A-Za-z0-9._-]; others get Code::kInvalidArgument.
std::unique_ptr<KeyStore> NewFileKeyStore(Env& env, std::string dir);

// The default key-store directory: $PARLEY_KEYSTORE, else $XDG_CONFIG_HOME/parley/keystore,
// else $HOME/.config/parley/keystore.
std::string DefaultKeyStoreDir();

}  // namespace parley
