/* parley.h: the C ABI of Parley (docs/c-api.md).
 *
 * A plain C99 header over the Device API (sync/include/parley/device.h), for Android (JNI),
 * iOS (Swift/Objective-C) and any language with a C foreign-function interface.
 *
 * CONVENTIONS (every function follows them)
 *
 * Errors. Every function that can fail returns an int: PARLEY_OK (0) or one of the
 * parley_code values, and fills the caller-owned `parley_error* error` (which may be NULL:
 * the details are then dropped). On success error->code is PARLEY_OK, error->domain
 * PARLEY_DOMAIN_NONE and error->message "". No function throws, aborts on bad input or
 * lets a C++ exception cross this boundary: an unexpected failure inside the library is
 * PARLEY_INTERNAL. NULL where a value is required is PARLEY_INVALID_ARGUMENT in
 * PARLEY_DOMAIN_API.
 *
 * Strings in. Every string argument is a pointer and a length in bytes, UTF-8. A length of
 * PARLEY_NUL_TERMINATED means "NUL-terminated, measure it". A NULL pointer with length 0
 * is the empty string. Input strings and buffers are borrowed for the call only.
 *
 * Results out. Strings and buffers the library returns are allocated by the library and
 * owned by the caller, who frees each exactly once with parley_free(). They come as
 * `char** out` (always NUL-terminated, also when the length is given) with an optional
 * `size_t* out_len` (bytes, excluding the NUL; may be NULL). On failure *out is set to NULL.
 * Structured results are JSON text (one object; docs/c-api.md lists every shape).
 * Records, queries and edits are passed in as JSON text too.
 *
 * Handles. A parley_device is opaque; parley_device_open() makes one, parley_device_free()
 * destroys it (stopping a background sync and locking the device first).
 *
 * Threads. Any thread may call any function on a parley_device; the library serializes the
 * calls on one device (one at a time; a call made while a background sync runs pauses that
 * sync, runs, and lets the sync resume). parley_wake(), parley_network_changed() and
 * parley_sync_stop() never wait for other calls. Distinct devices are independent.
 * From a callback (event handler, key store) only parley_wake(), parley_network_changed(),
 * parley_sync_state() and parley_sync_stop() (which then does not wait) may be called on
 * the same device; any other call on it returns PARLEY_BUSY at once (never deadlocks).
 *
 * Callbacks carry the `void* context` given when they were set, untouched. The thread each
 * one runs on is documented with it.
 */
#ifndef PARLEY_PARLEY_H
#define PARLEY_PARLEY_H

#include <stddef.h>
#include <stdint.h>

#include "parley/parley_version.h"

#if defined(_WIN32)
#if defined(PARLEY_C_BUILDING)
#define PARLEY_EXPORT __declspec(dllexport)
#elif defined(PARLEY_C_STATIC)
#define PARLEY_EXPORT
#else
#define PARLEY_EXPORT __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define PARLEY_EXPORT __attribute__((visibility("default")))
#else
#define PARLEY_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Errors ---------------------------------------------------------------------------- */

/* What went wrong. Stable numbers (the same as the C++ parley::Code). */
enum parley_code {
  PARLEY_OK = 0,
  PARLEY_INVALID_ARGUMENT = 1, /* malformed input: NULL, bad JSON, bad value */
  PARLEY_NOT_FOUND = 2,
  PARLEY_ALREADY_EXISTS = 3,
  PARLEY_CORRUPT = 4, /* tampered or corrupt data */
  PARLEY_WRONG_PASSPHRASE = 5,
  PARLEY_MISSING_SECRET = 6, /* the key store has no secret for this store */
  PARLEY_IO_ERROR = 7,
  PARLEY_DISK_FULL = 8,
  PARLEY_BUSY = 9,    /* another process holds the store; or a callback re-entered */
  PARLEY_LOCKED = 10, /* the device is locked: unlock first */
  PARLEY_UNSUPPORTED = 11,
  PARLEY_PERMISSION_DENIED = 12, /* not a member, not an admin, revoked */
  PARLEY_CONFLICT = 13,
  PARLEY_INTERNAL = 14,
  PARLEY_UNAVAILABLE = 15, /* network or relay unavailable: retry later */
  PARLEY_CANCELLED = 16,   /* parley_sync_stop() stopped it */
  PARLEY_THROTTLED = 17,   /* too many failed unlocks: wait (the message says how long) */
  PARLEY_WIPED = 18        /* the store destroyed itself; nothing is left */
};

