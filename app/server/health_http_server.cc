#include "app/server/health_http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>

#include "app/server/api_keys.h"

namespace protean {
namespace {

constexpr size_t kRequestIdLengthMax = 128;

bool SaneRequestId(const std::string& id) {
  if (id.empty() || id.size() > kRequestIdLengthMax) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
           c == '-';
  });
}

LogRecord RequestRecord(const httplib::Request& req, const httplib::Response& res) {
  LogRecord r;
  const bool quiet = req.method == "GET" && res.status >= 200 && res.status < 300;
  r.level = quiet ? LogLevel::kDebug : LogLevel::kInfo;
  r.at = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  r.event = "http.request";
  r.With("method", req.method)
      .With("path", req.path)
      .With("status", std::to_string(res.status))
      .With("request_id", res.get_header_value("X-Request-ID"))
      .With("remote_addr", req.remote_addr);
  return r;
}

}  // namespace

std::string RequestIdFor(const std::string& given) {
  if (SaneRequestId(given)) return given;
  thread_local std::mt19937_64 prng{std::random_device{}()};
  char id[33];
  std::snprintf(id, sizeof id, "%016llx%016llx", static_cast<unsigned long long>(prng()),
                static_cast<unsigned long long>(prng()));
  return id;
}

namespace {

// Answers 401/403/429 and returns false unless the request may go on.
bool Allowed(const HealthProbes& probes, const httplib::Request& req, httplib::Response& res,
             const std::vector<std::string_view>& scopes, bool admin) {
  if (probes.keys == nullptr) return true;
  const auto now = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  const cli::Authorization a = probes.keys->Authorize(
      req.get_header_value("Authorization"), req.get_header_value("X-API-Key"), scopes, admin, now);
  if (!a.tenant.empty()) res.set_header("X-Tenant", a.tenant);
  if (a.status == 200) return true;
  res.status = a.status;
  if (a.status == 401) {
    res.set_header("WWW-Authenticate", "Bearer");
    res.set_content(R"({"error":"Unauthorized"})", "application/json");
  } else if (a.status == 403) {
    res.set_content(R"({"error":"Forbidden"})", "application/json");
  } else {
    res.set_header("Retry-After", std::to_string(a.retry_after_s));
    res.set_content(R"({"error":"Too Many Requests"})", "application/json");
  }
  return false;
}

void Json(httplib::Response& res, const HealthResponse& r) {
  res.status = r.status;
  res.set_content(r.body, "application/json");
}

void InstallHooks(httplib::Server& server, const HealthProbes* p) {
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) res.set_content(R"({"error":"Not Found"})", "application/json");
  });
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Request-ID", RequestIdFor(req.get_header_value("X-Request-ID")));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_logger([p](const httplib::Request& req, const httplib::Response& res) {
    if (p->log) p->log(RequestRecord(req, res));
  });
}

}  // namespace

void MountHealthRoutes(httplib::Server& server, const HealthProbes& probes, bool hooks) {
  const HealthProbes* p = &probes;
  // cpp-httplib answers HEAD from the GET handler, without the body.
  for (const char* path : {"/healthz", "/livez"}) {
    server.Get(path,
               [p](const httplib::Request&, httplib::Response& res) { Json(res, p->live()); });
  }
  server.Get("/readyz",
             [p](const httplib::Request&, httplib::Response& res) { Json(res, p->ready()); });
  server.Get("/metrics", [p](const httplib::Request& req, httplib::Response& res) {
    if (!Allowed(*p, req, res, {"read_models", "metrics"}, false)) return;
    res.set_content(p->metrics ? p->metrics() : "", "text/plain; version=0.0.4");
  });
  std::vector<const char*> paths = {"/healthz", "/livez", "/readyz", "/metrics"};
  if (p->drain) {
    paths.push_back("/drainz");
    server.Get("/drainz", [p](const httplib::Request& req, httplib::Response& res) {
      if (Allowed(*p, req, res, {"admin"}, true)) Json(res, p->drain_status());
    });
    server.Post("/drainz", [p](const httplib::Request& req, httplib::Response& res) {
      if (Allowed(*p, req, res, {"admin"}, true)) Json(res, p->drain());
    });
  }
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_content(R"({"error":"Method Not Allowed"})", "application/json");
  };
  for (const char* path : paths) {
    if (std::string_view(path) != "/drainz") server.Post(path, not_allowed);
    server.Put(path, not_allowed);
    server.Delete(path, not_allowed);
    server.Patch(path, not_allowed);
    server.Options(path, not_allowed);
  }
  if (hooks) InstallHooks(server, p);
}

HealthHttpServer::HealthHttpServer(HealthProbes probes)
    : probes_(std::move(probes)), server_(std::make_unique<httplib::Server>()) {
  MountHealthRoutes(*server_, probes_);
  server_->set_keep_alive_max_count(1);  // Connection: close, as Protean's server
}

HealthHttpServer::~HealthHttpServer() { Stop(); }

Status HealthHttpServer::Start(const std::string& host, int port, bool port_auto_increment) {
  // cpp-httplib's default socket options add SO_REUSEPORT, with which a second
  // process binds the same port silently and the kernel splits the probes
  // between the two. SO_REUSEADDR alone only reuses a port in TIME_WAIT.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  const int last = std::min(port_auto_increment ? port + kPortAttemptsMax - 1 : port, 65535);
  int last_errno = 0;
  for (int p = port; p <= last; ++p) {
    errno = 0;
    if (server_->bind_to_port(host.c_str(), p)) {
      port_ = p;
      thread_ = std::thread([this] { server_->listen_after_bind(); });
      // Bound already: connections queue in the backlog until the thread accepts.
      return Status::Ok();
    }
    last_errno = errno;
    if (last_errno != EADDRINUSE) break;  // another port would not help
  }
  const std::string address = host + ":" + std::to_string(port);
  if (last_errno == EADDRINUSE && port_auto_increment) {
    return Status::Unavailable("health server: no free port in " + address + ".." +
                               std::to_string(last) + " (all in use)");
  }
  if (last_errno == EADDRINUSE) {
    return Status::Unavailable("health server: " + address +
                               " is in use by another process; set [server.health] "
                               "port_auto_increment = true or choose another port");
  }
  return Status::Unavailable("health server: cannot bind " + address +
                             (last_errno != 0 ? ": " + std::string(std::strerror(last_errno))
                                              : std::string(" (bad host?)")));
}

void HealthHttpServer::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

}  // namespace protean
