#pragma once
// One GET /readyz against a `protean server`'s health port on 127.0.0.1,
// bounded by `timeout` (connect and read).

#include <chrono>
#include <string>

namespace protean::harness {

struct ReadinessAnswer {
  bool answered = false;  // false: refused, timed out or not HTTP
  int status = 0;         // HTTP status
  std::string outcome;    // the body's "status": ok | degraded | unavailable
};

ReadinessAnswer ProbeReadiness(int port, std::chrono::milliseconds timeout);

}  // namespace protean::harness
