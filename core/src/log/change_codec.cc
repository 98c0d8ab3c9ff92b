#include "log/change_codec.h"

#include <cstring>
#include <string>

#include "log/body_padding.h"
#include "log/hlc.h"
#include "log/record_identity.h"
#include "log/tuning.h"

namespace parley::log {
namespace {

constexpr std::string_view kIdLabel = "parley/change-id/v1";
constexpr std::string_view kSignLabel = "parley/change/v1";
constexpr std::string_view kLinkLabel = "parley/change-link/v1";

Status Corrupt(std::string msg) {
  return Error(Domain::kLog, Code::kCorrupt, "change rejected: " + std::move(msg));
}

crypto::ByteView View(const std::string& s) { return crypto::AsBytes(s); }

crypto::Bytes SignedMessage(const ChangeId& id) {
  crypto::Bytes msg(kSignLabel.size() + id.size());
  std::memcpy(msg.data(), kSignLabel.data(), kSignLabel.size());
  std::memcpy(msg.data() + kSignLabel.size(), id.data(), id.size());
  return msg;
}

Status CheckOpId(const pb::OpId& id, int authors) {
  if (id.author() > static_cast<std::uint32_t>(authors))
    return Corrupt("an op id names an unknown author");
  if (id.seq() == 0 || id.seq() > kMaxSeq)
    return Corrupt("an op id has a sequence number out of range");
  if (id.index() > kMaxOpsPerChange) return Corrupt("an op id has an index out of range");
  return Status::Ok();
}

// `author`: the identity key of the change's author (header.author).
Status CheckBody(const pb::ChangeBody& body, std::string_view author) {
  if (body.hlc() == 0) return Corrupt("the clock is zero");
  if (body.hlc() > kHlcMax) return Corrupt("the clock is beyond the year 2200");
  if (static_cast<std::uint64_t>(body.ops_size()) > kMaxOpsPerChange)
    return Corrupt("too many operations");
  if (static_cast<std::uint64_t>(body.authors_size()) > kMaxAuthors)
    return Corrupt("too many authors");
  for (const auto& a : body.authors()) {
    if (a.size() != crypto::kSignPublicKeySize) return Corrupt("an author key has the wrong size");
  }
  const int authors = body.authors_size();
  for (const pb::Op& op : body.ops()) {
    switch (op.kind_case()) {
      case pb::Op::kCreate:
        if (op.create().type().empty() || op.create().type().size() > kMaxNameSize) {
          return Corrupt("a record type is empty or too long");
        }
        for (const auto& s : op.create().supersedes())
          PARLEY_RETURN_IF_ERROR(CheckOpId(s, authors));
        // An originating create must be the author's own: its origin derives the record id
        // from the author's key (a create without origin is a restore).
        if (!op.create().origin().empty() &&
            !IsOriginOf(op.record(), author, op.create().origin())) {
          return Corrupt(
              "a forged record create (its id is not derived from the author's key and origin)");
        }
        if (!op.create().key_slot().empty() &&
            (op.create().origin().empty() || op.create().key_slot().size() != crypto::kHashSize)) {
          return Corrupt("a malformed key slot reference");
        }
        break;
      case pb::Op::kSet:
        if (op.set().field().empty() || op.set().field().size() > kMaxNameSize) {
          return Corrupt("a field name is empty or too long");
        }
        for (const auto& s : op.set().supersedes()) PARLEY_RETURN_IF_ERROR(CheckOpId(s, authors));
        break;
      case pb::Op::kRemove:
        for (const auto& s : op.remove().supersedes())
          PARLEY_RETURN_IF_ERROR(CheckOpId(s, authors));
        break;
      case pb::Op::kAddMember: {
        const auto& m = op.add_member();
        if (m.identity().size() != crypto::kSignPublicKeySize ||
            m.kx_public().size() != crypto::kDhSize) {
          return Corrupt("a membership operation has a malformed key");
        }
        if (m.role() != "admin" && m.role() != "member")
          return Corrupt("a membership operation has an unknown role");
        if (m.name().size() > kMaxNameSize) return Corrupt("a device name is too long");
        continue;  // not a record operation: no record id
      }
      case pb::Op::kSetRole:
        if (op.set_role().identity().size() != crypto::kSignPublicKeySize) {
          return Corrupt("a membership operation has a malformed key");
        }
        if (op.set_role().role() != "admin" && op.set_role().role() != "member") {
          return Corrupt("a membership operation has an unknown role");
        }
        continue;
      case pb::Op::kRevokeMember:
        if (op.revoke_member().identity().size() != crypto::kSignPublicKeySize) {
          return Corrupt("a membership operation has a malformed key");
        }
        continue;
      case pb::Op::kNewEpoch: {
        const auto& e = op.new_epoch();
        if (e.epoch() == 0) return Corrupt("a new epoch is numbered 0");
        if (static_cast<std::uint64_t>(e.keys_size()) > kMaxAuthors)
          return Corrupt("a new epoch has too many keys");
        for (const auto& k : e.keys()) {
          if (k.recipient().size() != crypto::kSignPublicKeySize || k.sealed().empty() ||
              k.sealed().size() > kMaxSealedEpochKeys) {
            return Corrupt("a new epoch has a malformed key");
          }
        }
        continue;
      }
      case pb::Op::kPurge:
        break;  // a record id, checked below
      case pb::Op::KIND_NOT_SET:
        return Corrupt("an operation of unknown kind");
    }
    if (op.record().size() != sizeof(RecordId)) return Corrupt("a record id has the wrong size");
  }
  return Status::Ok();
}

}  // namespace

ChangeId ComputeChangeId(crypto::ByteView header, crypto::ByteView body) {
  crypto::Hasher h;
  h.Update(kIdLabel).UpdateU64(header.size()).Update(header).Update(body);
  return h.Final256();
}

Status SealChange(const SealParams& p, const pb::ChangeBody& body, pb::Change* out, ChangeId* id) {
  if (p.author == nullptr || p.vault.size() != 32 || p.epoch_key.size() != crypto::kAeadKeySize ||
      p.seq == 0 || p.seq > kMaxSeq || (p.seq == 1) != p.prev.empty()) {
    return Error(Domain::kLog, Code::kInternal, "sealing a change: bad parameters");
  }
  const std::size_t n = body.ByteSizeLong();
  if (n >= kMaxChangeBodySize)
    return Error(Domain::kLog, Code::kInvalidArgument, "the change is too large");
  // The plaintext is the body padded to its size bucket (body_padding.h).
  const std::size_t padded = static_cast<std::size_t>(PaddedBodySize(n));
  if (padded + crypto::kAeadTagSize > kMaxChangeBodySize) {
    return Error(Domain::kLog, Code::kInvalidArgument, "the change is too large");
  }
  std::uint8_t nonce[crypto::kXNonceSize];
  crypto::RandomBytes(nonce);

  pb::ChangeHeader header;
  header.set_vault(p.vault.data(), p.vault.size());
  header.set_author(p.author->public_key.data(), p.author->public_key.size());
  header.set_seq(p.seq);
  if (!p.prev.empty()) header.set_prev(p.prev.data(), p.prev.size());
  header.set_epoch(p.epoch);
  header.set_nonce(nonce, sizeof nonce);
  header.set_body_size(static_cast<std::uint32_t>(padded + crypto::kAeadTagSize));
  std::string* header_bytes = out->mutable_header();
  header_bytes->clear();
  if (!header.SerializeToString(header_bytes))
    return Error(Domain::kLog, Code::kInternal, "encoding a header");

  // Serialize once into the output buffer, sized for the padding and the tag, pad and
  // encrypt in place.
  std::string* cipher = out->mutable_body();
  cipher->resize(padded + crypto::kAeadTagSize);
  auto* buf = reinterpret_cast<std::uint8_t*>(cipher->data());
  if (body.SerializeWithCachedSizesToArray(buf) != buf + n) {
    return Error(Domain::kLog, Code::kInternal, "sealing a change: encoding failed");
  }
  PadBody(std::span<std::uint8_t>(buf, padded), n);
  PARLEY_RETURN_IF_ERROR(crypto::XChaChaSealInPlace(
      p.epoch_key, crypto::ByteView(nonce, sizeof nonce), std::span<std::uint8_t>(buf, padded),
      View(*header_bytes), std::span<std::uint8_t>(buf + padded, crypto::kAeadTagSize)));
  *id = ComputeChangeId(View(*header_bytes), View(*cipher));
  crypto::Bytes sig = crypto::Sign(p.author->secret_key, SignedMessage(*id));
  out->set_signature(sig.data(), sig.size());
  return Status::Ok();
}

ChangeId ChangeIdOf(const pb::Change& change) {
  return ComputeChangeId(View(change.header()), View(change.body()));
}

ChangeLink ChangeLinkOf(const ChangeId& id, std::string_view signature) {
  crypto::Hasher h;
  h.Update(kLinkLabel).Update(crypto::ByteView(id.data(), id.size())).Update(signature);
  return h.Final256();
}

Result<CheckedChange> CheckChangeForm(const pb::Change& change, crypto::ByteView vault) {
  CheckedChange c;
  if (change.header().size() > kMaxChangeHeaderSize) return Corrupt("the header is too large");
  if (!c.header.ParseFromString(change.header())) return Corrupt("the header does not parse");
  const pb::ChangeHeader& h = c.header;
  if (h.vault().size() != 32) return Corrupt("the vault id has the wrong size");
  if (!crypto::ConstantTimeEqual(View(h.vault()), vault)) {
    return Error(Domain::kLog, Code::kInvalidArgument,
                 "change rejected: it belongs to another vault");
  }
  if (h.author().size() != crypto::kSignPublicKeySize)
    return Corrupt("the author key has the wrong size");
  if (h.seq() == 0 || h.seq() > kMaxSeq) return Corrupt("the sequence number is out of range");
  if (h.seq() == 1 ? !h.prev().empty() : h.prev().size() != sizeof(ChangeId)) {
    return Corrupt("the link to the previous change is malformed");
  }
  if (h.nonce().size() != crypto::kXNonceSize) return Corrupt("the nonce has the wrong size");
  if (h.body_size() != change.body().size())
    return Corrupt("the body size does not match the header");
  if (change.body().size() < crypto::kAeadTagSize || change.body().size() > kMaxChangeBodySize) {
    return Corrupt("the body size is out of range");
  }
  if (change.signature().size() != crypto::kSignatureSize)
    return Corrupt("the signature has the wrong size");
  c.id = ComputeChangeId(View(change.header()), View(change.body()));
  return c;
}

Status VerifyChangeSignature(const pb::Change& change, const CheckedChange& checked) {
  Status s = crypto::Verify(View(checked.header.author()), SignedMessage(checked.id),
                            View(change.signature()));
  if (!s.ok())
    return Corrupt("the signature does not verify (seq " + std::to_string(checked.header.seq()) +
                   ")");
  return Status::Ok();
}

Result<CheckedChange> CheckChange(const pb::Change& change, crypto::ByteView vault) {
  PARLEY_ASSIGN_OR_RETURN(CheckedChange c, CheckChangeForm(change, vault));
  PARLEY_RETURN_IF_ERROR(VerifyChangeSignature(change, c));
  return c;
}

Result<pb::ChangeBody> OpenBody(const pb::Change& change, crypto::ByteView epoch_key) {
  pb::ChangeHeader header;
  if (!header.ParseFromString(change.header())) return Corrupt("the header does not parse");
  return OpenBody(change, header, epoch_key);
}

Result<pb::ChangeBody> OpenBody(const pb::Change& change, const pb::ChangeHeader& header,
                                crypto::ByteView epoch_key) {
  pb::ChangeBody out;
  PARLEY_RETURN_IF_ERROR(OpenBodyInto(change, header, epoch_key, &out));
  return out;
}

Status OpenBodyInto(const pb::Change& change, const pb::ChangeHeader& header,
                    crypto::ByteView epoch_key, pb::ChangeBody* out) {
  if (header.nonce().size() != crypto::kXNonceSize) return Corrupt("the nonce has the wrong size");
  const std::string& body = change.body();
  if (body.size() < crypto::kAeadTagSize) return Corrupt("the body is too short");
  std::string plain(body.data(), body.size() - crypto::kAeadTagSize);
  const auto* tag = reinterpret_cast<const std::uint8_t*>(body.data()) + plain.size();
  Status s = crypto::XChaChaOpenInPlace(
      epoch_key, View(header.nonce()),
      std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(plain.data()), plain.size()),
      View(change.header()), crypto::ByteView(tag, crypto::kAeadTagSize));
  if (!s.ok()) return Corrupt("the body does not decrypt (tampered, or the wrong key)");
  PARLEY_ASSIGN_OR_RETURN(std::size_t size,
                          UnpaddedBodySize(std::span<const std::uint8_t>(
                              reinterpret_cast<const std::uint8_t*>(plain.data()), plain.size())));
  if (!out->ParseFromArray(plain.data(), static_cast<int>(size)))
    return Corrupt("the body does not parse");
  return CheckBody(*out, header.author());
}

}  // namespace parley::log
