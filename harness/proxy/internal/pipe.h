#pragma once
// One direction of a proxied connection: bytes read from its source socket
// wait in a bounded queue of chunks, each with a release instant, and are
// written to its destination as the direction's toxics allow.
//
//   latency      stamps each chunk at read time: release = read + latency ± jitter
//   timeout      holds the queue (nothing written) while the toxic is on
//   bandwidth    paces writes: n bytes delay the next write by n / rate (a
//                late wake-up catches up on at most kPacingCatchUp)
//   slicer       writes pieces of average_size ± size_variation, delay_us apart
//   limit_data   caps writes at `bytes` since the toxic reached the connection
//   reset_peer,  timers: CheckTimers() says when the whole connection must be
//   timeout>0    reset or closed
//   lost_ack     (upstream only) the first RESP XACK command read while the
//                toxic is on is the cut: nothing after it is forwarded (with
//                applied = 0 the XACK itself is not either); once the bytes
//                before the cut are out, WriteTo asks for a reset (applied =
//                0) or says cut_reached() and the Connection drops the reply
//
// Bounds: at most buffer_bytes_max bytes queued (reading stops beyond it:
// back-pressure), at most kReadsPerCallMax reads and kWritesPerCallMax writes
// per call. Chunks leave in order (release instants never decrease), so the
// byte stream stays intact. Owned by a Connection on the loop thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "harness/proxy/internal/prng.h"
#include "harness/proxy/internal/resp_scanner.h"
#include "harness/proxy/toxic.h"

namespace protean::harness::proxy::internal {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
inline constexpr TimePoint kNever = TimePoint::max();

// A toxic as the loop last read it from the proxy; `generation` changes when
// the toxic is added again or updated.
struct ToxicEntry {
  Toxic toxic;
  uint64_t generation = 0;
};

// What a pipe asks of its connection.
enum class PipeAction : uint8_t { kNone, kClose, kReset };

class Pipe {
 public:
  Pipe(Stream stream, size_t buffer_bytes_max) : stream_(stream), buffer_max_(buffer_bytes_max) {}

  // Takes the proxy's toxics of this direction. A toxic already seen (same
  // name and generation) keeps its state; a new one rolls its toxicity and
  // starts its timers and counters at `now`.
  void SetToxics(const std::vector<ToxicEntry>& toxics, TimePoint now, SplitMix& prng);

  // reset_peer / timeout / limit_data decisions due at `now`; lowers
  // *deadline to the next instant one falls due.
  PipeAction CheckTimers(TimePoint now, TimePoint* deadline) const;

  // Reads what `src` has (non-blocking) while there is room. kReset on a
  // socket error; EOF is remembered and forwarded once the queue is empty.
  PipeAction ReadFrom(int src, TimePoint now, SplitMix& prng);

  // Writes what is due to `dst`; adds the bytes written to *written; lowers
  // *deadline to when more can be written. kReset on a socket error, kClose
  // when a limit_data toxic is reached.
  PipeAction WriteTo(int dst, TimePoint now, SplitMix& prng, uint64_t* written,
                     TimePoint* deadline);

  bool WantsRead() const { return !src_eof_ && !cut_ && pending_ < buffer_max_; }
  // lost_ack with applied = 1: the XACK has been written upstream; the
  // Connection waits for its reply and resets instead of forwarding it.
  bool cut_reached() const { return cut_reached_; }
  // Writes nothing more (the reply to a cut XACK is dropped); still reads.
  void Mute() { muted_ = true; }
  uint64_t bytes_read() const { return read_total_; }
  // The destination has been shut down for writing: nothing more will pass.
  bool finished() const { return dst_shut_; }
  size_t pending() const { return pending_; }

  // Readiness as epoll last reported it; cleared when a call sees EAGAIN.
  bool src_readable = false;
  bool dst_blocked = false;

 private:
  struct Active {
    ToxicEntry entry;
    bool applies = true;  // the toxicity roll for this connection
    TimePoint since{};
    int64_t bytes_passed = 0;  // limit_data
  };
  struct Chunk {
    std::string data;
    size_t offset = 0;
    TimePoint release{};
  };

  std::chrono::milliseconds DrawLatency(SplitMix& prng) const;
  bool Holding() const;
  int64_t RateBytesPerSecond() const;
  const Toxic* Slicer() const;
  const Toxic* LostAck() const;
  // Feeds the upstream bytes just read to the RESP scanner; returns how many
  // of them are forwarded (fewer once a lost_ack toxic cut the stream).
  size_t ScanForCut(std::string_view bytes);
  // Bytes left before a limit_data toxic closes the connection (-1 = none).
  int64_t LimitLeft() const;

  Stream stream_;
  size_t buffer_max_;
  std::vector<Active> toxics_;
  std::deque<Chunk> queue_;
  size_t pending_ = 0;
  TimePoint last_release_{};
  TimePoint paced_until_{};      // bandwidth: the schedule of the next write
  TimePoint slice_gap_until_{};  // slicer: the gap after the last piece
  int64_t slice_left_ = 0;
  bool src_eof_ = false;
  bool dst_shut_ = false;
  // lost_ack
  RespScanner resp_;
  uint64_t read_total_ = 0;
  bool cut_ = false;  // the stream is cut at the end of the queue
  bool cut_applied_ = true;
  bool cut_reached_ = false;
  bool muted_ = false;
};

}  // namespace protean::harness::proxy::internal
