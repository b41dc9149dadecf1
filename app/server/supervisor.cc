#include "app/server/supervisor.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "app/command_context.h"
#include "app/server/shutdown_signals.h"
#include "core/config/check.h"
#include "core/config/configuration_error.h"
#include "core/config/domain_config.h"
#include "core/runtime/real_executor.h"

extern char** environ;

namespace protean::cli {
namespace {

constexpr Duration kRestartDelayMin = Millis(500);
constexpr Duration kRestartDelayMax = Seconds(30);
constexpr Duration kHealthyRun = Seconds(60);  // uptime that resets the backoff
constexpr int kRestartsMax = 10;               // consecutive quick deaths tolerated
constexpr Duration kKillMargin = Seconds(15);  // beyond drain_timeout, before SIGKILL
constexpr int64_t kPollMs = 200;

struct Worker {
  int64_t index = 0;
  pid_t pid = 0;  // 0: not running
  int64_t starts = 0;
  int quick_deaths = 0;  // consecutive deaths before kHealthyRun
  TimePoint started{};
  TimePoint restart_at{};  // while waiting for a restart
  bool waiting = false;    // a restart is due at restart_at
  bool finished = false;   // exited and not restarted
};

std::string Describe(int status) {
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return std::string("was killed by signal ") + strsignal(WTERMSIG(status));
  return "stopped";
}

class Supervisor {
 public:
  Supervisor(const ServerOptions& o, const config::DomainConfig& config, int64_t n,
             std::ostream& out, std::ostream& err)
      : o_(o), out_(out), err_(err), config_(config), workers_(static_cast<size_t>(n)) {
    for (size_t i = 0; i < workers_.size(); ++i) workers_[i].index = static_cast<int64_t>(i);
  }

  int Run();

 private:
  std::vector<std::string> WorkerArgs(const Worker& w) const;
  void Spawn(Worker& w);
  void Reap();
  void OnExit(Worker& w, int status);
  void StopAll(const char* signal_name);
  bool Done() const;
  void Fatal(int code) {
    exit_code_ = std::max(exit_code_, code);
    if (!stopping_) StopAll("a failed worker");
  }

  const ServerOptions& o_;
  std::ostream& out_;
  std::ostream& err_;
  const config::DomainConfig& config_;
  RealClock clock_;
  std::vector<Worker> workers_;
  bool stopping_ = false;
  bool killed_ = false;
  TimePoint kill_at_{};
  int exit_code_ = 0;
};

std::vector<std::string> Supervisor::WorkerArgs(const Worker& w) const {
  std::vector<std::string> a = {"protean",   "server", "--domain",       o_.open.domain_path,
                                "--workers", "1",      "--worker-index", std::to_string(w.index)};
  if (o_.open.env) a.insert(a.end(), {"--env", *o_.open.env});
  if (o_.run_for > 0) a.insert(a.end(), {"--run-for", std::to_string(o_.run_for)});
  if (o_.test_mode) a.emplace_back("--test-mode");
  if (!o_.log_format.empty()) a.insert(a.end(), {"--log-format", o_.log_format});
  if (!o_.log_level.empty()) a.insert(a.end(), {"--log-level", o_.log_level});
  const config::HealthConfig& health = config_.server.health;
  const int64_t base = o_.health_port.value_or(health.port);
  if (health.enabled && !health.port_auto_increment) {
    a.insert(a.end(), {"--health-port", std::to_string(base + w.index)});
  } else if (o_.health_port) {
    a.insert(a.end(), {"--health-port", std::to_string(base)});
  }
  if (!o_.port_file.empty()) a.insert(a.end(), {"--port-file", WorkerPath(o_.port_file, w.index)});
  if (!o_.history.empty()) {
    a.insert(a.end(), {"--history", WorkerPath(o_.history, w.index, w.starts)});
  }
  return a;
}

void Supervisor::Spawn(Worker& w) {
  std::vector<std::string> args = WorkerArgs(w);
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigset_t defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGUSR2}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);  // the worker blocks its own signals
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/proc/self/exe", nullptr, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  w.waiting = false;
  ++w.starts;
  if (rc != 0) {
    err_ << "protean: supervisor: cannot start worker " << w.index << ": " << std::strerror(rc)
         << "\n";
    w.finished = true;
    Fatal(1);
    return;
  }
  w.pid = pid;
  w.started = clock_.Now();
  out_ << "protean: supervisor: worker " << w.index << " started (pid " << pid << ")\n";
  out_.flush();
}

