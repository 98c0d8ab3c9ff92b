// The C ABI (include/parley/parley.h) over the Device API. Every exported function catches
// everything: no exception crosses the boundary (docs/c-api.md).
#include "parley/parley.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include "convert.h"
#include "parley/device.h"
#include "parley/platform/posix_env.h"
#include "parley/sync/backoff.h"

using parley::Code;
using parley::Result;
using parley::Status;
using parley::capi::ApiError;
using parley::capi::Json;

struct parley_device;

namespace {

using Clock = std::chrono::steady_clock;

// The device whose serializing lock this thread holds (inside a call, a callback of it, or
// the background sync): a call on that device from here would deadlock, so it is refused.
thread_local const parley_device* tl_held = nullptr;

// The host's key store, through its callbacks.
class CallbackKeyStore final : public parley::KeyStore {
 public:
  explicit CallbackKeyStore(const parley_key_store& cb) : cb_(cb) {}
  Status Put(std::string_view name, std::span<const std::uint8_t> secret) override {
    if (cb_.put == nullptr) return Fail(PARLEY_UNSUPPORTED, "put", name);
    const int rc = cb_.put(cb_.context, name.data(), name.size(), secret.data(), secret.size());
    return rc == PARLEY_OK ? Status::Ok() : Fail(rc, "put", name);
  }
  Result<std::vector<std::uint8_t>> Get(std::string_view name) override {
    if (cb_.get == nullptr) return Fail(PARLEY_UNSUPPORTED, "get", name);
    std::vector<std::uint8_t> buf(256);
    for (int attempt = 0; attempt < 4; ++attempt) {
      std::size_t len = 0;
      const int rc = cb_.get(cb_.context, name.data(), name.size(), buf.data(), buf.size(), &len);
      if (rc != PARLEY_OK) return Fail(rc, "get", name);
      if (len <= buf.size()) {
        buf.resize(len);
        return buf;
      }
      if (len > (1u << 20))
        return Fail(PARLEY_INVALID_ARGUMENT, "get (secret larger than 1 MiB)", name);
      sodium_zero(buf);
      buf.assign(len, 0);
    }
    return Fail(PARLEY_INTERNAL, "get (the secret kept growing)", name);
  }
  Status Erase(std::string_view name) override {
    if (cb_.erase == nullptr) return Fail(PARLEY_UNSUPPORTED, "erase", name);
    const int rc = cb_.erase(cb_.context, name.data(), name.size());
    return rc == PARLEY_OK ? Status::Ok() : Fail(rc, "erase", name);
  }

 private:
  static void sodium_zero(std::vector<std::uint8_t>& b) {
    volatile std::uint8_t* p = b.data();
    for (std::size_t i = 0; i < b.size(); ++i) p[i] = 0;
  }
  static Status Fail(int rc, const char* what, std::string_view name) {
    Code code = (rc > 0 && rc <= PARLEY_WIPED) ? static_cast<Code>(rc) : Code::kIoError;
    return Status(
        parley::Domain::kPlatform, code,
        std::string("the host key store failed to ") + what + " \"" + std::string(name) + "\"");
  }
  parley_key_store cb_;
};

}  // namespace

struct parley_device {
  std::unique_ptr<parley::KeyStore> key_store;
  std::unique_ptr<parley::Device> device;
  parley::sync::BackoffPolicy backoff;

  // Serializes every Device call (the Device is used by one thread at a time).
  std::timed_mutex mu;
  std::atomic<int> waiting{0};        // calls waiting for `mu`
  std::atomic<bool> watching{false};  // the background sync is inside Device::Watch
  std::atomic<int> syncing{0};        // parley_sync() calls running

  // The background sync.
  std::mutex state_mu;  // guards what follows, with state_cv
  std::condition_variable state_cv;
  std::thread sync_thread;
  bool thread_running = false;  // the thread has not finished its loop
  bool stop_requested = false;
  bool network = true;
  std::chrono::steady_clock::time_point retry_at{};  // the background sync's next attempt
  std::atomic<int> state{PARLEY_SYNC_STOPPED};

  // The event handler.
  std::mutex handler_mu;
  parley_event_fn handler = nullptr;
  void* handler_context = nullptr;
};

