#include "app/server/alert_callbacks.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/config/alert_callback_spec.h"

extern char** environ;

namespace protean {
namespace {

Status RunCommand(const std::vector<std::string>& base, const std::string& stream, int64_t depth,
                  int64_t threshold) {
  std::vector<std::string> args = base;
  args.push_back(stream);
  args.push_back(std::to_string(depth));
  args.push_back(std::to_string(threshold));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store = {"PROTEAN_DLQ_STREAM=" + stream,
                                        "PROTEAN_DLQ_DEPTH=" + std::to_string(depth),
                                        "PROTEAN_DLQ_THRESHOLD=" + std::to_string(threshold)};
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data());
  if (rc != 0) return Status::Internal("cannot run " + args[0] + ": " + std::strerror(rc));
  // Bounded wait: a hung command is killed after 10 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int wstatus = 0;
  for (;;) {
    const pid_t done = waitpid(pid, &wstatus, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &wstatus, 0);
      return Status::Timeout(args[0] + " ran longer than 10 s and was killed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return Status::Ok();
  return Status::Internal(args[0] + " exited with status " +
                          std::to_string(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1));
}

Status PostWebhook(const std::string& origin, const std::string& path, const std::string& stream,
                   int64_t depth, int64_t threshold) {
  httplib::Client client(origin);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  const nlohmann::json body = {{"dlq_stream", stream}, {"depth", depth}, {"threshold", threshold}};
  auto res = client.Post(path, body.dump(), "application/json");
  if (!res) {
    return Status::Unavailable("webhook " + origin + path + ": " + httplib::to_string(res.error()));
  }
  if (res->status < 200 || res->status >= 300) {
    return Status::Internal("webhook " + origin + path + " answered " +
                            std::to_string(res->status));
  }
  return Status::Ok();
}

}  // namespace

Result<DlqAlertCallback> MakeDlqAlertCallback(const std::string& spec) {
  PROTEAN_ASSIGN_OR_RETURN(config::AlertCallbackSpec parsed, config::ParseAlertCallbackSpec(spec));
  switch (parsed.kind) {
    case config::AlertCallbackKind::kCommand:
      return DlqAlertCallback([words = parsed.command](const std::string& s, int64_t d, int64_t t) {
        return RunCommand(words, s, d, t);
      });
    case config::AlertCallbackKind::kWebhook:
      return DlqAlertCallback([origin = parsed.origin, path = parsed.path](
                                  const std::string& s, int64_t d, int64_t t) -> Status {
        return PostWebhook(origin, path, s, d, t);
      });
    case config::AlertCallbackKind::kRegistered:
      break;
  }
  return Status::InvalidArgument("alert_callback \"" + spec +
                                 "\": a registered callback name, not a command: or webhook:");
}

}  // namespace protean
