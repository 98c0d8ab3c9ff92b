#include "parley/relay/relay_migrate.h"

#include <tuple>

namespace parley::relay {
namespace {

// Changes per ExportChanges/ImportChanges call.
constexpr std::size_t kPage = 1000;

Status Differs(const std::string& what, ByteView vault) {
  std::string message = "the copy differs from the source: " + what;
  if (!vault.empty()) message += " of vault " + crypto::ToHex(vault);
  return Error(Domain::kSync, Code::kCorrupt, message);
}

void AppendU64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

// Folds one change into a vault's digest: BLAKE2b-256(previous digest || seq || id length ||
// id || purged flag || data length || data), numbers as 8-byte big-endian.
void Fold(crypto::Hash* digest, const ExportedChange& c) {
  std::string in(digest->begin(), digest->end());
  AppendU64(in, c.relay_seq);
  AppendU64(in, c.id.size());
  in.append(c.id.begin(), c.id.end());
  in.push_back(c.data ? '\0' : '\1');
  AppendU64(in, c.data ? c.data->size() : 0);
  if (c.data) in.append(*c.data);
  *digest = crypto::Blake2b256(crypto::AsBytes(in));
}

struct VaultFigures {
  crypto::Hash digest{};
  std::uint64_t changes = 0;
  std::uint64_t purged = 0;
  std::uint64_t bytes = 0;
};

// Reads every change of `vault` in `s`, folding them into the figures; when `to` is given,
// each page is also imported there.
Result<VaultFigures> Walk(RelayStorage& s, ByteView vault, RelayStorage* to) {
  VaultFigures f;
  std::uint64_t after = 0;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(std::vector<ExportedChange> page, s.ExportChanges(vault, after, kPage));
    if (page.empty()) break;
    for (const ExportedChange& c : page) {
      Fold(&f.digest, c);
      ++f.changes;
      if (c.data) {
        f.bytes += c.data->size();
      } else {
        ++f.purged;
      }
    }
    after = page.back().relay_seq;
    if (to != nullptr) PARLEY_RETURN_IF_ERROR(to->ImportChanges(vault, page));
    if (page.size() < kPage) break;
  }
  return f;
}

bool SameMembership(const StoredMembership& a, const StoredMembership& b) {
  return a.version == b.version && a.list == b.list && a.signer == b.signer &&
         a.signature == b.signature;
}

bool SameVault(const ExportedVault& a, const ExportedVault& b) {
  if (a.vault != b.vault || a.creator != b.creator || a.head_seq != b.head_seq ||
      !SameMembership(a.membership, b.membership) || a.chains.size() != b.chains.size() ||
      a.envelopes.size() != b.envelopes.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.chains.size(); ++i) {
    if (a.chains[i].author != b.chains[i].author || a.chains[i].seq != b.chains[i].seq ||
        a.chains[i].link != b.chains[i].link) {
      return false;
    }
  }
  for (std::size_t i = 0; i < a.envelopes.size(); ++i) {
    if (a.envelopes[i].recipient != b.envelopes[i].recipient ||
        a.envelopes[i].sealed != b.envelopes[i].sealed) {
      return false;
    }
  }
  return true;
}

auto UsageTuple(const VaultUsage& u) {
  return std::tie(u.vault, u.registered, u.allowed, u.changes, u.stored_bytes, u.quota_bytes);
}

}  // namespace

Status MigrateRelayStorage(RelayStorage& from, RelayStorage& to, MigrateReport* report) {
  MigrateReport r;
  PARLEY_ASSIGN_OR_RETURN(std::vector<VaultUsage> target_usage, to.ListVaults());
  PARLEY_ASSIGN_OR_RETURN(std::vector<Bytes> target_ids, to.ExportVaultIds());
  if (!target_usage.empty() || !target_ids.empty()) {
    return Error(Domain::kSync, Code::kAlreadyExists,
                 "the target storage is not empty: migrate into new, empty storage");
  }

  // Allowances first: they may name vaults not registered yet.
  PARLEY_ASSIGN_OR_RETURN(std::vector<VaultUsage> usage, from.ListVaults());
  for (const VaultUsage& u : usage) {
    if (!u.allowed) continue;
    PARLEY_RETURN_IF_ERROR(to.AllowVault(u.vault, u.quota_bytes));
    ++r.allowances;
  }

  // Vaults in registration order (FindRevocation and ListEnvelopesFor depend on it).
  PARLEY_ASSIGN_OR_RETURN(std::vector<Bytes> ids, from.ExportVaultIds());
  std::vector<VaultFigures> copied;
  for (const Bytes& vault : ids) {
    PARLEY_ASSIGN_OR_RETURN(ExportedVault v, from.ExportVault(vault));
    PARLEY_RETURN_IF_ERROR(to.ImportVault(v));
    PARLEY_ASSIGN_OR_RETURN(VaultFigures f, Walk(from, vault, &to));
    ++r.vaults;
    r.changes += f.changes;
    r.purged += f.purged;
    r.stored_bytes += f.bytes;
    r.chains += v.chains.size();
    r.envelopes += v.envelopes.size();
    copied.push_back(f);
  }

  // Verification: everything read back from the target.
  PARLEY_ASSIGN_OR_RETURN(std::vector<Bytes> copied_ids, to.ExportVaultIds());
  if (copied_ids != ids) return Differs("the list of vaults (or their order)", {});
  std::string all;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    PARLEY_ASSIGN_OR_RETURN(ExportedVault a, from.ExportVault(ids[i]));
    PARLEY_ASSIGN_OR_RETURN(ExportedVault b, to.ExportVault(ids[i]));
    if (!SameVault(a, b)) return Differs("the row, chain heads or envelopes", ids[i]);
    PARLEY_ASSIGN_OR_RETURN(VaultFigures f, Walk(to, ids[i], nullptr));
    if (f.digest != copied[i].digest || f.changes != copied[i].changes || f.changes != a.head_seq) {
      return Differs("the changes", ids[i]);
    }
    all.append(copied[i].digest.begin(), copied[i].digest.end());
  }
  PARLEY_ASSIGN_OR_RETURN(std::vector<VaultUsage> copied_usage, to.ListVaults());
  PARLEY_ASSIGN_OR_RETURN(std::vector<VaultUsage> source_usage, from.ListVaults());
  if (copied_usage.size() != source_usage.size()) return Differs("the vault usage", {});
  for (std::size_t i = 0; i < source_usage.size(); ++i) {
    if (UsageTuple(copied_usage[i]) != UsageTuple(source_usage[i])) {
      return Differs("the usage or allowance", source_usage[i].vault);
    }
  }
  const crypto::Hash total = crypto::Blake2b256(crypto::AsBytes(all));
  r.digest = crypto::ToHex(total);
  if (report != nullptr) *report = r;
  return Status::Ok();
}

}  // namespace parley::relay
