#include "parley/core/crypto.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

namespace parley::crypto {
namespace {

Status Err(Code code, std::string msg) { return Status(Domain::kCrypto, code, std::move(msg)); }

// libsodium declares some buffer arguments nonnull even when their length is zero, and an
// empty span or string_view may have no buffer at all. Zero bytes are read or written.
std::uint8_t g_no_bytes[1];
std::uint8_t* OrNoBytes(std::uint8_t* p) { return p != nullptr ? p : g_no_bytes; }
const char* OrNoChars(const char* p) { return p != nullptr ? p : ""; }

}  // namespace

void Zero(void* data, std::size_t size) noexcept {
  if (size > 0) sodium_memzero(data, size);
}

Status InitCrypto() {
  if (sodium_init() < 0) return Err(Code::kInternal, "libsodium failed to initialise");
  return Status::Ok();
}

// ---- SecretBytes ----

SecretBytes::SecretBytes(std::size_t size) : size_(size) {
  if (size == 0) return;
  data_ = static_cast<std::uint8_t*>(sodium_malloc(size));
  if (data_ == nullptr) std::abort();  // out of memory for keys: nothing sane to do
  // sodium_malloc already mlock()s where it can; a failure to lock is not fatal.
  sodium_memzero(data_, size);
}

SecretBytes SecretBytes::Copy(ByteView bytes) {
  SecretBytes s(bytes.size());
  if (!bytes.empty()) std::memcpy(s.data_, bytes.data(), bytes.size());
  return s;
}

SecretBytes SecretBytes::Random(std::size_t size) {
  SecretBytes s(size);
  if (size) randombytes_buf(s.data_, size);
  return s;
}

SecretBytes::~SecretBytes() { Wipe(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

void SecretBytes::Wipe() {
  if (data_ != nullptr) sodium_free(data_);  // zeroes and munlocks
  data_ = nullptr;
  size_ = 0;
}

// ---- Utilities ----

void RandomBytes(std::span<std::uint8_t> out) {
  if (!out.empty()) randombytes_buf(out.data(), out.size());
}

Bytes RandomBytes(std::size_t n) {
  Bytes b(n);
  RandomBytes(b);
  return b;
}

bool ConstantTimeEqual(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string ToHex(ByteView bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
  out.pop_back();
  return out;
}

Result<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return Err(Code::kInvalidArgument, "hex string has odd length");
  // An empty vector has no buffer, and sodium_hex2bin requires one.
  if (hex.empty()) return Bytes{};
  Bytes out(hex.size() / 2);
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
      len != out.size() || end != hex.data() + hex.size()) {
    return Err(Code::kInvalidArgument, "not a hex string");
  }
  return out;
}

// ---- BLAKE2b ----

Hash Blake2b256(ByteView data, ByteView key) {
  Hash h{};
  crypto_generichash(h.data(), h.size(), data.data(), data.size(),
                     key.empty() ? nullptr : key.data(), key.size());
  return h;
}

static_assert(sizeof(crypto_generichash_state) <= 384, "Hasher state buffer too small");

Hasher::Hasher(std::size_t out_len, ByteView key) : out_len_(out_len) {
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(state_),
                          key.empty() ? nullptr : key.data(), key.size(), out_len);
}

Hasher& Hasher::Update(ByteView data) {
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(state_), data.data(),
                            data.size());
  return *this;
}

Hasher& Hasher::UpdateU64(std::uint64_t v) {
  std::uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * i));
  return Update(ByteView(b, 8));
}

void Hasher::Final(std::span<std::uint8_t> out) {
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(state_), out.data(),
                           out_len_ <= out.size() ? out_len_ : out.size());
}

Hash Hasher::Final256() {
  Hash h{};
  Final(h);
  return h;
}

// ---- XChaCha20-Poly1305 ----

namespace {
bool XSizesOk(ByteView key, ByteView nonce) {
  return key.size() == kAeadKeySize && nonce.size() == kXNonceSize;
}
}  // namespace

Bytes XChaChaSeal(ByteView key, ByteView nonce, ByteView plaintext, ByteView ad) {
  if (!XSizesOk(key, nonce)) std::abort();  // programming error
  Bytes out(plaintext.size() + kAeadTagSize);
  unsigned long long out_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &out_len, plaintext.data(),
                                             plaintext.size(), ad.data(), ad.size(), nullptr,
                                             nonce.data(), key.data());
  out.resize(out_len);
  return out;
}

