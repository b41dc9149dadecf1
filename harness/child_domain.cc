#include "harness/child_domain.h"

#include <sstream>

#include <toml++/toml.h>

namespace protean::harness {
namespace {

// The table at `key` of `parent`, created when absent.
toml::table& TableAt(toml::table& parent, std::string_view key) {
  if (toml::table* t = parent.get_as<toml::table>(key)) return *t;
  parent.insert_or_assign(key, toml::table());
  return *parent.get_as<toml::table>(key);
}

// Replaces the address of the URI at `key` of `table` (if any) by `address`.
void Readdress(toml::table* table, std::string_view key, const std::string& address) {
  if (table == nullptr || address.empty()) return;
  toml::value<std::string>* s = table->get_as<std::string>(key);
  if (s == nullptr) return;
  std::string uri = s->get();
  const std::string from = UriAddress(uri);
  if (from.empty()) return;
  uri.replace(uri.find(from), from.size(), address);
  *s = uri;
}

// Adds application_name=`name` to the query of the URI at `key` of `table`.
void NameApplication(toml::table* table, std::string_view key, const std::string& name) {
  if (table == nullptr || name.empty()) return;
  toml::value<std::string>* s = table->get_as<std::string>(key);
  if (s == nullptr || s->get().find("://") == std::string::npos) return;
  const std::string uri = s->get();
  *s = uri + (uri.find('?') == std::string::npos ? "?" : "&") + "application_name=" + name;
}

void SetHandlers(toml::table& handlers, const ChildDomainOptions& o) {
  for (auto& [name, node] : handlers) {
    toml::table* h = node.as_table();
    if (h == nullptr) continue;
    if (const auto stream = h->get_as<std::string>("stream")) *stream = o.ns + stream->get();
    if (!o.partition || o.event_store_handlers.count(std::string(name.str())) == 0) continue;
    toml::table& sc = TableAt(*h, "subscription_config");
    sc.insert_or_assign("consumer_group_member", o.partition->member);
    sc.insert_or_assign("consumer_group_size", o.partition->size);
  }
}

}  // namespace

std::string UriAddress(const std::string& uri) {
  const size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return "";
  size_t begin = scheme + 3;
  const size_t end = uri.find_first_of("/?", begin);
  const std::string authority = uri.substr(begin, end == std::string::npos ? end : end - begin);
  const size_t at = authority.rfind('@');
  return at == std::string::npos ? authority : authority.substr(at + 1);
}

TestServices TestServiceAddresses(const toml::table& document, const std::string& file,
                                  const config::EnvLookup& env_lookup) {
  toml::table test;
  if (const toml::table* t = document.get_as<toml::table>("test")) test = *t;
  config::SubstituteEnvVars(test, env_lookup, file, "test");
  TestServices out;
  if (const toml::table* b = test["brokers"]["default"].as_table()) {
    out.broker = UriAddress(b->get_as<std::string>("URI")   ? **b->get_as<std::string>("URI")
                            : b->get_as<std::string>("uri") ? **b->get_as<std::string>("uri")
                                                            : std::string());
  }
  if (const auto* uri = test["event_store"]["database_uri"].as_string()) {
    out.event_store = UriAddress(**uri);
  }
  return out;
}

std::string ChildDomainText(const toml::table& document, const std::string& file,
                            const config::EnvLookup& env_lookup, const ChildDomainOptions& o) {
  toml::table doc(document);
  toml::table& test = TableAt(doc, "test");
  config::SubstituteEnvVars(test, env_lookup, file, "test");
  if (toml::table* brokers = test.get_as<toml::table>("brokers")) {
    toml::table* broker = brokers->get_as<toml::table>("default");
    Readdress(broker, "URI", o.broker_address);
    Readdress(broker, "uri", o.broker_address);
  }
  Readdress(test.get_as<toml::table>("event_store"), "database_uri", o.event_store_address);
  NameApplication(test.get_as<toml::table>("event_store"), "database_uri", o.application_name);
  if (toml::table* databases = test.get_as<toml::table>("databases")) {
    NameApplication(databases->get_as<toml::table>("default"), "database_uri", o.application_name);
  }
  SetHandlers(TableAt(doc, "handlers"), o);
  toml::table& health = TableAt(TableAt(doc, "server"), "health");
  health.insert_or_assign("enabled", true);
  health.insert_or_assign("host", "127.0.0.1");
  health.insert_or_assign("port_auto_increment", false);
  std::ostringstream text;
  text << "# Written by protean-harness for one `protean server` child (test mode).\n" << doc;
  return text.str();
}

}  // namespace protean::harness
