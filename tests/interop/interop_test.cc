// Interop with Python Protean on a real Redis (label `real`; needs REDIS_URL,
// and MESSAGE_DB_URL for the event-store position).
//
// tests/interop/protean_wire.py stands in for Protean: it writes messages
// exactly as Message.to_dict() + RedisBroker._publish do (its checksum
// computed by Python's json and hashlib), and reads what this engine wrote
// with Protean's own rules, re-implemented from Protean's source — never with
// this engine's decoder. It also consumes as Protean does (a group named by
// the handler's fqn; the redis_pubsub list with its position key) and builds
// the position record Protean's event-store subscription writes, so the
// server is shown continuing where Protean stopped instead of replaying.
// Each case skips with a reason when REDIS_URL, /usr/bin/python3 or its
// python3-redis is missing (psycopg2 is not needed: the position record is
// written here, with the values Protean's store would write).

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/real/redis_broker.h"
#include "adapters/real/redis_pubsub_broker.h"
#ifdef PROTEAN_INTEROP_SQL
#include "adapters/real/message_db_event_store.h"
#endif
#include "core/engine/message.h"
#include "core/internal/iso_time.h"
#include "core/internal/py_json.h"
#include "core/runtime/prng.h"
#include "core/runtime/real_executor.h"
#include "tests/contract/redis_test_env.h"
#include "tests/interop/python_tool.h"

namespace protean {
namespace {

using nlohmann::json;

std::string StrOrEmpty(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

class InteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = redis_test::RedisSkipReason()) GTEST_SKIP() << *why;
    if (std::string why = python_tool::Unavailable(); !why.empty()) GTEST_SKIP() << why;
    url_ = std::getenv("REDIS_URL");
    Result<std::string> ping = python_tool::Run({"ping", url_});
    if (!ping.ok()) {
      GTEST_SKIP() << "the Python stand-in cannot reach Redis (is python3-redis installed? "
                      "apt-get install python3-redis): "
                   << ping.status().message();
    }
    broker_ = std::make_unique<RedisBroker>(clock_, redis_test::TestOptions("interop"));
    stream_ = "interop:" + redis_test::Token() + ":" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  void TearDown() override {
    if (broker_ == nullptr) return;
    (void)broker_->DeleteStream(stream_);
    (void)broker_->DeleteStream(DlqStreamName(stream_));
  }

  json Python(const std::string& command, const std::string& stream) {
    Result<std::string> out = python_tool::Run({command, url_, stream});
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? json::parse(*out) : json();
  }

  std::vector<StreamEntry> Entries(const std::string& stream) {
    auto entries = broker_->Range(stream, "-", "+", 1000);
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    return entries.ok() ? *entries : std::vector<StreamEntry>{};
  }

