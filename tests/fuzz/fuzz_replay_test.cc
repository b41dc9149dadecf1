// Replays every input kept for the fuzz targets — the seed corpus
// (tests/fuzz/corpus/<target>/) and the crashes found so far
// (tests/fuzz/regressions/<target>/) — through the same functions libFuzzer
// runs (tests/fuzz/targets.h), so a fixed crash stays fixed in every build,
// and the sanitizer build checks each input for undefined behaviour.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fuzz/targets.h"

namespace protean::fuzz {
namespace {

std::vector<std::filesystem::path> InputsOf(const std::string& kind, std::string_view target) {
  std::vector<std::filesystem::path> out;
  const std::filesystem::path dir =
      std::filesystem::path(PROTEAN_SOURCE_DIR) / "tests/fuzz" / kind / std::string(target);
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().filename() != "README.md") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Replay(const std::string& kind, size_t min_inputs) {
  for (size_t t = 0; t < TargetCount(); ++t) {
    const NamedTarget& target = Targets()[t];
    const std::vector<std::filesystem::path> inputs = InputsOf(kind, target.name);
    EXPECT_GE(inputs.size(), min_inputs) << kind << "/" << target.name;
    for (const auto& path : inputs) {
      std::ifstream in(path, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      SCOPED_TRACE(path.string());
      EXPECT_EQ(target.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
    }
  }
}

TEST(FuzzReplayTest, SeedCorpus) { Replay("corpus", 1); }

TEST(FuzzReplayTest, Regressions) { Replay("regressions", 0); }

}  // namespace
}  // namespace protean::fuzz
