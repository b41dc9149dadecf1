#pragma once
// An HTTP control API in Toxiproxy's REST shape over a fixed set of
// FaultProxy objects, so Toxiproxy's clients and habits work:
//
//   GET    /version
//   GET    /proxies                          {name: proxy, ...}
//   GET    /proxies/{proxy}
//   POST   /proxies/{proxy}                  {"enabled": false} = down
//   GET    /proxies/{proxy}/toxics
//   POST   /proxies/{proxy}/toxics           a Toxiproxy toxic; 409 if the name exists
//   GET    /proxies/{proxy}/toxics/{toxic}
//   POST   /proxies/{proxy}/toxics/{toxic}   merged into the toxic (attributes key by key)
//   DELETE /proxies/{proxy}/toxics/{toxic}   204
//   POST   /reset                            every proxy enabled, every toxic removed
//
// Errors are {"error": "...", "status": N}. A proxy object is Toxiproxy's
// (name, listen, upstream, enabled, toxics) plus "stats" (ProxyStats).
// Proxies cannot be created or deleted here: they come from the config.
//
// The server binds exclusively (SO_REUSEADDR, not cpp-httplib's default
// SO_REUSEPORT) and serves on its own threads until Stop(). The proxies
// must outlive it.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "harness/proxy/fault_proxy.h"

namespace httplib {
class Server;
}

namespace protean::harness::proxy {

class ControlServer {
 public:
  explicit ControlServer(std::vector<FaultProxy*> proxies);
  ~ControlServer();  // Stop()
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // "host:port"; port 0 picks a free port (see port()). Unavailable if the
  // address cannot be bound.
  Status Start(const std::string& listen);
  void Stop();
  int port() const { return port_; }

 private:
  void Routes();
  FaultProxy* Find(const std::string& name) const;

  std::vector<FaultProxy*> proxies_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> serving_done_{false};  // listen_after_bind() returned
  int port_ = 0;
};

}  // namespace protean::harness::proxy
