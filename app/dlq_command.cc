#include "app/dlq_command.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "app/open_domain.h"

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

nlohmann::ordered_json EntryJson(const DlqEntry& e) {
  nlohmann::ordered_json fields = nlohmann::ordered_json::object();
  for (const auto& [k, v] : e.fields) fields[k] = v;
  const DlqMetadata& m = e.metadata;
  return {{"dlq_stream", e.dlq_stream},
          {"dlq_id", e.dlq_id},
          {"original_stream", m.original_stream},
          {"original_id", m.original_id},
          {"consumer_group", m.consumer_group},
          {"consumer", m.consumer},
          {"first_failure", FormatTime(m.first_failure)},
          {"last_failure", FormatTime(m.last_failure)},
          {"attempts", m.attempts},
          {"reason", m.reason.empty() ? "unknown" : m.reason},
          {"fields", fields}};
}

bool Confirm(const std::string& what, bool yes, std::ostream& out) {
  if (yes) return true;
  out << what << " [y/N] ";
  out.flush();
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

int Run(const std::string& action, DlqOptions o, std::ostream& out, std::ostream& err) {
  if (!o.env.empty()) o.open.env = o.env;
  o.open.scripted_handlers = action == "list" && o.subscription.empty();
  std::optional<OpenedDomain> d = OpenDomain(o.open, err);
  if (!d) return kExitUsageOrLoadError;
  Broker* broker = d->domain->adapters().broker("default");
  if (broker == nullptr || !broker->capabilities().dlq) {
    err << "protean: error: brokers.default (" << (broker ? broker->provider() : "none")
        << ") has no dead-letter queues\n";
    return kExitUsageOrLoadError;
  }
  if (action != "list" && o.subscription.empty()) {
    err << "protean: error: --subscription is required for dlq " << action << "\n";
    return kExitUsageOrLoadError;
  }
  const std::string dlq = DlqStreamName(o.subscription);
  auto fail = [&](const Status& st) {
    err << "protean: error: " << st.ToString() << "\n";
    return st.code() == StatusCode::kNotFound ? kExitFindings : kExitUsageOrLoadError;
  };
  if (action == "list") {
    std::set<std::string> streams;
    if (!o.subscription.empty()) streams.insert(o.subscription);
    for (const auto& h : d->domain->handlers()) streams.insert(h->stream);
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const std::string& s : streams) {
      auto list = broker->DlqList(DlqStreamName(s), o.limit);
      if (!list.ok()) return fail(list.status());
      for (const DlqEntry& e : *list) {
        if (o.format == "json") {
          all.push_back(EntryJson(e));
        } else {
          out << e.dlq_stream << " " << e.dlq_id << " " << e.metadata.original_stream << "/"
              << e.metadata.original_id << " attempts=" << e.metadata.attempts
              << " last_failure=" << FormatTime(e.metadata.last_failure)
              << " reason=" << (e.metadata.reason.empty() ? "unknown" : e.metadata.reason) << "\n";
        }
      }
    }
    if (o.format == "json") out << all.dump(2) << "\n";
    return kExitOk;
  }
  if (action == "inspect") {
    auto e = broker->DlqInspect(dlq, o.id);
    if (!e.ok()) return fail(e.status());
    out << EntryJson(*e).dump(2) << "\n";
    return kExitOk;
  }
  if (action == "replay") {
    auto id = broker->DlqReplay(dlq, o.id);
    if (!id.ok()) return fail(id.status());
    out << "replayed " << o.id << " to " << o.subscription << " as " << *id << "\n";
    return kExitOk;
  }
  auto depth = broker->DlqDepth(dlq);
  if (!depth.ok()) return fail(depth.status());
  if (!Confirm(action + " " + std::to_string(*depth) + " message(s) of " + dlq + "?", o.yes, out)) {
    err << "protean: " << action << " not confirmed; nothing changed (use -y)\n";
    return kExitFindings;
  }
  auto n = action == "purge" ? broker->DlqPurge(dlq) : broker->DlqReplayAll(dlq);
  if (!n.ok()) return fail(n.status());
  out << (action == "purge" ? "purged " : "replayed ") << *n << " message(s) of " << dlq << "\n";
  return kExitOk;
}

}  // namespace

void RegisterDlqCommand(CLI::App& app, CommandContext& context) {
  CLI::App* dlq = app.add_subcommand("dlq", "inspect and replay dead-letter queues");
  dlq->require_subcommand(1);
  for (const char* action : {"list", "inspect", "replay", "replay-all", "purge"}) {
    auto o = std::make_shared<DlqOptions>();
    CLI::App* cmd = dlq->add_subcommand(action, std::string("dlq ") + action);
    o->open.cpp = &context.handlers;  // `list` finds the DLQs of C++ handlers' streams too
    cmd->add_option("--domain", o->open.domain_path, "domain.toml file or folder (default .)");
    cmd->add_option("--env", o->env, "environment overlay (overrides PROTEAN_ENV)");
    cmd->add_option("--subscription", o->subscription, "the stream whose DLQ to use");
    const std::string a = action;
    if (a == "list") {
      cmd->add_option("--limit", o->limit, "at most this many per DLQ (default 100)");
      cmd->add_option("--format", o->format, "text | json")->check(CLI::IsMember({"text", "json"}));
    }
    if (a == "inspect" || a == "replay")
      cmd->add_option("id", o->id, "the DLQ entry id")->required();
    if (a == "replay-all" || a == "purge") cmd->add_flag("-y,--yes", o->yes, "do not ask");
    cmd->callback([o, a, &context] { context.exit_code = Run(a, *o, context.out, context.err); });
  }
}

}  // namespace protean::cli
