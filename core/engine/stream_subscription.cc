#include "core/engine/stream_subscription.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "core/config/priority_lanes.h"
#include "core/engine/backoff.h"
#include "core/internal/py_json.h"

namespace protean {
namespace {

// The value at top-level `key` of a JSON object payload, as text: a string
// as itself, anything else as json.dumps(sort_keys=True) writes it (so equal
// values are one key, however the producer spaced them); nullopt when the key
// is absent or null, or the payload is not a JSON object. Parsed as Python's
// json.loads parses (duplicate keys: the last one counts).
std::optional<std::string> PayloadKey(const std::string& data, const std::string& key) {
  Result<py_json::Value> parsed = py_json::Parse(data);
  if (!parsed.ok() || !parsed->is_object()) return std::nullopt;
  const py_json::Value* value = parsed->Find(key);
  if (value == nullptr || value->is_null()) return std::nullopt;
  return value->is_string() ? value->text : py_json::DumpSorted(*value);
}

// Entries of the backfill lane are held under "b|<id>": both lanes hand out
// the same ids (a Redis id never has a '|').
constexpr std::string_view kBackfillKey = "b|";
// The longest acks wait for a read ahead to come back before they go alone
// (AcksWaitForRead): a read that finds the stream drained blocks.
constexpr Duration kAcksWaitForReadMax = Millis(5);

bool IsBackfillKey(const std::string& key) { return key.starts_with(kBackfillKey); }

// The entry's own id in its stream.
std::string RawId(const std::string& key) {
  return IsBackfillKey(key) ? key.substr(kBackfillKey.size()) : key;
}

// Entries read from the backfill lane, keyed as such.
void TagBackfill(std::vector<StreamEntry>* entries) {
  for (StreamEntry& e : *entries) e.id = std::string(kBackfillKey) + e.id;
}

// The lane of `key`, for offloaded calls that captured both handles.
const GroupHandle& Pick(const GroupHandle& primary, const std::optional<GroupHandle>& backfill,
                        const std::string& key) {
  if (!IsBackfillKey(key)) return primary;
  PROTEAN_CHECK(backfill.has_value());
  return *backfill;
}

// The held keys split by lane, as entry ids: {primary ids, backfill ids}.
std::pair<std::vector<std::string>, std::vector<std::string>> SplitByLane(
    const std::vector<std::string>& keys) {
  std::pair<std::vector<std::string>, std::vector<std::string>> out;
  for (const std::string& k : keys) (IsBackfillKey(k) ? out.second : out.first).push_back(RawId(k));
  return out;
}

// A held entry decoded as what it is in its own stream (its own id).
Status DecodeHeld(const std::string& stream, const StreamEntry& held, Message* out) {
  if (!IsBackfillKey(held.id)) return DecodeMessageInto(stream, held, out);
  StreamEntry raw = held;
  raw.id = RawId(held.id);
  return DecodeMessageInto(stream, raw, out);
}

}  // namespace

StreamSubscription::StreamSubscription(SubscriptionDeps deps, Broker* broker,
                                       const HandlerRegistration& handler,
                                       SubscriptionConfig config)
    : SubscriptionBase(std::move(deps), handler, std::move(config)),
      group_{broker, handler.stream, SubscriberName(handler), consumer_},
      caps_(broker->capabilities()),
      breaker_(config_.circuit_breaker_threshold, SecondsF(config_.circuit_breaker_reset_seconds)) {
  backfill_stream_ = config::BackfillLane(deps_.priority_lanes, handler.stream);
  if (backfill_stream_)
    backfill_ = GroupHandle{broker, *backfill_stream_, SubscriberName(handler), consumer_};
  MetricsRegistry& m = *deps_.metrics;
  dlq_routed_ = m.GetCounter("protean_subscription_dlq_routed", labels_);
  dropped_ = m.GetCounter("protean_subscription_dropped", labels_);
  claimed_ = m.GetCounter("protean_subscription_claimed", labels_);
  for (CircuitState st : {CircuitState::kClosed, CircuitState::kOpen, CircuitState::kHalfOpen}) {
    MetricLabels l = labels_;
    l.emplace_back("state", std::string(CircuitStateName(st)));
    m.GetGauge("protean_subscription_circuit_state", l)->Set(st == CircuitState::kClosed ? 1 : 0);
  }
}

void StreamSubscription::Start() {
  PROTEAN_CHECK(state_ == State::kIdle);
  state_ = State::kRunning;
  Report(Event(EngineEventKind::kSubscriptionStarted, "", "", 0));
  // A failed create is not fatal: ReadNew recreates a missing group.
  Offload<bool>(
      InFlight::kSetup,
      [g = group_, b = backfill_]() -> Result<bool> {
        Status st = g.broker->CreateGroup(g.stream, g.group, GroupStart::kBeginning);
        if (st.ok() && b) st = b->broker->CreateGroup(b->stream, b->group, GroupStart::kBeginning);
        if (!st.ok()) return st;
        return true;
      },
      [this](Result<bool> r) {
        if (!r.ok()) Error("create_group", r.status());
      });
  if (config_.retention_maxlen && !caps_.retention) {
    LogRecord log;
    log.level = LogLevel::kWarning;
    log.at = deps_.loop->Now();
    log.instance = deps_.instance;
    log.event = "subscription.retention_unsupported";
    log.With("handler", handler_.name).With("stream", handler_.stream);
    log.message = "retention_maxlen " + std::to_string(*config_.retention_maxlen) +
                  " is not applied: provider " + std::string(group_.broker->provider()) +
                  " keeps a list its groups' positions index into, which is never trimmed";
    deps_.log(log);
  }
  if (!caps_.pending) {
    // Nothing is ever pending (Protean's list provider): nothing to re-read,
    // claim or touch. What this process read is its own until handled.
    ScheduleTick(Duration{0});
    return;
  }
  // Our own pending entries first (a restart under the same consumer name, or
  // a read whose reply was lost): they are re-read through the group.
  Offload<std::vector<StreamEntry>>(
      InFlight::kSetup,
      [g = group_, b = backfill_]() -> Result<std::vector<StreamEntry>> {
        auto pending = g.broker->ReadPending(g.stream, g.group, g.consumer, kAllPending, 1000);
        if (!pending.ok() || !b) return pending;
        // The lane's group may not exist yet (its create is the other
        // offload): created here too, idempotently, before its pending read.
        (void)b->broker->CreateGroup(b->stream, b->group, GroupStart::kBeginning);
        auto lane = b->broker->ReadPending(b->stream, b->group, b->consumer, kAllPending, 1000);
        if (!lane.ok()) return lane.status();
        TagBackfill(&*lane);
        for (StreamEntry& e : *lane) pending->push_back(std::move(e));
        return pending;
      },
      [this](Result<std::vector<StreamEntry>> r) {
        if (r.ok()) {
          for (auto& entry : *r) Enqueue(&ready_, Delivery{std::move(entry), true});
        } else {
          Error("read_pending", r.status());
        }
        ScheduleTick(Duration{0});
        ScheduleClaim();
        ScheduleHeartbeat();
        MaybeIdle();
      });
}

const GroupHandle& StreamSubscription::LaneOf(const std::string& key) const {
  if (!IsBackfillKey(key)) return group_;
  PROTEAN_CHECK(backfill_.has_value());
  return *backfill_;
}

EngineEvent StreamSubscription::Event(EngineEventKind kind, const std::string& key,
                                      const std::string& message_id, int64_t attempt) const {
  EngineEvent e = SubscriptionBase::Event(kind, RawId(key), message_id, attempt);
  e.stream = LaneOf(key).stream;
  return e;
}

void StreamSubscription::LogMessage(LogLevel level, std::string event, const std::string& key,
                                    const Message* m, const std::string& message_id,
                                    int64_t attempt, std::string text) const {
  SubscriptionBase::LogMessage(level, std::move(event), RawId(key), m, message_id, attempt,
                               std::move(text), IsBackfillKey(key) ? LaneOf(key).stream : "");
}

void StreamSubscription::Enqueue(std::deque<Delivery>* queue, Delivery delivery) {
  PROTEAN_CHECK(retries_.count(delivery.entry.id) == 0);  // a retry waits on its timer
  held_.insert(delivery.entry.id);
  queue->push_back(std::move(delivery));
}

void StreamSubscription::Forget(const std::string& id) {
  held_.erase(id);
  reclaimed_.erase(id);
  kept_.erase(id);
  first_failure_.erase(id);
  ReleaseKey(id);
}

void StreamSubscription::Tick() {
  if (!running() || work_.of(InFlight::kFetch) > 0) return;
  ticking_ = true;
  Dispatch();
  ticking_ = false;
  // Acks kept for a read that is not coming go now, unless a lane's end reads next.
  if (!Fetch() && !AcksWaitForLane()) FlushAcks();
}

void StreamSubscription::FlushAcksOrRide() {
  if (AcksWaitForRead()) {
    // AcksAfterRead takes them; unless the read blocks, kAcksWaitForReadMax at most.
    if (ack_wait_timer_ == 0) {
      ack_wait_timer_ = deps_.loop->PostAt(deps_.loop->Now() + kAcksWaitForReadMax, Guard([this] {
                                             ack_wait_timer_ = 0;
                                             FlushAcks();
                                           }));
    }
    return;
  }
  if (!AcksRideNextRead()) return FlushAcks();
  if (!ticking_) ScheduleTick(Duration{0});  // the read that takes them (Tick reads next)
}

bool StreamSubscription::AcksMayRide() const {
  return caps_.ack_with_read && !backfill_ && running() && config_.tick_interval_seconds <= 0;
}

bool StreamSubscription::AcksRideNextRead() const {
  // No read in flight and no tick set for later: the next Tick comes at
  // once (OnSequenceDone schedules it), and it reads or flushes them.
  return AcksMayRide() && work_.of(InFlight::kFetch) == 0 &&
         (tick_timer_ == 0 || tick_due_ <= deps_.loop->Now());
}

bool StreamSubscription::AcksWaitForRead() const {
  // Sent alone, they would cost a round trip of their own beside the read's.
  return AcksMayRide() && work_.of(InFlight::kFetch) > 0 && (read_ahead_ || !read_blocks_);
}

bool StreamSubscription::AcksWaitForLane() const {
  // A lane that ends reads next (OnSequenceDone), or flushes them.
  return AcksMayRide() && runner_.busy() &&
         pending_acks_.size() < static_cast<size_t>(config_.messages_per_tick);
}

void StreamSubscription::AcksAfterRead() {
  // Only acks that may ride a read (ack_with_read) wait for one.
  if (!caps_.ack_with_read || pending_acks_.empty() || work_.of(InFlight::kFetch) > 0 ||
      AcksWaitForLane()) {
    return;
  }
  FlushAcksOrRide();
}

bool StreamSubscription::ReadDue() const {
  // OPEN: no read until the probe timer; HALF_OPEN: one message is read for
  // the probe, only when nothing else could be it.
  if (!breaker_.permits_reads()) return false;
  const bool half_open = breaker_.state() == CircuitState::kHalfOpen;
  const size_t queued = ready_.size() + batch_.size();
  if (half_open && (probing_ || queued > 0 || work_.of(InFlight::kRedeliver) > 0)) return false;
  // One batch ahead at most: fetched entries wait (delivered, not attempted)
  // while the current ones run, bounded by messages_per_tick.
  if (QueuedPastFreeLanes() >= static_cast<size_t>(config_.messages_per_tick)) return false;
  if (config_.tick_interval_seconds > 0 && (queued > 0 || runner_.busy())) return false;
  // Bound the retries waiting in memory: stop fetching new work meanwhile.
  const size_t retries_max =
      static_cast<size_t>(std::max<int64_t>(100, 10 * config_.messages_per_tick));
  return retries_.size() < retries_max;  // a finishing retry calls Tick again
}

void StreamSubscription::ReadAhead() {
  if (running() && config_.tick_interval_seconds <= 0 && work_.of(InFlight::kFetch) == 0) Fetch();
}

size_t StreamSubscription::QueuedPastFreeLanes() const {
  const size_t queued = ready_.size() + batch_.size();
  if (config_.ordered_by) return queued;  // a key in flight holds its messages back
  const auto [lanes_max, per_lane_max] = LaneLimits();
  const size_t taken =
      lanes_max > lanes_ ? static_cast<size_t>(lanes_max - lanes_) * per_lane_max : 0;
  return queued > taken ? queued - taken : 0;
}

bool StreamSubscription::Fetch() {
  if (!ReadDue()) return false;
  // The acks waiting go with the read where the broker sends both at once
  // (one round trip, counted as acks in flight until it returns), else first.
  std::shared_ptr<const std::vector<PendingAck>> acks;
  std::vector<std::string> ack_ids;
  if (AcksRideNextRead() && !pending_acks_.empty()) {
    acks = TakePendingAcks(&ack_ids);
  } else {
    FlushAcks();
  }
  const bool half_open = breaker_.state() == CircuitState::kHalfOpen;
  const int count = half_open ? 1 : static_cast<int>(config_.messages_per_tick);
  // A read ahead of the messages queued or handled, after a read that came
  // back full: more is likely there, so it should come back without blocking
  // (acks may wait for it, AcksWaitForRead). It blocks all the same: a read's
  // reply may take up to the block beyond socket_timeout, not just that.
  read_ahead_ = last_read_full_ && (runner_.busy() || !ready_.empty() || !batch_.empty());
  Duration block = group_.broker->capabilities().blocking_reads
                       ? std::min(Millis(config_.blocking_timeout_ms), deps_.blocking_read_max)
                       : Duration{0};
  // Past the engine's bound on blocking reads this one does not block (it
  // would hold a worker and a connection while the stream is idle); empty,
  // it polls again after IdlePollDelay (OnFetched).
  std::shared_ptr<void> blocking_slot;
  if (block > Duration{0} && !(blocking_slot = deps_.TakeBlockingRead())) block = Duration{0};
  read_blocks_ = block > Duration{0};
  Read(count, block, std::move(blocking_slot), std::move(acks), std::move(ack_ids));
  return true;
}

void StreamSubscription::Read(int count, Duration block, std::shared_ptr<void> blocking_slot,
                              std::shared_ptr<const std::vector<PendingAck>> acks,
                              std::vector<std::string> ack_ids) {
  // Acks that ride are in flight until the broker answers them, which it
  // does before the read returns (the read may block): that answer is
  // posted to the loop at once, and reported even after Abandon.
  Broker::AckDone on_acked;
  if (acks) {
    work_.Add(InFlight::kAck);
    on_acked = [loop = deps_.loop, done = GuardAlive([this, acks](Result<int64_t> r) {
                                     work_.Done(InFlight::kAck);
                                     OnAcked(*acks, std::move(r));
                                   })](Result<int64_t> r) {
      loop->Post([done, r = std::move(r)]() mutable { done(std::move(r)); });
    };
  }
  // Set by the read (on the worker), read when it is done (on the loop): the
  // streams whose group the read recreated.
  auto recreated = std::make_shared<std::vector<std::string>>();
  const TimePoint asked = deps_.loop->Now();
  auto call = [g = group_, b = backfill_, count, block, recreated, on_acked = std::move(on_acked),
               ack_ids = std::move(ack_ids), blocking_slot = std::move(blocking_slot)]() mutable {
    auto read_new = [&](const GroupHandle& lane,
                        Duration lane_block) -> Result<std::vector<StreamEntry>> {
      const int64_t before = lane.broker->GroupRecreations(lane.stream, lane.group);
      // Acks ride only without a backfill lane (AcksRideNextRead): this lane's.
      Result<std::vector<StreamEntry>> entries =
          ack_ids.empty()
              ? lane.broker->ReadNew(lane.stream, lane.group, lane.consumer, count, lane_block)
              : lane.broker->AckThenReadNew(lane.stream, lane.group, lane.consumer, ack_ids,
                                            on_acked, count, lane_block);
      ack_ids.clear();
      if (lane.broker->GroupRecreations(lane.stream, lane.group) > before) {
        recreated->push_back(lane.stream);
      }
      return entries;
    };
    // Priority lanes: the primary without blocking, then, only when it
    // returned nothing, the backfill lane with the block
    // (stream_subscription.py:360-384,573-625).
    auto primary = read_new(g, b ? Duration{0} : block);
    if (!b || !primary.ok() || !primary->empty()) {
      blocking_slot.reset();  // freed as the read returns, before the loop hears of it
      return primary;
    }
    auto lane = read_new(*b, block);
    blocking_slot.reset();
    if (lane.ok()) TagBackfill(&*lane);
    return lane;
  };
  auto done = [this, recreated, asked](Result<std::vector<StreamEntry>> r) {
    for (const std::string& stream : *recreated) GroupRecreated(stream);
    // Only a broker with pending lists can have given them to a claimer.
    const bool late =
        caps_.pending && deps_.loop->Now() - asked >= SecondsF(config_.claim_idle_seconds);
    if (late && r.ok() && !r->empty()) {
      KeepStillOurs(std::move(*r));
    } else {
      OnFetched(std::move(r));
    }
    AcksAfterRead();
  };
  Offload<std::vector<StreamEntry>>(InFlight::kFetch, std::move(call), std::move(done));
}

// A read whose reply took claim_idle or longer (a partition, a stalled
// link): its entries have been idle since the server delivered them, so
// another consumer may have claimed them meanwhile. Each is touched (owner
// checked, idle reset) and only those still ours are handled; the others are
// the claimer's now.
void StreamSubscription::KeepStillOurs(std::vector<StreamEntry> entries) {
  Offload<std::vector<StreamEntry>>(
      InFlight::kFetch,
      [g = group_, b = backfill_,
       entries = std::move(entries)]() mutable -> Result<std::vector<StreamEntry>> {
        std::vector<StreamEntry> ours;
        for (StreamEntry& entry : entries) {
          const GroupHandle& lane = Pick(g, b, entry.id);
          Result<int64_t> touched =
              lane.broker->Touch(lane.stream, lane.group, lane.consumer, {RawId(entry.id)});
          if (!touched.ok()) return touched.status();
          if (*touched > 0) ours.push_back(std::move(entry));
        }
        return ours;
      },
      [this](Result<std::vector<StreamEntry>> r) {
        // A failed check handles nothing: the entries stay pending for the claim.
        OnFetched(std::move(r));
        AcksAfterRead();
      });
}

// The broker had lost the group (its stream deleted, or a Redis restarted
// without persistence: every pending entry and acked position gone with it);
// the read recreated it from the beginning. Said once per recreation.
void StreamSubscription::GroupRecreated(const std::string& stream) {
  LogRecord log;
  log.level = LogLevel::kWarning;
  log.at = deps_.loop->Now();
  log.instance = deps_.instance;
  log.event = "subscription.group_recreated";
  log.With("handler", handler_.name).With("stream", stream).With("group", group_.group);
  log.message = "consumer group " + group_.group + " of stream " + stream +
                " was missing (deleted, or lost by a broker restart without persistence); "
                "recreated from the beginning";
  deps_.log(log);
  EngineEvent e = Event(EngineEventKind::kError, "", "", 0);
  e.stream = stream;
  e.outcome = "group_recreated";
  e.detail = log.message;
  Report(std::move(e));
}

void StreamSubscription::OnFetched(Result<std::vector<StreamEntry>> result) {
  if (!result.ok()) {
    Error("read", result.status());
    // Back off on a failing broker; fetched nothing, lost nothing.
    ScheduleTick(deps_.FailureBackoff());
    MaybeIdle();
    return;
  }
  Recovered("read");
  const bool empty = result->empty();
  last_read_full_ = result->size() >= static_cast<size_t>(config_.messages_per_tick);
  for (auto& entry : *result) {
    if (observed()) {
      Report(Event(EngineEventKind::kDelivered, entry.id, MessageIdOf(entry.fields),
                   entry.delivery_count));
    }
    Enqueue(&batch_, Delivery{std::move(entry), false});
  }
  if (!running()) {
    if (finishing()) {
      Dispatch();  // ours alone (no pending list): handled within the drain
    } else if (state_ == State::kStopping) {
      ReleaseUnattempted();  // arrived after StopFetching
    }
    MaybeIdle();
    return;
  }
  if (empty && batch_.empty() && ready_.empty() && !runner_.busy()) {
    ScheduleTick(read_blocks_ ? Duration{0} : IdlePollDelay(deps_, ++empty_reads_));
    return;
  }
  if (!empty) {
    empty_reads_ = 0;
    ReadAhead();
  }
  Dispatch();
  if (!empty) ScheduleTick(SecondsF(config_.tick_interval_seconds));
}

std::optional<std::string> StreamSubscription::OrderKey(const Message& m) const {
  if (!config_.ordered_by) return std::nullopt;
  return PayloadKey(m.data, *config_.ordered_by);
}

void StreamSubscription::Dispatch() {
  if (!running() && !finishing()) {
    MaybeIdle();
    return;
  }
  const auto [lanes_max, per_lane_max] = LaneLimits();
  while (lanes_ < lanes_max && (!ready_.empty() || !batch_.empty())) {
    // A lane takes its share of what is queued, in order: redelivered and
    // claimed entries first. With ordered_by, a message whose key is in
    // flight or waiting for a retry stays queued (in order) until the key is
    // free, and a lane takes at most one message per key.
    const size_t queued = ready_.size() + batch_.size();
    const size_t lanes_free = static_cast<size_t>(lanes_max - lanes_);
    const size_t share = std::min<size_t>((queued + lanes_free - 1) / lanes_free, per_lane_max);
    std::vector<AttemptRunner::Item> items;
    std::set<std::string> keys;
    // Priority lanes: queued primary entries before queued backfill ones.
    for (const auto& [queue, backfill_pass] : DispatchOrder()) {
      std::deque<Delivery> left;
      while (!queue->empty()) {
        Delivery d = std::move(queue->front());
        queue->pop_front();
        if (items.size() >= share || (backfill_ && IsBackfillKey(d.entry.id) != backfill_pass)) {
          left.push_back(std::move(d));
          continue;
        }
        if (!NeedsAttempt(d)) continue;  // settled already
        AttemptRunner::Item item;
        item.source_id = d.entry.id;
        item.delivery_count = d.entry.delivery_count;
        // One copy of the entry, shared by the decoder (worker) and the
        // completion (loop).
        auto entry = std::make_shared<const StreamEntry>(std::move(d.entry));
        if (config_.ordered_by) {
          // The key decides the lane: decoded here (a payload that does not
          // decode goes to the DLQ at once; it has no key to wait for).
          auto decoded = std::make_shared<Message>();
          if (Status st = DecodeHeld(LaneOf(entry->id).stream, *entry, decoded.get()); !st.ok()) {
            MoveToDlq(entry->id, entry->delivery_count, "undecodable: " + st.message(),
                      MessageIdOf(entry->fields));
            continue;
          }
          item.message = std::move(decoded);
          if (const std::optional<std::string> key = OrderKey(*item.message)) {
            auto holder = busy_keys_.find(*key);
            if ((holder != busy_keys_.end() && holder->second != entry->id) || keys.count(*key)) {
              left.push_back(Delivery{*entry, false});
              continue;
            }
            keys.insert(*key);
            busy_keys_[*key] = entry->id;
            key_of_[entry->id] = *key;
          }
        } else {
          // Decoded (and its checksum checked) on the worker, off the loop.
          item.decode = [stream = &LaneOf(entry->id).stream, entry](Message* out) {
            return DecodeHeld(*stream, *entry, out);
          };
        }
        item.done = [this, entry](const AttemptResult& r) { OnAttempt(*entry, r); };
        dispatched_[entry->id] = entry;
        items.push_back(std::move(item));
      }
      *queue = std::move(left);
    }
    if (items.empty()) break;  // only blocked keys left
    if (breaker_.state() == CircuitState::kHalfOpen) probing_ = true;
    ++lanes_;
    runner_.RunSequence(std::move(items), Guard([this] { OnSequenceDone(); }));
  }
  if (ready_.empty() && batch_.empty() && !runner_.busy()) FlushAcksOrRide();
  MaybeIdle();
}

std::vector<std::pair<std::deque<StreamSubscription::Delivery>*, bool>>
StreamSubscription::DispatchOrder() {
  std::vector<std::pair<std::deque<Delivery>*, bool>> order = {{&ready_, false}, {&batch_, false}};
  if (backfill_) order.insert(order.end(), {{&ready_, true}, {&batch_, true}});
  return order;
}

void StreamSubscription::OnSequenceDone() {
  --lanes_;
  PROTEAN_CHECK(lanes_ >= 0);
  FlushAcksOrRide();
  MaybeTrim();
  MaybeProbe();
  ReadAhead();
  Dispatch();
  if (running()) ScheduleTick(Duration{0});
}

bool StreamSubscription::NeedsAttempt(Delivery& d) {
  StreamEntry& entry = d.entry;
  PROTEAN_CHECK(Holds(entry.id));
  if (entry.deleted) {
    // Trimmed or deleted while pending: nothing left to handle (Redis [id, nil]).
    AckNow(entry.id, "", entry.delivery_count);
    return false;
  }
  if (d.claimed) {
    Report(Event(EngineEventKind::kClaimed, entry.id, MessageIdOf(entry.fields),
                 entry.delivery_count));
    claimed_->Inc();
    d.claimed = false;  // reported once, even if the entry waits for its key
  }
  if (entry.delivery_count > config_.max_retries && config_.max_retries > 0) {
    // A claimed entry whose attempts ran out, with a consumer that died or
    // before a failed DLQ move: it goes to the DLQ without running again.
    const std::string reason =
        "attempts exhausted: delivered " + std::to_string(entry.delivery_count) + " times";
    const std::string message_id = MessageIdOf(entry.fields);
    if (config_.enable_dlq) {
      MoveToDlq(entry.id, entry.delivery_count - 1, reason, message_id);
    } else {
      AckNow(entry.id, message_id, entry.delivery_count);
      dropped_->Inc();
      Report(Event(EngineEventKind::kDropped, entry.id, message_id, entry.delivery_count));
    }
    return false;
  }
  return true;
}

void StreamSubscription::OnAttempt(const StreamEntry& entry, const AttemptResult& r) {
  PROTEAN_CHECK(Holds(entry.id));
  dispatched_.erase(entry.id);
  if (!r.attempted) {
    probing_ = false;  // not a handler outcome: another message probes
    OnNotAttempted(entry, r);
    Dispatch();
    return;
  }
  // A timeout may come before the worker decoded the message: the entry
  // then names it (built only then: naming it decodes the envelope again).
  std::optional<Message> fallback;
  if (!r.message) fallback = FallbackMessage(entry);
  const Message* message = r.message ? r.message.get() : &*fallback;
  PROTEAN_CHECK(config_.max_retries <= 0 || message->attempt <= config_.max_retries);
  if (observed()) {
    // Reported as the result arrives, stamped with when the handler was
    // called: a batch of attempts runs on a worker without telling the loop
    // of each start.
    EngineEvent started =
        Event(EngineEventKind::kAttemptStarted, entry.id, message->id, message->attempt);
    started.at = r.started;
    Report(std::move(started));
    EngineEvent fin =
        Event(EngineEventKind::kAttemptFinished, entry.id, message->id, message->attempt);
    fin.outcome = std::string(AttemptOutcomeName(r.outcome));
    fin.detail = r.reason;
    Report(std::move(fin));
  }
  duration_->Observe(ToSecondsF(r.elapsed));
  if (r.outcome == AttemptOutcome::kOk) {
    processed_ok_->Inc();
    first_failure_.erase(entry.id);
    pending_acks_.push_back(PendingAck{entry.id, message->id, message->attempt});
    ReleaseKey(entry.id);
    // Batched: flushed once messages_per_tick are waiting, when the last
    // attempt in flight ends, and before every fetch; where the next read
    // takes them (AcksRideNextRead), up to a batch's worth waits for it.
    const size_t batch = static_cast<size_t>(config_.messages_per_tick);
    if (pending_acks_.size() > batch) {
      FlushAcks();
    } else if (!runner_.busy() || pending_acks_.size() == batch) {
      FlushAcksOrRide();
    }
  } else {
    processed_failed_->Inc();
    first_failure_.emplace(entry.id, deps_.loop->Now());
    const bool retry =
        r.outcome != AttemptOutcome::kUndecodable && message->attempt < config_.max_retries;
    LogMessage(LogLevel::kWarning, "handler.failed", entry.id, message, message->id,
               message->attempt,
               std::string(AttemptOutcomeName(r.outcome)) + ": " + r.reason +
                   (retry ? " (will retry)" : ""));
    if (!retry) ReleaseKey(entry.id);  // a retry keeps its key: later messages wait
    if (r.outcome == AttemptOutcome::kUndecodable) {
      MoveToDlq(entry.id, message->attempt, r.reason, message->id);
    } else if (retry) {
      if (!caps_.pending) kept_[entry.id] = entry;  // the broker cannot redeliver it
      ScheduleRetry(entry.id, message->attempt);
    } else if (config_.enable_dlq) {
      MoveToDlq(entry.id, message->attempt, r.reason, message->id);
    } else {
      Drop(entry.id, message, message->id, message->attempt,
           "attempts exhausted and enable_dlq = false: " + r.reason);
    }
  }
  if (r.outcome != AttemptOutcome::kUndecodable) NoteOutcome(r.outcome == AttemptOutcome::kOk);
  Dispatch();
}

Message StreamSubscription::FallbackMessage(const StreamEntry& entry) {
  Message m;
  m.id = MessageIdOf(entry.fields);
  m.stream = LaneOf(entry.id).stream;
  m.source_id = RawId(entry.id);
  m.attempt = entry.delivery_count > 0 ? entry.delivery_count : 1;
  return m;
}

void StreamSubscription::OnNotAttempted(const StreamEntry& entry, const AttemptResult& r) {
  if (r.outcome == AttemptOutcome::kUndecodable) {
    MoveToDlq(entry.id, entry.delivery_count, r.reason, MessageIdOf(entry.fields));
    return;
  }
  // Expired (Protean's engine.handle_message, server/engine.py:779-820): a
  // command whose deadline passed while it was queued is acked and skipped,
  // never handled and never retried.
  PROTEAN_CHECK(r.outcome == AttemptOutcome::kExpired && r.message != nullptr);
  ReleaseKey(entry.id);
  AckNow(entry.id, r.message->id, entry.delivery_count);
  deps_.metrics->GetCounter("protean_command_expired", {{"command_type", r.message->type}})->Inc();
  EngineEvent e = Event(EngineEventKind::kDropped, entry.id, r.message->id, entry.delivery_count);
  e.detail = r.reason;
  Report(std::move(e));
}

void StreamSubscription::ReleaseKey(const std::string& entry_id) {
  auto it = key_of_.find(entry_id);
  if (it == key_of_.end()) return;
  busy_keys_.erase(it->second);
  key_of_.erase(it);
}

void StreamSubscription::ScheduleRetry(const std::string& id, int64_t failed_attempt) {
  const Duration delay = RetryDelay(config_, failed_attempt, *deps_.prng);
  retries_counter_->Inc();
  const TimePoint now = deps_.loop->Now();  // one reading: due - at is exactly the delay
  EngineEvent e = Event(EngineEventKind::kRetryScheduled, id, "", failed_attempt);
  e.at = now;
  e.due = now + delay;
  e.value = delay.count();
  Report(std::move(e));
  char text[64];
  std::snprintf(text, sizeof text, "attempt %lld in %.3f s",
                static_cast<long long>(failed_attempt + 1), ToSecondsF(delay));
  LogMessage(LogLevel::kInfo, "handler.retry_scheduled", id, nullptr, "", failed_attempt, text);
  RetryWait& wait = retries_[id];
  wait.failed_attempt = failed_attempt;
  wait.timer = deps_.loop->PostAt(now + delay, Guard([this, id] { Redeliver(id); }));
}

// A redelivery read or a DLQ move failed: the broker is failing. The same
// retry is read again after its retry delay (no new retry is scheduled), but
// never sooner than the back-off a failed fetch waits: with
// retry_delay_seconds = 0 the simulation would otherwise spin at one
// instant, and a real server would spin on a failing broker.
void StreamSubscription::RedeliverLater(const std::string& id, int64_t failed_attempt) {
  const Duration delay =
      std::max(RetryDelay(config_, failed_attempt, *deps_.prng), deps_.FailureBackoff());
  RetryWait& wait = retries_[id];
  wait.failed_attempt = failed_attempt;
  wait.timer = deps_.loop->PostAfter(delay, Guard([this, id] { Redeliver(id); }));
}

void StreamSubscription::Redeliver(const std::string& id) {
  auto wait = retries_.find(id);
  const int64_t failed_attempt = wait != retries_.end() ? wait->second.failed_attempt : 1;
  if (wait != retries_.end()) retries_.erase(wait);
  if (!running() && !finishing()) {
    MaybeIdle();
    return;
  }
  if (!breaker_.permits_reads()) {
    parked_.emplace_back(id, failed_attempt);  // redelivered when the breaker probes
    return;
  }
  if (!caps_.pending) {
    // The entry this process kept: the next attempt, counted here (not
    // durable: a crash loses it, as Protean's provider does).
    auto kept = kept_.find(id);
    PROTEAN_CHECK(kept != kept_.end());
    StreamEntry entry = kept->second;
    entry.delivery_count = failed_attempt + 1;
    OnRedelivered(id, failed_attempt, std::optional<StreamEntry>(std::move(entry)));
    return;
  }
  Offload<std::optional<StreamEntry>>(
      InFlight::kRedeliver,
      [g = LaneOf(id), id]() -> Result<std::optional<StreamEntry>> {
        auto r = g.broker->Redeliver(g.stream, g.group, g.consumer, RawId(id));
        if (r.ok() && r->has_value()) (*r)->id = id;  // keyed as held
        return r;
      },
      [this, id, failed_attempt](Result<std::optional<StreamEntry>> r) {
        OnRedelivered(id, failed_attempt, std::move(r));
      });
}

void StreamSubscription::OnRedelivered(const std::string& id, int64_t failed_attempt,
                                       Result<std::optional<StreamEntry>> r) {
  if (!r.ok()) {
    // Still pending with us (nothing changed): read it again later (RedeliverLater).
    Error("redeliver", r.status(), "redeliver " + LaneOf(id).stream + " " + RawId(id));
    if (running()) RedeliverLater(id, failed_attempt);
    MaybeIdle();
    return;
  }
  if (!r->has_value()) {
    // Acked, moved or claimed elsewhere meanwhile: no longer ours.
    Forget(id);
    MaybeIdle();
    return;
  }
  StreamEntry entry = std::move(**r);
  if (auto own = reclaimed_.find(id); own != reclaimed_.end()) {
    // Our own claims of it while it waited were deliveries, not attempts.
    entry.delivery_count = std::max<int64_t>(entry.delivery_count - own->second, 1);
    reclaimed_.erase(own);
  }
  if (!running() && !finishing()) {
    // Re-read for a retry that will not run now: give it back.
    Enqueue(&ready_, Delivery{std::move(entry), false});
    if (state_ == State::kStopping) ReleaseUnattempted();
    MaybeIdle();
    return;
  }
  if (observed()) {
    Report(Event(EngineEventKind::kDelivered, entry.id, MessageIdOf(entry.fields),
                 entry.delivery_count));
  }
  Enqueue(&ready_, Delivery{std::move(entry), false});
  Dispatch();
}

void StreamSubscription::MoveToDlq(const std::string& id, int64_t attempts,
                                   const std::string& reason, const std::string& message_id) {
  PROTEAN_CHECK(Holds(id));
  if (!caps_.dlq) {
    // An undecodable message on a broker without a DLQ (enable_dlq is
    // refused there, so only these come here).
    Drop(id, nullptr, message_id, attempts,
         "provider " + std::string(group_.broker->provider()) + " has no DLQ: " + reason);
    return;
  }
  const GroupHandle& lane = LaneOf(id);
  DlqMetadata meta;
  meta.original_stream = lane.stream;
  meta.original_id = RawId(id);
  meta.consumer_group = group_.group;
  meta.consumer = group_.consumer;
  meta.last_failure = deps_.loop->Now();
  auto ff = first_failure_.find(id);
  meta.first_failure = ff != first_failure_.end() ? ff->second : meta.last_failure;
  meta.attempts = attempts;
  meta.reason = reason;
  Offload<bool>(
      InFlight::kDlqMove,
      [g = lane, raw = RawId(id), meta] {
        return g.broker->MoveToDlq(g.stream, g.group, raw, meta);
      },
      [this, id, attempts, reason, message_id](Result<bool> r) {
        EngineEvent e = Event(EngineEventKind::kDlqMoved, id, message_id, attempts);
        e.detail = reason;
        if (r.ok() && *r) {
          Forget(id);
          dlq_routed_->Inc();
          LogMessage(LogLevel::kError, "dlq.moved", id, nullptr, message_id, attempts,
                     "moved to " + DlqStreamName(LaneOf(id).stream) + ": " + reason);
          Report(std::move(e));
        } else if (r.ok()) {
          // No longer pending with the group: another consumer moved or acked it.
          Forget(id);
          e.kind = EngineEventKind::kDlqMoveFailed;
          e.detail = "not pending any more";
          Report(std::move(e));
        } else {
          // The message stays pending; the next delivery tries the move again.
          Error("dlq_move", r.status(), "dlq move " + LaneOf(id).stream + " " + RawId(id));
          e.kind = EngineEventKind::kDlqMoveFailed;
          e.detail = r.status().ToString();
          Report(std::move(e));
          if (running()) RedeliverLater(id, attempts);
        }
        MaybeIdle();
      });
}

void StreamSubscription::Drop(const std::string& id, const Message* message,
                              const std::string& message_id, int64_t attempt,
                              const std::string& reason) {
  AckNow(id, message_id, attempt);
  LogMessage(LogLevel::kError, "handler.dropped", id, message, message_id, attempt, reason);
  dropped_->Inc();
  EngineEvent e = Event(EngineEventKind::kDropped, id, message_id, attempt);
  e.detail = reason;
  Report(std::move(e));
}

void StreamSubscription::AckNow(const std::string& id, const std::string& message_id,
                                int64_t attempt) {
  PROTEAN_CHECK(Holds(id));
  pending_acks_.push_back(PendingAck{id, message_id, attempt});
  FlushAcks();
}

std::shared_ptr<const std::vector<StreamSubscription::PendingAck>>
StreamSubscription::TakePendingAcks(std::vector<std::string>* ids) {
  CancelTimer(&ack_wait_timer_);  // they go now
  auto acks = std::make_shared<const std::vector<PendingAck>>(std::move(pending_acks_));
  pending_acks_.clear();
  ids->reserve(acks->size());
  for (const PendingAck& a : *acks) ids->push_back(a.id);
  return acks;
}

void StreamSubscription::FlushAcks() {
  if (pending_acks_.empty()) return;
  std::vector<std::string> ids;
  auto acks = TakePendingAcks(&ids);
  // Reported even after Abandon: the ack reached (or failed at) the broker.
  OffloadPastAbandon<int64_t>(
      InFlight::kAck,
      [g = group_, b = backfill_, ids = std::move(ids)]() -> Result<int64_t> {
        auto [primary, backfill] = SplitByLane(ids);
        int64_t acked = 0;
        if (!primary.empty()) {
          PROTEAN_ASSIGN_OR_RETURN(acked, g.broker->Ack(g.stream, g.group, primary));
        }
        if (!backfill.empty()) {
          PROTEAN_ASSIGN_OR_RETURN(int64_t lane, b->broker->Ack(b->stream, b->group, backfill));
          acked += lane;
        }
        return acked;
      },
      [this, acks](Result<int64_t> r) { OnAcked(*acks, std::move(r)); });
}

void StreamSubscription::OnAcked(const std::vector<PendingAck>& acks, Result<int64_t> r) {
  if (!r.ok()) {
    Error("ack", r.status());
    // Handled messages: ack them with the next flush while we run; otherwise
    // they stay pending and are claimed later (at-least-once).
    if (running()) {
      pending_acks_.insert(pending_acks_.end(), acks.begin(), acks.end());
    } else {
      for (const PendingAck& a : acks) Forget(a.id);
    }
  } else {
    Recovered("ack");
    for (const PendingAck& a : acks) {
      Forget(a.id);
      if (observed()) Report(Event(EngineEventKind::kAcked, a.id, a.message_id, a.attempt));
    }
  }
  if (work_.of(InFlight::kAck) == 0) {
    auto waiters = std::move(ack_waiters_);
    ack_waiters_.clear();
    for (auto& w : waiters) w();
  }
  MaybeIdle();
}

void StreamSubscription::ScheduleClaim() {
  if (!running()) return;
  // At least every 5 s: entries a stopping instance released are claimable
  // at once and should not wait for half a long claim bound.
  const Duration every = std::min(SecondsF(config_.claim_idle_seconds / 2), Seconds(5));
  claim_timer_ = deps_.loop->PostAfter(every, Guard([this] {
                                         claim_timer_ = 0;
                                         Claim(false, std::string(kClaimScanStart), 10);
                                       }));
}

void StreamSubscription::Claim(bool backfill, std::string cursor, int pages_left) {
  if (!running()) return;
  if (!breaker_.permits_reads()) {
    ScheduleClaim();  // a claim is a read: paused while OPEN
    return;
  }
  const Duration min_idle = SecondsF(config_.claim_idle_seconds);
  const int count = static_cast<int>(config_.messages_per_tick);
  Offload<ClaimResult>(
      InFlight::kClaim,
      [g = backfill ? *backfill_ : group_, backfill, min_idle, cursor, count] {
        auto r = g.broker->AutoClaim(g.stream, g.group, g.consumer, min_idle, cursor, count);
        if (backfill && r.ok()) TagBackfill(&r->claimed);
        return r;
      },
      [this, backfill, pages_left](Result<ClaimResult> r) {
        if (!r.ok()) {
          Error("claim", r.status());
          ScheduleClaim();
          MaybeIdle();
          return;
        }
        bool any = false;
        for (auto& entry : r->claimed) {
          // Ours already (a heartbeat came too late): not a second delivery,
          // and not an attempt either (see reclaimed_).
          if (Holds(entry.id)) {
            ++reclaimed_[entry.id];
            continue;
          }
          Enqueue(&ready_, Delivery{std::move(entry), true});
          any = true;
        }
        if (!running()) {
          if (state_ == State::kStopping) ReleaseUnattempted();
          MaybeIdle();
          return;
        }
        if (any) Dispatch();
        if (!r->done() && pages_left > 1) {
          Claim(backfill, r->next_cursor, pages_left - 1);
        } else if (!backfill && backfill_) {
          Claim(true, std::string(kClaimScanStart), 10);  // then the backfill lane's
        } else {
          ScheduleClaim();
        }
      });
}

void StreamSubscription::ScheduleHeartbeat() {
  if (!running()) return;
  heartbeat_timer_ = deps_.loop->PostAfter(
      SecondsF(config_.claim_idle_seconds / 4), Guard([this] {
        heartbeat_timer_ = 0;
        if (!held_.empty()) {
          std::vector<std::string> ids(held_.begin(), held_.end());
          std::sort(ids.begin(), ids.end());  // in id order, whatever the set's
          // Not counted in flight: a heartbeat changes nothing the drain waits for.
          OffloadCall<int64_t>(
              *deps_.loop,
              [g = group_, b = backfill_, ids]() -> Result<int64_t> {
                auto [primary, backfill] = SplitByLane(ids);
                int64_t touched = 0;
                if (!primary.empty()) {
                  PROTEAN_ASSIGN_OR_RETURN(touched,
                                           g.broker->Touch(g.stream, g.group, g.consumer, primary));
                }
                if (!backfill.empty()) {
                  PROTEAN_ASSIGN_OR_RETURN(
                      int64_t lane, b->broker->Touch(b->stream, b->group, b->consumer, backfill));
                  touched += lane;
                }
                return touched;
              },
              Guard([this](Result<int64_t> r) {
                if (!r.ok()) Error("touch", r.status());
              }));
        }
        ScheduleHeartbeat();
      }));
}

void StreamSubscription::StopFetching(std::function<void()> on_idle) {
  BeginStop(std::move(on_idle));
  WakeRead();
  CancelTimer(&claim_timer_);
  CancelTimer(&heartbeat_timer_);
  CancelTimer(&probe_timer_);
  if (finishing()) {
    // No pending list: what this process read is nobody else's, so the
    // drain handles it (queued entries and their retries), bounded by
    // drain_timeout; Abandon says what it leaves.
    Dispatch();
    MaybeIdle();
    return;
  }
  for (auto& [id, wait] : retries_) deps_.loop->Cancel(wait.timer);
  retries_.clear();  // they stay pending in the broker for another consumer
  parked_.clear();   // so do the retries the breaker parked
  ReleaseUnattempted();
  MaybeIdle();
}

bool StreamSubscription::in_flight() const {
  if (SubscriptionBase::in_flight()) return true;
  return finishing() && (!ready_.empty() || !batch_.empty() || !retries_.empty());
}

void StreamSubscription::WakeRead() {
  if (work_.of(InFlight::kFetch) == 0 || !group_.broker->capabilities().blocking_reads) return;
  // Not counted in flight: the drain waits for the read, which this ends
  // (it returns what it has, released below as any late fetch is).
  OffloadCall<bool>(
      *deps_.loop,
      [g = group_, b = backfill_]() -> Result<bool> {
        g.broker->WakeReads(g.stream, g.group, g.consumer);
        if (b) b->broker->WakeReads(b->stream, b->group, b->consumer);
        return true;
      },
      [](Result<bool>) {});
}

void StreamSubscription::ReleaseUnattempted() {
  if (!caps_.pending) return;  // nothing to give back: see StopFetching
  // Fetched but never attempted: given back with the delivery count they had
  // before this fetch, claimable at once, so the fetch is not an attempt.
  std::vector<std::pair<std::string, int64_t>> unattempted;
  for (const auto* q : {&ready_, &batch_}) {
    for (const Delivery& d : *q) {
      if (!d.entry.deleted) unattempted.emplace_back(d.entry.id, d.entry.delivery_count - 1);
    }
  }
  for (const auto* q : {&ready_, &batch_}) {
    for (const Delivery& d : *q) Forget(d.entry.id);
  }
  batch_.clear();
  ready_.clear();
  // Handed to a worker in a sequence but not started: not attempts either.
  for (const AttemptRunner::Item& item : runner_.CancelPending()) {
    unattempted.emplace_back(item.source_id, item.delivery_count - 1);
    dispatched_.erase(item.source_id);
    Forget(item.source_id);
  }
  if (unattempted.empty()) return;
  OffloadPastAbandon<int64_t>(
      InFlight::kRelease,
      [g = group_, b = backfill_, unattempted]() -> Result<int64_t> {
        std::vector<std::pair<std::string, int64_t>> primary, backfill;
        for (const auto& [key, count] : unattempted) {
          (IsBackfillKey(key) ? backfill : primary).emplace_back(RawId(key), count);
        }
        int64_t released = 0;
        if (!primary.empty()) {
          PROTEAN_ASSIGN_OR_RETURN(released,
                                   g.broker->Release(g.stream, g.group, g.consumer, primary));
        }
        if (!backfill.empty()) {
          PROTEAN_ASSIGN_OR_RETURN(int64_t lane,
                                   b->broker->Release(b->stream, b->group, b->consumer, backfill));
          released += lane;
        }
        return released;
      },
      [this](Result<int64_t> r) {
        if (!r.ok()) Error("release", r.status());  // claimable after claim_idle instead
        MaybeIdle();
      });
}

void StreamSubscription::Abandon() {
  if (!caps_.pending && !held_.empty()) {
    // Read by this process and not handled: no broker keeps them for
    // another consumer (Protean's list provider loses them the same way).
    LogRecord log;
    log.level = LogLevel::kError;
    log.at = deps_.loop->Now();
    log.instance = deps_.instance;
    log.event = "subscription.messages_lost";
    log.With("handler", handler_.name).With("stream", handler_.stream).With("consumer", consumer_);
    log.With("count", std::to_string(held_.size()));
    log.message = std::to_string(held_.size()) +
                  " message(s) read and not handled are lost: provider " +
                  std::string(group_.broker->provider()) + " keeps no pending entries";
    deps_.log(log);
  }
  BeginAbandon();
  CancelTimer(&claim_timer_);
  CancelTimer(&heartbeat_timer_);
  CancelTimer(&probe_timer_);
  for (auto& [id, wait] : retries_) deps_.loop->Cancel(wait.timer);
  retries_.clear();
  parked_.clear();
  dispatched_.clear();
  batch_.clear();
  ready_.clear();
}

void StreamSubscription::Flush(std::function<void()> done) {
  // Done once every ack sent so far has its reply: the drain's "flushed"
  // step means the broker has them.
  FlushAcks();
  if (work_.of(InFlight::kAck) == 0) {
    if (done) done();
  } else if (done) {
    ack_waiters_.push_back(std::move(done));
  }
}

// --- circuit breaker ---------------------------------------------------------

std::pair<int64_t, size_t> StreamSubscription::LaneLimits() const {
  switch (breaker_.state()) {
    case CircuitState::kOpen:
      return {0, 0};
    case CircuitState::kHalfOpen:
      return {probing_ ? 0 : 1, 1};
    case CircuitState::kClosed:
      break;
  }
  return {config_.concurrency, static_cast<size_t>(config_.messages_per_tick)};
}

void StreamSubscription::NoteOutcome(bool ok) {
  probing_ = false;  // a probe's outcome decides; it is the only attempt then
  const TimePoint now = deps_.loop->Now();
  if (std::optional<CircuitState> to = breaker_.Record(ok, now)) OnCircuitChanged(*to, now);
}

void StreamSubscription::OnCircuitChanged(CircuitState to, TimePoint at) {
  const CircuitState from = circuit_published_.exchange(to);
  MetricsRegistry& m = *deps_.metrics;
  for (CircuitState st : {from, to}) {
    MetricLabels l = labels_;
    l.emplace_back("state", std::string(CircuitStateName(st)));
    m.GetGauge("protean_subscription_circuit_state", l)->Set(st == to ? 1 : 0);
  }
  const std::string name(CircuitTransitionName(to));
  MetricLabels l = labels_;
  l.emplace_back("state", name);
  m.GetCounter("protean_subscription_circuit_breaker_state", l)->Inc();

  const std::string failures = std::to_string(breaker_.consecutive_failures());
  const std::string threshold = std::to_string(breaker_.threshold());
  LogRecord log;
  log.level = to == CircuitState::kOpen ? LogLevel::kWarning : LogLevel::kInfo;
  log.at = at;
  log.instance = deps_.instance;
  log.event = "subscription.circuit_breaker." + name;
  log.With("handler", handler_.name).With("stream", handler_.stream).With("consumer", consumer_);
  log.With("consecutive_handler_failures", failures).With("circuit_breaker_threshold", threshold);
  log.message = "circuit breaker " + name + " (" + std::string(CircuitStateName(from)) + " -> " +
                std::string(CircuitStateName(to)) + ", " + failures + " consecutive failures)";
  deps_.log(log);

  EngineEvent e = Event(EngineEventKind::kCircuitBreaker, "", "", 0);
  e.at = at;  // the reading the breaker used: due - at is exactly the reset window
  e.outcome = name;
  e.value = breaker_.consecutive_failures();
  e.detail = "threshold " + threshold;
  if (std::optional<TimePoint> probe = breaker_.probe_at()) e.due = *probe;
  Report(std::move(e));

  if (to == CircuitState::kOpen) {
    TakeBackUnstarted();
    ArmProbeTimer();
  } else if (to == CircuitState::kHalfOpen) {
    auto parked = std::move(parked_);
    parked_.clear();
    for (const auto& [id, failed_attempt] : parked) {
      retries_[id].failed_attempt = failed_attempt;  // Redeliver reads it
      Redeliver(id);
    }
  }
  if (to != CircuitState::kOpen) ScheduleTick(Duration{0});
}

void StreamSubscription::TakeBackUnstarted() {
  std::deque<Delivery> back;
  for (AttemptRunner::Item& item : runner_.CancelPending()) {
    auto it = dispatched_.find(item.source_id);
    PROTEAN_CHECK(it != dispatched_.end());
    back.push_back(Delivery{*it->second, false});
    dispatched_.erase(it);
  }
  for (Delivery& d : ready_) back.push_back(std::move(d));
  ready_ = std::move(back);
}

void StreamSubscription::ArmProbeTimer() {
  CancelTimer(&probe_timer_);
  const std::optional<TimePoint> at = breaker_.probe_at();
  PROTEAN_CHECK(at.has_value());
  probe_timer_ = deps_.loop->PostAt(*at, Guard([this] {
    probe_timer_ = 0;
    MaybeProbe();
  }));
}

void StreamSubscription::MaybeProbe() {
  // Attempts still running when it opened finish first: the probe is alone.
  if (!running() || lanes_ > 0 || runner_.busy()) return;
  const TimePoint now = deps_.loop->Now();
  if (breaker_.ProbeDue(now)) OnCircuitChanged(CircuitState::kHalfOpen, now);
}

// --- retention ----------------------------------------------------------------

void StreamSubscription::MaybeTrim() {
  if (!config_.retention_maxlen || trimming_ || !running()) return;
  if (!caps_.retention) return;  // logged at start
  trimming_ = true;
  const int64_t max_len = *config_.retention_maxlen;
  // Each lane is trimmed (Protean trims the lane a batch came from,
  // stream_subscription.py:362-380).
  using Trims = std::vector<std::pair<std::string, RetentionTrim>>;
  Offload<Trims>(
      InFlight::kTrim,
      [g = group_, b = backfill_, max_len]() -> Result<Trims> {
        Trims trims;
        PROTEAN_ASSIGN_OR_RETURN(RetentionTrim primary, g.broker->TrimRetained(g.stream, max_len));
        trims.emplace_back(g.stream, primary);
        if (b) {
          PROTEAN_ASSIGN_OR_RETURN(RetentionTrim lane, b->broker->TrimRetained(b->stream, max_len));
          trims.emplace_back(b->stream, lane);
        }
        return trims;
      },
      [this](Result<Trims> r) {
        trimming_ = false;
        if (!r.ok()) {
          Error("trim", r.status());  // the next batch tries again
        } else {
          Recovered("trim");
          for (const auto& [stream, trim] : *r) {
            if (trim.removed == 0) continue;
            EngineEvent e = Event(EngineEventKind::kStreamTrimmed, "", "", 0);
            e.stream = stream;
            e.value = trim.removed;
            e.detail = trim.spec.kind == TrimSpec::Kind::kMinId
                           ? "minid " + trim.spec.min_id
                           : "maxlen " + std::to_string(trim.spec.max_len);
            Report(std::move(e));
          }
        }
        MaybeIdle();
      });
}

}  // namespace protean
