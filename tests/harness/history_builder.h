#pragma once
// HistoryBuilder writes small histories (docs/history.md) by hand for the
// checker tests: a header with subscriptions, instances and [expect], then
// events at the builder's current time (At(ms), relative to the start).
// Engine events of a message take its stream and entry id from Publish().
//
//   History h = HistoryBuilder()
//                   .StreamSub("Billing", "orders")
//                   .Start("w0")
//                   .Publish("m1")
//                   .Handled("w0", "Billing", "m1")
//                   .Build();

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/history.h"

namespace protean::harness::testing {

class HistoryBuilder {
 public:
  using json = nlohmann::ordered_json;
  static constexpr int64_t kStartUs = 1'700'000'000'000'000;

  HistoryBuilder() {
    header_ = {{"history", 1},
               {"scenario", "unit/hand-built"},
               {"file", "scenarios/unit/hand_built.toml"},
               {"seed", 7},
               {"mode", "memory"},
               {"drain_timeout_us", 10'000'000},
               {"subscriptions", json::object()},
               {"instances", json::object()},
               {"expect", json::object()}};
  }

  // --- header ---------------------------------------------------------------
  // A stream subscription: max_retries 3, fixed 1 s backoff, DLQ enabled,
  // unless `overrides` says otherwise.
  HistoryBuilder& StreamSub(const std::string& name, const std::string& stream,
                            const json& overrides = json::object()) {
    return Sub(name, "stream", stream, overrides);
  }
  HistoryBuilder& EventStoreSub(const std::string& name, const std::string& category,
                                const json& overrides = json::object()) {
    return Sub(name, "event_store", category, overrides);
  }
  // An instance with consumer-group member `member` of `size` (size 0: none).
  HistoryBuilder& Instance(const std::string& name, int64_t member = 0, int64_t size = 0) {
    json part = nullptr;
    if (size > 0) part = {{"member", member}, {"size", size}};
    header_["instances"][name] = {{"partition", part}};
    return *this;
  }
  HistoryBuilder& Expect(const std::string& key, json value) {
    header_["expect"][key] = std::move(value);
    return *this;
  }
  HistoryBuilder& Header(const std::string& key, json value) {
    header_[key] = std::move(value);
    return *this;
  }
  HistoryBuilder& Phases(int64_t heal_ms, int64_t converge_ms) {
    return Header("phases",
                  {{"heal_at_us", heal_ms * 1000}, {"converge_within_us", converge_ms * 1000}});
  }

  // --- time -------------------------------------------------------------------
  HistoryBuilder& At(int64_t ms) {
    now_ = kStartUs + ms * 1000;
    return *this;
  }
  HistoryBuilder& AtUs(int64_t us) {
    now_ = kStartUs + us;
    return *this;
  }
  int64_t now() const { return now_; }

