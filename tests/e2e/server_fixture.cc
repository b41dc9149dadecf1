#include "tests/e2e/server_fixture.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "adapters/real/postgres_database.h"
#include "adapters/real/redis_broker.h"
#include "core/engine/scripted_handler.h"
#include "tests/contract/redis_test_env.h"

extern char** environ;

namespace protean::e2e {
namespace {

std::string Binary() {
  const char* override_path = std::getenv("PROTEAN_E2E_BINARY");
  return override_path != nullptr && *override_path != '\0' ? override_path : PROTEAN_CLI_PATH;
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string Tail(const std::string& text, size_t n = 2000) {
  return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

const std::string& Token() {
  static const std::string token = [] {
    std::random_device device;
    return std::to_string(device() % 1000000);
  }();
  return token;
}

}  // namespace

ServerProcess::ServerProcess(std::string name, const std::vector<std::string>& args,
                             const std::string& dir)
    : name_(std::move(name)),
      out_path_(dir + "/" + name_ + ".out"),
      err_path_(dir + "/" + name_ + ".err") {
  std::vector<std::string> argv_text = {Binary()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  // A process group of its own, so the destructor also kills a supervisor's workers.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  const int rc = posix_spawn(&pid_, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << argv[0] << ": " << std::strerror(rc);
    pid_ = -1;
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) ::kill(-pid_, SIGKILL);  // the group: it and any worker it started
  if (running()) WaitExit(Ms(5000));
}

bool ServerProcess::running() {
  if (pid_ <= 0 || exit_code_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return false;
}

void ServerProcess::Signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

std::optional<int> ServerProcess::WaitExit(Ms timeout) {
  WaitUntil([&] { return !running(); }, timeout);
  return exit_code_;
}

std::string ServerProcess::Out() const { return ReadAll(out_path_); }
std::string ServerProcess::Err() const { return ReadAll(err_path_); }

int ServerProcess::HealthPort(Ms timeout) {
  int port = 0;
  const std::string marker = "health server on http://";
  WaitUntil(
      [&] {
        const std::string out = Out();
        const size_t at = out.find(marker);
        if (at == std::string::npos) return !running();
        const size_t colon = out.find(':', at + marker.size());
        if (colon == std::string::npos) return false;
        port = std::atoi(out.c_str() + colon + 1);
        return port > 0;
      },
      timeout);
  return port;
}

bool ServerProcess::WaitForOutput(const std::string& text, Ms timeout) {
  return WaitUntil(
      [&] {
        return Out().find(text) != std::string::npos || Err().find(text) != std::string::npos;
      },
      timeout);
}

int HttpStatus(int port, const std::string& path, Ms timeout) {
  httplib::Client client("127.0.0.1", port);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  client.set_connection_timeout(0, us);
  client.set_read_timeout(0, us);
  auto res = client.Get(path.c_str());
  return res ? res->status : -1;
}

double Sample(const std::string& text, const std::string& series) {
  const size_t at = text.find("\n" + series);
  if (at == std::string::npos) return -1;
  const size_t end = text.find('\n', at + 1);
  const std::string line = text.substr(at + 1, end - at - 1);
  return std::stod(line.substr(line.rfind(' ') + 1));
}

int Promtool(const std::string& dir, const std::string& text, std::string* output) {
  const std::string in = dir + "/metrics.txt", out = dir + "/promtool.txt";
  std::ofstream(in) << text;
  const std::string cmd = std::string(kPromtool) + " check metrics < " + in + " > " + out + " 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream f(out);
  output->assign(std::istreambuf_iterator<char>(f), {});
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool WaitUntil(const std::function<bool()>& done, Ms timeout) {
  const auto end = Clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(Ms(50));
  }
}

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void ServerE2ETest::SetUp() {
  if (auto reason = redis_test::RedisSkipReason()) GTEST_SKIP() << *reason;
  const char* db_url = std::getenv("DATABASE_URL");
  if (db_url == nullptr || *db_url == '\0') {
    GTEST_SKIP() << "DATABASE_URL not set (bash ci/services.sh start && source "
                    "ci/.work/services.env)";
  }
  char tmpl[] = "/tmp/protean-e2e-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  dir_ = tmpl;
  broker_ = std::make_unique<RedisBroker>(clock_, redis_test::TestOptions("e2e"));
  PostgresDatabaseOptions options;
  options.database_uri = db_url;
  auto db = PostgresDatabase::Create(options, clock_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  db_ = std::move(db).value();
  ASSERT_TRUE(db_->Setup().ok());
}

void ServerE2ETest::TearDown() {
  for (auto& s : servers_) {
    if (HasFailure()) {
      std::cerr << "--- " << s->name() << " (pid " << s->pid() << ") stdout:\n"
                << Tail(s->Out()) << "--- stderr:\n"
                << Tail(s->Err()) << "\n";
    }
  }
  servers_.clear();  // kills what still runs
  for (const std::string& s : streams_) {
    (void)broker_->DeleteStream(s);
    (void)broker_->DeleteStream(DlqStreamName(s));
  }
  if (broker_) broker_->Close();
  if (db_) db_->Close();
  if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
}

std::string ServerE2ETest::StreamName() const {
  return "e2e-" + Token() + "-" +
         std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
}

std::string ServerE2ETest::WriteDomain(const DomainSpec& spec) {
  static int counter = 0;
  const std::string folder = dir_ + "/domain" + std::to_string(++counter);
  std::filesystem::create_directories(folder);
  std::ofstream f(folder + "/domain.toml");
  f << "[databases.default]\nprovider = \"postgresql\"\ndatabase_uri = \"${DATABASE_URL}\"\n\n"
    << "[brokers.default]\nprovider = \"redis\"\nURI = \"${REDIS_URL}\"\n\n"
    << "[server]\ndrain_timeout = " << spec.drain_timeout << "\n\n"
    << "[server.health]\nport = " << (spec.health_port != 0 ? spec.health_port : FreePort())
    << "\nport_auto_increment = " << (spec.port_auto_increment ? "true" : "false") << "\n\n"
    << "[handlers." << kHandler << "]\nstream = \"" << spec.stream << "\"\n"
    << "duration_ms = " << spec.duration_ms << "\nrecord = true\n"
    << spec.handler_extra << "\n"
    << "[handlers." << kHandler << ".subscription_config]\n"
    << "messages_per_tick = " << spec.messages_per_tick << "\n"
    << "claim_idle_seconds = " << spec.claim_idle_seconds << "\n"
    << spec.subscription_extra << "\n"
    << spec.domain_extra;
  if (std::find(streams_.begin(), streams_.end(), spec.stream) == streams_.end()) {
    streams_.push_back(spec.stream);
    (void)broker_->DeleteStream(spec.stream);
  }
  return folder;
}

ServerProcess& ServerE2ETest::Start(const std::string& name, const std::string& domain_dir,
                                    const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"server", "--domain", domain_dir};
  args.insert(args.end(), extra.begin(), extra.end());
  servers_.push_back(std::make_unique<ServerProcess>(name, args, dir_));
  return *servers_.back();
}

int ServerE2ETest::StartReady(ServerProcess& server) {
  const int port = server.HealthPort();
  EXPECT_GT(port, 0) << server.name() << " printed no health port";
  EXPECT_TRUE(WaitUntil([&] { return HttpStatus(port, "/readyz") == 200; }, Ms(10000)))
      << server.name() << " never became ready on port " << port;
  return port;
}

DomainSpec PoisonSpec(std::string stream, int max_retries) {
  return DomainSpec{.stream = std::move(stream),
                    .duration_ms = 5,
                    .handler_extra = "fail_types = [\"Poison\"]\n",
                    .subscription_extra = "max_retries = " + std::to_string(max_retries) +
                                          "\nretry_delay_seconds = 0.05\n"};
}

std::string ServerE2ETest::PublishPoison(const std::string& stream) {
  const std::string id = stream + "-poison";
  auto published = broker_->Publish(stream, {{"id", id}, {"type", "Poison"}, {"data", "{}"}});
  EXPECT_TRUE(published.ok()) << published.status().ToString();
  return id;
}

std::vector<std::string> ServerE2ETest::Publish(const std::string& stream, int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    const std::string id = stream + "-m" + std::to_string(i);
    auto published = broker_->Publish(stream, {{"id", id}, {"type", "Tick"}, {"data", "{}"}});
    EXPECT_TRUE(published.ok()) << published.status().ToString();
    ids.push_back(id);
  }
  return ids;
}

int64_t ServerE2ETest::Handlings(const std::string& id) {
  auto rec = db_->Get(kProcessedTable, ProcessedKey(kHandler, id));
  EXPECT_TRUE(rec.ok()) << rec.status().ToString();
  return rec.ok() && rec->has_value() ? (*rec)->version : 0;
}

int64_t ServerE2ETest::HandledCount(const std::vector<std::string>& ids) {
  int64_t n = 0;
  for (const std::string& id : ids) n += Handlings(id) > 0 ? 1 : 0;
  return n;
}

std::string ServerE2ETest::NotOnce(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    const int64_t v = Handlings(id);
    if (v != 1) out += " " + id + "=" + std::to_string(v);
  }
  return out;
}

std::vector<PendingEntry> ServerE2ETest::Pending(const std::string& stream,
                                                 const std::string& consumer) {
  auto pending = broker_->Pending(stream, kHandler, consumer, 1000);
  return pending.ok() ? *pending : std::vector<PendingEntry>{};
}

std::vector<ConsumerInfo> ServerE2ETest::Consumers(const std::string& stream) {
  auto consumers = broker_->Consumers(stream, kHandler);
  return consumers.ok() ? *consumers : std::vector<ConsumerInfo>{};
}

std::string ServerE2ETest::ConsumerOfPid(const std::string& stream, pid_t pid, std::string* seen) {
  const std::string tag = "-" + std::to_string(pid) + "-";
  std::string names;
  for (const ConsumerInfo& c : Consumers(stream)) {
    if (c.name.find(tag) != std::string::npos) return c.name;
    names += (names.empty() ? "" : ", ") + c.name;
  }
  if (seen != nullptr) *seen = "[" + names + "]";
  return "";
}

}  // namespace protean::e2e
