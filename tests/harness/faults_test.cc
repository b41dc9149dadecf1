// Fault kinds as registered classes: parsing through the registry (shared
// keys by shape, the kind's own keys, the heal bound), planning from the
// PRNG, and handler faults written as scripted-handler data.

#include <limits>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "core/config/configuration_error.h"
#include "harness/faults/fault_registry.h"
#include "harness/scenario_domain.h"

namespace protean::harness {
namespace {

std::shared_ptr<const Fault> Parse(const std::string& text, int64_t heal_at_ms = 10000) {
  const toml::table t = toml::parse(text);
  config::TableReader r(t, "faults.toml", "faults[0]");
  return ParseFault(r, FaultParseContext{heal_at_ms, {"Billing", "Shipping"}});
}

std::string ParseError(const std::string& text, int64_t heal_at_ms = 10000) {
  try {
    Parse(text, heal_at_ms);
  } catch (const config::ConfigurationError& e) {
    return e.what();
  }
  return "";
}

TEST(FaultRegistryTest, BuiltinCatalogue) {
  const std::vector<std::string_view> names = BuiltinFaults().names();
  EXPECT_EQ(names.size(), 21u);
  for (std::string_view name : {"broker_unavailable",
                                "event_store_unavailable",
                                "lost_ack",
                                "slow_replies",
                                "connection_reset",
                                "consumer_crash",
                                "sigterm",
                                "clock_jump",
                                "handler_errors",
                                "handler_slow",
                                "add_worker",
                                "remove_worker",
                                "pause",
                                "redis_restart",
                                "redis_client_pause",
                                "redis_client_kill",
                                "redis_debug_sleep",
                                "postgres_restart",
                                "postgres_terminate",
                                "slow_link",
                                "broker_partition"}) {
    std::unique_ptr<Fault> f = BuiltinFaults().Create(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->name(), name);
  }
  EXPECT_EQ(BuiltinFaults().Create("no_such_kind"), nullptr);
}

TEST(FaultRegistryTest, ParsesSharedAndOwnKeys) {
  auto f = Parse(
      "kind = \"slow_replies\"\nat_ms = [100, 200]\nduration_ms = 50\n"
      "latency_ms = 30\ninstance = 1\n");
  EXPECT_EQ(f->name(), "slow_replies");
  EXPECT_EQ(f->at_ms.lo, 100);
  EXPECT_EQ(f->at_ms.hi, 200);
  EXPECT_EQ(f->duration_ms.lo, 50);
  EXPECT_EQ(f->instance, 1);
  Prng prng(3);
  const PlannedFault p = f->Plan(prng);
  EXPECT_GE(p.at_ms, 100);
  EXPECT_LE(p.at_ms, 200);
  EXPECT_EQ(p.duration_ms, 50);
  EXPECT_EQ(p.drawn_ms, 30);
  EXPECT_EQ(p.fault, f.get());
}

TEST(FaultRegistryTest, RejectsWhatTheKindDoesNotTake) {
  EXPECT_NE(ParseError("kind = \"nope\"").find("kind"), std::string::npos);
  EXPECT_NE(ParseError("at_ms = 1").find("missing required key 'kind'"), std::string::npos);
  EXPECT_NE(ParseError("kind = \"lost_ack\"\nat_ms = 1\n").find("duration_ms"), std::string::npos);
  EXPECT_NE(ParseError("kind = \"sigterm\"\nat_ms = 1\n").find("missing required key 'instance'"),
            std::string::npos);
  EXPECT_NE(ParseError("kind = \"add_worker\"\ninstance = 1\n").find("unknown key 'instance'"),
            std::string::npos);
  EXPECT_NE(ParseError("kind = \"sigterm\"\ninstance = 0\nlatency_ms = 5\n")
                .find("unknown key 'latency_ms'"),
            std::string::npos);
}

TEST(FaultRegistryTest, FaultsEndByHeal) {
  EXPECT_NE(
      ParseError("kind = \"broker_unavailable\"\nat_ms = 900\nduration_ms = [50, 200]\n", 1000)
          .find("can last until 1100 ms"),
      std::string::npos);
  // The restart of a crash counts too.
  EXPECT_NE(ParseError("kind = \"consumer_crash\"\nat_ms = 500\ninstance = 0\n"
                       "restart_after_ms = 600\n",
                       1000)
                .find("1100"),
            std::string::npos);
  EXPECT_EQ(ParseError("kind = \"consumer_crash\"\nat_ms = 500\ninstance = 0\n", 1000), "");
}

TEST(FaultRegistryTest, TimesStopAtTheDurationBound) {
  // at_ms + restart_after_ms (or + duration_ms) used to wrap past INT64_MAX
  // and pass the heal bound.
  const int64_t heal = std::numeric_limits<int64_t>::max();
  std::string e = ParseError(
      "kind = \"consumer_crash\"\nat_ms = 9223372036854775797\ninstance = 0\n"
      "restart_after_ms = 100\n",
      heal);
  EXPECT_NE(e.find("faults[0].at_ms"), std::string::npos) << e;
  EXPECT_NE(e.find("1000000000000"), std::string::npos) << e;
  e = ParseError("kind = \"broker_unavailable\"\nat_ms = 9223372036854775797\nduration_ms = 100\n",
                 heal);
  EXPECT_NE(e.find("faults[0].at_ms"), std::string::npos) << e;
  e = ParseError("kind = \"broker_unavailable\"\nat_ms = 0\nduration_ms = 9223372036854775807\n",
                 heal);
  EXPECT_NE(e.find("faults[0].duration_ms"), std::string::npos) << e;
  e = ParseError(
      "kind = \"slow_replies\"\nat_ms = 0\nduration_ms = 1\n"
      "latency_ms = [1, 9223372036854775807]\n",
      heal);
  EXPECT_NE(e.find("faults[0].latency_ms"), std::string::npos) << e;
  // Up to the bound (1e9 s) is accepted.
  EXPECT_EQ(ParseError("kind = \"broker_unavailable\"\nat_ms = 1000000000000\n"
                       "duration_ms = 1000000000000\n",
                       heal),
            "");
}

TEST(FaultRegistryTest, ServiceFaultsOnSharedServicesAreSerial) {
  // A shared Redis or PostgreSQL: every case sees it, so the case runs alone.
  EXPECT_TRUE(Parse("kind = \"redis_client_pause\"\nat_ms = 1\nduration_ms = 5\n")->serial());
  EXPECT_TRUE(Parse("kind = \"redis_client_kill\"\nat_ms = 1\n")->serial());
  EXPECT_TRUE(Parse("kind = \"postgres_restart\"\nat_ms = 1\n")->serial());
  // A private Redis, or only this run's connections: in parallel.
  EXPECT_FALSE(Parse("kind = \"redis_restart\"\nat_ms = 1\nduration_ms = 5\n")->serial());
  EXPECT_FALSE(Parse("kind = \"postgres_terminate\"\nat_ms = 1\n")->serial());
  EXPECT_FALSE(Parse("kind = \"broker_partition\"\nat_ms = 1\nduration_ms = 5\n")->serial());
  EXPECT_FALSE(Parse("kind = \"redis_debug_sleep\"\nat_ms = 1\nduration_ms = 5\n")->serial());
}

TEST(FaultRegistryTest, RedisDebugSleepKeys) {
  auto f = Parse("kind = \"redis_debug_sleep\"\nat_ms = [100, 200]\nduration_ms = [1500, 2500]\n");
  EXPECT_EQ(f->name(), "redis_debug_sleep");
  Prng prng(5);
  const PlannedFault p = f->Plan(prng);
  EXPECT_GE(p.at_ms, 100);
  EXPECT_LE(p.at_ms, 200);
  EXPECT_GE(p.duration_ms, 1500);
  EXPECT_LE(p.duration_ms, 2500);
  // Each bad value names the file, the key and its line.
  auto error_at = [](const std::string& text, int64_t heal_at_ms = 100000) {
    return ParseError("kind = \"redis_debug_sleep\"\nat_ms = 100\n" + text, heal_at_ms);
  };
  const std::string missing = error_at("");
  EXPECT_NE(missing.find("faults.toml"), std::string::npos) << missing;
  EXPECT_NE(missing.find("faults[0].duration_ms: missing required key"), std::string::npos)
      << missing;
  for (const auto& [text, says] : std::vector<std::pair<std::string, std::string>>{
           {"duration_ms = 0\n", "faults.toml:3:15: faults[0].duration_ms: "},
           {"duration_ms = 60001\n",
            "faults.toml:3:15: faults[0].duration_ms: DEBUG SLEEP is at "
            "most 60000 ms, got 60001"},
           {"duration_ms = [2000, 90000]\n",
            "faults.toml:3:15: faults[0].duration_ms: DEBUG SLEEP"},
           {"duration_ms = [2000, 1000]\n", "faults.toml:3:15: faults[0].duration_ms: "},
           {"duration_ms = \"2s\"\n", "faults.toml:3:15: faults[0].duration_ms: "},
           {"duration_ms = 2000\ninstance = 0\n",
            "faults.toml:4:12: faults[0].instance: unknown key"},
           {"duration_ms = 2000\nseconds = 2\n",
            "faults.toml:4:11: faults[0].seconds: unknown key"},
       }) {
    const std::string e = error_at(text);
    EXPECT_NE(e.find(says), std::string::npos) << text << " -> " << e;
  }
  // The sleep ends by heal_at_ms.
  EXPECT_NE(error_at("duration_ms = 1000\n", 1000).find("can last until 1100 ms"),
            std::string::npos);
  EXPECT_EQ(error_at("duration_ms = 60000\n"), "");
}

TEST(FaultRegistryTest, ServiceAndLinkFaultKeys) {
  EXPECT_NE(ParseError("kind = \"redis_restart\"\nat_ms = 1\n").find("duration_ms"),
            std::string::npos);
  EXPECT_NE(ParseError("kind = \"redis_restart\"\nat_ms = 1\nduration_ms = 5\ninstance = 0\n")
                .find("unknown key 'instance'"),
            std::string::npos);
  EXPECT_NE(ParseError("kind = \"slow_link\"\nat_ms = 1\nduration_ms = 5\n").find("latency_ms"),
            std::string::npos);
  // postgres_restart's simulated outage counts towards the heal bound.
  EXPECT_NE(
      ParseError("kind = \"postgres_restart\"\nat_ms = 900\ndown_ms = 500\n", 1000).find("1400"),
      std::string::npos);
}

TEST(HandlerFaultDataTest, WritesTheDecisionSeedUnlessAHandlerHasOne) {
  toml::table handlers =
      toml::parse("[Billing]\nstream = \"o\"\n[Shipping]\nstream = \"o\"\ndecision_seed = 5\n");
  HandlerFaultData data;
  data.SetDecisionSeed(42);
  data.WriteInto(handlers);
  EXPECT_EQ(handlers["Billing"]["decision_seed"].value<int64_t>(), 42);
  EXPECT_EQ(handlers["Shipping"]["decision_seed"].value<int64_t>(), 5);
}

TEST(FaultRegistryTest, HandlerFaultNamesAHandler) {
  EXPECT_EQ(ParseError("kind = \"handler_errors\"\nduration_ms = 5\nhandler = \"Billing\"\n"), "");
  EXPECT_NE(ParseError("kind = \"handler_errors\"\nduration_ms = 5\nhandler = \"Biling\"\n")
                .find("no scripted handler \"Biling\""),
            std::string::npos);
}

TEST(HandlerFaultDataTest, WritesWindowsIntoTheHandlerTables) {
  toml::table handlers = toml::parse(
      "[Billing]\nstream = \"orders\"\n[Shipping]\nstream = \"orders\"\n"
      "fail_between = [[1, 2]]\n");
  HandlerFaultData data;
  data.AddFailWindow("", 100, 200);
  data.AddSlowWindow("Billing", 300, 400, 50);
  data.WriteInto(handlers);
  std::ostringstream text;
  text << handlers;
  const toml::table back = toml::parse(text.str());
  EXPECT_EQ(back["Billing"]["fail_between"][0][0].value<int64_t>(), 100);
  EXPECT_EQ(back["Billing"]["slow_between"][0][2].value<int64_t>(), 50);
  EXPECT_EQ(back["Shipping"]["fail_between"].as_array()->size(), 2u);
  EXPECT_EQ(back["Shipping"]["fail_between"][1][1].value<int64_t>(), 200);
  EXPECT_FALSE(back["Shipping"]["slow_between"]);
}

}  // namespace
}  // namespace protean::harness
