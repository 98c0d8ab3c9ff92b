#include "text_input.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/vfs.h>
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#endif

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "parley/core/crypto.h"
#include "parley/platform/env.h"
#include "parley/platform/posix_env.h"

namespace parley::cli {
namespace {

Status Usage(std::string message) {
  return Error(Domain::kApp, Code::kInvalidArgument, std::move(message));
}

std::string TooLong(std::string_view what) {
  return std::string(what) + " is longer than " + std::to_string(kMaxTextBytes >> 20) +
         " MiB, the longest text";
}

// Drops one trailing newline (and a CR before it).
void DropNewline(std::string& text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
}

void Zero(std::string& s) {
  if (!s.empty()) crypto::Zero(s.data(), s.size());
  s.clear();
}

// True when `c`, the last byte a canonical-mode read returned, ends a line: a newline or the
// terminal's extra end-of-line characters. Any other last byte means Ctrl-D (VEOF) handed
// over part of a line.
bool EndsLine(char c, const termios& t) {
  if (c == '\n') return true;
  auto is = [&](int index) {
    return t.c_cc[index] != _POSIX_VDISABLE && static_cast<cc_t>(c) == t.c_cc[index];
  };
#ifdef VEOL2
  if (is(VEOL2)) return true;
#endif
  return is(VEOL);
}

// A private directory for the editor's file: the first usable of $XDG_RUNTIME_DIR (owned by
// this user, closed to others), /dev/shm (a tmpfs: memory, not a disk), the data directory,
// $TMPDIR, /tmp.
bool PrivateBase(const char* dir) {
  struct stat st {};
  return dir != nullptr && dir[0] == '/' && ::stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
         st.st_uid == ::geteuid() && (st.st_mode & 077) == 0;
}

bool InMemory(const char* dir) {
#if defined(__linux__)
  struct statfs fs {};
  return ::statfs(dir, &fs) == 0 && static_cast<unsigned long>(fs.f_type) == TMPFS_MAGIC;
#else
  (void)dir;
  return false;
#endif
}

Result<std::string> MakePrivateDir(const std::string& data_dir) {
  std::vector<std::string> bases;
  if (const char* run = std::getenv("XDG_RUNTIME_DIR"); PrivateBase(run)) bases.emplace_back(run);
  if (InMemory("/dev/shm")) bases.emplace_back("/dev/shm");
  if (!data_dir.empty()) bases.push_back(data_dir);
  if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && tmp[0] == '/')
    bases.emplace_back(tmp);
  bases.emplace_back("/tmp");
  std::string last_error;
  for (const auto& base : bases) {
    std::string pattern = JoinPath(base, "parley-edit-XXXXXX");
    if (::mkdtemp(pattern.data()) != nullptr) {  // mode 0700
      return pattern;
    }
    last_error = base + ": " + std::strerror(errno);
  }
  return Error(Domain::kApp, Code::kIoError,
               "no private directory for the editor's file (" + last_error + ")");
}

// Overwrites and removes everything in `dir`, then `dir`. The paths that could not be
// removed are appended to `left`.
void RemovePrivateDir(const std::string& dir, std::vector<std::string>& left) {
  Env& env = PosixEnv();
  if (auto names = env.ListDir(dir); names.ok()) {
    for (const auto& name : *names) {
      const std::string path = JoinPath(dir, name);
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0) continue;
      Status removed;
      if (S_ISDIR(st.st_mode)) {
        RemovePrivateDir(path, left);
        continue;
      }
      removed = S_ISREG(st.st_mode) ? env.ShredFile(path) : env.RemoveFile(path);
      if (!removed.ok() || ::lstat(path.c_str(), &st) == 0) left.push_back(path);
    }
  }
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) left.push_back(dir);
}

