// `protean dlq` and `protean subscriptions status` of the shipped binary
// against the Redis of ci/services.sh (label real): DLQs written as this
// engine, Protean and a damaged producer write them, listed, inspected and
// replayed as Protean's CLI does; a replayed message handled by a real
// server; subscription lag, pending, DLQ depth and status read from real
// consumer groups.

#include <csignal>
#include <cstdlib>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/engine/message.h"
#include "tests/config/binary_util.h"
#include "tests/e2e/server_fixture.h"

namespace protean::e2e {
namespace {

using cli::testing::RunBinary;
using cli::testing::RunResult;
using nlohmann::json;

std::string Env() {
  std::string env;
  for (const char* name : {"REDIS_URL", "DATABASE_URL", "MESSAGE_DB_URL"}) {
    if (const char* v = std::getenv(name)) env += std::string(" ") + name + "='" + v + "'";
  }
  return env;
}

RunResult Cli(const std::string& args) { return RunBinary(args, Env()); }

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class CliE2ETest : public ServerE2ETest {
 protected:
  void NextMillisecond() {
    const int64_t start = ToMillis(clock_.Now());
    while (ToMillis(clock_.Now()) == start) {
    }
  }
  RealClock clock_;
  // The depth of `stream`'s DLQ (-1 when it cannot be read).
  int64_t Depth(const std::string& stream) {
    auto depth = broker().DlqDepth(DlqStreamName(stream));
    return depth.ok() ? *depth : -1;
  }
  // A DLQ entry of this engine for `stream`, failed at `failed_ms`. Entry ids
  // are "<ms>-<seq>" per stream: each is written in a millisecond of its own,
  // so no two DLQs of a case share an id by chance.
  std::string DeadLetter(const std::string& stream, const std::string& id, int64_t failed_ms) {
    NextMillisecond();
    DlqMetadata meta{stream,
                     "1767225600000-" + id.substr(id.size() - 1),
                     "Worker",
                     "Worker-host-1-abcdef",
                     FromMillis(failed_ms - 1000),
                     FromMillis(failed_ms),
                     3,
                     "handler failed: " + id};
    auto added = broker().Publish(DlqStreamName(stream),
                                  EncodeDlqFields(EncodeMessageFields(id, "Tick", "{}"), meta));
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    return added.ok() ? *added : "";
  }
};

// Two handlers on two streams: list, inspect and replay search both DLQs;
// --limit is global, newest failure first; a Protean-written and a damaged
// entry are listed with the others.
TEST_F(CliE2ETest, DlqCommandsSearchEveryDlq) {
  if (auto why = std::getenv("REDIS_URL"); why == nullptr) GTEST_SKIP() << "REDIS_URL not set";
  const std::string a = StreamName();
  const std::string b = a + "-b";
  const std::string domain = WriteDomain(
      DomainSpec{.stream = a, .domain_extra = "[handlers.Other]\nstream = \"" + b + "\"\n"});
  (void)broker().DeleteStream(DlqStreamName(b));
  const std::string a1 = DeadLetter(a, "a-1", 1767225601000);  // oldest
  const std::string b1 = DeadLetter(b, "b-1", 1767225603000);  // newest
  const std::string a2 = DeadLetter(a, "a-2", 1767225602000);
  // Protean's own entry (stream_subscription.py:979-994) and a damaged one.
  NextMillisecond();
  auto theirs = broker().Publish(
      DlqStreamName(b),
      {{"data", R"({"data":{"n":1},"metadata":{"headers":{"id":"p-1","type":"T"}},)"
                R"("_dlq_metadata":{"original_stream":")" +
                    b +
                    R"(","original_id":"1767225600000-9","consumer_group":"app.h.Other",)"
                    R"("consumer":"Other-h-1","failed_at":"2026-01-01T00:00:00+00:00",)"
                    R"("retry_count":3}})"}});
  ASSERT_TRUE(theirs.ok());
  NextMillisecond();
  auto damaged = broker().Publish(DlqStreamName(a), {{"data", "{not json"}});
  ASSERT_TRUE(damaged.ok());

