#include "adapters/memory/memory_pubsub_broker.h"

#include <algorithm>
#include <cstdio>

namespace protean {
namespace {

uint64_t SplitMix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A version-4-shaped UUID from (stream, index): stable across runs.
std::string ItemId(std::string_view stream, int64_t index) {
  uint64_t h = 0xCBF29CE484222325ULL;  // FNV-1a of the name
  for (unsigned char c : stream) h = (h ^ c) * 0x100000001B3ULL;
  const uint64_t a = SplitMix(h ^ static_cast<uint64_t>(index));
  const uint64_t b = SplitMix(a);
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFF),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3FFF)),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return text;
}

}  // namespace

Status MemoryPubSubBroker::CheckOpen() const {
  MutexLock lock(&mu_);
  if (closed_) return Status::Unavailable("redis_pubsub (memory) is closed");
  return Status::Ok();
}

Status MemoryPubSubBroker::Ping() { return CheckOpen(); }

void MemoryPubSubBroker::Close() {
  MutexLock lock(&mu_);
  closed_ = true;
}

Result<std::string> MemoryPubSubBroker::Publish(std::string_view stream, const Fields& fields) {
  MutexLock lock(&mu_);
  if (closed_) return Status::Unavailable("redis_pubsub (memory) is closed");
  auto it = lists_.find(stream);
  const int64_t index = it == lists_.end() ? 0 : static_cast<int64_t>(it->second.size());
  std::string id = ItemId(stream, index);
  Result<std::string> item = EncodeListItem(id, fields);
  if (!item.ok()) return item.status();
  if (it == lists_.end())
    it = lists_.emplace(std::string(stream), std::vector<std::string>()).first;
  it->second.push_back(std::move(*item));
  return id;
}

Status MemoryPubSubBroker::CreateGroup(std::string_view stream, std::string_view group,
                                       GroupStart start) {
  MutexLock lock(&mu_);
  if (closed_) return Status::Unavailable("redis_pubsub (memory) is closed");
  if (start == GroupStart::kEnd) {
    auto list = lists_.find(stream);
    const int64_t length = list == lists_.end() ? 0 : static_cast<int64_t>(list->second.size());
    positions_.emplace(ListPositionKey(stream, group), length);  // SET NX
  }
  return Status::Ok();
}

Result<std::vector<StreamEntry>> MemoryPubSubBroker::ReadNew(std::string_view stream,
                                                             std::string_view group,
                                                             std::string_view, int count,
                                                             Duration) {
  PROTEAN_RETURN_IF_ERROR(CheckCount(count));
  MutexLock lock(&mu_);
  if (closed_) return Status::Unavailable("redis_pubsub (memory) is closed");
  std::vector<StreamEntry> out;
  auto list = lists_.find(stream);
  if (list == lists_.end()) return out;
  int64_t& position = positions_[ListPositionKey(stream, group)];
  const auto length = static_cast<int64_t>(list->second.size());
  const int64_t first = std::max<int64_t>(position, 0);
  const int64_t last = std::min<int64_t>(first + count, length);  // exclusive
  for (int64_t i = first; i < last; ++i) {
    out.push_back(DecodeListItem(list->second[static_cast<size_t>(i)], i));
  }
  if (last > first) position = last;
  return out;
}

Result<std::vector<StreamEntry>> MemoryPubSubBroker::Range(std::string_view stream,
                                                           std::string_view start,
                                                           std::string_view end, int count) {
  PROTEAN_RETURN_IF_ERROR(CheckRange(start, end, count));
  MutexLock lock(&mu_);
  if (closed_) return Status::Unavailable("redis_pubsub (memory) is closed");
  std::vector<StreamEntry> out;
  auto list = lists_.find(stream);
  if (list == lists_.end()) return out;
  for (size_t i = 0; i < list->second.size() && out.size() < static_cast<size_t>(count); ++i) {
    out.push_back(DecodeListItem(list->second[i], static_cast<int64_t>(i)));
  }
  return out;
}

Result<int64_t> MemoryPubSubBroker::DeleteStream(std::string_view stream) {
  MutexLock lock(&mu_);
  if (closed_) return Status::Unavailable("redis_pubsub (memory) is closed");
  int64_t held = 0;
  if (auto list = lists_.find(stream); list != lists_.end()) {
    held = static_cast<int64_t>(list->second.size());
    lists_.erase(list);
  }
  const std::string prefix = ListPositionKey(stream, "");
  for (auto it = positions_.lower_bound(prefix);
       it != positions_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
    it = positions_.erase(it);
  }
  return held;
}

Result<int64_t> MemoryPubSubBroker::Length(std::string_view stream) {
  MutexLock lock(&mu_);
  if (closed_) return Status::Unavailable("redis_pubsub (memory) is closed");
  auto list = lists_.find(stream);
  return list == lists_.end() ? int64_t{0} : static_cast<int64_t>(list->second.size());
}

Result<std::optional<int64_t>> MemoryPubSubBroker::Lag(std::string_view stream,
                                                       std::string_view group) {
  MutexLock lock(&mu_);
  if (closed_) return Status::Unavailable("redis_pubsub (memory) is closed");
  auto list = lists_.find(stream);
  const int64_t length = list == lists_.end() ? 0 : static_cast<int64_t>(list->second.size());
  auto position = positions_.find(ListPositionKey(stream, group));
  const int64_t at = position == positions_.end() ? 0 : position->second;
  return std::optional<int64_t>(std::max<int64_t>(length - at, 0));
}

}  // namespace protean