  RealClock clock_;
  std::unique_ptr<RedisBroker> broker_;
  std::string url_;
  std::string stream_;
};

TEST_F(InteropTest, MessagesProteanWroteDecodeWithEveryField) {
  const json expected = Python("produce", stream_);
  const std::vector<StreamEntry> entries = Entries(stream_);
  ASSERT_EQ(entries.size(), expected.size());
  ASSERT_GE(entries.size(), 5u);
  for (size_t i = 0; i < entries.size(); ++i) {
    const json& e = expected[i];
    SCOPED_TRACE(e["id"].get<std::string>());
    ASSERT_EQ(entries[i].id, e["entry_id"].get<std::string>());
    ASSERT_EQ(entries[i].fields.size(), 1u);  // Protean writes one field, "data"
    Result<Message> m = DecodeMessage(stream_, entries[i]);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    const MessageMetadata& md = m->metadata;
    EXPECT_EQ(m->data, e["payload_json"].get<std::string>()) << "the payload's bytes";
    EXPECT_EQ(PayloadChecksum(m->data).value(), e["computed_checksum"].get<std::string>());
    EXPECT_EQ(md.checksum, StrOrEmpty(e, "checksum"));
    EXPECT_EQ(m->id, e["id"].get<std::string>());
    EXPECT_EQ(m->type, e["type"].get<std::string>());
    EXPECT_EQ(md.time, e["time"].get<std::string>());
    EXPECT_EQ(md.stream, e["stream"].get<std::string>());
    EXPECT_EQ(md.idempotency_key, StrOrEmpty(e, "idempotency_key"));
    if (e["traceparent"].is_object()) {
      ASSERT_TRUE(md.traceparent.has_value());
      EXPECT_EQ(md.traceparent->trace_id, e["traceparent"]["trace_id"].get<std::string>());
      EXPECT_EQ(md.traceparent->parent_id, e["traceparent"]["parent_id"].get<std::string>());
      EXPECT_EQ(md.traceparent->sampled, e["traceparent"]["sampled"].get<bool>());
    } else {
      EXPECT_FALSE(md.traceparent.has_value());
    }
    if (e["deadline"].is_string()) {
      ASSERT_TRUE(md.deadline.has_value());
      EXPECT_EQ(internal::FormatIsoTime(*md.deadline), e["deadline"].get<std::string>());
    } else {
      EXPECT_FALSE(md.deadline.has_value());
    }
    EXPECT_EQ(md.fqn, StrOrEmpty(e, "fqn"));
    EXPECT_EQ(md.kind, StrOrEmpty(e, "kind"));
    EXPECT_EQ(md.version, e["version"].get<int64_t>());
    EXPECT_EQ(md.sequence_id, StrOrEmpty(e, "sequence_id"));
    EXPECT_EQ(md.asynchronous, e["asynchronous"].get<bool>());
    EXPECT_EQ(md.expected_version.has_value(), !e["expected_version"].is_null());
    if (md.expected_version) {
      EXPECT_EQ(*md.expected_version, e["expected_version"].get<int64_t>());
    }
    EXPECT_EQ(md.priority, e["priority"].get<int64_t>());
    EXPECT_EQ(md.stream_category, StrOrEmpty(e, "stream_category"));
    EXPECT_EQ(md.correlation_id, StrOrEmpty(e, "correlation_id"));
    EXPECT_EQ(md.causation_id, StrOrEmpty(e, "causation_id"));
    EXPECT_EQ(json::parse(md.extensions), e["extensions"]);
  }
}

struct Outgoing {
  MessageMetadata meta;
  std::string payload;
};

std::vector<Outgoing> OutgoingMessages(const Message& cause, TimePoint now) {
  std::vector<Outgoing> out;
  MessageMetadata event =
      MetadataCausedBy(cause, "cpp-1", "Ecommerce.OrderShipped.v1", "EVENT", now);
  event.stream = "ecommerce::order-ord-1";
  event.stream_category = "ecommerce::order";
  event.fqn = "ecommerce.order.OrderShipped";
  event.extensions = R"({"tenant": "t\u00fc"})";
  out.push_back({event,
                 "{\"carrier\": \"D\xc3\xa9j\xc3\xa0 Vu \xf0\x9f\x9a\x9a\", \"weight\": 2.50, "
                 "\"rate\": 1e-5, \"huge\": 1E16, \"tenth\": 0.1, \"neg\": -0.0, \"whole\": 3.0, "
                 "\"big\": 123456789012345678901234567890, \"nested\": {\"b\": [1, {\"a\": null}], "
                 "\"a\": true}, \"esc\": \"tab\\t\\u0001 \\\"q\\\" \\ud83d\\ude00\"}"});
  MessageMetadata command =
      MetadataCausedBy(cause, "cpp-2", "Ecommerce.ChargeCard.v2", "COMMAND", now);
  command.stream = "ecommerce::payment:command-p1";
  command.version = 2;
  command.priority = 7;
  command.expected_version = 3;
  command.idempotency_key = "idem-\xc3\xa9";
  command.deadline = now + Seconds(30);
  command.traceparent = TraceParent{"4bf92f3577b34da6a3ce929d0e0e4736", "b7ad6b7169203331", false};
  out.push_back({command, R"({"amount": 99.99, "nan": NaN, "inf": -Infinity})"});
  MessageMetadata bare;
  bare.id = "cpp-3";
  bare.type = "Ecommerce.Ping.v1";
  bare.has_domain = false;
  out.push_back({bare, "{}"});
  return out;
}

TEST_F(InteropTest, EnvelopesThisEngineWritesParseWithProteansRules) {
  // The cause: a message Protean wrote, so correlation carries across.
  ASSERT_FALSE(Python("produce", stream_ + ":cause").empty());
  const std::vector<StreamEntry> causes = Entries(stream_ + ":cause");
  (void)broker_->DeleteStream(stream_ + ":cause");
  ASSERT_FALSE(causes.empty());
  Result<Message> cause = DecodeMessage(stream_ + ":cause", causes[0]);
  ASSERT_TRUE(cause.ok()) << cause.status().ToString();
  const std::vector<Outgoing> outgoing = OutgoingMessages(*cause, clock_.Now());
  for (const Outgoing& o : outgoing) {
    Result<Fields> fields = EncodeMessageFields(o.meta, o.payload);
    ASSERT_TRUE(fields.ok()) << fields.status().ToString();
    ASSERT_TRUE(broker_->Publish(stream_, *fields).ok());
  }
  const json parsed = Python("verify", stream_);
  ASSERT_EQ(parsed.size(), outgoing.size());
  for (size_t i = 0; i < outgoing.size(); ++i) {
    const json& p = parsed[i];
    const MessageMetadata& meta = outgoing[i].meta;
    SCOPED_TRACE(meta.id);
    ASSERT_TRUE(p["ok"].get<bool>()) << p.dump();
    EXPECT_EQ(p["fields"], json::array({"data"}));
    EXPECT_TRUE(p["checksum_ok"].get<bool>()) << "checksum re-verified in Python";
    EXPECT_EQ(p["checksum"].get<std::string>(), PayloadChecksum(outgoing[i].payload).value());
    EXPECT_EQ(p["canonical"].get<std::string>(),
              py_json::DumpSorted(py_json::Parse(outgoing[i].payload).value()));
    EXPECT_EQ(p["id"], meta.id);
    EXPECT_EQ(p["type"], meta.type);
    const json& h = p["headers"];
    EXPECT_EQ(h["time"].is_null() ? "" : h["time"].get<std::string>(), meta.time);
    EXPECT_EQ(h["idempotency_key"].is_null() ? "" : h["idempotency_key"].get<std::string>(),
              meta.idempotency_key);
    if (meta.deadline) {
      EXPECT_EQ(h["deadline"], internal::FormatIsoTime(*meta.deadline));
    }
    if (meta.traceparent) {
      EXPECT_EQ(h["traceparent"]["trace_id"], meta.traceparent->trace_id);
    }
    if (!meta.has_domain) {
      EXPECT_TRUE(p["domain"].is_null());
      continue;
    }
    const json& d = p["domain"];
    EXPECT_EQ(d["kind"], meta.kind);
    EXPECT_EQ(d["correlation_id"], cause->metadata.correlation_id);
    EXPECT_EQ(d["causation_id"], cause->metadata.id);
    EXPECT_EQ(d["priority"], meta.priority);
    EXPECT_EQ(d["version"], meta.version);
  }
  EXPECT_EQ(parsed[0]["extensions"]["tenant"], "t\xc3\xbc");
  EXPECT_EQ(parsed[1]["domain"]["expected_version"], 3);
}

TEST_F(InteropTest, AMixedDlqListsEveryEntryHereAndInProtean) {
  // Ours: a Protean-written message dead-lettered by this engine.
  ASSERT_FALSE(Python("produce", stream_).empty());
  ASSERT_TRUE(broker_->CreateGroup(stream_, "g", GroupStart::kBeginning).ok());
  auto read = broker_->ReadNew(stream_, "g", "c-1", 1, Duration{0});
  ASSERT_TRUE(read.ok() && read->size() == 1u);
  const StreamEntry original = read->front();
  DlqMetadata meta;
  meta.original_stream = stream_;
  meta.original_id = original.id;
  meta.consumer_group = "g";
  meta.consumer = "c-1";
  meta.first_failure = clock_.Now() - Seconds(2);
  meta.last_failure = clock_.Now();
  meta.attempts = 3;
  meta.reason = "ValueError: d\xc3\xa9j\xc3\xa0 \"vu\"";
  ASSERT_TRUE(broker_->MoveToDlq(stream_, "g", original.id, meta).value());
  // Protean's own DLQ entry, a damaged one, and this engine's earlier format.
  const json protean = Python("dlq-write", stream_);
  const std::string dlq = DlqStreamName(stream_);
  auto damaged_id = broker_->Publish(dlq, {{"data", "{not json"}});
  ASSERT_TRUE(damaged_id.ok());
  auto flat_id = broker_->Publish(dlq, {{"id", "old-1"},
                                        {"type", "T"},
                                        {"data", R"({"k": 1})"},
                                        {"_dlq_original_stream", stream_},
                                        {"_dlq_original_id", "1767225600000-1"},
                                        {"_dlq_group", "g"},
                                        {"_dlq_consumer", "c-0"},
                                        {"_dlq_first_failure_ms", "1767225600000"},
                                        {"_dlq_last_failure_ms", "1767225601000"},
                                        {"_dlq_attempts", "2"},
                                        {"_dlq_reason", "old"}});
  ASSERT_TRUE(flat_id.ok());

  auto list = broker_->DlqList(dlq, 100);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 4u) << "every entry, the damaged one too";
  std::map<std::string, DlqEntry> by_id;
  for (const DlqEntry& e : *list) by_id[e.dlq_id] = e;
  std::string ours_id;
  for (const DlqEntry& e : *list) {
    if (e.metadata.consumer == "c-1") ours_id = e.dlq_id;
  }
  ASSERT_FALSE(ours_id.empty());
  const DlqEntry& ours = by_id[ours_id];
  EXPECT_FALSE(ours.damaged) << ours.problem;
  EXPECT_EQ(ours.fields, original.fields) << "the original envelope, byte for byte";
  EXPECT_EQ(ours.metadata.reason, meta.reason);
  EXPECT_EQ(ours.metadata.first_failure, meta.first_failure);
  const DlqEntry& theirs = by_id[protean["dlq_id"].get<std::string>()];
  EXPECT_FALSE(theirs.damaged) << theirs.problem;
  EXPECT_EQ(theirs.metadata.original_id, "1767225600000-0");
  EXPECT_EQ(theirs.metadata.consumer_group, "ecommerce.handlers.OrderHandler");
  EXPECT_EQ(theirs.metadata.attempts, 3);
  EXPECT_TRUE(by_id[*damaged_id].damaged);
  EXPECT_EQ(by_id[*damaged_id].raw, (Fields{{"data", "{not json"}}));
  EXPECT_FALSE(by_id[*flat_id].damaged) << by_id[*flat_id].problem;
  EXPECT_EQ(by_id[*flat_id].metadata.reason, "old");