  RunResult list = Cli("dlq list --domain " + domain);
  ASSERT_EQ(list.exit_code, 0) << list.out << list.err;
  EXPECT_NE(list.out.find("DLQ ID"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("Failure Reason"), std::string::npos);
  EXPECT_NE(list.out.find("\n5 DLQ message(s) found.\n"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("handler failed: b-1"), std::string::npos);
  EXPECT_NE(list.out.find("unknown"), std::string::npos);  // Protean writes no reason
  EXPECT_NE(list.out.find("damaged: field 'data' is not JSON"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("2026-01-01 00:00:03"), std::string::npos) << list.out;
  // Newest first across both DLQs: b-1 (…03), a-2 (…02), a-1 (…01).
  EXPECT_LT(list.out.find("b-1"), list.out.find("a-2"));
  EXPECT_LT(list.out.find("a-2"), list.out.find("a-1"));

  RunResult limited = Cli("dlq list --limit 2 --format json --domain " + domain);
  ASSERT_EQ(limited.exit_code, 0) << limited.err;
  json envelope = json::parse(limited.out);
  EXPECT_EQ(envelope["version"], "0.1.0");
  EXPECT_EQ(envelope["status"], "pass");
  ASSERT_EQ(envelope["data"]["count"], 2);
  EXPECT_EQ(envelope["data"]["messages"][0]["dlq_id"], b1);
  EXPECT_EQ(envelope["data"]["messages"][0]["stream"], b);
  EXPECT_EQ(envelope["data"]["messages"][0]["retry_count"], 3);
  EXPECT_EQ(envelope["data"]["messages"][1]["dlq_id"], a2);

  RunResult all = Cli("dlq list --format json --domain " + domain);
  json messages = json::parse(all.out)["data"]["messages"];
  ASSERT_EQ(messages.size(), 5u);
  bool saw_damaged = false;
  for (const json& m : messages) {
    if (m["dlq_id"] == *damaged) {
      saw_damaged = true;
      EXPECT_TRUE(m["damaged"].get<bool>());
    }
    if (m["dlq_id"] == *theirs) {
      EXPECT_EQ(m["consumer_group"], "app.h.Other") << all.out;
    }
  }
  EXPECT_TRUE(saw_damaged);

  RunResult only_b = Cli("dlq list --subscription " + b + " --domain " + domain);
  EXPECT_NE(only_b.out.find("\n2 DLQ message(s) found.\n"), std::string::npos) << only_b.out;
  RunResult unknown_sub = Cli("dlq list --subscription nope --domain " + domain);
  EXPECT_EQ(unknown_sub.exit_code, 1);
  EXPECT_NE(unknown_sub.err.find("No subscription found for stream category 'nope'"),
            std::string::npos)
      << unknown_sub.err;

  // inspect and replay without --subscription find the entry in b's DLQ.
  RunResult inspect = Cli("dlq inspect " + b1 + " --domain " + domain);
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("DLQ ID:          " + b1 + "\n"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("DLQ Stream:      " + DlqStreamName(b) + "\n"), std::string::npos);
  EXPECT_NE(inspect.out.find("Retry Count:     3\n"), std::string::npos);
  EXPECT_NE(inspect.out.find("\nPayload:\n"), std::string::npos);
  EXPECT_EQ(inspect.out.find("_dlq_metadata"), std::string::npos) << inspect.out;

  RunResult replay = Cli("dlq replay " + b1 + " --domain " + domain);
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(replay.out, "Replayed message '" + b1 + "' to stream '" + b + "'.\n");
  auto replayed = broker().Range(b, "-", "+", 10);
  ASSERT_TRUE(replayed.ok());
  ASSERT_EQ(replayed->size(), 1u);
  EXPECT_EQ(replayed->front().fields, EncodeMessageFields("b-1", "Tick", "{}"));  // byte for byte
  EXPECT_EQ(Cli("dlq inspect " + b1 + " --domain " + domain).exit_code, 1);       // gone

  RunResult bad = Cli("dlq replay " + *damaged + " --domain " + domain);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("damaged"), std::string::npos) << bad.err;
  RunResult missing = Cli("dlq inspect 1-1 --domain " + domain);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("DLQ message '1-1' not found."), std::string::npos) << missing.err;

  // The same id in two DLQs (ids are per stream): refused without
  // --subscription, never the first one found as Protean would.
  for (const std::string& s : {a, b}) {
    const std::string cmd = "redis-cli -u '" + std::string(std::getenv("REDIS_URL")) + "' XADD '" +
                            DlqStreamName(s) + "' 9999999999999-0 data '{\"k\":\"" + s +
                            "\"}' > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  RunResult twice = Cli("dlq replay 9999999999999-0 --domain " + domain);
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_NE(twice.err.find("DLQ message '9999999999999-0' is in several DLQs (" + DlqStreamName(b) +
                           ", " + DlqStreamName(a) + "): name one with --subscription"),
            std::string::npos)
      << twice.err;
  RunResult one = Cli("dlq inspect 9999999999999-0 --subscription " + b + " --domain " + domain);
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("\"k\": \"" + b + "\""), std::string::npos) << one.out;

  RunResult purge = Cli("dlq purge -y --subscription " + a + " --domain " + domain);
  EXPECT_EQ(purge.out, "Purged 4 message(s) from DLQ.\n") << purge.err;
  (void)broker().DeleteStream(b);
  (void)broker().DeleteStream(DlqStreamName(b));
}

// A message published with `protean publish` (Protean's envelope) that a
// server dead-letters is replayed by `protean dlq replay` and then handled
// once by a server whose handler accepts it: the replay republished the
// original envelope, not something the engine dead-letters again.
TEST_F(CliE2ETest, ReplayedMessageIsHandled) {
  if (std::getenv("REDIS_URL") == nullptr || std::getenv("DATABASE_URL") == nullptr) {
    GTEST_SKIP() << "REDIS_URL or DATABASE_URL not set";
  }
  const std::string stream = StreamName();
  const std::string failing = WriteDomain(PoisonSpec(stream, 1));
  const std::string id = stream + "-replayed";
  RunResult published =
      Cli("publish --domain " + failing + " --stream " + stream + " --type Poison --id " + id +
          " --data '{\"n\": 1.5, \"s\": \"\u00e9\"}'");
  ASSERT_EQ(published.exit_code, 0) << published.err;
  ServerProcess& first = Start("failing", failing);
  StartReady(first);
  ASSERT_TRUE(WaitUntil([&] { return Depth(stream) == 1; }, Ms(20000)));
  first.Signal(SIGTERM);
  ASSERT_TRUE(first.WaitExit(Ms(20000)).has_value());
  EXPECT_EQ(Handlings(id), 0);

  auto entries = broker().DlqList(DlqStreamName(stream), 10);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  const std::string tolerant = WriteDomain(DomainSpec{.stream = stream, .duration_ms = 5});
  RunResult replay = Cli("dlq replay " + entries->front().dlq_id + " --domain " + tolerant);
  ASSERT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  ServerProcess& second = Start("tolerant", tolerant);
  StartReady(second);
  ASSERT_TRUE(WaitUntil([&] { return Handlings(id) == 1; }, Ms(20000))) << second.Err();
  EXPECT_EQ(Depth(stream), 0);
  second.Signal(SIGTERM);
  EXPECT_TRUE(second.WaitExit(Ms(20000)).has_value());
}

// Lag, pending, consumers, DLQ depth and status from a real consumer group,
// moved step by step with the broker's own calls (no server, as Protean's
// command works without an engine).
TEST_F(CliE2ETest, SubscriptionsStatusReadsTheGroups) {
  if (std::getenv("REDIS_URL") == nullptr) GTEST_SKIP() << "REDIS_URL not set";
  const std::string stream = StreamName();
  const std::string domain = WriteDomain(DomainSpec{.stream = stream});
  Publish(stream, 3);

  RunResult before = Cli("subscriptions status --json --domain " + domain);
  ASSERT_EQ(before.exit_code, 0) << before.err;
  json row = json::parse(before.out)["data"]["subscriptions"][0];
  EXPECT_EQ(row["handler_name"], "Worker");
  EXPECT_EQ(row["subscription_type"], "stream");
  EXPECT_EQ(row["status"], "unknown");  // no group yet: Protean says unknown too
  EXPECT_TRUE(row["lag"].is_null());

  ASSERT_TRUE(broker().CreateGroup(stream, "Worker", GroupStart::kBeginning).ok());
  auto read = broker().ReadNew(stream, "Worker", "Worker-c1", 2, Duration(0));
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 2u);
  DeadLetter(stream, "x-1", 1767225601000);
  RunResult during = Cli("subscriptions status --json --domain " + domain);
  json envelope = json::parse(during.out);
  EXPECT_EQ(envelope["version"], "0.1.0");
  EXPECT_EQ(envelope["status"], "pass");
  EXPECT_EQ(envelope["diagnostics"], json::array());
  row = envelope["data"]["subscriptions"][0];
  EXPECT_EQ(row["lag"], 1);
  EXPECT_EQ(row["pending"], 2);
  EXPECT_EQ(row["consumer_count"], 1);
  EXPECT_EQ(row["dlq_depth"], 1);
  EXPECT_EQ(row["head_position"], "3");
  EXPECT_EQ(row["status"], "lagging");