namespace {

// ---- Errors ----

void CopyMessage(char* out, std::string_view message) {
  std::size_t n = std::min(message.size(), static_cast<std::size_t>(PARLEY_ERROR_MESSAGE_SIZE - 1));
  // Cut at a UTF-8 character boundary.
  while (n > 0 && n < message.size() && (static_cast<unsigned char>(message[n]) & 0xC0) == 0x80)
    --n;
  std::memcpy(out, message.data(), n);
  out[n] = '\0';
}

int Fill(parley_error* error, const Status& status) {
  if (error != nullptr) {
    error->domain = static_cast<int32_t>(status.domain());
    error->code = static_cast<int32_t>(status.code());
    CopyMessage(error->message, status.message());
  }
  return static_cast<int>(status.code());
}

int Fail(parley_error* error, Code code, const std::string& message) {
  return Fill(error, ApiError(code, message));
}

// Runs `body` (returning Status) and turns anything thrown into PARLEY_INTERNAL.
template <typename F>
int Guard(parley_error* error, F&& body) noexcept {
  try {
    return Fill(error, body());
  } catch (const std::bad_alloc&) {
    return Fail(error, Code::kInternal, "out of memory");
  } catch (const std::exception& e) {
    return Fail(error, Code::kInternal, std::string("internal error: ") + e.what());
  } catch (...) {
    return Fail(error, Code::kInternal, "internal error");
  }
}

// ---- Strings ----

Result<std::string_view> In(const char* s, std::size_t len, const char* what) {
  if (s == nullptr) {
    if (len == 0 || len == PARLEY_NUL_TERMINATED) return std::string_view();
    return ApiError(Code::kInvalidArgument, std::string(what) + " is NULL with a length");
  }
  if (len == PARLEY_NUL_TERMINATED) return std::string_view(s);
  return std::string_view(s, len);
}

// A library-allocated copy, NUL-terminated, for parley_free().
char* Dup(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

void Clear(char** out, std::size_t* out_len) {
  if (out != nullptr) *out = nullptr;
  if (out_len != nullptr) *out_len = 0;
}

Status Out(const std::string& s, char** out, std::size_t* out_len) {
  if (out != nullptr) {
    *out = Dup(s);
    if (out_len != nullptr) *out_len = s.size();
  }
  return Status::Ok();
}

Status OutJson(const Json& j, char** out, std::size_t* out_len) {
  return Out(j.dump(-1, ' ', false, Json::error_handler_t::replace), out, out_len);
}

// ---- Serialized access to the Device ----

// Holds the device's lock for one call. A background sync inside Watch is asked to pause
// (it is cancelled and watches again once no call waits).
class Lease {
 public:
  explicit Lease(parley_device* h) : h_(h) {
    h_->waiting.fetch_add(1);
    while (!h_->mu.try_lock()) {
      if (h_->watching.load()) h_->device->CancelSync();
      if (h_->mu.try_lock_for(std::chrono::milliseconds(20))) break;
    }
    h_->waiting.fetch_sub(1);
    prev_ = tl_held;
    tl_held = h_;
  }
  ~Lease() {
    tl_held = prev_;
    h_->mu.unlock();
    std::lock_guard<std::mutex> lock(h_->state_mu);
    h_->state_cv.notify_all();
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

 private:
  parley_device* h_;
  const parley_device* prev_ = nullptr;
};

Status Check(parley_device* h) {
  if (h == nullptr) return ApiError(Code::kInvalidArgument, "device is NULL");
  if (tl_held == h) {
    return ApiError(Code::kBusy,
                    "called from a callback of the same device: post the work to another thread");
  }
  return Status::Ok();
}

Status RequireUnlocked(parley_device* h) {
  if (!h->device->unlocked())
    return Status(parley::Domain::kStore, Code::kLocked, "the device is locked");
  return Status::Ok();
}

// Runs `body(Device&)` under the lease, for a call that needs the device unlocked.
template <typename F>
int Call(parley_device* h, parley_error* error, bool need_unlocked, F&& body) noexcept {
  return Guard(error, [&]() -> Status {
    PARLEY_RETURN_IF_ERROR(Check(h));
    Lease lease(h);
    if (need_unlocked) PARLEY_RETURN_IF_ERROR(RequireUnlocked(h));
    return body(*h->device);
  });
}

// ---- Events ----

void Deliver(parley_device* h, const parley_event& e) {
  parley_event_fn fn = nullptr;
  void* ctx = nullptr;
  {
    std::lock_guard<std::mutex> lock(h->handler_mu);
    fn = h->handler;
    ctx = h->handler_context;
  }
  if (fn == nullptr) return;
  try {
    fn(ctx, &e);
  } catch (...) {  // a C++ host's handler threw: it stops here
  }
}

parley_event BlankEvent(int kind) {
  parley_event e{};
  e.kind = kind;
  e.relay = "";
  e.message = "";
  e.json = "";
  e.sync_state = PARLEY_SYNC_STOPPED;
  return e;
}

void DeliverDeviceEvent(parley_device* h, const parley::DeviceEvent& d) {
  using Kind = parley::DeviceEvent::Kind;
  // On the background sync, inside Watch: a stop or a lost network that came while Watch was
  // starting cancelled the canceller of the previous run, not Watch's own; ask again now that
  // Watch runs (every connection attempt reports an event).
  if (tl_held == h && h->watching.load()) {
    bool cancel = false;
    {
      std::lock_guard<std::mutex> lock(h->state_mu);
      cancel = h->stop_requested || !h->network;
    }
    if (cancel) h->device->CancelSync();
  }
  int kind = 0;
  switch (d.kind) {
    case Kind::kChangesArrived:
      kind = PARLEY_EVENT_CHANGES_ARRIVED;
      break;
    case Kind::kConflictsChanged:
      kind = PARLEY_EVENT_CONFLICTS_CHANGED;
      break;
    case Kind::kConnected:
      kind = PARLEY_EVENT_CONNECTED;
      break;
    case Kind::kDisconnected:
      kind = PARLEY_EVENT_DISCONNECTED;
      break;
    case Kind::kSynced:
      kind = PARLEY_EVENT_SYNCED;
      break;
    case Kind::kRevokedAndWiped:
      kind = PARLEY_EVENT_REVOKED_AND_WIPED;
      break;
  }
  parley_event e = BlankEvent(kind);
  e.relay = d.relay.c_str();
  e.count = d.count;
  e.domain = static_cast<int32_t>(d.status.domain());
  e.code = static_cast<int32_t>(d.status.code());
  e.message = d.status.message().c_str();
  e.retry_ms = d.retry_ms;
  std::string json;
  if (d.kind == Kind::kSynced && d.result != nullptr)
    json = parley::capi::RelaySyncJson(*d.result).dump();
  if (d.kind == Kind::kRevokedAndWiped) json = parley::capi::RevocationJson(d.revocation).dump();
  e.json = json.c_str();
  Deliver(h, e);
}

void SetState(parley_device* h, int state, const Status& why = Status::Ok(),
              std::int64_t retry_ms = 0) {
  if (h->state.exchange(state) == state && why.ok()) return;
  parley_event e = BlankEvent(PARLEY_EVENT_SYNC_STATE);
  e.sync_state = state;
  e.domain = static_cast<int32_t>(why.domain());
  e.code = static_cast<int32_t>(why.code());
  e.message = why.message().c_str();
  e.retry_ms = retry_ms;
  Deliver(h, e);
}

// ---- The background sync ----

// A failure Watch returns that retrying cannot mend: the sync stops and says why.
bool Permanent(const Status& st) {
  switch (st.code()) {
    case Code::kLocked:
    case Code::kNotFound:
    case Code::kPermissionDenied:
    case Code::kWiped:
    case Code::kCorrupt:
      return true;
    default:
      return false;
  }
}

void SyncLoop(parley_device* h) {
  std::mt19937_64 rng(std::random_device{}());
  std::uint32_t attempt = 0;
  Status last = Status::Ok();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(h->state_mu);
      for (;;) {
        if (h->stop_requested) break;
        if (!h->network) {
          lock.unlock();
          SetState(h, PARLEY_SYNC_WAITING_NETWORK);
          lock.lock();
          if (h->stop_requested || h->network) continue;
          h->state_cv.wait(lock);  // parley_network_changed or parley_sync_stop notify
          continue;
        }
        if (h->waiting.load() > 0) {
          lock.unlock();
          SetState(h, PARLEY_SYNC_PAUSED);
          lock.lock();
          if (h->stop_requested || h->waiting.load() == 0) continue;
          h->state_cv.wait(lock);  // a Lease notifies when it ends
          continue;
        }
        if (Clock::now() < h->retry_at) {
          h->state_cv.wait_until(lock, h->retry_at);
          continue;
        }
        break;
      }
      if (h->stop_requested) break;
    }
    Status st;
    {
      std::unique_lock<std::timed_mutex> dev(h->mu);
      if (h->waiting.load() > 0) continue;
      {
        std::lock_guard<std::mutex> lock(h->state_mu);
        if (h->stop_requested || !h->network) continue;
      }
      tl_held = h;
      h->watching.store(true);
      SetState(h, PARLEY_SYNC_CONNECTING);
      try {
        st = h->device->Watch();
      } catch (...) {
        st =
            Status(parley::Domain::kSync, Code::kInternal, "internal error in the background sync");
      }
      h->watching.store(false);
      tl_held = nullptr;
    }
    if (st.ok() || st.code() == Code::kCancelled) {
      attempt = 0;  // paused, stopped or the network went away: no backoff
      continue;
    }
    if (Permanent(st)) {
      last = st;
      break;
    }
    const std::int64_t delay = parley::sync::BackoffDelayMs(h->backoff, attempt, rng());
    if (attempt < 30) ++attempt;
    {
      std::lock_guard<std::mutex> lock(h->state_mu);
      h->retry_at = Clock::now() + std::chrono::milliseconds(delay);
    }
    SetState(h, PARLEY_SYNC_BACKOFF, st, delay);
  }
  SetState(h, PARLEY_SYNC_STOPPED, last);
  std::lock_guard<std::mutex> lock(h->state_mu);
  h->thread_running = false;
  h->state_cv.notify_all();
}

// Asks every sync to stop; waits up to `deadline_ms` for them. True when none runs.
bool StopSyncs(parley_device* h, std::int64_t deadline_ms) {
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(std::max<std::int64_t>(deadline_ms, 0));
  std::unique_lock<std::mutex> lock(h->state_mu);
  h->stop_requested = true;
  h->state_cv.notify_all();
  for (;;) {
    h->device->CancelSync();
    if (!h->thread_running && h->syncing.load() == 0) break;
    const auto now = Clock::now();
    if (now >= deadline) break;
    // The cancel reaches a sync at its next wait; asked again in case one started between.
    h->state_cv.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(20)));
  }
  const bool stopped = !h->thread_running && h->syncing.load() == 0;
  if (!h->thread_running && h->sync_thread.joinable()) {
    std::thread t = std::move(h->sync_thread);
    lock.unlock();
    t.join();
  }
  return stopped;
}

