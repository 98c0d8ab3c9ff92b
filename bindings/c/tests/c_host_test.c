/* The plain-C host test: links only libparley.so and drives two devices through a real
 * parley-relay process, as a phone app would.
 *   usage: parley_c_host_test PARLEY_RELAY_BINARY SCRATCH_DIR
 * Alice creates a vault, invites Bob (who joins through the relay), each writes a note,
 * both sync and see the other's; a concurrent edit gives a conflict that Bob resolves; Bob's
 * background sync receives Alice's next note (and pauses while the network is away); Alice
 * revokes Bob, and Bob is wiped on his next sync. Exits 0 when every check passes. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parley/parley.h"
#include "relay_child.h"

static int g_failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++g_failures;                                                            \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

#define S(text) text, PARLEY_NUL_TERMINATED
static const char kPass[] = "correct horse battery staple orbit";

/* ---- An in-memory key store (the host's Keychain/Keystore) ---- */

typedef struct {
  char name[8][64];
  uint8_t secret[8][256];
  size_t len[8];
  int used[8];
  int puts, gets, erases;
} mem_key_store;

static int ks_find(mem_key_store* ks, const char* name, size_t name_len) {
  int i;
  for (i = 0; i < 8; ++i) {
    if (ks->used[i] && strlen(ks->name[i]) == name_len && memcmp(ks->name[i], name, name_len) == 0)
      return i;
  }
  return -1;
}

static int ks_put(void* ctx, const char* name, size_t name_len, const uint8_t* secret,
                  size_t secret_len) {
  mem_key_store* ks = (mem_key_store*)ctx;
  int i = ks_find(ks, name, name_len);
  ks->puts++;
  if (name_len >= 64 || secret_len > 256) return PARLEY_INVALID_ARGUMENT;
  if (i < 0) {
    for (i = 0; i < 8 && ks->used[i]; ++i) {
    }
    if (i == 8) return PARLEY_DISK_FULL;
  }
  memcpy(ks->name[i], name, name_len);
  ks->name[i][name_len] = '\0';
  memcpy(ks->secret[i], secret, secret_len);
  ks->len[i] = secret_len;
  ks->used[i] = 1;
  return PARLEY_OK;
}

static int ks_get(void* ctx, const char* name, size_t name_len, uint8_t* buffer, size_t capacity,
                  size_t* len) {
  mem_key_store* ks = (mem_key_store*)ctx;
  int i = ks_find(ks, name, name_len);
  ks->gets++;
  if (i < 0) return PARLEY_MISSING_SECRET;
  *len = ks->len[i];
  if (ks->len[i] <= capacity) memcpy(buffer, ks->secret[i], ks->len[i]);
  return PARLEY_OK;
}

static int ks_erase(void* ctx, const char* name, size_t name_len) {
  mem_key_store* ks = (mem_key_store*)ctx;
  int i = ks_find(ks, name, name_len);
  ks->erases++;
  if (i >= 0) {
    memset(ks->secret[i], 0, sizeof ks->secret[i]);
    ks->used[i] = 0;
  }
  return PARLEY_OK;
}

/* ---- Events, waited for with a condition variable ---- */

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  unsigned long long arrived; /* changes arrived, summed */
  int conflicts_events;
  unsigned long long conflicts; /* last count */
  int revoked;
  int connected;
  int waiting_network;
  int stopped_state;
} events;

static void on_event(void* ctx, const parley_event* e) {
  events* ev = (events*)ctx;
  pthread_mutex_lock(&ev->mu);
  switch (e->kind) {
    case PARLEY_EVENT_CHANGES_ARRIVED:
      ev->arrived += e->count;
      break;
    case PARLEY_EVENT_CONFLICTS_CHANGED:
      ev->conflicts_events++;
      ev->conflicts = e->count;
      break;
    case PARLEY_EVENT_REVOKED_AND_WIPED:
      ev->revoked++;
      break;
    case PARLEY_EVENT_CONNECTED:
      ev->connected++;
      break;
    case PARLEY_EVENT_SYNC_STATE:
      if (e->sync_state == PARLEY_SYNC_WAITING_NETWORK) ev->waiting_network++;
      if (e->sync_state == PARLEY_SYNC_STOPPED) ev->stopped_state++;
      break;
    default:
      break;
  }
  pthread_cond_broadcast(&ev->cv);
  pthread_mutex_unlock(&ev->mu);
}

/* Waits (60 s at most) until *counter >= target. */
static int wait_for(events* ev, const void* counter, int is_ull, unsigned long long target) {
  struct timespec deadline;
  int ok = 0;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  pthread_mutex_lock(&ev->mu);
  for (;;) {
    unsigned long long now =
        is_ull ? *(const unsigned long long*)counter : (unsigned long long)*(const int*)counter;
    if (now >= target) {
      ok = 1;
      break;
    }
    if (pthread_cond_timedwait(&ev->cv, &ev->mu, &deadline) != 0) break;
  }
  pthread_mutex_unlock(&ev->mu);
  return ok;
}

