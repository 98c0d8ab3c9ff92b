// The relay's data directory:
//   relay.key     the X25519 static secret key, 32 raw bytes, mode 0600
//   address       optional "host:port" hint put in the pairing code
//   relay.db      SQLite storage (+ -wal, -shm)
//   metrics       counters, rewritten every second while serving
#pragma once

#include <string>

#include "parley/core/crypto.h"
#include "parley/platform/env.h"

namespace parley::relay_app {

std::string KeyPath(const std::string& dir);
std::string AddressPath(const std::string& dir);
std::string DbPath(const std::string& dir);
std::string MetricsPath(const std::string& dir);

// Creates the directory and a new key. Code::kAlreadyExists when a key is there already.
Status CreateKey(Env& env, const std::string& dir);
// Code::kNotFound ("run parley-relay init first") when there is no key.
Result<crypto::DhKeyPair> LoadKey(Env& env, const std::string& dir);
// The stored address hint, or "".
std::string LoadAddress(Env& env, const std::string& dir);
Status SaveAddress(Env& env, const std::string& dir, const std::string& address);

}  // namespace parley::relay_app