void JoinStopped(parley_device* h) {
  std::thread t;
  {
    std::unique_lock<std::mutex> lock(h->state_mu);
    h->stop_requested = true;
    h->state_cv.notify_all();
    while (h->thread_running) {
      h->device->CancelSync();
      h->state_cv.wait_for(lock, std::chrono::milliseconds(20));
    }
    t = std::move(h->sync_thread);
  }
  if (t.joinable()) t.join();
}

parley_key_store CopyKeyStore(const parley_key_store& ks) { return ks; }

}  // namespace

// ==== Exported functions (C linkage from their declarations in parley.h) ====

const char* parley_code_name(int code) {
  switch (code) {
    case PARLEY_OK:
      return "ok";
    case PARLEY_INVALID_ARGUMENT:
      return "invalid_argument";
    case PARLEY_NOT_FOUND:
      return "not_found";
    case PARLEY_ALREADY_EXISTS:
      return "already_exists";
    case PARLEY_CORRUPT:
      return "corrupt";
    case PARLEY_WRONG_PASSPHRASE:
      return "wrong_passphrase";
    case PARLEY_MISSING_SECRET:
      return "missing_secret";
    case PARLEY_IO_ERROR:
      return "io_error";
    case PARLEY_DISK_FULL:
      return "disk_full";
    case PARLEY_BUSY:
      return "busy";
    case PARLEY_LOCKED:
      return "locked";
    case PARLEY_UNSUPPORTED:
      return "unsupported";
    case PARLEY_PERMISSION_DENIED:
      return "permission_denied";
    case PARLEY_CONFLICT:
      return "conflict";
    case PARLEY_INTERNAL:
      return "internal";
    case PARLEY_UNAVAILABLE:
      return "unavailable";
    case PARLEY_CANCELLED:
      return "cancelled";
    case PARLEY_THROTTLED:
      return "throttled";
    case PARLEY_WIPED:
      return "wiped";
    default:
      return "unknown";
  }
}