  RunResult table = Cli("subscriptions status --domain " + domain);
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("Handler  Type    Stream"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("1 subscription(s), 1 lagging, total lag: 1\n"), std::string::npos)
      << table.out;

  std::vector<std::string> ids;
  for (const StreamEntry& e : *read) ids.push_back(e.id);
  auto rest = broker().ReadNew(stream, "Worker", "Worker-c1", 10, Duration(0));
  ASSERT_TRUE(rest.ok());
  for (const StreamEntry& e : *rest) ids.push_back(e.id);
  ASSERT_TRUE(broker().Ack(stream, "Worker", ids).ok());
  RunResult after = Cli("subscriptions status --json --domain " + domain);
  row = json::parse(after.out)["data"]["subscriptions"][0];
  EXPECT_EQ(row["lag"], 0);
  EXPECT_EQ(row["pending"], 0);
  EXPECT_EQ(row["status"], "ok");
  RunResult ok_table = Cli("subscriptions status --domain " + domain);
  EXPECT_NE(ok_table.out.find("1 subscription(s), 1 ok\n"), std::string::npos) << ok_table.out;
  EXPECT_EQ(Count(ok_table.out, "Worker"), 1u);
}

// An event-store subscription: lag counted from the category after the
// position the server stores, before and after a real server handled them.
TEST_F(CliE2ETest, SubscriptionsStatusReadsEventStorePositions) {
  if (std::getenv("MESSAGE_DB_URL") == nullptr) GTEST_SKIP() << "MESSAGE_DB_URL not set";
  std::random_device random;
  const std::string category = "sdkstatus" + std::to_string(random() % 1000000000);
  const std::string domain =
      WriteDomain(DomainSpec{.stream = category,
                             .duration_ms = 5,
                             .subscription_extra = "subscription_type = \"event_store\"\n",
                             .domain_extra = "[event_store]\nprovider = \"message_db\"\n"
                                             "database_uri = \"${MESSAGE_DB_URL}\"\n"});
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    RunResult written = Cli("publish --event-store --domain " + domain + " --stream " + category +
                            "-" + std::to_string(i) + " --type Placed --data '{}'");
    ASSERT_EQ(written.exit_code, 0) << written.err;
    // "published <id> to <stream> (position N)"
    ASSERT_EQ(written.out.rfind("published ", 0), 0u) << written.out;
    ids.push_back(written.out.substr(10, written.out.find(' ', 10) - 10));
  }
  const auto status = [&]() -> json {
    RunResult run = Cli("subscriptions status --json --domain " + domain);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    json rows = json::parse(run.out)["data"]["subscriptions"];
    return rows.empty() ? json::object() : rows[0];
  };
  json before = status();
  EXPECT_EQ(before["subscription_type"], "event_store");
  EXPECT_EQ(before["current_position"], "-1");  // Protean's "no position yet"
  EXPECT_EQ(before["lag"], 3);
  EXPECT_EQ(before["status"], "lagging");
  EXPECT_TRUE(before["lag_seconds"].is_null());  // lagging, never updated: unknown seconds

  ServerProcess& server = Start("history", domain);
  StartReady(server);
  ASSERT_TRUE(WaitUntil([&] { return HandledCount(ids) == 3; }, Ms(20000))) << server.Err();
  server.Signal(SIGTERM);  // the position is written on shutdown
  ASSERT_TRUE(server.WaitExit(Ms(20000)).has_value());
  json after = status();
  EXPECT_EQ(after["lag"], 0) << after.dump();
  EXPECT_EQ(after["status"], "ok");
  EXPECT_EQ(after["current_position"], before["head_position"]);
  EXPECT_EQ(after["lag_seconds"], 0.0);
  EXPECT_TRUE(after["last_updated"].is_string());
}

