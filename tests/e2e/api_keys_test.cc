// API keys (app/server/api_keys.h) in-process: parsing with errors that
// name the entry and never the key, scopes, both headers, the rate limit.

#include "app/server/api_keys.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace protean::cli {
namespace {

const TimePoint kT0 = TimePoint(Seconds(1767225600));

TEST(ApiKeysTest, ParsesSeedFormatAndFileLines) {
  Result<std::vector<ApiKey>> keys = ParseApiKeys(
      "key1:tenant_a:predict,read_models;key2:tenant_b:predict,read_models,admin", "API_KEYS");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[1].tenant, "tenant_b");
  EXPECT_EQ((*keys)[1].scopes, (std::vector<std::string>{"predict", "read_models", "admin"}));
  Result<std::vector<ApiKey>> file =
      ParseApiKeys("# ops keys\nk1:t:metrics\n\nk2:t:admin # ci\n", "f");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->size(), 2u);
  EXPECT_EQ((*file)[1].scopes, (std::vector<std::string>{"admin"}));
}

TEST(ApiKeysTest, BadEntriesNameTheSourceAndEntryButNotTheKey) {
  Result<std::vector<ApiKey>> bad =
      ParseApiKeys("good:t:admin;s3cretkey-without-scope", "API_KEYS");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("API_KEYS: entry 2"), std::string::npos)
      << bad.status().message();
  EXPECT_EQ(bad.status().message().find("s3cretkey"), std::string::npos);
  EXPECT_FALSE(ParseApiKeys("k:t:", "x").ok());
  EXPECT_FALSE(ParseApiKeys(":t:admin", "x").ok());
}

TEST(ApiKeysTest, ConstantTimeEqualsComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(ApiKeysTest, AuthorizeChecksKeyScopeAndBothHeaders) {
  ApiKeyAuth auth(*ParseApiKeys("m:team_a:read_models;a:team_b:admin", "x"), 30);
  EXPECT_TRUE(auth.enforced());
  EXPECT_EQ(auth.Authorize("", "", {"metrics", "read_models"}, false, kT0).status, 401);
  EXPECT_EQ(auth.Authorize("Bearer nope", "", {"read_models"}, false, kT0).status, 401);
  const Authorization ok = auth.Authorize("Bearer m", "", {"metrics", "read_models"}, false, kT0);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.tenant, "team_a");
  EXPECT_EQ(auth.Authorize("bearer m", "", {"read_models"}, false, kT0).status, 200);
  EXPECT_EQ(auth.Authorize("", "m", {"read_models"}, false, kT0).status, 200);
  EXPECT_EQ(auth.Authorize("", "a", {"read_models"}, false, kT0).status, 403);
  ApiKeyAuth open({}, 30);
  EXPECT_FALSE(open.enforced());
  EXPECT_EQ(open.Authorize("", "", {"admin"}, true, kT0).status, 200);
}

TEST(ApiKeysTest, AdminRequestsAreLimitedPerKeyPerMinute) {
  ApiKeyAuth auth(*ParseApiKeys("a:t:admin;b:t:admin", "x"), 2);
  EXPECT_EQ(auth.Authorize("", "a", {"admin"}, true, kT0).status, 200);
  EXPECT_EQ(auth.Authorize("", "a", {"admin"}, true, kT0 + Seconds(1)).status, 200);
  const Authorization limited = auth.Authorize("", "a", {"admin"}, true, kT0 + Seconds(20));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.retry_after_s, 40);
  EXPECT_EQ(auth.Authorize("", "b", {"admin"}, true, kT0 + Seconds(20)).status, 200) << "per key";
  EXPECT_EQ(auth.Authorize("", "a", {"admin"}, true, kT0 + Seconds(60)).status, 200)
      << "a new window";
}

// A shared limiter that answers what the case says, and records its keys.
class ScriptedLimiter final : public RateLimiter {
 public:
  Result<RateDecision> Hit(std::string_view key, int64_t limit, Duration window,
                           TimePoint) override {
    keys.emplace_back(key);
    EXPECT_EQ(window, Seconds(60));
    if (!up) return Status::Unavailable("redis down");
    return RateDecision{++count <= limit, Seconds(17)};
  }
  bool up = true;
  int64_t count = 0;
  std::vector<std::string> keys;
};

TEST(ApiKeysTest, ASharedLimiterDecidesByKeyIdAndItsOutageFallsBackInProcess) {
  auto owned = std::make_unique<ScriptedLimiter>();
  ScriptedLimiter* shared = owned.get();
  std::vector<std::string> logged;
  ApiKeyAuth auth(*ParseApiKeys("secret-a:t:admin", "x"), 2, std::move(owned),
                  [&](const std::string& event, const std::string&) { logged.push_back(event); });
  EXPECT_TRUE(auth.shared_limit());
  shared->count = 2;  // two hits already counted by other processes
  const Authorization limited = auth.Authorize("", "secret-a", {"admin"}, true, kT0);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.retry_after_s, 17) << "the shared window's time left";
  ASSERT_EQ(shared->keys.size(), 1u);
  EXPECT_EQ(shared->keys[0].size(), 16u) << "a key id";
  EXPECT_EQ(shared->keys[0].find("secret"), std::string::npos) << "never the key itself";
  // Redis unreachable: this process's own windows, logged once per outage.
  shared->up = false;
  EXPECT_EQ(auth.Authorize("", "secret-a", {"admin"}, true, kT0).status, 200);
  EXPECT_EQ(auth.Authorize("", "secret-a", {"admin"}, true, kT0).status, 200);
  EXPECT_EQ(auth.Authorize("", "secret-a", {"admin"}, true, kT0).status, 429) << "still limited";
  EXPECT_EQ(logged, std::vector<std::string>{"api_keys.rate_limit_degraded"});
  shared->up = true;
  shared->count = 0;
  EXPECT_EQ(auth.Authorize("", "secret-a", {"admin"}, true, kT0).status, 200);
  EXPECT_EQ(logged, (std::vector<std::string>{"api_keys.rate_limit_degraded",
                                              "api_keys.rate_limit_recovered"}));
}

}  // namespace
}  // namespace protean::cli
