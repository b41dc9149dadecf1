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

HealthHttpServer::HealthHttpServer(HealthProbes probes)
    : probes_(std::move(probes)), server_(std::make_unique<httplib::Server>()) {
  Route();
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) res.set_content(R"({"error":"Not Found"})", "application/json");
  });
  server_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Request-ID", RequestIdFor(req.get_header_value("X-Request-ID")));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server_->set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    if (probes_.log) probes_.log(RequestRecord(req, res));
  });
  server_->set_keep_alive_max_count(1);  // Connection: close, as Protean's server
}

bool HealthHttpServer::Allowed(const httplib::Request& req, httplib::Response& res,
                               const std::vector<std::string_view>& scopes, bool admin) {
  if (probes_.keys == nullptr) return true;
  const auto now = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  const cli::Authorization a =
      probes_.keys->Authorize(req.get_header_value("Authorization"),
                              req.get_header_value("X-API-Key"), scopes, admin, now);
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

void HealthHttpServer::Route() {
  auto json = [](httplib::Response& res, const HealthResponse& r) {
    res.status = r.status;
    res.set_content(r.body, "application/json");
  };
  // cpp-httplib answers HEAD from the GET handler, without the body.
  for (const char* path : {"/healthz", "/livez"}) {
    server_->Get(path, [this, json](const httplib::Request&, httplib::Response& res) {
      json(res, probes_.live());
    });
  }
  server_->Get("/readyz", [this, json](const httplib::Request&, httplib::Response& res) {
    json(res, probes_.ready());
  });
  server_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Allowed(req, res, {"read_models", "metrics"}, false)) return;
    res.set_content(probes_.metrics ? probes_.metrics() : "", "text/plain; version=0.0.4");
  });
  std::vector<const char*> paths = {"/healthz", "/livez", "/readyz", "/metrics"};
  if (probes_.drain) {
    paths.push_back("/drainz");
    server_->Get("/drainz", [this, json](const httplib::Request& req, httplib::Response& res) {
      if (Allowed(req, res, {"admin"}, true)) json(res, probes_.drain_status());
    });
    server_->Post("/drainz", [this, json](const httplib::Request& req, httplib::Response& res) {
      if (Allowed(req, res, {"admin"}, true)) json(res, probes_.drain());
    });
  }
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_content(R"({"error":"Method Not Allowed"})", "application/json");
  };
  for (const char* path : paths) {
    if (std::string_view(path) != "/drainz") server_->Post(path, not_allowed);
    server_->Put(path, not_allowed);
    server_->Delete(path, not_allowed);
    server_->Patch(path, not_allowed);
    server_->Options(path, not_allowed);
  }
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
