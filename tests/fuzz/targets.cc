#include "tests/fuzz/targets.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/broker.h"
#include "core/config/configuration_error.h"
#include "core/config/domain_config.h"
#include "core/engine/internal/envelope.h"
#include "core/engine/message.h"
#include "core/internal/py_json.h"
#include "harness/checkers.h"
#include "harness/history.h"
#include "harness/scenario.h"

namespace protean::fuzz {
namespace {

std::string_view Text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits the bytes at '\x01' into pieces: the fields of an entry are
// (name, value) pairs of consecutive pieces.
std::vector<std::string> Pieces(std::string_view text, size_t max) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (out.size() < max) {
    const size_t cut = text.find('\x01', pos);
    out.emplace_back(text.substr(pos, cut == std::string_view::npos ? cut : cut - pos));
    if (cut == std::string_view::npos) break;
    pos = cut + 1;
  }
  return out;
}

Fields ToFields(const std::vector<std::string>& pieces, size_t from) {
  Fields fields;
  for (size_t i = from; i + 1 < pieces.size(); i += 2)
    fields.emplace_back(pieces[i], pieces[i + 1]);
  return fields;
}

// A per-process file the scenario loader reads (it takes a path).
const std::filesystem::path& ScratchFile() {
  static const std::filesystem::path path = [] {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("protean-fuzz-" + std::to_string(getpid())) / "fuzz";
    std::filesystem::create_directories(dir);
    return dir / "scenario.toml";
  }();
  return path;
}

}  // namespace

int ConfigLoader(const uint8_t* data, size_t size) {
  config::LoadOptions options;
  options.env = "test";
  options.env_lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SET") return std::string("value");
    return std::nullopt;
  };
  try {
    config::DomainConfig c = config::ParseDomainConfig(Text(data, size), "fuzz.toml", options);
    (void)c;
  } catch (const config::ConfigurationError&) {
  }
  return 0;
}

int ScenarioLoader(const uint8_t* data, size_t size) {
  {
    std::ofstream out(ScratchFile(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    harness::Scenario s = harness::LoadScenario(ScratchFile());
    (void)s;
  } catch (const config::ConfigurationError&) {
  }
  return 0;
}

// The envelope's fast path answers only what the general path answers
// (core/engine/envelope_scan.cc): a disagreement is a crash the fuzzer keeps.
void CheckFastPathAgrees(std::string_view text) {
  MessageMetadata fast_meta;
  std::string fast_payload;
  if (!envelope_internal::ScanEnvelope(text, &fast_meta, &fast_payload)) return;
  MessageMetadata meta;
  std::string payload;
  const Status general = envelope_internal::ReadEnvelopeText(text, &meta, &payload);
  if (!general.ok() || !(fast_meta == meta) || fast_payload != payload) {
    std::fprintf(stderr, "fast path disagrees (%s) on: %.*s\n", general.ToString().c_str(),
                 static_cast<int>(text.size()), text.data());
    std::abort();
  }
}

// DumpSortedPlain answers only what Parse and DumpSorted answer (the payload
// checksum's fast path, core/internal/py_json_canonical.cc).
void CheckPlainDumpAgrees(std::string_view text) {
  std::string plain;
  if (!py_json::DumpSortedPlain(text, &plain)) return;
  Result<py_json::Value> v = py_json::Parse(text);
  if (!v.ok() || py_json::DumpSorted(*v) != plain) {
    std::fprintf(stderr, "plain dump disagrees (%s) on: %.*s\n", v.status().ToString().c_str(),
                 static_cast<int>(text.size()), text.data());
    std::abort();
  }
}

int MessageDecoder(const uint8_t* data, size_t size) {
  const std::vector<std::string> p = Pieces(Text(data, size), 64);
  for (const std::string& piece : p) {  // each field value
    CheckFastPathAgrees(piece);
    CheckPlainDumpAgrees(piece);
  }
  StreamEntry entry;
  entry.id = p.empty() ? "" : p[0];
  entry.fields = ToFields(p, 1);
  entry.delivery_count = static_cast<int64_t>(size % 7);
  (void)DecodeMessage("orders", entry);
  EventMessage row;
  row.id = p.size() > 0 ? p[0] : "";
  row.type = p.size() > 1 ? p[1] : "";
  row.stream_name = p.size() > 2 ? p[2] : "account-1";
  row.data = p.size() > 3 ? p[3] : "";
  row.metadata = p.size() > 4 ? p[4] : "";
  row.global_position = static_cast<int64_t>(size);
  (void)DecodeEventMessage(row);
  return 0;
}

int DlqEntryParser(const uint8_t* data, size_t size) {
  const std::vector<std::string> p = Pieces(Text(data, size), 64);
  StreamEntry entry;
  entry.id = p.empty() ? "" : p[0];
  entry.fields = ToFields(p, 1);
  entry.deleted = size > 0 && data[0] == 'D';
  DlqEntry e = ParseDlqEntry("orders:dlq", entry);
  (void)e;
  (void)DecodeDlqEntry("orders:dlq", entry);
  return 0;
}

int HistoryReader(const uint8_t* data, size_t size) {
  Result<harness::History> h = harness::History::Parse(Text(data, size));
  if (!h.ok()) return 0;
  (void)h->Serialize();
  // The checkers read any parsed history, whatever it holds.
  for (const harness::CheckResult& r : harness::RunCheckers(*h)) (void)r;
  return 0;
}

const NamedTarget* Targets() {
  static const NamedTarget kTargets[] = {
      {"config_loader", ConfigLoader},     {"scenario_loader", ScenarioLoader},
      {"message_decoder", MessageDecoder}, {"dlq_entry", DlqEntryParser},
      {"history_reader", HistoryReader},
  };
  return kTargets;
}

size_t TargetCount() { return 5; }

}  // namespace protean::fuzz
