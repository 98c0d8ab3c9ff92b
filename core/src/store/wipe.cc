// Panic wipe. Order matters: every other process that has the store open is stopped first
// (process_registry.h: it holds the keys in memory and could write the files again), then the
// key file goes (crypto-erase: without the wrapped master key every other file is ciphertext
// under a key that no longer exists), then the key-store secret, then the files. Nothing
// here depends on the size of the database.
#include <cstring>

#include "parley/core/store.h"
#include "parley/keys.pb.h"
#include "store/database.h"
#include "store/key_file.h"
#include "store/process_registry.h"
#include "store/store_files.h"
#include "store/unlock_guard.h"

namespace parley::store {
namespace internal {
namespace {

constexpr const char* kDatabaseSuffixes[] = {"", "-wal", "-shm", "-journal", ".tmp"};

// The store id, read without authentication (the wipe needs no passphrase). Empty when the
// key file is unreadable.
crypto::Bytes StoreIdForWipe(Env& env, const std::string& key_path) {
  auto file = env.ReadFile(key_path);
  constexpr std::size_t kMagic = 8;
  if (!file.ok() || file->size() < kMagic) return {};
  // Format 1 ("PRLYKEY1") ends with a checksum; format 2 with a MAC and a checksum.
  const std::size_t trailer = (*file)[kMagic - 1] == '1' ? 32 : 64;
  if (file->size() < kMagic + trailer) return {};
  pb::KeyFile kf;
  if (!kf.ParseFromArray(file->data() + kMagic,
                         static_cast<int>(file->size() - kMagic - trailer)) ||
      kf.store_id().size() != kStoreIdSize) {
    return {};
  }
  return crypto::Bytes(kf.store_id().begin(), kf.store_id().end());
}

}  // namespace

Status RemoveDatabaseFiles(Env& env, const std::string& data_dir) {
  Status first;
  for (const char* suffix : kDatabaseSuffixes) {
    Status s = env.RemoveFile(JoinPath(data_dir, std::string(kDatabaseFileName) + suffix));
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

}  // namespace internal

Status Store::Wipe(Env& env, KeyStore& key_store, const std::string& data_dir) {
  const std::string key_path = JoinPath(data_dir, internal::kKeyFileName);
  // Held until the files are gone: a store opening meanwhile finds no key file.
  auto gate = internal::RegistryGate::Enter(data_dir, /*exclusive=*/true);
  // A process that does not stop does not stop the wipe: the error is returned at the end.
  Status stopped = gate.ok() ? internal::StopRegisteredProcesses(data_dir) : gate.status();
  if (stopped.code() == Code::kNotFound) stopped = Status::Ok();  // no directory, no process
  crypto::Bytes store_id = internal::StoreIdForWipe(env, key_path);
  Status first = env.ShredFile(key_path);
  auto keep = [&first](Status s) {
    if (!s.ok() && first.ok()) first = std::move(s);
  };
  keep(env.ShredFile(key_path + ".tmp"));
  if (!store_id.empty()) keep(key_store.Erase(internal::KeyStoreName(store_id)));
  keep(internal::RemoveDatabaseFiles(env, data_dir));
  keep(env.RemoveFile(JoinPath(data_dir, internal::kFailuresFileName)));
  keep(env.RemoveFile(JoinPath(data_dir, std::string(internal::kFailuresFileName) + ".tmp")));
  internal::RemoveRegistry(data_dir);
  if (gate.ok()) gate->reset();
  keep(std::move(stopped));
  auto left = env.ListDir(data_dir);
  if (left.ok() && left->empty()) {
    keep(env.RemoveDir(data_dir));
  } else if (left.ok()) {
    keep(env.SyncDir(data_dir));  // the removals are durable
  }
  if (!first.ok()) return first.Annotate("wiping the store");
  return Status::Ok();
}

}  // namespace parley::store
