#pragma once
// Runs handler attempts off the loop, each with the handler's SLA budget.
//
// RunSequence() hands messages to the handler in order, in one hand-off: on
// one worker thread in real mode (Executor::OffloadSequence), one after the
// other in virtual time in the simulation, or on the loop itself for an
// inline_on_loop handler in real mode. Each item's `done` runs on the loop
// exactly once: with the handler's outcome, or with kTimeout when the item's
// budget (from its start) runs out first, unless the item is cancelled
// before it starts (CancelPending, Abandon). A completion that arrives after
// its timeout, or after Abandon(), is ignored: the late result of a handler
// never acks anything. When an item times out, the items of its sequence not
// started yet move to a new sequence (another worker), so one stuck handler
// holds up only itself. Several sequences may run at once (a subscription's
// `concurrency`); the caller bounds how many.
//
// A sequence run with Order::kHaltOnFailure is one whose items must be
// handled strictly in order (an event-store category): once an item does not
// succeed (fails, times out, or is skipped), no later item of it starts; they
// are dropped (their `done` never runs) before the failed item's `done`
// runs, so the caller sees the runner idle and decides what runs next. An
// item that finishes within its budget is settled by the worker itself
// before the next one starts, so a timeout can never be declared for an item
// whose successor already runs.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/handler.h"
#include "core/engine/internal/callback_scope.h"
#include "core/executor.h"

namespace protean {

// kExpired: a command whose deadline had passed; the handler was not called.
enum class AttemptOutcome { kOk, kFailed, kTimeout, kUndecodable, kExpired };
std::string_view AttemptOutcomeName(AttemptOutcome outcome);

struct AttemptResult {
  AttemptOutcome outcome = AttemptOutcome::kOk;
  std::string reason;   // the handler's message, "timeout after 2.000 s", ...
  TimePoint started{};  // when the handler was called (the engine's Clock)
  Duration elapsed{0};  // from `started` to the outcome
  // False when the handler was never called: the payload did not decode, or
  // the command had expired. Not an attempt then.
  bool attempted = true;
  std::shared_ptr<const Message> message;  // as the handler saw it (null if undecodable)
};

class AttemptRunner {
 public:
  using Done = std::function<void(const AttemptResult&)>;
  // An item carries its message, or a decoder that makes it on the worker
  // (so decoding and checksum checks stay off the loop); a message that does
  // not decode, or a command past its deadline, finishes without calling
  // the handler (AttemptResult::attempted false).
  struct Item {
    std::shared_ptr<const Message> message;
    std::function<Status(Message*)> decode;  // into a default-constructed Message
    Done done;
    // The caller's names for the item (a broker entry id and its delivery
    // count), handed back by CancelPending.
    std::string source_id;
    int64_t delivery_count = 0;
  };

  // What the handler's context offers besides the message; any may be null.
  struct Services {
    Database* database = nullptr;       // the "default" database
    Cache* cache = nullptr;             // the "default" cache
    Broker* broker = nullptr;           // where ctx.publisher's Publish goes ("default")
    EventStore* event_store = nullptr;  // where its Append goes
  };

  AttemptRunner(Executor& loop, const HandlerRegistration& handler, std::optional<Duration> budget,
                Services services, std::string consumer);
  ~AttemptRunner();

  enum class Order { kIndependent, kHaltOnFailure };

  // `all_done` (may be null) is posted to the loop once every item finished
  // (in this sequence or, after a timeout, in the one the rest moved to)
  // or was cancelled.
  void RunSequence(std::vector<Item> items, std::function<void()> all_done = nullptr,
                   Order order = Order::kIndependent);
  void Run(std::shared_ptr<const Message> message, Done done) {
    Item item;
    item.message = std::move(message);
    item.done = std::move(done);
    std::vector<Item> items;
    items.push_back(std::move(item));
    RunSequence(std::move(items));
  }
  // Items dispatched and not finished (started or waiting in a sequence).
  int running() const { return items_running_; }
  bool busy() const { return items_running_ > 0; }
  // Cancels every item not started yet; returns them in dispatch order
  // (done moved out: it never runs). With kAfterCurrent, each sequence's
  // current item (the first not finished) is kept, started or not.
  enum class CancelScope { kEveryPending, kAfterCurrent };
  std::vector<Item> CancelPending(CancelScope scope = CancelScope::kEveryPending);
  // Forget every running attempt: their completions and timeouts are ignored.
  void Abandon();

 private:
  struct Slot;
  struct Sequence;
  static bool Prepared(Slot& slot, TimePoint now);
  static Item TakeItem(Sequence& seq, size_t index);
  void Dispatch(uint64_t id);
  void OnItemDone(uint64_t id, size_t index);
  void ArmWatchdog(uint64_t id);
  void OnWatchdog(uint64_t id);
  void Finish(Sequence& seq, size_t index, AttemptResult result);
  // Moves the items from `from` on that have not started to a new sequence.
  void SplitAfter(uint64_t id, size_t from);
  // kHaltOnFailure: drops the items after `index` (none of them started).
  void DropAfter(Sequence& seq, size_t index);
  void MaybeRetire(uint64_t id);

  Executor& loop_;
  const HandlerRegistration& handler_;
  std::optional<Duration> budget_;
  Services services_;
  std::string consumer_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Sequence>> sequences_;
  int items_running_ = 0;
  internal::CallbackScope scope_;
};

}  // namespace protean
