#pragma once
// API keys of the health server's non-probe routes (seed 004):
//   API_KEYS=key1:tenant_a:predict,read_models;key2:tenant_b:admin
// from the environment variable [server.security] api_keys_env names
// (default API_KEYS), else the file api_keys_file names (the same text;
// lines may replace ';', '#' starts a comment). Keys are enforced whenever
// any are configured: /metrics needs scope read_models or metrics, /drainz
// scope admin; the probes stay open. A key is accepted as
// `Authorization: Bearer KEY` or `X-API-Key: KEY`, compared in constant time
// with every configured key, and never logged (log lines carry the tenant).
//
// Admin routes are rate-limited per key in this process (a fixed one-minute
// window of [server.security] admin_requests_per_minute): the limit does not
// hold across processes (no Redis-backed limiter yet).
//
// Thread-safety: Authorize and the rate limiter may be called from any
// thread (the health server's).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/sections.h"
#include "core/mutex.h"
#include "core/status.h"
#include "core/time.h"

namespace protean::cli {

struct ApiKey {
  std::string key;
  std::string tenant;
  std::vector<std::string> scopes;
};

// Parses `text` (entries separated by ';' or newlines); errors name
// `source` and the entry's number, never the key itself.
Result<std::vector<ApiKey>> ParseApiKeys(std::string_view text, std::string_view source);

struct LoadedApiKeys {
  std::vector<ApiKey> keys;
  std::string source;  // "environment variable API_KEYS", "file /etc/...", "" when none
};

// The keys of [server.security]: its environment variable (via `env`) when
// set and not empty, else its file when given. A file that cannot be read
// or a bad entry is an error naming the variable or file.
Result<LoadedApiKeys> LoadApiKeys(
    const config::SecurityConfig& security,
    const std::function<std::optional<std::string>(const std::string&)>& env);

// Whether a and b are equal, in time that depends on their lengths only.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// What a request may do.
struct Authorization {
  int status = 200;           // 200, 401 (no or unknown key), 403 (scope), 429 (rate limited)
  std::string tenant;         // of the key used ("" when open or refused)
  int64_t retry_after_s = 0;  // with 429
};

class ApiKeyAuth {
 public:
  ApiKeyAuth(std::vector<ApiKey> keys, int64_t admin_requests_per_minute);

  bool enforced() const { return !keys_.empty(); }
  size_t size() const { return keys_.size(); }
  // The key from `authorization` ("Bearer KEY") or `x_api_key`, checked for
  // one of `scopes`; `admin` routes also count against the key's rate limit.
  // Always 200 when no keys are configured.
  Authorization Authorize(const std::string& authorization, const std::string& x_api_key,
                          const std::vector<std::string_view>& scopes, bool admin, TimePoint now);

 private:
  const ApiKey* Find(std::string_view presented) const;
  // 0 when allowed now, else the seconds until the key's window reopens.
  int64_t Throttle(const std::string& key, TimePoint now);

  std::vector<ApiKey> keys_;
  int64_t admin_per_minute_;
  Mutex mu_;
  struct Window {
    TimePoint start{};
    int64_t used = 0;
  };
  std::map<std::string, Window> windows_ PROTEAN_GUARDED_BY(mu_);  // by key
};

}  // namespace protean::cli
