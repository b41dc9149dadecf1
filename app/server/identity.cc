#include "app/server/identity.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <random>

namespace protean::cli {
namespace {

constexpr size_t kInstanceNameMax = 64;
constexpr size_t kHexDigits = 6;

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace

ProcessIdentity GeneratedIdentity() {
  ProcessIdentity id;
  id.host = HostName();
  id.pid = static_cast<int64_t>(::getpid());
  std::random_device device;
  char hex[kHexDigits + 1];
  std::snprintf(hex, sizeof(hex), "%06x", static_cast<unsigned>(device() & 0xffffffu));
  id.instance = id.host + "-" + std::to_string(id.pid) + "-" + hex;
  return id;
}

ProcessIdentity NamedIdentity(std::string name) {
  ProcessIdentity id;
  id.host = HostName();
  id.pid = static_cast<int64_t>(::getpid());
  id.instance = std::move(name);
  id.named = true;
  return id;
}

std::string InstanceNameError(std::string_view name) {
  if (name.empty()) return "an instance name cannot be empty";
  if (name.size() > kInstanceNameMax) {
    return "an instance name has at most " + std::to_string(kInstanceNameMax) + " characters";
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return "an instance name uses only letters, digits and . _ : -";
  }
  return "";
}

std::optional<int64_t> GeneratedConsumerPid(std::string_view consumer, std::string_view handler,
                                            std::string_view host) {
  const std::string prefix = std::string(handler) + "-" + std::string(host) + "-";
  if (consumer.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view rest = consumer.substr(prefix.size());  // "<pid>-<6 hex>"
  const size_t dash = rest.find('-');
  if (dash == std::string_view::npos || rest.size() - dash - 1 != kHexDigits) return std::nullopt;
  for (char c : rest.substr(dash + 1)) {
    if (!IsHex(c)) return std::nullopt;
  }
  int64_t pid = 0;
  const std::string_view digits = rest.substr(0, dash);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || pid <= 0) {
    return std::nullopt;
  }
  return pid;
}

bool ProcessRuns(int64_t pid) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  // A zombie (dead, not yet reaped by its parent) answers kill() too.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // no /proc: trust kill()
  const size_t paren = line.rfind(')');
  const char state = paren != std::string::npos && paren + 2 < line.size() ? line[paren + 2] : 'R';
  return state != 'Z' && state != 'X';
}

std::vector<std::string> RemoveStaleConsumers(Broker& broker, const ConsumerGroupRef& group,
                                              const ProcessIdentity& self,
                                              const std::function<bool(int64_t pid)>& runs) {
  std::vector<std::string> lines;
  const std::string where = "group " + group.group_name() + " on " + group.stream;
  Result<std::vector<ConsumerInfo>> consumers = broker.Consumers(group.stream, group.group_name());
  if (!consumers.ok()) {
    // A new stream or group has no consumers; anything else is only reported.
    if (!consumers.status().IsNotFound()) {
      lines.push_back("cannot list the consumers of " + where + ": " +
                      consumers.status().ToString());
    }
    return lines;
  }
  const std::string own = group.handler + "-" + self.instance;
  for (const ConsumerInfo& c : *consumers) {
    if (c.name == own) continue;
    const std::optional<int64_t> pid = GeneratedConsumerPid(c.name, group.handler, self.host);
    if (!pid) continue;
    const bool earlier_self = *pid == self.pid;
    if (!earlier_self && runs(*pid)) continue;  // a live peer of this host
    const std::string why = earlier_self ? "an earlier engine of this process"
                                         : "pid " + std::to_string(*pid) + " is not running";
    if (c.pending > 0) {
      lines.push_back("kept stale consumer " + c.name + " of " + where + " (" + why +
                      "): pending entries " + std::to_string(c.pending) +
                      ", left for the claim after claim_idle_seconds");
      continue;
    }
    Result<ConsumerDeletion> deleted =
        broker.DeleteConsumer(group.stream, group.group_name(), c.name);
    if (!deleted.ok()) {
      lines.push_back("cannot remove stale consumer " + c.name + " of " + where + ": " +
                      deleted.status().ToString());
    } else if (*deleted == ConsumerDeletion::kDeleted) {
      lines.push_back("removed stale consumer " + c.name + " of " + where + " (" + why +
                      ", nothing pending)");
    } else if (*deleted == ConsumerDeletion::kHasPending) {
      lines.push_back("kept stale consumer " + c.name + " of " + where + " (" + why +
                      "): it took pending entries meanwhile, left for the claim");
    }
  }
  return lines;
}

}  // namespace protean::cli
