// The log of a real `protean server` (label real): against the Redis in
// REDIS_URL, every stderr line is a JSON object with time, level, event and
// message; a message its handler always fails is retried, then moved to the
// DLQ, and both are in the log with the message id, attempt and reason; the
// health server echoes X-Request-ID and logs it.

#include <signal.h>

#include <sstream>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/server_fixture.h"

namespace protean::e2e {
namespace {

class ServerLogsTest : public ServerE2ETest {};

std::vector<nlohmann::json> JsonLines(const std::string& text, std::string* bad) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    try {
      out.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception&) {
      *bad += line + "\n";
    }
  }
  return out;
}

const nlohmann::json* FindEvent(const std::vector<nlohmann::json>& lines,
                                const std::string& event) {
  for (const nlohmann::json& j : lines) {
    if (j.value("event", "") == event) return &j;
  }
  return nullptr;
}

TEST_F(ServerLogsTest, StderrIsJsonLinesWithRetriesTheDlqMoveAndRequestIds) {
  const DomainSpec spec = PoisonSpec(StreamName(), 2);
  ServerProcess& server = Start("logs", WriteDomain(spec), {"--log-format", "json"});
  const int port = StartReady(server);
  const std::string id = PublishPoison(spec.stream);
  ASSERT_TRUE(server.WaitForOutput("\"dlq.moved\"", Ms(15000))) << server.Err();

  httplib::Client client("127.0.0.1", port);
  auto given = client.Get("/livez", {{"X-Request-ID", "req-e2e-42"}});
  ASSERT_TRUE(given);
  EXPECT_EQ(given->get_header_value("X-Request-ID"), "req-e2e-42");
  auto generated = client.Get("/nowhere");
  ASSERT_TRUE(generated);
  EXPECT_EQ(generated->status, 404);
  const std::string generated_id = generated->get_header_value("X-Request-ID");
  EXPECT_EQ(generated_id.size(), 32u);

  server.Signal(SIGTERM);
  ASSERT_EQ(server.WaitExit(Ms(15000)), 0) << server.Err();
  std::string bad;
  const std::vector<nlohmann::json> lines = JsonLines(server.Err(), &bad);
  EXPECT_EQ(bad, "") << "stderr lines that are not JSON";
  ASSERT_FALSE(lines.empty());
  for (const nlohmann::json& j : lines) {
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("event") &&
                j.contains("message"))
        << j.dump();
    EXPECT_EQ(j["time"].get<std::string>().back(), 'Z') << j.dump();
  }
  const nlohmann::json* started = FindEvent(lines, "server.started");
  ASSERT_NE(started, nullptr) << server.Err();
  EXPECT_EQ((*started)["health_port"], port);
  EXPECT_NE((*started)["adapters"].get<std::string>().find("brokers.default=redis"),
            std::string::npos);
  const nlohmann::json* failed = FindEvent(lines, "handler.failed");
  ASSERT_NE(failed, nullptr) << server.Err();
  EXPECT_EQ((*failed)["message_id"], id);
  EXPECT_EQ((*failed)["attempt"], 1);
  EXPECT_EQ((*failed)["handler"], kHandler);
  EXPECT_NE(FindEvent(lines, "handler.retry_scheduled"), nullptr) << server.Err();
  const nlohmann::json* moved = FindEvent(lines, "dlq.moved");
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ((*moved)["message_id"], id);
  EXPECT_EQ((*moved)["attempt"], 2);
  EXPECT_EQ((*moved)["stream"], spec.stream);
  EXPECT_NE((*moved)["message"].get<std::string>().find("Poison"), std::string::npos)
      << "the reason names the failure: " << moved->dump();
  EXPECT_NE(FindEvent(lines, "shutdown.step"), nullptr);
  // Request ids: both in the http.request lines (an error is logged at INFO).
  bool logged_generated = false;
  for (const nlohmann::json& j : lines) {
    logged_generated |= j.value("event", "") == "http.request" &&
                        j.value("request_id", "") == generated_id && j["status"] == 404;
  }
  EXPECT_TRUE(logged_generated) << server.Err();
}

TEST_F(ServerLogsTest, LevelFromTheFileAndTheFlagFiltersLines) {
  DomainSpec spec{.stream = StreamName(), .domain_extra = "[logging]\nlevel = \"ERROR\"\n"};
  const std::string domain = WriteDomain(spec);
  ServerProcess& quiet = Start("quiet", domain, {"--log-format", "json", "--run-for", "1"});
  ASSERT_EQ(quiet.WaitExit(Ms(15000)), 0) << quiet.Err();
  EXPECT_EQ(quiet.Err().find("server.started"), std::string::npos) << quiet.Err();
  ServerProcess& loud =
      Start("loud", domain, {"--log-format", "json", "--log-level", "INFO", "--run-for", "1"});
  ASSERT_EQ(loud.WaitExit(Ms(15000)), 0) << loud.Err();
  EXPECT_NE(loud.Err().find("server.started"), std::string::npos) << loud.Err();
}

}  // namespace
}  // namespace protean::e2e