/* Where an error comes from. Stable numbers (the same as the C++ parley::Domain). */
enum parley_domain {
  PARLEY_DOMAIN_NONE = 0,
  PARLEY_DOMAIN_PLATFORM = 1, /* files, clock, key store, transport */
  PARLEY_DOMAIN_CRYPTO = 2,
  PARLEY_DOMAIN_STORE = 3, /* the encrypted store and its keys */
  PARLEY_DOMAIN_LOG = 4,   /* changes, merge, bundles */
  PARLEY_DOMAIN_MODEL = 5, /* the negotiation model */
  PARLEY_DOMAIN_SYNC = 6,  /* wire, relays */
  PARLEY_DOMAIN_APP = 7,
  PARLEY_DOMAIN_API = 8 /* this C ABI: NULL arguments, bad JSON, re-entry */
};

#define PARLEY_ERROR_MESSAGE_SIZE 512

/* Caller-owned (stack or heap); the library only writes into it. `message` is one English
 * line, NUL-terminated, cut at a UTF-8 character boundary to fit. Never holds a secret. */
typedef struct parley_error {
  int32_t domain; /* enum parley_domain */
  int32_t code;   /* enum parley_code */
  char message[PARLEY_ERROR_MESSAGE_SIZE];
} parley_error;

/* "locked", "wrong_passphrase", ...; "platform", "store", ... Static strings: never free. */
PARLEY_EXPORT const char* parley_code_name(int code);
PARLEY_EXPORT const char* parley_domain_name(int domain);

/* ---- Memory, version ------------------------------------------------------------------- */

#define PARLEY_NUL_TERMINATED ((size_t)-1)

/* Frees a string or buffer the library returned. NULL is fine. Any thread. */
PARLEY_EXPORT void parley_free(void* p);

/* PARLEY_VERSION_STRING of the library actually loaded (static string: never free). */
PARLEY_EXPORT const char* parley_version(void);
/* (major << 16) | (minor << 8) | patch of the library actually loaded. */
PARLEY_EXPORT uint32_t parley_version_number(void);

/* ---- Host hooks: the key store (Keychain, Android Keystore) ----------------------------- */

/* The platform key store, supplied by the host. Each function gets `context` unchanged and
 * returns PARLEY_OK or a parley_code. Names are short ASCII ([A-Za-z0-9._-]).
 *   put:   stores `secret` under `name`, replacing any previous one; durable on return.
 *   get:   copies the secret named `name` into `buffer` (capacity bytes) and sets
 *          *secret_len to its size. When the secret is larger than `capacity`, set
 *          *secret_len to its size and return PARLEY_OK without copying: the library calls
 *          again with a buffer that large. PARLEY_MISSING_SECRET when there is none.
 *   erase: destroys the secret; PARLEY_OK when absent.
 * Thread: the thread of the parley_* call that needs the key (create, unlock,
 * change_passphrase, wipe), never concurrently for one device. The struct is copied by
 * parley_device_open(); `context` must stay valid until parley_device_free() returns. */
typedef struct parley_key_store {
  void* context;
  int (*put)(void* context, const char* name, size_t name_len, const uint8_t* secret,
             size_t secret_len);
  int (*get)(void* context, const char* name, size_t name_len, uint8_t* buffer, size_t capacity,
             size_t* secret_len);
  int (*erase)(void* context, const char* name, size_t name_len);
} parley_key_store;

/* ---- Opening a device ------------------------------------------------------------------ */

typedef struct parley_device parley_device;

/* Options of parley_device_open(). Initialize with parley_open_options_init() and set what
 * differs; the library reads only the first `struct_size` bytes (newer fields default). */
typedef struct parley_open_options {
  size_t struct_size;
  /* NULL: a file key store (one 0600 file per secret) in key_store_dir. */
  const parley_key_store* key_store;
  /* For the file key store; empty: $PARLEY_KEYSTORE, else $XDG_CONFIG_HOME/parley/keystore,
   * else $HOME/.config/parley/keystore. */
  const char* key_store_dir;
  size_t key_store_dir_len;
  /* Reconnection backoff of the sync client (exponential, with jitter); 0: the defaults. */
  int64_t backoff_base_ms;
  int64_t backoff_cap_ms;
  int64_t connect_timeout_ms; /* 0: default */
  int64_t io_timeout_ms;      /* 0: default */
} parley_open_options;

