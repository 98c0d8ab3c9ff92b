#include "fuzz_support.h"

#include <google/protobuf/stubs/logging.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "parley/core/enrolment.h"
#include "parley/core/replica_sync.h"
#include "parley/invite.pb.h"

namespace parley::fuzz {

void Require(const Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "fuzz fixture: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

void InitOnce() {
  static const bool done = [] {
    Require(crypto::InitCrypto(), "init crypto");
    // Malformed strings in fuzz input make protobuf log each refusal; the refusal itself
    // is what is tested, the log is noise.
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)done;
}

const crypto::Bytes& FixedVault() {
  static const crypto::Bytes v(32, 0x11);
  return v;
}

const crypto::Bytes& FixedEpochKey() {
  static const crypto::Bytes k(crypto::kAeadKeySize, 0x22);
  return k;
}

const crypto::SignKeyPair& FixedAuthor() {
  static const crypto::SignKeyPair kp = crypto::SignKeyPairFromSeed(crypto::Bytes(32, 0x33));
  return kp;
}

Result<pb::Change> SealWithFixedKeys(const pb::ChangeBody& body, std::uint64_t seq,
                                     crypto::ByteView prev) {
  log::SealParams p;
  p.vault = FixedVault();
  p.author = &FixedAuthor();
  p.seq = seq;
  p.prev = prev;
  p.epoch = 1;
  p.epoch_key = FixedEpochKey();
  pb::Change change;
  log::ChangeId id{};
  PARLEY_RETURN_IF_ERROR(log::SealChange(p, body, &change, &id));
  return change;
}

const store::DeviceKeys& FixedJoiner() {
  static const store::DeviceKeys* keys = [] {
    auto* k = new store::DeviceKeys;
    k->identity = crypto::SignKeyPairFromSeed(crypto::Bytes(32, 0x44));
    k->kx = crypto::DhKeyPairFromSecret(crypto::Bytes(32, 0x55));
    k->seal = crypto::DhKeyPairFromSecret(crypto::Bytes(32, 0x66));
    k->enrol_secret = crypto::SecretBytes::Copy(crypto::Bytes(store::kEnrolSecretSize, 0x77));
    k->name = "joiner";
    return k;
  }();
  return *keys;
}

namespace {

std::vector<std::uint8_t> SignAndMac(pb::Invite invite) {
  const crypto::Bytes sig =
      crypto::Sign(FixedAuthor().secret_key, log::InviteSignedMessage(invite.body()));
  invite.set_signature(sig.data(), sig.size());
  const crypto::Hash mac =
      log::InviteMac(FixedJoiner().enrol_secret.view(), invite.body(), invite.signature());
  invite.set_mac(mac.data(), mac.size());
  std::string out;
  invite.SerializeToString(&out);
  return {out.begin(), out.end()};
}

}  // namespace

std::vector<std::uint8_t> FixedInvite() {
  const crypto::SignKeyPair& admin = FixedAuthor();
  const store::DeviceKeys& joiner = FixedJoiner();
  const crypto::Bytes nonce(32, 0x88);
  const crypto::Bytes vault = log::DeriveVaultId(admin.public_key, nonce);
  auto str = [](crypto::ByteView b) { return std::string(b.begin(), b.end()); };
  pb::InviteBody body;
  body.set_vault(str(vault));
  body.set_vault_name("fuzz vault");
  body.set_founder(str(admin.public_key));
  body.set_inviter(str(admin.public_key));
  body.set_recipient(str(joiner.identity.public_key));
  body.set_recipient_seal(str(joiner.seal.public_key));
  body.set_vault_nonce(str(nonce));
  body.set_created_unix_ms(1'700'000'000'000);
  pb::SealedVaultKeys keys;
  pb::EpochKey* k = keys.add_keys();
  k->set_epoch(1);
  k->set_key(str(FixedEpochKey()));
  std::string plain;
  keys.SerializeToString(&plain);
  body.set_sealed_keys(str(crypto::SealTo(joiner.seal.public_key, crypto::AsBytes(plain))));
  // The founder's genesis (adds itself as admin), then its change adding the joiner.
  log::ChangeLink prev{};
  for (std::uint64_t seq = 1; seq <= 2; ++seq) {
    pb::ChangeBody cb;
    cb.set_hlc(seq << 16);
    pb::AddMember* m = cb.add_ops()->mutable_add_member();
    const crypto::SignKeyPair& who = seq == 1 ? admin : joiner.identity;
    const crypto::ByteView seal =
        seq == 1 ? crypto::ByteView(joiner.kx.public_key) : joiner.seal.public_key;
    m->set_identity(str(who.public_key));
    m->set_kx_public(str(joiner.kx.public_key));
    m->set_role(seq == 1 ? "admin" : "member");
    m->set_name(seq == 1 ? "fuzz admin" : "joiner");
    m->set_seal_public(str(seal));
    m->set_seal_certificate(str(log::MakeSealCertificate(who, seal)));
    log::SealParams p;
    p.vault = vault;
    p.author = &admin;
    p.seq = seq;
    p.prev = seq == 1 ? crypto::ByteView() : crypto::ByteView(prev);
    p.epoch = 1;
    p.epoch_key = FixedEpochKey();
    pb::Change* change = body.add_membership();
    log::ChangeId id{};
    Require(log::SealChange(p, cb, change, &id), "sealing an invite's membership change");
    prev = log::ChangeLinkOf(id, change->signature());
  }
  pb::Invite invite;
  body.SerializeToString(invite.mutable_body());
  return SignAndMac(std::move(invite));
}

std::vector<std::uint8_t> ResignInvite(const std::vector<std::uint8_t>& bytes) {
  pb::Invite invite;
  if (!invite.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return bytes;
  return SignAndMac(std::move(invite));
}

MemoryReplica NewMemoryReplica() {
  MemoryReplica m;
  m.clock = std::make_unique<FakeClock>();
  m.store = RequireValue(store::Store::CreateInMemoryForTesting("fuzz"), "in-memory store");
  m.replica = RequireValue(log::Replica::Open(*m.store, *m.clock), "open replica");
  Require(m.replica->CreateVault("fuzz"), "create vault");
  std::vector<pb::Change> all = RequireValue(m.replica->ChangesSince({}), "changes");
  if (all.empty()) Require(Status(Domain::kLog, Code::kInternal, "no genesis change"), "genesis");
  const auto& vault = m.store->vault();
  if (!vault) Require(Status(Domain::kLog, Code::kInternal, "no vault keys"), "vault");
  const log::ChangeId genesis_id =
      RequireValue(log::CheckChange(all.front(), crypto::ByteView(vault->vault_id)),
                   "check genesis")
          .id;
  m.genesis = log::ChangeLinkOf(genesis_id, all.front().signature());
  return m;
}

void ReadEverything(log::Replica& replica) {
  auto records = replica.List("", /*include_deleted=*/true);
  if (records.ok()) {
    for (const log::Record& r : *records) {
      (void)replica.Get(r.id);
      (void)replica.History(r.id);
      for (const log::Field& f : r.fields) (void)f.newest();
      (void)replica.ResolvePrefix(log::ToString(r.id).substr(0, 6));
    }
  }
  (void)replica.Conflicts();
  (void)replica.Known();
  (void)replica.ChangesSince({});
  (void)replica.ChangeCount();
}

void WriteFileOrDie(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out)
    Require(Status(Domain::kPlatform, Code::kIoError, "cannot write " + path), "write file");
}

std::vector<std::uint8_t> ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>());
}

}  // namespace parley::fuzz
