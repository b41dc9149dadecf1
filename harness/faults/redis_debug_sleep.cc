// redis_debug_sleep: DEBUG SLEEP on Redis at at_ms for duration_ms: the
// server's one thread sleeps, so no client gets any reply (nor has a new
// connection served) until it wakes; then every command it received
// meanwhile runs, in order. A client whose call waited past its
// socket_timeout (block + socket_timeout for a blocking read) has given up
// on it by then: the command still runs (an XREADGROUP's entries go pending
// to the consumer, an XACK acks), only its reply is lost.
//
// Test mode: the case gets a Redis of its own (ServiceControl, with
// --enable-debug-command local), so no other case sleeps with it and the
// kind is not serial. DEBUG SLEEP blocks the connection that sends it, so it
// goes through a redis-cli of its own in the background; the loop only
// polls it, from the window's end on, and a refusal or an error reply is a
// problem of the case. The harness's own publishes wait for the server too
// (and past socket_timeout would be retried, a second XADD): a scenario
// publishes nothing in the window.
// Simulation: a broker call starting in the window waits until its end,
// and one whose wait exceeds its socket timeout fails with a timeout at
// that point with its effect applied (FaultState, faulty_adapters.h).

#include <cstdio>

#include "core/config/configuration_error.h"
#include "harness/faults/service_fault.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

constexpr int64_t kSleepMsMax = 60000;  // every client of the case waits that long
constexpr Duration kPollEvery = Millis(20);
constexpr int kPollsMax = 250;  // 5 s past the window's end

// "1.500": DEBUG SLEEP takes seconds, fractions allowed.
std::string Seconds(int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return text;
}

class RedisDebugSleep final : public ServiceFault {
 public:
  static constexpr std::string_view kName = "redis_debug_sleep";
  RedisDebugSleep() : ServiceFault(kName, {true, InstanceKey::kNone}) {}

  void Parse(config::TableReader& r, const FaultParseContext&) override {
    if (duration_ms.hi > kSleepMsMax) {
      r.Fail("duration_ms", config::kConfigInvalidValue,
             "DEBUG SLEEP is at most " + std::to_string(kSleepMsMax) + " ms, got " +
                 std::to_string(duration_ms.hi));
    }
  }

 protected:
  void AddTo(const TimeWindow& window, AdapterFaultPlan& broker, AdapterFaultPlan&) const override {
    broker.paused.push_back(window);
  }
  std::optional<std::string> PrepareService(ServiceControl& services) const override {
    services.UsePrivateRedis(true);
    return std::nullopt;
  }
  // Keyed by the planned fault: one per run, this kind's object is shared.
  Status ApplyService(World& world, ServiceControl& services,
                      const PlannedFault& p) const override {
    return services.StartRedisCommand(&p, {"DEBUG", "SLEEP", Seconds(p.duration_ms)},
                                      world.files_dir());
  }
  // From the window's end: the sleep's reply, polled without blocking.
  Status HealService(World& world, ServiceControl& services, const PlannedFault& p) const override {
    Poll(world, services, p, 0);
    return Status::Ok();
  }

 private:
  void Poll(World& world, ServiceControl& services, const PlannedFault& p, int polls) const {
    if (std::optional<Status> done = services.FinishedRedisCommand(&p)) {
      // InvalidArgument: never started (ApplyService reported why).
      if (!done->ok() && done->code() != StatusCode::kInvalidArgument)
        world.ReportProblem("redis_debug_sleep: " + done->message());
      return;
    }
    if (polls >= kPollsMax) {
      world.ReportProblem("redis_debug_sleep: DEBUG SLEEP had not returned 5 s after its end");
      return;
    }
    world.loop().PostAfter(
        kPollEvery, [this, &world, &services, &p, polls] { Poll(world, services, p, polls + 1); });
  }
};

}  // namespace

void RegisterRedisDebugSleep(FaultRegistry& registry) { registry.Add<RedisDebugSleep>(); }

}  // namespace protean::harness
