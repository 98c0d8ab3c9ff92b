/* A real parley-relay process for the C host programs (C99 + POSIX): `init`, then
 * `serve --listen 127.0.0.1:0`, its port read from its "event=listening ... port=N" log line
 * and its pairing code from `info --address`. The relay dies with this program
 * (PR_SET_PDEATHSIG) and relay_child_stop() (also registered with atexit) kills and reaps it
 * whatever happened before. One relay per program. */
#ifndef PARLEY_C_TESTS_RELAY_CHILD_H
#define PARLEY_C_TESTS_RELAY_CHILD_H

/* 0 on success: *port and pairing_code (NUL-terminated, at most `code_size` bytes) filled. */
int relay_child_start(const char* relay_binary, const char* data_dir, int* port, char* pairing_code,
                      unsigned long code_size);
void relay_child_stop(void);

#endif
