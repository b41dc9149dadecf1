#pragma once

#include <stdexcept>

namespace protean::harness {

// A backend needed by test mode cannot be reached, or its address is not
// configured: the whole run stops (exit 2), never falling back to memory.
class ServiceUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace protean::harness
