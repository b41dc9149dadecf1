#include "harness/scenario.h"

#include <algorithm>
#include <array>
#include <fstream>

#include "core/config/bounds.h"
#include "core/config/configuration_error.h"
#include "core/config/merge.h"
#include "core/config/table_reader.h"
#include "core/config/text_bounds.h"
#include "harness/checkers.h"
#include "harness/faults/fault_registry.h"

namespace protean::harness {
namespace {

using config::ConfigurationError;
using config::ErrorLocation;
using config::kConfigInvalidValue;
using config::TableReader;

// The tables of an array of tables `key` ([[workload]]), each with a reader.
std::vector<TableReader> ArrayOfTables(TableReader& r, std::string_view key) {
  std::vector<TableReader> out;
  const toml::node* n = r.Node(key);
  if (n == nullptr) return out;
  const toml::array* a = n->as_array();
  if (a == nullptr)
    r.Fail(key, kConfigInvalidValue, "expected an array of tables [[" + std::string(key) + "]]");
  for (size_t i = 0; i < a->size(); ++i) {
    const toml::table* t = (*a)[i].as_table();
    if (t == nullptr)
      r.Fail(key, kConfigInvalidValue, "item " + std::to_string(i) + " is not a table");
    out.emplace_back(*t, r.file(), r.KeyPath(key) + "[" + std::to_string(i) + "]");
  }
  return out;
}

// One payload's JSON text, checked to be a JSON object; `where` names it in
// the error.
std::optional<std::string> PayloadError(const std::string& text) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return "not valid JSON";
  if (!parsed.is_object()) return "a payload is a JSON object ({...})";
  return std::nullopt;
}

// payloads_file: JSON lines (blank lines skipped), relative to the scenario
// file; a bad line is an error naming the payload file and its line.
std::vector<std::string> ReadPayloadsFile(TableReader& r, const std::string& relative) {
  const std::filesystem::path path =
      std::filesystem::path(r.file()).parent_path() / std::filesystem::path(relative);
  std::ifstream in(path, std::ios::binary);
  if (!in) r.Fail("payloads_file", config::kConfigNotFound, "cannot read " + path.string());
  std::vector<std::string> out;
  std::string line;
  for (uint32_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (std::optional<std::string> error = PayloadError(line)) {
      throw ConfigurationError(kConfigInvalidValue, ErrorLocation{path.string(), "", n, 0},
                               *error + " (payloads_file of " + r.file() + ")");
    }
    out.push_back(line);
  }
  if (out.empty()) r.Fail("payloads_file", kConfigInvalidValue, path.string() + " has no payload");
  return out;
}

std::vector<std::string> ReadPayloads(TableReader& r) {
  std::optional<std::string> inline_payload = r.OptionalString("payload");
  std::optional<std::string> file = r.OptionalString("payloads_file");
  if (inline_payload && file) {
    r.Fail("payloads_file", kConfigInvalidValue, "give payload or payloads_file, not both");
  }
  if (file) return ReadPayloadsFile(r, *file);
  if (!inline_payload) return {};
  if (std::optional<std::string> error = PayloadError(*inline_payload)) {
    r.Fail("payload", kConfigInvalidValue, *error);
  }
  return {*inline_payload};
}

WorkloadItem ReadWorkload(TableReader& r) {
  WorkloadItem w;
  w.at_ms = ReadRange(r, "at_ms", IntRange{0, 0});
  w.stream = r.RequiredString("stream");
  static constexpr std::array<std::string_view, 2> kTargets = {"stream", "event_store"};
  w.event_store = r.Enum("target", "stream", kTargets) == "event_store";
  w.count = r.Int("count", 1, 1, 1000000);
  w.interval_ms = ReadRange(r, "interval_ms", IntRange{0, 0});
  w.type = r.String("type", "Event");
  w.streams = r.Int("streams", 1, 1, 100000);
  w.undecodable = r.Bool("undecodable", false);
  w.priority = r.OptionalInt("priority", -1000000, 1000000);
  w.payloads = ReadPayloads(r);
  if (w.undecodable && !w.payloads.empty()) {
    r.Fail("undecodable", kConfigInvalidValue, "an undecodable entry carries no payload");
  }
  if (w.event_store && w.undecodable) {
    r.Fail("undecodable", kConfigInvalidValue, "applies to target = \"stream\" only");
  }
  if (w.priority && (w.event_store || w.undecodable)) {
    r.Fail("priority", kConfigInvalidValue,
           "applies to decodable messages of target = \"stream\" only");
  }
  if (w.event_store && w.stream.find('-') != std::string::npos && w.streams > 1) {
    r.Fail("streams", kConfigInvalidValue, "with streams > 1, give a category (no '-') as stream");
  }
  if (w.event_store && w.streams == 1 && w.stream.find('-') == std::string::npos) {
    r.Fail("stream", kConfigInvalidValue,
           "an event-store stream is \"category-id\" (or give streams > 1 and a category)");
  }
  if (!w.event_store && w.streams != 1) {
    r.Fail("streams", kConfigInvalidValue, "applies to target = \"event_store\" only");
  }
  r.RejectUnknownKeys();
  return w;
}

// [[expect.outcomes]]: counts of one handler's (handler, message) pairs,
// optionally only those of one message type; the handler must be the
// scenario's.
nlohmann::ordered_json ReadOutcomes(TableReader& expect, const toml::table& handlers) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (TableReader& r : ArrayOfTables(expect, "outcomes")) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    const std::string handler = r.RequiredString("handler");
    if (!handlers.contains(handler)) {
      r.Fail("handler", kConfigInvalidValue, "no [handlers." + handler + "] in this scenario");
    }
    o["handler"] = handler;
    if (std::optional<std::string> type = r.OptionalString("type")) o["type"] = *type;
    for (const char* key : {"handled", "dead_lettered", "dropped"}) {
      if (r.Has(key)) o[key] = r.Int(key, 0, 0);
    }
    r.RejectUnknownKeys();
    out.push_back(std::move(o));
  }
  return out;
}

