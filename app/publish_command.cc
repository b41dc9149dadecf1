#include "app/publish_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/open_domain.h"
#include "app/publish_request.h"
#include "core/runtime/prng.h"

namespace protean::cli {
namespace {

struct PublishOptions {
  OpenOptions open;
  std::string env;
  PublishRequest flags;  // --stream, --type, --data, --id, --event-store
  bool data_given = false;
  std::string file;   // --file ("-": stdin)
  std::string inbox;  // --inbox
};

// The messages to publish, or nullopt after reporting the first bad one.
std::optional<std::vector<PublishRequest>> Requests(const PublishOptions& o, std::ostream& err) {
  std::vector<PublishRequest> out;
  if (o.file.empty()) {
    Status st = ValidatePublishRequest(o.flags);
    if (!st.ok()) {
      err << "protean publish: error: " << st.message() << "\n";
      return std::nullopt;
    }
    out.push_back(o.flags);
    return out;
  }
  if (o.data_given || !o.flags.id.empty()) {
    err << "protean publish: error: --file: --data and --id are per line in the file\n";
    return std::nullopt;
  }
  std::ifstream opened;
  if (o.file != "-") {
    opened.open(o.file);
    if (!opened) {
      err << "protean publish: error: --file " << o.file
          << ": cannot open: " << std::strerror(errno) << "\n";
      return std::nullopt;
    }
  }
  std::istream& in = o.file == "-" ? std::cin : opened;
  const std::string name = o.file == "-" ? "<stdin>" : o.file;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Result<PublishRequest> r = ParsePublishLine(line, o.flags);
    if (!r.ok()) {
      err << "protean publish: error: " << name << ":" << number << ": " << r.status().message()
          << "\n";
      return std::nullopt;
    }
    out.push_back(std::move(*r));
  }
  if (out.empty()) {
    err << "protean publish: error: " << name << ": no messages\n";
    return std::nullopt;
  }
  return out;
}

// Appends every line in one write, so a server following the inbox never
// reads half of them.
int AppendToInbox(const std::vector<PublishRequest>& requests, const std::string& path,
                  std::ostream& out, std::ostream& err) {
  std::string text;
  for (const PublishRequest& r : requests) text += PublishLine(r) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    err << "protean publish: error: --inbox " << path << ": " << std::strerror(errno) << "\n";
    return kExitUsageOrLoadError;
  }
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err << "protean publish: error: --inbox " << path << ": " << std::strerror(errno) << "\n";
      ::close(fd);
      return kExitUsageOrLoadError;
    }
    written += static_cast<size_t>(n);
  }
  ::close(fd);
  for (const PublishRequest& r : requests) {
    out << "queued " << r.id << " for " << r.stream << " in " << path << "\n";
  }
  return kExitOk;
}

// A provider whose data lives inside each process: nothing published from
// here would reach a server.
bool InProcess(const std::string& provider) { return provider == "inline" || provider == "memory"; }

int RunPublish(PublishOptions o, std::ostream& out, std::ostream& err) {
  std::optional<std::vector<PublishRequest>> requests = Requests(o, err);
  if (!requests) return kExitUsageOrLoadError;
  Prng ids(std::random_device{}());
  for (PublishRequest& r : *requests) {
    if (r.id.empty()) r.id = ids.Uuid();
  }
  if (!o.inbox.empty()) return AppendToInbox(*requests, o.inbox, out, err);
  if (!o.env.empty()) o.open.env = o.env;
  std::optional<OpenedDomain> d = OpenDomain(o.open, err);
  if (!d) return kExitUsageOrLoadError;
  const config::DomainConfig& config = d->domain->config();
  for (const PublishRequest& r : *requests) {
    const std::string provider =
        r.event_store ? config.event_store.provider : config.brokers.at("default").provider;
    if (InProcess(provider)) {
      err << "protean publish: error: " << (r.event_store ? "[event_store]" : "[brokers.default]")
          << " provider is \"" << provider
          << "\", inside each process: no server would see this message; start the server "
             "with --inbox FILE and publish with --inbox FILE\n";
      d->domain->Close();
      return kExitUsageOrLoadError;
    }
  }
  int code = kExitOk;
  for (const PublishRequest& r : *requests) {
    Result<PublishedAt> sent =
        SendPublishRequest(r, d->domain->adapters(), config.server.priority_lanes, d->clock->Now());
    if (!sent.ok()) {
      err << "protean publish: error: " << r.id << " to " << r.stream << ": "
          << sent.status().message() << "\n";
      code = kExitUsageOrLoadError;
      break;
    }
    out << "published " << r.id << " to " << sent->stream << " (" << sent->where << ")\n";
  }
  d->domain->Close();
  return code;
}

}  // namespace

void RegisterPublishCommand(CLI::App& app, CommandContext& context) {
  auto o = std::make_shared<PublishOptions>();
  CLI::App* cmd = app.add_subcommand("publish", "publish messages (Protean's envelope)");
  cmd->add_option("--domain", o->open.domain_path, "domain.toml file or folder (default .)");
  cmd->add_option("--env", o->env, "environment overlay (overrides PROTEAN_ENV)");
  cmd->add_option("--stream", o->flags.stream,
                  "broker stream, or event-store stream with --event-store");
  cmd->add_option("--type", o->flags.type, "message type");
  cmd->add_option_function<std::string>(
      "--data",
      [o](const std::string& data) {
        o->flags.data = data;
        o->data_given = true;
      },
      "the payload, a JSON object (default {})");
  cmd->add_option("--id", o->flags.id, "message id (default: a random UUID)");
  cmd->add_flag("--event-store", o->flags.event_store, "write to the event store");
  cmd->add_option_function<int64_t>(
      "--priority", [o](const int64_t& p) { o->flags.priority = p; },
      "metadata.domain.priority (default 0); with [server.priority_lanes] enabled, below its "
      "threshold the message goes to {stream}:{backfill_suffix}");
  cmd->add_option("--file", o->file,
                  "JSON lines, one message each: {\"stream\",\"type\",\"data\",\"id\","
                  "\"event_store\",\"priority\"} (- for standard input)");
  cmd->add_option("--inbox", o->inbox,
                  "append the messages to FILE for `protean server --inbox FILE`");
  cmd->callback([o, &context] { context.exit_code = RunPublish(*o, context.out, context.err); });
}

}  // namespace protean::cli