Result<Bytes> XChaChaOpen(ByteView key, ByteView nonce, ByteView ct, ByteView ad) {
  if (!XSizesOk(key, nonce))
    return Err(Code::kInvalidArgument, "bad XChaCha20-Poly1305 key or nonce size");
  if (ct.size() < kAeadTagSize) return Err(Code::kCorrupt, "ciphertext shorter than its tag");
  Bytes out(ct.size() - kAeadTagSize);
  unsigned long long out_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &out_len, nullptr, ct.data(),
                                                 ct.size(), ad.data(), ad.size(), nonce.data(),
                                                 key.data()) != 0) {
    return Err(Code::kCorrupt, "authentication failed");
  }
  out.resize(out_len);
  return out;
}

Status XChaChaSealInPlace(ByteView key, ByteView nonce, std::span<std::uint8_t> buf, ByteView ad,
                          std::span<std::uint8_t> tag) {
  if (!XSizesOk(key, nonce) || tag.size() != kAeadTagSize)
    return Err(Code::kInvalidArgument, "bad XChaCha20-Poly1305 key, nonce or tag size");
  std::uint8_t* const data = OrNoBytes(buf.data());
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(data, tag.data(), nullptr, data, buf.size(),
                                                      ad.data(), ad.size(), nullptr, nonce.data(),
                                                      key.data());
  return Status::Ok();
}

Status XChaChaOpenInPlace(ByteView key, ByteView nonce, std::span<std::uint8_t> buf, ByteView ad,
                          ByteView tag) {
  if (!XSizesOk(key, nonce) || tag.size() != kAeadTagSize)
    return Err(Code::kInvalidArgument, "bad XChaCha20-Poly1305 key, nonce or tag size");
  std::uint8_t* const data = OrNoBytes(buf.data());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(data, nullptr, data, buf.size(),
                                                          tag.data(), ad.data(), ad.size(),
                                                          nonce.data(), key.data()) != 0) {
    return Err(Code::kCorrupt, "authentication failed");
  }
  return Status::Ok();
}

// ---- ChaCha20-Poly1305 (IETF) ----

Bytes ChaChaSeal(ByteView key, ByteView nonce, ByteView plaintext, ByteView ad) {
  if (key.size() != kAeadKeySize || nonce.size() != kChaChaNonceSize) std::abort();
  Bytes out(plaintext.size() + kAeadTagSize);
  unsigned long long out_len = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &out_len, plaintext.data(),
                                            plaintext.size(), ad.data(), ad.size(), nullptr,
                                            nonce.data(), key.data());
  out.resize(out_len);
  return out;
}

Result<Bytes> ChaChaOpen(ByteView key, ByteView nonce, ByteView ct, ByteView ad) {
  if (key.size() != kAeadKeySize || nonce.size() != kChaChaNonceSize)
    return Err(Code::kInvalidArgument, "bad ChaCha20-Poly1305 key or nonce size");
  if (ct.size() < kAeadTagSize) return Err(Code::kCorrupt, "ciphertext shorter than its tag");
  Bytes out(ct.size() - kAeadTagSize);
  unsigned long long out_len = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &out_len, nullptr, ct.data(), ct.size(),
                                                ad.data(), ad.size(), nonce.data(),
                                                key.data()) != 0) {
    return Err(Code::kCorrupt, "authentication failed");
  }
  out.resize(out_len);
  return out;
}

// ---- Ed25519 ----

SignKeyPair SignKeyPairFromSeed(ByteView seed) {
  if (seed.size() != kSignSeedSize) std::abort();
  SignKeyPair kp{Bytes(kSignPublicKeySize), SecretBytes(kSignSecretKeySize)};
  crypto_sign_seed_keypair(kp.public_key.data(), kp.secret_key.data(), seed.data());
  return kp;
}

SignKeyPair NewSignKeyPair() {
  SecretBytes seed = SecretBytes::Random(kSignSeedSize);
  return SignKeyPairFromSeed(seed.view());
}

Bytes Sign(const SecretBytes& sk, ByteView message) {
  if (sk.size() != kSignSecretKeySize) std::abort();
  Bytes sig(kSignatureSize);
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk.data());
  return sig;
}

