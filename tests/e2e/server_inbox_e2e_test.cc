// `protean publish --inbox FILE` and `protean server --inbox FILE` (label
// unit: memory providers, no services): the shipped binary, started as a
// user starts it, handles what is published to its inbox before and after it
// starts; a bad line is reported as FILE:LINE and skipped, the lines after it
// still published; a publish to an in-process broker without --inbox is
// refused, and a --file with a bad line publishes nothing.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/config/binary_util.h"
#include "tests/e2e/server_fixture.h"

namespace protean::e2e {
namespace {

using cli::testing::RunBinary;
using cli::testing::RunResult;
using cli::testing::ShellQuote;

class ServerInboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("protean-inbox-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // Memory providers throughout (the defaults); one scripted handler.
    std::ofstream(dir_ + "/domain.toml") << "[handlers.Worker]\nstream = \"orders\"\n"
                                         << "duration_ms = 1\n";
    inbox_ = dir_ + "/inbox.jsonl";
    history_ = dir_ + "/history.jsonl";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  RunResult Publish(const std::string& args) {
    return RunBinary("publish --domain " + ShellQuote(dir_) + " " + args);
  }
  // The acked events of the history so far.
  int Acked() const {
    std::ifstream in(history_);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) n += line.find("\"event\":\"acked\"") != std::string::npos;
    return n;
  }

  std::string dir_, inbox_, history_;
};

TEST_F(ServerInboxTest, AServerOnMemoryProvidersHandlesWhatItsInboxReceives) {
  for (int i = 1; i <= 2; ++i) {
    RunResult r =
        Publish("--inbox " + ShellQuote(inbox_) +
                " --stream orders --type OrderPlaced --data '{\"n\": " + std::to_string(i) + "}'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("queued ", 0), 0u) << r.out;
  }
  ServerProcess server("inbox",
                       {"server", "--domain", dir_, "--inbox", inbox_, "--history", history_,
                        "--health-port", std::to_string(FreePort())},
                       dir_);
  ASSERT_TRUE(WaitUntil([&] { return Acked() == 2; }, Ms(20000))) << server.Err();
  // While it runs: a bad line, then one more message.
  std::ofstream(inbox_, std::ios::app) << "{\"stream\": \"orders\", \"data\": [1]}\n";
  RunResult r = Publish("--inbox " + ShellQuote(inbox_) + " --stream orders --type OrderPlaced");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(WaitUntil([&] { return Acked() == 3; }, Ms(20000))) << server.Err();
  EXPECT_NE(server.Err().find(inbox_ + ":3: key 'data': expected a JSON object, got [1]"),
            std::string::npos)
      << server.Err();
  server.Signal(SIGTERM);
  EXPECT_EQ(server.WaitExit(Ms(20000)), 0) << server.Err();
  EXPECT_EQ(Acked(), 3);
}

TEST_F(ServerInboxTest, PublishingToAnInProcessBrokerWithoutAnInboxIsRefused) {
  RunResult r = Publish("--stream orders --type OrderPlaced");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("[brokers.default] provider is \"inline\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--inbox FILE"), std::string::npos) << r.err;
}

TEST_F(ServerInboxTest, AFileWithABadLinePublishesNothing) {
  const std::string file = dir_ + "/messages.jsonl";
  std::ofstream(file) << "{\"type\": \"OrderPlaced\", \"data\": {\"n\": 1}}\n"
                      << "\n"
                      << "{\"type\": \"OrderPlaced\", \"colour\": \"red\"}\n";
  RunResult r =
      Publish("--inbox " + ShellQuote(inbox_) + " --stream orders --file " + ShellQuote(file));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(file + ":3: unknown key 'colour'"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(inbox_));
}

TEST_F(ServerInboxTest, AFileFromStandardInputIsQueuedLineByLine) {
  const std::string file = dir_ + "/messages.jsonl";
  std::ofstream(file) << "{\"type\": \"OrderPlaced\", \"data\": {\"n\": 1}}\n"
                      << "{\"type\": \"OrderShipped\", \"stream\": \"shipping\"}\n";
  RunResult r = RunBinary("publish --inbox " + ShellQuote(inbox_) + " --stream orders --file - < " +
                          ShellQuote(file));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(inbox_);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("\"stream\":\"orders\",\"type\":\"OrderPlaced\",\"data\":{\"n\":1}"),
            std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("\"stream\":\"shipping\",\"type\":\"OrderShipped\""), std::string::npos)
      << text.str();
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
}

}  // namespace
}  // namespace protean::e2e