const char* parley_domain_name(int domain) {
  switch (domain) {
    case PARLEY_DOMAIN_NONE:
      return "none";
    case PARLEY_DOMAIN_PLATFORM:
      return "platform";
    case PARLEY_DOMAIN_CRYPTO:
      return "crypto";
    case PARLEY_DOMAIN_STORE:
      return "store";
    case PARLEY_DOMAIN_LOG:
      return "log";
    case PARLEY_DOMAIN_MODEL:
      return "model";
    case PARLEY_DOMAIN_SYNC:
      return "sync";
    case PARLEY_DOMAIN_APP:
      return "app";
    case PARLEY_DOMAIN_API:
      return "api";
    default:
      return "unknown";
  }
}

void parley_free(void* p) { std::free(p); }

const char* parley_version(void) { return PARLEY_VERSION_STRING; }
uint32_t parley_version_number(void) { return PARLEY_VERSION_NUMBER; }

void parley_open_options_init(parley_open_options* options) {
  if (options == nullptr) return;
  std::memset(options, 0, sizeof *options);
  options->struct_size = sizeof *options;
}

void parley_create_options_init(parley_create_options* options) {
  if (options == nullptr) return;
  std::memset(options, 0, sizeof *options);
  options->struct_size = sizeof *options;
  options->issue_recovery_key = 1;
}

int parley_store_exists(const char* data_dir, size_t data_dir_len) {
  try {
    auto dir = In(data_dir, data_dir_len, "data_dir");
    if (!dir.ok() || dir->empty()) return 0;
    return parley::Device::Exists(parley::PosixEnv(), std::string(*dir)) ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

int parley_device_open(const char* data_dir, size_t data_dir_len,
                       const parley_open_options* options, parley_device** out,
                       parley_error* error) {
  if (out != nullptr) *out = nullptr;
  return Guard(error, [&]() -> Status {
    if (out == nullptr) return ApiError(Code::kInvalidArgument, "out is NULL");
    PARLEY_ASSIGN_OR_RETURN(std::string_view dir, In(data_dir, data_dir_len, "data_dir"));
    if (dir.empty()) return ApiError(Code::kInvalidArgument, "data_dir is empty");
    parley_open_options opts;
    parley_open_options_init(&opts);
    if (options != nullptr) {
      if (options->struct_size <
          offsetof(parley_open_options, key_store_dir_len) + sizeof(size_t)) {
        return ApiError(Code::kInvalidArgument, "options->struct_size is too small");
      }
      std::memcpy(&opts, options, std::min(options->struct_size, sizeof opts));
      opts.struct_size = sizeof opts;
    }
    auto h = std::make_unique<parley_device>();
    if (opts.key_store != nullptr) {
      h->key_store = std::make_unique<CallbackKeyStore>(CopyKeyStore(*opts.key_store));
    } else {
      PARLEY_ASSIGN_OR_RETURN(std::string_view ks_dir,
                              In(opts.key_store_dir, opts.key_store_dir_len, "key_store_dir"));
      h->key_store = parley::NewFileKeyStore(
          parley::PosixEnv(), ks_dir.empty() ? parley::DefaultKeyStoreDir() : std::string(ks_dir));
    }
    parley::DeviceOptions dopts;
    dopts.env = &parley::PosixEnv();
    dopts.key_store = h->key_store.get();
    dopts.data_dir = std::string(dir);
    if (opts.backoff_base_ms > 0) dopts.sync.backoff.base_ms = opts.backoff_base_ms;
    if (opts.backoff_cap_ms > 0) dopts.sync.backoff.cap_ms = opts.backoff_cap_ms;
    if (dopts.sync.backoff.cap_ms < dopts.sync.backoff.base_ms)
      dopts.sync.backoff.cap_ms = dopts.sync.backoff.base_ms;
    if (opts.connect_timeout_ms > 0) dopts.sync.connect_timeout_ms = opts.connect_timeout_ms;
    if (opts.io_timeout_ms > 0) dopts.sync.io_timeout_ms = opts.io_timeout_ms;
    h->backoff = dopts.sync.backoff;
    PARLEY_ASSIGN_OR_RETURN(h->device, parley::Device::Open(std::move(dopts)));
    parley_device* raw = h.get();
    h->device->SetEventHandler([raw](const parley::DeviceEvent& e) { DeliverDeviceEvent(raw, e); });
    *out = h.release();
    return Status::Ok();
  });
}

void parley_device_free(parley_device* device) {
  if (device == nullptr || tl_held == device) return;
  try {
    JoinStopped(device);
    {
      Lease lease(device);
      device->device->SetEventHandler(nullptr);
      (void)device->device->Lock();
    }
    delete device;
  } catch (...) {
  }
}

int parley_device_create(parley_device* device, const char* device_name, size_t device_name_len,
                         const char* vault_name, size_t vault_name_len, const char* passphrase,
                         size_t passphrase_len, const parley_create_options* options,
                         parley_error* error) {
  return Call(device, error, false, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view name, In(device_name, device_name_len, "device_name"));
    PARLEY_ASSIGN_OR_RETURN(std::string_view vault, In(vault_name, vault_name_len, "vault_name"));
    PARLEY_ASSIGN_OR_RETURN(std::string_view pass, In(passphrase, passphrase_len, "passphrase"));
    parley_create_options opts;
    parley_create_options_init(&opts);
    if (options != nullptr) {
      if (options->struct_size < sizeof(size_t)) {
        return ApiError(Code::kInvalidArgument, "options->struct_size is too small");
      }
      std::memcpy(&opts, options, std::min(options->struct_size, sizeof opts));
    }
    parley::CreateOptions create;
    create.device_name = std::string(name);
    create.vault_name = std::string(vault);
    if (opts.argon2_ops > 0) create.argon2.ops_limit = opts.argon2_ops;
    if (opts.argon2_mem_bytes > 0) create.argon2.mem_limit = opts.argon2_mem_bytes;
    create.issue_recovery_key = opts.issue_recovery_key != 0;
    create.wipe_after = opts.wipe_after;
    return d.Create(create, pass);
  });
}