PARLEY_EXPORT void parley_open_options_init(parley_open_options* options);

/* True (1) when `data_dir` holds a Parley store, 0 otherwise (also on bad arguments). */
PARLEY_EXPORT int parley_store_exists(const char* data_dir, size_t data_dir_len);

/* A locked handle on `data_dir` (created when missing on parley_device_create); reads no
 * key yet. `options` may be NULL (defaults). *out receives the handle (NULL on failure);
 * free it with parley_device_free(). */
PARLEY_EXPORT int parley_device_open(const char* data_dir, size_t data_dir_len,
                                     const parley_open_options* options, parley_device** out,
                                     parley_error* error);

/* Stops a background sync (waiting for it), locks (zeroes every key) and frees. NULL is fine.
 * Not from a callback of this device. */
PARLEY_EXPORT void parley_device_free(parley_device* device);

/* ---- Lifecycle -------------------------------------------------------------------------- */

typedef struct parley_create_options {
  size_t struct_size;
  /* Argon2id cost of the passphrase; 0: the defaults (about 0.5 s). Never below the floor. */
  uint64_t argon2_ops;
  uint64_t argon2_mem_bytes;
  /* With a vault: issue its recovery key (parley_take_recovery_key()). Default 1. */
  int32_t issue_recovery_key;
  /* Wipe the store after this many consecutive failed unlocks; 0 (default): never. */
  uint32_t wipe_after;
} parley_create_options;

PARLEY_EXPORT void parley_create_options_init(parley_create_options* options);

/* Creates the store (and a vault named `vault_name` when not empty; this device is then its
 * admin) and leaves the device unlocked. `options` may be NULL. PARLEY_ALREADY_EXISTS when
 * a store is there; PARLEY_INVALID_ARGUMENT for a passphrase below the strength floor. */
PARLEY_EXPORT int parley_device_create(parley_device* device, const char* device_name,
                                       size_t device_name_len, const char* vault_name,
                                       size_t vault_name_len, const char* passphrase,
                                       size_t passphrase_len, const parley_create_options* options,
                                       parley_error* error);
/* PARLEY_NOT_FOUND (no store), PARLEY_WRONG_PASSPHRASE, PARLEY_THROTTLED, PARLEY_WIPED,
 * PARLEY_MISSING_SECRET, PARLEY_CORRUPT, PARLEY_BUSY. */
PARLEY_EXPORT int parley_device_unlock(parley_device* device, const char* passphrase,
                                       size_t passphrase_len, parley_error* error);
/* Stops a background sync, checkpoints, closes and zeroes every key. Idempotent. */
PARLEY_EXPORT int parley_device_lock(parley_device* device, parley_error* error);
/* Panic wipe, no passphrase: keys first (crypto-erase), then every file. The handle stays
 * valid (locked, nothing to unlock); free it as usual. */
PARLEY_EXPORT int parley_device_wipe(parley_device* device, parley_error* error);
/* 1 when unlocked, 0 when locked (or device NULL, or called from a callback of it). */
PARLEY_EXPORT int parley_device_is_unlocked(parley_device* device);
PARLEY_EXPORT int parley_device_change_passphrase(parley_device* device, const char* current,
                                                  size_t current_len, const char* next,
                                                  size_t next_len, parley_error* error);

/* ---- This device and its vault (unlocked; PARLEY_LOCKED otherwise) ---------------------- */

PARLEY_EXPORT int parley_device_name(parley_device* device, char** out, size_t* out_len,
                                     parley_error* error);
/* "parley-device:...": what an admin needs to invite this device. */
PARLEY_EXPORT int parley_pairing_code(parley_device* device, char** out, size_t* out_len,
                                      parley_error* error);
/* JSON {"id":"<64 hex>","name":"..."}, or the JSON literal null when in no vault yet. */
PARLEY_EXPORT int parley_vault_info(parley_device* device, char** out_json, size_t* out_len,
                                    parley_error* error);
PARLEY_EXPORT int parley_vault_create(parley_device* device, const char* name, size_t name_len,
                                      parley_error* error);
