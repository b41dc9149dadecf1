#pragma once
// The config file of `protean-harness proxy` (JSON; docs/proxy.md):
//
//   {"seed": 1,
//    "proxies": [{"name": "redis", "listen": "127.0.0.1:0",
//                 "upstream": "127.0.0.1:6390", "enabled": true,
//                 "connections_max": 256, "buffer_bytes_max": 262144,
//                 "connect_timeout_ms": 5000,
//                 "toxics": [<Toxiproxy toxic>...],
//                 "timeline": [{"at_ms": 1000, "duration_ms": 500,
//                               "toxic": <Toxiproxy toxic>}]}]}
//
// A bare array of proxies (Toxiproxy's own config file) is accepted too.
// Only name and upstream are required. Proxy i is seeded with seed + i.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "harness/proxy/fault_proxy.h"

namespace protean::harness::proxy {

struct ProxySpec {
  FaultProxyOptions options;
  bool enabled = true;
  std::vector<Toxic> toxics;
  std::vector<TimelineEntry> timeline;
};

struct ProxyFileConfig {
  std::vector<ProxySpec> proxies;
};

// InvalidArgument naming `origin` (the file), the key's path
// ("proxies[0].toxics[1]: ...") and what is wrong; JSON syntax errors give
// the byte offset.
Status ParseProxyConfig(std::string_view text, const std::string& origin, ProxyFileConfig* out);
// NotFound if the file cannot be read; otherwise as ParseProxyConfig.
Status LoadProxyConfig(const std::string& path, ProxyFileConfig* out);

// Creates and starts one FaultProxy per spec, with its toxics, enabled flag
// and timeline (relative to `timeline_start`). On an error, the proxies
// started so far are stopped and *out is left empty.
Status StartProxies(const ProxyFileConfig& config,
                    std::chrono::steady_clock::time_point timeline_start,
                    std::vector<std::unique_ptr<FaultProxy>>* out);

}  // namespace protean::harness::proxy
