#include "core/engine/attempt_runner.h"

#include <cstdio>

#include "core/engine/internal/call_isolated.h"

namespace protean {

std::string_view AttemptOutcomeName(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::kOk:
      return "ok";
    case AttemptOutcome::kFailed:
      return "failed";
    case AttemptOutcome::kTimeout:
      return "timeout";
    case AttemptOutcome::kUndecodable:
      return "undecodable";
    case AttemptOutcome::kExpired:
      return "expired";
  }
  return "unknown";
}

// One item of a sequence. The worker claims it (pending -> running) before
// calling the handler; the loop cancels it (pending -> cancelled) when it
// is not to run. Whoever wins the exchange decides: an item the worker
// claimed runs to the end, one the loop cancelled never starts.
//
// In a kHaltOnFailure sequence two more exchanges settle a running item: the
// worker's (running -> settled, a success within its budget, before it
// starts the next item) and the watchdog's (running -> timed out). Whoever
// wins decides; a worker that loses starts nothing more.
struct AttemptRunner::Slot {
  enum State { kPending, kRunning, kCancelled, kSettled, kTimedOut };
  std::atomic<int> state{kPending};
  std::atomic<int64_t> started_us{0};  // set by the worker as it claims the item
  // Written by the worker before the item's done is posted, read by the loop after.
  std::shared_ptr<const Message> message;
  std::function<Status(Message*)> decode;
  std::string source_id;
  int64_t delivery_count = 0;
  HandlerContext ctx;
  HandlerResult result = HandlerResult::Ok();
  std::optional<AttemptResult> skipped;  // undecodable or expired: no handler call
  std::atomic<bool> prepared{false};     // `message` is written (the worker's release)
  TimePoint finished{};

  bool Claim() { return Exchange(kPending, kRunning); }
  bool Cancel() { return Exchange(kPending, kCancelled); }
  bool Settle() { return Exchange(kRunning, kSettled); }
  bool TimeOut() { return Exchange(kRunning, kTimedOut); }

 private:
  bool Exchange(int from, int to) { return state.compare_exchange_strong(from, to); }
};

struct AttemptRunner::Sequence {
  std::vector<std::shared_ptr<Slot>> slots;
  std::vector<Done> dones;  // empty once the item finished or was cancelled
  std::vector<bool> finished;
  size_t current = 0;         // the first item not finished (or cancelled)
  TimePoint current_since{};  // when `current` was last known to start (or be due)
  TimerId watchdog = 0;
  std::function<void()> all_done;
  int open = 0;  // items neither finished nor cancelled
  Order order = Order::kIndependent;
  // kHaltOnFailure: set by whoever stops the sequence (the worker after an
  // item that did not settle, the loop after a timeout); read by the worker
  // before each item.
  std::shared_ptr<std::atomic<bool>> halted;
};

AttemptRunner::AttemptRunner(Executor& loop, const HandlerRegistration& handler,
                             std::optional<Duration> budget, Services services,
                             std::string consumer)
    : loop_(loop),
      handler_(handler),
      budget_(budget),
      services_(services),
      consumer_(std::move(consumer)) {}

AttemptRunner::~AttemptRunner() { Abandon(); }

// Decodes the slot's message if it came as a decoder, and settles it without
// the handler when it does not decode or has expired. On the worker.
bool AttemptRunner::Prepared(Slot& slot, TimePoint now) {
  if (!slot.message) {
    auto decoded = std::make_shared<Message>();  // decoded in place: no copy of it after
    if (Status st = slot.decode(decoded.get()); !st.ok()) {
      AttemptResult r;
      r.outcome = AttemptOutcome::kUndecodable;
      r.reason = "undecodable: " + st.message();
      r.attempted = false;
      slot.skipped = std::move(r);
      return false;
    }
    slot.message = std::move(decoded);
  }
  slot.prepared.store(true, std::memory_order_release);
  if (IsExpired(slot.message->metadata, now)) {
    AttemptResult r;
    r.outcome = AttemptOutcome::kExpired;
    r.reason = "expired: deadline passed";
    r.attempted = false;
    slot.skipped = std::move(r);
    return false;
  }
  return true;
}