int parley_device_unlock(parley_device* device, const char* passphrase, size_t passphrase_len,
                         parley_error* error) {
  return Call(device, error, false, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view pass, In(passphrase, passphrase_len, "passphrase"));
    if (d.unlocked()) return Status::Ok();
    return d.Unlock(pass);
  });
}

int parley_device_lock(parley_device* device, parley_error* error) {
  return Guard(error, [&]() -> Status {
    PARLEY_RETURN_IF_ERROR(Check(device));
    JoinStopped(device);
    Lease lease(device);
    return device->device->Lock();
  });
}

int parley_device_wipe(parley_device* device, parley_error* error) {
  return Guard(error, [&]() -> Status {
    PARLEY_RETURN_IF_ERROR(Check(device));
    JoinStopped(device);
    Lease lease(device);
    return device->device->Wipe();
  });
}

int parley_device_is_unlocked(parley_device* device) {
  if (device == nullptr || tl_held == device) return 0;
  try {
    Lease lease(device);
    return device->device->unlocked() ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

int parley_device_change_passphrase(parley_device* device, const char* current, size_t current_len,
                                    const char* next, size_t next_len, parley_error* error) {
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view cur, In(current, current_len, "current"));
    PARLEY_ASSIGN_OR_RETURN(std::string_view nxt, In(next, next_len, "next"));
    return d.ChangePassphrase(cur, nxt);
  });
}

int parley_device_name(parley_device* device, char** out, size_t* out_len, parley_error* error) {
  Clear(out, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string name, d.DeviceName());
    return Out(name, out, out_len);
  });
}

int parley_pairing_code(parley_device* device, char** out, size_t* out_len, parley_error* error) {
  Clear(out, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string code, d.PairingCode());
    return Out(code, out, out_len);
  });
}

int parley_vault_info(parley_device* device, char** out_json, size_t* out_len,
                      parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto vault, d.Vault());
    return OutJson(parley::capi::VaultJson(vault), out_json, out_len);
  });
}

int parley_vault_create(parley_device* device, const char* name, size_t name_len,
                        parley_error* error) {
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view n, In(name, name_len, "name"));
    return d.CreateVault(n);
  });
}

int parley_take_recovery_key(parley_device* device, char** out, size_t* out_len,
                             parley_error* error) {
  Clear(out, out_len);
  return Call(device, error, false, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string key, d.TakeRecoveryKey());
    return Out(key, out, out_len);
  });
}

// ---- Records ----

namespace {

// A record id from a full id or a unique prefix.
Result<parley::log::RecordId> IdArg(parley::Device& d, const char* id, std::size_t id_len) {
  PARLEY_ASSIGN_OR_RETURN(std::string_view text, In(id, id_len, "id"));
  if (text.empty()) return ApiError(Code::kInvalidArgument, "the record id is empty");
  return d.ResolveId(text);
}

// The record's type when `type` is empty.
Result<std::string> TypeOf(parley::Device& d, const parley::log::RecordId& id,
                           std::string_view type) {
  if (!type.empty()) return std::string(type);
  PARLEY_ASSIGN_OR_RETURN(auto record, d.GetRecord(id));
  if (!record.has_value() || record->type.empty()) {
    return Status(parley::Domain::kModel, Code::kNotFound,
                  "no record with id " + parley::log::ToString(id));
  }
  return record->type;
}

}  // namespace

int parley_record_create(parley_device* device, const char* json, size_t json_len, char** out_json,
                         size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view text, In(json, json_len, "json"));
    PARLEY_ASSIGN_OR_RETURN(Json request, parley::capi::ParseObject(text));
    PARLEY_ASSIGN_OR_RETURN(auto id, parley::capi::CreateRecord(d, request));
    d.Wake();
    return OutJson(Json{{"id", parley::log::ToString(id)}}, out_json, out_len);
  });
}

int parley_record_edit(parley_device* device, const char* json, size_t json_len, char** out_json,
                       size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view text, In(json, json_len, "json"));
    PARLEY_ASSIGN_OR_RETURN(Json request, parley::capi::ParseObject(text));
    PARLEY_ASSIGN_OR_RETURN(std::string id_text, parley::capi::GetString(request, "id", true));
    PARLEY_ASSIGN_OR_RETURN(std::string type_text, parley::capi::GetString(request, "type", false));
    PARLEY_ASSIGN_OR_RETURN(auto id, d.ResolveId(id_text));
    PARLEY_ASSIGN_OR_RETURN(std::string type, TypeOf(d, id, type_text));
    auto it = request.find("fields");
    if (it == request.end() || !it->is_object()) {
      return ApiError(Code::kInvalidArgument, "the request needs \"fields\", a JSON object");
    }
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& [name, value] : it->items()) {
      if (value.is_null()) {
        fields.emplace_back(name, "");
      } else if (value.is_string()) {
        fields.emplace_back(name, value.get<std::string>());
      } else if (value.is_array()) {  // a list field: comma-separated when stored
        std::string joined;
        for (const auto& v : value) {
          if (!v.is_string())
            return ApiError(Code::kInvalidArgument, "field \"" + name + "\" must list strings");
          if (!joined.empty()) joined += ",";
          joined += v.get<std::string>();
        }
        fields.emplace_back(name, joined);
      } else {
        return ApiError(Code::kInvalidArgument, "field \"" + name + "\" must be a string");
      }
    }
    PARLEY_ASSIGN_OR_RETURN(auto written, d.model().Edit(id, type, fields));
    if (!written.empty()) d.Wake();
    return OutJson(Json{{"id", parley::log::ToString(id)}, {"written", written}}, out_json,
                   out_len);
  });
}

