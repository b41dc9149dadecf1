#pragma once
// `protean-harness run [PATH...] [--protean-env memory|test] [--seed S | --seeds N]
//                      [--filter GLOB] [--junit FILE] [--json FILE] [--history DIR]
//                      [--jobs N] [--report DIR] [--server-binary PATH] [--domain PATH]
//                      [--shard K/N]`
// The cases (scenario x seed, harness/case_shard.h) run on --jobs threads;
// progress on stderr, a summary table on stdout, JUnit / JSON / HTML reports
// when asked. Exit 0 passed (skips allowed), 1 a case failed, 2 usage, a load
// error or an unreachable service.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/handler_catalog.h"
#include "harness/case_shard.h"
#include "harness/scenario.h"

namespace CLI {
class App;
}  // namespace CLI

namespace protean::harness {

struct RunCommandOptions {
  std::vector<std::string> paths;
  std::string mode = "memory";
  std::optional<uint64_t> seed;
  std::optional<uint64_t> seeds;
  std::string filter;
  std::string junit;
  std::string json;
  std::string history_dir;
  int jobs = 1;
  std::string report_dir;
  std::string server_binary;
  std::string domain;              // --domain: the user's domain.toml under every scenario
  std::optional<CaseShard> shard;  // --shard K/N
  const HandlerCatalog* handlers = nullptr;  // the binary's C++ handlers (harness::Main)
  std::string program = "protean-harness";   // in replay commands: this binary's name
};

// Every scenario under `paths` whose suite/name matches the glob `filter`
// ("" = all), with `user` merged under each (may be null).
std::vector<Scenario> LoadScenarios(const std::vector<std::string>& paths,
                                    const std::string& filter, const UserDomain* user = nullptr);

int RunCommand(RunCommandOptions o);

// The `run` subcommand with its options stored into `o` (which must outlive `app`).
CLI::App* AddRunCommand(CLI::App& app, RunCommandOptions& o);

}  // namespace protean::harness
