#include "app/server/history_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "app/history/event_json.h"
#include "app/history/header_json.h"

namespace protean::cli {
namespace {

nlohmann::ordered_json Header(const Domain& domain, const std::vector<ResolvedHandler>& handlers,
                              const ProcessIdentity& self, uint64_t seed) {
  const config::DomainConfig& dc = domain.config();
  nlohmann::ordered_json subs = nlohmann::ordered_json::object();
  nlohmann::ordered_json partition = nullptr;
  for (const ResolvedHandler& h : handlers) {
    subs[h.handler->name] = SubscriptionJson(*h.handler, h.config);
    if (h.config.type == SubscriptionType::kEventStore && h.config.consumer_group_size &&
        partition.is_null()) {
      partition = {{"member", *h.config.consumer_group_member},
                   {"size", *h.config.consumer_group_size}};
    }
  }
  nlohmann::ordered_json header;
  header["history"] = 1;
  header["mode"] = dc.env == "test" ? "test" : "server";
  header["source"] = "protean server";
  header["file"] = dc.source_file;
  header["env"] = dc.env;
  header["instance"] = self.instance;
  header["named_instance"] = self.named;
  header["host"] = self.host;
  header["pid"] = self.pid;
  header["seed"] = seed;
  header["drain_timeout_us"] = dc.server.drain_timeout.count();
  header["dlq"] = DlqJson(dc.server.dlq);
  header["subscriptions"] = subs;
  header["instances"] = {{self.instance, {{"partition", partition}}}};
  return header;
}

}  // namespace

HistoryWriter::~HistoryWriter() { Close(); }

Status HistoryWriter::Open(const std::string& path, const Domain& domain,
                           const std::vector<ResolvedHandler>& handlers,
                           const ProcessIdentity& self, uint64_t seed) {
  MutexLock lock(&mu_);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    return Status::InvalidArgument("--history " + path + ": " + std::strerror(errno));
  }
  path_ = path;
  WriteLineLocked(Header(domain, handlers, self, seed).dump());
  return fd_ >= 0 ? Status::Ok() : Status::Unavailable("--history " + path + ": write failed");
}

void HistoryWriter::OnEngineEvent(const EngineEvent& event) {
  MutexLock lock(&mu_);
  if (fd_ >= 0) WriteLineLocked(EngineEventToJson(event));
}

void HistoryWriter::OnHandlerCall(const ScriptedCall& call) {
  MutexLock lock(&mu_);
  if (fd_ >= 0) WriteLineLocked(HandlerCallJson(call).dump());
}

void HistoryWriter::WriteLineLocked(const std::string& json) {
  const std::string line = json + "\n";
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err_ << "protean: warning: --history " << path_ << ": " << std::strerror(errno)
           << "; no more history is written\n";
      CloseLocked();
      return;
    }
    done += static_cast<size_t>(n);
  }
}

void HistoryWriter::Close() {
  MutexLock lock(&mu_);
  CloseLocked();
}

void HistoryWriter::CloseLocked() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
}

}  // namespace protean::cli
