#include "app/server/api_keys.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

#include "core/internal/sha256.h"

namespace protean::cli {
namespace {

constexpr Duration kRateWindow = Seconds(60);

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || separators.find(s[i]) != std::string_view::npos) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

Result<ApiKey> ParseEntry(std::string_view entry, std::string_view source, size_t number) {
  const std::string where = std::string(source) + ": entry " + std::to_string(number);
  std::vector<std::string_view> parts = Split(entry, ":");
  if (parts.size() != 3) {
    return Status::InvalidArgument(where + ": expected key:tenant:scope[,scope...] (" +
                                   std::to_string(parts.size()) + " ':'-separated parts)");
  }
  ApiKey key{std::string(Trim(parts[0])), std::string(Trim(parts[1])), {}, {}};
  if (key.key.empty() || key.tenant.empty()) {
    return Status::InvalidArgument(where + ": the key and the tenant must not be empty");
  }
  for (std::string_view scope : Split(parts[2], ",")) {
    if (!Trim(scope).empty()) key.scopes.emplace_back(Trim(scope));
  }
  if (key.scopes.empty()) return Status::InvalidArgument(where + ": no scopes");
  key.id = internal::Sha256Hex(key.key).substr(0, 16);
  return key;
}

}  // namespace

Result<std::vector<ApiKey>> ParseApiKeys(std::string_view text, std::string_view source) {
  std::vector<ApiKey> keys;
  size_t number = 0;
  for (std::string_view line : Split(text, "\n")) {
    const size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    for (std::string_view entry : Split(line, ";")) {
      if (Trim(entry).empty()) continue;
      ++number;
      Result<ApiKey> key = ParseEntry(Trim(entry), source, number);
      if (!key.ok()) return key.status();
      keys.push_back(std::move(key).value());
    }
  }
  return keys;
}

Result<LoadedApiKeys> LoadApiKeys(
    const config::SecurityConfig& security,
    const std::function<std::optional<std::string>(const std::string&)>& env) {
  LoadedApiKeys loaded;
  std::string text;
  if (std::optional<std::string> value = env(security.api_keys_env); value && !value->empty()) {
    loaded.source = "environment variable " + security.api_keys_env;
    text = std::move(*value);
  } else if (!security.api_keys_file.empty()) {
    loaded.source = "file " + security.api_keys_file;
    std::ifstream f(security.api_keys_file);
    if (!f) {
      return Status::InvalidArgument("[server.security] api_keys_file " + security.api_keys_file +
                                     ": cannot be read");
    }
    text.assign(std::istreambuf_iterator<char>(f), {});
  } else {
    return loaded;
  }
  Result<std::vector<ApiKey>> keys = ParseApiKeys(text, loaded.source);
  if (!keys.ok()) return keys.status();
  loaded.keys = std::move(keys).value();
  return loaded;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

ApiKeyAuth::ApiKeyAuth(std::vector<ApiKey> keys, int64_t admin_requests_per_minute,
                       std::unique_ptr<RateLimiter> shared, Log log)
    : keys_(std::move(keys)),
      admin_per_minute_(admin_requests_per_minute),
      shared_(std::move(shared)),
      log_(std::move(log)) {}

const ApiKey* ApiKeyAuth::Find(std::string_view presented) const {
  const ApiKey* found = nullptr;
  for (const ApiKey& k : keys_) {  // every key is compared: no early exit
    if (ConstantTimeEquals(k.key, presented) && found == nullptr) found = &k;
  }
  return found;
}

int64_t ApiKeyAuth::Throttle(const ApiKey& key, TimePoint now) {
  if (shared_ != nullptr) {
    Result<RateDecision> d = shared_->Hit(key.id, admin_per_minute_, kRateWindow, now);
    if (d.ok()) {
      SharedAnswered();
      if (d->allowed) return 0;
      return std::max<int64_t>(1, (d->retry_after.count() + 999999) / 1000000);
    }
    SharedFailed(d.status());  // this process's own windows meanwhile
  }
  return ThrottleLocally(key.id, now);
}

void ApiKeyAuth::SharedFailed(const Status& status) {
  {
    MutexLock lock(&mu_);
    if (shared_down_) return;
    shared_down_ = true;
  }
  if (log_) {
    log_("api_keys.rate_limit_degraded", "shared admin rate limit unavailable (" +
                                             status.message() +
                                             "): limiting in this process until it answers");
  }
}

void ApiKeyAuth::SharedAnswered() {
  {
    MutexLock lock(&mu_);
    if (!shared_down_) return;
    shared_down_ = false;
  }
  if (log_) log_("api_keys.rate_limit_recovered", "shared admin rate limit answers again");
}

int64_t ApiKeyAuth::ThrottleLocally(const std::string& id, TimePoint now) {
  MutexLock lock(&mu_);
  Window& w = windows_[id];
  if (now - w.start >= kRateWindow) w = Window{now, 0};
  if (w.used < admin_per_minute_) {
    ++w.used;
    return 0;
  }
  const Duration left = w.start + kRateWindow - now;
  return std::max<int64_t>(1, (left.count() + 999999) / 1000000);
}

Authorization ApiKeyAuth::Authorize(const std::string& authorization, const std::string& x_api_key,
                                    const std::vector<std::string_view>& scopes, bool admin,
                                    TimePoint now) {
  if (!enforced()) return {};
  std::string_view presented = x_api_key;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > kBearer.size() &&
      std::equal(
          kBearer.begin(), kBearer.end(), authorization.begin(),
          [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); })) {
    presented = std::string_view(authorization).substr(kBearer.size());
  }
  const ApiKey* key = presented.empty() ? nullptr : Find(Trim(presented));
  if (key == nullptr) return {401, "", 0};
  const bool allowed = std::any_of(scopes.begin(), scopes.end(), [&](std::string_view s) {
    return std::find(key->scopes.begin(), key->scopes.end(), s) != key->scopes.end();
  });
  if (!allowed) return {403, key->tenant, 0};
  if (admin) {
    if (int64_t wait = Throttle(*key, now); wait > 0) return {429, key->tenant, wait};
  }
  return {200, key->tenant, 0};
}

}  // namespace protean::cli
