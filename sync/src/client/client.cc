// SyncClient: one-shot sessions, enrollment calls and the watching loop (client.h).
#include "parley/sync/client.h"

#include <algorithm>
#include <memory>

#include "client_impl.h"

namespace parley::sync {

SyncClient::SyncClient(store::Store& store, log::Replica& replica, SyncState& state, Poller& poller,
                       Transport& transport, SyncOptions options, Waker* waker)
    : impl_(new Impl{store, replica, state, poller, transport, options}) {
  if (waker == nullptr) {
    impl_->own_waker = std::make_unique<Waker>();
    waker = impl_->own_waker.get();
  }
  impl_->waker = waker;
}

SyncClient::~SyncClient() = default;

void SyncClient::Wake() { impl_->waker->Wake(); }

const std::optional<RevocationNotice>& SyncClient::last_revocation() const {
  return impl_->revocation;
}

Result<SyncReport> SyncClient::SyncOnce(std::int64_t relay_id, Canceller* cancel) {
  impl_->revocation.reset();
  PARLEY_ASSIGN_OR_RETURN(RelayRecord relay, impl_->state.Relay(relay_id));
  PARLEY_ASSIGN_OR_RETURN(auto conn, impl_->Connect(relay, cancel));
  return impl_->Exchange(*conn, relay);
}

Status SyncClient::PutEnvelope(std::int64_t relay_id, crypto::ByteView recipient,
                               crypto::ByteView sealed, Canceller* cancel) {
  impl_->revocation.reset();
  PARLEY_ASSIGN_OR_RETURN(RelayRecord relay, impl_->state.Relay(relay_id));
  PARLEY_ASSIGN_OR_RETURN(auto conn, impl_->Connect(relay, cancel));
  PARLEY_ASSIGN_OR_RETURN(SyncReport report, impl_->Exchange(*conn, relay));
  (void)report;
  PARLEY_ASSIGN_OR_RETURN(log::VaultIdentity vault, log::GetVaultIdentity(impl_->replica));
  pb::Frame f;
  pb::PutEnvelope* put = f.mutable_put_envelope();
  put->set_vault(vault.vault.data(), vault.vault.size());
  put->set_recipient(recipient.data(), recipient.size());
  put->set_sealed(sealed.data(), sealed.size());
  return conn->Call(std::move(f)).status();
}

namespace {

// GetEnvelopes for `vault` (empty: every vault). A relay that predates `items` fills only
// `sealed`, and only for a one-vault request: those envelopes belong to `vault`.
Result<std::vector<KeyEnvelope>> FetchEnvelopes(RelayConnection& conn, crypto::ByteView vault) {
  pb::Frame f;
  f.mutable_get_envelopes()->set_vault(vault.data(), vault.size());
  auto answer = conn.Call(std::move(f));
  if (!answer.ok()) {
    if (vault.empty() && conn.last_error().code() == pb::ERROR_MALFORMED) {
      return Error(Domain::kSync, Code::kUnsupported,
                   "this relay cannot list envelopes across vaults; give the vault id");
    }
    return answer.status();
  }
  if (answer->body_case() != pb::Frame::kEnvelopes) {
    return Error(Domain::kSync, Code::kUnavailable,
                 "the relay answered GetEnvelopes with something else");
  }
  std::vector<KeyEnvelope> out;
  const pb::Envelopes& got = answer->envelopes();
  if (got.items_size() > 0) {
    for (const pb::Envelope& e : got.items()) {
      out.push_back(KeyEnvelope{crypto::Bytes(e.vault().begin(), e.vault().end()),
                                crypto::Bytes(e.sealed().begin(), e.sealed().end())});
    }
  } else if (!vault.empty()) {
    for (const auto& s : got.sealed()) {
      out.push_back(KeyEnvelope{crypto::Bytes(vault.begin(), vault.end()),
                                crypto::Bytes(s.begin(), s.end())});
    }
  }
  return out;
}

}  // namespace

Result<std::vector<crypto::Bytes>> SyncClient::GetEnvelopes(std::int64_t relay_id,
                                                            crypto::ByteView vault,
                                                            Canceller* cancel) {
  if (vault.empty()) return Error(Domain::kSync, Code::kInvalidArgument, "a vault id is required");
  impl_->revocation.reset();
  PARLEY_ASSIGN_OR_RETURN(RelayRecord relay, impl_->state.Relay(relay_id));
  PARLEY_ASSIGN_OR_RETURN(auto conn, impl_->Connect(relay, cancel));
  PARLEY_ASSIGN_OR_RETURN(std::vector<KeyEnvelope> got, FetchEnvelopes(*conn, vault));
  std::vector<crypto::Bytes> out;
  for (KeyEnvelope& e : got) {
    // Only what the relay filed under the vault asked for.
    if (crypto::ConstantTimeEqual(e.vault, vault)) out.push_back(std::move(e.sealed));
  }
  return out;
}

Result<std::vector<KeyEnvelope>> SyncClient::ListEnvelopes(std::int64_t relay_id,
                                                           Canceller* cancel) {
  impl_->revocation.reset();
  PARLEY_ASSIGN_OR_RETURN(RelayRecord relay, impl_->state.Relay(relay_id));
  PARLEY_ASSIGN_OR_RETURN(auto conn, impl_->Connect(relay, cancel));
  return FetchEnvelopes(*conn, {});
}

Status SyncClient::Watch(const std::vector<std::int64_t>& relays, Canceller& cancel,
                         const WatchObserver& observer) {
  impl_->revocation.reset();
  return impl_->Watch(relays, cancel, observer);
}

}  // namespace parley::sync
