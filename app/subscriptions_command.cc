#include "app/subscriptions_command.h"

#include <CLI/CLI.hpp>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "app/envelope.h"
#include "app/open_domain.h"
#include "app/subscription_status.h"
#include "app/text_table.h"

namespace protean::cli {
namespace {

struct StatusOptions {
  OpenOptions open;
  std::string env;
  bool json = false;
  std::string instance;
};

std::string Dash(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }

std::string StatusTable(const std::string& domain, const std::vector<SubscriptionStatusRow>& rows) {
  std::vector<std::vector<std::string>> cells = {
      {"Handler", "Type", "Stream", "Lag", "Lag (s)", "Pending", "DLQ", "Consumers", "Status"}};
  int64_t ok = 0, lagging = 0, unknown = 0, total_lag = 0;
  for (const SubscriptionStatusRow& r : rows) {
    char seconds[32] = "-";
    if (r.lag_seconds) std::snprintf(seconds, sizeof(seconds), "%.1f", *r.lag_seconds);
    cells.push_back({r.name, r.subscription_type, r.stream_category, Dash(r.lag), seconds,
                     std::to_string(r.pending), r.dlq_depth ? std::to_string(r.dlq_depth) : "-",
                     r.consumer_count ? std::to_string(r.consumer_count) : "-", r.status});
    ok += r.status == "ok";
    lagging += r.status == "lagging";
    unknown += r.status == "unknown";
    total_lag += r.lag.value_or(0);
  }
  std::string summary = std::to_string(rows.size()) + " subscription(s)";
  if (ok) summary += ", " + std::to_string(ok) + " ok";
  if (lagging) summary += ", " + std::to_string(lagging) + " lagging";
  if (unknown) summary += ", " + std::to_string(unknown) + " unknown";
  if (total_lag) summary += ", total lag: " + std::to_string(total_lag);
  return "Subscriptions \u2014 " + domain + "\n" +
         TextTable(cells, {false, false, false, true, true, true, true, true, false}) + "\n" +
         summary + "\n";
}

int RunStatus(StatusOptions o, std::ostream& out, std::ostream& err) {
  if (!o.env.empty()) o.open.env = o.env;
  o.open.scripted_handlers = true;
  std::optional<OpenedDomain> d = OpenDomain(o.open, err);
  if (!d) return kExitUsageOrLoadError;
  auto resolved = d->domain->ResolveSubscriptions();
  if (!resolved.ok()) {
    err << "protean: error: " << resolved.status().message() << "\n";
    return kExitUsageOrLoadError;
  }
  StatusSources sources;
  const EngineAdapters adapters = d->domain->adapters();
  sources.broker = adapters.broker("default");
  sources.broker_in_process =
      sources.broker != nullptr &&
      (sources.broker->provider() == "inline" || sources.broker->provider() == "memory");
  sources.event_store = adapters.event_store;
  sources.event_store_in_process =
      adapters.event_store != nullptr && adapters.event_store->provider() == "memory";
  sources.instance = o.instance;
  sources.priority_lanes = d->domain->config().server.priority_lanes;
  sources.now = d->clock->Now();
  const std::vector<SubscriptionStatusRow> rows = CollectSubscriptionStatuses(*resolved, sources);
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const SubscriptionStatusRow& r : rows) list.push_back(StatusRowJson(r));
    out << EnvelopeJson("pass", {{"subscriptions", std::move(list)}});
    return kExitOk;
  }
  if (rows.empty()) {
    out << "No subscriptions found in domain.\n";
    return kExitOk;
  }
  out << StatusTable(d->domain->config().source_file, rows);
  for (const SubscriptionStatusRow& r : rows) {
    if (!r.note.empty()) err << "protean: note: " << r.name << ": " << r.note << "\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterSubscriptionsCommand(CLI::App& app, CommandContext& context) {
  CLI::App* subs = app.add_subcommand("subscriptions", "monitor subscription lag and health");
  subs->require_subcommand(1);
  auto o = std::make_shared<StatusOptions>();
  CLI::App* status = subs->add_subcommand(
      "status", "lag, pending, DLQ depth and status of every subscription (no engine needed)");
  o->open.cpp = &context.handlers;
  status->add_option("-d,--domain", o->open.domain_path, "domain.toml file or folder (default .)");
  status->add_option("--env", o->env, "environment overlay (overrides PROTEAN_ENV)");
  status->add_flag("--json", o->json, "Protean's JSON envelope instead of the table");
  status->add_option("--instance", o->instance,
                     "event-store positions of this named instance (protean server --instance)");
  status->callback([o, &context] { context.exit_code = RunStatus(*o, context.out, context.err); });
}

}  // namespace protean::cli
