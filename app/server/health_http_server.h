#pragma once
// The embedded health server of `protean server` ([server.health]): a small
// HTTP/1.1 server on its own thread answering GET /healthz, /livez, /readyz
// (JSON bodies from the engine's probes) and /metrics (Prometheus text).
// Other methods get 405, unknown paths 404. It keeps answering while the
// engine drains (readiness then says 503 "unavailable"), unlike Python
// Protean, whose probes are refused during the drain.
//
// The probe callbacks run on the server's threads; they must be thread-safe
// (Engine::Live/Ready and MetricsRegistry::RenderPrometheus are).

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/engine/engine.h"
#include "core/status.h"

namespace httplib {
class Server;
}

namespace protean {

struct HealthProbes {
  std::function<HealthResponse()> live;
  std::function<HealthResponse()> ready;
  std::function<std::string()> metrics;
};

class HealthHttpServer {
 public:
  explicit HealthHttpServer(HealthProbes probes);
  ~HealthHttpServer();
  HealthHttpServer(const HealthHttpServer&) = delete;
  HealthHttpServer& operator=(const HealthHttpServer&) = delete;

  // Binds host:port (with `port_auto_increment`, the first free port of
  // port..port+99) and starts serving. kUnavailable names the address when
  // nothing could be bound.
  Status Start(const std::string& host, int port, bool port_auto_increment);
  void Stop();
  int port() const { return port_; }

 private:
  HealthProbes probes_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace protean
