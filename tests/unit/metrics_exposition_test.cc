// The Prometheus exposition of MetricsRegistry: # HELP and # TYPE per
// family, `_total` counters, `_seconds` histograms with exact bucket bounds.

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/engine/metric_catalogue.h"
#include "core/engine/metrics.h"

namespace protean {
namespace {

// The exposition's lines that start with `prefix`, in order.
std::vector<std::string> LinesStarting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix)) out.push_back(line);
  }
  return out;
}

const MetricLabels kLabels = {
    {"subscription", "Orders-orders"}, {"handler", "Orders"}, {"stream", "orders"}};

TEST(MetricsExpositionTest, CountersGetTotalAndEveryFamilyHelpAndType) {
  MetricsRegistry m;
  MetricLabels ok = kLabels;
  ok.emplace_back("status", "ok");
  m.GetCounter("protean_subscription_messages_processed", ok)->Inc(3);
  m.GetGauge("protean_engine_uptime_seconds")->Set(12.5);
  const std::string text = m.RenderPrometheus();
  EXPECT_EQ(LinesStarting(text, "protean_subscription_messages_processed"),
            (std::vector<std::string>{
                "protean_subscription_messages_processed_total{subscription=\"Orders-orders\","
                "handler=\"Orders\",stream=\"orders\",status=\"ok\"} 3"}));
  EXPECT_EQ(LinesStarting(text, "# HELP protean_subscription_messages_processed"),
            (std::vector<std::string>{"# HELP protean_subscription_messages_processed_total "
                                      "Messages processed by subscriptions"}));
  // A gauge already named with its unit keeps its name.
  EXPECT_EQ(LinesStarting(text, "# TYPE protean_engine_uptime"),
            (std::vector<std::string>{"# TYPE protean_engine_uptime_seconds gauge"}));
  EXPECT_EQ(LinesStarting(text, "protean_engine_uptime"),
            (std::vector<std::string>{"protean_engine_uptime_seconds 12.5"}));
  // The registry keeps its own names for lookups.
  EXPECT_EQ(m.Value("protean_subscription_messages_processed", ok), 3);
}

TEST(MetricsExpositionTest, HistogramBucketsArePrintedExactly) {
  MetricsRegistry m;
  Histogram* h = m.GetHistogram("protean_subscription_processing_duration", kLabels);
  h->Observe(0.00390625);
  h->Observe(0.25);
  h->Observe(100);
  const std::string text = m.RenderPrometheus();
  const std::string name = "protean_subscription_processing_duration_seconds";
  EXPECT_NE(text.find("# TYPE " + name + " histogram\n"), std::string::npos) << text;
  const std::string labels = "subscription=\"Orders-orders\",handler=\"Orders\",stream=\"orders\"";
  EXPECT_NE(text.find(name + "_bucket{" + labels + ",le=\"0.005\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find(name + "_bucket{" + labels + ",le=\"0.5\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find(name + "_bucket{" + labels + ",le=\"60\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find(name + "_bucket{" + labels + ",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find(name + "_count{" + labels + "} 3\n"), std::string::npos);
  EXPECT_NE(text.find(name + "_sum{" + labels + "} 100.25390625\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("00000000"), std::string::npos) << "inexact number in\n" << text;
}

TEST(MetricsExpositionTest, EveryLineIsACommentOrASampleOfADeclaredFamily) {
  MetricsRegistry m;
  m.GetCounter("protean_dlq_alerts", {{"dlq_stream", "a:dlq"}})->Inc();
  m.GetCounter("protean_not_catalogued")->Inc();
  m.GetGauge("protean_subscription_dlq_depth", kLabels)->Set(4);
  m.GetHistogram("protean_subscription_processing_duration", kLabels)->Observe(1);
  std::istringstream in(m.RenderPrometheus());
  std::string declared;
  int helps = 0, types = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# HELP ")) {
      ++helps;
      declared = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      ++types;
      EXPECT_EQ(line.substr(7, declared.size()), declared);
      continue;
    }
    EXPECT_TRUE(line.starts_with(declared)) << line << " outside family " << declared;
  }
  EXPECT_EQ(helps, 4);
  EXPECT_EQ(types, 4);
}

TEST(MetricCatalogueTest, ExposedNamesFollowProteansExporter) {
  EXPECT_EQ(ExposedMetricName("protean_subscription_retries", MetricKind::kCounter),
            "protean_subscription_retries_total");
  EXPECT_EQ(ExposedMetricName("protean_subscription_processing_duration", MetricKind::kHistogram),
            "protean_subscription_processing_duration_seconds");
  EXPECT_EQ(ExposedMetricName("protean_engine_uptime_seconds", MetricKind::kGauge),
            "protean_engine_uptime_seconds");
  EXPECT_EQ(ExposedMetricName("protean_subscription_consumer_lag", MetricKind::kGauge),
            "protean_subscription_consumer_lag");
  ASSERT_NE(FindMetricInfo("protean_db_pool_checked_out"), nullptr);
  EXPECT_EQ(FindMetricInfo("protean_nope"), nullptr);
}

}  // namespace
}  // namespace protean
