#pragma once
// End-to-end tests of the shipped `protean server` binary: real processes
// against the Redis in REDIS_URL and the PostgreSQL in DATABASE_URL (both
// from ci/services.sh), with scripted handlers that record every handling in
// the database (`record = true`: one write per attempt that reaches the
// handler's end, so a record's version counts its handlings).
//
// The binary is the build's `protean`, or PROTEAN_E2E_BINARY (to run the
// cases against another build, e.g. an unfixed one). Every case uses its own
// stream and message ids, so cases may run in parallel with other runs on
// the same servers; ports are free ones found at the start of the case.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/broker.h"
#include "core/database.h"
#include "core/runtime/real_executor.h"

namespace protean::e2e {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

// A `protean server` process started by a case, stdout and stderr in files.
class ServerProcess {
 public:
  ServerProcess(std::string name, const std::vector<std::string>& args, const std::string& dir);
  ~ServerProcess();  // SIGKILLs it if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  bool running();
  void Signal(int sig);
  // The exit code (128 + signal when killed), or nullopt after `timeout`.
  std::optional<int> WaitExit(Ms timeout);
  std::string Out() const;
  std::string Err() const;
  // The port of "health server on http://HOST:PORT" on stdout, waiting up
  // to `timeout`; 0 when none appeared.
  int HealthPort(Ms timeout = Ms(10000));
  // Waits until stdout or stderr contains `text`.
  bool WaitForOutput(const std::string& text, Ms timeout);

 private:
  std::string name_;
  std::string out_path_;
  std::string err_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// GET http://127.0.0.1:port/path: the status, or -1 when the connection fails.
int HttpStatus(int port, const std::string& path, Ms timeout = Ms(300));
// A TCP port nobody listens on now (bound to port 0, then released).
int FreePort();
// Polls `done` every 50 ms until it is true or `timeout` passes.
bool WaitUntil(const std::function<bool()>& done, Ms timeout);
double SecondsSince(Clock::time_point t);

// Prometheus exposition: the value of the first sample line of `text`
// starting with `series`, or -1.
double Sample(const std::string& text, const std::string& series);
// Debian's promtool (package prometheus); absent on a machine without it.
inline constexpr const char* kPromtool = "/usr/bin/promtool";
// `promtool check metrics` over `text` (written under `dir`): its exit code,
// its output (stdout and stderr) in `output`.
int Promtool(const std::string& dir, const std::string& text, std::string* output);

struct DomainSpec {
  std::string stream;
  int64_t duration_ms = 100;
  int64_t messages_per_tick = 5;
  double claim_idle_seconds = 60;
  double drain_timeout = 10;
  int health_port = 0;  // 0: a free port found at the start
  bool port_auto_increment = true;
  std::string handler_extra = "";       // more lines of [handlers.Worker]
  std::string subscription_extra = "";  // more lines of its subscription_config
  std::string domain_extra = "";        // more tables, after the handler
};

// A fast handler that always fails messages of type "Poison", with
// `max_retries` attempts 50 ms apart (then the DLQ).
DomainSpec PoisonSpec(std::string stream, int max_retries);

class ServerE2ETest : public ::testing::Test {
 protected:
  static constexpr const char* kHandler = "Worker";

  void SetUp() override;
  void TearDown() override;

  // Writes <dir>/domain.toml (redis broker, postgresql database, one
  // scripted handler `Worker`) and returns the folder.
  std::string WriteDomain(const DomainSpec& spec);
  // Starts `protean server --domain <dir> <extra...>`.
  ServerProcess& Start(const std::string& name, const std::string& domain_dir,
                       const std::vector<std::string>& extra = {});
  // Starts and waits until its /readyz answers 200; returns its health port.
  int StartReady(ServerProcess& server);
  // Publishes one message of type "Poison" (PoisonSpec fails it); returns its id.
  std::string PublishPoison(const std::string& stream);

  // A stream name unique to this process and case.
  std::string StreamName() const;
  // Publishes n messages "<stream>-m<i>" in the id/type/data form.
  std::vector<std::string> Publish(const std::string& stream, int n);
  // How often the handler recorded message `id` (its record's version; 0: never).
  int64_t Handlings(const std::string& id);
  int64_t HandledCount(const std::vector<std::string>& ids);
  // The messages not handled exactly once, as " id=count" ("" when none).
  std::string NotOnce(const std::vector<std::string>& ids);
  // Pending entries of the group (every consumer, or one).
  std::vector<PendingEntry> Pending(const std::string& stream, const std::string& consumer = "");
  std::vector<ConsumerInfo> Consumers(const std::string& stream);
  // The consumer whose name carries `-<pid>-`, or "" (with the names seen).
  std::string ConsumerOfPid(const std::string& stream, pid_t pid, std::string* seen = nullptr);

  std::string dir() const { return dir_; }
  Broker& broker() { return *broker_; }

 private:
  std::string dir_;
  RealClock clock_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<Database> db_;
  std::vector<std::string> streams_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

}  // namespace protean::e2e
