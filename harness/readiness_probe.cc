#include "harness/readiness_probe.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace protean::harness {

ReadinessAnswer ProbeReadiness(int port, std::chrono::milliseconds timeout) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_keep_alive(false);
  ReadinessAnswer a;
  httplib::Result r = client.Get("/readyz");
  if (!r) return a;
  a.answered = true;
  a.status = r->status;
  auto body = nlohmann::json::parse(r->body, nullptr, false);
  if (body.is_object() && body.contains("status") && body["status"].is_string()) {
    a.outcome = body["status"].get<std::string>();
  }
  return a;
}

}  // namespace protean::harness
