#include "app/server/health_http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace protean {

HealthHttpServer::HealthHttpServer(HealthProbes probes)
    : probes_(std::move(probes)), server_(std::make_unique<httplib::Server>()) {
  auto json = [](httplib::Response& res, const HealthResponse& r) {
    res.status = r.status;
    res.set_content(r.body, "application/json");
  };
  server_->Get("/healthz", [this, json](const httplib::Request&, httplib::Response& res) {
    json(res, probes_.live());
  });
  server_->Get("/livez", [this, json](const httplib::Request&, httplib::Response& res) {
    json(res, probes_.live());
  });
  server_->Get("/readyz", [this, json](const httplib::Request&, httplib::Response& res) {
    json(res, probes_.ready());
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(probes_.metrics ? probes_.metrics() : "", "text/plain; version=0.0.4");
  });
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_content(R"({"status":"error","error":"method not allowed"})", "application/json");
  };
  for (const char* path : {"/healthz", "/livez", "/readyz", "/metrics"}) {
    server_->Post(path, not_allowed);
    server_->Put(path, not_allowed);
    server_->Delete(path, not_allowed);
    server_->Patch(path, not_allowed);
  }
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) {
      res.set_content(R"({"status":"error","error":"not found"})", "application/json");
    }
  });
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