void Supervisor::OnExit(Worker& w, int status) {
  const std::string what = Describe(status);
  const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  const bool quick = clock_.Now() - w.started < kHealthyRun;
  w.pid = 0;
  out_ << "protean: supervisor: worker " << w.index << " " << what << "\n";
  if (stopping_ || clean) {
    w.finished = true;
    if (!clean) exit_code_ = std::max(exit_code_, 1);
    return;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kExitUsageOrLoadError && quick) {
    w.finished = true;  // a configuration error: every worker would fail alike
    Fatal(kExitUsageOrLoadError);
    return;
  }
  w.quick_deaths = quick ? w.quick_deaths + 1 : 1;
  if (w.quick_deaths > kRestartsMax) {
    err_ << "protean: supervisor: worker " << w.index << " died " << w.quick_deaths
         << " times in a row; giving up\n";
    w.finished = true;
    Fatal(1);
    return;
  }
  Duration delay = kRestartDelayMin;
  for (int i = 1; i < w.quick_deaths && delay < kRestartDelayMax; ++i) delay *= 2;
  delay = std::min(delay, kRestartDelayMax);
  w.waiting = true;
  w.restart_at = clock_.Now() + delay;
  out_ << "protean: supervisor: restarting worker " << w.index << " in " << ToSecondsF(delay)
       << " s\n";
}

void Supervisor::Reap() {
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (Worker& w : workers_) {
      if (w.pid == pid) OnExit(w, status);
    }
  }
}

void Supervisor::StopAll(const char* reason) {
  if (!stopping_) {
    stopping_ = true;
    kill_at_ = clock_.Now() + config_.server.drain_timeout + kKillMargin;
    out_ << "protean: supervisor: stopping " << workers_.size() << " workers (" << reason << ")\n";
  }
  for (Worker& w : workers_) {
    w.waiting = false;
    if (w.pid != 0) ::kill(w.pid, SIGTERM);
  }
}

bool Supervisor::Done() const {
  return std::all_of(workers_.begin(), workers_.end(),
                     [](const Worker& w) { return w.pid == 0 && !w.waiting; });
}

int Supervisor::Run() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&set, sig);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  out_ << "protean: supervisor pid " << ::getpid() << ": running " << workers_.size()
       << " workers\n";
  for (Worker& w : workers_) Spawn(w);
  const timespec poll{0, kPollMs * 1000 * 1000};
  while (!Done()) {
    const int sig = sigtimedwait(&set, nullptr, &poll);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) StopAll(SignalName(sig));
    Reap();
    const TimePoint now = clock_.Now();
    for (Worker& w : workers_) {
      if (w.waiting && now >= w.restart_at && !stopping_) Spawn(w);
    }
    if (stopping_ && !killed_ && now >= kill_at_) {
      killed_ = true;
      for (Worker& w : workers_) {
        if (w.pid == 0) continue;
        err_ << "protean: supervisor: worker " << w.index << " (pid " << w.pid
             << ") still running after its grace period: killing it\n";
        ::kill(w.pid, SIGKILL);
      }
      exit_code_ = std::max(exit_code_, 1);
    }
  }
  out_ << "protean: supervisor: all workers stopped (exit " << exit_code_ << ")\n";
  return exit_code_;
}

}  // namespace

std::string WorkerPath(const std::string& path, int64_t index, int64_t restart) {
  const std::string tag =
      ".w" + std::to_string(index) + (restart > 0 ? "-r" + std::to_string(restart) : "");
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  const bool has_ext =
      dot != std::string::npos && dot > 0 && (slash == std::string::npos || dot > slash + 1);
  if (!has_ext) return path + tag;
  return path.substr(0, dot) + tag + path.substr(dot);
}

int RunSupervisor(const ServerOptions& options, const config::DomainConfig& config, int64_t workers,
                  std::ostream& out, std::ostream& err) {
  if (!options.instance.empty()) {
    err << "protean: error: --instance names one process; with --workers " << workers
        << " each worker generates its own identity\n";
    return kExitUsageOrLoadError;
  }
  const std::vector<config::Finding> findings = config::EventStoreWorkerFindings(config, workers);
  for (const config::Finding& f : findings) {
    err << "protean: error: " << f.file << (f.line > 0 ? ":" + std::to_string(f.line) : "") << ": "
        << f.key_path << ": " << f.message << "\n";
  }
  if (!findings.empty()) return kExitUsageOrLoadError;
  Supervisor supervisor(options, config, workers, out, err);
  return supervisor.Run();
}

}  // namespace protean::cli