namespace {

// The clock's resolution: the watchdog is due this long after the budget.
constexpr Duration kTick{1};

AttemptResult ToAttemptResult(const HandlerResult& r) {
  AttemptResult out;
  switch (r.kind()) {
    case HandlerResult::Kind::kOk:
      out.outcome = AttemptOutcome::kOk;
      break;
    case HandlerResult::Kind::kUndecodable: {
      const bool prefixed = r.reason().rfind("undecodable", 0) == 0;
      out.outcome = AttemptOutcome::kUndecodable;
      out.reason = prefixed ? r.reason() : "undecodable: " + r.reason();
      break;
    }
    case HandlerResult::Kind::kRetryable:
      out.outcome = AttemptOutcome::kFailed;
      out.reason = r.reason();
      break;
  }
  return out;
}

}  // namespace

void AttemptRunner::RunSequence(std::vector<Item> items, std::function<void()> all_done,
                                Order order) {
  if (items.empty()) {
    if (all_done) all_done();
    return;
  }
  const uint64_t id = next_id_++;
  auto seq = std::make_unique<Sequence>();
  seq->all_done = std::move(all_done);
  seq->order = order;
  if (order == Order::kHaltOnFailure) seq->halted = std::make_shared<std::atomic<bool>>(false);
  for (Item& item : items) {
    auto slot = std::make_shared<Slot>();
    slot->message = std::move(item.message);
    slot->decode = std::move(item.decode);
    slot->source_id = std::move(item.source_id);
    slot->delivery_count = item.delivery_count;
    slot->ctx.handler = handler_.name;
    slot->ctx.consumer = consumer_;
    slot->ctx.database = services_.database;
    slot->ctx.cache = services_.cache;
    seq->slots.push_back(std::move(slot));
    seq->dones.push_back(std::move(item.done));
    seq->finished.push_back(false);
  }
  seq->open = static_cast<int>(seq->slots.size());
  seq->current_since = loop_.Now();
  items_running_ += seq->open;
  sequences_.emplace(id, std::move(seq));
  Dispatch(id);
}

void AttemptRunner::Dispatch(uint64_t id) {
  Sequence& seq = *sequences_.at(id);
  const Clock& clock = loop_.clock();
  const HandlerFn* fn = &handler_.fn;
  const Services* services = &services_;
  const std::optional<Duration> budget = budget_;
  std::shared_ptr<std::atomic<bool>> halted = seq.halted;
  Executor::Sequence work;
  for (size_t i = seq.current; i < seq.slots.size(); ++i) {
    std::shared_ptr<Slot> slot = seq.slots[i];
    auto call = [slot, fn, services, &clock, budget, halted]() -> Duration {
      // Halted: left pending, the loop drops it.
      if (halted && halted->load(std::memory_order_acquire)) return Duration{0};
      if (!slot->Claim()) {  // cancelled: moved elsewhere or dropped
        if (halted) halted->store(true, std::memory_order_release);  // and so is the rest
        return Duration{0};
      }
      const TimePoint now = clock.Now();
      slot->started_us.store(ToMicros(now));
      slot->ctx.now = now;
      if (!Prepared(*slot, now)) {
        slot->finished = now;
        if (halted) halted->store(true, std::memory_order_release);
        return Duration{0};
      }
      slot->ctx.publisher = HandlerPublisher(slot->ctx.handler, slot->message.get(), now);
      slot->result = internal::CallIsolated<HandlerResult>(
          "handler", [&] { return (*fn)(*slot->message, slot->ctx); });
      if (slot->result.ok() && !slot->ctx.publisher.queued().empty()) {
        // Sent before the message is acked; a failed send retries the attempt.
        Status sent = slot->ctx.publisher.Send(services->broker, services->event_store);
        if (!sent.ok()) slot->result = HandlerResult::Retryable(sent.ToString());
      }
      slot->finished = clock.Now() + slot->ctx.cost;
      if (halted) {
        // What the work charged is still the executor's to take (and wait).
        const Duration charged = TakeChargedWorkCost();
        ChargeWorkCost(charged);
        const bool in_time = !budget || slot->finished + charged - now <= *budget;
        if (!slot->result.ok() || !in_time || !slot->Settle()) {
          halted->store(true, std::memory_order_release);
        }
      }
      return slot->ctx.cost;
    };
    work.emplace_back(std::move(call), scope_.Guard([this, id, i] { OnItemDone(id, i); }));
  }
  if (handler_.inline_on_loop && !loop_.simulated()) {
    // On the loop thread: no worker hand-off; each completion posted as a
    // worker's would be (after the declared cost).
    for (auto& [call, done] : work) {
      const Duration cost = call();
      if (cost > Duration::zero()) {
        loop_.PostAfter(cost, std::move(done));
      } else {
        loop_.Post(std::move(done));
      }
    }
  } else {
    loop_.OffloadSequence(std::move(work));
  }
  ArmWatchdog(id);
}

