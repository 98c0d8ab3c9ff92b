// Shared pieces of the sync client tests: a device driven through the library (real store
// files in a temp dir), an in-process relay over SQLite, and a canonical dump of a
// replica's state for convergence checks.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "parley/core/replica.h"
#include "parley/core/store.h"
#include "parley/relay/relay_server.h"
#include "parley/sync/client.h"
#include "parley/sync/sync_state.h"
#include "parley/testing/fake_env.h"
#include "parley/testing/loopback_transport.h"
#include "support/temp_dir.h"

namespace parley::testing {

struct SyncDevice {
  std::string name;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<log::Replica> replica;
  std::unique_ptr<sync::SyncState> state;
  std::unique_ptr<sync::Poller> poller;
  Transport* transport = nullptr;  // the client's: PosixTransport() unless UseTransport()
  std::unique_ptr<sync::SyncClient> client;
  std::int64_t relay = 0;  // the first pinned relay
  std::string data_dir;

  // Creates the store in `dir`/`name` (minimum Argon2 cost) and opens everything.
  static std::unique_ptr<SyncDevice> Create(const std::string& dir, const std::string& name,
                                            KeyStore& keys, Clock& clock,
                                            sync::SyncOptions options = {});
  // Closes everything and opens the store again over `base_vfs` (empty: SQLite's default),
  // with a new replica, sync state and client. Failures are test failures (false).
  bool Reopen(KeyStore& keys, Clock& clock, const std::string& base_vfs = "",
              sync::SyncOptions options = {});
  // A new client that connects through `transport` (which must outlive this device).
  void UseTransport(Transport& transport, sync::SyncOptions options = {});
  // Pins a relay; the first one becomes `relay`.
  void Pin(const crypto::Bytes& relay_key, std::uint16_t port);
  void PinAddress(const crypto::Bytes& relay_key, const std::string& address);
  // One transaction creating a record of `type` with `field` = `value`; returns its id.
  log::RecordId Add(const std::string& type, const std::string& field, const std::string& value);
  void Set(const log::RecordId& id, const std::string& field, const std::string& value);
  Result<sync::SyncReport> Sync() { return client->SyncOnce(relay); }
  std::uint64_t Changes();
  // Every record, field and surviving value (with author and seq), sorted: equal dumps mean
  // equal states.
  std::string Dump();
};

// Enrolls `b` into `a`'s vault offline (invite blob handed over directly).
void EnrollOffline(SyncDevice& a, SyncDevice& b);

// Devices named `names` under `dir`: the first creates the vault "team" and enrolls the
// others offline. Failures are test failures.
std::vector<std::unique_ptr<SyncDevice>> MakeTeam(const std::string& dir,
                                                  const std::vector<std::string>& names,
                                                  KeyStore& keys, Clock& clock);

// A RelayServer over SQLite files in `dir`, on 127.0.0.1 with a kernel-chosen port.
class InProcessRelay {
 public:
  explicit InProcessRelay(const std::string& dir, relay::RelayOptions options = {});
  ~InProcessRelay();
  std::uint16_t port() const { return server_->port(); }
  const crypto::Bytes& public_key() const { return key_.public_key; }
  // Serves connections made to `address` on `net` (socketpairs adopted by the relay: no
  // port involved). Returns the relay pairing code for that address.
  std::string ServeOn(LoopbackTransport& net, const std::string& address);
  void Stop();
  // Stops, then serves again from what its directory holds now (with the same key and
  // addresses): a relay brought back from a copy of its data, when the test put one there.
  void Restart();

 private:
  void Serve();

  std::string dir_;
  relay::RelayOptions options_;
  crypto::DhKeyPair key_;
  std::unique_ptr<relay::RelayServer> server_;
};

}  // namespace parley::testing
