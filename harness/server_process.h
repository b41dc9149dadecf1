#pragma once
// One `protean server` child of the harness (test mode): spawned with
// posix_spawn in a process group of its own, stdin from /dev/null, stdout and
// stderr to files, default signal dispositions and an empty signal mask
// (whatever the spawning thread blocked). Signalled and reaped by its pid
// only, never by group or name.
//
// The destructor never leaves a child behind: one still running gets
// SIGKILL and is reaped. Not thread-safe: one owner thread.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace protean::harness {

class ServerProcess {
 public:
  // `argv[0]` is the binary's path. Unavailable when it cannot be spawned.
  static Result<std::unique_ptr<ServerProcess>> Spawn(const std::vector<std::string>& argv,
                                                      const std::string& stdout_path,
                                                      const std::string& stderr_path);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return !exited_; }
  // kill(pid, signal) while it runs; false once it exited.
  bool Signal(int signal);
  // Reaps it if it exited (never blocks); true once exited.
  bool Poll();
  // Waits up to `bound` for it to exit; true once exited.
  bool WaitFor(std::chrono::milliseconds bound);

  // After exit: the exit code, or the signal that ended it.
  std::optional<int> exit_code() const;
  std::optional<int> term_signal() const;
  // "running", "exit 0", "killed by SIGKILL".
  std::string Describe() const;

 private:
  explicit ServerProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool exited_ = false;
  int status_ = 0;
};

// A port on 127.0.0.1 that was free a moment ago (bound to port 0, read,
// closed); the child binds it exclusively, and a lost race is a start-up
// error the caller retries with another.
Result<int> PickFreePort();

}  // namespace protean::harness
