// /metrics of a real `protean server` (label real) against the Redis in
// REDIS_URL: after a message is handled and another dead-lettered, the
// exposition passes `promtool check metrics` (Debian's prometheus package;
// the case skips naming it when promtool is absent) and carries Protean's
// families, the background gauges and their values; the pending gauge counts
// a group's whole pending list (past 10 000 entries), and an event-store
// subscription over Message DB reports its lag (category head minus the
// stored position), in /metrics and in /readyz.

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "adapters/real/message_db_event_store.h"
#include "adapters/real/redis_connection.h"
#include "core/runtime/prng.h"
#include "tests/contract/redis_test_env.h"
#include "tests/e2e/server_fixture.h"

namespace protean::e2e {
namespace {

class ServerMetricsTest : public ServerE2ETest {};

std::string Scrape(int port) {
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/metrics");
  return res && res->status == 200 ? res->body : "";
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

// The /readyz subscriptions detail of `handler`, or null.
nlohmann::json ReadyDetail(int port, const std::string& handler) {
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/readyz");
  if (!res) return nullptr;
  const nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  if (!body.is_object() || !body["checks"].contains("subscriptions")) return nullptr;
  for (const nlohmann::json& d : body["checks"]["subscriptions"]["details"]) {
    if (d["handler_name"] == handler) return d;
  }
  return nullptr;
}

// Waits (up to 15 s) for the Worker's pending gauge of `stream` to read `want`.
void ExpectPendingGauge(int port, const std::string& stream, int64_t want) {
  const std::string series = "protean_subscription_pending_messages{subscription=\"Worker-" +
                             stream + "\",handler=\"Worker\",stream=\"" + stream +
                             "\",type=\"stream\"}";
  std::string text;
  EXPECT_TRUE(WaitUntil(
      [&] {
        text = Scrape(port);
        return Sample(text, series) == static_cast<double>(want);
      },
      Ms(15000)))
      << "pending " << Sample(text, series) << ", not " << want;
}

TEST_F(ServerMetricsTest, PendingCountsTheWholePendingListPastTenThousand) {
  constexpr int kEntries = 10'500;
  // A long claim bound: the server never takes the ghost's entries.
  const DomainSpec spec{.stream = StreamName(), .claim_idle_seconds = 3600};
  const std::string domain = WriteDomain(spec);
  // Before the server starts: its group holds kEntries entries a consumer
  // that is not running was given (published and delivered in pipelines).
  auto redis = RedisConnection::Open(redis_test::TestOptions("e2e-pending"));
  ASSERT_TRUE(redis.ok()) << redis.status().ToString();
  std::vector<RedisArgs> adds = {
      RedisArgs{"XGROUP", "CREATE", spec.stream, kHandler, "0", "MKSTREAM"}};
  for (int i = 0; i < kEntries; ++i) {
    adds.push_back(RedisArgs{"XADD", spec.stream, "*", "data"}.Add(int64_t{i}));
  }
  adds.push_back(RedisArgs{"XREADGROUP", "GROUP", kHandler, "ghost", "COUNT"}
                     .Add(int64_t{kEntries})
                     .Add("STREAMS")
                     .Add(spec.stream)
                     .Add(">"));
  auto sent = (*redis)->Pipeline(adds);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  ServerProcess& server = Start("pending", domain);
  const int port = StartReady(server);
  ExpectPendingGauge(port, spec.stream, kEntries);
  const nlohmann::json detail = ReadyDetail(port, kHandler);
  EXPECT_EQ(detail["pending"], kEntries) << detail.dump();
  server.Signal(SIGTERM);
  EXPECT_EQ(server.WaitExit(Ms(15000)), 0) << server.Err();
}

// [server.priority_lanes]: the backfill lane is measured as a stream of its
// own in /readyz (with the subscription's one breaker) and in the gauges.
TEST_F(ServerMetricsTest, TheBackfillLaneIsMeasuredInReadyzAndTheGauges) {
  constexpr int kEntries = 3;
  const DomainSpec spec{.stream = StreamName(),
                        .claim_idle_seconds = 3600,
                        .domain_extra = "[server.priority_lanes]\nenabled = true\n"};
  const std::string lane = spec.stream + ":backfill";
  const std::string domain = WriteDomain(spec);
  // A consumer that is not running holds kEntries entries of the lane.
  auto redis = RedisConnection::Open(redis_test::TestOptions("e2e-lane"));
  ASSERT_TRUE(redis.ok()) << redis.status().ToString();
  std::vector<RedisArgs> adds = {RedisArgs{"DEL", lane},
                                 RedisArgs{"XGROUP", "CREATE", lane, kHandler, "0", "MKSTREAM"}};
  for (int i = 0; i < kEntries; ++i) adds.push_back(RedisArgs{"XADD", lane, "*", "data", "{}"});
  adds.push_back(RedisArgs{"XREADGROUP", "GROUP", kHandler, "ghost", "STREAMS"}.Add(lane).Add(">"));
  ASSERT_TRUE((*redis)->Pipeline(adds).ok());
  ServerProcess& server = Start("lane", domain);
  const int port = StartReady(server);
  ExpectPendingGauge(port, lane, kEntries);
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/readyz");
  ASSERT_TRUE(res);
  const nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  nlohmann::json detail;
  for (const nlohmann::json& d : body["checks"]["subscriptions"]["details"]) {
    if (d["stream_category"] == lane) detail = d;
  }
  ASSERT_TRUE(detail.is_object()) << res->body;
  EXPECT_EQ(detail["handler_name"], kHandler);
  EXPECT_EQ(detail["pending"], kEntries);
  EXPECT_EQ(detail["circuit_state"], "closed");
  server.Signal(SIGTERM);
  EXPECT_EQ(server.WaitExit(Ms(15000)), 0) << server.Err();
  (void)(*redis)->Pipeline({RedisArgs{"DEL", lane}});
}

// Event-store subscriptions as Protean's subscription_status.py measures
// them: lag = the category's head global position minus the position
// stored in the subscription's position stream; pending and DLQ depth 0.
TEST_F(ServerMetricsTest, EventStoreLagOverMessageDbIsTheHeadMinusTheStoredPosition) {
  const char* url = std::getenv("MESSAGE_DB_URL");
  if (url == nullptr || *url == '\0') GTEST_SKIP() << "MESSAGE_DB_URL not set";
  std::string category = "lag" + redis_test::Token();
  category.erase(std::remove(category.begin(), category.end(), '-'), category.end());
  RealClock clock;
  MessageDbOptions options;
  options.database_uri = url;
  auto store = MessageDbEventStore::Create(options, clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Prng ids(std::hash<std::string>{}(category));
  auto write = [&](const std::string& stream, const std::string& type, const std::string& data) {
    NewEventMessage m{ids.Uuid(), stream, type, data, ""};
    auto written = (*store)->Write(m, std::nullopt);
    ASSERT_TRUE(written.ok()) << written.status().ToString();
  };
  for (int i = 0; i < 5; ++i) write(category + "-" + std::to_string(i % 2), "Happened", "{}");
  std::vector<int64_t> globals;
  auto read = (*store)->ReadCategory(category, CategoryRead{});
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  for (const EventMessage& m : *read) globals.push_back(m.global_position);
  ASSERT_EQ(globals.size(), 5u);
  // Handled up to the second message, stored under this engine's earlier
  // name (0.2): the server reads it once (its own stream is empty), resumes
  // after it, and with position_update_interval 10 stores nothing more until
  // it stops.
  write(category + ":position-Proj", "Recorded",
        "{\"position\":" + std::to_string(globals[1]) + "}");
  const DomainSpec spec{
      .stream = StreamName(),
      .domain_extra =
          "[event_store]\nprovider = \"message_db\"\n"
          "database_uri = \"${MESSAGE_DB_URL}\"\n\n"
          "[handlers.Proj]\nstream = \"" +
          category +
          "\"\nduration_ms = 1\n"
          "[handlers.Proj.subscription_config]\nsubscription_type = \"event_store\"\n"};
  ServerProcess& server = Start("event-store-lag", WriteDomain(spec));
  const int port = StartReady(server);
  const std::string labels = "{subscription=\"Proj-" + category + "\",handler=\"Proj\",stream=\"" +
                             category + "\",type=\"event_store\"}";
  const int64_t lag = globals[4] - globals[1];
  std::string text;
  EXPECT_TRUE(WaitUntil(
      [&] {
        text = Scrape(port);
        return Sample(text, "protean_subscription_consumer_lag" + labels) == lag;
      },
      Ms(15000)))
      << "lag " << Sample(text, "protean_subscription_consumer_lag" + labels) << ", not " << lag;
  EXPECT_EQ(Sample(text, "protean_subscription_pending_messages" + labels), 0);
  EXPECT_EQ(Sample(text, "protean_subscription_dlq_depth" + labels), 0);
  EXPECT_EQ(Sample(text, "protean_subscription_status" + labels), 1);
  const nlohmann::json detail = ReadyDetail(port, "Proj");
  EXPECT_EQ(detail["lag"], lag) << detail.dump();
  EXPECT_EQ(detail["pending"], 0) << detail.dump();
  EXPECT_EQ(detail["subscription_type"], "event_store") << detail.dump();
  server.Signal(SIGTERM);
  EXPECT_EQ(server.WaitExit(Ms(15000)), 0) << server.Err();
  // The stop stored the last position, under Protean's name and record
  // type: nothing is behind any more; the old stream is left as it was.
  auto stored = (*store)->LastMessage("position-Proj-" + category, std::nullopt);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->type, "Read");
  EXPECT_NE((*stored)->data.find(std::to_string(globals[4])), std::string::npos) << (*stored)->data;
  auto old = (*store)->ReadStream(category + ":position-Proj", 0, 10);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->size(), 1u);
}

}  // namespace
}  // namespace protean::e2e
