#include "harness/proxy/toxic.h"

#include <array>
#include <utility>

namespace protean::harness::proxy {
namespace {

constexpr std::array<std::pair<ToxicType, std::string_view>, 8> kTypeNames{{
    {ToxicType::kLatency, "latency"},
    {ToxicType::kBandwidth, "bandwidth"},
    {ToxicType::kTimeout, "timeout"},
    {ToxicType::kResetPeer, "reset_peer"},
    {ToxicType::kSlicer, "slicer"},
    {ToxicType::kLimitData, "limit_data"},
    {ToxicType::kDown, "down"},
    {ToxicType::kLostAck, "lost_ack"},
}};

Status Negative(const Toxic& toxic, std::string_view attribute) {
  return Status::InvalidArgument("toxic " + toxic.name + ": attribute " + std::string(attribute) +
                                 " must be >= 0");
}

}  // namespace

std::string_view ToxicTypeName(ToxicType type) {
  for (const auto& [t, name] : kTypeNames) {
    if (t == type) return name;
  }
  return "unknown";
}

std::optional<ToxicType> ParseToxicType(std::string_view name) {
  for (const auto& [t, n] : kTypeNames) {
    if (n == name) return t;
  }
  return std::nullopt;
}

std::string_view StreamName(Stream stream) {
  return stream == Stream::kUpstream ? "upstream" : "downstream";
}

std::optional<Stream> ParseStream(std::string_view name) {
  if (name == "upstream") return Stream::kUpstream;
  if (name == "downstream") return Stream::kDownstream;
  return std::nullopt;
}

Status ValidateToxic(const Toxic& toxic) {
  if (toxic.name.empty()) return Status::InvalidArgument("toxic without a name");
  if (!(toxic.toxicity >= 0.0 && toxic.toxicity <= 1.0)) {
    return Status::InvalidArgument("toxic " + toxic.name + ": toxicity must be in [0, 1]");
  }
  switch (toxic.type) {
    case ToxicType::kLatency:
      if (toxic.latency_ms < 0) return Negative(toxic, "latency");
      if (toxic.jitter_ms < 0) return Negative(toxic, "jitter");
      break;
    case ToxicType::kBandwidth:
      if (toxic.rate_kbps < 0) return Negative(toxic, "rate");
      break;
    case ToxicType::kTimeout:
    case ToxicType::kResetPeer:
      if (toxic.timeout_ms < 0) return Negative(toxic, "timeout");
      break;
    case ToxicType::kSlicer:
      if (toxic.average_size < 1) {
        return Status::InvalidArgument("toxic " + toxic.name +
                                       ": attribute average_size must be >= 1");
      }
      if (toxic.size_variation < 0) return Negative(toxic, "size_variation");
      if (toxic.delay_us < 0) return Negative(toxic, "delay");
      break;
    case ToxicType::kLimitData:
      if (toxic.bytes < 0) return Negative(toxic, "bytes");
      break;
    case ToxicType::kDown:
      break;
    case ToxicType::kLostAck:
      if (toxic.applied != 0 && toxic.applied != 1) {
        return Status::InvalidArgument("toxic " + toxic.name +
                                       ": attribute applied must be 0 or 1");
      }
      break;
  }
  return Status::Ok();
}

Status ValidateTimelineEntry(const TimelineEntry& entry) {
  if (entry.at_ms < 0 || entry.duration_ms < 0) {
    return Status::InvalidArgument("timeline entry for " + entry.toxic.name +
                                   ": at_ms and duration_ms must be >= 0");
  }
  return ValidateToxic(entry.toxic);
}

}  // namespace protean::harness::proxy
