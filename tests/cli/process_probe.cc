#include "process_probe.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace parley::cli_test {
namespace {

std::string ReadProc(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

namespace {

constexpr uid_t kNobody = 65534;

// In a child between fork and exec (raw system calls only): becomes ProbeUser(). False when
// it could not.
bool BecomeProbeUser() {
  if (::geteuid() != 0) return true;
  return ::setgroups(0, nullptr) == 0 && ::setresgid(kNobody, kNobody, kNobody) == 0 &&
         ::setresuid(kNobody, kNobody, kNobody) == 0;
}

// The probe user may not be able to reach a program where it was built (a checkout inside a
// directory closed to others): it runs a copy in a directory of its own, made once per
// program and removed when the test program exits.
class ProbeCopies {
 public:
  ~ProbeCopies() {
    for (const auto& [from, to] : copies_) ::unlink(to.c_str());
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  std::string CopyOf(const std::string& program) {
    if (::geteuid() != 0) return program;
    if (auto it = copies_.find(program); it != copies_.end()) return it->second;
    if (dir_.empty()) {
      std::string tmpl = "/tmp/parley-probe-XXXXXX";
      if (::mkdtemp(tmpl.data()) == nullptr || ::chmod(tmpl.c_str(), 0755) != 0) return program;
      dir_ = tmpl;
    }
    const std::string to = dir_ + "/" + program.substr(program.rfind('/') + 1);
    std::ifstream in(program, std::ios::binary);
    std::ofstream out(to, std::ios::binary | std::ios::trunc);
    out << in.rdbuf();
    out.close();
    if (!in || !out || ::chmod(to.c_str(), 0755) != 0) return program;
    copies_[program] = to;
    return to;
  }

 private:
  std::string dir_;
  std::map<std::string, std::string> copies_;
};

ProbeCopies& Copies() {
  static ProbeCopies copies;
  return copies;
}

}  // namespace

uid_t ProbeUser() { return ::geteuid() == 0 ? kNobody : ::geteuid(); }

void GiveToProbeUser(const std::string& path) {
  if (::geteuid() != 0) return;
  ASSERT_EQ(::lchown(path.c_str(), kNobody, kNobody), 0) << path;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  DIR* d = ::opendir(path.c_str());
  ASSERT_NE(d, nullptr) << path;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") GiveToProbeUser(path + "/" + name);
  }
  ::closedir(d);
}

bool SameUserCanReadEnvironment(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/environ";
  const pid_t child = ::fork();
  if (child == 0) {
    if (!BecomeProbeUser()) ::_exit(3);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) ::_exit(errno == EACCES || errno == EPERM ? 1 : 2);
    char c;
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0) ::_exit(errno == EACCES || errno == EPERM ? 1 : 2);
    ::_exit(0);
  }
  if (child < 0) {
    ADD_FAILURE() << "fork failed";
    return false;
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 2) ADD_FAILURE() << path << " could not be opened for a reason other than permission";
  if (code == 3) ADD_FAILURE() << "the probe could not become user " << kNobody;
  return code == 0;
}

std::pair<std::string, std::string> CoreFileLimit(pid_t pid) {
  std::istringstream limits(ReadProc("/proc/" + std::to_string(pid) + "/limits"));
  const std::string prefix = "Max core file size";
  for (std::string line; std::getline(limits, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::istringstream rest(line.substr(prefix.size()));
    std::string soft, hard;
    rest >> soft >> hard;
    return {soft, hard};
  }
  return {};
}

std::vector<std::string> ProcessesShowing(const std::vector<std::string>& markers) {
  std::vector<std::string> hits;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) {
    ADD_FAILURE() << "cannot list /proc";
    return hits;
  }
  std::size_t looked_at = 0;
  while (dirent* e = ::readdir(proc)) {
    const std::string name = e->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    ++looked_at;
    for (const char* what : {"cmdline", "environ"}) {
      const std::string bytes =
          ReadProc("/proc/" + name + "/" + what);  // empty when gone or refused
      for (const auto& m : markers) {
        if (bytes.find(m) != std::string::npos) hits.push_back(name + " " + what + ": " + m);
      }
    }
  }
  ::closedir(proc);
  EXPECT_GT(looked_at, 1u) << "/proc lists no process but this one";
  return hits;
}