  // Protean's _parse_dlq_entry on the same stream.
  const json seen = Python("dlq-verify", dlq);
  std::map<std::string, json> theirs_view;
  for (const json& e : seen) theirs_view[e["dlq_id"].get<std::string>()] = e;
  ASSERT_EQ(theirs_view.size(), 4u);
  const json& o = theirs_view[ours_id];
  EXPECT_TRUE(o["listed"].get<bool>());
  EXPECT_EQ(o["original_id"], original.id);
  EXPECT_EQ(o["stream"], stream_);
  EXPECT_EQ(o["consumer_group"], "g");
  EXPECT_EQ(o["failure_reason"], meta.reason);
  EXPECT_EQ(o["retry_count"], 3);
  EXPECT_EQ(o["failed_at"], internal::FormatIsoTime(meta.last_failure));
  EXPECT_TRUE(o["replay_ok"].get<bool>()) << o.dump();  // checksum verified by Python
  EXPECT_TRUE(theirs_view[protean["dlq_id"].get<std::string>()]["replay_ok"].get<bool>());
  EXPECT_FALSE(theirs_view[*damaged_id]["listed"].get<bool>());  // Protean skips it silently

  // Replays: the original bytes go back; Protean's entry decodes, checksum and all.
  auto replayed = broker_->DlqReplay(dlq, ours_id);
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  auto back = broker_->Range(stream_, *replayed, *replayed, 1);
  ASSERT_TRUE(back.ok() && back->size() == 1u);
  EXPECT_EQ(back->front().fields, original.fields);
  auto replayed_theirs = broker_->DlqReplay(dlq, protean["dlq_id"].get<std::string>());
  ASSERT_TRUE(replayed_theirs.ok()) << replayed_theirs.status().ToString();
  auto theirs_back = broker_->Range(stream_, *replayed_theirs, *replayed_theirs, 1);
  ASSERT_TRUE(theirs_back.ok() && theirs_back->size() == 1u);
  Result<Message> m = DecodeMessage(stream_, theirs_back->front());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->id, protean["expected"]["id"].get<std::string>());
  EXPECT_EQ(m->data, protean["expected"]["payload_json"].get<std::string>());
  EXPECT_EQ(broker_->DlqReplay(dlq, *damaged_id).status().code(), StatusCode::kInvalidArgument);
}