int parley_record_delete(parley_device* device, const char* id, size_t id_len, const char* type,
                         size_t type_len, char** out_json, size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto rid, IdArg(d, id, id_len));
    PARLEY_ASSIGN_OR_RETURN(std::string_view type_text, In(type, type_len, "type"));
    PARLEY_ASSIGN_OR_RETURN(std::string t, TypeOf(d, rid, type_text));
    PARLEY_ASSIGN_OR_RETURN(std::size_t n, d.model().Delete(rid, t));
    d.Wake();
    return OutJson(Json{{"deleted", n}}, out_json, out_len);
  });
}

int parley_record_list(parley_device* device, const char* json, size_t json_len, char** out_json,
                       size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view text, In(json, json_len, "json"));
    PARLEY_ASSIGN_OR_RETURN(Json request, parley::capi::ParseObject(text));
    using parley::capi::GetString;
    parley::model::ListQuery q;
    PARLEY_ASSIGN_OR_RETURN(q.type, GetString(request, "type", true));
    PARLEY_ASSIGN_OR_RETURN(std::string neg, GetString(request, "negotiation", false));
    if (!neg.empty()) {
      PARLEY_ASSIGN_OR_RETURN(q.negotiation, d.ResolveId(neg));
    }
    PARLEY_ASSIGN_OR_RETURN(q.kind, GetString(request, "kind", false));
    PARLEY_ASSIGN_OR_RETURN(q.status, GetString(request, "status", false));
    PARLEY_ASSIGN_OR_RETURN(q.since, GetString(request, "since", false));
    PARLEY_ASSIGN_OR_RETURN(q.until, GetString(request, "until", false));
    PARLEY_ASSIGN_OR_RETURN(q.author, GetString(request, "author", false));
    PARLEY_ASSIGN_OR_RETURN(std::uint64_t limit, parley::capi::GetUint(request, "limit", 50));
    PARLEY_ASSIGN_OR_RETURN(std::uint64_t offset, parley::capi::GetUint(request, "offset", 0));
    q.limit = static_cast<std::size_t>(limit);
    q.offset = static_cast<std::size_t>(offset);
    PARLEY_ASSIGN_OR_RETURN(auto page, d.model().List(q));
    Json records = Json::array();
    for (const auto& r : page.records) records.push_back(parley::capi::ListedJson(r));
    return OutJson(Json{{"total", page.total}, {"records", std::move(records)}}, out_json, out_len);
  });
}

int parley_record_show(parley_device* device, const char* id, size_t id_len, const char* type,
                       size_t type_len, char** out_json, size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto rid, IdArg(d, id, id_len));
    PARLEY_ASSIGN_OR_RETURN(std::string_view type_text, In(type, type_len, "type"));
    PARLEY_ASSIGN_OR_RETURN(std::string t, TypeOf(d, rid, type_text));
    PARLEY_ASSIGN_OR_RETURN(auto detail, d.model().Show(rid, t));
    return OutJson(parley::capi::DetailJson(detail), out_json, out_len);
  });
}

int parley_record_history(parley_device* device, const char* id, size_t id_len, char** out_json,
                          size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto rid, IdArg(d, id, id_len));
    PARLEY_ASSIGN_OR_RETURN(auto history, d.model().History(rid));
    return OutJson(parley::capi::HistoryJson(history), out_json, out_len);
  });
}

int parley_search(parley_device* device, const char* json, size_t json_len, char** out_json,
                  size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view text, In(json, json_len, "json"));
    PARLEY_ASSIGN_OR_RETURN(Json request, parley::capi::ParseObject(text));
    PARLEY_ASSIGN_OR_RETURN(std::string query, parley::capi::GetString(request, "query", true));
    parley::model::SearchOptions options;
    PARLEY_ASSIGN_OR_RETURN(std::string neg,
                            parley::capi::GetString(request, "negotiation", false));
    if (!neg.empty()) {
      PARLEY_ASSIGN_OR_RETURN(options.negotiation, d.ResolveId(neg));
    }
    PARLEY_ASSIGN_OR_RETURN(std::uint64_t limit, parley::capi::GetUint(request, "limit", 20));
    PARLEY_ASSIGN_OR_RETURN(std::uint64_t offset, parley::capi::GetUint(request, "offset", 0));
    options.limit = static_cast<std::size_t>(limit);
    options.offset = static_cast<std::size_t>(offset);
    PARLEY_ASSIGN_OR_RETURN(auto hits, d.model().Search(query, options));
    return OutJson(parley::capi::SearchJson(hits), out_json, out_len);
  });
}

int parley_bottom_line(parley_device* device, const char* negotiation_id, size_t id_len,
                       char** out_json, size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto rid, IdArg(d, negotiation_id, id_len));
    PARLEY_ASSIGN_OR_RETURN(auto report, d.model().BottomLine(rid));
    return OutJson(parley::capi::BottomLineJson(report), out_json, out_len);
  });
}

int parley_campaign_status_set(parley_device* device, const char* negotiation_id, size_t id_len,
                               const char* status, size_t status_len, char** out_json,
                               size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto rid, IdArg(d, negotiation_id, id_len));
    PARLEY_ASSIGN_OR_RETURN(std::string_view st, In(status, status_len, "status"));
    PARLEY_ASSIGN_OR_RETURN(auto warning, d.model().SetCampaignStatus(rid, st));
    d.Wake();
    return OutJson(Json{{"warning", std::string(parley::model::CampaignWarningName(warning))}},
                   out_json, out_len);
  });
}

int parley_conflicts(parley_device* device, char** out_json, size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto conflicts, d.model().Conflicts());
    return OutJson(parley::capi::ConflictsJson(conflicts), out_json, out_len);
  });
}

