#include "app/server/health_http_server.h"

#include <httplib.h>

#include <chrono>

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
  const int last = port_auto_increment ? port + 99 : port;
  for (int p = port; p <= last && p <= 65535; ++p) {
    if (server_->bind_to_port(host.c_str(), p)) {
      port_ = p;
      thread_ = std::thread([this] { server_->listen_after_bind(); });
      // Bound already: connections queue in the backlog until the thread accepts.
      return Status::Ok();
    }
  }
  return Status::Unavailable("health server: cannot bind " + host + ":" + std::to_string(port) +
                             (port_auto_increment ? ".." + std::to_string(last) : ""));
}

void HealthHttpServer::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

}  // namespace protean
