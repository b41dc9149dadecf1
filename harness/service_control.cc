#include "harness/service_control.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness/child_domain.h"

namespace protean::harness {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kRedisUpMax{10000};
constexpr milliseconds kRedisCliBound{5000};
constexpr milliseconds kPgCtlBound{60000};  // pg_ctl's own -t 30, and its start-up
constexpr milliseconds kPsqlBound{15000};
constexpr milliseconds kKillWait{5000};
constexpr size_t kStderrTailBytes = 600;

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Tail(std::string s) {
  if (s.size() > kStderrTailBytes) s = "..." + s.substr(s.size() - kStderrTailBytes);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// "host:port" -> {host, port}.
std::pair<std::string, std::string> HostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return {address, "6379"};
  return {address.substr(0, colon), address.substr(colon + 1)};
}

// A tool by name through env(1): found on PATH, run from / (user postgres
// cannot always read the caller's folder).
std::vector<std::string> FromRoot(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"/usr/bin/env", "-C", "/"});
  return argv;
}

std::string SqlQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

ServiceControl::~ServiceControl() { StopAll(); }

std::optional<std::string> ServiceControl::Env(const std::string& name) const {
  return env_ ? env_(name) : config::ProcessEnvLookup()(name);
}

void ServiceControl::UsePrivateRedis(bool persistence) {
  if (!private_) private_ = PrivateRedis{};
  // One restart without persistence is enough to make the whole case so.
  private_->persistence = private_->persistence && persistence;
}

Result<std::string> ServiceControl::StartPrivateRedis(const std::filesystem::path& dir) {
  if (!private_) return Status::InvalidArgument("no private Redis asked for");
  Result<int> port = PickFreePort();
  if (!port.ok()) return port.status();
  private_->port = *port;
  private_->dir = dir / "redis";
  std::error_code ec;
  std::filesystem::create_directories(private_->dir, ec);
  if (ec) return Status::Unavailable("cannot create " + private_->dir.string());
  PROTEAN_RETURN_IF_ERROR(SpawnRedis());
  return "redis://127.0.0.1:" + std::to_string(private_->port) + "/0";
}

Status ServiceControl::SpawnRedis() {
  const PrivateRedis& r = *private_;
  const std::string aof = r.persistence ? "yes" : "no";
  std::vector<std::string> argv = FromRoot(
      {"redis-server", "--bind", "127.0.0.1", "--port", std::to_string(r.port), "--protected-mode",
       "yes", "--enable-debug-command", "local", "--save", "", "--appendonly", aof, "--appendfsync",
       "always", "--dir", r.dir.string(), "--logfile", (r.dir / "redis.log").string()});
  auto spawned =
      ServerProcess::Spawn(argv, (r.dir / "redis.out").string(), (r.dir / "redis.err").string());
  if (!spawned.ok()) return spawned.status();
  private_->process = std::move(spawned).value();
  return WaitForRedis();
}