/* The recovery key issued by the last create (with a vault) or vault_create of this handle,
 * once: a second call (or one after lock) is PARLEY_NOT_FOUND. Show it once; never store. */
PARLEY_EXPORT int parley_take_recovery_key(parley_device* device, char** out, size_t* out_len,
                                           parley_error* error);

/* ---- Records (JSON shapes: docs/c-api.md "Records") ------------------------------------ */

/* Creates one record. in: {"type":"note","negotiation":"<id>","fields":{"text":"..."}}
 * (no "negotiation" for a negotiation). out: {"id":"<32 hex>"}. */
PARLEY_EXPORT int parley_record_create(parley_device* device, const char* json, size_t json_len,
                                       char** out_json, size_t* out_len, parley_error* error);
/* Sets the given fields of a record. in: {"id":"<id or prefix>","type":"note",
 * "fields":{"text":"..."}}. out: {"written":["text"]}. */
PARLEY_EXPORT int parley_record_edit(parley_device* device, const char* json, size_t json_len,
                                     char** out_json, size_t* out_len, parley_error* error);
/* Deletes a record (a negotiation with every record of it). out: {"deleted":N}. */
PARLEY_EXPORT int parley_record_delete(parley_device* device, const char* id, size_t id_len,
                                       const char* type, size_t type_len, char** out_json,
                                       size_t* out_len, parley_error* error);
/* Lists with filters and paging. in: {"type":"note","negotiation":"...","kind":"...",
 * "status":"...","since":"YYYY-MM-DD","until":"...","author":"...","limit":50,"offset":0}.
 * out: {"total":N,"records":[record...]}. */
PARLEY_EXPORT int parley_record_list(parley_device* device, const char* json, size_t json_len,
                                     char** out_json, size_t* out_len, parley_error* error);
/* Everything about one record. `type` may be empty (any type). out: record detail. */
PARLEY_EXPORT int parley_record_show(parley_device* device, const char* id, size_t id_len,
                                     const char* type, size_t type_len, char** out_json,
                                     size_t* out_len, parley_error* error);
/* A record's history (every operation, oldest first). out: {"history":[...]}. */
PARLEY_EXPORT int parley_record_history(parley_device* device, const char* id, size_t id_len,
                                        char** out_json, size_t* out_len, parley_error* error);
/* Full-text search. in: {"query":"words","negotiation":"...","limit":20,"offset":0}.
 * out: {"hits":[...]}. */
PARLEY_EXPORT int parley_search(parley_device* device, const char* json, size_t json_len,
                                char** out_json, size_t* out_len, parley_error* error);
/* The bottom-line report of a negotiation. out: {"verdict":"meets"|...,"elements":[...],...}. */
PARLEY_EXPORT int parley_bottom_line(parley_device* device, const char* negotiation_id,
                                     size_t id_len, char** out_json, size_t* out_len,
                                     parley_error* error);
/* Sets a negotiation's campaign status. out: {"warning":"none"|...}. */
PARLEY_EXPORT int parley_campaign_status_set(parley_device* device, const char* negotiation_id,
                                             size_t id_len, const char* status, size_t status_len,
                                             char** out_json, size_t* out_len, parley_error* error);
/* Every conflicted field. out: {"conflicts":[{"record","type","field","values":[...]}]}. */
PARLEY_EXPORT int parley_conflicts(parley_device* device, char** out_json, size_t* out_len,
                                   parley_error* error);
/* Resolves a field. in: {"record":"<id>","field":"text","value":"..."} or
 * {"record":"<id>","field":"text","version":1} (1 = the first listed version). */
PARLEY_EXPORT int parley_conflict_resolve(parley_device* device, const char* json, size_t json_len,
                                          parley_error* error);

/* ---- Bundles (offline transfer) --------------------------------------------------------- */

/* What this device holds, as a "parley-state:" code. */
PARLEY_EXPORT int parley_bundle_state(parley_device* device, char** out, size_t* out_len,
                                      parley_error* error);
/* Writes what a holder of `since_state` lacks (everything when empty) to `path`. */
PARLEY_EXPORT int parley_bundle_export(parley_device* device, const char* path, size_t path_len,
                                       const char* since_state, size_t since_state_len,
                                       char** out_json, size_t* out_len, parley_error* error);
