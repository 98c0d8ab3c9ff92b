#include "store/key_file.h"

#include <algorithm>
#include <cstring>

#include "parley/keys.pb.h"

namespace parley::store::internal {
namespace {

constexpr char kMagicV1[8] = {'P', 'R', 'L', 'Y', 'K', 'E', 'Y', '1'};
constexpr char kMagic[8] = {'P', 'R', 'L', 'Y', 'K', 'E', 'Y', '2'};
constexpr std::size_t kMagicSize = sizeof kMagic;
constexpr std::size_t kChecksumSize = crypto::kHashSize;
constexpr std::size_t kMacSize = crypto::kHashSize;
// The AD's label names its layout, which both formats share (the format number follows it).
constexpr std::string_view kAdLabel = "parley key file v1";
constexpr std::string_view kMacLabel = "parley key file mac";         // format 1 header_mac
constexpr std::string_view kFileMacLabel = "parley key file mac v2";  // format 2 file MAC

Status Corrupt(std::string_view why) {
  return Status(Domain::kStore, Code::kCorrupt,
                "key file is tampered or corrupt (" + std::string(why) + ")");
}

crypto::ByteView View(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void PutU32(crypto::Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void PutU64(crypto::Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// The canonical encoding of the header, bound as associated data to both wraps.
crypto::Bytes HeaderAd(const KeyFileHeader& h) {
  crypto::Bytes ad(kAdLabel.begin(), kAdLabel.end());
  PutU32(ad, h.format);
  ad.insert(ad.end(), h.store_id.begin(), h.store_id.end());
  PutU64(ad, h.argon2.ops_limit);
  PutU64(ad, h.argon2.mem_limit);
  ad.insert(ad.end(), h.salt.begin(), h.salt.end());
  return ad;
}

// BLAKE2b-256(key = key-store secret, label).
crypto::SecretBytes MacKey(const crypto::SecretBytes& secret, std::string_view label) {
  crypto::SecretBytes mac_key(32);
  crypto::Hasher hk(32, secret.view());
  hk.Update(label).Final(mac_key.span());
  Scrub(&hk, sizeof hk);
  return mac_key;
}

crypto::Hash HeaderMac(const KeyFileHeader& h, const crypto::SecretBytes& secret) {
  return crypto::Blake2b256(HeaderAd(h), MacKey(secret, kMacLabel).view());
}

crypto::Hash FileMac(crypto::ByteView authenticated, const crypto::SecretBytes& secret) {
  return crypto::Blake2b256(authenticated, MacKey(secret, kFileMacLabel).view());
}

// The magic and the serialized KeyFile: what the trailer covers.
crypto::Bytes Body(const KeyFileData& d, const char (&magic)[8]) {
  pb::KeyFile pbf;
  auto str = [](const crypto::Bytes& b) { return std::string(b.begin(), b.end()); };
  pbf.set_format(d.header.format);
  pbf.set_store_id(str(d.header.store_id));
  pbf.set_argon2_ops(d.header.argon2.ops_limit);
  pbf.set_argon2_mem(d.header.argon2.mem_limit);
  pbf.set_salt(str(d.header.salt));
  if (d.header.format == kKeyFileFormatV1) pbf.set_header_mac(str(d.header_mac));
  pbf.set_master_nonce(str(d.master_nonce));
  pbf.set_wrapped_master(str(d.wrapped_master));
  pbf.set_bundle_nonce(str(d.bundle_nonce));
  pbf.set_wrapped_bundle(str(d.wrapped_bundle));
  if (d.header.format != kKeyFileFormatV1) pbf.set_wipe_after(d.wipe_after);
  std::string body = pbf.SerializeAsString();
  crypto::Bytes out(kMagicSize + body.size());
  const auto at = std::copy(magic, magic + kMagicSize, out.begin());
  std::copy(body.begin(), body.end(), at);
  return out;
}

void ScrubString(std::string* s) {
  if (!s->empty()) Scrub(s->data(), s->size());
  s->clear();
}

void ScrubBundle(pb::KeyBundle& b) {
  ScrubString(b.mutable_database_key());
  ScrubString(b.mutable_identity_seed());
  ScrubString(b.mutable_kx_secret());
  ScrubString(b.mutable_seal_secret());
  ScrubString(b.mutable_enrol_secret());
  if (b.has_vault()) {
    for (auto& e : *b.mutable_vault()->mutable_epochs()) ScrubString(e.mutable_key());
  }
}

}  // namespace

void Scrub(void* p, std::size_t n) {
  volatile std::uint8_t* v = static_cast<volatile std::uint8_t*>(p);
  for (std::size_t i = 0; i < n; ++i) v[i] = 0;
}

std::string KeyStoreName(crypto::ByteView store_id) { return "parley-" + crypto::ToHex(store_id); }

Result<KeyFileData> ParseKeyFile(crypto::ByteView file) {
  if (file.size() < kMagicSize + kMacSize + kChecksumSize) return Corrupt("too short");
  const bool v1 = std::memcmp(file.data(), kMagicV1, kMagicSize) == 0;
  if (!v1 && std::memcmp(file.data(), kMagic, kMagicSize) != 0) return Corrupt("bad magic");
  // The unkeyed checksum catches accidents (a flipped store id reads as corrupt, not as a
  // missing key-store secret); only the format 2 MAC stops someone who recomputes it.
  const std::size_t sum_at = file.size() - kChecksumSize;
  crypto::Hash sum = crypto::Blake2b256(file.first(sum_at));
  if (!crypto::ConstantTimeEqual(sum, file.subspan(sum_at))) return Corrupt("checksum mismatch");
  const std::size_t body_end = v1 ? sum_at : sum_at - kMacSize;

  pb::KeyFile pbf;
  const std::size_t body_size = body_end - kMagicSize;
  if (!pbf.ParseFromArray(file.data() + kMagicSize, static_cast<int>(body_size))) {
    return Corrupt("does not parse");
  }
  KeyFileData d;
  d.header.format = pbf.format();
  if (d.header.format != (v1 ? kKeyFileFormatV1 : kKeyFileFormat))
    return Corrupt("unknown format version");
  auto bytes = [](const std::string& s) { return crypto::Bytes(s.begin(), s.end()); };
  d.header.store_id = bytes(pbf.store_id());
  d.header.argon2 = {pbf.argon2_ops(), pbf.argon2_mem()};
  d.header.salt = bytes(pbf.salt());
  d.header_mac = bytes(pbf.header_mac());
  d.master_nonce = bytes(pbf.master_nonce());
  d.wrapped_master = bytes(pbf.wrapped_master());
  d.bundle_nonce = bytes(pbf.bundle_nonce());
  d.wrapped_bundle = bytes(pbf.wrapped_bundle());
  d.wipe_after = pbf.wipe_after();
  const std::size_t header_mac_size = v1 ? crypto::kHashSize : 0;
  if (d.header.store_id.size() != kStoreIdSize || d.header.salt.size() != crypto::kArgon2SaltSize ||
      d.header_mac.size() != header_mac_size || d.master_nonce.size() != crypto::kXNonceSize ||
      d.wrapped_master.size() != 32 + crypto::kAeadTagSize ||
      d.bundle_nonce.size() != crypto::kXNonceSize ||
      d.wrapped_bundle.size() < crypto::kAeadTagSize || (v1 && d.wipe_after != 0)) {
    return Corrupt("bad field size");
  }
  if (!v1) {
    d.authenticated.assign(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(body_end));
    d.mac.assign(file.begin() + static_cast<std::ptrdiff_t>(body_end),
                 file.begin() + static_cast<std::ptrdiff_t>(sum_at));
  }
  return d;
}

crypto::Bytes EncodeKeyFile(const KeyFileData& d, const crypto::SecretBytes& secret) {
  crypto::Bytes out = Body(d, kMagic);
  crypto::Hash mac = FileMac(out, secret);
  out.insert(out.end(), mac.begin(), mac.end());
  crypto::Hash sum = crypto::Blake2b256(out);
  out.insert(out.end(), sum.begin(), sum.end());
  return out;
}

crypto::Bytes EncodeKeyFileV1(const KeyFileData& d) {
  crypto::Bytes out = Body(d, kMagicV1);
  crypto::Hash sum = crypto::Blake2b256(out);
  out.insert(out.end(), sum.begin(), sum.end());
  return out;
}

Status VerifyKeyFile(const KeyFileData& d, const crypto::SecretBytes& secret) {
  if (d.header.format == kKeyFileFormatV1) {
    crypto::Hash mac = HeaderMac(d.header, secret);
    if (!crypto::ConstantTimeEqual(mac, d.header_mac)) {
      return Corrupt(
          "header authentication failed; or the key-store secret belongs to another store");
    }
  } else {
    crypto::Hash mac = FileMac(d.authenticated, secret);
    if (d.mac.size() != mac.size() || !crypto::ConstantTimeEqual(mac, d.mac)) {
      return Corrupt("authentication failed; or the key-store secret belongs to another store");
    }
  }
  const crypto::Argon2Params floor = crypto::MinimumArgon2Params();
  if (d.header.argon2.ops_limit < floor.ops_limit || d.header.argon2.mem_limit < floor.mem_limit) {
    return Corrupt("Argon2id parameters below the floor");
  }
  return Status::Ok();
}

Result<crypto::SecretBytes> DeriveKek(std::string_view passphrase, const KeyFileHeader& header,
                                      const crypto::SecretBytes& secret) {
  auto stretched = crypto::Argon2id(passphrase, header.salt, header.argon2, 32);
  if (!stretched.ok()) {
    const Status& s = stretched.status();
    return Status(Domain::kStore, s.code(), "deriving the key-encryption key: " + s.message());
  }
  crypto::SecretBytes kek(32);
  crypto::Hasher h(32, secret.view());
  h.Update(stretched->view()).Final(kek.span());
  Scrub(&h, sizeof h);
  return kek;
}

Result<crypto::SecretBytes> UnwrapMaster(const KeyFileData& d, const crypto::SecretBytes& kek) {
  crypto::SecretBytes master(32);
  std::memcpy(master.data(), d.wrapped_master.data(), 32);
  Status s =
      crypto::XChaChaOpenInPlace(kek.view(), d.master_nonce, master.span(), HeaderAd(d.header),
                                 crypto::ByteView(d.wrapped_master).subspan(32));
  if (!s.ok()) {
    return Status(Domain::kStore, Code::kWrongPassphrase,
                  "wrong passphrase: the store's keys do not open");
  }
  return master;
}

Result<KeyMaterial> UnwrapBundle(const KeyFileData& d, const crypto::SecretBytes& master) {
  const std::size_t n = d.wrapped_bundle.size() - crypto::kAeadTagSize;
  crypto::SecretBytes plain(n == 0 ? 1 : n);
  std::memcpy(plain.data(), d.wrapped_bundle.data(), n);
  Status s =
      crypto::XChaChaOpenInPlace(master.view(), d.bundle_nonce, plain.span().first(n),
                                 HeaderAd(d.header), crypto::ByteView(d.wrapped_bundle).subspan(n));
  if (!s.ok()) return Corrupt("key bundle failed authentication");
  pb::KeyBundle b;
  bool parsed = b.ParseFromArray(plain.data(), static_cast<int>(n));
  plain.Wipe();
  if (!parsed) return Corrupt("key bundle does not parse");
  auto fail = [&](std::string_view why) -> Result<KeyMaterial> {
    ScrubBundle(b);
    return Corrupt(why);
  };
  if (b.database_key().size() != 32 || b.identity_seed().size() != crypto::kSignSeedSize ||
      b.kx_secret().size() != crypto::kDhSize) {
    return fail("bad key size in bundle");
  }
  const std::uint32_t format = b.format() == 0 ? 1 : b.format();
  if (format > kKeyBundleFormat)
    return fail("key bundle of an unknown format (made by a newer version?)");
  if (format >= 2 && (b.seal_secret().size() != crypto::kDhSize ||
                      (!b.enrol_secret().empty() && b.enrol_secret().size() != kEnrolSecretSize))) {
    return fail("bad key size in bundle");
  }
  KeyMaterial m;
  m.bundle_format = format;
  if (format >= 2) {
    m.device.seal = crypto::DhKeyPairFromSecret(View(b.seal_secret()));
    if (!b.enrol_secret().empty())
      m.device.enrol_secret = crypto::SecretBytes::Copy(View(b.enrol_secret()));
  }
  m.database_key = crypto::SecretBytes::Copy(View(b.database_key()));
  m.device.identity = crypto::SignKeyPairFromSeed(View(b.identity_seed()));
  m.device.kx = crypto::DhKeyPairFromSecret(View(b.kx_secret()));
  m.device.name = b.device_name();
  if (b.has_vault()) {
    VaultKeys v;
    v.vault_id.assign(b.vault().vault_id().begin(), b.vault().vault_id().end());
    v.name = b.vault().name();
    for (const auto& e : b.vault().epochs()) {
      if (e.key().size() != 32) return fail("bad vault key size in bundle");
      v.epochs.push_back(VaultKey{e.epoch(), crypto::SecretBytes::Copy(View(e.key()))});
    }
    m.vault = std::move(v);
  }
  ScrubBundle(b);
  return m;
}

void WrapMaster(KeyFileData& d, const crypto::SecretBytes& secret, const crypto::SecretBytes& kek,
                const crypto::SecretBytes& master) {
  if (d.header.format == kKeyFileFormatV1) {
    crypto::Hash mac = HeaderMac(d.header, secret);
    d.header_mac.assign(mac.begin(), mac.end());
  } else {
    d.header_mac.clear();
  }
  d.master_nonce = crypto::RandomBytes(crypto::kXNonceSize);
  d.wrapped_master.assign(master.data(), master.data() + master.size());
  d.wrapped_master.resize(master.size() + crypto::kAeadTagSize);
  std::span<std::uint8_t> all(d.wrapped_master);
  // Sizes are fixed above, so sealing cannot fail.
  (void)crypto::XChaChaSealInPlace(kek.view(), d.master_nonce, all.first(master.size()),
                                   HeaderAd(d.header), all.subspan(master.size()));
}

void WrapBundle(KeyFileData& d, const crypto::SecretBytes& master, const KeyMaterial& m) {
  pb::KeyBundle b;
  b.set_database_key(m.database_key.data(), m.database_key.size());
  b.set_identity_seed(m.device.identity.secret_key.data(), crypto::kSignSeedSize);
  b.set_kx_secret(m.device.kx.secret_key.data(), m.device.kx.secret_key.size());
  b.set_device_name(m.device.name);
  b.set_format(kKeyBundleFormat);
  b.set_seal_secret(m.device.seal.secret_key.data(), m.device.seal.secret_key.size());
  if (m.device.enrol_secret.size() > 0)
    b.set_enrol_secret(m.device.enrol_secret.data(), m.device.enrol_secret.size());
  if (m.vault) {
    auto* v = b.mutable_vault();
    v->set_vault_id(m.vault->vault_id.data(), m.vault->vault_id.size());
    v->set_name(m.vault->name);
    for (const auto& e : m.vault->epochs) {
      auto* pe = v->add_epochs();
      pe->set_epoch(e.epoch);
      pe->set_key(e.key.data(), e.key.size());
    }
  }
  const std::size_t n = b.ByteSizeLong();
  crypto::SecretBytes plain(n == 0 ? 1 : n);
  b.SerializeToArray(plain.data(), static_cast<int>(n));
  ScrubBundle(b);
  d.bundle_nonce = crypto::RandomBytes(crypto::kXNonceSize);
  std::span<std::uint8_t> p = plain.span().first(n);
  crypto::Bytes tag(crypto::kAeadTagSize);
  (void)crypto::XChaChaSealInPlace(master.view(), d.bundle_nonce, p, HeaderAd(d.header), tag);
  d.wrapped_bundle.assign(p.begin(), p.end());
  d.wrapped_bundle.insert(d.wrapped_bundle.end(), tag.begin(), tag.end());
}

}  // namespace parley::store::internal
