#include "app/dlq_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <limits>

#include <nlohmann/json.hpp>

#include "app/dlq_render.h"
#include "app/envelope.h"
#include "app/open_domain.h"
#include "core/config/priority_lanes.h"
#include "core/dlq_order.h"

namespace protean::cli {
namespace {

struct DlqOptions {
  OpenOptions open;
  std::string env;
  std::string subscription;
  size_t limit = 100;
  std::string id;
  bool yes = false;
  std::string format = "text";
};

// What one run needs: the broker and the DLQ streams it searches.
struct DlqScope {
  Broker* broker = nullptr;
  std::vector<std::string> dlq_streams;
};

bool Confirm(const std::string& what, bool yes, std::ostream& out) {
  if (yes) return true;
  out << what << " [y/N] ";
  out.flush();
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

// Not found and ambiguous ids exit 1 (Protean's Abort), anything else 2.
int Fail(const Status& st, std::ostream& err) {
  const bool findings =
      st.code() == StatusCode::kNotFound || st.code() == StatusCode::kInvalidArgument;
  err << "protean: error: " << (findings ? st.message() : st.ToString()) << "\n";
  return findings ? kExitFindings : kExitUsageOrLoadError;
}

// Protean's _resolve_dlq_streams: every handler's `{stream}:dlq` (and its
// backfill lane's DLQ when [server.priority_lanes] is enabled) in handler
// order, each once; or, with --subscription, that stream's, which must be a
// handler's stream ("No subscription found ..." otherwise, exit 1).
std::optional<int> Resolve(const Domain& domain, const std::string& subscription, DlqScope& scope,
                           std::ostream& err) {
  const auto add = [&scope](const std::string& dlq) {
    if (std::find(scope.dlq_streams.begin(), scope.dlq_streams.end(), dlq) ==
        scope.dlq_streams.end()) {
      scope.dlq_streams.push_back(dlq);
    }
  };
  for (const auto& h : domain.handlers()) {
    if (!subscription.empty() && h->stream != subscription) continue;
    add(DlqStreamName(h->stream));
    if (auto backfill = config::BackfillDlqStream(domain.config(), h->stream)) add(*backfill);
  }
  if (!subscription.empty() && scope.dlq_streams.empty()) {
    err << "protean: error: No subscription found for stream category '" << subscription << "'.\n";
    return kExitFindings;
  }
  return std::nullopt;
}

// Every entry of every DLQ in scope, newest failure first, at most `limit` in
// all (Protean's dlq_list). A DLQ that cannot be read is said on `err` and
// skipped, unless the broker is unreachable.
Result<std::vector<DlqEntry>> ListAll(const DlqScope& scope, size_t limit, std::ostream& err) {
  std::vector<DlqEntry> all;
  for (const std::string& dlq : scope.dlq_streams) {
    auto list = scope.broker->DlqList(dlq, std::numeric_limits<size_t>::max());
    if (!list.ok()) {
      if (list.status().code() == StatusCode::kUnavailable) return list.status();
      err << "protean: warning: " << dlq << " skipped: " << list.status().ToString() << "\n";
      continue;
    }
    for (DlqEntry& e : *list) all.push_back(std::move(e));
  }
  std::stable_sort(all.begin(), all.end(), DlqNewerFirst);
  if (all.size() > limit) all.resize(limit);
  return all;
}

// The entry `id` in the DLQ of scope that holds it; kNotFound naming it as
// Protean does when none does. DLQ ids are per stream, so two DLQs may hold
// the same id: Protean takes the first, which could replay the wrong
// message; here that is refused (kInvalidArgument, exit 1)
// naming the DLQs, and --subscription picks one.
Result<DlqEntry> Find(const DlqScope& scope, const std::string& id) {
  std::vector<DlqEntry> found;
  for (const std::string& dlq : scope.dlq_streams) {
    auto e = scope.broker->DlqInspect(dlq, id);
    if (e.ok()) {
      found.push_back(std::move(e).value());
    } else if (e.status().code() != StatusCode::kNotFound) {
      return e.status();
    }
  }
  if (found.empty()) return Status::NotFound("DLQ message '" + id + "' not found.");
  if (found.size() > 1) {
    std::string where;
    for (const DlqEntry& e : found) where += (where.empty() ? "" : ", ") + e.dlq_stream;
    return Status::InvalidArgument("DLQ message '" + id + "' is in several DLQs (" + where +
                                   "): name one with --subscription");
  }
  return std::move(found.front());
}

int List(const DlqOptions& o, const DlqScope& scope, std::ostream& out, std::ostream& err) {
  if (scope.dlq_streams.empty()) {
    if (o.format == "json") {
      out << EnvelopeJson("pass", {{"messages", nlohmann::json::array()}, {"count", 0}});
    } else {
      out << "No subscriptions found in domain.\n";
    }
    return kExitOk;
  }
  auto entries = ListAll(scope, o.limit, err);
  if (!entries.ok()) return Fail(entries.status(), err);
  if (o.format == "json") {
    nlohmann::json messages = nlohmann::json::array();
    for (const DlqEntry& e : *entries) messages.push_back(DlqEntryJson(e));
    out << EnvelopeJson("pass", {{"messages", std::move(messages)}, {"count", entries->size()}});
  } else if (entries->empty()) {
    out << "No DLQ messages found.\n";
  } else {
    out << DlqTable(*entries);
  }
  return kExitOk;
}

int InspectOrReplay(const std::string& action, const DlqOptions& o, const DlqScope& scope,
                    std::ostream& out, std::ostream& err) {
  auto e = Find(scope, o.id);
  if (!e.ok()) return Fail(e.status(), err);
  if (action == "inspect") {
    out << (o.format == "json" ? EnvelopeJson("pass", {{"message", DlqEntryJson(*e)}})
                               : DlqInspectText(*e));
    return kExitOk;
  }
  auto id = scope.broker->DlqReplay(e->dlq_stream, o.id);
  if (!id.ok()) {
    err << "protean: error: Failed to replay message '" << o.id << "': " << id.status().ToString()
        << "\n";
    return id.status().code() == StatusCode::kInvalidArgument ? kExitFindings
                                                              : kExitUsageOrLoadError;
  }
  const std::string& target = e->metadata.original_stream;
  if (o.format == "json") {
    out << EnvelopeJson("pass", {{"dlq_id", o.id}, {"stream", target}, {"new_id", *id}});
  } else {
    out << "Replayed message '" << o.id << "' to stream '" << target << "'.\n";
  }
  return kExitOk;
}

// replay-all and purge: every DLQ of the subscription, after confirmation.
int Bulk(const std::string& action, const DlqOptions& o, const DlqScope& scope, std::ostream& out,
         std::ostream& err) {
  const std::string question =
      action == "purge" ? "Purge all DLQ messages for subscription '" + o.subscription +
                              "'? This cannot be undone."
                        : "Replay all DLQ messages for subscription '" + o.subscription + "'?";
  if (!Confirm(question, o.yes, out)) {
    err << "protean: " << action << " not confirmed; nothing changed (use -y)\n";
    return kExitFindings;
  }
  int64_t total = 0;
  for (const std::string& dlq : scope.dlq_streams) {
    auto n = action == "purge" ? scope.broker->DlqPurge(dlq) : scope.broker->DlqReplayAll(dlq);
    if (!n.ok()) return Fail(n.status(), err);
    total += *n;
  }
  if (action == "purge") {
    out << "Purged " << total << " message(s) from DLQ.\n";
  } else {
    out << "Replayed " << total << " message(s) to stream '" << o.subscription << "'.\n";
  }
  return kExitOk;
}

int Run(const std::string& action, DlqOptions o, std::ostream& out, std::ostream& err) {
  if (!o.env.empty()) o.open.env = o.env;
  o.open.scripted_handlers = true;  // the DLQs are those of the handlers' streams
  std::optional<OpenedDomain> d = OpenDomain(o.open, err);
  if (!d) return kExitUsageOrLoadError;
  DlqScope scope;
  scope.broker = d->domain->adapters().broker("default");
  if (scope.broker == nullptr || !scope.broker->capabilities().dlq) {
    err << "protean: error: Configured broker does not support dead letter queues "
           "(brokers.default: "
        << (scope.broker ? scope.broker->provider() : "none") << ")\n";
    return kExitUsageOrLoadError;
  }
  if (std::optional<int> code = Resolve(*d->domain, o.subscription, scope, err)) return *code;
  if (action == "list") return List(o, scope, out, err);
  if (action == "inspect" || action == "replay") return InspectOrReplay(action, o, scope, out, err);
  return Bulk(action, o, scope, out, err);
}

}  // namespace

void RegisterDlqCommand(CLI::App& app, CommandContext& context) {
  CLI::App* dlq = app.add_subcommand("dlq", "inspect and replay dead-letter queues");
  dlq->require_subcommand(1);
  for (const char* action : {"list", "inspect", "replay", "replay-all", "purge"}) {
    auto o = std::make_shared<DlqOptions>();
    CLI::App* cmd = dlq->add_subcommand(action, std::string("dlq ") + action);
    o->open.cpp = &context.handlers;  // the DLQs of C++ handlers' streams too
    cmd->add_option("-d,--domain", o->open.domain_path, "domain.toml file or folder (default .)");
    cmd->add_option("--env", o->env, "environment overlay (overrides PROTEAN_ENV)");
    const std::string a = action;
    const bool bulk = a == "replay-all" || a == "purge";
    CLI::Option* sub = cmd->add_option("--subscription", o->subscription,
                                       bulk ? "the stream whose DLQ to use (required)"
                                            : "the stream whose DLQ to use (default: every DLQ)");
    if (bulk) {
      sub->required();
      cmd->add_flag("-y,--yes", o->yes, "do not ask");
    }
    if (a == "list") {
      cmd->add_option("--limit", o->limit, "at most this many in all, newest first (default 100)");
    }
    if (!bulk) {
      cmd->add_option("--format", o->format, "text | json")->check(CLI::IsMember({"text", "json"}));
    }
    if (a == "inspect" || a == "replay")
      cmd->add_option("id", o->id, "the DLQ entry id")->required();
    cmd->callback([o, a, &context] { context.exit_code = Run(a, *o, context.out, context.err); });
  }
}

}  // namespace protean::cli
