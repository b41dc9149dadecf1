#include "harness/proxy/control_server.h"

#include <sys/socket.h>

#include <httplib.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "harness/proxy/internal/socket.h"
#include "harness/proxy/internal/toxic_json.h"

namespace protean::harness::proxy {
namespace {

using nlohmann::json;

constexpr int kStartWaitsMax = 5000;  // of 1 ms
constexpr const char* kToxicPath = R"(/proxies/([^/]+)/toxics/([^/]+))";
constexpr const char* kToxicsPath = R"(/proxies/([^/]+)/toxics)";
constexpr const char* kProxyPath = R"(/proxies/([^/]+))";

void Reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void Error(httplib::Response& res, int status, const std::string& message) {
  Reply(res, status, {{"error", message}, {"status", status}});
}

int HttpStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kInvalidArgument:
      return 400;
    default:
      return 500;
  }
}

json ToxicsJson(const FaultProxy& p) {
  json list = json::array();
  for (const Toxic& t : p.toxics()) list.push_back(internal::ToxicToJson(t));
  return list;
}

json ProxyJson(const FaultProxy& p) {
  const ProxyStats s = p.stats();
  return {{"name", p.name()},
          {"listen", p.listen_address()},
          {"upstream", p.upstream()},
          {"enabled", p.enabled()},
          {"toxics", ToxicsJson(p)},
          {"stats",
           {{"connections_accepted", s.connections_accepted},
            {"connections_active", s.connections_active},
            {"connections_refused", s.connections_refused},
            {"bytes_upstream", s.bytes_upstream},
            {"bytes_downstream", s.bytes_downstream},
            {"bytes_buffered", s.bytes_buffered}}}};
}

// The request body as JSON, or an error reply (false).
bool Body(const httplib::Request& req, httplib::Response& res, json* out) {
  try {
    *out = json::parse(req.body.empty() ? "{}" : req.body);
  } catch (const json::parse_error& e) {
    Error(res, 400, std::string("bad JSON: ") + e.what());
    return false;
  }
  if (!out->is_object()) {
    Error(res, 400, "the body must be a JSON object");
    return false;
  }
  return true;
}

std::optional<Toxic> FindToxic(const FaultProxy& p, const std::string& name) {
  for (const Toxic& t : p.toxics()) {
    if (t.name == name) return t;
  }
  return std::nullopt;
}

}  // namespace

ControlServer::ControlServer(std::vector<FaultProxy*> proxies)
    : proxies_(std::move(proxies)), server_(std::make_unique<httplib::Server>()) {
  // Exclusive bind: cpp-httplib's default sets SO_REUSEPORT, which would let
  // a second control server share the port.
  server_->set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  Routes();
}

ControlServer::~ControlServer() { Stop(); }

Status ControlServer::Start(const std::string& listen) {
  internal::HostPort address;
  PROTEAN_RETURN_IF_ERROR(internal::ParseHostPort(listen, &address));
  const int port = address.port == 0
                       ? server_->bind_to_any_port(address.host)
                       : (server_->bind_to_port(address.host, address.port) ? address.port : -1);
  if (port <= 0) return Status::Unavailable("control api: cannot bind " + listen);
  port_ = port;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    serving_done_ = true;
  });
  // cpp-httplib's stop() does nothing before the server runs, so a Stop()
  // right after Start() would never end: wait (bounded) until it runs.
  for (int i = 0; i < kStartWaitsMax && !server_->is_running() && !serving_done_; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Status::Ok();
}

void ControlServer::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

FaultProxy* ControlServer::Find(const std::string& name) const {
  for (FaultProxy* p : proxies_) {
    if (p->name() == name) return p;
  }
  return nullptr;
}

void ControlServer::Routes() {
  using Req = httplib::Request;
  using Res = httplib::Response;
  server_->Get("/version", [](const Req&, Res& res) {
    Reply(res, 200, {{"version", "protean-harness proxy"}});
  });
  server_->Get("/proxies", [this](const Req&, Res& res) {
    json all = json::object();
    for (const FaultProxy* p : proxies_) all[p->name()] = ProxyJson(*p);
    Reply(res, 200, all);
  });
  server_->Post("/reset", [this](const Req&, Res& res) {
    for (FaultProxy* p : proxies_) {
      p->RemoveAllToxics();
      p->SetEnabled(true);
    }
    res.status = 204;
  });
  // With a proxy found by the first path capture, or a 404 reply.
  auto with_proxy = [this](auto handler) {
    return [this, handler](const Req& req, Res& res) {
      FaultProxy* p = Find(req.matches[1]);
      if (p == nullptr) return Error(res, 404, "proxy not found");
      handler(*p, req, res);
    };
  };
  server_->Get(kProxyPath, with_proxy([](FaultProxy& p, const Req&, Res& res) {
                 Reply(res, 200, ProxyJson(p));
               }));
  server_->Post(kProxyPath, with_proxy([](FaultProxy& p, const Req& req, Res& res) {
                  json body;
                  if (!Body(req, res, &body)) return;
                  if ((body.contains("listen") && body["listen"] != p.listen_address()) ||
                      (body.contains("upstream") && body["upstream"] != p.upstream())) {
                    return Error(res, 400, "listen and upstream cannot change here");
                  }
                  if (body.contains("enabled")) {
                    if (!body["enabled"].is_boolean()) return Error(res, 400, "enabled: bool");
                    p.SetEnabled(body["enabled"].get<bool>());
                  }
                  Reply(res, 200, ProxyJson(p));
                }));
  server_->Get(kToxicsPath, with_proxy([](FaultProxy& p, const Req&, Res& res) {
                 Reply(res, 200, ToxicsJson(p));
               }));
  server_->Post(kToxicsPath, with_proxy([](FaultProxy& p, const Req& req, Res& res) {
                  json body;
                  if (!Body(req, res, &body)) return;
                  Toxic t;
                  Status s = internal::ToxicFromJson(body, &t);
                  if (s.ok()) s = p.AddToxic(t);
                  if (!s.ok()) return Error(res, HttpStatus(s), s.message());
                  Reply(res, 200, internal::ToxicToJson(t));
                }));
  server_->Get(kToxicPath, with_proxy([](FaultProxy& p, const Req& req, Res& res) {
                 const auto t = FindToxic(p, req.matches[2]);
                 if (!t) return Error(res, 404, "toxic not found");
                 Reply(res, 200, internal::ToxicToJson(*t));
               }));
  server_->Post(kToxicPath, with_proxy([](FaultProxy& p, const Req& req, Res& res) {
                  json body;
                  if (!Body(req, res, &body)) return;
                  const auto base = FindToxic(p, req.matches[2]);
                  if (!base) return Error(res, 404, "toxic not found");
                  Toxic t;
                  Status s = internal::ToxicFromJson(body, &t, &*base);
                  if (s.ok()) s = p.UpdateToxic(t);
                  if (!s.ok()) return Error(res, HttpStatus(s), s.message());
                  Reply(res, 200, internal::ToxicToJson(t));
                }));
  server_->Delete(kToxicPath, with_proxy([](FaultProxy& p, const Req& req, Res& res) {
                    const Status s = p.RemoveToxic(req.matches[2]);
                    if (!s.ok()) return Error(res, HttpStatus(s), s.message());
                    res.status = 204;
                  }));
  server_->set_error_handler([](const Req&, Res& res) {
    if (res.body.empty()) Error(res, res.status, res.status == 404 ? "not found" : "bad request");
  });
}

}  // namespace protean::harness::proxy
