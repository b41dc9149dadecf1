// API keys of a real `protean server` (label real; seed 004): production
// without keys refuses to start naming the variable; with keys /metrics is
// 401 without one, 200 with one (Bearer or X-API-Key), 403 without the scope;
// probes stay open; admin routes are rate-limited with 429 and Retry-After;
// the keys never reach the log.

#include <signal.h>
#include <stdlib.h>

#include <string>

#include <httplib.h>

#include "adapters/real/redis_connection.h"
#include "tests/contract/redis_test_env.h"
#include "tests/e2e/server_fixture.h"

namespace protean::e2e {
namespace {

// Sets an environment variable for the servers a case starts (they inherit
// it), and restores the absence of it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

class ServerApiKeysTest : public ServerE2ETest {};

constexpr const char* kKeys = "e2e-metrics-key:team_a:read_models;e2e-admin-key:team_b:admin";

struct Reply {
  int status = -1;  // -1: no answer
  httplib::Headers headers;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it != headers.end() ? it->second : "";
  }
};

Reply Get(int port, const std::string& path, const httplib::Headers& headers) {
  httplib::Client client("127.0.0.1", port);
  httplib::Result res = client.Get(path, headers);
  return res ? Reply{res->status, res->headers} : Reply{};
}

int Status(int port, const std::string& path, const httplib::Headers& headers) {
  return Get(port, path, headers).status;
}

TEST_F(ServerApiKeysTest, ProductionWithoutKeysRefusesToStartNamingTheVariable) {
  ScopedEnv none("API_KEYS", nullptr);
  ServerProcess& server =
      Start("prod", WriteDomain({.stream = StreamName()}), {"--env", "production"});
  EXPECT_EQ(server.WaitExit(Ms(15000)), 2) << server.Err();
  EXPECT_NE(server.Err().find("needs API keys: set API_KEYS"), std::string::npos) << server.Err();
}

TEST_F(ServerApiKeysTest, MetricsNeedAKeyWithItsScopeAndProbesStayOpen) {
  ScopedEnv keys("API_KEYS", kKeys);
  ServerProcess& server = Start("keys", WriteDomain({.stream = StreamName()}),
                                {"--env", "production", "--log-format", "json"});
  const int port = StartReady(server);
  const Reply refused = Get(port, "/metrics", {});
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(Status(port, "/metrics", {{"Authorization", "Bearer wrong"}}), 401);
  EXPECT_EQ(Status(port, "/metrics", {{"Authorization", "Bearer e2e-metrics-key"}}), 200);
  EXPECT_EQ(Status(port, "/metrics", {{"X-API-Key", "e2e-metrics-key"}}), 200);
  EXPECT_EQ(Status(port, "/metrics", {{"X-API-Key", "e2e-admin-key"}}), 403);
  EXPECT_EQ(Status(port, "/drainz", {{"X-API-Key", "e2e-metrics-key"}}), 403);
  EXPECT_EQ(Status(port, "/drainz", {{"X-API-Key", "e2e-admin-key"}}), 200);
  for (const char* probe : {"/livez", "/healthz", "/readyz"}) {
    EXPECT_EQ(Status(port, probe, {}), 200) << probe;
  }
  server.Signal(SIGTERM);
  EXPECT_EQ(server.WaitExit(Ms(15000)), 0) << server.Err();
  EXPECT_NE(server.Err().find("2 from environment variable API_KEYS"), std::string::npos)
      << server.Err();
  EXPECT_EQ(server.Err().find("e2e-metrics-key"), std::string::npos) << "a key was logged";
  EXPECT_EQ(server.Err().find("e2e-admin-key"), std::string::npos) << "a key was logged";
}

TEST_F(ServerApiKeysTest, AdminRoutesAreRateLimitedPerKey) {
  // A key of this run only: its window lives in the shared Redis.
  const std::string key = "admin-" + StreamName();
  const std::string entries = key + ":ops:admin";
  ScopedEnv keys("API_KEYS", entries.c_str());
  DomainSpec spec{.stream = StreamName(),
                  .domain_extra = "[server.security]\nadmin_requests_per_minute = 2\n"};
  ServerProcess& server = Start("limited", WriteDomain(spec));
  const int port = StartReady(server);
  const httplib::Headers admin = {{"X-API-Key", key}};
  EXPECT_EQ(Status(port, "/drainz", admin), 200);
  EXPECT_EQ(Status(port, "/drainz", admin), 200);
  const Reply limited = Get(port, "/drainz", admin);
  EXPECT_EQ(limited.status, 429);
  const int retry_after = std::atoi(limited.header("Retry-After").c_str());
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
  // Another route of the same key is not admin: not limited.
  EXPECT_EQ(Status(port, "/livez", admin), 200);
}

// With a Redis broker the admin limit is kept in Redis: two servers with the
// same key share one window of admin_requests_per_minute.
TEST_F(ServerApiKeysTest, TheAdminLimitHoldsAcrossTwoServersOnOneRedis) {
  const std::string key = "admin-" + StreamName();
  const std::string entries = key + ":ops:admin";
  ScopedEnv keys("API_KEYS", entries.c_str());
  DomainSpec spec{.stream = StreamName(),
                  .domain_extra = "[server.security]\nadmin_requests_per_minute = 3\n"};
  const std::string domain = WriteDomain(spec);
  ServerProcess& a = Start("a", domain, {"--log-format", "json"});
  const int port_a = StartReady(a);
  ServerProcess& b = Start("b", domain);
  const int port_b = StartReady(b);
  ASSERT_NE(port_a, port_b);
  EXPECT_TRUE(a.WaitForOutput("admin rate limit shared through Redis", Ms(5000))) << a.Err();
  const httplib::Headers admin = {{"Authorization", "Bearer " + key}};
  EXPECT_EQ(Status(port_a, "/drainz", admin), 200);
  EXPECT_EQ(Status(port_b, "/drainz", admin), 200);
  EXPECT_EQ(Status(port_a, "/drainz", admin), 200);
  // Three in the window, across both: each process alone has seen at most two.
  const Reply on_b = Get(port_b, "/drainz", admin);
  EXPECT_EQ(on_b.status, 429);
  const int retry_after = std::atoi(on_b.header("Retry-After").c_str());
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
  EXPECT_EQ(Status(port_a, "/drainz", admin), 429);
  // The key itself is not what Redis holds.
  auto redis = RedisConnection::Open(redis_test::TestOptions("e2e-rate"));
  ASSERT_TRUE(redis.ok()) << redis.status().ToString();
  auto found = (*redis)->Command(RedisArgs{"KEYS", "protean:admin_rate:*" + key + "*"});
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->get()->elements, 0u);
  a.Signal(SIGTERM);
  b.Signal(SIGTERM);
  EXPECT_EQ(a.WaitExit(Ms(15000)), 0) << a.Err();
  EXPECT_EQ(b.WaitExit(Ms(15000)), 0) << b.Err();
}

TEST_F(ServerApiKeysTest, OutsideProductionWithoutKeysRoutesStayOpenAndTheLogSaysSo) {
  ScopedEnv none("API_KEYS", nullptr);
  ServerProcess& server =
      Start("open", WriteDomain({.stream = StreamName()}), {"--log-format", "json"});
  const int port = StartReady(server);
  EXPECT_EQ(Status(port, "/metrics", {}), 200);
  EXPECT_TRUE(server.WaitForOutput("\"server.api_keys_absent\"", Ms(5000))) << server.Err();
}

}  // namespace
}  // namespace protean::e2e
