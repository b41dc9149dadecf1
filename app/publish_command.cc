#include "app/publish_command.h"

#include <random>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/open_domain.h"
#include "core/config/priority_lanes.h"
#include "core/engine/message.h"
#include "core/runtime/prng.h"

namespace protean::cli {
namespace {

struct PublishOptions {
  OpenOptions open;
  std::string env;
  std::string stream;
  std::string type;
  std::string data = "{}";
  std::string id;
  bool event_store = false;
  // metadata.domain.priority (Protean's Priority, utils/processing.py: BULK
  // -100, LOW -50, NORMAL 0, HIGH 50, CRITICAL 100); nullopt: 0.
  std::optional<int64_t> priority;
};

// The broker stream a message goes to: with [server.priority_lanes]
// enabled, a priority strictly below the threshold goes to the backfill
// lane, as Protean's outbox processor routes it (outbox_processor.py:637-645).
std::string Route(const PublishOptions& o, const config::PriorityLanesConfig& lanes) {
  return config::LaneStream(lanes, o.stream, o.priority.value_or(0));
}

// Where it was written: "entry ID" (broker) or "position N" (its position in
// the event-store stream).
Result<std::string> Send(const PublishOptions& o, const std::string& stream,
                         const EngineAdapters& adapters) {
  if (o.event_store) {
    if (adapters.event_store == nullptr) return Status::InvalidArgument("no event store");
    NewEventMessage m;
    m.id = o.id;
    m.stream_name = o.stream;
    m.type = o.type;
    m.data = o.data;
    Result<int64_t> position = adapters.event_store->Write(m, std::nullopt);
    if (!position.ok()) {
      return Status(position.status().code(), "event_store: " + position.status().ToString());
    }
    return "position " + std::to_string(*position);
  }
  Broker* broker = adapters.broker("default");
  if (broker == nullptr) return Status::InvalidArgument("no [brokers.default]");
  MessageMetadata meta;
  meta.id = o.id;
  meta.type = o.type;
  meta.kind = "EVENT";
  meta.priority = o.priority.value_or(0);
  Result<Fields> fields = EncodeMessageFields(meta, o.data);
  if (!fields.ok()) return fields.status();
  Result<std::string> entry = broker->Publish(stream, *fields);
  if (!entry.ok()) {
    return Status(entry.status().code(), "brokers.default: " + entry.status().ToString());
  }
  return "entry " + *entry;
}

int RunPublish(PublishOptions o, std::ostream& out, std::ostream& err) {
  const nlohmann::json payload = nlohmann::json::parse(o.data, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) {
    err << "protean publish: error: --data: expected a JSON object, got " << o.data << "\n";
    return kExitUsageOrLoadError;
  }
  if (o.event_store && o.stream.find('-') == std::string::npos) {
    err << "protean publish: error: --stream " << o.stream
        << ": an event-store stream is \"category-id\"\n";
    return kExitUsageOrLoadError;
  }
  if (o.event_store && o.priority) {
    err << "protean publish: error: --priority: only for broker streams (priority lanes)\n";
    return kExitUsageOrLoadError;
  }
  if (o.id.empty()) o.id = Prng(std::random_device{}()).Uuid();
  if (!o.env.empty()) o.open.env = o.env;
  std::optional<OpenedDomain> d = OpenDomain(o.open, err);
  if (!d) return kExitUsageOrLoadError;
  const std::string stream =
      o.event_store ? o.stream : Route(o, d->domain->config().server.priority_lanes);
  Result<std::string> entry = Send(o, stream, d->domain->adapters());
  d->domain->Close();
  if (!entry.ok()) {
    err << "protean publish: error: " << entry.status().message() << "\n";
    return kExitUsageOrLoadError;
  }
  out << "published " << o.id << " to " << stream << " (" << *entry << ")\n";
  return kExitOk;
}

}  // namespace

void RegisterPublishCommand(CLI::App& app, CommandContext& context) {
  auto o = std::make_shared<PublishOptions>();
  CLI::App* cmd = app.add_subcommand("publish", "publish one message (Protean's envelope)");
  cmd->add_option("--domain", o->open.domain_path, "domain.toml file or folder (default .)");
  cmd->add_option("--env", o->env, "environment overlay (overrides PROTEAN_ENV)");
  cmd->add_option("--stream", o->stream, "broker stream, or event-store stream with --event-store")
      ->required();
  cmd->add_option("--type", o->type, "message type")->required();
  cmd->add_option("--data", o->data, "the payload, a JSON object (default {})");
  cmd->add_option("--id", o->id, "message id (default: a random UUID)");
  cmd->add_option("--priority", o->priority,
                  "metadata.domain.priority (default 0); with [server.priority_lanes] enabled, "
                  "below its threshold the message goes to {stream}:{backfill_suffix}");
  cmd->add_flag("--event-store", o->event_store, "write to the event store");
  cmd->callback([o, &context] { context.exit_code = RunPublish(*o, context.out, context.err); });
}

}  // namespace protean::cli
