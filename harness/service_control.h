#pragma once
// Test mode's service faults: what the harness does to the real Redis and
// PostgreSQL themselves, not to the connections (that is the proxy's job,
// network_faults.h).
//
//   - A private Redis for one case (redis_restart): a redis-server of the
//     case's own on a free port, in the case's folder, with AOF on
//     (appendonly yes, appendfsync always: an acknowledged write survives a
//     SIGKILL) or with no persistence at all (a restart loses everything),
//     and with --enable-debug-command local (DEBUG SLEEP; Debian's Redis 7.0
//     refuses DEBUG otherwise).
//     REDIS_URL then names it, for the harness and the children alike, and
//     nothing else of the run touches the shared Redis.
//   - Commands to the run's Redis (CLIENT PAUSE, CLIENT KILL) through
//     redis-cli; one that blocks its own connection (DEBUG SLEEP) in a
//     redis-cli of its own that is not waited for; and to PostgreSQL (pg_ctl restart -m immediate,
//     pg_terminate_backend) through pg_ctl and psql, as ci/services.sh runs
//     them (as user postgres when root, from /).
//
// PostgreSQL is found through PROTEAN_PG_DATA, PROTEAN_PG_PORT and
// PROTEAN_PG_BIN (default /usr/lib/postgresql/15/bin), which
// ci/.work/services.env exports. Every tool runs with a bound; a failure is
// a Status naming the command and its stderr. Loop thread only; a call
// blocks for as long as its tool runs.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/substitution.h"
#include "core/status.h"
#include "harness/server_process.h"

namespace protean::harness {

class ServiceControl {
 public:
  explicit ServiceControl(config::EnvLookup env_lookup) : env_(std::move(env_lookup)) {}
  ~ServiceControl();
  ServiceControl(const ServiceControl&) = delete;
  ServiceControl& operator=(const ServiceControl&) = delete;

  // --- Before the world opens: a fault asks for a private Redis.
  void UsePrivateRedis(bool persistence);
  bool private_redis() const { return private_.has_value(); }
  // Starts it in `dir` and waits until it answers; the URL to use as
  // REDIS_URL. Unavailable if it does not start.
  Result<std::string> StartPrivateRedis(const std::filesystem::path& dir);
  // SIGKILL of the private Redis (a crash: only what AOF holds survives).
  Status KillPrivateRedis();
  // Starts it again on the same port and folder; waits until it answers.
  Status RestartPrivateRedis();

  // A command to the run's Redis (the private one, else REDIS_URL's).
  Status RedisCommand(const std::vector<std::string>& args, const std::filesystem::path& dir);
  // The same on a connection of its own, not waited for (DEBUG SLEEP blocks
  // the connection that sends it): a redis-cli in the background, known by
  // the caller's `key` (one command per key). StopAll kills one still
  // running.
  Status StartRedisCommand(const void* key, const std::vector<std::string>& args,
                           const std::filesystem::path& dir);
  // Never blocks: nullopt while the command of `key` runs, then its outcome
  // (as RedisCommand's), once; InvalidArgument for a key with none.
  std::optional<Status> FinishedRedisCommand(const void* key);

  // pg_ctl restart -m immediate -w.
  Status RestartPostgres(const std::filesystem::path& dir);
  // pg_terminate_backend of every backend whose application_name starts
  // with `prefix`; how many were terminated.
  Result<int64_t> TerminateBackends(const std::string& prefix, const std::filesystem::path& dir);
  // Why PostgreSQL cannot be restarted from here ("" = it can).
  std::string WhyNoPostgresControl() const;

  void StopAll();

 private:
  struct PrivateRedis {
    bool persistence = true;
    int port = 0;
    std::filesystem::path dir;
    std::unique_ptr<ServerProcess> process;
  };
  struct Background {
    const void* key = nullptr;
    std::string command;  // the command's first word, for messages
    std::string base;     // its stdout/stderr files without .out/.err
    std::unique_ptr<ServerProcess> process;
  };
  std::optional<std::string> Env(const std::string& name) const;
  // redis-cli ... ARGS against the run's Redis.
  Result<std::vector<std::string>> RedisCli(const std::vector<std::string>& args) const;
  // A finished redis-cli's output: an error reply is Internal.
  static Status RedisReply(const std::string& command, const std::string& out);
  Status SpawnRedis();
  Status WaitForRedis();
  // Runs a tool to completion within `bound`; its stdout.
  Result<std::string> RunTool(std::vector<std::string> argv, const std::filesystem::path& dir,
                              std::chrono::milliseconds bound);

  config::EnvLookup env_;
  std::optional<PrivateRedis> private_;
  std::vector<Background> background_;
  int tools_run_ = 0;
};

}  // namespace protean::harness
