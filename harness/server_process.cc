#include "harness/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace protean::harness {
namespace {

constexpr std::chrono::milliseconds kWaitStep{5};
constexpr std::chrono::milliseconds kKillWaitMax{5000};

std::string Errno(const std::string& what, int err) { return what + ": " + std::strerror(err); }

// The attributes of every child: its own process group, default
// dispositions for the signals the harness may block or ignore, no mask.
Status SpawnAttributes(posix_spawnattr_t* attr) {
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD}) {
    sigaddset(&defaults, s);
  }
  int rc = posix_spawnattr_setflags(
      attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (rc == 0) rc = posix_spawnattr_setpgroup(attr, 0);
  if (rc == 0) rc = posix_spawnattr_setsigmask(attr, &none);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(attr, &defaults);
  return rc == 0 ? Status::Ok() : Status::Internal(Errno("posix_spawnattr", rc));
}

Status Redirections(posix_spawn_file_actions_t* fa, const std::string& out,
                    const std::string& err) {
  int rc = posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (rc == 0) {
    rc = posix_spawn_file_actions_addopen(fa, STDOUT_FILENO, out.c_str(),
                                          O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  if (rc == 0) {
    rc = posix_spawn_file_actions_addopen(fa, STDERR_FILENO, err.c_str(),
                                          O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  return rc == 0 ? Status::Ok() : Status::Internal(Errno("posix_spawn_file_actions", rc));
}

}  // namespace

Result<std::unique_ptr<ServerProcess>> ServerProcess::Spawn(const std::vector<std::string>& argv,
                                                            const std::string& stdout_path,
                                                            const std::string& stderr_path) {
  PROTEAN_CHECK(!argv.empty());
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_init(&fa);
  Status st = SpawnAttributes(&attr);
  if (st.ok()) st = Redirections(&fa, stdout_path, stderr_path);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (st.ok()) {
    const int rc = posix_spawn(&pid, argv[0].c_str(), &fa, &attr, args.data(), environ);
    if (rc != 0) st = Status::Unavailable(Errno("cannot start " + argv[0], rc));
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (!st.ok()) return st;
  return std::unique_ptr<ServerProcess>(new ServerProcess(pid));
}

ServerProcess::~ServerProcess() {
  if (exited_) return;
  ::kill(pid_, SIGKILL);
  WaitFor(kKillWaitMax);
}

bool ServerProcess::Signal(int signal) {
  if (exited_ || Poll()) return false;
  return ::kill(pid_, signal) == 0;
}

bool ServerProcess::Poll() {
  if (exited_) return true;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    exited_ = true;
    status_ = r == pid_ ? status : 0;
  }
  return exited_;
}

bool ServerProcess::WaitFor(std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!Poll()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kWaitStep);
  }
  return true;
}

std::optional<int> ServerProcess::exit_code() const {
  if (!exited_ || !WIFEXITED(status_)) return std::nullopt;
  return WEXITSTATUS(status_);
}

std::optional<int> ServerProcess::term_signal() const {
  if (!exited_ || !WIFSIGNALED(status_)) return std::nullopt;
  return WTERMSIG(status_);
}

std::string ServerProcess::Describe() const {
  if (!exited_) return "running";
  if (auto code = exit_code()) return "exit " + std::to_string(*code);
  if (auto sig = term_signal()) {
    const char* name = sigabbrev_np(*sig);
    return std::string("killed by ") + (name ? std::string("SIG") + name : std::to_string(*sig));
  }
  return "ended";
}

Result<int> PickFreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(Errno("socket", errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) return Status::Unavailable(Errno("cannot pick a free port", err));
  return static_cast<int>(ntohs(addr.sin_port));
}

}  // namespace protean::harness
