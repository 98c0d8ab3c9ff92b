#include "support/postgres_server.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

Status Unavailable(const std::string& what) {
  return Error(Domain::kPlatform, Code::kUnavailable, "PostgreSQL test server: " + what);
}

bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }
bool HasServer(const std::string& dir) {
  return Executable(dir + "/initdb") && Executable(dir + "/postgres");
}

// The user the server runs as: ourselves, or `postgres` when we are root.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

Result<RunAs> ServerUser() {
  RunAs r;
  if (::geteuid() != 0) return r;
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) {
    return Error(Domain::kPlatform, Code::kNotFound,
                 "PostgreSQL test server: running as root needs a `postgres` user to run the "
                 "server as (the postgresql package creates it)");
  }
  r.switch_user = true;
  r.uid = pw->pw_uid;
  r.gid = pw->pw_gid;
  return r;
}

struct ChildSetup {
  RunAs user;
  int out_fd = -1;  // standard output and error (-1: inherited)
  int in_fd = -1;   // standard input (-1: /dev/null)
  bool own_group = false;
  bool death_signal = true;
  std::int64_t file_size_limit = -1;  // RLIMIT_FSIZE in bytes (-1: none)
};

// fork + exec of `args` (argument vector built before the fork; the child calls only
// async-signal-safe functions). The child gets SIGQUIT if the starting thread dies first.
pid_t Spawn(std::vector<std::string> args, const ChildSetup& setup) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (setup.own_group) ::setpgid(0, 0);
  if (setup.file_size_limit >= 0) {
    const rlimit limit{static_cast<rlim_t>(setup.file_size_limit),
                       static_cast<rlim_t>(setup.file_size_limit)};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    ::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
  }
  if (setup.user.switch_user) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(setup.user.gid) != 0 ||
        ::setuid(setup.user.uid) != 0) {
      ::_exit(126);
    }
  }
  // After the change of user: a change of credentials clears the death signal.
  if (setup.death_signal) ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
  if (::getppid() != parent) ::_exit(127);
  const int null_fd = ::open("/dev/null", O_RDWR);
  ::dup2(setup.in_fd >= 0 ? setup.in_fd : null_fd, 0);
  if (setup.out_fd >= 0) {
    ::dup2(setup.out_fd, 1);
    ::dup2(setup.out_fd, 2);
  }
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

int WaitExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

bool Succeeded(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `args` with output to `log`; OK when it exits 0.
Status Run(const std::vector<std::string>& args, const RunAs& user, const std::string& log,
           int in_fd = -1) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Unavailable("cannot write " + log);
  if (user.switch_user) (void)::fchown(fd, user.uid, user.gid);
  const pid_t pid = Spawn(args, {.user = user, .out_fd = fd, .in_fd = in_fd});
  ::close(fd);
  if (pid < 0) return Unavailable("fork failed");
  const int status = WaitExit(pid);
  if (!Succeeded(status)) return Unavailable(args[0] + " failed: " + ReadFile(log));
  return Status::Ok();
}

Status Chown(const std::string& path, const RunAs& user) {
  if (!user.switch_user) return Status::Ok();
  if (::chown(path.c_str(), user.uid, user.gid) != 0) {
    return Unavailable("cannot give " + path + " to the postgres user");
  }
  return Status::Ok();
}

std::string TempBase() {
  const char* base = std::getenv("TMPDIR");
  return base != nullptr && *base != '\0' ? base : "/tmp";
}

// The template cluster for this user and version, made once under a lock file: initdb,
// then the "parley" database created in single-user mode.
Result<std::string> TemplateCluster(const std::string& bin_dir, const RunAs& user) {
  const std::string version = fs::path(bin_dir).parent_path().filename().string();
  const std::string path =
      TempBase() + "/parley-pg" + version + "-template-" + std::to_string(::getuid());
  const std::string ready = path + "/.parley-template-ready";
  const int lock = ::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) return Unavailable("cannot open the template lock " + path + ".lock");
  while (::flock(lock, LOCK_EX) != 0 && errno == EINTR) {
  }
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }
  } unlock{lock};
  if (::access(ready.c_str(), F_OK) == 0) return path;

  std::error_code ec;
  fs::remove_all(path, ec);
  const std::string work = path + ".new";
  fs::remove_all(work, ec);
  fs::create_directories(work, ec);
  if (ec) return Unavailable("cannot make " + work);
  ::chmod(work.c_str(), 0700);
  PARLEY_RETURN_IF_ERROR(Chown(work, user));
  const std::string data = work + "/data";
  const std::string log = work + "/initdb.log";
  PARLEY_RETURN_IF_ERROR(Run({bin_dir + "/initdb", "-D", data, "-U", "postgres", "--auth=trust",
                              "-E", "UTF8", "--locale=C", "--no-sync"},
                             user, log));
  // CREATE DATABASE in single-user mode: no server, no port.
  int fds[2];
  if (::pipe(fds) != 0) return Unavailable("pipe failed");
  const std::string sql = "CREATE DATABASE parley;\n";
  if (::write(fds[1], sql.data(), sql.size()) != static_cast<ssize_t>(sql.size())) {
    ::close(fds[0]);
    ::close(fds[1]);
    return Unavailable("pipe write failed");
  }
  ::close(fds[1]);
  Status created =
      Run({bin_dir + "/postgres", "--single", "-D", data, "-c", "fsync=off", "postgres"}, user, log,
          fds[0]);
  ::close(fds[0]);
  PARLEY_RETURN_IF_ERROR(created);
  fs::rename(work, path, ec);
  if (ec) return Unavailable("cannot move the template to " + path);
  std::ofstream(ready) << "ok\n";
  return path;
}

