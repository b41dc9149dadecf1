// /metrics of a real `protean server` (label real) against the Redis in
// REDIS_URL: after a message is handled and another dead-lettered, the
// exposition passes `promtool check metrics` (Debian's prometheus package;
// the case skips naming it when promtool is absent) and carries Protean's
// families, the background gauges and their values.

#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <httplib.h>

#include "tests/e2e/server_fixture.h"

namespace protean::e2e {
namespace {

class ServerMetricsTest : public ServerE2ETest {};

constexpr const char* kPromtool = "/usr/bin/promtool";

std::string Scrape(int port) {
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/metrics");
  return res && res->status == 200 ? res->body : "";
}

// The value of the first sample line starting with `series`, or -1.
double Sample(const std::string& text, const std::string& series) {
  const size_t at = text.find("\n" + series);
  if (at == std::string::npos) return -1;
  const size_t end = text.find('\n', at + 1);
  const std::string line = text.substr(at + 1, end - at - 1);
  return std::stod(line.substr(line.rfind(' ') + 1));
}

// promtool's exit code and its output (stdout and stderr) for `text`.
int Promtool(const std::string& dir, const std::string& text, std::string* output) {
  const std::string in = dir + "/metrics.txt", out = dir + "/promtool.txt";
  std::ofstream(in) << text;
  const std::string cmd = std::string(kPromtool) + " check metrics < " + in + " > " + out + " 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream f(out);
  output->assign(std::istreambuf_iterator<char>(f), {});
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(ServerMetricsTest, ScrapePassesPromtoolWithProteansFamiliesAndGauges) {
  if (!std::filesystem::exists(kPromtool)) {
    GTEST_SKIP() << kPromtool << " not installed (Debian package prometheus)";
  }
  const DomainSpec spec = PoisonSpec(StreamName(), 1);
  ServerProcess& server = Start("metrics", WriteDomain(spec), {"--log-format", "json"});
  const int port = StartReady(server);
  Publish(spec.stream, 1);
  PublishPoison(spec.stream);
  ASSERT_TRUE(server.WaitForOutput("\"dlq.moved\"", Ms(15000))) << server.Err();
  const std::string labels = "{subscription=\"Worker-" + spec.stream +
                             "\",handler=\"Worker\",stream=\"" + spec.stream + "\"";
  // The DLQ gauge is read in the background (every 5 s): wait for it.
  std::string text;
  ASSERT_TRUE(WaitUntil(
      [&] {
        text = Scrape(port);
        return Sample(text, "protean_subscription_dlq_depth" + labels) == 1;
      },
      Ms(15000)))
      << text;
  std::string findings;
  EXPECT_EQ(Promtool(dir(), text, &findings), 0) << findings;
  EXPECT_EQ(findings, "") << "promtool findings:\n" << findings;
  EXPECT_EQ(
      Sample(text, "protean_subscription_messages_processed_total" + labels + ",status=\"ok\"}"),
      1);
  EXPECT_EQ(Sample(text, "protean_subscription_dlq_routed_total" + labels + "}"), 1);
  EXPECT_EQ(Sample(text, "protean_subscription_processing_duration_seconds_count" + labels + "}"),
            2);
  EXPECT_EQ(Sample(text, "protean_subscription_status" + labels), 1);
  EXPECT_EQ(Sample(text, "protean_subscription_pending_messages" + labels), 0);
  EXPECT_EQ(Sample(text, "protean_subscription_consumer_lag" + labels), 0);
  EXPECT_GT(Sample(text, "protean_engine_uptime_seconds"), 0);
  EXPECT_GE(Sample(text, "protean_broker_pool_active_connections"), 1);
  EXPECT_GE(Sample(text, "protean_db_pool_size"), 1);
  EXPECT_NE(text.find("# HELP protean_subscription_retries_total "), std::string::npos);
  server.Signal(SIGTERM);
  EXPECT_EQ(server.WaitExit(Ms(15000)), 0) << server.Err();
}

}  // namespace
}  // namespace protean::e2e
