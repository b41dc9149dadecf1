// `protean server` end to end (label real): two or more real server
// processes on one stream of the Redis in REDIS_URL, handlings counted in
// the PostgreSQL in DATABASE_URL (see server_fixture.h). The first three
// cases use only what the server had before issue #9 (no new flags), so they
// can be run against an older binary with PROTEAN_E2E_BINARY.

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/e2e/server_fixture.h"

namespace protean::e2e {
namespace {

class ServerTwoProcessesTest : public ServerE2ETest {};

// SIGTERM one of two servers while its handlers run: its readiness is 503
// for the whole drain (never its neighbour's 200), it exits within the drain
// bound with 0, and every message is handled exactly once.
TEST_F(ServerTwoProcessesTest, SigtermDrainsWithReadiness503AndEveryMessageOnce) {
  DomainSpec spec{
      .stream = StreamName(), .duration_ms = 400, .messages_per_tick = 4, .claim_idle_seconds = 2};
  const std::string domain = WriteDomain(spec);  // one file, one base port: auto-increment
  ServerProcess& a = Start("a", domain);
  const int port_a = StartReady(a);
  ServerProcess& b = Start("b", domain);
  StartReady(b);
  const std::vector<std::string> ids = Publish(spec.stream, 40);
  ASSERT_TRUE(WaitUntil([&] { return HandledCount(ids) >= 6; }, Ms(20000)));
  const auto signalled = Clock::now();
  a.Signal(SIGTERM);
  std::vector<std::pair<double, int>> probes;  // (seconds after SIGTERM, status)
  while (a.running() && SecondsSince(signalled) < 15) {
    probes.emplace_back(SecondsSince(signalled), HttpStatus(port_a, "/readyz", Ms(200)));
    std::this_thread::sleep_for(Ms(20));
  }
  const std::optional<int> code = a.WaitExit(Ms(15000));
  const double exit_s = SecondsSince(signalled);
  ASSERT_TRUE(code.has_value()) << "a did not exit";
  EXPECT_EQ(*code, 0);
  EXPECT_LT(exit_s, spec.drain_timeout + 1.0);
  int draining = 0;
  std::string answered_ok;
  for (const auto& [at, status] : probes) {
    if (status == 503) ++draining;
    // The first few ms may still see "ok": the loop has not read the signal yet.
    if (status == 200 && at > 0.05) answered_ok += " +" + std::to_string(at) + "s";
  }
  EXPECT_GT(draining, 0) << "no 503 during a's drain (" << probes.size() << " probes)";
  EXPECT_EQ(answered_ok, "") << "a's port answered 200 during a's drain";
  ASSERT_TRUE(WaitUntil([&] { return HandledCount(ids) == 40; }, Ms(30000)))
      << HandledCount(ids) << " of 40 handled";
  std::this_thread::sleep_for(Ms(2500));  // anything handled twice would be by now
  EXPECT_EQ(NotOnce(ids), "");
  b.Signal(SIGTERM);
  EXPECT_EQ(b.WaitExit(Ms(15000)), std::optional<int>(0));
}

// SIGKILL one of two servers holding pending entries: the survivor claims
// them within claim_idle_seconds + one claim interval, everything is handled,
// and only the killed server's entries may be handled twice. A third server
// started afterwards removes the dead consumer (nothing pending, pid gone)
// and keeps the live one.
TEST_F(ServerTwoProcessesTest, SigkilledServersEntriesAreClaimedWithinTheBound) {
  // The claim interval: min(claim_idle_seconds / 2, 5 s) = 1 s.
  DomainSpec spec{
      .stream = StreamName(), .duration_ms = 300, .messages_per_tick = 5, .claim_idle_seconds = 2};
  const std::string domain = WriteDomain(spec);
  ServerProcess& a = Start("a", domain);
  StartReady(a);
  ServerProcess& b = Start("b", domain);
  StartReady(b);
  const std::vector<std::string> ids = Publish(spec.stream, 30);
  std::string consumer_a;
  std::string seen;
  const bool a_holds = WaitUntil(
      [&] {
        consumer_a = ConsumerOfPid(spec.stream, a.pid(), &seen);
        return !consumer_a.empty() && Pending(spec.stream, consumer_a).size() >= 2;
      },
      Ms(15000));
  ASSERT_TRUE(a_holds) << "no consumer of group Worker is a's own (pid " << a.pid()
                       << ") with pending entries; consumers: " << seen;
  const std::string consumer_b = ConsumerOfPid(spec.stream, b.pid());
  ASSERT_FALSE(consumer_b.empty());
  ASSERT_NE(consumer_a, consumer_b);
  a.Signal(SIGKILL);
  const auto killed = Clock::now();
  std::set<std::string> held;
  for (const PendingEntry& p : Pending(spec.stream, consumer_a)) held.insert(p.id);
  ASSERT_FALSE(held.empty());
  const bool claimed =
      WaitUntil([&] { return Pending(spec.stream, consumer_a).empty(); }, Ms(15000));
  const double claim_s = SecondsSince(killed);
  ASSERT_TRUE(claimed) << "a's entries were never claimed";
  EXPECT_LE(claim_s, spec.claim_idle_seconds + 1.0 + 1.0)  // + one interval + polling slack
      << "claimed after " << claim_s << " s";
  ASSERT_TRUE(WaitUntil([&] { return HandledCount(ids) == 30; }, Ms(30000)))
      << HandledCount(ids) << " of 30 handled";
  // Duplicates only among the entries a held when it died (at-least-once).
  const auto entries = broker().Range(spec.stream, "-", "+", 1000);
  ASSERT_TRUE(entries.ok());
  std::string twice_not_held;
  for (const StreamEntry& e : *entries) {
    const std::string* id = FindField(e.fields, "id");
    if (id != nullptr && Handlings(*id) > 1 && held.count(e.id) == 0) twice_not_held += " " + *id;
  }
  EXPECT_EQ(twice_not_held, "") << "handled twice though a never held them";
  ServerProcess& c = Start("c", domain);
  StartReady(c);
  EXPECT_TRUE(c.WaitForOutput("removed stale consumer " + consumer_a, Ms(5000)));
  std::string after;
  EXPECT_EQ(ConsumerOfPid(spec.stream, a.pid(), &after), "") << "still listed: " << after;
  EXPECT_EQ(ConsumerOfPid(spec.stream, b.pid()), consumer_b);  // a live peer stays
}

// A second server that joins while the first holds pending entries handles
// none of them: it is a consumer of its own, not the first one again.
TEST_F(ServerTwoProcessesTest, JoiningServerHandlesNothingTwice) {
  // No claims (claim_idle_seconds 60): only the join is under test.
  DomainSpec spec{.stream = StreamName(),
                  .duration_ms = 300,
                  .messages_per_tick = 10,
                  .claim_idle_seconds = 60};
  const std::string domain = WriteDomain(spec);
  ServerProcess& a = Start("a", domain);
  StartReady(a);
  const std::vector<std::string> ids = Publish(spec.stream, 30);
  ASSERT_TRUE(WaitUntil([&] { return Pending(spec.stream).size() >= 5; }, Ms(10000)))
      << "a never held a batch";
  ServerProcess& b = Start("b", domain);
  StartReady(b);
  ASSERT_TRUE(WaitUntil([&] { return HandledCount(ids) == 30; }, Ms(30000)))
      << HandledCount(ids) << " of 30 handled";
  std::this_thread::sleep_for(Ms(1000));
  EXPECT_EQ(NotOnce(ids), "");
  a.Signal(SIGTERM);
  b.Signal(SIGTERM);
  EXPECT_EQ(a.WaitExit(Ms(15000)), std::optional<int>(0));
  EXPECT_EQ(b.WaitExit(Ms(15000)), std::optional<int>(0));
}

// A handler stuck past drain_timeout: the process exits within drain_timeout
// plus the close budget (exit 1, a forced stop), the message stays pending
// for it, never acked, and another server handles it later.
TEST_F(ServerTwoProcessesTest, HandlerStuckPastTheDrainExitsWithinTheBound) {
  DomainSpec spec{.stream = StreamName(),
                  .duration_ms = 6000,
                  .messages_per_tick = 1,
                  .claim_idle_seconds = 2,
                  .drain_timeout = 2};
  const std::string domain = WriteDomain(spec);
  ServerProcess& a = Start("a", domain, {"--history", dir() + "/a.jsonl"});
  StartReady(a);
  const std::vector<std::string> ids = Publish(spec.stream, 1);
  ASSERT_TRUE(WaitUntil([&] { return Pending(spec.stream).size() == 1; }, Ms(10000)));
  const std::string consumer_a = Pending(spec.stream)[0].consumer;
  std::this_thread::sleep_for(Ms(300));  // the handler runs
  const auto signalled = Clock::now();
  a.Signal(SIGTERM);
  const std::optional<int> code = a.WaitExit(Ms(20000));
  const double exit_s = SecondsSince(signalled);
  ASSERT_TRUE(code.has_value()) << "a did not exit";
  EXPECT_EQ(*code, 1) << "a forced stop exits 1";
  EXPECT_GE(exit_s, spec.drain_timeout - 0.1);
  EXPECT_LE(exit_s, spec.drain_timeout + 2.0 + 1.0)  // + one adapter's close budget + slack
      << "exit " << exit_s << " s after SIGTERM";
  std::cout << "[ measure ] exit " << exit_s << " s after SIGTERM (6 s handler, drain_timeout "
            << spec.drain_timeout << ")\n";
  const std::vector<PendingEntry> left = Pending(spec.stream);
  ASSERT_EQ(left.size(), 1u) << "the message must stay pending";
  EXPECT_EQ(left[0].consumer, consumer_a);
  EXPECT_EQ(left[0].delivery_count, 1);
  ServerProcess& b = Start("b", domain, {"--history", dir() + "/b.jsonl"});
  StartReady(b);
  EXPECT_TRUE(b.WaitForOutput("kept stale consumer " + consumer_a, Ms(3000)));
  ASSERT_TRUE(WaitUntil([&] { return Pending(spec.stream).empty(); }, Ms(20000)))
      << "b never handled a's message";
  std::ifstream history(dir() + "/b.jsonl");
  std::string line;
  bool claimed = false;
  bool acked = false;
  while (std::getline(history, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j.value("message_id", "") != ids[0]) continue;
    claimed = claimed || j["event"] == "claimed";
    acked = acked || j["event"] == "acked";
  }
  EXPECT_TRUE(claimed && acked) << "b's history shows no claim and ack of " << ids[0];
}

// A second SIGTERM during the drain ends it at once: exit 1 well before
// drain_timeout, the running handler's message still pending.
TEST_F(ServerTwoProcessesTest, SecondSigtermCutsTheDrainShort) {
  DomainSpec spec{
      .stream = StreamName(), .duration_ms = 8000, .messages_per_tick = 1, .drain_timeout = 20};
  const std::string domain = WriteDomain(spec);
  ServerProcess& a = Start("a", domain);
  const int port = StartReady(a);
  Publish(spec.stream, 1);
  ASSERT_TRUE(WaitUntil([&] { return Pending(spec.stream).size() == 1; }, Ms(10000)));
  std::this_thread::sleep_for(Ms(300));
  const auto signalled = Clock::now();
  a.Signal(SIGTERM);
  std::this_thread::sleep_for(Ms(500));
  EXPECT_EQ(HttpStatus(port, "/readyz"), 503);
  EXPECT_TRUE(a.running()) << "a did not wait for its handler";
  a.Signal(SIGTERM);
  const std::optional<int> code = a.WaitExit(Ms(25000));
  const double exit_s = SecondsSince(signalled);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_LE(exit_s, 0.5 + 2.0 + 1.0) << "exit " << exit_s << " s after the first SIGTERM";
  EXPECT_NE(a.Err().find("again"), std::string::npos);
  EXPECT_EQ(Pending(spec.stream).size(), 1u);
}

// A SIGTERM that arrives while the server starts (pending until its signal
// thread waits, a few microseconds before the loop runs) is a graceful stop
// like any other: exit 0, never an abort. The waiter used to post the stop
// before the engine's start was posted, and Engine::Start() then found the
// engine draining (the nightly TSan run of 2026-12-02 saw it: a worker the
// supervisor had just restarted got SIGTERM and aborted).
TEST_F(ServerTwoProcessesTest, SigtermDuringStartupStopsCleanly) {
  DomainSpec spec{.stream = StreamName(), .drain_timeout = 5};
  const std::string domain = WriteDomain(spec);
  for (int round = 0; round < 20; ++round) {
    ServerProcess& s = Start("s" + std::to_string(round), domain);
    ASSERT_TRUE(s.WaitForOutput("health server on http://", Ms(15000))) << s.Err();
    s.Signal(SIGTERM);
    const std::optional<int> code = s.WaitExit(Ms(15000));
    ASSERT_TRUE(code.has_value()) << "round " << round << ": no exit";
    EXPECT_EQ(*code, 0) << "round " << round << "\n" << s.Out() << s.Err();
    EXPECT_EQ(s.Err().find("check failed"), std::string::npos) << s.Err();
    if (::testing::Test::HasFailure()) break;
  }
}

// Two servers on one health port: with port_auto_increment the second takes
// the next free port (each answers its own probes; --port-file says which);
// without it the second stops with a clear error and exit 2.
TEST_F(ServerTwoProcessesTest, TwoServersOnOneHealthPort) {
  DomainSpec spec{.stream = StreamName(), .health_port = FreePort()};
  const std::string shared = WriteDomain(spec);
  ServerProcess& a = Start("a", shared, {"--port-file", dir() + "/a.port"});
  const int port_a = StartReady(a);
  ServerProcess& b = Start("b", shared, {"--port-file", dir() + "/b.port"});
  const int port_b = StartReady(b);
  EXPECT_EQ(port_a, spec.health_port);
  EXPECT_NE(port_a, port_b);
  auto read_port = [&](const std::string& file) {
    std::ifstream f(dir() + "/" + file);
    int p = 0;
    f >> p;
    return p;
  };
  EXPECT_EQ(read_port("a.port"), port_a);
  EXPECT_EQ(read_port("b.port"), port_b);
  a.Signal(SIGTERM);
  EXPECT_EQ(a.WaitExit(Ms(15000)), std::optional<int>(0));
  // b's port is b's alone: a's exit does not take it away.
  EXPECT_EQ(HttpStatus(port_b, "/readyz"), 200);
  EXPECT_EQ(HttpStatus(port_a, "/readyz"), -1) << "a's port must be free now";
  spec.port_auto_increment = false;
  spec.health_port = port_b;
  ServerProcess& c = Start("c", WriteDomain(spec));
  EXPECT_EQ(c.WaitExit(Ms(15000)), std::optional<int>(2));
  EXPECT_NE(c.Err().find(std::to_string(port_b) + " is in use"), std::string::npos) << c.Err();
  b.Signal(SIGTERM);
  EXPECT_EQ(b.WaitExit(Ms(15000)), std::optional<int>(0));
}

}  // namespace
}  // namespace protean::e2e
