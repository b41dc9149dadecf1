// MountHealthRoutes in an application's own cpp-httplib server, in-process:
// the application's routes and the probes side by side, API keys on
// /metrics, X-Request-ID, Protean's 404 body.

#include <httplib.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "app/server/api_keys.h"
#include "app/server/health_http_server.h"

namespace protean {
namespace {

TEST(HealthRoutesTest, MountedNextToTheApplicationsOwnRoutes) {
  cli::ApiKeyAuth keys(*cli::ParseApiKeys("m:team:metrics", "test"), 30);
  HealthProbes probes;
  probes.live = [] { return HealthResponse{200, R"({"status":"ok"})"}; };
  probes.ready = [] { return HealthResponse{503, R"({"status":"degraded"})"}; };
  probes.metrics = [] { return std::string("# HELP x y\n# TYPE x gauge\nx 1\n"); };
  probes.keys = &keys;
  httplib::Server app;
  app.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("hello", "text/plain");
  });
  MountHealthRoutes(app, probes);
  const int port = app.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { app.listen_after_bind(); });
  httplib::Client client("127.0.0.1", port);
  auto hello = client.Get("/hello");
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->body, "hello");
  EXPECT_EQ(hello->get_header_value("X-Request-ID").size(), 32u) << "hooks cover the app's routes";
  auto live = client.Get("/livez", {{"X-Request-ID", "abc"}});
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(live->get_header_value("X-Request-ID"), "abc");
  EXPECT_EQ(client.Get("/readyz")->status, 503);
  EXPECT_EQ(client.Get("/metrics")->status, 401);
  auto metrics = client.Get("/metrics", {{"Authorization", "Bearer m"}});
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->body, "# HELP x y\n# TYPE x gauge\nx 1\n");
  EXPECT_EQ(client.Get("/drainz")->status, 404) << "no drain callback: no /drainz";
  EXPECT_EQ(client.Get("/drainz")->body, R"({"error":"Not Found"})");
  app.stop();
  serving.join();
}

}  // namespace
}  // namespace protean