/* Verifies and applies a bundle file; emits events. out: {"applied":N,...,"conflicts":N}. */
PARLEY_EXPORT int parley_bundle_import(parley_device* device, const char* path, size_t path_len,
                                       char** out_json, size_t* out_len, parley_error* error);

/* ---- Enrolment and members -------------------------------------------------------------- */

/* On an admin: approves the device whose pairing code is given and publishes the invite to
 * every pinned relay. *out_invite receives the invite file's bytes (free with parley_free);
 * out_json: {"vault_id","safety_code","relays":[{"relay","ok","code","message"}]}.
 * out_invite and out_json may each be NULL when not wanted. */
PARLEY_EXPORT int parley_invite(parley_device* device, const char* pairing_code,
                                size_t pairing_code_len, uint8_t** out_invite,
                                size_t* out_invite_len, char** out_json, size_t* out_json_len,
                                parley_error* error);
/* On a new device: accepts an invite's bytes. out: {"vault":{"id","name"},"inviter",...}. */
PARLEY_EXPORT int parley_join_with_invite(parley_device* device, const uint8_t* invite,
                                          size_t invite_len, char** out_json, size_t* out_len,
                                          parley_error* error);
/* On a new device with pinned relays: fetches its invite from them, joins and syncs.
 * `vault_id` may be empty (any vault). */
PARLEY_EXPORT int parley_join_through_relays(parley_device* device, const char* vault_id,
                                             size_t vault_id_len, char** out_json, size_t* out_len,
                                             parley_error* error);
/* out: {"members":[{"name","id","admin","revoked","is_self",...}]}. */
PARLEY_EXPORT int parley_members(parley_device* device, char** out_json, size_t* out_len,
                                 parley_error* error);
/* On an admin: `member` is a name or an id prefix (4+ hex). Each publishes with one sync.
 * out: {"member":{...},"synced":[...]}. */
PARLEY_EXPORT int parley_member_promote(parley_device* device, const char* member,
                                        size_t member_len, char** out_json, size_t* out_len,
                                        parley_error* error);
PARLEY_EXPORT int parley_member_demote(parley_device* device, const char* member, size_t member_len,
                                       char** out_json, size_t* out_len, parley_error* error);
PARLEY_EXPORT int parley_member_revoke(parley_device* device, const char* member, size_t member_len,
                                       char** out_json, size_t* out_len, parley_error* error);

/* ---- Relays ----------------------------------------------------------------------------- */

/* Pins a relay from its "parley-relay:..." pairing code. out: relay JSON. */
PARLEY_EXPORT int parley_relay_add(parley_device* device, const char* pairing_code,
                                   size_t pairing_code_len, char** out_json, size_t* out_len,
                                   parley_error* error);
/* out: {"relays":[{"id","label","address","public_key","cursor","head_seq",...}]}. */
PARLEY_EXPORT int parley_relay_list(parley_device* device, char** out_json, size_t* out_len,
                                    parley_error* error);
/* `relay`: its address, label, pairing code or a key prefix. out: the removed relay. */
PARLEY_EXPORT int parley_relay_remove(parley_device* device, const char* relay, size_t relay_len,
                                      char** out_json, size_t* out_len, parley_error* error);

/* ---- Sync ------------------------------------------------------------------------------- */

/* One exchange with every pinned relay, on the calling thread (events on it too).
 * out: {"relays":[{"relay","ok","code","message","pushed","pulled","conflicts",...}]}.
 * PARLEY_NOT_FOUND when no relay is pinned; PARLEY_CANCELLED when parley_sync_stop() stopped
 * it (what was applied stays applied; the next sync resumes from there). Per-relay failures
 * are in the JSON. With `out_json` NULL the result is dropped. */
PARLEY_EXPORT int parley_sync(parley_device* device, char** out_json, size_t* out_len,
                              parley_error* error);

/* Starts the background sync on a thread the library owns: it stays connected to every
 * pinned relay, pushes local changes at once, receives the others' as they arrive and
 * reports through the event handler (on that thread). It connects at once when the network
 * is (or comes back) available, waits without polling while it is not
 * (parley_network_changed), and retries failures with exponential backoff and jitter.
 * PARLEY_ALREADY_EXISTS when already running; PARLEY_LOCKED when locked. */
PARLEY_EXPORT int parley_sync_start(parley_device* device, parley_error* error);

