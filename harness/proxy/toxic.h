#pragma once
// The fault vocabulary of the TCP fault proxy, in Toxiproxy's terms
// (docs/proxy.md): a Toxic is a named effect on one direction of every
// connection through a FaultProxy; a TimelineEntry switches one on at an
// instant and, optionally, off again.
//
// Plain values: copyable, no behaviour besides validation.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace protean::harness::proxy {

enum class ToxicType : uint8_t {
  kLatency,    // delay every chunk by latency_ms ± jitter_ms
  kBandwidth,  // at most rate_kbps KB/s (1 KB = 1000 bytes, as Toxiproxy); 0 = unlimited
  kTimeout,    // forward nothing (data is held); timeout_ms > 0: close the connection then
  kResetPeer,  // reset (RST) the connection timeout_ms after the toxic reached it
  kSlicer,     // write in pieces of average_size ± size_variation bytes, delay_us apart
  kLimitData,  // close the connection once `bytes` passed in the toxic's direction
  kDown,       // not a Toxiproxy toxic: the proxy is disabled while a `down` toxic exists
  kLostAck,    // not a Toxiproxy toxic (Redis only, upstream): the reply to an XACK is lost
};

// "upstream" = client -> server, "downstream" = server -> client.
enum class Stream : uint8_t { kUpstream, kDownstream };

std::string_view ToxicTypeName(ToxicType type);
std::optional<ToxicType> ParseToxicType(std::string_view name);
std::string_view StreamName(Stream stream);
std::optional<Stream> ParseStream(std::string_view name);

struct Toxic {
  std::string name;  // unique within a proxy; Toxiproxy's default is "<type>_<stream>"
  ToxicType type = ToxicType::kLatency;
  Stream stream = Stream::kDownstream;  // Toxiproxy's default
  // Probability that the toxic applies to a given connection, drawn once per
  // connection (and again when the toxic is updated) from the proxy's seed.
  double toxicity = 1.0;

  // Attributes; only those of `type` are read.
  int64_t latency_ms = 0;      // latency
  int64_t jitter_ms = 0;       // latency
  int64_t rate_kbps = 0;       // bandwidth
  int64_t timeout_ms = 0;      // timeout (0 = hold forever), reset_peer (0 = at once)
  int64_t average_size = 1;    // slicer, bytes
  int64_t size_variation = 0;  // slicer, bytes
  int64_t delay_us = 0;        // slicer, between pieces
  int64_t bytes = 0;           // limit_data
  // lost_ack: 1 = the XACK reaches Redis (applied) and its reply is dropped,
  // 0 = the XACK itself is dropped; either way the connection is then reset.
  int64_t applied = 1;

  bool operator==(const Toxic& other) const = default;
};

// InvalidArgument naming the first attribute out of range (or an empty name).
Status ValidateToxic(const Toxic& toxic);

// Switches `toxic` on at start + at_ms and, when duration_ms > 0, removes it
// (by name) at start + at_ms + duration_ms; duration_ms = 0 leaves it on.
struct TimelineEntry {
  int64_t at_ms = 0;
  int64_t duration_ms = 0;
  Toxic toxic;
};

Status ValidateTimelineEntry(const TimelineEntry& entry);

}  // namespace protean::harness::proxy
