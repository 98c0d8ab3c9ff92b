// Writes the seed corpora of the fuzz targets: fuzz_seed_gen DIR writes DIR/<target>/<name>.
// Seeds are small valid inputs (and a few near misses) that start each fuzzer deep in the
// code it exercises; they depend only on the fixed keys of fuzz_support.h.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "parley/invite.pb.h"
#include "parley/sync/auth.h"
#include "parley/sync/noise.h"
#include "parley/sync/session.h"
#include "relay_fixture.h"
#include "wire_support.h"

namespace parley::fuzz {
namespace {

void Put(const std::string& dir, const std::string& target, const std::string& name,
         const Blob& bytes) {
  std::filesystem::create_directories(dir + "/" + target);
  WriteFileOrDie(dir + "/" + target + "/" + name, bytes);
}

Blob Prefixed(std::uint8_t first, const std::string& bytes) {
  Blob b{first};
  b.insert(b.end(), bytes.begin(), bytes.end());
  return b;
}

std::string RecordId(std::uint8_t fill) { return std::string(16, static_cast<char>(fill)); }

std::vector<pb::ChangeBody> SampleBodies() {
  std::vector<pb::ChangeBody> bodies;
  {
    pb::ChangeBody b;  // create a record and set two fields
    b.set_hlc(1'750'000'000'000ULL << 16);
    b.set_device_name("field phone");
    pb::Op* create = b.add_ops();
    create->set_record(RecordId(1));
    create->mutable_create()->set_type("note");
    pb::Op* set = b.add_ops();
    set->set_record(RecordId(1));
    set->mutable_set()->set_field("text");
    set->mutable_set()->set_value("session notes");
    pb::Op* set2 = b.add_ops();
    set2->set_record(RecordId(1));
    set2->mutable_set()->set_field("author");
    set2->mutable_set()->set_value("organizer");
    bodies.push_back(b);
  }
  {
    pb::ChangeBody b;  // supersede an earlier op of another author, then delete
    b.set_hlc((1'750'000'000'000ULL << 16) + 5);
    b.add_authors(std::string(32, '\x44'));
    pb::SeenHead* seen = b.add_seen();  // what the author had seen of that device
    seen->set_author(1);
    seen->set_seq(3);
    pb::Op* set = b.add_ops();
    set->set_record(RecordId(1));
    set->mutable_set()->set_field("text");
    set->mutable_set()->set_value("revised");
    pb::OpId* sup = set->mutable_set()->add_supersedes();
    sup->set_author(1);
    sup->set_seq(1);
    sup->set_index(1);
    pb::Op* del = b.add_ops();
    del->set_record(RecordId(2));
    pb::OpId* dsup = del->mutable_remove()->add_supersedes();
    dsup->set_author(0);
    dsup->set_seq(1);
    dsup->set_index(0);
    bodies.push_back(b);
  }
  {
    pb::ChangeBody b;  // membership
    b.set_hlc((1'750'000'000'000ULL << 16) + 9);
    pb::Op* add = b.add_ops();
    add->mutable_add_member()->set_identity(std::string(32, '\x55'));
    add->mutable_add_member()->set_kx_public(std::string(32, '\x66'));
    add->mutable_add_member()->set_role("member");
    add->mutable_add_member()->set_name("second phone");
    add->mutable_add_member()->add_epochs(0);
    bodies.push_back(b);
  }
  {
    pb::ChangeBody b;  // roles, a revocation and a new epoch (docs/membership.md)
    b.set_hlc((1'750'000'000'000ULL << 16) + 12);
    pb::Op* role = b.add_ops();
    role->mutable_set_role()->set_identity(std::string(32, '\x55'));
    role->mutable_set_role()->set_role("admin");
    pb::Op* revoke = b.add_ops();
    revoke->mutable_revoke_member()->set_identity(std::string(32, '\x77'));
    revoke->mutable_revoke_member()->set_after_seq(3);
    pb::Op* epoch = b.add_ops();
    epoch->mutable_new_epoch()->set_epoch(0x5eed);
    pb::EpochKeyFor* k = epoch->mutable_new_epoch()->add_keys();
    k->set_recipient(std::string(32, '\x55'));
    k->set_sealed(std::string(120, '\x01'));
    epoch->mutable_new_epoch()->add_epochs(0);
    bodies.push_back(b);
  }
  return bodies;
}

void ChangeDecodeSeeds(const std::string& dir) {
  int n = 0;
  std::string prev;
  std::uint64_t seq = 1;
  for (const pb::ChangeBody& body : SampleBodies()) {
    auto change = RequireValue(SealWithFixedKeys(body, seq, crypto::AsBytes(prev)), "seal seed");
    auto checked = RequireValue(log::CheckChange(change, FixedVault()), "check seed");
    const log::ChangeLink link = log::ChangeLinkOf(checked.id, change.signature());
    prev.assign(reinterpret_cast<const char*>(link.data()), link.size());
    ++seq;
    Put(dir, "fuzz_change_decode", "change-" + std::to_string(n),
        Prefixed(0, change.SerializeAsString()));
    Put(dir, "fuzz_change_decode", "body-" + std::to_string(n),
        Prefixed(1, body.SerializeAsString()));
    ++n;
  }
  Put(dir, "fuzz_change_decode", "empty-change", Blob{0});
  Put(dir, "fuzz_change_decode", "empty-body", Blob{1});
}

void StoreOpenSeeds(const std::string& dir) {
  // flags byte, then 5-byte edits: kind, offset (24-bit LE), value.
  Put(dir, "fuzz_store_open", "intact-fast", Blob{0});
  Put(dir, "fuzz_store_open", "intact-full", Blob{31});
  Put(dir, "fuzz_store_open", "flip-db-page1", Blob{0, 0, 0x10, 0x10, 0x00, 0x01});
  Put(dir, "fuzz_store_open", "flip-db-header", Blob{0, 0, 0x05, 0x00, 0x00, 0x80});
  Put(dir, "fuzz_store_open", "flip-wal-frame", Blob{0, 1, 0x40, 0x00, 0x00, 0x04});
  Put(dir, "fuzz_store_open", "flip-wal-header", Blob{0, 1, 0x08, 0x00, 0x00, 0x01});
  Put(dir, "fuzz_store_open", "truncate-wal-mid", Blob{0, 5, 0x00, 0x30, 0x00, 0x00});
  Put(dir, "fuzz_store_open", "truncate-db-page", Blob{0, 4, 0x00, 0x10, 0x00, 0x00});
  Put(dir, "fuzz_store_open", "swap-db-pages", Blob{0, 8, 0x01, 0x02, 0x00, 0x00});
  Put(dir, "fuzz_store_open", "swap-wal-frames", Blob{0, 9, 0x00, 0x01, 0x00, 0x00});
  Put(dir, "fuzz_store_open", "grow-db", Blob{0, 6, 0x00, 0x00, 0x00, 0x40});
  Put(dir, "fuzz_store_open", "flip-full", Blob{31, 0, 0x10, 0x20, 0x00, 0x01});
}

void BundleImportSeeds(const std::string& dir) {
  // odd first byte: edits on the valid bundle; even: the whole file.
  Put(dir, "fuzz_bundle_import", "intact", Blob{1});
  Put(dir, "fuzz_bundle_import", "flip-header", Blob{1, 0, 0x0a, 0x00, 0x00, 0x01});
  Put(dir, "fuzz_bundle_import", "flip-payload", Blob{1, 0, 0xa0, 0x00, 0x00, 0x40});
  Put(dir, "fuzz_bundle_import", "truncate", Blob{1, 2, 0x80, 0x00, 0x00, 0x00});
  Put(dir, "fuzz_bundle_import", "append", Blob{1, 3, 0x00, 0x00, 0x00, 0x10});
  Put(dir, "fuzz_bundle_import", "splice", Blob{1, 4, 0x10, 0x00, 0x00, 0x90});
  Put(dir, "fuzz_bundle_import", "raw-empty", Blob{0});
  Put(dir, "fuzz_bundle_import", "raw-text", Prefixed(0, "not a bundle at all"));
}

Blob Records(std::uint8_t first, const std::vector<Blob>& records) {
  Blob b{first};
  for (const Blob& r : records) AppendRecord(b, r);
  return b;
}

Blob ToBlob(const std::string& s) { return Blob(s.begin(), s.end()); }
Blob FrameBytes(const pb::Frame& f) { return ToBlob(f.SerializeAsString()); }
std::string Str(const crypto::Bytes& b) { return std::string(b.begin(), b.end()); }

void FrameLengthSeeds(const std::string& dir) {
  // cap (2 bytes: 1 + value % 65535), piece-size seed, then the stream.
  auto stream = [](std::uint8_t cap_hi, std::uint8_t cap_lo, std::uint8_t pieces,
                   const std::vector<Blob>& msgs) {
    Blob b{cap_hi, cap_lo, pieces};
    for (const Blob& m : msgs) AppendRecord(b, m);
    return b;
  };
  pb::Frame ping;
  ping.set_id(7);
  ping.mutable_ping()->set_nonce(42);
  pb::Frame pull;
  pull.set_id(8);
  pull.mutable_pull()->set_vault(Str(FixedVault()));
  pull.mutable_pull()->set_after_seq(3);
  pb::Frame push;
  push.set_id(9);
  push.mutable_push()->set_vault(Str(FixedVault()));
  *push.mutable_push()->add_changes() = FixtureChanges()[0];
  Put(dir, "fuzz_frame_length", "frames-max-cap",
      stream(0xff, 0xfe, 0, {FrameBytes(ping), FrameBytes(pull), FrameBytes(push)}));
  Put(dir, "fuzz_frame_length", "frames-whole",
      stream(0xff, 0xfe, 0x80, {FrameBytes(ping), FrameBytes(push)}));
  Put(dir, "fuzz_frame_length", "over-cap", stream(0x00, 0x63, 3, {Blob(50, 1), Blob(101, 2)}));
  Put(dir, "fuzz_frame_length", "at-cap", stream(0x00, 0x63, 5, {Blob(100, 3), Blob(1, 4)}));
  Blob zero = stream(0xff, 0xfe, 1, {FrameBytes(ping)});
  zero.insert(zero.end(), {0x00, 0x00, 0x01});
  Put(dir, "fuzz_frame_length", "zero-length", zero);
  Blob cut = stream(0xff, 0xfe, 2, {FrameBytes(pull)});
  cut.insert(cut.end(), {0x01, 0x00, 0xaa, 0xbb});
  Put(dir, "fuzz_frame_length", "incomplete", cut);
  Put(dir, "fuzz_frame_length", "lone-byte", Blob{0xff, 0xfe, 0, 0x05});
  Put(dir, "fuzz_frame_length", "empty-stream", Blob{0xff, 0xfe, 0});
  Put(dir, "fuzz_frame_length", "garbage-frame",
      stream(0xff, 0xfe, 9, {ToBlob("\xff\xff\xff not a frame")}));
}

// A complete session with the fuzz target's responder, as its initiator sees it.
struct SeedSession {
  Blob m1, m3;
  crypto::Bytes hash;
  noise::CipherState to_relay;
};

SeedSession RunSeedHandshake() {
  auto initiator = RequireValue(noise::HandshakeState::Create(FixedInitiatorConfig()), "initiator");
  SeedSession out;
  out.m1 = RequireValue(initiator.WriteMessage({}), "message 1");
  // Exactly what the target does for each input: reset, then a new responder.
  ResetDeterministicRandom();
  auto responder = RequireValue(wire::NoiseSession::Responder(FixedRelayKey()), "responder");
  Require(responder.ReadHandshake(out.m1), "responder reads message 1");
  const crypto::Bytes m2 = RequireValue(responder.WriteHandshake(), "message 2");
  (void)RequireValue(initiator.ReadMessage(m2), "read message 2");
  out.m3 = RequireValue(initiator.WriteMessage({}), "message 3");
  Require(responder.ReadHandshake(out.m3), "responder reads message 3");
  out.hash = initiator.handshake_hash();
  out.to_relay = std::move(initiator.Split().first);
  return out;
}

pb::Frame AuthenticateFrame(const crypto::Bytes& hash) {
  const FixedDevice& d = FixedAdminDevice();
  pb::Frame f;
  f.set_id(1);
  *f.mutable_authenticate() = wire::MakeAuthenticate(
      d.identity, wire::MakeKxCertificate(d.identity, d.kx.public_key), hash);
  return f;
}

void HandshakeSeeds(const std::string& dir) {
  const std::string t = "fuzz_handshake_responder";
  SeedSession s = RunSeedHandshake();
  pb::Frame auth = AuthenticateFrame(s.hash);
  pb::Frame ping;
  ping.set_id(2);
  ping.mutable_ping()->set_nonce(5);
  pb::Frame bad_auth = auth;
  bad_auth.mutable_authenticate()->mutable_signature()->at(0) ^= 1;
  const Blob not_a_frame = ToBlob("\xff\xff\xff not a frame");
  auto seal = [&](const Blob& plain) {
    return RequireValue(s.to_relay.Encrypt({}, plain), "seal");
  };
  // Raw mode (even): message 1, message 3, transport messages.
  const Blob sealed_auth = seal(FrameBytes(auth));
  const Blob sealed_ping = seal(FrameBytes(ping));
  const Blob sealed_junk = seal(not_a_frame);
  const Blob sealed_ping2 = seal(FrameBytes(ping));
  Put(dir, t, "raw-session",
      Records(0, {s.m1, s.m3, sealed_auth, sealed_ping, sealed_junk, sealed_ping2}));
  Blob broken = sealed_ping2;
  broken.back() ^= 0x01;
  Put(dir, t, "raw-bad-transport", Records(0, {s.m1, s.m3, sealed_auth, broken, sealed_ping}));
  Put(dir, t, "raw-message1", Records(0, {s.m1}));
  Blob bad_m3 = s.m3;
  bad_m3[5] ^= 0x20;
  Put(dir, t, "raw-bad-message3", Records(0, {s.m1, bad_m3}));
  Put(dir, t, "raw-short-message3", Records(0, {s.m1, Blob(s.m3.begin(), s.m3.begin() + 40)}));
  Blob bad_m1 = s.m1;
  bad_m1[40] ^= 0x01;
  Put(dir, t, "raw-bad-message1", Records(0, {bad_m1, s.m3}));
  Put(dir, t, "raw-long-message1", Records(0, {Blob(200, 0x41)}));
  Put(dir, t, "raw-empty", Blob{0});
  // Sealed mode (odd): frame plaintexts behind a valid handshake (same hash as above).
  Put(dir, t, "sealed-authenticate", Records(1, {FrameBytes(auth), FrameBytes(ping)}));
  Put(dir, t, "sealed-bad-authenticate", Records(1, {FrameBytes(bad_auth)}));
  Put(dir, t, "sealed-junk", Records(1, {not_a_frame, Blob{}, FrameBytes(ping)}));
}

void RelayFramesSeeds(const std::string& dir) {
  const std::string t = "fuzz_relay_frames";
  const std::string vault = Str(FixedVault());
  const auto& changes = FixtureChanges();
  std::uint64_t next_id = 10;
  auto frame = [&](auto fill) {
    pb::Frame f;
    f.set_id(next_id++);
    fill(f);
    return FrameBytes(f);
  };
  auto push = [&](std::vector<pb::Change> cs, const std::string& v) {
    return frame([&](pb::Frame& f) {
      f.mutable_push()->set_vault(v);
      for (auto& c : cs) *f.mutable_push()->add_changes() = c;
    });
  };
  auto pull = [&](std::uint64_t after, std::uint32_t max_bytes, const std::string& v) {
    return frame([&](pb::Frame& f) {
      f.mutable_pull()->set_vault(v);
      f.mutable_pull()->set_after_seq(after);
      f.mutable_pull()->set_max_bytes(max_bytes);
    });
  };
  const Blob ping = frame([](pb::Frame& f) { f.mutable_ping()->set_nonce(1); });
  const Blob subscribe = frame([&](pb::Frame& f) { f.mutable_subscribe()->set_vault(vault); });
  const Blob put_env = frame([&](pb::Frame& f) {
    f.mutable_put_envelope()->set_vault(vault);
    f.mutable_put_envelope()->set_recipient(Str(FixedMemberDevice().identity.public_key));
    f.mutable_put_envelope()->set_sealed("sealed vault keys");
  });
  const Blob get_env = frame([&](pb::Frame& f) { f.mutable_get_envelopes()->set_vault(vault); });
  const crypto::Bytes id0 = RequireValue(RelayChangeId(changes[0], FixedVault()), "id");
  const Blob purge = frame([&](pb::Frame& f) {
    f.mutable_purge()->set_vault(vault);
    f.mutable_purge()->add_change_ids(Str(id0));
  });
  pb::Change forged = changes[2];
  forged.mutable_signature()->at(3) ^= 1;

  pb::MembershipList list;
  list.set_vault(vault);
  list.set_version(2);
  auto* a = list.add_members();
  a->set_identity(Str(FixedAdminDevice().identity.public_key));
  a->set_role("admin");
  const Blob set_members = frame([&](pb::Frame& f) {
    *f.mutable_set_membership() = wire::MakeSetMembership(list, FixedAdminDevice().identity);
  });
  // Version 2 again, revoking the member device (MembershipList.revoked).
  pb::MembershipList revoking = list;
  revoking.add_revoked(Str(FixedMemberDevice().identity.public_key));
  const Blob set_revoking = frame([&](pb::Frame& f) {
    *f.mutable_set_membership() = wire::MakeSetMembership(revoking, FixedAdminDevice().identity);
  });
  // Version 3 dropping that revocation (ERROR_REVOCATION_DROPPED after set_revoking).
  pb::MembershipList unrevoking = list;
  unrevoking.set_version(3);
  const Blob set_unrevoking = frame([&](pb::Frame& f) {
    *f.mutable_set_membership() = wire::MakeSetMembership(unrevoking, FixedAdminDevice().identity);
  });
  const Blob register_vault = frame([&](pb::Frame& f) {
    *f.mutable_register_vault() = wire::MakeRegisterVault(FixedAdminDevice().identity);
  });
  const Blob authenticate = frame([&](pb::Frame& f) {
    *f.mutable_authenticate() =
        wire::MakeAuthenticate(FixedAdminDevice().identity, {}, crypto::Bytes(64, 0));
  });
  const Blob welcome = frame([](pb::Frame& f) { f.mutable_welcome()->set_protocol_version(1); });

  Put(dir, t, "ping", Records(0, {ping}));
  Put(dir, t, "pull", Records(0, {pull(0, 0, vault), pull(1, 10, vault)}));
  Put(dir, t, "push-extend",
      Records(0, {push({changes[2], changes[3]}, vault), pull(2, 0, vault)}));
  Put(dir, t, "push-again", Records(0, {push({changes[0], changes[1]}, vault)}));
  Put(dir, t, "push-broken-chain", Records(0, {push({changes[3]}, vault)}));
  Put(dir, t, "push-forged", Records(0, {push({forged}, vault)}));
  Put(dir, t, "push-wrong-vault", Records(0, {push({changes[2]}, std::string(32, '\x12'))}));
  Put(dir, t, "subscribe-push", Records(0, {subscribe, push({changes[2]}, vault), ping}));
  Put(dir, t, "envelopes", Records(0, {put_env, put_env, get_env}));
  Put(dir, t, "member-envelopes", Records(1, {get_env, put_env, purge}));
  Put(dir, t, "member-push", Records(1, {push({changes[2]}, vault), pull(0, 0, vault)}));
  Put(dir, t, "purge", Records(0, {purge, pull(0, 0, vault), push({changes[0]}, vault)}));
  Put(dir, t, "membership", Records(0, {set_members, set_members, pull(0, 0, vault)}));
  Put(dir, t, "membership-revoke",
      Records(0, {set_revoking, set_unrevoking, push({changes[2]}, vault), pull(0, 0, vault)}));
  Put(dir, t, "register", Records(0, {register_vault, register_vault}));
  Put(dir, t, "unexpected-types",
      Records(0, {authenticate, welcome, Blob{}, ToBlob("\xff\xff\xff not a frame")}));
  Put(dir, t, "bad-vaults",
      Records(0, {pull(0, 0, std::string(31, '\x11')), pull(0, 0, std::string(32, '\x13'))}));
}

// fuzz_invite: the fixed valid invite in both modes, and near misses (no MAC, another
// recipient, a membership change dropped, a body that does not parse).
void InviteSeeds(const std::string& dir) {
  const std::string t = "fuzz_invite";
  const Blob valid = FixedInvite();
  const std::string valid_str(valid.begin(), valid.end());
  Put(dir, t, "valid", Prefixed(0, valid_str));
  Put(dir, t, "valid-resigned", Prefixed(1, valid_str));
  pb::Invite invite;
  if (!invite.ParseFromString(valid_str)) std::abort();
  pb::InviteBody body;
  if (!body.ParseFromString(invite.body())) std::abort();
  auto with_body = [&](const pb::InviteBody& b) {
    pb::Invite i = invite;
    b.SerializeToString(i.mutable_body());
    return i.SerializeAsString();
  };
  pb::Invite bare = invite;
  bare.clear_mac();
  Put(dir, t, "no-mac", Prefixed(0, bare.SerializeAsString()));
  pb::InviteBody other = body;
  other.set_recipient(std::string(32, '\x12'));
  Put(dir, t, "other-recipient", Prefixed(1, with_body(other)));
  pb::InviteBody cut = body;
  cut.mutable_membership()->RemoveLast();
  Put(dir, t, "membership-cut", Prefixed(1, with_body(cut)));
  pb::InviteBody derived = body;
  derived.set_vault_nonce(std::string(32, '\x13'));
  Put(dir, t, "nonce-swapped", Prefixed(1, with_body(derived)));
  Put(dir, t, "garbage-body", Prefixed(1, [&] {
        pb::Invite i = invite;
        i.set_body("\xff\xff\xff");
        return i.SerializeAsString();
      }()));
}

}  // namespace
}  // namespace parley::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seed_gen CORPUS_DIR\n");
    return 2;
  }
  // Deterministic randomness: the handshake seeds must meet the responder the target makes,
  // and every seed comes out the same on every run.
  parley::fuzz::UseDeterministicRandom();
  parley::fuzz::InitOnce();
  const std::string dir = argv[1];
  parley::fuzz::ChangeDecodeSeeds(dir);
  parley::fuzz::StoreOpenSeeds(dir);
  parley::fuzz::BundleImportSeeds(dir);
  parley::fuzz::FrameLengthSeeds(dir);
  parley::fuzz::HandshakeSeeds(dir);
  parley::fuzz::RelayFramesSeeds(dir);
  parley::fuzz::InviteSeeds(dir);
  return 0;
}