// A port the kernel considers free now (bound once, then released).
Result<std::uint16_t> FreePort() {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Unavailable("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(s);
    return Unavailable("cannot find a free port");
  }
  ::close(s);
  return ntohs(a.sin_port);
}

// Processes of group `pgid` that have not exited (zombies count as gone).
bool GroupAlive(pid_t pgid) {
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return false;
  bool alive = false;
  while (dirent* e = ::readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const std::string stat = ReadFile(std::string("/proc/") + e->d_name + "/stat");
    const std::size_t paren = stat.rfind(')');  // the name may hold spaces
    if (paren == std::string::npos || paren + 2 > stat.size()) continue;
    std::istringstream fields(stat.substr(paren + 2));
    char state = 0;
    long ppid = 0;
    long group = 0;
    fields >> state >> ppid >> group;
    if (group == pgid && state != 'Z' && state != 'X') {
      alive = true;
      break;
    }
  }
  ::closedir(proc);
  return alive;
}

}  // namespace

Result<std::string> PostgresBinDir() {
  if (FILE* p = ::popen("pg_config --bindir 2>/dev/null", "r")) {
    char buf[4096];
    std::string out;
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    ::pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (!out.empty() && HasServer(out)) return out;
  }
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    if (HasServer((e.path() / "bin").string())) found.push_back(e.path() / "bin");
  }
  if (found.empty()) {
    return Error(Domain::kPlatform, Code::kNotFound,
                 "no PostgreSQL server binaries (initdb, postgres) found through pg_config or "
                 "in /usr/lib/postgresql/*/bin: install postgresql-15 (scripts/install-deps.sh)");
  }
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return std::atoi(a.parent_path().filename().c_str()) <
           std::atoi(b.parent_path().filename().c_str());
  });
  return found.back().string();
}

PostgresServer::~PostgresServer() {
  Kill();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string PostgresServer::UriOf(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::Log() const { return dir_.empty() ? "" : ReadFile(dir_ + "/log"); }

Status PostgresServer::Prepare() {
  PARLEY_ASSIGN_OR_RETURN(bin_dir_, PostgresBinDir());
  PARLEY_ASSIGN_OR_RETURN(RunAs user, ServerUser());
  PARLEY_ASSIGN_OR_RETURN(std::string tmpl, TemplateCluster(bin_dir_, user));
  std::string dir = TempBase() + "/parley-pg-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return Unavailable("mkdtemp failed");
  dir_ = dir;
  PARLEY_RETURN_IF_ERROR(Chown(dir_, user));
  PARLEY_RETURN_IF_ERROR(
      Run({"/bin/cp", "-a", tmpl + "/data", dir_ + "/data"}, RunAs{}, dir_ + "/cp.log"));
  std::error_code ec;
  fs::create_directory(dir_ + "/sock", ec);
  PARLEY_RETURN_IF_ERROR(Chown(dir_ + "/sock", user));
  PARLEY_ASSIGN_OR_RETURN(port_, FreePort());
  return Status::Ok();
}

Status PostgresServer::Start() {
  if (pid_ > 0) return Status::Ok();
  if (dir_.empty()) PARLEY_RETURN_IF_ERROR(Prepare());
  PARLEY_ASSIGN_OR_RETURN(RunAs user, ServerUser());
  const std::string log = dir_ + "/log";
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Unavailable("cannot write " + log);
  if (user.switch_user) (void)::fchown(fd, user.uid, user.gid);
  pid_ =
      Spawn({bin_dir_ + "/postgres", "-D", dir_ + "/data", "-k", dir_ + "/sock", "-p",
             std::to_string(port_), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c",
             "synchronous_commit=on", "-c", "max_connections=40", "-c", "shared_buffers=32MB"},
            {.user = user, .out_fd = fd, .own_group = true, .file_size_limit = file_size_limit_});
  ::close(fd);
  if (pid_ < 0) return Unavailable("fork failed");
  return WaitReady();
}

Status PostgresServer::WaitReady() {
  // Connection attempts until the server answers, the deadline passes, or it exits.
  const std::string probe = "host=127.0.0.1 port=" + std::to_string(port_) +
                            " user=postgres dbname=postgres connect_timeout=2";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Unavailable("the server exited while starting: " + Log());
    }
    if (PQping(probe.c_str()) == PQPING_OK) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the next poll
  }
  Kill();
  return Unavailable("the server did not accept connections within 60 s: " + Log());
}

Status PostgresServer::CreateDatabase(const std::string& name) {
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return Unavailable("not a plain database name: " + name);
  }
  const std::string conninfo =
      "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
  PGconn* conn = PQconnectdb(conninfo.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, ("CREATE DATABASE " + name).c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(conn);
  if (!error.empty()) return Unavailable("cannot create database " + name + ": " + error);
  return Status::Ok();
}

Status PostgresServer::Stop() {
  if (pid_ <= 0) return Status::Ok();
  ::kill(pid_, SIGINT);
  const int status = WaitExit(pid_);
  const pid_t group = pid_;
  pid_ = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (GroupAlive(group) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!Succeeded(status)) return Unavailable("the server did not stop cleanly: " + Log());
  return Status::Ok();
}

void PostgresServer::Kill() {
  if (pid_ <= 0) return;
  const pid_t group = pid_;
  ::kill(-group, SIGKILL);
  ::kill(pid_, SIGKILL);
  WaitExit(pid_);
  pid_ = -1;
  // The backends are not our children: wait until the kernel has them gone, so that a new
  // server over the same data finds no process still attached to the old one's memory.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (GroupAlive(group) && std::chrono::steady_clock::now() < deadline) {
    ::kill(-group, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace parley::testing
