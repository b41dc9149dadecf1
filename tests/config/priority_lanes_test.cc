// [server.priority_lanes] (core/config/sections.h PriorityLanesConfig):
// Protean's defaults (domain/config.py:208-212) and its checks
// (domain/validation.py:370-419), each bad value an error naming the file,
// the key and line:column (tests/config/strict_keys_test.cc, PriorityLanes),
// plus this engine's stricter ones (unknown keys, a suffix with ':' or "dlq").

#include <string>

#include <gtest/gtest.h>

#include "core/config/domain_config.h"
#include "core/config/priority_lanes.h"
#include "tests/config/test_util.h"

namespace protean::config {
namespace {

using testing::ParseText;

TEST(PriorityLanesConfigTest, DefaultsAreProteans) {
  const PriorityLanesConfig lanes = ParseText("").server.priority_lanes;
  EXPECT_FALSE(lanes.enabled);
  EXPECT_EQ(lanes.threshold, 0);
  EXPECT_EQ(lanes.backfill_suffix, "backfill");
  EXPECT_EQ(BackfillDlqStream(ParseText(""), "orders"), std::nullopt);
}

TEST(PriorityLanesConfigTest, ReadsEveryKey) {
  const DomainConfig config = ParseText(
      "[server.priority_lanes]\nenabled = true\nthreshold = 3\nbackfill_suffix = \"bulk\"\n");
  const PriorityLanesConfig& lanes = config.server.priority_lanes;
  EXPECT_TRUE(lanes.enabled);
  EXPECT_EQ(lanes.threshold, 3);
  EXPECT_EQ(lanes.backfill_suffix, "bulk");
  EXPECT_EQ(BackfillDlqStream(config, "orders"), "orders:bulk:dlq");
  // Protean takes a float threshold too (validation.py:408).
  EXPECT_EQ(ParseText("[server.priority_lanes]\nthreshold = 2.5\n").server.priority_lanes.threshold,
            2.5);
}

}  // namespace
}  // namespace protean::config
