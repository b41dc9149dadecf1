// The proxy's config file and Toxiproxy-shaped toxic JSON: what is accepted,
// defaults, and errors that name the file and the key.

#include <gtest/gtest.h>

#include "harness/proxy/internal/toxic_json.h"
#include "harness/proxy/proxy_config.h"

namespace protean::harness::proxy {
namespace {

using nlohmann::json;

TEST(ProxyToxicJsonTest, ReadsToxiproxyToxicsWithItsDefaults) {
  Toxic t;
  ASSERT_TRUE(
      internal::ToxicFromJson(
          json::parse(R"({"type": "latency", "attributes": {"latency": 100, "jitter": 10}})"), &t)
          .ok());
  EXPECT_EQ(t.name, "latency_downstream");
  EXPECT_EQ(t.stream, Stream::kDownstream);
  EXPECT_EQ(t.toxicity, 1.0);
  EXPECT_EQ(t.latency_ms, 100);
  EXPECT_EQ(t.jitter_ms, 10);
  const json back = internal::ToxicToJson(t);
  EXPECT_EQ(back["attributes"]["latency"], 100);
  EXPECT_EQ(back["type"], "latency");

  ASSERT_TRUE(
      internal::ToxicFromJson(json::parse(R"({"name": "s", "type": "slicer", "stream": "upstream",
                                  "toxicity": 0.5, "attributes": {"average_size": 10,
                                  "size_variation": 2, "delay": 300}})"),
                              &t)
          .ok());
  EXPECT_EQ(t.type, ToxicType::kSlicer);
  EXPECT_EQ(t.delay_us, 300);
  EXPECT_EQ(t.toxicity, 0.5);
}

TEST(ProxyToxicJsonTest, UpdateMergesAttributes) {
  Toxic base;
  ASSERT_TRUE(
      internal::ToxicFromJson(
          json::parse(R"({"type": "latency", "attributes": {"latency": 100, "jitter": 10}})"),
          &base)
          .ok());
  Toxic t;
  ASSERT_TRUE(
      internal::ToxicFromJson(json::parse(R"({"attributes": {"jitter": 3}})"), &t, &base).ok());
  EXPECT_EQ(t.latency_ms, 100);
  EXPECT_EQ(t.jitter_ms, 3);
  EXPECT_FALSE(internal::ToxicFromJson(json::parse(R"({"type": "timeout"})"), &t, &base).ok());
}

TEST(ProxyToxicJsonTest, RejectsWhatIsWrongByName) {
  Toxic t;
  auto error = [&](const char* text) {
    return internal::ToxicFromJson(json::parse(text), &t).message();
  };
  EXPECT_NE(error(R"({"type": "latency", "attributes": {"latncy": 1}})").find("latncy"),
            std::string::npos);
  EXPECT_NE(error(R"({"type": "fast"})").find("fast"), std::string::npos);
  EXPECT_NE(error(R"({"type": "latency", "stream": "sideways"})").find("sideways"),
            std::string::npos);
  EXPECT_NE(error(R"({"type": "bandwidth", "attributes": {"rate": -1}})").find("rate"),
            std::string::npos);
  EXPECT_NE(error(R"({"type": "latency", "toxicity": 2})").find("toxicity"), std::string::npos);
  EXPECT_NE(error(R"({"attributes": {}})").find("type"), std::string::npos);
}

TEST(ProxyConfigTest, ReadsProxiesToxicsAndTimeline) {
  ProxyFileConfig c;
  const Status s = ParseProxyConfig(R"({
    "seed": 42,
    "proxies": [
      {"name": "redis", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:6390",
       "connections_max": 8, "buffer_bytes_max": 4096,
       "toxics": [{"type": "latency", "attributes": {"latency": 5}}],
       "timeline": [{"at_ms": 100, "duration_ms": 50,
                     "toxic": {"type": "down"}}]},
      {"name": "pg", "upstream": "localhost:5432", "enabled": false}
    ]})",
                                    "proxies.json", &c);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(c.proxies.size(), 2u);
  const ProxySpec& redis = c.proxies[0];
  EXPECT_EQ(redis.options.name, "redis");
  EXPECT_EQ(redis.options.upstream, "127.0.0.1:6390");
  EXPECT_EQ(redis.options.connections_max, 8u);
  EXPECT_EQ(redis.options.buffer_bytes_max, 4096u);
  EXPECT_EQ(redis.options.seed, 42u);
  ASSERT_EQ(redis.toxics.size(), 1u);
  EXPECT_EQ(redis.toxics[0].latency_ms, 5);
  ASSERT_EQ(redis.timeline.size(), 1u);
  EXPECT_EQ(redis.timeline[0].at_ms, 100);
  EXPECT_EQ(redis.timeline[0].toxic.type, ToxicType::kDown);
  EXPECT_EQ(redis.timeline[0].toxic.name, "down");
  EXPECT_FALSE(c.proxies[1].enabled);
  EXPECT_EQ(c.proxies[1].options.listen, "127.0.0.1:0");
  EXPECT_EQ(c.proxies[1].options.seed, 43u);
}

TEST(ProxyConfigTest, AcceptsToxiproxysArrayFormat) {
  ProxyFileConfig c;
  ASSERT_TRUE(ParseProxyConfig(R"([{"name": "r", "listen": "127.0.0.1:26379",
                                    "upstream": "127.0.0.1:6379", "enabled": true}])",
                               "toxiproxy.json", &c)
                  .ok());
  ASSERT_EQ(c.proxies.size(), 1u);
  EXPECT_EQ(c.proxies[0].options.listen, "127.0.0.1:26379");
}

TEST(ProxyConfigTest, ErrorsNameTheFileAndTheKey) {
  ProxyFileConfig c;
  auto error = [&](const char* text) { return ParseProxyConfig(text, "p.json", &c).message(); };
  EXPECT_EQ(error(R"({"proxies": [{"upstream": "h:1"}]})"), "p.json: proxies[0]: name is required");
  EXPECT_EQ(error(R"({"proxies": [{"name": "a", "upstream": "h:1", "colour": 1}]})"),
            "p.json: proxies[0]: unknown key 'colour'");
  EXPECT_NE(error(R"({"proxies": [{"name": "a", "upstream": "h:1",
                     "toxics": [{"type": "latency", "attributes": {"latency": -5}}]}]})")
                .find("p.json: proxies[0].toxics[0]: "),
            std::string::npos);
  EXPECT_NE(error(R"({"proxies": [{"name": "a", "upstream": "h:1"},
                                  {"name": "a", "upstream": "h:2"}]})")
                .find("duplicate proxy name a"),
            std::string::npos);
  EXPECT_NE(error("{\"proxies\": [\n  {\"name\": }]}").find("line 2"), std::string::npos);
  EXPECT_EQ(LoadProxyConfig("/nonexistent/p.json", &c).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace protean::harness::proxy