  // --- events -----------------------------------------------------------------
  HistoryBuilder& Raw(json event) {
    json e = {{"t", now_}};
    for (auto& [k, v] : event.items()) e[k] = v;
    events_.push_back(std::move(e));
    return *this;
  }
  // engine_started, readiness ok, subscription_started for every subscription
  // (of the header so far), and the harness probe that follows.
  HistoryBuilder& Start(const std::string& instance) {
    if (!header_["instances"].contains(instance)) Instance(instance);
    Raw({{"event", "engine_started"}, {"instance", instance}});
    Raw({{"event", "readiness"}, {"instance", instance}, {"outcome", "ok"}});
    for (auto& [name, sub] : header_["subscriptions"].items()) {
      Raw({{"event", "subscription_started"},
           {"instance", instance},
           {"subscription", name},
           {"stream", sub["stream"]}});
    }
    return Probe(instance, 200, "ok");
  }
  HistoryBuilder& Publish(const std::string& id, const std::string& stream = "orders") {
    const std::string entry = std::to_string(++entries_) + "-0";
    messages_[id] = {stream, entry};
    return Raw({{"event", "published"},
                {"stream", stream},
                {"message_id", id},
                {"entry_id", entry},
                {"detail", "Event"},
                {"outcome", "stream"}});
  }
  HistoryBuilder& PublishEs(const std::string& id, const std::string& stream = "account-1") {
    const std::string position = std::to_string(++entries_);
    messages_[id] = {stream, position};
    return Raw({{"event", "published"},
                {"stream", stream},
                {"message_id", id},
                {"entry_id", position},
                {"detail", "Event"},
                {"outcome", "event_store"}});
  }
  // An engine event about message `id` in subscription `sub`.
  HistoryBuilder& Msg(const std::string& event, const std::string& instance, const std::string& sub,
                      const std::string& id, int64_t attempt, json extra = json::object()) {
    const auto& [stream, entry] = messages_[id];
    json e = {{"event", event},   {"instance", instance}, {"subscription", sub}, {"stream", stream},
              {"message_id", id}, {"entry_id", entry},    {"attempt", attempt}};
    for (auto& [k, v] : extra.items()) e[k] = v;
    return Raw(std::move(e));
  }
  HistoryBuilder& Deliver(const std::string& inst, const std::string& sub, const std::string& id,
                          int64_t attempt = 1) {
    return Msg("delivered", inst, sub, id, attempt);
  }
  // attempt_started and attempt_finished with `outcome`, at the current time.
  HistoryBuilder& Attempt(const std::string& inst, const std::string& sub, const std::string& id,
                          int64_t attempt = 1, const std::string& outcome = "ok") {
    Msg("attempt_started", inst, sub, id, attempt);
    return Msg("attempt_finished", inst, sub, id, attempt, {{"outcome", outcome}});
  }
  HistoryBuilder& Acked(const std::string& inst, const std::string& sub, const std::string& id,
                        int64_t attempt = 1) {
    return Msg("acked", inst, sub, id, attempt);
  }
  // delivered, a successful attempt and its ack.
  HistoryBuilder& Handled(const std::string& inst, const std::string& sub, const std::string& id) {
    Deliver(inst, sub, id);
    Attempt(inst, sub, id);
    return Acked(inst, sub, id);
  }
  HistoryBuilder& Retry(const std::string& inst, const std::string& sub, const std::string& id,
                        int64_t attempt, int64_t delay_ms) {
    return Msg("retry_scheduled", inst, sub, id, attempt,
               {{"value", delay_ms * 1000}, {"due", now_ + delay_ms * 1000}});
  }
  HistoryBuilder& DlqMoved(const std::string& inst, const std::string& sub, const std::string& id,
                           int64_t attempt, const std::string& detail = "handler failed") {
    return Msg("dlq_moved", inst, sub, id, attempt, {{"detail", detail}});
  }
  HistoryBuilder& Dropped(const std::string& inst, const std::string& sub, const std::string& id,
                          int64_t attempt) {
    return Msg("dropped", inst, sub, id, attempt);
  }
  HistoryBuilder& Claimed(const std::string& inst, const std::string& sub, const std::string& id,
                          int64_t attempt) {
    return Msg("claimed", inst, sub, id, attempt);
  }
  HistoryBuilder& FinalPending(const std::string& sub, const std::string& id, int64_t count = 1) {
    const auto& [stream, entry] = messages_[id];
    return Raw({{"event", "final_pending"},
                {"stream", stream},
                {"subscription", sub},
                {"entry_id", entry},
                {"message_id", id},
                {"value", count}});
  }
  HistoryBuilder& Crash(const std::string& inst) {
    return Raw({{"event", "crashed"}, {"instance", inst}});
  }
  HistoryBuilder& Step(const std::string& inst, const std::string& detail) {
    return Raw({{"event", "shutdown_step"}, {"instance", inst}, {"detail", detail}});
  }
  // The harness signal, then the engine's signal step, readiness draining and
  // stop_fetching, as Engine::Shutdown reports them.
  HistoryBuilder& Signal(const std::string& inst) {
    Raw({{"event", "signal"}, {"instance", inst}, {"detail", "SIGTERM"}});
    Step(inst, "signal:SIGTERM");
    Raw({{"event", "readiness"}, {"instance", inst}, {"outcome", "draining"}});
    return Step(inst, "stop_fetching");
  }
  // flushed, the adapters closed in order, stopped.
  HistoryBuilder& Closed(const std::string& inst) {
    Step(inst, "flushed");
    Step(inst, "close:event_store");
    Step(inst, "close:broker:default");
    Step(inst, "close:cache:default");
    Step(inst, "close:database:default");
    return Step(inst, "stopped");
  }
  HistoryBuilder& Probe(const std::string& inst, int64_t status, const std::string& outcome) {
    return Raw({{"event", "probe"}, {"instance", inst}, {"value", status}, {"outcome", outcome}});
  }
  HistoryBuilder& DlqChecked(const std::string& inst, const std::string& dlq, int64_t depth,
                             int64_t threshold) {
    return Raw({{"event", "dlq_checked"},
                {"instance", inst},
                {"stream", dlq},
                {"value", depth},
                {"detail", std::to_string(threshold)}});
  }
  HistoryBuilder& DlqAlert(const std::string& inst, const std::string& dlq, int64_t depth,
                           int64_t threshold) {
    return Raw({{"event", "dlq_alert"},
                {"instance", inst},
                {"stream", dlq},
                {"value", depth},
                {"detail", std::to_string(threshold)}});
  }
  // fault_started / fault_ended of `kind` (instance "" = every instance).
  HistoryBuilder& Fault(bool started, const std::string& kind, const std::string& inst = "") {
    json e = {{"event", started ? "fault_started" : "fault_ended"}, {"detail", kind}};
    if (!inst.empty()) e["instance"] = inst;
    return Raw(std::move(e));
  }
  HistoryBuilder& PositionWritten(const std::string& inst, const std::string& sub, int64_t pos) {
    return Raw(
        {{"event", "position_written"}, {"instance", inst}, {"subscription", sub}, {"value", pos}});
  }

  // The history with an `end` event at the current time.
  History Build() {
    History h;
    h.header = header_;
    h.events = events_;
    json end = {{"t", now_}, {"event", "end"}, {"value", static_cast<int64_t>(events_.size()) + 1}};
    h.events.push_back(std::move(end));
    return h;
  }

 private:
  HistoryBuilder& Sub(const std::string& name, const std::string& type, const std::string& stream,
                      const json& overrides) {
    json s = {{"type", type},
              {"stream", stream},
              {"max_retries", 3},
              {"retry_delay_seconds", 1},
              {"retry_backoff", "fixed"},
              {"retry_backoff_max_seconds", 60},
              {"retry_jitter", 0},
              {"enable_dlq", true},
              {"handler_timeout_seconds", nullptr},
              {"claim_idle_seconds", 60},
              {"position_update_interval", 10},
              {"consumer_group_size", nullptr}};
    for (auto& [k, v] : overrides.items()) s[k] = v;
    header_["subscriptions"][name] = std::move(s);
    return *this;
  }

  json header_;
  std::vector<json> events_;
  int64_t now_ = kStartUs;
  int64_t entries_ = 0;
  std::map<std::string, std::pair<std::string, std::string>> messages_;  // id -> stream, entry
};

}  // namespace protean::harness::testing
