#include "app/check_format.h"

#include <cstdlib>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "app/command_context.h"
#include "app/envelope.h"
#include "core/config/check_catalogue.h"

namespace protean::cli {
namespace {

using config::Finding;
using config::FindingLevel;
using nlohmann::json;

std::string Position(const Finding& f) {
  std::string out = f.file;
  if (f.line > 0) {
    out += ':' + std::to_string(f.line);
    if (f.column > 0) out += ':' + std::to_string(f.column);
  }
  return out;
}

// "key: message", or the message alone.
std::string KeyedMessage(const Finding& f) {
  return f.key_path.empty() ? f.message : f.key_path + ": " + f.message;
}

json Record(const Finding& f) {
  const config::CheckRuleMeta& meta = config::CheckRuleMetaOf(f.code);
  return json{
      {"code", f.code},         {"category", meta.category},
      {"element", f.key_path},  {"level", config::FindingLevelName(f.level)},
      {"message", f.message},   {"rule", {{"rationale", meta.rationale}, {"fix", meta.fix}}},
      {"suggestion", meta.fix}, {"key_path", f.key_path},
      {"file", f.file},         {"line", f.line},
      {"column", f.column},     {"location", Position(f)}};
}

// Protean's relpath(origin, GITHUB_WORKSPACE or cwd), with '/' separators.
std::string RelativeUri(const std::string& file, const std::string& base) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path abs = fs::absolute(file, ec).lexically_normal();
  if (ec) return file;
  const fs::path rel = abs.lexically_relative(fs::absolute(base, ec).lexically_normal());
  if (ec || rel.empty()) return abs.generic_string();
  return rel.generic_string();
}

// SARIF's result.level ("note" for info), or GitHub's workflow command
// ("notice" for info), as Protean's _SARIF_LEVEL / _GHA_LEVEL.
std::string_view LevelWord(FindingLevel level, bool sarif) {
  if (level == FindingLevel::kError) return "error";
  if (level == FindingLevel::kWarning) return "warning";
  return sarif ? "note" : "notice";
}

// @actions/core's escapeData (a message) and, with `property`, escapeProperty
// (a property value: ':' and ',' too).
std::string Escape(std::string_view text, bool property) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      case ':':
        out += property ? "%3A" : ":";
        break;
      case ',':
        out += property ? "%2C" : ",";
        break;
      default:
        out += c;
    }
  }
  return out;
}

json SarifRule(const std::string& code) {
  const config::CheckRuleMeta& meta = config::CheckRuleMetaOf(code);
  return json{{"id", code},
              {"shortDescription", {{"text", meta.meaning}}},
              {"fullDescription", {{"text", meta.rationale}}},
              {"help", {{"text", meta.fix}}},
              {"properties", {{"category", meta.category}}}};
}

json SarifResult(const Finding& f, const std::string& base) {
  json result{{"ruleId", f.code},
              {"level", LevelWord(f.level, true)},
              {"message", {{"text", KeyedMessage(f)}}},
              {"locations", json::array()}};
  if (!f.file.empty()) {
    json physical{{"artifactLocation", {{"uri", RelativeUri(f.file, base)}}}};
    if (f.line > 0) {
      physical["region"]["startLine"] = f.line;
      if (f.column > 0) physical["region"]["startColumn"] = f.column;
    }
    result["locations"].push_back(json{{"physicalLocation", std::move(physical)}});
  }
  return result;
}

}  // namespace

std::string_view FineStatus(int errors, int warnings, int infos, bool gates) {
  if (errors > 0) return "fail";
  if (warnings > 0) return "warn";
  if (infos > 0) return "info";
  return gates ? "fail" : "pass";
}

std::string CheckEnvelopeJson(const config::CheckReport& report, const std::string& load_error) {
  if (report.load_failed) return EnvelopeJson("error", json{{"error", load_error}});
  json errors = json::array();
  json diagnostics = json::array();
  for (const Finding& f : report.findings) {
    (f.level == FindingLevel::kError ? errors : diagnostics).push_back(Record(f));
  }
  const int n_errors = report.Count(FindingLevel::kError);
  const int n_warnings = report.Count(FindingLevel::kWarning);
  const int n_infos = report.Count(FindingLevel::kInfo);
  json data{{"domain", report.domain},
            {"env", report.env},
            {"status", FineStatus(n_errors, n_warnings, n_infos, false)},
            {"counts", {{"errors", n_errors}, {"warnings", n_warnings}, {"infos", n_infos}}},
            {"errors", std::move(errors)}};
  return EnvelopeJson(report.Status(), std::move(data), std::move(diagnostics));
}

std::string CheckSarif(const config::CheckReport& report, const std::string& base) {
  std::map<std::string, json> rules;  // by code: one descriptor each
  json results = json::array();
  for (const Finding& f : report.findings) {
    if (!rules.contains(f.code)) rules.emplace(f.code, SarifRule(f.code));
    results.push_back(SarifResult(f, base));
  }
  json driver_rules = json::array();
  for (auto& [code, rule] : rules) driver_rules.push_back(std::move(rule));
  json driver{{"name", "protean"}, {"version", kVersion}, {"rules", std::move(driver_rules)}};
  json run = json::object();
  run["tool"]["driver"] = std::move(driver);
  run["results"] = std::move(results);
  json sarif{{"version", "2.1.0"}, {"$schema", kSarifSchema}, {"runs", json::array()}};
  sarif["runs"].push_back(std::move(run));
  return sarif.dump(2, ' ', true) + "\n";
}

std::string CheckAnnotations(const config::CheckReport& report, const std::string& base) {
  std::string out;
  for (const Finding& f : report.findings) {
    std::string properties;
    const auto add = [&properties](std::string_view name, const std::string& value) {
      properties += (properties.empty() ? " " : ",") + std::string(name) + "=" + value;
    };
    if (!f.file.empty()) add("file", Escape(RelativeUri(f.file, base), true));
    if (f.line > 0) add("line", std::to_string(f.line));
    if (f.column > 0) add("col", std::to_string(f.column));
    add("title", Escape(f.code, true));
    out += "::" + std::string(LevelWord(f.level, false)) + properties +
           "::" + Escape("RULE [" + f.code + "] " + KeyedMessage(f), false) + "\n";
  }
  return out;
}

std::string CheckText(const config::CheckReport& report, FindingLevel level, bool quiet) {
  std::string out;
  int shown[3] = {0, 0, 0};
  for (const Finding& f : report.findings) {
    if (f.level < level) continue;
    ++shown[static_cast<int>(f.level)];
    if (quiet) continue;
    std::string position = Position(f);
    if (!position.empty()) out += position + ": ";
    out += std::string(config::FindingLevelName(f.level)) + " " + f.code;
    if (!f.key_path.empty()) out += " " + f.key_path;
    out += ": " + f.message + "\n";
  }
  const int errors = report.Count(FindingLevel::kError);  // errors are never hidden
  const bool gates = report.ExitCode() != kExitOk;
  out += report.domain + ": " + std::string(FineStatus(errors, shown[1], shown[0], gates)) +
         " (errors=" + std::to_string(errors) + ", warnings=" + std::to_string(shown[1]) +
         ", infos=" + std::to_string(shown[0]) + ")\n";
  return out;
}

std::string LocationBase() {
  const char* workspace = std::getenv("GITHUB_WORKSPACE");
  if (workspace != nullptr && *workspace != '\0') return workspace;
  std::error_code ec;
  std::filesystem::path cwd = std::filesystem::current_path(ec);
  return ec ? std::string(".") : cwd.string();
}

}  // namespace protean::cli