void AttemptRunner::ArmWatchdog(uint64_t id) {
  if (!budget_) return;
  auto it = sequences_.find(id);
  if (it == sequences_.end()) return;
  Sequence& seq = *it->second;
  if (seq.watchdog != 0) loop_.Cancel(seq.watchdog);
  seq.watchdog = 0;
  if (seq.current >= seq.slots.size()) return;
  const int64_t started = seq.slots[seq.current]->started_us.load();
  const TimePoint since = started != 0 ? FromMicros(started) : seq.current_since;
  // Only *past* the budget is a timeout: the watchdog is due one tick after
  // it, so a handler that takes exactly its budget completes first whatever
  // the order of same-instant events (the simulation reorders them).
  seq.watchdog =
      loop_.PostAt(since + *budget_ + kTick, scope_.Guard([this, id] { OnWatchdog(id); }));
}

void AttemptRunner::OnWatchdog(uint64_t id) {
  auto it = sequences_.find(id);
  if (it == sequences_.end()) return;
  Sequence& seq = *it->second;
  seq.watchdog = 0;
  if (seq.current >= seq.slots.size()) return;
  const size_t index = seq.current;
  Slot& slot = *seq.slots[index];
  const int64_t started = slot.started_us.load();
  if (started != 0 && FromMicros(started) + *budget_ >= loop_.Now()) {
    ArmWatchdog(id);  // it started later than assumed: not due yet
    return;
  }
  if (slot.Cancel()) {
    // Never started (its worker is late): not an attempt; it moves with the
    // rest to a new sequence.
    SplitAfter(id, index);
    return;
  }
  if (seq.order == Order::kHaltOnFailure && !slot.TimeOut()) {
    return;  // the worker settled it in time: its completion is on the way
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "timeout after %.3f s", ToSecondsF(*budget_));
  AttemptResult r;
  r.outcome = AttemptOutcome::kTimeout;
  r.reason = buf;
  r.started = started != 0 ? FromMicros(started) : seq.current_since;
  // The worker may still be decoding (then there is no message to give).
  if (slot.prepared.load(std::memory_order_acquire)) r.message = slot.message;
  if (seq.order == Order::kHaltOnFailure) {
    seq.halted->store(true, std::memory_order_release);
    DropAfter(seq, index);
  } else {
    SplitAfter(id, index + 1);
  }
  Finish(*sequences_.at(id), index, std::move(r));
  MaybeRetire(id);
}

AttemptRunner::Item AttemptRunner::TakeItem(Sequence& seq, size_t i) {
  Slot& slot = *seq.slots[i];
  return Item{slot.message, std::move(slot.decode), std::move(seq.dones[i]),
              std::move(slot.source_id), slot.delivery_count};
}

void AttemptRunner::SplitAfter(uint64_t id, size_t from) {
  Sequence& seq = *sequences_.at(id);
  std::vector<Item> moved;
  for (size_t i = from; i < seq.slots.size(); ++i) {
    if (seq.finished[i]) continue;
    // Only the loop cancels: a cancelled open item is one it just cancelled.
    const bool cancelled = seq.slots[i]->state.load() == Slot::kCancelled || seq.slots[i]->Cancel();
    if (!cancelled) continue;
    moved.push_back(TakeItem(seq, i));
    seq.finished[i] = true;
    --seq.open;
    --items_running_;
  }
  while (seq.current < seq.slots.size() && seq.finished[seq.current]) ++seq.current;
  // The new sequence is the same lane going on: it takes over `all_done`, so
  // the caller counts one lane, not two (a subscription with concurrency N
  // never runs N + 1 live attempts after a timeout).
  if (!moved.empty()) {
    std::function<void()> all_done = std::move(seq.all_done);
    seq.all_done = nullptr;
    RunSequence(std::move(moved), std::move(all_done), seq.order);
  }
  MaybeRetire(id);
}

