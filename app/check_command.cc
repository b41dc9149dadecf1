#include "app/check_command.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>

#include "adapters/memory/register.h"
#include "adapters/real/register.h"
#include "app/check_format.h"
#include "app/cli_values.h"
#include "core/config/configuration_error.h"
#include "core/engine/adapter_registry.h"
#include "core/engine/domain.h"
#include "core/runtime/real_executor.h"

namespace protean::cli {
namespace {

// Builds one adapter the way Domain::Init does and closes it. Factories never
// connect; SQLite's opens its file, so it is left to the server.
Status BuildAdapterDry(const AdapterRegistry& adapters, const AdapterEnv& env,
                       config::ProviderKind kind, const std::string& name,
                       const config::DomainConfig& domain) {
  auto close = [](auto result) -> Status {
    if (!result.ok()) return result.status();
    (*result)->Close();
    return Status::Ok();
  };
  switch (kind) {
    case config::ProviderKind::kDatabase: {
      const config::DatabaseConfig& c = domain.databases.at(name);
      if (c.provider == "sqlite") return Status::Ok();
      return close(adapters.CreateDatabase(c, env));
    }
    case config::ProviderKind::kBroker:
      return close(adapters.CreateBroker(domain.brokers.at(name), env));
    case config::ProviderKind::kCache:
      return close(adapters.CreateCache(domain.caches.at(name), env));
    case config::ProviderKind::kEventStore:
      return close(adapters.CreateEventStore(domain.event_store, env));
  }
  return Status::Ok();
}

// Registers the handlers the way `protean server` does (core/engine/domain.h)
// and resolves their subscriptions: CPP_HANDLER (info) per C++ handler, and
// the registration's or resolution's error.
void CheckHandlers(const config::LoadOptions& load, const HandlerCatalog& handlers,
                   const AdapterRegistry& adapters, RealClock& clock, config::CheckReport& report) {
  Status st = Status::Ok();
  try {
    Domain domain(config::LoadDomainConfig(load), adapters, AdapterEnv{&clock});
    st = domain.RegisterHandlers(handlers, std::make_shared<ScriptedRuntime>(0));
    if (st.ok()) st = domain.ResolveSubscriptions().status();
    for (const auto& h : domain.handlers()) {
      if (handlers.FindHandler(h->name) == nullptr) continue;
      report.findings.push_back(config::Finding{
          "CPP_HANDLER", config::FindingLevel::kInfo, "handlers." + h->name,
          "C++ handler " + h->name + " consumes " + h->stream, domain.config().source_file, 0, 0});
    }
  } catch (const config::ConfigurationError& e) {
    report.findings.push_back(config::FindingFromError(e));
    return;
  }
  if (!st.ok()) report.findings.push_back(config::FindingFromStatus(st));
}

}  // namespace

int RunCheck(const CheckCommandOptions& options, std::ostream& out, std::ostream& err) {
  config::LoadOptions load;
  load.path = options.domain;
  load.env = options.env;
  load.env_lookup = options.env_lookup;
  config::CheckOptions check;
  check.workers = options.workers;
  // What the server's start path consults: the adapters built into this
  // binary and the registered alert callbacks.
  AdapterRegistry adapters;
  RegisterMemoryAdapters(adapters);
  RegisterRealAdapters(adapters);
  check.provider_available = [&adapters](config::ProviderKind kind, std::string_view provider) {
    return adapters.Has(kind, provider);
  };
  RealClock clock;
  check.build_adapter = [&adapters, &clock](config::ProviderKind kind, const std::string& name,
                                            const config::DomainConfig& domain) {
    return BuildAdapterDry(adapters, AdapterEnv{&clock}, kind, name, domain);
  };
  const AlertCallbackRegistry& callbacks = options.alert_callbacks != nullptr
                                               ? *options.alert_callbacks
                                               : DefaultAlertCallbackRegistry();
  check.alert_callback_registered = callbacks.Lookup();
  check.alert_callback_names = callbacks.Names();
  config::CheckReport report = config::CheckDomain(load, check);
  if (options.handlers != nullptr && !options.handlers->handlers().empty() && !report.load_failed) {
    CheckHandlers(load, *options.handlers, adapters, clock, report);
  }

  std::string load_error;
  if (report.load_failed) {
    const config::Finding& error = report.findings.front();
    load_error = config::FormatConfigurationError(
        error.code, config::ErrorLocation{error.file, error.key_path, error.line, error.column},
        error.message);
    err << "protean check: error: " << load_error << "\n";
  }
  if (options.format == "json") {
    out << CheckEnvelopeJson(report, load_error);
  } else if (options.format == "sarif") {
    out << CheckSarif(report, LocationBase());
  } else if (options.format == "github-annotations") {
    out << CheckAnnotations(report, LocationBase());
  } else if (!report.load_failed) {
    out << CheckText(report, options.level, options.quiet);
  }
  return report.ExitCode();
}

void RegisterCheckCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<CheckCommandOptions>();
  CLI::App* check = app.add_subcommand(
      "check", "Check the domain configuration (exit 0 clean, 1 findings, 2 load error)");
  check
      ->add_option("-d,--domain", options->domain,
                   "domain.toml, or a folder searched with up to two parents")
      ->capture_default_str();
  check
      ->add_option_function<std::string>(
          "--env", [options](const std::string& name) { options->env = name; },
          "environment overlay to apply (overrides PROTEAN_ENV)")
      ->type_name("NAME");
  check
      ->add_option("-f,--format", options->format,
                   "text (alias rich), json (Protean's envelope), sarif (2.1.0) or "
                   "github-annotations")
      ->transform(CLI::Transformer({{"rich", "text"}}))
      ->check(CLI::IsMember({"text", "json", "sarif", "github-annotations"}))
      ->capture_default_str();
  check
      ->add_option_function<std::string>(
          "-l,--level",
          [options](const std::string& level) {
            options->level = level == "error"     ? config::FindingLevel::kError
                             : level == "warning" ? config::FindingLevel::kWarning
                                                  : config::FindingLevel::kInfo;
          },
          "lowest level the text output shows: error, warning or info (default); never "
          "changes the exit code or the machine formats")
      ->check(CLI::IsMember({"error", "warning", "info"}))
      ->type_name("LEVEL");
  check->add_flag("-q,--quiet", options->quiet, "text: only the summary line");
  check
      ->add_option_function<int64_t>(
          "--workers", [options](const int64_t& workers) { options->workers = workers; },
          "engine worker processes for the connection budget (default: [server].workers, "
          "else 1)")
      ->check(CLI::Validator(
          [](std::string& text) { return IntegerInRangeError(text, 1, kWorkersMax); }, "N"))
      ->type_name("N");
  options->handlers = &context.handlers;
  check->callback(
      [options, &context] { context.exit_code = RunCheck(*options, context.out, context.err); });
}

}  // namespace protean::cli
