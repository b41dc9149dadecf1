#include "core/config/redaction.h"

#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "tests/config/test_util.h"

namespace protean::config {
namespace {

TEST(RedactUrisTest, HidesPasswordsInUserInfo) {
  EXPECT_EQ(RedactUris("postgresql://user:secret@host/db"), "postgresql://user:***@host/db");
  EXPECT_EQ(RedactUris("redis://:pass@host:6379/0"), "redis://:***@host:6379/0");
  EXPECT_EQ(RedactUris("postgresql://u:p@ss@host:5432/db?sslmode=require"),
            "postgresql://u:***@host:5432/db?sslmode=require");
  EXPECT_EQ(RedactUris("{'hosts': ['http://elastic:changeme@es:9200']}"),
            "{'hosts': ['http://elastic:***@es:9200']}");
  EXPECT_EQ(RedactUris("a=redis://:x@h1/0 b=redis://:y@h2/1"),
            "a=redis://:***@h1/0 b=redis://:***@h2/1");
}

TEST(RedactUrisTest, LeavesUrisWithoutPasswordsAlone) {
  for (std::string_view text :
       {"postgresql://localhost:5432/myapp", "postgresql://message_store@localhost:5433/ms",
        "redis://localhost:6379/2", "http://host/path?user=a:b@c", "no uri here", "",
        "sqlite:///path/to/db.sqlite3", "mailto:a@b"}) {
    EXPECT_EQ(RedactUris(text), text);
  }
}

TEST(IsSecretKeyTest, MatchesSecretNamesCaseInsensitively) {
  for (std::string_view key : {"password", "DB_PASSWORD", "secret_key", "client_secret", "api_key",
                               "API_KEY", "auth_token", "Token"}) {
    EXPECT_TRUE(IsSecretKey(key)) << key;
  }
  for (std::string_view key : {"provider", "pool_size", "URI", "database_uri", "apikeys", "host"}) {
    EXPECT_FALSE(IsSecretKey(key)) << key;
  }
}

TEST(RedactSecretsTest, RedactsACopyWithTheSameStructure) {
  toml::table table = testing::ParseToml(R"(
secret_key = "tvTpk3PAfkGr5x9"
[databases.default]
provider = "postgresql"
database_uri = "postgresql://user:secret@host/db"
pool_size = 5
[brokers.default]
URI = "redis://:pass@cache:6379/0"
[custom]
api_key = 12345
tokens = ["a", "b"]
hosts = ["postgresql://u:pw@h1/db", "plain"]
[custom.password]
hint = "ok"
)");
  toml::table shown = RedactSecrets(table);
  EXPECT_EQ(shown["secret_key"].value<std::string>(), "***");
  EXPECT_EQ(shown.at_path("databases.default.database_uri").value<std::string>(),
            "postgresql://user:***@host/db");
  EXPECT_EQ(shown.at_path("databases.default.provider").value<std::string>(), "postgresql");
  EXPECT_EQ(shown.at_path("databases.default.pool_size").value<int64_t>(), 5);
  EXPECT_EQ(shown.at_path("brokers.default.URI").value<std::string>(), "redis://:***@cache:6379/0");
  EXPECT_EQ(shown.at_path("custom.api_key").value<std::string>(), "***");
  EXPECT_EQ(shown.at_path("custom.tokens").value<std::string>(), "***");
  EXPECT_EQ(shown.at_path("custom.hosts[0]").value<std::string>(), "postgresql://u:***@h1/db");
  EXPECT_EQ(shown.at_path("custom.hosts[1]").value<std::string>(), "plain");
  // A table under a secret-sounding key is walked, not replaced.
  EXPECT_EQ(shown.at_path("custom.password.hint").value<std::string>(), "ok");
  // The original keeps the real values.
  EXPECT_EQ(table["secret_key"].value<std::string>(), "tvTpk3PAfkGr5x9");
  EXPECT_EQ(table.at_path("databases.default.database_uri").value<std::string>(),
            "postgresql://user:secret@host/db");
}

// Each pair: the text as given, then as shown.
using Cases = std::vector<std::pair<std::string_view, std::string_view>>;

void ExpectRedacted(const Cases& cases) {
  for (const auto& [given, shown] : cases) EXPECT_EQ(RedactText(given), shown) << given;
}

TEST(RedactTextTest, HidesSecretQueryParameters) {
  ExpectRedacted({
      {"redis://h:6379/0?password=hunter2", "redis://h:6379/0?password=***"},
      {"postgresql://h/db?sslmode=require&sslpassword=k3y&application_name=x",
       "postgresql://h/db?sslmode=require&sslpassword=***&application_name=x"},
      {"http://es:9200/?token=abc#frag", "http://es:9200/?token=***#frag"},
      {"https://h/p?client_secret=s&API_KEY=k", "https://h/p?client_secret=***&API_KEY=***"},
      {"postgresql://u:pw@h/db?password=x", "postgresql://u:***@h/db?password=***"},
  });
}

TEST(RedactTextTest, HidesLibpqKeywordPasswords) {
  ExpectRedacted({
      {"host=db password=s3cret dbname=app", "host=db password=*** dbname=app"},
      {"password=s3cret host=db", "password=*** host=db"},
      {"host=db password = 's3 cr\\'et' port=5432", "host=db password = *** port=5432"},
      {"cannot connect to \"host=db password=x\": refused",
       "cannot connect to \"host=db password=***\": refused"},
  });
}

TEST(RedactTextTest, HidesAssignmentsAndLeavesOtherPairsAlone) {
  ExpectRedacted({
      {"API_KEYS=k1:t:admin;k2:t:metrics", "API_KEYS=***"},
      {"env mypassword=x", "env mypassword=***"},
      {"host=db port=5432 dbname=app", "host=db port=5432 dbname=app"},
      {"redis://h/0?db=1&timeout=5", "redis://h/0?db=1&timeout=5"},
      {"password=", "password="},
      {"passwordless mode", "passwordless mode"},
      {"a password: no", "a password: no"},
  });
}

}  // namespace
}  // namespace protean::config