Status Verify(ByteView pk, ByteView message, ByteView sig) {
  if (pk.size() != kSignPublicKeySize || sig.size() != kSignatureSize)
    return Err(Code::kCorrupt, "malformed signature or public key");
  if (crypto_sign_verify_detached(sig.data(), message.data(), message.size(), pk.data()) != 0)
    return Err(Code::kCorrupt, "signature does not verify");
  return Status::Ok();
}

// ---- X25519 ----

DhKeyPair DhKeyPairFromSecret(ByteView secret) {
  if (secret.size() != kDhSize) std::abort();
  DhKeyPair kp{Bytes(kDhSize), SecretBytes::Copy(secret)};
  crypto_scalarmult_base(kp.public_key.data(), kp.secret_key.data());
  return kp;
}

DhKeyPair NewDhKeyPair() {
  SecretBytes s = SecretBytes::Random(kDhSize);
  return DhKeyPairFromSecret(s.view());
}

Result<SecretBytes> Dh(const SecretBytes& secret, ByteView pk) {
  if (secret.size() != kDhSize || pk.size() != kDhSize)
    return Err(Code::kInvalidArgument, "X25519 keys are 32 bytes");
  SecretBytes out(kDhSize);
  if (crypto_scalarmult(out.data(), secret.data(), pk.data()) != 0)
    return Err(Code::kCorrupt, "X25519 with a low-order public key");
  return out;
}

// ---- Sealed boxes ----

Bytes SealTo(ByteView recipient_public, ByteView plaintext) {
  if (recipient_public.size() != crypto_box_PUBLICKEYBYTES) std::abort();
  Bytes out(plaintext.size() + crypto_box_SEALBYTES);
  crypto_box_seal(out.data(), plaintext.data(), plaintext.size(), recipient_public.data());
  return out;
}

Result<Bytes> OpenSealed(const DhKeyPair& recipient, ByteView sealed) {
  if (recipient.public_key.size() != crypto_box_PUBLICKEYBYTES ||
      recipient.secret_key.size() != crypto_box_SECRETKEYBYTES) {
    return Err(Code::kInvalidArgument, "sealed box recipient keys are not X25519 keys");
  }
  if (sealed.size() < crypto_box_SEALBYTES) return Err(Code::kCorrupt, "sealed box too short");
  Bytes out(sealed.size() - crypto_box_SEALBYTES);
  if (crypto_box_seal_open(out.data(), sealed.data(), sealed.size(), recipient.public_key.data(),
                           recipient.secret_key.data()) != 0) {
    return Err(Code::kCorrupt, "sealed box does not open");
  }
  return out;
}

// ---- Argon2id ----

Argon2Params DefaultArgon2Params() {
  // 3 passes over 256 MiB: about half a second on one modern core.
  return Argon2Params{3, 256ull << 20};
}

Argon2Params MinimumArgon2Params() {
  // OWASP's floor for Argon2id: 2 passes over 19 MiB (tests and phones may go this low).
  return Argon2Params{2, 19ull << 20};
}

Result<SecretBytes> Argon2id(std::string_view passphrase, ByteView salt, const Argon2Params& params,
                             std::size_t out_len) {
  const Argon2Params floor = MinimumArgon2Params();
  if (params.ops_limit < floor.ops_limit || params.mem_limit < floor.mem_limit)
    return Err(Code::kInvalidArgument, "Argon2id parameters below the floor");
  if (salt.size() != crypto_pwhash_SALTBYTES)
    return Err(Code::kInvalidArgument, "Argon2id salt must be 16 bytes");
  SecretBytes out(out_len);
  if (crypto_pwhash(out.data(), out.size(), OrNoChars(passphrase.data()), passphrase.size(),
                    salt.data(), params.ops_limit, static_cast<size_t>(params.mem_limit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Err(Code::kInternal, "Argon2id ran out of memory");
  }
  return out;
}

SecretBytes DeriveKey(const SecretBytes& master, std::uint64_t subkey_id, std::string_view context,
                      std::size_t out_len) {
  if (context.size() != crypto_kdf_CONTEXTBYTES || master.size() != crypto_kdf_KEYBYTES)
    std::abort();
  SecretBytes out(out_len);
  crypto_kdf_derive_from_key(out.data(), out.size(), subkey_id, context.data(), master.data());
  return out;
}

}  // namespace parley::crypto
