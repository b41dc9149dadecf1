#pragma once
// MemoryPubSubBroker: the memory twin of RedisPubSubBroker, provider
// `redis_pubsub` in memory mode (the harness's simulation, memory-mode
// tests): Protean's list provider (core/list_broker.h has the contract) over
// a map of lists and positions, holding the very items Redis would
// (EncodeListItem). It passes tests/contract/list_broker_contract.h, the
// suite RedisPubSubBroker passes.
//
// Item identifiers are UUID-shaped and derived from the stream's name and
// the item's index (Redis gets random ones): a simulated run stays
// reproducible from its seed.
//
// Close() makes every later call fail with kUnavailable; the data stays.
// Thread-safety: every method may be called from any thread; one internal
// mutex serialises them.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/list_broker.h"
#include "core/mutex.h"

namespace protean {

class MemoryPubSubBroker final : public ListBroker {
 public:
  MemoryPubSubBroker() = default;
  MemoryPubSubBroker(const MemoryPubSubBroker&) = delete;
  MemoryPubSubBroker& operator=(const MemoryPubSubBroker&) = delete;

  Status Ping() override;
  void Close() override;

  Result<std::string> Publish(std::string_view stream, const Fields& fields) override;
  Status CreateGroup(std::string_view stream, std::string_view group, GroupStart start) override;
  Result<std::vector<StreamEntry>> ReadNew(std::string_view stream, std::string_view group,
                                           std::string_view consumer, int count,
                                           Duration block) override;
  Result<std::vector<StreamEntry>> Range(std::string_view stream, std::string_view start,
                                         std::string_view end, int count) override;
  Result<int64_t> DeleteStream(std::string_view stream) override;
  Result<int64_t> Length(std::string_view stream) override;
  Result<std::optional<int64_t>> Lag(std::string_view stream, std::string_view group) override;

 protected:
  Status CheckOpen() const override;

 private:
  mutable Mutex mu_;
  bool closed_ PROTEAN_GUARDED_BY(mu_) = false;
  std::map<std::string, std::vector<std::string>, std::less<>> lists_ PROTEAN_GUARDED_BY(mu_);
  // ListPositionKey(stream, group) -> the index of the group's next item.
  std::map<std::string, int64_t, std::less<>> positions_ PROTEAN_GUARDED_BY(mu_);
};

}  // namespace protean
