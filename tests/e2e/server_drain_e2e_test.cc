// POST /drainz on a real `protean server` (label real): the one-way drain
// for a blue-green hand-over. Readiness turns 503 while liveness stays 200,
// the attempt in flight finishes, nothing new is fetched, GET /drainz
// reports the progress, and the process stays up until it is signalled.

#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/server_fixture.h"

namespace protean::e2e {
namespace {

class ServerDrainTest : public ServerE2ETest {};

nlohmann::json DrainStatus(int port) {
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/drainz");
  return res && res->status == 200 ? nlohmann::json::parse(res->body) : nlohmann::json();
}

TEST_F(ServerDrainTest, PostDrainzFinishesInFlightWorkFetchesNothingMoreAndStaysUp) {
  DomainSpec spec{.stream = StreamName(), .duration_ms = 1500, .messages_per_tick = 1};
  ServerProcess& server = Start("drain", WriteDomain(spec), {"--log-format", "json"});
  const int port = StartReady(server);
  EXPECT_EQ(DrainStatus(port)["status"], "running");
  const std::vector<std::string> ids = Publish(spec.stream, 4);
  // Wait until a handling is under way (an entry pending with its consumer).
  ASSERT_TRUE(WaitUntil([&] { return !Pending(spec.stream).empty(); }, Ms(10000)));
  // Pending means Redis delivered the entry, not that the loop has handed it
  // to the handler yet: a drain in between releases it unattempted (seen in
  // CI). The handler takes 1.5 s, so 300 ms later its attempt is under way.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  httplib::Client client("127.0.0.1", port);
  auto posted = client.Post("/drainz", "", "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 202);
  EXPECT_EQ(HttpStatus(port, "/readyz"), 503);
  EXPECT_EQ(HttpStatus(port, "/livez"), 200);
  ASSERT_TRUE(WaitUntil([&] { return DrainStatus(port)["status"] == "drained"; }, Ms(15000)))
      << DrainStatus(port).dump();
  const int64_t handled_at_drain = HandledCount(ids);
  EXPECT_GE(handled_at_drain, 1) << "the attempt in flight finished";
  EXPECT_LT(handled_at_drain, 4) << "the drain stopped the fetching";
  EXPECT_TRUE(server.running());
  EXPECT_EQ(HttpStatus(port, "/readyz"), 503);
  EXPECT_EQ(HttpStatus(port, "/livez"), 200);
  server.Signal(SIGTERM);
  EXPECT_EQ(server.WaitExit(Ms(15000)), 0) << server.Err();
  EXPECT_EQ(HandledCount(ids), handled_at_drain) << "nothing was handled after the drain";
  EXPECT_NE(server.Err().find("drain_requested_done"), std::string::npos) << server.Err();
}

}  // namespace
}  // namespace protean::e2e