/* Asks a running sync (background or a parley_sync() on another thread) to stop and waits
 * at most `deadline_ms` milliseconds (0: do not wait) for it to let go. *stopped (may be
 * NULL) is 1 when no sync runs any more on return, 0 when it still winds down (it stops at
 * its next wait; nothing is half applied either way). Returns PARLEY_OK either way. The
 * background sync does not restart by itself: call parley_sync_start() again. */
PARLEY_EXPORT int parley_sync_stop(parley_device* device, int64_t deadline_ms, int* stopped,
                                   parley_error* error);

/* The host's connectivity: available = 1 when the network is usable, 0 when not. While 0
 * the background sync holds no connection and does not retry; on 1 it connects at once
 * (no backoff wait). Starts as 1. Any thread, never blocks. */
PARLEY_EXPORT void parley_network_changed(parley_device* device, int available);

/* A watching device pushes local changes now (they are pushed after every local write
 * made through this API anyway). Any thread, never blocks. */
PARLEY_EXPORT void parley_wake(parley_device* device);

/* Background sync states (PARLEY_EVENT_SYNC_STATE, parley_sync_state()). */
enum parley_sync_state {
  PARLEY_SYNC_STOPPED = 0,         /* no background sync */
  PARLEY_SYNC_WAITING_NETWORK = 1, /* started; the network is unavailable */
  PARLEY_SYNC_CONNECTING = 2,      /* started; connecting or exchanging */
  PARLEY_SYNC_BACKOFF = 3,         /* started; waiting retry_ms before trying again */
  PARLEY_SYNC_PAUSED = 4           /* started; another call on the device is running */
};
PARLEY_EXPORT int parley_sync_state(parley_device* device);

/* Where this device's changes stand: {"vault","relays":[{...,"waiting"}],"own_changes",
 * "own_acknowledged","gaps":[...],"devices":[...]}. */
PARLEY_EXPORT int parley_status(parley_device* device, char** out_json, size_t* out_len,
                                parley_error* error);

/* ---- Events ------------------------------------------------------------------------------ */

enum parley_event_kind {
  PARLEY_EVENT_CHANGES_ARRIVED = 1,   /* `count` new changes applied (from `relay`, or a bundle) */
  PARLEY_EVENT_CONFLICTS_CHANGED = 2, /* the number of conflicted fields is now `count` */
  PARLEY_EVENT_CONNECTED = 3,         /* background sync connected to `relay` */
  PARLEY_EVENT_DISCONNECTED = 4,      /* lost `relay` (code/message why); retry in `retry_ms` */
  PARLEY_EVENT_SYNCED = 5,            /* an exchange with `relay` moved something (`json`) */
  PARLEY_EVENT_REVOKED_AND_WIPED = 6, /* the vault revoked this device: keys and data destroyed */
  PARLEY_EVENT_SYNC_STATE = 7         /* the background sync is now `sync_state` */
};

/* One event. Every pointer is valid only during the callback (copy what you keep);
 * strings are NUL-terminated and never NULL ("" when absent). */
typedef struct parley_event {
  int32_t kind;      /* enum parley_event_kind */
  const char* relay; /* relay label, "" when none */
  uint64_t count;
  int32_t domain; /* DISCONNECTED, SYNC_STATE (why it stopped): the error; 0 otherwise */
  int32_t code;
  const char* message;
  int64_t retry_ms;   /* DISCONNECTED, SYNC_STATE BACKOFF */
  int32_t sync_state; /* SYNC_STATE: enum parley_sync_state */
  const char* json; /* SYNCED: the relay result; REVOKED_AND_WIPED: {"by","by_name","at_ms"}; "" */
} parley_event;

/* Called on the thread that runs the call causing the event: the caller's thread for
 * parley_sync(), parley_bundle_import(), enrolment and member calls; the library's sync
 * thread for the background sync. Events from one thread come one at a time;
 * the sync thread's SYNC_STATE events may overlap a call's events on another thread. `handler` NULL
 * removes it. `context` is passed back unchanged and must stay valid until the handler is replaced
 * or the device freed. */
typedef void (*parley_event_fn)(void* context, const parley_event* event);
PARLEY_EXPORT int parley_set_event_handler(parley_device* device, parley_event_fn handler,
                                           void* context, parley_error* error);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PARLEY_PARLEY_H */
