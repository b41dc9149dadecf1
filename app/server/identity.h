#pragma once
// Who a `protean server` process is to its brokers, and the start-up
// cleanup of consumers that earlier processes of this host left behind.
//
// Identity. Every process is its own consumer of each stream subscription's
// group: the engine names consumers `<Handler>-<instance>`, and the instance
// is either generated, `{hostname}-{pid}-{6 hex}` (Protean's consumer name
// `{Handler}-{hostname}-{pid}-{6 hex}`, stream_subscription.py
// _generate_subscription_id), or the operator's `--instance NAME`, which the
// operator guarantees unique and stable (a restarted `w0` is the same
// consumer again and re-reads its own pending entries).
//
// Stale consumers. Protean's RedisBroker._cleanup_stale_consumers
// (adapters/broker/redis.py), called from StreamSubscription.initialize,
// deletes at start the consumers with this process's `{Handler}-{hostname}-
// {pid}` prefix and another hex suffix that hold no pending entries. The
// same rule here, widened to every pid of this host that no longer runs:
// a consumer `{Handler}-{hostname}-{pid}-{6 hex}` is removed when
//   - its pid is ours (an earlier engine of this process), or no process
//     with that pid runs (kill(pid, 0) fails with ESRCH, or /proc says it
//     is a zombie), and
//   - it owns no pending entries; Broker::DeleteConsumer checks that
//     atomically with the delete.
// A live peer is never removed (its pid runs), and a consumer holding pending
// entries is left for the claim (claim_idle_seconds): deleting it would drop
// its entries from the pending list, where nobody could claim them. Named
// instances and other hosts' consumers do not match and are never touched.
// Caveat: two hosts with the same hostname (containers given one name) look
// alike; the worst case is that a live peer's idle consumer with nothing
// pending is deleted, and its next read creates it again.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/broker.h"

namespace protean::cli {

struct ProcessIdentity {
  std::string host;      // gethostname()
  int64_t pid = 0;       // getpid()
  std::string instance;  // EngineOptions::instance: consumers are <Handler>-<instance>
  bool named = false;    // --instance NAME: an operator-given stable name
};

// {hostname}-{pid}-{6 hex}, the hex from std::random_device (not the seeded
// PRNG: the server promises no replay).
ProcessIdentity GeneratedIdentity();
// --instance NAME.
ProcessIdentity NamedIdentity(std::string name);

// "" when `name` is a usable --instance name (1..64 of [A-Za-z0-9._:-]),
// else what is wrong with it.
std::string InstanceNameError(std::string_view name);

// The pid of a generated consumer name `<handler>-<host>-<pid>-<6 hex>`;
// nullopt for any other name (named instances, other hosts, other handlers).
std::optional<int64_t> GeneratedConsumerPid(std::string_view consumer, std::string_view handler,
                                            std::string_view host);

// Whether a process with this pid runs: kill(pid, 0) finds it and
// /proc/<pid>/stat (when there is one) does not say zombie.
bool ProcessRuns(int64_t pid);

// One stream subscription's group, as the engine uses it.
struct ConsumerGroupRef {
  std::string handler;  // the consumers' prefix: <handler>-<host>-<pid>-<6 hex>
  std::string stream;
  std::string group = {};  // the group (SubscriberName: the fqn); empty: the handler name
  const std::string& group_name() const { return group.empty() ? handler : group; }
};

// Removes the stale consumers of `group` by the rule above; returns one line
// per consumer removed or left (with why), and per failed broker call (the
// cleanup never stops the start). `runs` answers ProcessRuns (tests inject it).
std::vector<std::string> RemoveStaleConsumers(
    Broker& broker, const ConsumerGroupRef& group, const ProcessIdentity& self,
    const std::function<bool(int64_t pid)>& runs = ProcessRuns);

}  // namespace protean::cli