/* ---- Tiny JSON readers (enough for the shapes checked here) ---- */

/* Copies the string value of the first "key":"..." into out. */
static int json_string(const char* json, const char* key, char* out, size_t size) {
  char pattern[128];
  const char* p;
  size_t n = 0;
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  p = strstr(json, pattern);
  if (p == NULL) return 0;
  p += strlen(pattern);
  while (p[n] != '\0' && p[n] != '"' && n + 1 < size) {
    out[n] = p[n];
    ++n;
  }
  out[n] = '\0';
  return 1;
}

static long long json_int(const char* json, const char* key) {
  char pattern[128];
  const char* p;
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  p = strstr(json, pattern);
  if (p == NULL) return -1;
  return atoll(p + strlen(pattern));
}

/* ---- Steps ---- */

typedef struct {
  const char* name;
  parley_device* dev;
  mem_key_store ks;
  events ev;
} device;

static void open_device(device* d, const char* name, const char* dir) {
  parley_open_options options;
  parley_key_store hooks;
  parley_error err;
  memset(d, 0, sizeof *d);
  d->name = name;
  pthread_mutex_init(&d->ev.mu, NULL);
  pthread_cond_init(&d->ev.cv, NULL);
  hooks.context = &d->ks;
  hooks.put = ks_put;
  hooks.get = ks_get;
  hooks.erase = ks_erase;
  parley_open_options_init(&options);
  options.key_store = &hooks; /* copied by open */
  options.backoff_base_ms = 50;
  options.backoff_cap_ms = 1000;
  CHECK(parley_device_open(S(dir), &options, &d->dev, &err) == PARLEY_OK);
  CHECK(d->dev != NULL);
  CHECK(parley_set_event_handler(d->dev, on_event, &d->ev, &err) == PARLEY_OK);
}

static void create(device* d, const char* vault) {
  parley_create_options c;
  parley_error err;
  parley_create_options_init(&c);
  c.argon2_ops = 2; /* the floor: a test, not a phone */
  c.argon2_mem_bytes = 19u << 20;
  c.issue_recovery_key = 0;
  if (parley_device_create(d->dev, S(d->name), S(vault), S(kPass), &c, &err) != PARLEY_OK) {
    fprintf(stderr, "create %s: %s\n", d->name, err.message);
    exit(1);
  }
}

/* Creates a record; returns its id in id_out (33 bytes). */
static void create_record(device* d, const char* json, char* id_out) {
  char* out = NULL;
  size_t len = 0;
  parley_error err;
  if (parley_record_create(d->dev, S(json), &out, &len, &err) != PARLEY_OK) {
    fprintf(stderr, "record_create on %s: %s\n", d->name, err.message);
    exit(1);
  }
  CHECK(len == strlen(out));
  CHECK(json_string(out, "id", id_out, 33));
  CHECK(strlen(id_out) == 32);
  parley_free(out);
}

static void sync_once(device* d) {
  char* out = NULL;
  parley_error err;
  if (parley_sync(d->dev, &out, NULL, &err) != PARLEY_OK) {
    fprintf(stderr, "sync of %s: %s/%s: %s\n", d->name, parley_domain_name(err.domain),
            parley_code_name(err.code), err.message);
    exit(1);
  }
  CHECK(strstr(out, "\"ok\":true") != NULL);
  parley_free(out);
}

/* The newest text of a note, into text (size bytes). */
static void note_text(device* d, const char* id, char* text, size_t size) {
  char* out = NULL;
  parley_error err;
  CHECK(parley_record_show(d->dev, S(id), S("note"), &out, NULL, &err) == PARLEY_OK);
  CHECK(json_string(out, "text", text, size));
  parley_free(out);
}

static long long note_count(device* d, const char* negotiation) {
  char request[256];
  char* out = NULL;
  long long total;
  parley_error err;
  snprintf(request, sizeof request, "{\"type\":\"note\",\"negotiation\":\"%s\",\"limit\":10}",
           negotiation);
  CHECK(parley_record_list(d->dev, S(request), &out, NULL, &err) == PARLEY_OK);
  total = json_int(out, "total");
  parley_free(out);
  return total;
}