// The shipped server (`protean server`, scripted handlers) on messages a
// Python producer wrote: every one is handled, none is undecodable, and the
// one that fails is dead-lettered in a form Protean's DLQ tooling lists.
TEST_F(InteropTest, TheServerHandlesMessagesProteanWrote) {
#ifndef PROTEAN_CLI
  GTEST_SKIP() << "the protean binary is not part of this build";
#else
  const json produced = Python("produce", stream_);
  ASSERT_GE(produced.size(), 5u);
  const auto dir =
      std::filesystem::temp_directory_path() / ("protean_interop_" + redis_test::Token());
  std::filesystem::create_directories(dir);
  {
    std::ofstream toml(dir / "domain.toml");
    toml << "[brokers.default]\nprovider = \"redis\"\nURI = \"" << url_ << "\"\n"
         << "[server.health]\nenabled = false\n"
         << "[handlers.OrderHandler]\nstream = \"" << stream_ << "\"\n"
         << "fail_types = [\"Ecommerce.PlaceOrder.v2\"]\n"
         << "[handlers.OrderHandler.subscription_config]\n"
         << "max_retries = 2\nretry_delay_seconds = 0\n";
  }
  const std::string log = (dir / "server.log").string();
  const std::string cmd = std::string(PROTEAN_CLI) + " server --domain " +
                          python_tool::ShellQuote((dir / "domain.toml").string()) +
                          " --run-for 3 >" + python_tool::ShellQuote(log) + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream log_file(log);
  const std::string output((std::istreambuf_iterator<char>(log_file)),
                           std::istreambuf_iterator<char>());
  std::filesystem::remove_all(dir);
  ASSERT_EQ(rc, 0) << output;
  auto pending = broker_->Pending(stream_, "OrderHandler", "", 100);
  ASSERT_TRUE(pending.ok()) << pending.status().ToString() << "\n" << output;
  EXPECT_TRUE(pending->empty()) << output;
  auto lag = broker_->Lag(stream_, "OrderHandler");
  ASSERT_TRUE(lag.ok());
  EXPECT_EQ(lag->value_or(-1), 0) << "every message was read";
  const std::string dlq = DlqStreamName(stream_);
  auto list = broker_->DlqList(dlq, 100);
  ASSERT_TRUE(list.ok());
  // Only the live command: the handler fails its type. The expired one was
  // acked and skipped without running (Protean's deadline rule).
  ASSERT_EQ(list->size(), 1u) << output;
  const DlqEntry& e = list->front();
  EXPECT_FALSE(e.damaged) << e.problem;
  EXPECT_EQ(e.metadata.attempts, 2);
  EXPECT_EQ(e.metadata.reason.find("undecodable"), std::string::npos) << e.metadata.reason;
  Result<Message> m = DecodeMessage(stream_, StreamEntry{e.metadata.original_id, e.fields});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->type, "Ecommerce.PlaceOrder.v2");
  EXPECT_EQ(m->id.find("-expired"), std::string::npos) << m->id;
  const json seen = Python("dlq-verify", dlq);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0]["listed"].get<bool>());
  EXPECT_EQ(seen[0]["failure_reason"], e.metadata.reason);
  EXPECT_EQ(seen[0]["retry_count"], 2);
  EXPECT_EQ(seen[0]["consumer_group"], "OrderHandler");
  EXPECT_TRUE(seen[0]["replay_ok"].get<bool>()) << seen.dump();
