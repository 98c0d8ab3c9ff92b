// Backup files (docs/backup-format.md):
//   header (132 bytes, clear)  magic "PARLEYBK" | version | kind | reserved(2) | argon2 ops (le64)
//                              | argon2 mem (le64) | salt (16) | secretstream header (24)
//                              | key check (32) | header hash (32)
//   frames                     le32 length | secretstream ciphertext of one BackupChunk
// The first frame's additional data is the whole header; the last frame carries TAG_FINAL.
#include "parley/core/backup.h"

#include <sodium.h>

#include <array>
#include <cstring>

#include "parley/backup.pb.h"
#include "parley/change.pb.h"

namespace parley::backup {
namespace {

constexpr char kMagic[8] = {'P', 'A', 'R', 'L', 'E', 'Y', 'B', 'K'};
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kStreamHeader = crypto_secretstream_xchacha20poly1305_HEADERBYTES;  // 24
constexpr std::size_t kKeyCheckAt = 44 + kStreamHeader;                                   // 68
constexpr std::size_t kHashAt = kKeyCheckAt + crypto::kHashSize;                          // 100
constexpr std::size_t kHeaderSize = kHashAt + crypto::kHashSize;                          // 132
constexpr std::size_t kABytes = crypto_secretstream_xchacha20poly1305_ABYTES;             // 17
constexpr std::string_view kKeyCheckLabel = "parley/backup-key-check/v1";

static_assert(kStreamHeader == 24 && kABytes == 17);

Status Corrupt(std::string msg) {
  return Error(Domain::kLog, Code::kCorrupt, "backup refused: " + std::move(msg));
}

void PutLe(std::uint8_t* p, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint64_t GetLe(const std::uint8_t* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

crypto::Hash KeyCheck(const crypto::SecretBytes& key) {
  return crypto::Blake2b256(crypto::AsBytes(kKeyCheckLabel), key.view());
}

// The file key, from the secret and the header's parameters.
Result<crypto::SecretBytes> FileKey(const BackupSecret& secret, const crypto::Argon2Params& params,
                                    crypto::ByteView salt) {
  if (secret.recovery_key != nullptr) return secret.recovery_key->BackupKey();
  auto key = crypto::Argon2id(secret.passphrase, salt, params,
                              crypto_secretstream_xchacha20poly1305_KEYBYTES);
  if (!key.ok())
    return Error(Domain::kLog, key.status().code(),
                 "deriving the backup key: " + key.status().message());
  return key;
}

// The secretstream state holds key material: zeroed when it goes.
struct StreamState {
  crypto_secretstream_xchacha20poly1305_state st;
  StreamState() { sodium_memzero(&st, sizeof st); }
  ~StreamState() { sodium_memzero(&st, sizeof st); }
};

}  // namespace

std::string_view SecretKindName(SecretKind kind) {
  return kind == SecretKind::kRecoveryKey ? "recovery_key" : "passphrase";
}

struct Writer::Impl {
  std::unique_ptr<AtomicFile> file;
  StreamState stream;
  std::array<std::uint8_t, kHeaderSize> header{};
  bool first = true;
  SecretKind kind = SecretKind::kRecoveryKey;
  pb::BackupChunk pending;  // the changes chunk being filled
  std::size_t pending_bytes = 0;
  std::uint64_t changes = 0, chunks = 0, bytes = 0;
  std::string plain;
  crypto::Bytes frame;

  Status Push(const pb::BackupChunk& chunk, bool final) {
    plain.clear();
    if (!chunk.SerializeToString(&plain))
      return Error(Domain::kLog, Code::kInternal, "encoding a backup chunk");
    frame.resize(4 + plain.size() + kABytes);
    unsigned long long clen = 0;
    const std::uint8_t* ad = first ? header.data() : nullptr;
    const std::size_t ad_len = first ? header.size() : 0;
    crypto_secretstream_xchacha20poly1305_push(
        &stream.st, frame.data() + 4, &clen, reinterpret_cast<const std::uint8_t*>(plain.data()),
        plain.size(), ad, ad_len,
        final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
              : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
    sodium_memzero(plain.data(), plain.size());
    first = false;
    PutLe(frame.data(), clen, 4);
    bytes += frame.size();
    return file->Append(frame);
  }

  Status Flush() {
    if (pending.changes().changes_size() == 0) return Status::Ok();
    PARLEY_RETURN_IF_ERROR(Push(pending, false));
    ++chunks;
    pending.Clear();
    pending_bytes = 0;
    return Status::Ok();
  }
};

Writer::Writer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Writer::~Writer() = default;

Result<std::unique_ptr<Writer>> Writer::Create(Env& env, const std::string& path,
                                               const BackupSecret& secret,
                                               const crypto::Argon2Params& argon2,
                                               const Manifest& manifest) {
  auto impl = std::make_unique<Impl>();
  impl->kind = secret.kind();
  crypto::Argon2Params params{0, 0};
  std::array<std::uint8_t, crypto::kArgon2SaltSize> salt{};
  if (secret.recovery_key == nullptr) {
    PARLEY_RETURN_IF_ERROR(
        store::CheckPassphraseStrength(secret.passphrase, store::kBackupPassphrase));
    const crypto::Argon2Params floor = crypto::MinimumArgon2Params();
    params = argon2;
    if (params.ops_limit < floor.ops_limit || params.mem_limit < floor.mem_limit) params = floor;
    if (params.ops_limit > kMaxArgon2Ops || params.mem_limit > kMaxArgon2Mem) {
      return Error(Domain::kLog, Code::kInvalidArgument,
                   "Argon2id parameters above what a reader accepts");
    }
    env.RandomBytes(salt);
  }
  PARLEY_ASSIGN_OR_RETURN(crypto::SecretBytes key, FileKey(secret, params, salt));

  std::uint8_t* h = impl->header.data();
  std::memcpy(h, kMagic, sizeof kMagic);
  h[8] = kVersion;
  h[9] = static_cast<std::uint8_t>(impl->kind);
  PutLe(h + 12, params.ops_limit, 8);
  PutLe(h + 20, params.mem_limit, 8);
  std::memcpy(h + 28, salt.data(), salt.size());
  crypto_secretstream_xchacha20poly1305_init_push(&impl->stream.st, h + 44, key.data());
  const crypto::Hash check = KeyCheck(key);
  std::memcpy(h + kKeyCheckAt, check.data(), check.size());
  const crypto::Hash hash = crypto::Blake2b256(crypto::ByteView(h, kHashAt));
  std::memcpy(h + kHashAt, hash.data(), hash.size());

  PARLEY_ASSIGN_OR_RETURN(impl->file, env.NewAtomicFile(path));
  PARLEY_RETURN_IF_ERROR(impl->file->Append(impl->header));
  impl->bytes = impl->header.size();

  pb::BackupChunk chunk;
  pb::BackupManifest* m = chunk.mutable_manifest();
  m->set_version(1);
  m->set_vault(manifest.vault_id.data(), manifest.vault_id.size());
  m->set_vault_name(manifest.vault_name);
  for (const store::VaultKey& e : manifest.epochs) {
    pb::BackupEpochKey* k = m->add_epochs();
    k->set_epoch(e.epoch);
    k->set_key(e.key.data(), e.key.size());
  }
  for (const auto& [k, v] : manifest.meta) {
    pb::BackupMeta* row = m->add_meta();
    row->set_key(k);
    row->set_value(v);
  }
  m->set_device_name(manifest.device_name);
  m->set_device(manifest.device.data(), manifest.device.size());
  m->set_created_unix_ms(manifest.created_unix_ms);
  Status pushed = impl->Push(chunk, false);
  for (auto& k : *m->mutable_epochs()) sodium_memzero(k.mutable_key()->data(), k.key().size());
  PARLEY_RETURN_IF_ERROR(pushed);
  return std::unique_ptr<Writer>(new Writer(std::move(impl)));
}

Status Writer::Add(std::string_view header, std::string_view body, std::string_view signature,
                   std::span<const std::string_view> key_slots) {
  Impl& w = *impl_;
  std::size_t size = header.size() + body.size() + signature.size();
  for (std::string_view slot : key_slots) size += slot.size();
  if (w.pending_bytes > 0 && w.pending_bytes + size > kChunkTarget)
    PARLEY_RETURN_IF_ERROR(w.Flush());
  pb::Change* c = w.pending.mutable_changes()->add_changes();
  c->set_header(std::string(header));
  c->set_body(std::string(body));
  c->set_signature(std::string(signature));
  for (std::string_view slot : key_slots) c->add_key_slots(std::string(slot));
  w.pending_bytes += size + 16;
  ++w.changes;
  return Status::Ok();
}

Result<Summary> Writer::Finish() {
  Impl& w = *impl_;
  PARLEY_RETURN_IF_ERROR(w.Flush());
  pb::BackupChunk end;
  end.mutable_end()->set_changes(w.changes);
  end.mutable_end()->set_chunks(w.chunks);
  PARLEY_RETURN_IF_ERROR(w.Push(end, true));
  PARLEY_RETURN_IF_ERROR(w.file->Commit());
  return Summary{w.kind, w.changes, w.chunks, w.bytes};
}

namespace {

// Reads exactly out.size() bytes; false at a clean end of file before any byte, kCorrupt
// ("truncated") in the middle.
Result<bool> ReadExactly(SequentialFile& f, std::span<std::uint8_t> out, bool eof_ok) {
  std::size_t got = 0;
  while (got < out.size()) {
    PARLEY_ASSIGN_OR_RETURN(std::size_t n, f.Read(out.subspan(got)));
    if (n == 0) {
      if (got == 0 && eof_ok) return false;
      return Corrupt("the file is truncated");
    }
    got += n;
  }
  return true;
}

struct Header {
  std::array<std::uint8_t, kHeaderSize> bytes{};
  SecretKind kind = SecretKind::kRecoveryKey;
  crypto::Argon2Params params{0, 0};
};

Result<Header> ReadHeader(SequentialFile& f) {
  Header h;
  auto got = ReadExactly(f, h.bytes, true);
  if (!got.ok() || !*got) return Corrupt("not a Parley backup, or truncated in its header");
  const std::uint8_t* b = h.bytes.data();
  if (std::memcmp(b, kMagic, sizeof kMagic) != 0) return Corrupt("not a Parley backup");
  const crypto::Hash hash = crypto::Blake2b256(crypto::ByteView(b, kHashAt));
  if (!crypto::ConstantTimeEqual(hash, crypto::ByteView(b + kHashAt, crypto::kHashSize))) {
    return Corrupt("its header is damaged or was tampered with");
  }
  if (b[8] != kVersion) return Corrupt("unsupported backup format version " + std::to_string(b[8]));
  if ((b[9] != 1 && b[9] != 2) || b[10] != 0 || b[11] != 0)
    return Corrupt("its header is malformed");
  h.kind = static_cast<SecretKind>(b[9]);
  h.params = crypto::Argon2Params{GetLe(b + 12, 8), GetLe(b + 20, 8)};
  if (h.kind == SecretKind::kPassphrase) {
    const crypto::Argon2Params floor = crypto::MinimumArgon2Params();
    if (h.params.ops_limit < floor.ops_limit || h.params.mem_limit < floor.mem_limit ||
        h.params.ops_limit > kMaxArgon2Ops || h.params.mem_limit > kMaxArgon2Mem) {
      return Corrupt("its Argon2id parameters are out of range");
    }
  } else if (h.params.ops_limit != 0 || h.params.mem_limit != 0) {
    return Corrupt("its header is malformed");
  }
  return h;
}

}  // namespace

Result<SecretKind> ReadKind(Env& env, const std::string& path) {
  PARLEY_ASSIGN_OR_RETURN(auto f, env.OpenSequential(path));
  PARLEY_ASSIGN_OR_RETURN(Header h, ReadHeader(*f));
  return h.kind;
}

Result<Summary> Read(Env& env, const std::string& path, const BackupSecret& secret,
                     const std::function<Status(Manifest&)>& on_manifest,
                     const std::function<Status(std::vector<pb::Change>&)>& on_changes) {
  PARLEY_ASSIGN_OR_RETURN(FileInfo info, env.StatFile(path));
  if (info.kind != FileInfo::Kind::kRegular) {
    return Error(Domain::kLog, Code::kInvalidArgument,
                 "backup refused: " + path + " is not a regular file");
  }
  PARLEY_ASSIGN_OR_RETURN(auto f, env.OpenSequential(path));
  PARLEY_ASSIGN_OR_RETURN(Header h, ReadHeader(*f));
  if (h.kind != secret.kind()) {
    return Error(Domain::kLog, Code::kInvalidArgument,
                 h.kind == SecretKind::kRecoveryKey
                     ? "this backup was made with the recovery key, not with a backup passphrase"
                     : "this backup was made with a backup passphrase, not with the recovery key");
  }
  PARLEY_ASSIGN_OR_RETURN(
      crypto::SecretBytes key,
      FileKey(secret, h.params, crypto::ByteView(h.bytes.data() + 28, crypto::kArgon2SaltSize)));
  if (!crypto::ConstantTimeEqual(
          KeyCheck(key), crypto::ByteView(h.bytes.data() + kKeyCheckAt, crypto::kHashSize))) {
    return Error(Domain::kLog, Code::kWrongPassphrase,
                 h.kind == SecretKind::kRecoveryKey
                     ? "this backup was not made with this recovery key"
                     : "wrong backup passphrase: this backup was not made with it");
  }
  StreamState stream;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&stream.st, h.bytes.data() + 44,
                                                      key.data()) != 0) {
    return Corrupt("its stream header is invalid");
  }
  Summary out;
  out.kind = h.kind;
  out.bytes = kHeaderSize;
  bool first = true, ended = false;
  std::uint64_t changes = 0, chunks = 0;
  crypto::Bytes frame, plain;
  std::uint8_t len_bytes[4];
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool more, ReadExactly(*f, len_bytes, true));
    if (!more) break;
    if (ended) return Corrupt("bytes follow its last frame");
    const std::uint64_t len = GetLe(len_bytes, 4);
    if (len < kABytes || len > kMaxFrame)
      return Corrupt("a frame length is out of range (damaged or tampered)");
    frame.resize(static_cast<std::size_t>(len));
    PARLEY_ASSIGN_OR_RETURN(bool whole, ReadExactly(*f, frame, false));
    (void)whole;
    out.bytes += 4 + len;
    plain.resize(frame.size() - kABytes);
    unsigned long long plen = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(
            &stream.st, plain.data(), &plen, &tag, frame.data(), frame.size(),
            first ? h.bytes.data() : nullptr, first ? h.bytes.size() : 0) != 0) {
      return Corrupt("a frame does not authenticate (damaged, tampered or out of order)");
    }
    pb::BackupChunk chunk;
    const bool parsed = chunk.ParseFromArray(plain.data(), static_cast<int>(plen));
    sodium_memzero(plain.data(), plain.size());
    if (!parsed) return Corrupt("a chunk does not parse");
    const bool final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE && !final)
      return Corrupt("a frame has an unknown tag");
    if (first) {
      if (!chunk.has_manifest() || final) return Corrupt("the first chunk is not the manifest");
      const pb::BackupManifest& m = chunk.manifest();
      if (m.version() != 1 || m.vault().size() != 32) return Corrupt("the manifest is malformed");
      Manifest manifest;
      manifest.vault_id.assign(m.vault().begin(), m.vault().end());
      manifest.vault_name = m.vault_name();
      for (const auto& e : m.epochs()) {
        if (e.key().size() != 32) return Corrupt("the manifest is malformed");
        manifest.epochs.push_back(
            store::VaultKey{e.epoch(), crypto::SecretBytes::Copy(crypto::AsBytes(e.key()))});
      }
      for (const auto& row : m.meta()) manifest.meta.emplace_back(row.key(), row.value());
      manifest.device_name = m.device_name();
      manifest.device.assign(m.device().begin(), m.device().end());
      manifest.created_unix_ms = m.created_unix_ms();
      for (auto& e : *chunk.mutable_manifest()->mutable_epochs()) {
        sodium_memzero(e.mutable_key()->data(), e.key().size());
      }
      if (manifest.epochs.empty()) return Corrupt("the manifest holds no vault key");
      if (on_manifest) PARLEY_RETURN_IF_ERROR(on_manifest(manifest));
      first = false;
      continue;
    }
    if (chunk.has_changes()) {
      if (final) return Corrupt("the last chunk is not the end");
      ++chunks;
      changes += static_cast<std::uint64_t>(chunk.changes().changes_size());
      if (on_changes) {
        std::vector<pb::Change> batch(chunk.changes().changes().begin(),
                                      chunk.changes().changes().end());
        PARLEY_RETURN_IF_ERROR(on_changes(batch));
      }
      continue;
    }
    if (!chunk.has_end() || !final) return Corrupt("a chunk is out of place");
    if (chunk.end().changes() != changes || chunk.end().chunks() != chunks) {
      return Corrupt("its end does not match what it holds");
    }
    ended = true;
  }
  if (!ended) return Corrupt("the file is truncated (its last frame is missing)");
  out.changes = changes;
  out.chunks = chunks;
  return out;
}

}  // namespace parley::backup
