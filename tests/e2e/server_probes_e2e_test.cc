// The probes of a real `protean server` (label real) as Protean serves
// them: /readyz in Protean's nested shape with the informational
// subscriptions block, Protean's 404/405 bodies, HEAD answered like GET.

#include <signal.h>

#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/server_fixture.h"

namespace protean::e2e {
namespace {

class ServerProbesTest : public ServerE2ETest {};

TEST_F(ServerProbesTest, ReadyzIsNestedAndErrorsAndHeadAreProteans) {
  const DomainSpec spec{.stream = StreamName()};
  ServerProcess& server = Start("probes", WriteDomain(spec));
  const int port = StartReady(server);
  httplib::Client client("127.0.0.1", port);
  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  const nlohmann::json body = nlohmann::json::parse(ready->body);
  EXPECT_EQ(body["status"], "ok");
  const nlohmann::json& checks = body["checks"];
  EXPECT_EQ(checks["shutting_down"], false);
  EXPECT_EQ(checks["providers"]["default"], "ok");
  EXPECT_EQ(checks["brokers"]["default"], "ok");
  EXPECT_EQ(checks["event_store"], "ok");
  EXPECT_TRUE(checks["caches"].is_object());
  ASSERT_EQ(checks["subscriptions"]["total"], 1) << body.dump();
  const nlohmann::json& detail = checks["subscriptions"]["details"][0];
  EXPECT_EQ(detail["handler_name"], kHandler);
  EXPECT_EQ(detail["stream_category"], spec.stream);
  EXPECT_EQ(detail["subscription_type"], "stream");
  for (const char* key : {"lag", "pending", "dlq_depth", "status"}) {
    EXPECT_TRUE(detail.contains(key)) << key << " in " << detail.dump();
  }
  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, R"({"error":"Not Found"})");
  auto wrong = client.Delete("/readyz");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->body, R"({"error":"Method Not Allowed"})");
  auto head = client.Head("/livez");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  server.Signal(SIGTERM);
  EXPECT_EQ(server.WaitExit(Ms(15000)), 0) << server.Err();
}

}  // namespace
}  // namespace protean::e2e