#endif
}

#ifdef PROTEAN_CLI
// Runs `protean server` on `domain_toml` for `seconds` with --history; the
// history's events (the header dropped), or a failure with the server's output.
struct ServerRun {
  int rc = -1;
  std::string output;
  std::vector<json> events;
  // Message ids of the attempts the server started.
  std::vector<std::string> Attempted() const {
    std::vector<std::string> ids;
    for (const json& e : events) {
      if (e.value("event", "") == "attempt_started") ids.push_back(e.value("message_id", ""));
    }
    return ids;
  }
};

ServerRun RunServer(const std::string& domain_toml, int seconds) {
  ServerRun run;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("protean_interop_" + redis_test::Token() + "_" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "domain.toml") << domain_toml;
  const std::string log = (dir / "server.log").string();
  const std::string history = (dir / "history.jsonl").string();
  const std::string cmd = std::string(PROTEAN_CLI) + " server --domain " +
                          python_tool::ShellQuote((dir / "domain.toml").string()) + " --run-for " +
                          std::to_string(seconds) + " --history " +
                          python_tool::ShellQuote(history) + " >" + python_tool::ShellQuote(log) +
                          " 2>&1";
  run.rc = std::system(cmd.c_str());
  std::ifstream log_file(log);
  run.output.assign(std::istreambuf_iterator<char>(log_file), std::istreambuf_iterator<char>());
  std::ifstream lines(history);
  bool header = true;
  for (std::string line; std::getline(lines, line);) {
    if (header) {
      header = false;
      continue;
    }
    json e = json::parse(line, nullptr, false);
    if (!e.is_discarded()) run.events.push_back(std::move(e));
  }
  std::filesystem::remove_all(dir);
  return run;
}
#endif