pid_t SpawnProbed(const std::vector<std::string>& argv_in, const std::vector<std::string>& env_s,
                  int stdin_fd, int stdout_fd, int stderr_fd, bool as_probe_user) {
  std::vector<std::string> argv_s = argv_in;
  if (as_probe_user && !argv_s.empty()) argv_s[0] = Copies().CopyOf(argv_s[0]);
  std::vector<char*> argv;
  for (const auto& a : argv_s) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env_s) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  // The exec pipe: closed by a successful execve (close-on-exec), or carries the errno.
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(exec_pipe[0]);
    ::setsid();
    rlimit core{};
    if (::getrlimit(RLIMIT_CORE, &core) == 0) {
      core.rlim_cur = core.rlim_max;
      (void)::setrlimit(RLIMIT_CORE, &core);
    }
    int err = 0;
    if (as_probe_user && !BecomeProbeUser()) err = EPERM;
    if (err == 0 &&
        (::dup2(stdin_fd, 0) < 0 || ::dup2(stdout_fd, 1) < 0 || ::dup2(stderr_fd, 2) < 0))
      err = errno;
    if (err == 0) {
      ::execve(argv[0], argv.data(), envp.data());
      err = errno;
    }
    (void)!::write(exec_pipe[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(exec_pipe[1]);
  if (pid < 0) {
    ::close(exec_pipe[0]);
    return -1;
  }
  int err = 0;
  ssize_t n;
  while ((n = ::read(exec_pipe[0], &err, sizeof err)) < 0 && errno == EINTR) {
  }
  ::close(exec_pipe[0]);
  if (n > 0) {
    ADD_FAILURE() << "cannot start " << argv_s[0] << ": " << std::strerror(err);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return -1;
  }
  return pid;
}

int WaitForExit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    // A child's exit is not a file descriptor: look again shortly (bounded by `timeout`).
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

PipedParley::PipedParley(const Device& device, const std::vector<std::string>& args,
                         bool as_probe_user) {
  ::signal(SIGPIPE, SIG_IGN);  // a write after the process exited fails instead of killing the test
  const std::string& data = device.data_dir();
  const std::string home = data.substr(0, data.rfind('/'));
  out_path_ = data + ".piped-stdout";
  err_path_ = data + ".piped-stderr";
  std::vector<std::string> argv = {ParleyBinary(), "--data", data, "--keystore",
                                   device.keystore_dir()};
  argv.insert(argv.end(), args.begin(), args.end());
  int in[2];
  if (::pipe2(in, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe failed";
    return;
  }
  const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out >= 0 && err >= 0) {
    pid_ = SpawnProbed(argv, ChildEnvironment(home, device.env), in[0], out, err, as_probe_user);
  }
  ::close(in[0]);
  if (out >= 0) ::close(out);
  if (err >= 0) ::close(err);
  input_ = in[1];
  EXPECT_GT(pid_, 0) << "parley did not start";
}

PipedParley::~PipedParley() {
  if (input_ >= 0) ::close(input_);
  if (pid_ > 0 && exit_code_ < 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  ::unlink(out_path_.c_str());
  ::unlink(err_path_.c_str());
}

bool PipedParley::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(input_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool PipedParley::WaitInputRead(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int unread = 0;
    if (::ioctl(input_, FIONREAD, &unread) != 0) return false;
    if (unread == 0) return true;
    if (exit_code_ < 0) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return true;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // A pipe says nothing when its reader takes bytes: look again shortly (bounded).
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Outcome PipedParley::Finish(std::chrono::milliseconds timeout) {
  if (input_ >= 0) ::close(input_);
  input_ = -1;
  Outcome run;
  if (pid_ > 0 && exit_code_ < 0) exit_code_ = WaitForExit(pid_, timeout);
  run.exit_code = exit_code_;
  run.out = ReadBytes(out_path_);
  run.err = ReadBytes(err_path_);
  return run;
}

}  // namespace parley::cli_test