nlohmann::ordered_json ReadExpect(TableReader& r, const toml::table& handlers) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (r.Has("outcomes")) out["outcomes"] = ReadOutcomes(r, handlers);
  for (const std::string& key : ExpectKeys()) {
    if (!r.Has(key)) continue;
    if (key == "spread_min_fraction") {
      out[key] = r.Double(key, 0, config::DoubleRange{0, 1});
    } else {
      out[key] = r.Int(key, 0, 0);
    }
  }
  r.RejectUnknownKeys();
  return out;
}

toml::table TakeTable(toml::table& doc, TableReader& root, std::string_view key) {
  const toml::node* n = root.Node(key);
  if (n == nullptr) return toml::table();
  if (!n->is_table()) root.Fail(key, kConfigInvalidValue, "expected a table");
  return std::move(*doc.get_as<toml::table>(key));
}

}  // namespace

bool Scenario::RunsIn(const std::string& mode) const {
  return std::find(modes.begin(), modes.end(), mode) != modes.end();
}

bool Scenario::serial() const {
  return std::any_of(faults.begin(), faults.end(), [](const auto& f) { return f->serial(); });
}

Scenario LoadScenario(const std::filesystem::path& file, const UserDomain* user) {
  // The size and nesting bounds of domain.toml (core/config/text_bounds.h):
  // a 100,000-level dotted key used to overflow the stack of what walks it.
  toml::table doc = config::ParseTomlFile(file.string());
  Scenario s;
  s.file = file;
  s.suite = file.parent_path().filename().string();
  const std::string fname = file.string();
  TableReader root(doc, fname, "");
  TableReader meta = root.Table("scenario");
  s.name = meta.String("name", file.stem().string());
  s.description = meta.String("description", "");
  s.modes = meta.StringArray("modes");
  if (!meta.Has("modes")) s.modes = {"memory", "test"};
  for (const auto& m : s.modes) {
    if (m != "memory" && m != "test")
      meta.Fail("modes", kConfigInvalidValue,
                "modes are \"memory\" and \"test\", got \"" + m + "\"");
  }
  for (const char* key : {"differential", "differential_attempts"}) {
    if (!meta.Has(key)) continue;
    std::string reason = meta.String(key, "");
    if (reason.empty()) {
      meta.Fail(key, kConfigInvalidValue,
                "give the reason the memory and test runs cannot be compared");
    }
    (std::string_view(key) == "differential" ? s.differential_reason
                                             : s.differential_attempts_reason) = std::move(reason);
  }
  meta.RejectUnknownKeys();

  TableReader phases = root.Table("phases");
  s.heal_at_ms = phases.Int("heal_at_ms", 0, 0, config::kDurationMillisMax);
  s.converge_within_ms = phases.Int("converge_within_ms", 30000, 1, config::kDurationMillisMax);
  s.min_duration_ms = phases.Int("min_duration_ms", 0, 0, config::kDurationMillisMax);
  phases.RejectUnknownKeys();

  TableReader instances = root.Table("instances");
  s.instances = instances.Int("count", 1, 1, 64);
  s.partition_event_store = instances.Bool("partition_event_store", false);
  s.named_instances = instances.Bool("named", true);
  instances.RejectUnknownKeys();

  for (TableReader& w : ArrayOfTables(root, "workload")) s.workload.push_back(ReadWorkload(w));
  if (s.workload.empty())
    root.Fail("workload", kConfigInvalidValue, "a scenario needs at least one [[workload]]");
  s.domain = TakeTable(doc, root, "domain");
  s.handlers = TakeTable(doc, root, "handlers");
  s.user = user;
  if (user != nullptr) {
    toml::table domain = user->domain;
    config::DeepMerge(domain, std::move(s.domain));
    s.domain = std::move(domain);
    toml::table handlers = user->handlers;
    config::DeepMerge(handlers, std::move(s.handlers));
    s.handlers = std::move(handlers);
  }
  if (s.handlers.empty())
    root.Fail("handlers", kConfigInvalidValue, "a scenario needs at least one [handlers.<Name>]");
  FaultParseContext context{s.heal_at_ms, {}, s.instances};
  for (const auto& [name, node] : s.handlers) context.handlers.emplace_back(name.str());
  std::vector<TableReader> faults = ArrayOfTables(root, "faults");
  for (TableReader& f : faults) {
    const toml::node* kind = f.table().get("kind");
    if (kind != nullptr && kind->value_exact<std::string>() == "add_worker") ++context.instances;
  }
  for (TableReader& f : faults) s.faults.push_back(ParseFault(f, context));
  if (s.partition_event_store) {
    for (const auto& f : s.faults) {
      if (f->adds_instance()) {
        instances.Fail("partition_event_store", kConfigInvalidValue,
                       "cannot be combined with an " + std::string(f->name()) +
                           " fault: the partition count is fixed by instances.count");
      }
    }
  }
  TableReader expect = root.Table("expect");
  s.expect = ReadExpect(expect, s.handlers);
  root.RejectUnknownKeys();
  return s;
}

std::vector<std::filesystem::path> FindScenarioFiles(const std::vector<std::string>& paths) {
  std::vector<std::filesystem::path> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    const std::filesystem::path path(p);
    if (std::filesystem::is_regular_file(path, ec)) {
      files.push_back(path);
    } else if (std::filesystem::is_directory(path, ec)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(path)) {
        if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path());
      }
    } else {
      throw ConfigurationError(config::kConfigNotFound, ErrorLocation{p, "", 0, 0},
                               "no scenario file or folder at this path");
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

}  // namespace protean::harness