void AttemptRunner::DropAfter(Sequence& seq, size_t index) {
  for (size_t i = index + 1; i < seq.slots.size(); ++i) {
    if (seq.finished[i]) continue;
    // None started: the worker starts an item only once the one before it
    // settled, and this one's did not.
    PROTEAN_CHECK(seq.slots[i]->state.load() == Slot::kCancelled || seq.slots[i]->Cancel());
    seq.dones[i] = nullptr;
    seq.finished[i] = true;
    --seq.open;
    --items_running_;
  }
}

void AttemptRunner::OnItemDone(uint64_t id, size_t index) {
  auto it = sequences_.find(id);
  if (it == sequences_.end()) return;
  Sequence& seq = *it->second;
  Slot& slot = *seq.slots[index];
  if (seq.finished[index] || slot.state.load() == Slot::kCancelled) return;  // late or moved
  // An item that did not settle (failed, skipped, past its budget) halted
  // the worker: the rest is dropped before the caller hears of it.
  if (seq.order == Order::kHaltOnFailure && slot.state.load() != Slot::kSettled) {
    DropAfter(seq, index);
  }
  AttemptResult r = slot.skipped ? *slot.skipped : ToAttemptResult(slot.result);
  r.started = FromMicros(slot.started_us.load());
  r.message = slot.message;
  // The item's end (its declared cost included) is when the next one starts.
  seq.current_since = slot.finished;
  if (seq.watchdog != 0) loop_.Cancel(seq.watchdog);  // the finished item's
  seq.watchdog = 0;
  Finish(seq, index, std::move(r));
  // The next item's watchdog is armed once that item has had its turn (the
  // executor starts it when this completion returns): as for the first item,
  // a handler that takes exactly its budget completes before it fires.
  // Without a budget there is none to arm.
  if (budget_) loop_.Post(scope_.Guard([this, id] { ArmWatchdog(id); }));
  MaybeRetire(id);
}

void AttemptRunner::Finish(Sequence& seq, size_t index, AttemptResult result) {
  seq.finished[index] = true;
  --seq.open;
  --items_running_;
  PROTEAN_CHECK(seq.open >= 0 && items_running_ >= 0);
  while (seq.current < seq.slots.size() && seq.finished[seq.current]) ++seq.current;
  result.elapsed = loop_.Now() - result.started;
  Done done = std::move(seq.dones[index]);
  done(result);
}

void AttemptRunner::MaybeRetire(uint64_t id) {
  auto it = sequences_.find(id);
  if (it == sequences_.end() || it->second->open > 0) return;
  std::unique_ptr<Sequence> seq = std::move(it->second);
  sequences_.erase(it);
  if (seq->watchdog != 0) loop_.Cancel(seq->watchdog);
  // Posted, never called from inside the call that finished or cancelled the
  // last item: the caller's own bookkeeping comes first.
  if (seq->all_done) loop_.Post(std::move(seq->all_done));
}

std::vector<AttemptRunner::Item> AttemptRunner::CancelPending(CancelScope scope) {
  std::vector<Item> cancelled;
  std::vector<uint64_t> ids;
  for (auto& [id, seq] : sequences_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = sequences_.find(id);
    if (it == sequences_.end()) continue;
    Sequence& seq = *it->second;
    const size_t from = seq.current + (scope == CancelScope::kAfterCurrent ? 1 : 0);
    for (size_t i = from; i < seq.slots.size(); ++i) {
      if (seq.finished[i] || !seq.slots[i]->Cancel()) continue;
      cancelled.push_back(TakeItem(seq, i));
      seq.finished[i] = true;
      --seq.open;
      --items_running_;
    }
    while (seq.current < seq.slots.size() && seq.finished[seq.current]) ++seq.current;
    MaybeRetire(id);
  }
  return cancelled;
}

void AttemptRunner::Abandon() {
  for (auto& [id, seq] : sequences_) {
    if (seq->watchdog != 0) loop_.Cancel(seq->watchdog);
    for (auto& slot : seq->slots) slot->Cancel();
  }
  sequences_.clear();
  items_running_ = 0;
  scope_.Invalidate();
}

}  // namespace protean