std::string EditorCommand() {
  for (const char* name : {"VISUAL", "EDITOR"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return value;
  }
  return "vi";
}

// Runs the editor on `file` and waits for it. Through the shell, as git does, so that the
// variable may hold options ("code --wait", "vim -n"). The editor gets the terminal; without
// one it inherits standard input and writes to standard error, never to standard output.
Status RunEditor(const std::string& file) {
  const std::string editor = EditorCommand();
  const std::string script = editor + " \"$1\"";
  const char* argv[] = {"/bin/sh", "-c", script.c_str(), "sh", file.c_str(), nullptr};
  // Like system(3): the terminal's Ctrl-C and Ctrl-\ are for the editor while it runs.
  struct sigaction ignore {
  }, old_int{}, old_quit{};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGQUIT, &ignore, &old_quit);
  const pid_t pid = ::fork();
  if (pid == 0) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGQUIT, &old_quit, nullptr);
    const int tty = ::open("/dev/tty", O_RDWR);
    if (tty >= 0) {
      ::dup2(tty, STDIN_FILENO);
      ::dup2(tty, STDOUT_FILENO);
      ::dup2(tty, STDERR_FILENO);
      if (tty > STDERR_FILENO) ::close(tty);
    } else {
      ::dup2(STDERR_FILENO, STDOUT_FILENO);
    }
    ::execv(argv[0], const_cast<char* const*>(argv));
    ::_exit(127);
  }
  int status = 0;
  int err = 0;
  if (pid < 0) {
    err = errno;
  } else {
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) {
        err = errno;
        break;
      }
    }
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);
  if (pid < 0 || err != 0) {
    return Error(Domain::kApp, Code::kIoError,
                 "cannot run the editor: " + std::string(std::strerror(err)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  const std::string how = WIFEXITED(status)
                              ? "exited with status " + std::to_string(WEXITSTATUS(status))
                              : "was killed by signal " + std::to_string(WTERMSIG(status));
  return Error(
      Domain::kApp, Code::kCancelled,
      "the editor (" + editor + ") " + how + ": nothing recorded" +
          (WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (set $EDITOR to an editor)" : ""));
}

// A file name from the command's words and the field: "note-add-text.txt".
std::string EditorFileName(const Command& command, std::string field) {
  std::string name;
  for (const auto& w : command.words) name += w + "-";
  for (char& c : field) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) c = '_';
  }
  return name + field + ".txt";
}

// The placeholder of argument `index` in the command's usage ("VALUE" in "FIELD_REF VALUE").
std::string ArgName(const Command& command, std::size_t index) {
  std::size_t start = 0;
  for (std::size_t i = 0;; ++i) {
    while (start < command.usage.size() && command.usage[start] == ' ') ++start;
    std::size_t end = command.usage.find(' ', start);
    if (end == std::string::npos) end = command.usage.size();
    if (start >= end) return "argument " + std::to_string(index + 1);
    if (i == index) return command.usage.substr(start, end - start);
    start = end;
  }
}

}  // namespace

std::vector<std::string> TextFieldNames(const Command& command) {
  std::vector<std::string> names;
  for (const auto& spec : command.options) {
    if (spec.text) names.push_back("--" + spec.name);
  }
  for (std::size_t index : command.text_args) names.push_back(ArgName(command, index));
  return names;
}

Result<std::string> ReadStandardInput(std::string_view what) {
  const int fd = STDIN_FILENO;
  termios t{};
  const bool terminal = ::isatty(fd) == 1;
  const bool canonical = terminal && ::tcgetattr(fd, &t) == 0 && (t.c_lflag & ICANON) != 0;
  if (terminal) {
    const std::string prompt = "Type " + std::string(what) + ", then press Ctrl-D:\n";
    std::fputs(prompt.c_str(), stderr);
    std::fflush(stderr);
  }
  std::string text;
  std::vector<char> buf(64 * 1024);  // more than a terminal's longest line (4096)
  Status failed;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      failed = Error(Domain::kApp, Code::kIoError,
                     "cannot read standard input: " + std::string(std::strerror(errno)));
      break;
    }
    if (n == 0) break;  // end of file; at a terminal, Ctrl-D at the start of a line
    const auto got = static_cast<std::size_t>(n);
    if (text.size() + got > kMaxTextBytes) {
      failed = Usage(TooLong(what));
      break;
    }
    text.append(buf.data(), got);
    // At a terminal a read returns one line; one without its end came with Ctrl-D.
    if (canonical && !EndsLine(buf[got - 1], t)) break;
  }
  crypto::Zero(buf.data(), buf.size());
  if (!failed.ok()) {
    Zero(text);
    return failed;
  }
  DropNewline(text);
  return text;
}

Result<std::string> EditText(const std::string& file_name, const std::string& data_dir) {
  PARLEY_ASSIGN_OR_RETURN(const std::string dir, MakePrivateDir(data_dir));
  const std::string file = JoinPath(dir, file_name);
  Result<std::string> text = Error(Domain::kApp, Code::kIoError, "cannot create " + file);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    const bool private_file = ::fchmod(fd, 0600) == 0;
    ::close(fd);
    Status ran = private_file
                     ? RunEditor(file)
                     : Error(Domain::kApp, Code::kIoError, "cannot make " + file + " private");
    if (!ran.ok()) {
      text = ran;
    } else if (auto bytes = PosixEnv().ReadFileUpTo(file, kMaxTextBytes); bytes.ok()) {
      if (bytes->size() > kMaxTextBytes) {
        text = Usage(TooLong("the text saved in the editor"));
      } else {
        std::string s(bytes->begin(), bytes->end());
        DropNewline(s);
        text = std::move(s);
      }
      if (!bytes->empty()) crypto::Zero(bytes->data(), bytes->size());
    } else {
      text = Error(Domain::kApp, Code::kIoError,
                   "cannot read what the editor saved: " + bytes.status().message());
    }
  }
  std::vector<std::string> left;
  RemovePrivateDir(dir, left);
  for (const auto& path : left) {
    std::fprintf(stderr, "parley: warning: could not remove %s: remove it yourself\n",
                 path.c_str());
  }
  return text;
}

Status ReadTextFields(const Command& command, Invocation& inv, const std::string& data_dir) {
  struct Field {
    std::string* value;
    std::string name;  // "--buyer", "VALUE"
  };
  std::vector<Field> fields;
  for (const auto& spec : command.options) {
    if (!spec.text) continue;
    auto it = inv.options.find(spec.name);
    if (it == inv.options.end()) continue;
    for (auto& v : it->second) fields.push_back({&v, "--" + spec.name});
  }
  for (std::size_t index : command.text_args) {
    if (index < inv.args.size()) fields.push_back({&inv.args[index], ArgName(command, index)});
  }
  std::string from_stdin;
  for (const auto& f : fields) {
    if (*f.value != kFromStdin) continue;
    if (!from_stdin.empty()) {
      return Usage("only one field can be read from standard input, not both " + from_stdin +
                   " and " + f.name + " (give the other as @edit)");
    }
    from_stdin = f.name;
  }
  for (auto& f : fields) {
    if (*f.value == kFromStdin) {
      PARLEY_ASSIGN_OR_RETURN(*f.value, ReadStandardInput("the value of " + f.name));
    } else if (*f.value == kFromEditor) {
      std::string field = f.name.rfind("--", 0) == 0 ? f.name.substr(2) : f.name;
      PARLEY_ASSIGN_OR_RETURN(*f.value,
                              EditText(EditorFileName(command, std::move(field)), data_dir));
    }
  }
  return Status::Ok();
}

}  // namespace parley::cli
