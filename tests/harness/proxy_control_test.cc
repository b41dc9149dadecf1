// The Toxiproxy-shaped HTTP control API, in process, over real proxies.

#include <httplib.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness/proxy/control_server.h"
#include "harness/proxy/proxy_config.h"
#include "tests/harness/proxy_test_util.h"

namespace protean::harness::proxy {
namespace {

using nlohmann::json;
using namespace protean::harness::proxy::testing;  // NOLINT(build/namespaces)

class ProxyControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FaultProxyOptions o;
    o.name = "redis";
    o.upstream = upstream_.address();
    proxy_ = std::make_unique<FaultProxy>(o);
    ASSERT_TRUE(proxy_->Start().ok());
    server_ = std::make_unique<ControlServer>(std::vector<FaultProxy*>{proxy_.get()});
    const Status s = server_->Start("127.0.0.1:0");
    ASSERT_TRUE(s.ok()) << s.message();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(5, 0);
    client_->set_connection_timeout(5, 0);
  }

  Upstream upstream_;
  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<ControlServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ProxyControlServerTest, ListsProxiesInToxiproxysShape) {
  auto res = client_->Get("/proxies");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  const json body = json::parse(res->body);
  ASSERT_TRUE(body.contains("redis"));
  EXPECT_EQ(body["redis"]["listen"], proxy_->listen_address());
  EXPECT_EQ(body["redis"]["upstream"], upstream_.address());
  EXPECT_EQ(body["redis"]["enabled"], true);
  EXPECT_TRUE(body["redis"]["toxics"].is_array());
  EXPECT_EQ(client_->Get("/proxies/nope")->status, 404);
}

TEST_F(ProxyControlServerTest, AddsUpdatesAndDeletesToxicsOnALiveConnection) {
  Pair p = OpenPair(proxy_->port(), upstream_);
  ASSERT_TRUE(p.ok());
  auto res = client_->Post(
      "/proxies/redis/toxics",
      R"({"name": "lag", "type": "latency", "stream": "downstream", "attributes": {"latency": 200}})",
      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["attributes"]["latency"], 200);
  EXPECT_GE(RoundTripMs(p), 200.0);
  EXPECT_EQ(client_
                ->Post("/proxies/redis/toxics", R"({"name": "lag", "type": "timeout"})",
                       "application/json")
                ->status,
            409);
  res = client_->Post("/proxies/redis/toxics/lag", R"({"attributes": {"latency": 1}})",
                      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(proxy_->toxics().at(0).latency_ms, 1);
  EXPECT_EQ(client_->Get("/proxies/redis/toxics/lag")->status, 200);
  EXPECT_EQ(client_->Delete("/proxies/redis/toxics/lag")->status, 204);
  EXPECT_TRUE(proxy_->toxics().empty());
  EXPECT_EQ(client_->Delete("/proxies/redis/toxics/lag")->status, 404);
  const auto bad =
      client_->Post("/proxies/redis/toxics", R"({"type": "latency", "attributes": {"x": 1}})",
                    "application/json");
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(json::parse(bad->body)["error"].get<std::string>().find("'x'"), std::string::npos);
}

TEST_F(ProxyControlServerTest, EnabledFalseIsDownAndResetRestores) {
  Pair p = OpenPair(proxy_->port(), upstream_);
  ASSERT_TRUE(p.ok());
  auto res = client_->Post("/proxies/redis", R"({"enabled": false})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["enabled"], false);
  const End end = ReadToEnd(p.client.get(), Millis(2000)).end;
  EXPECT_TRUE(end == End::kEof || end == End::kReset) << EndName(end);
  EXPECT_FALSE(ConnectTo(proxy_->port()).valid());
  ASSERT_TRUE(proxy_->AddToxic(Toxic{"x", ToxicType::kLatency}).ok());
  EXPECT_EQ(client_->Post("/reset", "", "application/json")->status, 204);
  EXPECT_TRUE(proxy_->enabled());
  EXPECT_TRUE(proxy_->toxics().empty());
}

TEST_F(ProxyControlServerTest, BindsItsPortExclusively) {
  ControlServer second({proxy_.get()});
  EXPECT_FALSE(second.Start("127.0.0.1:" + std::to_string(server_->port())).ok());
}

}  // namespace
}  // namespace protean::harness::proxy
