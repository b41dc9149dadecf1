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
// Admin routes are rate-limited per key: a fixed one-minute window of
// [server.security] admin_requests_per_minute hits. With a shared limiter
// (`protean server` makes a RedisRateLimiter when brokers.default is a
// `redis` broker) the windows live in Redis, so the limit holds across every
// process on it; keyed by the key's id (a SHA-256 prefix), never the key.
// While the shared limiter fails (Redis unreachable) each process falls
// back to its own in-process windows (one `api_keys.rate_limit_degraded`
// line per outage, `.rate_limit_recovered` after): the limit stays enforced,
// at worst once per process, and /drainz stays usable during the outage
// (failing closed would refuse a drain exactly when it may be needed,
// failing open would drop the limit). Without a shared limiter the windows
// are in-process only.
//
// Thread-safety: Authorize and the rate limiter may be called from any
// thread (the health server's).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/sections.h"
#include "core/mutex.h"
#include "core/rate_limiter.h"
#include "core/status.h"
#include "core/time.h"

namespace protean::cli {

struct ApiKey {
  std::string key;
  std::string tenant;
  std::vector<std::string> scopes;
  std::string id;  // the first 16 hex digits of SHA-256(key): what rate limits are kept by
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
  // How the fallback to in-process windows is reported (event, message).
  using Log = std::function<void(const std::string& event, const std::string& message)>;

  // `shared`: the limiter every process uses (null: in-process only).
  ApiKeyAuth(std::vector<ApiKey> keys, int64_t admin_requests_per_minute,
             std::unique_ptr<RateLimiter> shared = nullptr, Log log = nullptr);
  bool shared_limit() const { return shared_ != nullptr; }

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
  int64_t Throttle(const ApiKey& key, TimePoint now);
  int64_t ThrottleLocally(const std::string& id, TimePoint now);
  // The shared limiter's outage starts or ends (logged once each).
  void SharedFailed(const Status& status);
  void SharedAnswered();

  std::vector<ApiKey> keys_;
  int64_t admin_per_minute_;
  std::unique_ptr<RateLimiter> shared_;
  Log log_;
  Mutex mu_;
  struct Window {
    TimePoint start{};
    int64_t used = 0;
  };
  std::map<std::string, Window> windows_ PROTEAN_GUARDED_BY(mu_);  // by key id
  bool shared_down_ PROTEAN_GUARDED_BY(mu_) = false;
};

}  // namespace protean::cli
