#pragma once
// The embedded health server of `protean server` ([server.health]): a small
// HTTP/1.1 server on its own thread answering GET (and HEAD, the same
// without a body) /healthz, /livez, /readyz (JSON bodies from the engine's
// probes), /metrics (Prometheus text) and /drainz (drain progress), and
// POST /drainz (starts the one-way drain). Other methods on these paths get
// 405 {"error":"Method Not Allowed"}, unknown paths 404 {"error":"Not Found"}
// (Protean's bodies). It keeps answering while the engine drains (readiness
// then says 503 "unavailable"), unlike Python Protean, whose probes are
// refused during the drain.
//
// With API keys (api_keys.h): /metrics needs scope read_models or metrics,
// /drainz scope admin (and is rate-limited per key); 401 without a valid
// key, 403 without the scope, 429 with Retry-After. The probes stay open.
//
// Every response carries X-Request-ID: the request's own when it is a sane
// token (1..128 of [A-Za-z0-9._:-]), else a generated 32-hex id; the same
// id is in the request's log record ("http.request": method, path, status,
// request_id; DEBUG for a successful GET, INFO otherwise).
//
// The probe callbacks run on the server's threads; they must be thread-safe
// (Engine::Live/Ready and MetricsRegistry::RenderPrometheus are).

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/engine/engine.h"
#include "core/engine/log.h"
#include "core/status.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace protean::cli {
class ApiKeyAuth;
}

namespace protean {

struct HealthProbes {
  std::function<HealthResponse()> live;
  std::function<HealthResponse()> ready;
  std::function<std::string()> metrics;
  LogSink log;                                   // http.request records; may be null
  std::function<HealthResponse()> drain;         // POST /drainz; null: no /drainz
  std::function<HealthResponse()> drain_status;  // GET /drainz
  cli::ApiKeyAuth* keys = nullptr;               // null or none configured: routes open
};

// Mounts the routes above on any cpp-httplib server: an application with its
// own httplib::Server serves the probes there (Protean's FastAPI health
// router, in C++; examples/embedded_probes/embedded_probes.cc). With `hooks`
// it also installs the X-Request-ID pre-routing handler, the request log and
// the 404 body (each replaces the server's own). `probes` must outlive the
// server's last request.
void MountHealthRoutes(httplib::Server& server, const HealthProbes& probes, bool hooks = true);

// The X-Request-ID of a response: `given` when it is a sane token, else a
// new random id.
std::string RequestIdFor(const std::string& given);

class HealthHttpServer {
 public:
  explicit HealthHttpServer(HealthProbes probes);
  ~HealthHttpServer();
  HealthHttpServer(const HealthHttpServer&) = delete;
  HealthHttpServer& operator=(const HealthHttpServer&) = delete;

  // Ports tried with port_auto_increment (Protean's: 8080..8179).
  static constexpr int kPortAttemptsMax = 100;

  // Binds host:port exclusively (no SO_REUSEPORT: a port another process
  // listens on is taken, never shared) and starts serving. With
  // `port_auto_increment` a taken port moves on to the next, up to
  // kPortAttemptsMax ports. kUnavailable names the address and why (in use,
  // or the bind error) when nothing could be bound. port() is the port used.
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
