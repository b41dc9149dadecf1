// `protean server --workers N` and `--history` end to end (label real).

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/e2e/server_fixture.h"

namespace protean::e2e {
namespace {

class ServerWorkersTest : public ServerE2ETest {
 protected:
  int ReadPort(const std::string& path) {
    std::ifstream f(path);
    int port = 0;
    f >> port;
    return port;
  }
  // The pid the supervisor reported for the `nth` start of worker `index`.
  pid_t WorkerPid(const ServerProcess& supervisor, int index, int nth = 1) {
    const std::string marker = "worker " + std::to_string(index) + " started (pid ";
    const std::string out = supervisor.Out();
    size_t at = 0;
    for (int i = 0; i < nth; ++i) {
      at = out.find(marker, i == 0 ? 0 : at + 1);
      if (at == std::string::npos) return 0;
    }
    return static_cast<pid_t>(std::atoi(out.c_str() + at + marker.size()));
  }
  std::vector<nlohmann::json> ReadHistory(const std::string& path) {
    std::vector<nlohmann::json> lines;
    std::ifstream f(path);
    std::string line;
    while (std::getline(f, line)) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      EXPECT_TRUE(j.is_object()) << path << ": not a JSON object: " << line;
      lines.push_back(std::move(j));
    }
    return lines;
  }
};

// Two workers: each its own consumer and health port, every message handled
// once; a worker killed with SIGKILL is restarted; SIGTERM to the supervisor
// stops them all with exit 0.
TEST_F(ServerWorkersTest, WorkersAreDistinctConsumersRestartedAndStoppedTogether) {
  DomainSpec spec{.stream = StreamName(), .duration_ms = 100, .claim_idle_seconds = 2};
  const std::string domain = WriteDomain(spec);
  const std::string port_file = dir() + "/port";
  const std::string history = dir() + "/run.jsonl";
  ServerProcess& sup = Start("supervisor", domain,
                             {"--workers", "2", "--port-file", port_file, "--history", history});
  std::set<int> ports;
  ASSERT_TRUE(WaitUntil(
      [&] {
        ports = {ReadPort(port_file + ".w0"), ReadPort(port_file + ".w1")};
        return ports.size() == 2 && !ports.count(0);
      },
      Ms(15000)))
      << "the workers wrote no distinct ports";
  for (int port : ports) {
    EXPECT_TRUE(WaitUntil([&] { return HttpStatus(port, "/readyz") == 200; }, Ms(10000)));
  }
  const std::vector<std::string> ids = Publish(spec.stream, 20);
  ASSERT_TRUE(WaitUntil([&] { return HandledCount(ids) == 20; }, Ms(30000)));
  EXPECT_EQ(NotOnce(ids), "");
  const pid_t w0 = WorkerPid(sup, 0);
  const pid_t w1 = WorkerPid(sup, 1);
  ASSERT_GT(w0, 0);
  ASSERT_GT(w1, 0);
  EXPECT_NE(ConsumerOfPid(spec.stream, w0), "");
  EXPECT_NE(ConsumerOfPid(spec.stream, w1), "");
  ::kill(w0, SIGKILL);
  ASSERT_TRUE(WaitUntil([&] { return WorkerPid(sup, 0, 2) > 0; }, Ms(10000)))
      << "worker 0 was not restarted";
  EXPECT_TRUE(
      WaitUntil([&] { return std::filesystem::exists(dir() + "/run.w0-r1.jsonl"); }, Ms(5000)));
  const auto signalled = Clock::now();
  sup.Signal(SIGTERM);
  EXPECT_EQ(sup.WaitExit(Ms(20000)), std::optional<int>(0));
  EXPECT_LT(SecondsSince(signalled), spec.drain_timeout);
  EXPECT_NE(sup.Out().find("all workers stopped"), std::string::npos);
  for (const char* file : {"/run.w0.jsonl", "/run.w1.jsonl", "/run.w0-r1.jsonl"}) {
    const std::vector<nlohmann::json> lines = ReadHistory(dir() + file);
    ASSERT_FALSE(lines.empty()) << file;
    EXPECT_EQ(lines[0].value("history", 0), 1) << file;
    EXPECT_EQ(lines[0].value("named_instance", true), false) << file;
  }
}

// --history with a named instance: a header, then one JSON object per line;
// a SIGKILL leaves every line the process completed.
TEST_F(ServerWorkersTest, HistoryKeepsEveryCompletedLineAfterSigkill) {
  DomainSpec spec{.stream = StreamName(), .duration_ms = 50};
  const std::string domain = WriteDomain(spec);
  const std::string history = dir() + "/w7.jsonl";
  ServerProcess& a = Start("a", domain, {"--instance", "w7", "--history", history});
  StartReady(a);
  EXPECT_TRUE(a.WaitForOutput("instance w7 (named); consumers Worker-w7", Ms(3000)));
  const std::vector<std::string> ids = Publish(spec.stream, 5);
  ASSERT_TRUE(WaitUntil([&] { return HandledCount(ids) == 5; }, Ms(15000)));
  ASSERT_TRUE(WaitUntil([&] { return Pending(spec.stream).empty(); }, Ms(5000)));
  a.Signal(SIGKILL);
  a.WaitExit(Ms(5000));
  const std::vector<nlohmann::json> lines = ReadHistory(history);
  ASSERT_GT(lines.size(), 1u);
  const nlohmann::json& header = lines[0];
  EXPECT_EQ(header.value("history", 0), 1);
  EXPECT_EQ(header.value("instance", ""), "w7");
  EXPECT_EQ(header.value("named_instance", false), true);
  EXPECT_EQ(header.value("pid", 0), a.pid());
  EXPECT_EQ(header["subscriptions"]["Worker"].value("stream", ""), spec.stream);
  std::set<std::string> acked;
  for (size_t i = 1; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].value("instance", ""), "w7") << lines[i].dump();
    if (lines[i].value("event", "") == "acked") acked.insert(lines[i].value("message_id", ""));
  }
  EXPECT_EQ(acked, std::set<std::string>(ids.begin(), ids.end()));
}

}  // namespace
}  // namespace protean::e2e