// Protean handled the first messages of the stream through the group named
// after its handler class (fqn); a protean-cpp server whose handler gives
// that fqn joins the same group and handles only the rest.
TEST_F(InteropTest, AServerContinuesTheStreamGroupProteanNamedByItsFqn) {
#ifndef PROTEAN_CLI
  GTEST_SKIP() << "the protean binary is not part of this build";
#else
  const std::string fqn = "ecommerce.handlers.OrderHandler";
  const json produced = Python("produce", stream_);
  ASSERT_GE(produced.size(), 6u);
  Result<std::string> consumed = python_tool::Run({"consume", url_, stream_, fqn, "3"});
  ASSERT_TRUE(consumed.ok()) << consumed.status().ToString();
  const json by_protean = json::parse(*consumed);
  ASSERT_EQ(by_protean.size(), 3u);
  const ServerRun run =
      RunServer("[brokers.default]\nprovider = \"redis\"\nURI = \"" + url_ + "\"\n" +
                    "[server.health]\nenabled = false\n"
                    "[handlers.OrderHandler]\nstream = \"" +
                    stream_ + "\"\nfqn = \"" + fqn + "\"\n",
                3);
  ASSERT_EQ(run.rc, 0) << run.output;
  std::set<std::string> attempted;
  for (const std::string& id : run.Attempted()) attempted.insert(id);
  for (const json& id : by_protean) {
    EXPECT_EQ(attempted.count(id.get<std::string>()), 0u) << id << " was replayed\n" << run.output;
  }
  std::set<std::string> rest;
  for (size_t i = 3; i < produced.size(); ++i) {
    const std::string id = produced[i]["id"].get<std::string>();
    if (id.find("-expired") == std::string::npos) rest.insert(id);  // skipped, never attempted
  }
  EXPECT_EQ(attempted, rest) << run.output;
  auto groups = broker_->GroupsProgress(stream_);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 1u) << "no group named after the TOML table";
  EXPECT_EQ((*groups)[0].group, fqn);
  EXPECT_EQ(broker_->Lag(stream_, fqn)->value_or(-1), 0);
  EXPECT_TRUE(broker_->Pending(stream_, fqn, "", 100)->empty());
