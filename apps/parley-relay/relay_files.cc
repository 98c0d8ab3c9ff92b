#include "relay_files.h"

#include <algorithm>

namespace parley::relay_app {

std::string KeyPath(const std::string& dir) { return JoinPath(dir, "relay.key"); }
std::string AddressPath(const std::string& dir) { return JoinPath(dir, "address"); }
std::string DbPath(const std::string& dir) { return JoinPath(dir, "relay.db"); }
std::string MetricsPath(const std::string& dir) { return JoinPath(dir, "metrics"); }

Status CreateKey(Env& env, const std::string& dir) {
  PARLEY_RETURN_IF_ERROR(env.CreateDirs(dir));
  if (env.FileExists(KeyPath(dir))) {
    return Error(Domain::kApp, Code::kAlreadyExists, "a relay key already exists in " + dir);
  }
  crypto::DhKeyPair key = crypto::NewDhKeyPair();
  return env.WriteFileAtomic(KeyPath(dir), key.secret_key.view());
}

Result<crypto::DhKeyPair> LoadKey(Env& env, const std::string& dir) {
  auto raw = env.ReadFile(KeyPath(dir));
  if (!raw.ok()) {
    if (raw.status().code() == Code::kNotFound) {
      return Error(Domain::kApp, Code::kNotFound,
                   "no relay key in " + dir + " (run parley-relay init first)");
    }
    return raw.status();
  }
  if (raw->size() != crypto::kDhSize)
    return Error(Domain::kApp, Code::kCorrupt, "the relay key file is damaged");
  crypto::DhKeyPair key = crypto::DhKeyPairFromSecret(*raw);
  volatile std::uint8_t* p = raw->data();  // zero the plain copy; volatile keeps the stores
  for (std::size_t i = 0; i < raw->size(); ++i) p[i] = 0;
  return key;
}

std::string LoadAddress(Env& env, const std::string& dir) {
  auto raw = env.ReadFile(AddressPath(dir));
  if (!raw.ok()) return "";
  std::string s(raw->begin(), raw->end());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Status SaveAddress(Env& env, const std::string& dir, const std::string& address) {
  std::string line = address + "\n";
  return env.WriteFileAtomic(AddressPath(dir), crypto::AsBytes(line));
}

}  // namespace parley::relay_app
