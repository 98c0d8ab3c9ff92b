// Bundle files (docs/bundle-format.md):
//   "PARLEYB1" || le32(header length) || BundleHeader || payload || signature
//   payload   = XChaCha20-Poly1305(epoch key, header.nonce, BundlePayload,
//                                  ad = magic || le32 || header)
//   signature = Ed25519(exporter, "parley/bundle/v1" || BLAKE2b-256(all bytes before it))
#include "parley/core/bundle.h"
#include "parley/core/replica_sync.h"

#include <cstring>

#include "log/tuning.h"
#include "parley/bundle.pb.h"
#include "parley/change.pb.h"

namespace parley::bundle {
namespace {

constexpr char kMagic[8] = {'P', 'A', 'R', 'L', 'E', 'Y', 'B', '1'};
constexpr std::size_t kPrefix = sizeof kMagic + 4;
constexpr std::size_t kMaxHeader = 4096;
constexpr std::string_view kSignLabel = "parley/bundle/v1";

Status Corrupt(std::string msg) {
  return Error(Domain::kLog, Code::kCorrupt,
               "bundle refused: " + std::move(msg) + "; nothing was imported");
}

crypto::Bytes SignedMessage(crypto::ByteView signed_part) {
  crypto::Hash h = crypto::Blake2b256(signed_part);
  crypto::Bytes m(kSignLabel.size() + h.size());
  std::memcpy(m.data(), kSignLabel.data(), kSignLabel.size());
  std::memcpy(m.data() + kSignLabel.size(), h.data(), h.size());
  return m;
}

}  // namespace

Result<ExportSummary> ExportBundle(log::Replica& replica, store::Store& store, Env& env,
                                   const std::string& path, const log::VersionVector& known) {
  // The payload is under the vault's first epoch, which every device ever enrolled holds:
  // a bundle must reach a device that missed a new epoch (the bundle may carry its key) or
  // was revoked (the bundle may carry its revocation). Each change inside keeps its own
  // epoch's encryption (docs/bundle-format.md).
  const store::VaultKey* first = store.vault().has_value() ? store.vault()->Epoch(0) : nullptr;
  if (first == nullptr) first = log::CurrentEpochKey(replica);
  if (!store.vault().has_value() || first == nullptr) {
    return Error(Domain::kLog, Code::kNotFound, "no vault to export from");
  }
  const std::string data_dir[] = {store.data_dir()};
  PARLEY_RETURN_IF_ERROR(CheckBundleTarget(env, path, data_dir));
  const store::VaultKeys& vault = *store.vault();
  const store::VaultKey& key = *first;
  PARLEY_ASSIGN_OR_RETURN(std::vector<pb::Change> changes, replica.ChangesSince(known));

  const std::size_t count = changes.size();
  pb::BundlePayload payload;
  for (pb::Change& c : changes) *payload.add_changes() = std::move(c);
  std::string plain;
  if (!payload.SerializeToString(&plain))
    return Error(Domain::kLog, Code::kInternal, "encoding the bundle");
  payload.Clear();

  pb::BundleHeader header;
  header.set_version(1);
  header.set_vault(vault.vault_id.data(), vault.vault_id.size());
  const crypto::Bytes& me = store.device().identity.public_key;
  header.set_exporter(me.data(), me.size());
  header.set_epoch(key.epoch);
  std::uint8_t nonce[crypto::kXNonceSize];
  env.RandomBytes(nonce);
  header.set_nonce(nonce, sizeof nonce);
  header.set_payload_size(plain.size() + crypto::kAeadTagSize);
  header.set_created_unix_ms(env.clock().NowUnixMs());
  std::string header_bytes;
  if (!header.SerializeToString(&header_bytes))
    return Error(Domain::kLog, Code::kInternal, "encoding the bundle");

  const std::size_t total =
      kPrefix + header_bytes.size() + plain.size() + crypto::kAeadTagSize + crypto::kSignatureSize;
  crypto::Bytes file(total);
  std::uint8_t* const out = file.data();
  // Never null (total > kPrefix); saying so keeps optimizing builds from warning about it.
  if (out == nullptr) return Error(Domain::kLog, Code::kInternal, "encoding the bundle");
  std::memcpy(out, kMagic,
              sizeof kMagic);  // NOLINT(bugprone-not-null-terminated-result): bytes, not a string
  const auto hlen = static_cast<std::uint32_t>(header_bytes.size());
  for (int i = 0; i < 4; ++i)
    out[sizeof kMagic + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(hlen >> (8 * i));
  // NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes, not a string
  std::memcpy(out + kPrefix, header_bytes.data(), header_bytes.size());
  const std::size_t ad_len = kPrefix + header_bytes.size();
  std::uint8_t* body = out + ad_len;
  // NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes, not a string
  if (!plain.empty()) std::memcpy(body, plain.data(), plain.size());
  PARLEY_RETURN_IF_ERROR(crypto::XChaChaSealInPlace(
      key.key.view(), crypto::ByteView(nonce, sizeof nonce),
      std::span<std::uint8_t>(body, plain.size()), crypto::ByteView(file.data(), ad_len),
      std::span<std::uint8_t>(body + plain.size(), crypto::kAeadTagSize)));
  const std::size_t signed_len = total - crypto::kSignatureSize;
  crypto::Bytes sig = crypto::Sign(store.device().identity.secret_key,
                                   SignedMessage(crypto::ByteView(file.data(), signed_len)));
  std::memcpy(file.data() + signed_len, sig.data(), sig.size());

  Status w = env.WriteFileAtomic(path, file);
  if (!w.ok()) return w.Annotate("writing the bundle " + path);
  return ExportSummary{count, total};
}

Result<log::ApplyReport> ImportBundle(log::Replica& replica, store::Store& store, Env& env,
                                      const std::string& path) {
  if (!store.vault().has_value())
    return Error(Domain::kLog, Code::kNotFound, "no vault to import into");
  // A FIFO or a device (/dev/zero) may never end: only a regular file is read, and no
  // further than the cap even if it grows meanwhile.
  PARLEY_ASSIGN_OR_RETURN(FileInfo info, env.StatFile(path));
  if (info.kind != FileInfo::Kind::kRegular) {
    return Error(Domain::kLog, Code::kInvalidArgument,
                 "bundle refused: " + path + " is not a regular file; nothing was imported");
  }
  const std::string too_large = "the file is larger than " +
                                std::to_string(kMaxBundleFileSize >> 20) +
                                " MiB, the largest bundle";
  if (info.size > kMaxBundleFileSize) return Corrupt(too_large);
  PARLEY_ASSIGN_OR_RETURN(crypto::Bytes file, env.ReadFileUpTo(path, kMaxBundleFileSize));
  if (file.size() > kMaxBundleFileSize) return Corrupt(too_large);
  if (file.size() < kPrefix + crypto::kSignatureSize ||
      std::memcmp(file.data(), kMagic, sizeof kMagic) != 0) {
    return Corrupt("not a Parley bundle (or truncated)");
  }
  std::uint32_t hlen = 0;
  for (int i = 0; i < 4; ++i)
    hlen |= static_cast<std::uint32_t>(file[sizeof kMagic + static_cast<std::size_t>(i)])
            << (8 * i);
  if (hlen > kMaxHeader || kPrefix + hlen + crypto::kSignatureSize > file.size()) {
    return Corrupt("the header is truncated or malformed");
  }
  pb::BundleHeader header;
  if (!header.ParseFromArray(file.data() + kPrefix, static_cast<int>(hlen)))
    return Corrupt("the header does not parse");
  if (header.version() != 1)
    return Corrupt("unsupported bundle version " + std::to_string(header.version()));
  if (header.vault().size() != 32 || header.exporter().size() != crypto::kSignPublicKeySize ||
      header.nonce().size() != crypto::kXNonceSize ||
      header.payload_size() < crypto::kAeadTagSize) {
    return Corrupt("the header is malformed");
  }
  const std::uint64_t expected = kPrefix + hlen + header.payload_size() + crypto::kSignatureSize;
  if (expected != file.size()) {
    return Corrupt(file.size() < expected ? "the file is truncated"
                                          : "the file has trailing bytes");
  }
  const std::size_t signed_len = file.size() - crypto::kSignatureSize;
  if (!crypto::Verify(crypto::AsBytes(header.exporter()),
                      SignedMessage(crypto::ByteView(file.data(), signed_len)),
                      crypto::ByteView(file.data() + signed_len, crypto::kSignatureSize))
           .ok()) {
    return Corrupt("the signature does not verify (tampered or damaged)");
  }
  const store::VaultKeys& vault = *store.vault();
  if (!crypto::ConstantTimeEqual(crypto::AsBytes(header.vault()), vault.vault_id)) {
    return Error(Domain::kLog, Code::kInvalidArgument,
                 "bundle refused: it belongs to another vault");
  }
  const store::VaultKey* key = vault.Epoch(header.epoch());
  if (key == nullptr) {
    return Error(
        Domain::kLog, Code::kPermissionDenied,
        "bundle refused: this device holds no key for epoch " + std::to_string(header.epoch()));
  }
  const std::size_t ad_len = kPrefix + hlen;
  const std::size_t plain_len =
      static_cast<std::size_t>(header.payload_size()) - crypto::kAeadTagSize;
  std::uint8_t* body = file.data() + ad_len;
  Status open = crypto::XChaChaOpenInPlace(
      key->key.view(), crypto::AsBytes(header.nonce()), std::span<std::uint8_t>(body, plain_len),
      crypto::ByteView(file.data(), ad_len),
      crypto::ByteView(body + plain_len, crypto::kAeadTagSize));
  if (!open.ok()) return Corrupt("the payload does not decrypt");
  pb::BundlePayload payload;
  const bool parsed = payload.ParseFromArray(body, static_cast<int>(plain_len));
  std::memset(body, 0, plain_len);
  if (!parsed) return Corrupt("the payload does not parse");
  std::vector<pb::Change> changes(payload.changes().begin(), payload.changes().end());
  payload.Clear();
  auto report = replica.Apply(changes);
  if (!report.ok()) return report.status().Annotate("bundle refused, nothing was imported");
  return report;
}

}  // namespace parley::bundle
