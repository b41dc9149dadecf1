#include <cstdio>

#include "harness/checkers_internal.h"

namespace protean::harness::internal {
namespace {

using nlohmann::ordered_json;

const ordered_json* Field(const ordered_json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string GetString(const ordered_json& j, const char* key) {
  const ordered_json* f = Field(j, key);
  return f != nullptr && f->is_string() ? f->get<std::string>() : std::string();
}

std::optional<int64_t> GetInt(const ordered_json& j, const char* key) {
  const ordered_json* f = Field(j, key);
  if (f == nullptr || !f->is_number()) return std::nullopt;
  if (f->is_number_float()) {
    // Only a value an int64_t holds converts (a cast of any other is undefined).
    const double d = f->get<double>();
    if (!(d >= -0x1p63 && d < 0x1p63)) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  if (f->is_number_unsigned() && f->get<uint64_t>() > uint64_t{INT64_MAX}) return std::nullopt;
  return f->get<int64_t>();
}

Ev ReadEv(const ordered_json& j, size_t index) {
  Ev e;
  e.index = index;
  e.t = GetInt(j, "t").value_or(0);
  e.kind = GetString(j, "event");
  e.instance = GetString(j, "instance");
  e.subscription = GetString(j, "subscription");
  e.stream = GetString(j, "stream");
  e.message_id = GetString(j, "message_id");
  e.message_id_given = !e.message_id.empty();
  e.entry_id = GetString(j, "entry_id");
  e.outcome = GetString(j, "outcome");
  e.detail = GetString(j, "detail");
  e.attempt = GetInt(j, "attempt").value_or(0);
  e.value = GetInt(j, "value").value_or(0);
  e.due = GetInt(j, "due").value_or(0);
  return e;
}

const std::vector<size_t>& Empty() {
  static const std::vector<size_t> kEmpty;
  return kEmpty;
}

}  // namespace

std::string Category(const std::string& stream) { return stream.substr(0, stream.find('-')); }

HistoryIndex::HistoryIndex(const History& history) : header_(history.header) {
  ReadHeader();
  ReadEvents(history);
}

void HistoryIndex::ReadHeader() {
  if (const ordered_json* e = Field(header_, "expect"); e != nullptr && e->is_object()) {
    expect_ = *e;
  }
  drain_timeout_us_ = GetInt(header_, "drain_timeout_us").value_or(drain_timeout_us_);
  const std::string mode = GetString(header_, "mode");
  slack_us_ = mode.empty() || mode == "memory" ? 0 : kRealClockSlackUs;
  const ordered_json* subs = Field(header_, "subscriptions");
  const ordered_json* declared = Field(header_, "declared");
  const ordered_json* handlers = declared != nullptr ? Field(*declared, "handlers") : nullptr;
  declared_ = handlers != nullptr && handlers->is_object();
  if (declared_) {
    // The oracle's policies; streams as the harness named them (a test-mode
    // run prefixes them), else as declared.
    dlq_policy_ = DeclaredDlq(*declared);
    lanes_policy_ = DeclaredLanes(*declared);
    drain_timeout_us_ = DeclaredDrainTimeoutUs(*declared);
    for (const auto& [name, j] : handlers->items()) {
      SubInfo s;
      s.name = name;
      s.config = ResolveDeclared(*declared, name);
      s.event_store = s.config.event_store;
      const ordered_json* resolved = subs != nullptr ? Field(*subs, name.c_str()) : nullptr;
      s.stream = resolved != nullptr ? GetString(*resolved, "stream") : GetString(j, "stream");
      if (!s.event_store) s.backfill_stream = lanes_policy_.BackfillOf(s.stream);
      subs_.emplace(name, std::move(s));
    }
  } else if (subs != nullptr && subs->is_object()) {
    for (const auto& [name, j] : subs->items()) {
      SubInfo s;
      s.name = name;
      s.config = SubPolicyFromResolved(j);
      s.event_store = s.config.event_store;
      s.stream = GetString(j, "stream");
      subs_.emplace(name, std::move(s));
    }
    if (const ordered_json* dlq = Field(header_, "dlq")) {
      dlq_policy_ = DeclaredDlq(ordered_json{{"server", {{"dlq", *dlq}}}});
    }
  }
  if (const ordered_json* insts = Field(header_, "instances"); insts && insts->is_object()) {
    for (const auto& [name, j] : insts->items()) {
      std::optional<Partition> p;
      if (const ordered_json* part = Field(j, "partition"); part && part->is_object()) {
        p = Partition{GetInt(*part, "member").value_or(0), GetInt(*part, "size").value_or(0)};
      }
      partitions_[name] = p;
    }
  }
}

void HistoryIndex::ReadEvents(const History& history) {
  events_.reserve(history.events.size());
  for (size_t i = 0; i < history.events.size(); ++i) {
    Ev e = ReadEv(history.events[i], i);
    if (e.kind == "published") ReadPublished(e, history.events[i]);
    if (e.message_id.empty() && !e.entry_id.empty() && e.kind != "published") {
      auto it = id_by_entry_.find({e.stream, e.entry_id});
      e.message_id = it != id_by_entry_.end() ? it->second : "entry " + e.entry_id;
    }
    if (e.kind == "final_dlq") final_dlq_.insert({e.stream, e.message_id});
    by_kind_[e.kind].push_back(i);
    if (!e.instance.empty()) by_instance_[e.instance].push_back(i);
    if (!e.subscription.empty() && !e.message_id.empty()) {
      pairs_[{e.subscription, e.message_id}].push_back(i);
    }
    TrackRun(e);
    TrackFault(e);
    events_.push_back(std::move(e));
  }
  if (!events_.empty()) {
    start_us_ = events_.front().t;
    end_us_ = events_.back().t;
  }
}

void HistoryIndex::ReadPublished(const Ev& e, const ordered_json& line) {
  Published p;
  if (const ordered_json* payload = Field(line, "payload"); payload && payload->is_string()) {
    p.payload = payload->get<std::string>();
  }
  p.index = e.index;
  p.t = e.t;
  p.stream = e.stream;
  p.message_id = e.message_id;
  p.entry_id = e.entry_id;
  p.type = e.detail;
  p.event_store = e.outcome == "event_store";
  for (const auto& [name, s] : subs_) {
    const bool mine =
        p.event_store ? s.event_store && s.stream == Category(p.stream)
                      : !s.event_store && (s.stream == p.stream || (!s.backfill_stream.empty() &&
                                                                    s.backfill_stream == p.stream));
    if (mine) p.subscriptions.push_back(name);
  }
  if (!p.entry_id.empty()) id_by_entry_[{p.stream, p.entry_id}] = p.message_id;
  published_by_id_.emplace(p.message_id, published_.size());
  published_.push_back(std::move(p));
}

void HistoryIndex::TrackRun(const Ev& e) {
  if (e.instance.empty()) return;
  std::vector<Run>& runs = runs_[e.instance];
  if (e.kind == "engine_started") {
    if (!runs.empty() && runs.back().end == kNone) runs.back().end = e.index - 1;
    Run r;
    r.instance = e.instance;
    r.start = e.index;
    runs.push_back(std::move(r));
    return;
  }
  if (runs.empty() || runs.back().end != kNone) return;
  Run& run = runs.back();
  if (e.kind == "subscription_started") run.subscriptions.insert(e.subscription);
  if (e.kind == "crashed") run.crashed = run.end = e.index;
  if (e.kind == "shutdown_step") {
    if (e.detail.rfind("signal:", 0) == 0 && run.signal == kNone) run.signal = e.index;
    if (e.detail == "stopped") run.stopped = run.end = e.index;
  }
}

void HistoryIndex::TrackFault(const Ev& e) {
  if (e.kind == "fault_started") {
    faults_.push_back(FaultSpan{e.detail, e.instance, e.index, kNone});
  } else if (e.kind == "fault_ended") {
    for (auto it = faults_.rbegin(); it != faults_.rend(); ++it) {
      if (it->kind == e.detail && it->instance == e.instance && it->end == kNone) {
        it->end = e.index;
        break;
      }
    }
  }
}

const std::vector<size_t>& HistoryIndex::OfKind(std::string_view kind) const {
  auto it = by_kind_.find(kind);
  return it != by_kind_.end() ? it->second : Empty();
}

const std::vector<size_t>& HistoryIndex::OfInstance(const std::string& instance) const {
  auto it = by_instance_.find(instance);
  return it != by_instance_.end() ? it->second : Empty();
}

const std::vector<size_t>& HistoryIndex::OfPair(const std::string& sub,
                                                const std::string& message) const {
  auto it = pairs_.find({sub, message});
  return it != pairs_.end() ? it->second : Empty();
}

const SubInfo* HistoryIndex::subscription(const std::string& name) const {
  auto it = subs_.find(name);
  return it != subs_.end() ? &it->second : nullptr;
}

const Published* HistoryIndex::FindPublished(const std::string& message_id) const {
  auto it = published_by_id_.find(message_id);
  return it != published_by_id_.end() ? &published_[it->second] : nullptr;
}

bool HistoryIndex::InFinalDlq(const std::string& stream, const std::string& message_id) const {
  return final_dlq_.count({stream, message_id}) > 0;
}

const std::vector<Run>& HistoryIndex::RunsOf(const std::string& instance) const {
  static const std::vector<Run> kNoRuns;
  auto it = runs_.find(instance);
  return it != runs_.end() ? it->second : kNoRuns;
}

const Run* HistoryIndex::RunAt(const std::string& instance, size_t index) const {
  for (const Run& r : RunsOf(instance)) {
    if (r.Contains(index)) return &r;
  }
  return nullptr;
}

std::optional<Partition> HistoryIndex::partition(const std::string& instance) const {
  auto it = partitions_.find(instance);
  return it != partitions_.end() ? it->second : std::nullopt;
}

bool HistoryIndex::SubscriptionRan(const std::string& sub) const {
  for (const auto& [instance, runs] : runs_) {
    for (const Run& r : runs) {
      if (r.subscriptions.count(sub) > 0) return true;
    }
  }
  return false;
}

std::vector<std::string> HistoryIndex::AliveAtEnd(const std::string& sub) const {
  std::vector<std::string> out;
  for (const auto& [instance, runs] : runs_) {
    if (!runs.empty() && runs.back().alive_at_end() && runs.back().subscriptions.count(sub) > 0) {
      out.push_back(instance);
    }
  }
  return out;
}

bool HistoryIndex::CoveredAtEnd(const std::string& sub) const {
  std::set<int64_t> members;
  int64_t size = 0;
  for (const std::string& instance : AliveAtEnd(sub)) {
    std::optional<Partition> p = partition(instance);
    if (!p || p->size <= 0) return true;  // reads the whole category
    members.insert(p->member);
    size = p->size;
  }
  if (size == 0) return false;
  for (int64_t m = 0; m < size; ++m) {
    if (members.count(m) == 0) return false;
  }
  return true;
}

bool HistoryIndex::FullLife(const std::string& instance) const {
  const std::vector<Run>& runs = RunsOf(instance);
  return runs.size() == 1 && events_[runs[0].start].t - start_us_ <= slack_us_ &&
         runs[0].alive_at_end();
}

std::string HistoryIndex::Rel(int64_t t) const {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%+.3fs", static_cast<double>(t - start_us_) / 1e6);
  return buf;
}

std::string HistoryIndex::Where(int64_t t, const std::string& instance, const std::string& sub,
                                const std::string& message_id) const {
  std::string out = "t=" + Rel(t);
  if (!instance.empty()) out += " " + instance;
  if (!sub.empty()) out += " " + sub;
  if (!message_id.empty()) {
    const bool entry = message_id.rfind("entry ", 0) == 0;
    out += entry ? " " + message_id : " msg " + message_id.substr(0, 8);
  }
  return out;
}

}  // namespace protean::harness::internal
