// What other processes can learn about a running process, for the tests of what `parley` and
// `parley-relay` keep to themselves: its arguments and environment (as `ps` shows them), its
// core-file limit, whether the kernel lets another process of the same user read its memory
// (/proc/PID/environ, /proc/PID/mem need it; a process that is not dumpable refuses them),
// and a `parley` process whose standard input the test holds, so it can be looked at while it
// waits for its input rather than at a moment one hopes it is running.
//
// Root note: the tests may run as root (in a container, say). Root reads every process,
// dumpable or not (with CAP_SYS_PTRACE, and in practice through its other capabilities too),
// so "another process of the same user" is then played by the unprivileged user `nobody`
// (65534): the programs under test are started as that user (ProbeUser()), on files given to
// it (GiveToProbeUser), and the probe reads as that user. Run as anyone else, everything
// runs as that user.
//
// Thread safety: none; one test thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli_runner.h"

namespace parley::cli_test {

// The user the probed programs and the probes run as: this process's, or nobody (65534)
// when this process is root.
uid_t ProbeUser();
// Makes `path` and everything under it belong to ProbeUser() (nothing to do unless root).
void GiveToProbeUser(const std::string& path);

// True when a process of ProbeUser() may read /proc/PID/environ of `pid`, a process of that
// user (it may for an ordinary process; the kernel refuses it for one that is not dumpable).
// Checked from a forked child running as that user.
bool SameUserCanReadEnvironment(pid_t pid);

// The soft and hard "Max core file size" of /proc/PID/limits as written there ("0",
// "unlimited", a number of bytes); empty strings when the file cannot be read.
std::pair<std::string, std::string> CoreFileLimit(pid_t pid);

// Every process on the machine whose arguments (/proc/PID/cmdline) or environment
// (/proc/PID/environ, where readable) hold one of `markers`: "PID cmdline|environ: marker".
std::vector<std::string> ProcessesShowing(const std::vector<std::string>& markers);

// Starts `argv` (argv[0] a path) with `envp`, without a controlling terminal, standard input
// from `stdin_fd`, standard output and error to `stdout_fd` and `stderr_fd`, with a core-file
// soft limit raised to the hard limit (so a program that does not lower it shows a non-zero
// one); as ProbeUser() when `as_probe_user`, else as this process's user. Returns once the
// program has been executed (so its /proc/PID/cmdline is the program's), or -1.
pid_t SpawnProbed(const std::vector<std::string>& argv, const std::vector<std::string>& envp,
                  int stdin_fd, int stdout_fd, int stderr_fd, bool as_probe_user = true);

// Waits for `pid` to exit, at most `timeout`: its exit code (128 + signal when killed), or -1
// when it is still running (it is then left running).
int WaitForExit(pid_t pid, std::chrono::milliseconds timeout);

// A `parley` process of `device` (its directories and environment) started with
// SpawnProbed, whose standard input is a pipe this object writes; standard output and error
// go to files. As ProbeUser() when `as_probe_user` (the device's files must then be given to
// it). The destructor kills (SIGKILL) and reaps it if it still runs.
class PipedParley {
 public:
  PipedParley(const Device& device, const std::vector<std::string>& args,
              bool as_probe_user = false);
  ~PipedParley();
  PipedParley(const PipedParley&) = delete;
  PipedParley& operator=(const PipedParley&) = delete;

  pid_t pid() const { return pid_; }
  // Writes `bytes` to its standard input. False on a write error.
  bool Write(std::string_view bytes);
  // Waits until the process has read everything written so far (the pipe is empty) or exited,
  // at most `timeout`. False when the time ran out.
  bool WaitInputRead(std::chrono::milliseconds timeout);
  // Closes its standard input (end of file) and waits for it to exit, at most `timeout`.
  // The outcome's exit code is -1 when it did not exit in time.
  Outcome Finish(std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  pid_t pid_ = -1;
  int input_ = -1;
  int exit_code_ = -1;
  std::string out_path_;
  std::string err_path_;
};

}  // namespace parley::cli_test
