/* Preloaded (with glibc's libc_malloc_debug.so) into the JVM of the host test's leak check:
 * starts glibc's malloc trace (mtrace) before the JVM runs, then removes MALLOC_TRACE and
 * LD_PRELOAD from the environment, so the processes the test starts (parley-relay) are not
 * traced into the same file. */
#include <mcheck.h>
#include <stdlib.h>

__attribute__((constructor)) static void parley_start_malloc_trace(void) {
  mtrace();
  unsetenv("MALLOC_TRACE");
  unsetenv("LD_PRELOAD");
}