int main(int argc, char** argv) {
  char relay_dir[4096], alice_dir[4096], bob_dir[4096];
  char relay_code[512];
  char neg[33], note_a[33], note_b[33], note_c[33];
  char text[256];
  char* out = NULL;
  char* bob_code = NULL;
  int port = 0;
  int stopped = 0;
  parley_error err;
  device alice, bob;

  if (argc != 3) {
    fprintf(stderr, "usage: %s PARLEY_RELAY SCRATCH_DIR\n", argv[0]);
    return 2;
  }
  printf("libparley %s (header %s)\n", parley_version(), PARLEY_VERSION_STRING);
  CHECK(strcmp(parley_version(), PARLEY_VERSION_STRING) == 0);
  CHECK(parley_version_number() == PARLEY_VERSION_NUMBER);

  snprintf(relay_dir, sizeof relay_dir, "%s/relay", argv[2]);
  snprintf(alice_dir, sizeof alice_dir, "%s/alice", argv[2]);
  snprintf(bob_dir, sizeof bob_dir, "%s/bob", argv[2]);
  CHECK(relay_child_start(argv[1], relay_dir, &port, relay_code, sizeof relay_code) == 0);
  printf("relay on 127.0.0.1:%d\n", port);

  /* Alice founds the vault; Bob has a store but no vault yet. */
  open_device(&alice, "alice", alice_dir);
  open_device(&bob, "bob", bob_dir);
  CHECK(parley_device_is_unlocked(alice.dev) == 0);
  create(&alice, "union local 12");
  create(&bob, "");
  CHECK(alice.ks.puts > 0 && bob.ks.puts > 0); /* the host key store holds the secrets */
  CHECK(parley_store_exists(S(alice_dir)) == 1);
  CHECK(parley_relay_add(alice.dev, S(relay_code), NULL, NULL, &err) == PARLEY_OK);
  CHECK(parley_relay_add(bob.dev, S(relay_code), NULL, NULL, &err) == PARLEY_OK);

  /* Lock and unlock through the host key store; a wrong passphrase is refused. */
  CHECK(parley_device_lock(alice.dev, &err) == PARLEY_OK);
  CHECK(parley_record_list(alice.dev, S("{\"type\":\"note\"}"), &out, NULL, &err) == PARLEY_LOCKED);
  CHECK(out == NULL && err.code == PARLEY_LOCKED);
  CHECK(parley_device_unlock(alice.dev, S("not the passphrase at all"), &err) ==
        PARLEY_WRONG_PASSPHRASE);
  CHECK(err.domain == PARLEY_DOMAIN_STORE);
  CHECK(parley_device_unlock(alice.dev, S(kPass), &err) == PARLEY_OK);
  CHECK(alice.ks.gets > 0);

  /* Enrolment: Alice invites Bob's pairing code; Bob joins through the relay. */
  CHECK(parley_pairing_code(bob.dev, &bob_code, NULL, &err) == PARLEY_OK);
  CHECK(strncmp(bob_code, "parley-device:", 14) == 0);
  {
    uint8_t* invite = NULL;
    size_t invite_len = 0;
    char alice_safety[32], bob_safety[32];
    CHECK(parley_invite(alice.dev, S(bob_code), &invite, &invite_len, &out, NULL, &err) ==
          PARLEY_OK);
    CHECK(invite != NULL && invite_len > 0);
    CHECK(json_string(out, "safety_code", alice_safety, sizeof alice_safety));
    parley_free(invite);
    parley_free(out);
    CHECK(parley_join_through_relays(bob.dev, NULL, 0, &out, NULL, &err) == PARLEY_OK);
    CHECK(json_string(out, "safety_code", bob_safety, sizeof bob_safety));
    CHECK(strcmp(alice_safety, bob_safety) == 0);
    CHECK(strstr(out, "union local 12") != NULL);
    parley_free(out);
  }
  parley_free(bob_code);

  /* Each writes a note; both sync; each sees the other's. */
  create_record(
      &alice,
      "{\"type\":\"negotiation\",\"fields\":{\"buyer\":\"Acme Foods\",\"title\":\"2026 season\"}}",
      neg);
  {
    char request[512];
    snprintf(request, sizeof request,
             "{\"type\":\"note\",\"negotiation\":\"%s\",\"fields\":{\"text\":\"from alice\"}}",
             neg);
    create_record(&alice, request, note_a);
    sync_once(&alice);
    sync_once(&bob);
    snprintf(request, sizeof request,
             "{\"type\":\"note\",\"negotiation\":\"%s\",\"fields\":{\"text\":\"from bob\"}}", neg);
    create_record(&bob, request, note_b);
    sync_once(&bob);
    sync_once(&alice);
  }
  note_text(&alice, note_b, text, sizeof text);
  CHECK(strcmp(text, "from bob") == 0);
  note_text(&bob, note_a, text, sizeof text);
  CHECK(strcmp(text, "from alice") == 0);
  CHECK(note_count(&alice, neg) == 2 && note_count(&bob, neg) == 2);
  CHECK(bob.ev.arrived > 0 && alice.ev.arrived > 0);

  /* A concurrent edit: a conflict on both, which Bob resolves. */
  {
    char request[512];
    snprintf(request, sizeof request, "{\"id\":\"%s\",\"fields\":{\"text\":\"alice's edit\"}}",
             note_a);
    CHECK(parley_record_edit(alice.dev, S(request), NULL, NULL, &err) == PARLEY_OK);
    snprintf(request, sizeof request,
             "{\"id\":\"%s\",\"type\":\"note\",\"fields\":{\"text\":\"bob's edit\"}}", note_a);
    CHECK(parley_record_edit(bob.dev, S(request), NULL, NULL, &err) == PARLEY_OK);
    sync_once(&alice);
    sync_once(&bob);
    sync_once(&alice);
    CHECK(parley_conflicts(bob.dev, &out, NULL, &err) == PARLEY_OK);
    CHECK(strstr(out, note_a) != NULL && strstr(out, "alice's edit") != NULL &&
          strstr(out, "bob's edit") != NULL);
    parley_free(out);
    CHECK(parley_conflicts(alice.dev, &out, NULL, &err) == PARLEY_OK);
    CHECK(strstr(out, note_a) != NULL);
    parley_free(out);
    CHECK(bob.ev.conflicts_events > 0 && bob.ev.conflicts == 1);
    snprintf(request, sizeof request,
             "{\"record\":\"%s\",\"field\":\"text\",\"value\":\"agreed text\"}", note_a);
    CHECK(parley_conflict_resolve(bob.dev, S(request), &err) == PARLEY_OK);
    sync_once(&bob);
    sync_once(&alice);
    CHECK(parley_conflicts(alice.dev, &out, NULL, &err) == PARLEY_OK);
    CHECK(strcmp(out, "{\"conflicts\":[]}") == 0);
    parley_free(out);
    note_text(&alice, note_a, text, sizeof text);
    CHECK(strcmp(text, "agreed text") == 0);
  }

  /* Bob's background sync receives Alice's next note on its own thread, waits while the
   * network is away and goes on when it is back. */
  {
    char request[512];
    unsigned long long before = bob.ev.arrived;
    CHECK(parley_sync_start(bob.dev, &err) == PARLEY_OK);
    CHECK(parley_sync_start(bob.dev, &err) == PARLEY_ALREADY_EXISTS);
    CHECK(wait_for(&bob.ev, &bob.ev.connected, 0, 1));
    snprintf(
        request, sizeof request,
        "{\"type\":\"note\",\"negotiation\":\"%s\",\"fields\":{\"text\":\"while bob watches\"}}",
        neg);
    create_record(&alice, request, note_c);
    sync_once(&alice);
    CHECK(wait_for(&bob.ev, &bob.ev.arrived, 1, before + 1));
    /* A call on Bob while his sync watches pauses it, runs, and lets it resume. */
    note_text(&bob, note_c, text, sizeof text);
    CHECK(strcmp(text, "while bob watches") == 0);
    parley_network_changed(bob.dev, 0);
    CHECK(wait_for(&bob.ev, &bob.ev.waiting_network, 0, 1));
    {
      int connected = bob.ev.connected;
      parley_network_changed(bob.dev, 1);
      CHECK(wait_for(&bob.ev, &bob.ev.connected, 0, (unsigned long long)connected + 1));
    }
    CHECK(parley_sync_stop(bob.dev, 10000, &stopped, &err) == PARLEY_OK);
    CHECK(stopped == 1);
    CHECK(parley_sync_state(bob.dev) == PARLEY_SYNC_STOPPED);
  }

  /* Members; Alice revokes Bob, who is wiped at his next sync. */
  CHECK(parley_members(alice.dev, &out, NULL, &err) == PARLEY_OK);
  CHECK(strstr(out, "\"name\":\"bob\"") != NULL);
  parley_free(out);
  CHECK(parley_member_revoke(alice.dev, S("bob"), &out, NULL, &err) == PARLEY_OK);
  CHECK(strstr(out, "\"revoked\":true") != NULL);
  parley_free(out);
  CHECK(parley_sync(bob.dev, &out, NULL, &err) == PARLEY_PERMISSION_DENIED);
  CHECK(out == NULL);
  CHECK(strstr(err.message, "revoked") != NULL);
  CHECK(bob.ev.revoked == 1);
  CHECK(parley_device_is_unlocked(bob.dev) == 0);
  CHECK(parley_store_exists(S(bob_dir)) == 0);
  CHECK(parley_device_unlock(bob.dev, S(kPass), &err) != PARLEY_OK);

  parley_device_free(bob.dev);
  parley_device_free(alice.dev);
  relay_child_stop();
  printf("c host test: all checks passed\n");
  return g_failures == 0 ? 0 : 1;
}
