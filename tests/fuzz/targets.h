#pragma once
// Fuzz targets: the parsers that read what a user, a file or another process
// hands the engine and the harness. Each takes arbitrary bytes and must
// neither crash, nor hang, nor touch undefined behaviour; the errors it is
// documented to raise (ConfigurationError, a failed Result) are fine.
//
// The same functions run under libFuzzer (fuzz_main.cc, -DPROTEAN_FUZZ=ON,
// clang) and in the plain unit test fuzz_replay_test, which feeds them the
// seed corpus (tests/fuzz/corpus/<target>/) and every crash found so far
// (tests/fuzz/regressions/<target>/).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace protean::fuzz {

using Target = int (*)(const uint8_t* data, size_t size);

struct NamedTarget {
  std::string_view name;  // the corpus / regressions folder name
  Target run;
};

// config::ParseDomainConfig on the bytes as domain.toml text.
int ConfigLoader(const uint8_t* data, size_t size);
// harness::LoadScenario on the bytes as a scenario file.
int ScenarioLoader(const uint8_t* data, size_t size);
// DecodeMessage on a broker entry and DecodeEventMessage on an event-store row
// whose fields are cut from the bytes.
int MessageDecoder(const uint8_t* data, size_t size);
// ParseDlqEntry (and DecodeDlqEntry) on a DLQ stream entry cut from the bytes.
int DlqEntryParser(const uint8_t* data, size_t size);
// harness::History::Parse on the bytes as JSON lines, then the checkers.
int HistoryReader(const uint8_t* data, size_t size);

// Every target, by its folder name.
const NamedTarget* Targets();
size_t TargetCount();

}  // namespace protean::fuzz
