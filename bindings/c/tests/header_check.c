/* parley.h compiles as strict C99 (-std=c99 -pedantic -Werror) and its declarations are
 * usable from C: every type, macro and function is named here once. */
#include "parley/parley.h"

#include <stdio.h>

#if !defined(PARLEY_VERSION_MAJOR) || !defined(PARLEY_VERSION_MINOR) || \
    !defined(PARLEY_VERSION_PATCH)
#error "parley.h must define the version macros"
#endif

int parley_header_check_c(void);

int parley_header_check_c(void) {
  parley_error error;
  parley_open_options open_options;
  parley_create_options create_options;
  parley_key_store key_store;
  parley_event event;
  parley_event_fn fn = NULL;
  parley_device* device = NULL;
  error.code = PARLEY_OK;
  error.domain = PARLEY_DOMAIN_NONE;
  error.message[0] = '\0';
  parley_open_options_init(&open_options);
  parley_create_options_init(&create_options);
  key_store.context = NULL;
  key_store.put = NULL;
  key_store.get = NULL;
  key_store.erase = NULL;
  event.kind = PARLEY_EVENT_SYNC_STATE;
  (void)fn;
  (void)event;
  (void)key_store;
  /* NULL arguments are errors, never crashes. */
  if (parley_device_open(NULL, 0, NULL, &device, &error) != PARLEY_INVALID_ARGUMENT) return 1;
  if (error.domain != PARLEY_DOMAIN_API || device != NULL) return 1;
  if (parley_sync(NULL, NULL, NULL, &error) != PARLEY_INVALID_ARGUMENT) return 1;
  parley_free(NULL);
  parley_device_free(NULL);
  printf("C99: libparley %s, %s\n", parley_version(), PARLEY_VERSION_STRING);
  return parley_version_number() == PARLEY_VERSION_NUMBER ? 0 : 1;
}
