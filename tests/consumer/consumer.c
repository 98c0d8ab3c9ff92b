/* A program an integrator would write against the installed C ABI (parley/parley.h), built by
 * tests/consumer/consumer_test.cmake with find_package(Parley), with pkg-config and
 * statically. Usage: parley_consumer WORK_DIR (an empty directory it may fill).
 *
 * It prints the library's version, creates a device in WORK_DIR/data (its key-store secret in
 * WORK_DIR/keys), writes a negotiation and a note, locks, unlocks again and reads the note
 * back. Exit status 0 and the last line "consumer: ok" when everything worked. */
#include <parley/parley.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char kPassphrase[] = "quiet harbour lantern seventeen orbit";
static const char kNoteText[] = "written by the installed-package consumer";

static int fail(const char* what, const parley_error* error) {
  fprintf(stderr, "consumer: %s failed: %s/%s: %s\n", what, parley_domain_name(error->domain),
          parley_code_name(error->code), error->message);
  return 1;
}

/* Copies the value of "id" in `json` ({"id":"<hex>"}) into `id` (capacity `size`). */
static int json_id(const char* json, char* id, size_t size) {
  const char* start = strstr(json, "\"id\":\"");
  const char* end = NULL;
  if (start == NULL) {
    return 0;
  }
  start += strlen("\"id\":\"");
  end = strchr(start, '"');
  if (end == NULL || (size_t)(end - start) >= size) {
    return 0;
  }
  memcpy(id, start, (size_t)(end - start));
  id[end - start] = '\0';
  return 1;
}

int main(int argc, char** argv) {
  char data_dir[4096];
  char key_dir[4096];
  char request[1024];
  char negotiation_id[128];
  char note_id[128];
  char* out = NULL;
  size_t out_len = 0;
  parley_error error;
  parley_open_options open_options;
  parley_create_options create_options;
  parley_device* device = NULL;

  if (argc != 2) {
    fprintf(stderr, "usage: %s WORK_DIR\n", argv[0]);
    return 2;
  }
  printf("consumer: header %s, library %s\n", PARLEY_VERSION_STRING, parley_version());
  if (strcmp(parley_version(), PARLEY_VERSION_STRING) != 0 ||
      parley_version_number() != PARLEY_VERSION_NUMBER) {
    fprintf(stderr, "consumer: the library's version is not the header's\n");
    return 1;
  }
  snprintf(data_dir, sizeof data_dir, "%s/data", argv[1]);
  snprintf(key_dir, sizeof key_dir, "%s/keys", argv[1]);

  parley_open_options_init(&open_options);
  open_options.key_store_dir = key_dir;
  open_options.key_store_dir_len = strlen(key_dir);
  if (parley_device_open(data_dir, PARLEY_NUL_TERMINATED, &open_options, &device, &error) !=
      PARLEY_OK) {
    return fail("parley_device_open", &error);
  }
  parley_create_options_init(&create_options);
  create_options.argon2_ops = 2; /* Argon2id at its floor: a test, not a phone */
  create_options.argon2_mem_bytes = 19u << 20;
  if (parley_device_create(device, "consumer", PARLEY_NUL_TERMINATED, "Consumer vault",
                           PARLEY_NUL_TERMINATED, kPassphrase, PARLEY_NUL_TERMINATED,
                           &create_options, &error) != PARLEY_OK) {
    parley_device_free(device);
    return fail("parley_device_create", &error);
  }

  snprintf(request, sizeof request,
           "{\"type\":\"negotiation\",\"fields\":{\"buyer\":\"Consumer Buyer\"}}");
  if (parley_record_create(device, request, PARLEY_NUL_TERMINATED, &out, &out_len, &error) !=
      PARLEY_OK) {
    parley_device_free(device);
    return fail("parley_record_create (negotiation)", &error);
  }
  if (!json_id(out, negotiation_id, sizeof negotiation_id)) {
    fprintf(stderr, "consumer: no id in %s\n", out);
    parley_free(out);
    parley_device_free(device);
    return 1;
  }
  parley_free(out);

  snprintf(request, sizeof request,
           "{\"type\":\"note\",\"negotiation\":\"%s\",\"fields\":{\"text\":\"%s\"}}",
           negotiation_id, kNoteText);
  if (parley_record_create(device, request, PARLEY_NUL_TERMINATED, &out, &out_len, &error) !=
      PARLEY_OK) {
    parley_device_free(device);
    return fail("parley_record_create (note)", &error);
  }
  if (!json_id(out, note_id, sizeof note_id)) {
    fprintf(stderr, "consumer: no id in %s\n", out);
    parley_free(out);
    parley_device_free(device);
    return 1;
  }
  parley_free(out);

  /* Lock (every key zeroed, the database closed) and unlock: the note comes from disk. */
  if (parley_device_lock(device, &error) != PARLEY_OK) {
    parley_device_free(device);
    return fail("parley_device_lock", &error);
  }
  if (parley_device_unlock(device, kPassphrase, PARLEY_NUL_TERMINATED, &error) != PARLEY_OK) {
    parley_device_free(device);
    return fail("parley_device_unlock", &error);
  }
  if (parley_record_show(device, note_id, PARLEY_NUL_TERMINATED, "note", PARLEY_NUL_TERMINATED,
                         &out, &out_len, &error) != PARLEY_OK) {
    parley_device_free(device);
    return fail("parley_record_show", &error);
  }
  if (strstr(out, kNoteText) == NULL || strlen(out) != out_len) {
    fprintf(stderr, "consumer: the note read back is not the one written: %s\n", out);
    parley_free(out);
    parley_device_free(device);
    return 1;
  }
  parley_free(out);
  parley_device_free(device);
  printf("consumer: wrote and read back note %s\n", note_id);
  printf("consumer: ok\n");
  return 0;
}