// Priority lanes end to end on real services: `protean publish --priority`
// routes below the threshold to the backfill lane (Protean's outbox rule), a
// real server consumes it there through the same group, and `subscriptions
// status` has a row measuring the lane.
TEST_F(CliE2ETest, ServerConsumesTheBackfillLaneThatPublishFeeds) {
  if (std::getenv("REDIS_URL") == nullptr || std::getenv("DATABASE_URL") == nullptr) {
    GTEST_SKIP() << "REDIS_URL or DATABASE_URL not set";
  }
  const std::string stream = StreamName();
  const std::string lane = stream + ":backfill";
  (void)broker().DeleteStream(lane);
  const std::string domain =
      WriteDomain(DomainSpec{.stream = stream,
                             .duration_ms = 5,
                             .domain_extra = "[server.priority_lanes]\nenabled = true\n"});
  const std::string id = stream + "-bulk";
  RunResult published = Cli("publish --domain " + domain + " --stream " + stream +
                            " --type Imported --priority -100 --id " + id);
  ASSERT_EQ(published.exit_code, 0) << published.err;
  EXPECT_NE(published.out.find(" to " + lane + " (entry "), std::string::npos) << published.out;
  Result<int64_t> primary = broker().Length(stream);
  ASSERT_TRUE(primary.ok()) << primary.status().ToString();
  EXPECT_EQ(*primary, 0);

  RunResult before = Cli("subscriptions status --json --domain " + domain);
  ASSERT_EQ(before.exit_code, 0) << before.err;
  json rows = json::parse(before.out)["data"]["subscriptions"];
  ASSERT_EQ(rows.size(), 2u) << before.out;
  EXPECT_EQ(rows[1]["name"], "Worker[backfill]");
  EXPECT_EQ(rows[1]["stream_category"], lane);
  EXPECT_EQ(rows[1]["head_position"], "1");

  ServerProcess& server = Start("lanes", domain);
  StartReady(server);
  ASSERT_TRUE(WaitUntil([&] { return Handlings(id) == 1; }, Ms(20000))) << server.Err();
  server.Signal(SIGTERM);
  ASSERT_TRUE(server.WaitExit(Ms(20000)).has_value());
  RunResult after = Cli("subscriptions status --json --domain " + domain);
  rows = json::parse(after.out)["data"]["subscriptions"];
  ASSERT_EQ(rows.size(), 2u) << after.out;
  EXPECT_EQ(rows[1]["lag"], 0);
  EXPECT_EQ(rows[1]["pending"], 0);
  EXPECT_EQ(rows[1]["status"], "ok");
  (void)broker().DeleteStream(lane);
}

