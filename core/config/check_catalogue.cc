#include "core/config/check_catalogue.h"

#include <array>
#include <utility>

namespace protean::config {
namespace {

using Entry = std::pair<std::string_view, CheckRuleMeta>;

// Sorted by code only for reading; looked up linearly (a few dozen entries).
constexpr std::array kRules = {
    Entry{"CONFIG_INVALID_VALUE",
          {"configuration", "A configuration value is out of range, of the wrong type or refused.",
           "The server validates every key it reads before it starts and refuses a value it "
           "cannot honour, so a configuration that loads is one the server runs as written.",
           "Correct the value at the named key and line; the message gives the accepted range or "
           "form."}},
    Entry{"CONFIG_NOT_FOUND",
          {"configuration", "No domain.toml was found where --domain points.",
           "Every command reads the domain configuration; without one nothing can be checked.",
           "Point --domain at a domain.toml, or at a folder holding .domain.toml or domain.toml "
           "(looked for there and up to two parents)."}},
    Entry{"CONFIG_PARSE_ERROR",
          {"configuration", "domain.toml is not valid TOML.",
           "A file that does not parse cannot be loaded by the server either.",
           "Fix the TOML syntax at the named line and column."}},
    Entry{"CONFIG_UNKNOWN_PROVIDER",
          {"configuration", "A provider name this build has no adapter for.",
           "A provider that cannot be built would stop the server at start; a typo must never "
           "fall back to memory.",
           "Use one of the listed providers, or build protean with the adapter enabled."}},
    Entry{"CONFIG_UNRESOLVED_ENV_VAR",
          {"configuration", "A `${VAR}` reference in configuration resolves to no value.",
           "A `${VAR}` placeholder in configuration is substituted from the environment at load "
           "time; with the variable unset and no default given, it resolves to nothing.",
           "Set the environment variable in the runtime environment, or give the placeholder a "
           "default with `${VAR|default}`."}},
    Entry{"CONFIG_UNKNOWN_KEY",
          {"configuration", "A top-level key or table that no section reads.",
           "A misspelt key is silently ignored, and a misspelt section table would be taken for "
           "an environment overlay, so the setting the author meant never applies.",
           "Correct the spelling to the key it was meant to be, or remove it."}},
    Entry{"CONNECTION_BUDGET_EXCEEDED",
          {"persistence", "The workers' database pools exceed PostgreSQL's max_connections.",
           "Each worker process opens pool_size + max_overflow connections; beyond the server's "
           "max_connections (100 by default) new connections are refused under load.",
           "Lower pool_size or max_overflow, run fewer workers, or raise the database's "
           "max_connections."}},
    Entry{"CPP_HANDLER",
          {"handler_completeness", "A C++ handler registered by the server binary.",
           "The handlers of the binary are resolved as the server resolves them, so their "
           "streams and settings are checked too.",
           "Nothing to do: informational."}},
    Entry{"ENV_OVERLAY_MISSING",
          {"configuration", "The selected environment has no overlay table.",
           "PROTEAN_ENV (or --env) names an environment, but the file has no table of that "
           "name, so the base configuration applies unchanged.",
           "Add a [<env>] table with the environment's settings, or unset PROTEAN_ENV if the "
           "base configuration is meant."}},
    Entry{"EVENT_STORE_MULTI_WORKER",
          {"server", "An event-store subscription would run in several workers unpartitioned.",
           "Every worker reads the whole category, so each event is handled once per worker "
           "(Protean #1089).",
           "Partition the subscription with consumer_group_size equal to the worker count, or "
           "run one worker."}},
    Entry{"LOW_POOL_SIZE",
          {"persistence", "A database provider's pool_size is below the production default.",
           "A connection pool smaller than the production default starves concurrent requests "
           "under load, so operations queue or fail while waiting for a free connection.",
           "Raise the provider's `pool_size` to at least the production default for production "
           "workloads."}},
    Entry{"MEMORY_PROVIDER_IN_PRODUCTION",
          {"configuration", "A production environment still uses a memory adapter.",
           "Memory adapters lose everything when the process stops and are not shared between "
           "processes.",
           "Configure a durable provider (postgresql, redis, message_db) in the production "
           "overlay."}},
    Entry{"UNSUPPORTED_KEY",
          {"compatibility", "A key Protean reads that this engine accepts but does not implement.",
           "The key loads, so a Protean domain.toml runs unchanged, but the behaviour Protean "
           "attaches to it does not happen here.",
           "Remove the key, or accept the difference the message names."}},
    Entry{"WORKER_THREADS_LOW",
          {"server", "server.worker_threads is below the attempts the handlers run at once.",
           "Handler attempts and blocking adapter calls share the worker threads; too few make "
           "handlers wait for a thread rather than for work.",
           "Raise server.worker_threads to the handlers' summed concurrency + 2, or lower their "
           "concurrency."}},
};

constexpr CheckRuleMeta kGeneric = {
    "configuration", "A finding of protean check.",
    "protean check reports what the server would refuse or run differently from what the "
    "configuration says.",
    "See the message for what to change."};

}  // namespace

const CheckRuleMeta& CheckRuleMetaOf(std::string_view code) {
  for (const Entry& e : kRules) {
    if (e.first == code) return e.second;
  }
  return kGeneric;
}

bool HasCheckRuleMeta(std::string_view code) { return &CheckRuleMetaOf(code) != &kGeneric; }

}  // namespace protean::config