Status ServiceControl::WaitForRedis() {
  const auto deadline = std::chrono::steady_clock::now() + kRedisUpMax;
  const std::string port = std::to_string(private_->port);
  for (;;) {
    Result<std::string> pong =
        RunTool(FromRoot({"redis-cli", "-h", "127.0.0.1", "-p", port, "PING"}), private_->dir,
                kRedisCliBound);
    if (pong.ok() && pong->rfind("PONG", 0) == 0) return Status::Ok();
    if (!private_->process->running() || private_->process->Poll()) {
      return Status::Unavailable("private redis-server on port " + port + " exited (" +
                                 private_->process->Describe() +
                                 "): " + Tail(ReadText(private_->dir / "redis.log")));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("private redis-server on port " + port + " not answering");
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
}

Status ServiceControl::KillPrivateRedis() {
  if (!private_ || !private_->process) return Status::InvalidArgument("no private Redis");
  private_->process->Signal(SIGKILL);
  if (!private_->process->WaitFor(kKillWait))
    return Status::Unavailable("redis-server outlived SIGKILL");
  return Status::Ok();
}

Status ServiceControl::RestartPrivateRedis() {
  if (!private_) return Status::InvalidArgument("no private Redis");
  return SpawnRedis();
}

Result<std::vector<std::string>> ServiceControl::RedisCli(
    const std::vector<std::string>& args) const {
  std::string address;
  if (private_) {
    address = "127.0.0.1:" + std::to_string(private_->port);
  } else if (auto url = Env("REDIS_URL")) {
    address = UriAddress(*url);
  }
  if (address.empty()) return Status::Unavailable("REDIS_URL is not set");
  const auto [host, port] = HostPort(address);
  std::vector<std::string> argv = FromRoot({"redis-cli", "-h", host, "-p", port});
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Status ServiceControl::RedisReply(const std::string& command, const std::string& out) {
  if (out.rfind("ERR", 0) == 0 || out.find("(error)") != std::string::npos) {
    return Status::Internal("redis-cli " + command + ": " + Tail(out));
  }
  return Status::Ok();
}

Status ServiceControl::RedisCommand(const std::vector<std::string>& args,
                                    const std::filesystem::path& dir) {
  Result<std::vector<std::string>> argv = RedisCli(args);
  if (!argv.ok()) return argv.status();
  Result<std::string> out = RunTool(*argv, dir, kRedisCliBound);
  if (!out.ok()) return out.status();
  return RedisReply(args.front(), *out);
}

Status ServiceControl::StartRedisCommand(const void* key, const std::vector<std::string>& args,
                                         const std::filesystem::path& dir) {
  Result<std::vector<std::string>> argv = RedisCli(args);
  if (!argv.ok()) return argv.status();
  Background b;
  b.key = key;
  b.command = args.front() + (args.size() > 1 ? " " + args[1] : "");
  b.base = (dir / ("tool-" + std::to_string(++tools_run_))).string();
  auto spawned = ServerProcess::Spawn(*argv, b.base + ".out", b.base + ".err");
  if (!spawned.ok()) return spawned.status();
  b.process = std::move(spawned).value();
  background_.push_back(std::move(b));
  return Status::Ok();
}

std::optional<Status> ServiceControl::FinishedRedisCommand(const void* key) {
  auto it = std::find_if(background_.begin(), background_.end(),
                         [key](const Background& b) { return b.key == key && b.process; });
  if (it == background_.end()) return Status::InvalidArgument("no background redis-cli to collect");
  Background& b = *it;
  if (!b.process->Poll()) return std::nullopt;
  Status st = b.process->exit_code() == 0
                  ? RedisReply(b.command, ReadText(b.base + ".out"))
                  : Status::Unavailable("redis-cli " + b.command + " " + b.process->Describe() +
                                        ": " + Tail(ReadText(b.base + ".err")));
  b.process.reset();
  return st;
}

std::string ServiceControl::WhyNoPostgresControl() const {
  if (!Env("PROTEAN_PG_DATA") || Env("PROTEAN_PG_DATA")->empty()) {
    return "PROTEAN_PG_DATA is not set (source ci/.work/services.env): the PostgreSQL data "
           "folder is needed to restart it";
  }
  return "";
}

Status ServiceControl::RestartPostgres(const std::filesystem::path& dir) {
  if (std::string why = WhyNoPostgresControl(); !why.empty()) return Status::Unavailable(why);
  const std::string bin = Env("PROTEAN_PG_BIN").value_or("/usr/lib/postgresql/15/bin");
  std::vector<std::string> argv = {bin + "/pg_ctl",
                                   "restart",
                                   "-D",
                                   *Env("PROTEAN_PG_DATA"),
                                   "-m",
                                   "immediate",
                                   "-w",
                                   "-t",
                                   "30"};
  if (geteuid() == 0) argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  Result<std::string> out = RunTool(FromRoot(argv), dir, kPgCtlBound);
  return out.status();
}

Result<int64_t> ServiceControl::TerminateBackends(const std::string& prefix,
                                                  const std::filesystem::path& dir) {
  const std::string bin = Env("PROTEAN_PG_BIN").value_or("/usr/lib/postgresql/15/bin");
  const std::string port = Env("PROTEAN_PG_PORT").value_or("5432");
  const std::string sql =
      "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name "
      "like " +
      SqlQuoted(prefix + "%") + " and pid <> pg_backend_pid()";
  Result<std::string> out =
      RunTool(FromRoot({bin + "/psql", "-X", "-q", "-h", "127.0.0.1", "-p", port, "-U", "postgres",
                        "-d", "postgres", "-tAc", sql}),
              dir, kPsqlBound);
  if (!out.ok()) return out.status();
  try {
    return static_cast<int64_t>(std::stoll(*out));
  } catch (const std::exception&) {
    return Status::Internal("psql pg_terminate_backend: unexpected output: " + Tail(*out));
  }
}

Result<std::string> ServiceControl::RunTool(std::vector<std::string> argv,
                                            const std::filesystem::path& dir, milliseconds bound) {
  const std::string base = (dir / ("tool-" + std::to_string(++tools_run_))).string();
  auto spawned = ServerProcess::Spawn(argv, base + ".out", base + ".err");
  if (!spawned.ok()) return spawned.status();
  ServerProcess& p = **spawned;
  std::string line;
  for (size_t i = 3; i < argv.size() && i < 8; ++i) line += argv[i] + " ";
  if (!p.WaitFor(bound)) {
    p.Signal(SIGKILL);
    p.WaitFor(kKillWait);
    return Status::Timeout(line + "did not finish within " + std::to_string(bound.count()) + " ms");
  }
  if (p.exit_code() != 0) {
    return Status::Unavailable(line + p.Describe() + ": " + Tail(ReadText(base + ".err")));
  }
  return ReadText(base + ".out");
}

void ServiceControl::StopAll() {
  for (Background& b : background_) {
    if (b.process && b.process->running()) {
      b.process->Signal(SIGKILL);
      b.process->WaitFor(kKillWait);
    }
  }
  if (private_ && private_->process && private_->process->running()) {
    private_->process->Signal(SIGKILL);
    private_->process->WaitFor(kKillWait);
  }
}

}  // namespace protean::harness