int parley_conflict_resolve(parley_device* device, const char* json, size_t json_len,
                            parley_error* error) {
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view text, In(json, json_len, "json"));
    PARLEY_ASSIGN_OR_RETURN(Json request, parley::capi::ParseObject(text));
    PARLEY_ASSIGN_OR_RETURN(std::string record, parley::capi::GetString(request, "record", true));
    PARLEY_ASSIGN_OR_RETURN(std::string field, parley::capi::GetString(request, "field", true));
    PARLEY_ASSIGN_OR_RETURN(auto rid, d.ResolveId(record));
    const bool has_value = request.contains("value");
    const bool has_version = request.contains("version");
    if (has_value == has_version) {
      return ApiError(Code::kInvalidArgument, "give either \"value\" or \"version\"");
    }
    if (has_value) {
      PARLEY_ASSIGN_OR_RETURN(std::string value, parley::capi::GetString(request, "value", true));
      PARLEY_RETURN_IF_ERROR(d.model().Resolve(rid, field, value));
    } else {
      PARLEY_ASSIGN_OR_RETURN(std::uint64_t version, parley::capi::GetUint(request, "version", 0));
      PARLEY_RETURN_IF_ERROR(d.model().ResolvePick(rid, field, static_cast<std::size_t>(version)));
    }
    d.Wake();
    return Status::Ok();
  });
}

// ---- Bundles ----

int parley_bundle_state(parley_device* device, char** out, size_t* out_len, parley_error* error) {
  Clear(out, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string state, d.BundleState());
    return Out(state, out, out_len);
  });
}

int parley_bundle_export(parley_device* device, const char* path, size_t path_len,
                         const char* since_state, size_t since_state_len, char** out_json,
                         size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view p, In(path, path_len, "path"));
    PARLEY_ASSIGN_OR_RETURN(std::string_view since,
                            In(since_state, since_state_len, "since_state"));
    if (p.empty()) return ApiError(Code::kInvalidArgument, "path is empty");
    PARLEY_ASSIGN_OR_RETURN(auto summary, d.ExportBundle(std::string(p), since));
    return OutJson(Json{{"changes", summary.changes}, {"bytes", summary.bytes}}, out_json, out_len);
  });
}

int parley_bundle_import(parley_device* device, const char* path, size_t path_len, char** out_json,
                         size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view p, In(path, path_len, "path"));
    if (p.empty()) return ApiError(Code::kInvalidArgument, "path is empty");
    PARLEY_ASSIGN_OR_RETURN(auto result, d.ImportBundle(std::string(p)));
    return OutJson(parley::capi::ImportJson(result), out_json, out_len);
  });
}

// ---- Enrolment and members ----

int parley_invite(parley_device* device, const char* pairing_code, size_t pairing_code_len,
                  uint8_t** out_invite, size_t* out_invite_len, char** out_json,
                  size_t* out_json_len, parley_error* error) {
  if (out_invite != nullptr) *out_invite = nullptr;
  if (out_invite_len != nullptr) *out_invite_len = 0;
  Clear(out_json, out_json_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view code,
                            In(pairing_code, pairing_code_len, "pairing_code"));
    PARLEY_ASSIGN_OR_RETURN(auto invite, d.Invite(code));
    std::string json = parley::capi::InviteJson(invite).dump();
    if (out_invite != nullptr) {
      auto* p =
          static_cast<uint8_t*>(std::malloc(invite.invite.empty() ? 1 : invite.invite.size()));
      if (p == nullptr) throw std::bad_alloc();
      if (!invite.invite.empty()) std::memcpy(p, invite.invite.data(), invite.invite.size());
      *out_invite = p;
      if (out_invite_len != nullptr) *out_invite_len = invite.invite.size();
    }
    return Out(json, out_json, out_json_len);
  });
}

int parley_join_with_invite(parley_device* device, const uint8_t* invite, size_t invite_len,
                            char** out_json, size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    if (invite == nullptr && invite_len != 0)
      return ApiError(Code::kInvalidArgument, "invite is NULL");
    PARLEY_ASSIGN_OR_RETURN(auto join,
                            d.JoinWithInvite(std::span<const std::uint8_t>(invite, invite_len)));
    return OutJson(parley::capi::JoinJson(join), out_json, out_len);
  });
}

int parley_join_through_relays(parley_device* device, const char* vault_id, size_t vault_id_len,
                               char** out_json, size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view vault, In(vault_id, vault_id_len, "vault_id"));
    PARLEY_ASSIGN_OR_RETURN(auto join, d.JoinThroughRelays(vault));
    return OutJson(parley::capi::JoinJson(join), out_json, out_len);
  });
}

int parley_members(parley_device* device, char** out_json, size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto members, d.Members());
    Json list = Json::array();
    for (const auto& m : members) list.push_back(parley::capi::MemberJson(m));
    return OutJson(Json{{"members", std::move(list)}}, out_json, out_len);
  });
}

namespace {

template <typename F>
int MemberCall(parley_device* device, const char* member, std::size_t member_len, char** out_json,
               std::size_t* out_len, parley_error* error, F&& op) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view who, In(member, member_len, "member"));
    PARLEY_ASSIGN_OR_RETURN(parley::MembershipChange change, op(d, who));
    return OutJson(Json{{"member", parley::capi::MemberJson(change.member)},
                        {"synced", parley::capi::SyncJson(change.synced)["relays"]}},
                   out_json, out_len);
  });
}

}  // namespace

int parley_member_promote(parley_device* device, const char* member, size_t member_len,
                          char** out_json, size_t* out_len, parley_error* error) {
  return MemberCall(device, member, member_len, out_json, out_len, error,
                    [](parley::Device& d, std::string_view who) { return d.Promote(who); });
}

