/* A real parley-relay process for the C host programs (relay_child.h). */
#define _GNU_SOURCE
#include "relay_child.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t g_pid = -1;
static int g_log_fd = -1;
static pthread_t g_drain;
static int g_drain_started = 0;

static pid_t spawn(char* const argv[], int out_fd, int err_fd) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  if (out_fd >= 0) dup2(out_fd, 1);
  if (err_fd >= 0) dup2(err_fd, 2);
  execv(argv[0], argv);
  _exit(127);
}

static int wait_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Keeps reading the relay's log so that it never blocks on a full pipe. */
static void* drain(void* arg) {
  char buf[4096];
  (void)arg;
  while (read(g_log_fd, buf, sizeof buf) > 0) {
  }
  return NULL;
}

void relay_child_stop(void) {
  if (g_pid > 0) {
    kill(g_pid, SIGKILL);
    wait_exit(g_pid);
    g_pid = -1;
  }
  if (g_drain_started) {
    pthread_join(g_drain, NULL);
    g_drain_started = 0;
  }
  if (g_log_fd >= 0) {
    close(g_log_fd);
    g_log_fd = -1;
  }
}

int relay_child_start(const char* relay_binary, const char* data_dir, int* port, char* pairing_code,
                      unsigned long code_size) {
  char* bin = (char*)relay_binary;
  char* dir = (char*)data_dir;
  int fds[2];
  char line[8192];
  size_t used = 0;
  char address[64];
  FILE* info;
  char cmd[4096];
  *port = 0;
  {
    char* argv[] = {bin, "init", "--data", dir, NULL};
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    pid_t pid = spawn(argv, devnull, -1);
    if (devnull >= 0) close(devnull);
    if (pid < 0 || wait_exit(pid) != 0) {
      fprintf(stderr, "parley-relay init failed\n");
      return -1;
    }
  }
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  {
    /* Any vault may register (the program's default admits only those it was told to). */
    char* argv[] = {bin,           "serve",       "--data", dir, "--listen",
                    "127.0.0.1:0", "--admission", "open",   NULL};
    g_pid = spawn(argv, -1, fds[1]);
  }
  close(fds[1]);
  g_log_fd = fds[0];
  atexit(relay_child_stop);
  if (g_pid < 0) return -1;
  /* Read the log until the line that says event=listening is whole. */
  for (;;) {
    char* at;
    ssize_t n = read(g_log_fd, line + used, sizeof line - 1 - used);
    if (n <= 0) {
      fprintf(stderr, "parley-relay exited before listening: %.*s\n", (int)used, line);
      return -1;
    }
    used += (size_t)n;
    line[used] = '\0';
    at = strstr(line, "event=listening");
    if (at != NULL && strchr(at, '\n') != NULL) {
      char* p = strstr(at, "port=");
      if (p != NULL) *port = atoi(p + 5);
      break;
    }
    if (used >= sizeof line - 1) used = 0;
  }
  if (*port <= 0) return -1;
  if (pthread_create(&g_drain, NULL, drain, NULL) == 0) g_drain_started = 1;
  snprintf(address, sizeof address, "127.0.0.1:%d", *port);
  snprintf(cmd, sizeof cmd, "'%s' info --data '%s' --address %s", relay_binary, data_dir, address);
  info = popen(cmd, "r");
  if (info == NULL) return -1;
  pairing_code[0] = '\0';
  while (fgets(line, sizeof line, info) != NULL) {
    const char* key = "pairing code:";
    char* p = strstr(line, key);
    if (p != NULL) {
      size_t len;
      p += strlen(key);
      while (*p == ' ') ++p;
      len = strcspn(p, "\r\n");
      if (len + 1 > code_size) len = code_size - 1;
      memcpy(pairing_code, p, len);
      pairing_code[len] = '\0';
    }
  }
  if (pclose(info) != 0 || pairing_code[0] == '\0') return -1;
  return 0;
}
