#pragma once
// OffloadCall: runs a blocking adapter call off the loop and hands its Result
// to a loop callback. The call must not touch engine state (in real mode it
// runs on a worker thread); it captures what it needs by value.

#include <memory>
#include <optional>
#include <utility>

#include "core/executor.h"
#include "core/status.h"

namespace protean {

template <typename T, typename Call, typename Done>
void OffloadCall(Executor& loop, Call call, Done done) {
  auto slot = std::make_shared<std::optional<Result<T>>>();
  loop.Offload(
      [slot, call = std::move(call)]() mutable -> Duration {
        slot->emplace(call());
        return Duration{0};
      },
      [slot, done = std::move(done)]() mutable { done(std::move(**slot)); });
}

template <typename Call, typename Done>
void OffloadStatus(Executor& loop, Call call, Done done) {
  auto slot = std::make_shared<Status>();
  loop.Offload(
      [slot, call = std::move(call)]() mutable -> Duration {
        *slot = call();
        return Duration{0};
      },
      [slot, done = std::move(done)]() mutable { done(std::move(*slot)); });
}

}  // namespace protean