#endif
}

// redis_pubsub both ways: a Protean producer's list items, a group Protean
// had read partly (its position key), the server continuing that group, a
// second group reading everything, and Protean reading what we published.
TEST_F(InteropTest, RedisPubSubIsProteansListBothWays) {
  const std::string list = stream_ + ":list";
  const std::string group = "ecommerce.handlers.OrderHandler";
  RedisPubSubBroker pubsub(redis_test::TestOptions("interop-list"));
  const json produced = Python("list-produce", list);
  ASSERT_GE(produced.size(), 4u);
  Result<std::string> first = python_tool::Run({"list-consume", url_, list, group, "2"});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const json by_protean = json::parse(*first);
  ASSERT_EQ(by_protean["read"].size(), 2u);
  EXPECT_EQ(by_protean["position"], 2);
  // Our decoder reads Protean's items: identifier, and the message's bytes.
  auto items = pubsub.Range(list, "-", "+", 100);
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), produced.size());
  for (size_t i = 0; i < items->size(); ++i) {
    EXPECT_EQ((*items)[i].id, produced[i]["identifier"].get<std::string>());
    Result<Message> m = DecodeMessage(list, (*items)[i]);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->id, produced[i]["id"].get<std::string>());
    EXPECT_EQ(m->data, produced[i]["payload_json"].get<std::string>());
  }
#ifdef PROTEAN_CLI
  const ServerRun run =
      RunServer("[brokers.default]\nprovider = \"redis_pubsub\"\nURI = \"" + url_ + "\"\n" +
                    "[server.health]\nenabled = false\n"
                    "[handlers.OrderHandler]\nstream = \"" +
                    list + "\"\nfqn = \"" + group + "\"\n" +
                    "[handlers.OrderHandler.subscription_config]\nenable_dlq = false\n",
                3);
  ASSERT_EQ(run.rc, 0) << run.output;
  std::vector<std::string> expected;
  for (size_t i = 2; i < produced.size(); ++i) expected.push_back(produced[i]["id"]);
  EXPECT_EQ(run.Attempted(), expected) << "only what Protean had not read\n" << run.output;
  EXPECT_EQ(pubsub.Lag(list, group)->value_or(-1), 0);
#endif
  // Another group starts at 0 and reads every item with Protean's reader.
  Result<std::string> audit =
      python_tool::Run({"list-consume", url_, list, "audit.handlers.Auditor", "100"});
  ASSERT_TRUE(audit.ok()) << audit.status().ToString();
  EXPECT_EQ(json::parse(*audit)["read"].size(), produced.size());
  // What this engine publishes, Protean's _get_next reads and deserializes.
  const Message cause = *DecodeMessage(list, (*items)[0]);
  const std::vector<Outgoing> outgoing = OutgoingMessages(cause, clock_.Now());
  std::vector<std::string> identifiers;
  for (const Outgoing& o : outgoing) {
    Result<Fields> fields = EncodeMessageFields(o.meta, o.payload);
    ASSERT_TRUE(fields.ok()) << fields.status().ToString();
    Result<std::string> id = pubsub.Publish(list, *fields);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    identifiers.push_back(*id);
  }
  Result<std::string> next = python_tool::Run({"list-consume", url_, list, group, "100"});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  const json seen = json::parse(*next);
  ASSERT_EQ(seen["read"].size(), outgoing.size()) << seen.dump();
  for (size_t i = 0; i < outgoing.size(); ++i) {
    const json& r = seen["read"][i];
    EXPECT_EQ(r["identifier"], identifiers[i]);
    ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
    EXPECT_EQ(r["id"], outgoing[i].meta.id);
    EXPECT_TRUE(r["checksum_ok"].get<bool>()) << r.dump();
  }
  EXPECT_EQ(seen["position"].get<int64_t>(), *pubsub.Length(list));
  (void)pubsub.DeleteStream(list);
}

