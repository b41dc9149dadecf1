#include "harness/shrink.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include "core/config/configuration_error.h"
#include "harness/runner.h"
#include "harness/scenario.h"

namespace protean::harness {
namespace {

// One way of making the scenario smaller: `apply` edits a copy of the document
// and returns false when it does not apply to it.
struct Step {
  std::string what;
  std::function<bool(toml::table&)> apply;
};

toml::array* ArrayAt(toml::table& doc, const char* key) {
  toml::node* n = doc.get(key);
  return n != nullptr ? n->as_array() : nullptr;
}

toml::table* TableIn(toml::array& a, size_t i) { return i < a.size() ? a[i].as_table() : nullptr; }

// Keys whose values are times, counts or delays: halved, and [lo, hi] ranges
// pinned to one end.
const char* const kShrinkableKeys[] = {"count",    "at_ms",      "interval_ms", "duration_ms",
                                       "extra_ms", "latency_ms", "jump_ms",     "restart_after_ms",
                                       "calls",    "streams"};

// The [lo, hi] range or integer under `key` of `t`, made simpler: a range
// becomes its low end (`to_low`) or high end; an integer is halved (counts
// and `calls` stay >= 1).
bool Simplify(toml::table& t, const std::string& key, bool to_low) {
  toml::node* n = t.get(key);
  if (n == nullptr) return false;
  const bool at_least_one = key == "count" || key == "calls" || key == "streams";
  if (toml::array* a = n->as_array(); a != nullptr && a->size() == 2) {
    auto lo = (*a)[0].value_exact<int64_t>();
    auto hi = (*a)[1].value_exact<int64_t>();
    if (!lo || !hi) return false;
    t.insert_or_assign(key, to_low ? *lo : *hi);
    return true;
  }
  if (!to_low) return false;
  auto v = n->value_exact<int64_t>();
  const int64_t floor = at_least_one ? 1 : 0;
  if (!v || *v <= floor) return false;
  t.insert_or_assign(key, std::max(floor, *v / 2));
  return true;
}

void AddArraySteps(const toml::table& doc, const char* array_key, size_t keep_min,
                   std::vector<Step>* out) {
  const toml::node* n = doc.get(array_key);
  const toml::array* a = n != nullptr ? n->as_array() : nullptr;
  if (a == nullptr) return;
  const std::string name = array_key;
  for (size_t i = a->size(); i-- > 0;) {
    if (a->size() > keep_min) {
      out->push_back({"remove " + name + "[" + std::to_string(i) + "]", [name, i](toml::table& d) {
                        toml::array* arr = ArrayAt(d, name.c_str());
                        if (arr == nullptr || i >= arr->size()) return false;
                        arr->erase(arr->begin() + static_cast<std::ptrdiff_t>(i));
                        return true;
                      }});
    }
  }
  for (size_t i = 0; i < a->size(); ++i) {
    for (const char* key : kShrinkableKeys) {
      for (bool low : {true, false}) {
        const std::string k = key;
        out->push_back(
            {std::string(low ? "shrink " : "pin high ") + name + "[" + std::to_string(i) + "]." + k,
             [name, i, k, low](toml::table& d) {
               toml::array* arr = ArrayAt(d, name.c_str());
               toml::table* t = arr != nullptr ? TableIn(*arr, i) : nullptr;
               return t != nullptr && Simplify(*t, k, low);
             }});
      }
    }
  }
}

void AddTableSteps(const toml::table& doc, std::vector<Step>* out) {
  // Handlers: drop one (keeping one), simplify its script.
  if (const toml::table* hs = doc["handlers"].as_table()) {
    for (auto&& [key, node] : *hs) {
      const std::string h(key.str());
      if (hs->size() > 1) {
        out->push_back({"remove handler " + h, [h](toml::table& d) {
                          toml::table* t = d["handlers"].as_table();
                          return t != nullptr && t->erase(h) > 0;
                        }});
      }
      for (const char* k : {"fail_first", "duration_ms"}) {
        const std::string key_name = k;
        out->push_back({"shrink handlers." + h + "." + key_name, [h, key_name](toml::table& d) {
                          toml::table* t = d["handlers"][h].as_table();
                          return t != nullptr && Simplify(*t, key_name, true);
                        }});
      }
      for (const char* k : {"fail_types", "undecodable_types", "fail_probability", "duration_ms",
                            "record", "subscription_profile"}) {
        const std::string key_name = k;
        out->push_back({"drop handlers." + h + "." + key_name, [h, key_name](toml::table& d) {
                          toml::table* t = d["handlers"][h].as_table();
                          return t != nullptr && t->erase(key_name) > 0;
                        }});
      }
    }
  }
  // Instances: fewer.
  out->push_back({"fewer instances", [](toml::table& d) {
                    toml::table* t = d["instances"].as_table();
                    return t != nullptr && Simplify(*t, "count", true);
                  }});
  // Phases: shorter.
  for (const char* k : {"min_duration_ms", "converge_within_ms", "heal_at_ms"}) {
    const std::string key_name = k;
    out->push_back({"shrink phases." + key_name, [key_name](toml::table& d) {
                      toml::table* t = d["phases"].as_table();
                      return t != nullptr && Simplify(*t, key_name, true);
                    }});
  }
  // Expectations the failure does not need, and the description.
  if (const toml::table* ex = doc["expect"].as_table()) {
    for (auto&& [key, node] : *ex) {
      const std::string k(key.str());
      out->push_back({"drop expect." + k, [k](toml::table& d) {
                        toml::table* t = d["expect"].as_table();
                        return t != nullptr && t->erase(k) > 0;
                      }});
    }
  }
  out->push_back({"drop scenario.description", [](toml::table& d) {
                    toml::table* t = d["scenario"].as_table();
                    return t != nullptr && t->erase("description") > 0;
                  }});
}

// Coarse steps first: whole faults, workloads and handlers, then counts and
// times, then values.
std::vector<Step> StepsFor(const toml::table& doc) {
  std::vector<Step> out;
  AddArraySteps(doc, "faults", 0, &out);
  AddArraySteps(doc, "workload", 1, &out);
  AddTableSteps(doc, &out);
  return out;
}

std::string Serialize(const toml::table& doc) {
  std::ostringstream text;
  text << doc;
  return text.str();
}

std::set<std::string> FailingCheckers(const CaseResult& r) {
  std::set<std::string> out;
  for (const std::string& f : r.failures) out.insert(f.substr(0, f.find(':')));
  return out;
}

class Shrinker {
 public:
  Shrinker(const ShrinkOptions& o, std::ostream& log) : o_(o), log_(log) {
    dir_ = std::filesystem::temp_directory_path() / ("protean-shrink-" + std::to_string(getpid())) /
           o.file.parent_path().filename();
    std::filesystem::create_directories(dir_);
    candidate_ = dir_ / o.file.filename();
  }
  ~Shrinker() {
    std::error_code ec;
    std::filesystem::remove_all(dir_.parent_path(), ec);
  }

