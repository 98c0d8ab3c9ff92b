/* parley-capi-pull: one device pulls everything waiting on its relay through the C ABI
 * (links only libparley.so), for parley-bench's capi_sync_peak_rss_mb.
 *   usage: parley-capi-pull DATA_DIR KEY_STORE_DIR PASSPHRASE
 * Opens and unlocks the store, runs parley_sync() once and prints on standard output
 *   pulled N duplicates D held H seconds S peak_rss_kb R sync_hwm_kb W
 * where R is getrusage's ru_maxrss of this process (the unlock's Argon2id included) and W
 * the resident high-water mark of the sync alone (reset through /proc/self/clear_refs just
 * before it; -1 when the kernel does not allow that). Exit status 1 on any failure. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "parley/parley.h"

static long long json_sum(const char* json, const char* key) {
  char pattern[64];
  long long sum = 0;
  const char* p = json;
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  while ((p = strstr(p, pattern)) != NULL) {
    p += strlen(pattern);
    sum += atoll(p);
  }
  return sum;
}

static long hwm_kb(void) {
  char line[256];
  long kb = -1;
  FILE* f = fopen("/proc/self/status", "r");
  if (f == NULL) return -1;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "VmHWM:", 6) == 0) kb = atol(line + 6);
  }
  fclose(f);
  return kb;
}

static int reset_hwm(void) {
  FILE* f = fopen("/proc/self/clear_refs", "w");
  int ok;
  if (f == NULL) return 0;
  ok = fputs("5", f) >= 0;
  return fclose(f) == 0 && ok;
}

int main(int argc, char** argv) {
  parley_open_options options;
  parley_device* dev = NULL;
  parley_error err;
  char* out = NULL;
  char* status = NULL;
  struct timespec t0, t1;
  struct rusage usage;
  long sync_hwm = -1;
  int reset;
  if (argc != 4) {
    fprintf(stderr, "usage: %s DATA_DIR KEY_STORE_DIR PASSPHRASE\n", argv[0]);
    return 2;
  }
  parley_open_options_init(&options);
  options.key_store_dir = argv[2];
  options.key_store_dir_len = PARLEY_NUL_TERMINATED;
  if (parley_device_open(argv[1], PARLEY_NUL_TERMINATED, &options, &dev, &err) != PARLEY_OK ||
      parley_device_unlock(dev, argv[3], PARLEY_NUL_TERMINATED, &err) != PARLEY_OK) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  reset = reset_hwm();
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (parley_sync(dev, &out, NULL, &err) != PARLEY_OK) {
    fprintf(stderr, "sync: %s\n", err.message);
    return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (reset) sync_hwm = hwm_kb();
  if (strstr(out, "\"ok\":false") != NULL) {
    fprintf(stderr, "sync: %s\n", out);
    return 1;
  }
  if (parley_status(dev, &status, NULL, &err) != PARLEY_OK) {
    fprintf(stderr, "status: %s\n", err.message);
    return 1;
  }
  getrusage(RUSAGE_SELF, &usage);
  printf("pulled %lld duplicates %lld held %lld seconds %.3f peak_rss_kb %ld sync_hwm_kb %ld\n",
         json_sum(out, "pulled"), json_sum(out, "duplicates"), json_sum(status, "contig"),
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, usage.ru_maxrss,
         sync_hwm);
  parley_free(out);
  parley_free(status);
  parley_device_free(dev);
  return 0;
}