int parley_member_demote(parley_device* device, const char* member, size_t member_len,
                         char** out_json, size_t* out_len, parley_error* error) {
  return MemberCall(device, member, member_len, out_json, out_len, error,
                    [](parley::Device& d, std::string_view who) { return d.Demote(who); });
}

int parley_member_revoke(parley_device* device, const char* member, size_t member_len,
                         char** out_json, size_t* out_len, parley_error* error) {
  return MemberCall(device, member, member_len, out_json, out_len, error,
                    [](parley::Device& d, std::string_view who) { return d.Revoke(who); });
}

// ---- Relays ----

int parley_relay_add(parley_device* device, const char* pairing_code, size_t pairing_code_len,
                     char** out_json, size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view code,
                            In(pairing_code, pairing_code_len, "pairing_code"));
    PARLEY_ASSIGN_OR_RETURN(auto relay, d.AddRelay(code));
    return OutJson(parley::capi::RelayJson(relay), out_json, out_len);
  });
}

int parley_relay_list(parley_device* device, char** out_json, size_t* out_len,
                      parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto relays, d.Relays());
    Json list = Json::array();
    for (const auto& r : relays) list.push_back(parley::capi::RelayJson(r));
    return OutJson(Json{{"relays", std::move(list)}}, out_json, out_len);
  });
}

int parley_relay_remove(parley_device* device, const char* relay, size_t relay_len, char** out_json,
                        size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(std::string_view which, In(relay, relay_len, "relay"));
    PARLEY_ASSIGN_OR_RETURN(auto removed, d.RemoveRelay(which));
    return OutJson(parley::capi::RelayJson(removed), out_json, out_len);
  });
}

// ---- Sync ----

int parley_sync(parley_device* device, char** out_json, size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    {
      std::lock_guard<std::mutex> lock(device->state_mu);
      device->syncing.fetch_add(1);
    }
    struct Done {
      parley_device* h;
      ~Done() {
        std::lock_guard<std::mutex> lock(h->state_mu);
        h->syncing.fetch_sub(1);
        h->state_cv.notify_all();
      }
    } done{device};
    PARLEY_ASSIGN_OR_RETURN(auto result, d.Sync());
    // A stop asked for during the exchange: every relay reports it.
    bool all_cancelled = !result.relays.empty();
    for (const auto& r : result.relays) {
      if (r.status.code() != Code::kCancelled) all_cancelled = false;
    }
    if (all_cancelled) return result.relays.front().status;
    return OutJson(parley::capi::SyncJson(result.relays), out_json, out_len);
  });
}

int parley_sync_start(parley_device* device, parley_error* error) {
  return Guard(error, [&]() -> Status {
    PARLEY_RETURN_IF_ERROR(Check(device));
    {
      Lease lease(device);
      PARLEY_RETURN_IF_ERROR(RequireUnlocked(device));
      PARLEY_RETURN_IF_ERROR(device->device->Relays().status());
    }
    std::thread old;
    {
      std::unique_lock<std::mutex> lock(device->state_mu);
      if (device->thread_running && !device->stop_requested) {
        return ApiError(Code::kAlreadyExists, "the background sync is already running");
      }
      // A stopped sync still winding down: wait for it, then start afresh.
      while (device->thread_running) {
        device->device->CancelSync();
        device->state_cv.wait_for(lock, std::chrono::milliseconds(20));
      }
      old = std::move(device->sync_thread);
    }
    if (old.joinable()) old.join();
    std::lock_guard<std::mutex> lock(device->state_mu);
    device->stop_requested = false;
    device->retry_at = Clock::now();
    device->thread_running = true;
    device->sync_thread = std::thread(SyncLoop, device);
    return Status::Ok();
  });
}

int parley_sync_stop(parley_device* device, int64_t deadline_ms, int* stopped,
                     parley_error* error) {
  if (stopped != nullptr) *stopped = 0;
  return Guard(error, [&]() -> Status {
    if (device == nullptr) return ApiError(Code::kInvalidArgument, "device is NULL");
    // From a callback of this device (the sync itself runs there) only an asynchronous stop.
    const bool ok = StopSyncs(device, tl_held == device ? 0 : deadline_ms);
    if (stopped != nullptr) *stopped = ok ? 1 : 0;
    return Status::Ok();
  });
}

void parley_network_changed(parley_device* device, int available) {
  if (device == nullptr) return;
  try {
    std::lock_guard<std::mutex> lock(device->state_mu);
    const bool now = available != 0;
    if (device->network == now) return;
    device->network = now;
    if (!now && device->watching.load()) device->device->CancelSync();
    if (now) device->retry_at = Clock::now();  // back online: no backoff wait
    device->state_cv.notify_all();
  } catch (...) {
  }
}

void parley_wake(parley_device* device) {
  if (device == nullptr) return;
  device->device->Wake();
}

int parley_sync_state(parley_device* device) {
  if (device == nullptr) return PARLEY_SYNC_STOPPED;
  return device->state.load();
}

int parley_status(parley_device* device, char** out_json, size_t* out_len, parley_error* error) {
  Clear(out_json, out_len);
  return Call(device, error, true, [&](parley::Device& d) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto status, d.SyncStatus());
    Json j = parley::capi::StatusReportJson(status);
    j["sync_state"] = device->state.load();
    return OutJson(j, out_json, out_len);
  });
}

int parley_set_event_handler(parley_device* device, parley_event_fn handler, void* context,
                             parley_error* error) {
  return Guard(error, [&]() -> Status {
    if (device == nullptr) return ApiError(Code::kInvalidArgument, "device is NULL");
    std::lock_guard<std::mutex> lock(device->handler_mu);
    device->handler = handler;
    device->handler_context = handler == nullptr ? nullptr : context;
    return Status::Ok();
  });
}