// With [server.priority_lanes] enabled, the backfill DLQ of each stream is
// searched too (a Protean server or this one writes it).
TEST_F(CliE2ETest, DlqCommandsSearchBackfillDlqsWhenLanesAreOn) {
  const std::string stream = StreamName();
  const std::string domain = WriteDomain(
      DomainSpec{.stream = stream, .domain_extra = "[server.priority_lanes]\nenabled = true\n"});
  const std::string backfill_dlq = stream + ":backfill:dlq";
  (void)broker().DeleteStream(backfill_dlq);
  DeadLetter(stream, "p-1", 1767225601000);
  NextMillisecond();
  auto lane = broker().Publish(
      backfill_dlq,
      {{"data", R"({"data":{},"_dlq_metadata":{"original_stream":")" + stream +
                    R"(:backfill","consumer_group":"app.Worker","retry_count":3}})"}});
  ASSERT_TRUE(lane.ok());
  RunResult list = Cli("dlq list --format json --domain " + domain);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json data = json::parse(list.out)["data"];
  ASSERT_EQ(data["count"], 2) << list.out;
  std::set<std::string> dlqs;
  for (const json& m : data["messages"]) dlqs.insert(m["dlq_stream"].get<std::string>());
  EXPECT_EQ(dlqs, (std::set<std::string>{DlqStreamName(stream), backfill_dlq}));
  RunResult inspect = Cli("dlq inspect " + *lane + " --domain " + domain);
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("DLQ Stream:      " + backfill_dlq + "\n"), std::string::npos)
      << inspect.out;
  (void)broker().DeleteStream(backfill_dlq);
}

}  // namespace
}  // namespace protean::e2e