#ifdef PROTEAN_INTEROP_SQL
// Protean's event-store subscription stored its position (a `Read` record in
// position-<fqn>-<category>); the server resumes after it, and the position
// it stores at the stop is one Protean's fetch_last_position reads.
TEST_F(InteropTest, AServerResumesFromTheEventStorePositionProteanStored) {
#ifndef PROTEAN_CLI
  GTEST_SKIP() << "the protean binary is not part of this build";
#else
  const char* mdb = std::getenv("MESSAGE_DB_URL");
  if (mdb == nullptr || *mdb == '\0') GTEST_SKIP() << "MESSAGE_DB_URL not set";
  MessageDbOptions options;
  options.database_uri = mdb;
  auto store = MessageDbEventStore::Create(options, clock_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::string category = "interop" + redis_test::Token();
  for (char& c : category) {
    if (c == '-') c = 'x';  // a category has no '-'
  }
  const std::string fqn = "ledger.projections.BalanceProjector";
  Prng ids(std::hash<std::string>{}(category));
  std::vector<std::string> message_ids;
  for (int i = 0; i < 6; ++i) {
    NewEventMessage m{ids.Uuid(), category + "-" + std::to_string(i % 2), "Credited", "{}", ""};
    ASSERT_TRUE((*store)->Write(m, std::nullopt).ok());
    message_ids.push_back(m.id);
  }
  auto rows = (*store)->ReadCategory(category, CategoryRead{});
  ASSERT_TRUE(rows.ok() && rows->size() == 6u);
  // Protean had handled the first three.
  Result<std::string> record = python_tool::Run(
      {"position-record", fqn, category, std::to_string((*rows)[2].global_position)});
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  const json r = json::parse(*record);
  NewEventMessage position{r["id"], r["stream_name"], r["type"], r["data"], r["metadata"]};
  ASSERT_EQ(position.stream_name, "position-" + fqn + "-" + category);
  ASSERT_TRUE((*store)->Write(position, std::nullopt).ok());
  const ServerRun run = RunServer(
      "[event_store]\nprovider = \"message_db\"\ndatabase_uri = \"" + std::string(mdb) + "\"\n" +
          "[server.health]\nenabled = false\n"
          "[handlers.Balances]\nstream = \"" +
          category + "\"\nfqn = \"" + fqn + "\"\n" +
          "[handlers.Balances.subscription_config]\nsubscription_type = \"event_store\"\n",
      3);
  ASSERT_EQ(run.rc, 0) << run.output;
  EXPECT_EQ(run.Attempted(),
            (std::vector<std::string>{message_ids[3], message_ids[4], message_ids[5]}))
      << "resumed after Protean's position, not from the start\n"
      << run.output;
  auto last = (*store)->LastMessage(position.stream_name, std::nullopt);
  ASSERT_TRUE(last.ok() && last->has_value());
  const json row = {
      {"type", (*last)->type}, {"data", (*last)->data}, {"metadata", (*last)->metadata}};
  Result<std::string> read = python_tool::Run("position-read", row.dump());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  const json seen = json::parse(*read);
  EXPECT_EQ(seen["position"], (*rows)[5].global_position) << "Protean reads where we stopped";
  EXPECT_EQ(seen["type"], "Read");
  EXPECT_EQ(seen["header_type"], "Read");
  EXPECT_EQ(seen["kind"], "READ_POSITION");
  EXPECT_EQ(seen["origin_stream"], category);
#endif
}
#endif

}  // namespace
}  // namespace protean