  // Runs `doc` (written as the scenario file) under the seed; nullopt when it
  // does not load or run.
  std::optional<CaseResult> Try(const toml::table& doc) {
    ++runs_;
    {
      std::ofstream out(candidate_, std::ios::binary | std::ios::trunc);
      out << Serialize(doc);
    }
    try {
      Scenario s = LoadScenario(candidate_);
      RunOptions ro;
      ro.seed = o_.seed;
      return RunScenario(s, ro).result;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  int64_t runs() const { return runs_; }

 private:
  const ShrinkOptions& o_;
  std::ostream& log_;
  std::filesystem::path dir_;
  std::filesystem::path candidate_;
  int64_t runs_ = 0;
};

std::string Intersect(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::string out;
  for (const std::string& x : a) {
    if (b.count(x) > 0) out += (out.empty() ? "" : ", ") + x;
  }
  return out;
}

}  // namespace

ShrinkResult Shrink(const ShrinkOptions& o, std::ostream& log) {
  ShrinkResult result;
  (void)LoadScenario(o.file);  // a load error is the caller's (exit 2)
  toml::table doc = toml::parse_file(o.file.string());
  Shrinker shrinker(o, log);
  std::optional<CaseResult> first = shrinker.Try(doc);
  if (!first || first->passed()) {
    result.runs = shrinker.runs();
    return result;
  }
  result.failed_originally = true;
  const std::set<std::string> want = FailingCheckers(*first);
  result.checkers.assign(want.begin(), want.end());
  std::string last_failure = first->failures.front();
  log << "shrink: " << o.file.string() << " seed=" << o.seed << " fails " << Intersect(want, want)
      << " (" << first->failures.size() << " violation(s))\n";
  bool progress = true;
  while (progress && shrinker.runs() < o.runs_max) {
    progress = false;
    for (const Step& step : StepsFor(doc)) {
      if (shrinker.runs() >= o.runs_max) break;
      toml::table next = doc;
      if (!step.apply(next)) continue;
      std::optional<CaseResult> r = shrinker.Try(next);
      if (!r || r->passed() || Intersect(FailingCheckers(*r), want).empty()) continue;
      doc = std::move(next);
      last_failure = r->failures.front();
      result.steps.push_back(step.what);
      log << "  kept: " << step.what << "\n";
      progress = true;
      break;  // the steps of the smaller document
    }
  }
  result.runs = shrinker.runs();
  result.first_failure = last_failure;
  result.written = o.out_dir / o.file.parent_path().filename() / o.file.filename();
  std::filesystem::create_directories(result.written.parent_path());
  std::ofstream out(result.written, std::ios::binary | std::ios::trunc);
  out << "# Shrunk by `protean-harness shrink " << o.file.string() << " --seed " << o.seed
      << "` in " << result.runs << " runs (" << result.steps.size() << " reductions).\n"
      << "# Still fails under seed " << o.seed << ": " << last_failure << "\n"
      << "# replay: protean-harness run " << result.written.string() << " --seed " << o.seed << "\n"
      << Serialize(doc) << "\n";
  return result;
}

void RegisterShrinkCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ShrinkOptions>();
  CLI::App* cmd = app.add_subcommand(
      "shrink",
      "reduce a failing scenario (memory mode, one seed) to a minimal one that still fails");
  cmd->add_option("file", options->file, "the failing scenario file")->required();
  cmd->add_option("--seed", options->seed, "the seed it fails under")->required();
  cmd->add_option("--out", options->out_dir, "write DIR/<suite>/<file> (default shrunk)");
  cmd->add_option("--runs-max", options->runs_max, "stop after this many runs (default 2000)")
      ->check(CLI::PositiveNumber);
  cmd->callback([options, exit_code] {
    try {
      ShrinkResult r = Shrink(*options, std::cerr);
      if (!r.failed_originally) {
        std::cerr << "shrink: " << options->file.string() << " passes under seed " << options->seed
                  << ": nothing to shrink\n";
        *exit_code = 1;
        return;
      }
      std::cout << "shrunk: " << r.written.string() << " (" << r.steps.size() << " reductions, "
                << r.runs << " runs; still fails: " << r.first_failure << ")\n"
                << "replay: protean-harness run " << r.written.string() << " --seed "
                << options->seed << "\n";
      *exit_code = 0;
    } catch (const config::ConfigurationError& e) {
      std::cerr << "protean-harness shrink: " << e.what() << "\n";
      *exit_code = 2;
    }
  });
}

}  // namespace protean::harness
