#pragma once
// CallIsolated: runs user code (a handler, an alert callback, an adapter's
// Close) so that an exception it throws becomes an error result instead of
// escaping into the engine. `R` must be constructible from a Status (Status
// itself, HandlerResult).

#include <exception>
#include <string>
#include <string_view>

#include "core/status.h"

namespace protean::internal {

template <typename R, typename Fn>
R CallIsolated(std::string_view what, Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return R(Status::Internal(std::string(what) + " threw: " + e.what()));
  } catch (...) {
    return R(Status::Internal(std::string(what) + " threw a non-standard exception"));
  }
}

}  // namespace protean::internal
