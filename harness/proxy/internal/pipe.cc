#include "harness/proxy/internal/pipe.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

namespace protean::harness::proxy::internal {
namespace {

constexpr size_t kReadChunkBytes = 16384;
constexpr int kReadsPerCallMax = 16;
constexpr int kWritesPerCallMax = 64;
// Bandwidth pacing step: one write carries at most this share of a second.
constexpr int64_t kPacingStepsPerSecond = 100;
// A late wake-up may catch up on this much of the bandwidth schedule, so the
// average rate holds on a loaded machine; idle time beyond it is not credit.
constexpr std::chrono::milliseconds kPacingCatchUp{10};
constexpr uint64_t kToxicityDen = 1'000'000;

bool Applies(const Toxic& toxic, SplitMix& prng) {
  const auto num = static_cast<uint64_t>(std::llround(toxic.toxicity * kToxicityDen));
  return num >= kToxicityDen || (num > 0 && prng.Chance(num, kToxicityDen));
}

}  // namespace

void Pipe::SetToxics(const std::vector<ToxicEntry>& toxics, TimePoint now, SplitMix& prng) {
  std::vector<Active> next;
  for (const ToxicEntry& e : toxics) {
    if (e.toxic.stream != stream_ || e.toxic.type == ToxicType::kDown) continue;
    auto same = std::find_if(toxics_.begin(), toxics_.end(), [&](const Active& a) {
      return a.entry.toxic.name == e.toxic.name && a.entry.generation == e.generation;
    });
    if (same != toxics_.end()) {
      next.push_back(std::move(*same));
    } else {
      next.push_back(Active{e, Applies(e.toxic, prng), now, 0});
    }
  }
  toxics_ = std::move(next);
}

PipeAction Pipe::CheckTimers(TimePoint now, TimePoint* deadline) const {
  PipeAction action = PipeAction::kNone;
  for (const Active& a : toxics_) {
    if (!a.applies) continue;
    const Toxic& t = a.entry.toxic;
    const TimePoint at = a.since + std::chrono::milliseconds(t.timeout_ms);
    if (t.type == ToxicType::kResetPeer) {
      if (now >= at) return PipeAction::kReset;
      *deadline = std::min(*deadline, at);
    } else if (t.type == ToxicType::kTimeout && t.timeout_ms > 0) {
      if (now >= at) action = PipeAction::kClose;
      *deadline = std::min(*deadline, at);
    } else if (t.type == ToxicType::kLimitData && a.bytes_passed >= t.bytes) {
      action = PipeAction::kClose;
    }
  }
  return action;
}

PipeAction Pipe::ReadFrom(int src, TimePoint now, SplitMix& prng) {
  char buffer[kReadChunkBytes];
  for (int i = 0; i < kReadsPerCallMax && src_readable && WantsRead(); ++i) {
    const size_t room = std::min(kReadChunkBytes, buffer_max_ - pending_);
    const ssize_t n = ::recv(src, buffer, room, 0);
    if (n > 0) {
      read_total_ += static_cast<uint64_t>(n);
      const size_t kept = ScanForCut(std::string_view(buffer, static_cast<size_t>(n)));
      if (kept == 0) continue;
      const TimePoint release = std::max(now + DrawLatency(prng), last_release_);
      last_release_ = release;
      queue_.push_back(Chunk{std::string(buffer, kept), 0, release});
      pending_ += kept;
    } else if (n == 0) {
      src_eof_ = true;
      src_readable = false;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      src_readable = false;
    } else if (errno != EINTR) {
      return PipeAction::kReset;
    }
  }
  return PipeAction::kNone;
}

PipeAction Pipe::WriteTo(int dst, TimePoint now, SplitMix& prng, uint64_t* written,
                         TimePoint* deadline) {
  if (dst_shut_ || dst_blocked || muted_ || Holding()) return PipeAction::kNone;
  const Toxic* slicer = Slicer();
  if (slicer == nullptr) slice_left_ = 0;
  const int64_t rate = RateBytesPerSecond();
  for (int i = 0; i < kWritesPerCallMax; ++i) {
    int64_t limit = LimitLeft();
    if (limit == 0) return PipeAction::kClose;
    if (queue_.empty()) {
      if (cut_) {
        if (!cut_applied_) return PipeAction::kReset;
        cut_reached_ = true;
        return PipeAction::kNone;
      }
      if (src_eof_) {
        ::shutdown(dst, SHUT_WR);  // half-close: forward the EOF after the data
        dst_shut_ = true;
      }
      return PipeAction::kNone;
    }
    Chunk& chunk = queue_.front();
    const TimePoint ready = std::max({chunk.release, paced_until_, slice_gap_until_});
    if (ready > now) {
      *deadline = std::min(*deadline, ready);
      return PipeAction::kNone;
    }
    auto n = static_cast<int64_t>(chunk.data.size() - chunk.offset);
    if (slicer != nullptr) {
      if (slice_left_ <= 0) {
        const int64_t v = slicer->size_variation;
        slice_left_ = std::max<int64_t>(1, slicer->average_size + prng.UniformInt(-v, v));
      }
      n = std::min(n, slice_left_);
    }
    if (rate > 0) n = std::min(n, std::max<int64_t>(1, rate / kPacingStepsPerSecond));
    if (limit > 0) n = std::min(n, limit);
    const ssize_t w =
        ::send(dst, chunk.data.data() + chunk.offset, static_cast<size_t>(n), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        dst_blocked = true;
        return PipeAction::kNone;
      }
      if (errno == EINTR) continue;
      return PipeAction::kReset;
    }
    chunk.offset += static_cast<size_t>(w);
    pending_ -= static_cast<size_t>(w);
    *written += static_cast<uint64_t>(w);
    if (chunk.offset == chunk.data.size()) queue_.pop_front();
    for (Active& a : toxics_) {
      if (a.applies && a.entry.toxic.type == ToxicType::kLimitData) a.bytes_passed += w;
    }
    if (rate > 0) {
      paced_until_ = std::max(paced_until_, now - kPacingCatchUp) +
                     std::chrono::nanoseconds(w * 1'000'000'000 / rate);
    }
    if (slicer != nullptr) {
      slice_left_ -= w;
      if (slice_left_ <= 0) slice_gap_until_ = now + std::chrono::microseconds(slicer->delay_us);
    }
    if (w < n) {
      dst_blocked = true;  // the socket buffer is full: wait for EPOLLOUT
      return PipeAction::kNone;
    }
  }
  *deadline = now;  // the write bound was hit with data due: come back at once
  return PipeAction::kNone;
}

std::chrono::milliseconds Pipe::DrawLatency(SplitMix& prng) const {
  int64_t ms = 0;
  for (const Active& a : toxics_) {
    const Toxic& t = a.entry.toxic;
    if (!a.applies || t.type != ToxicType::kLatency) continue;
    ms += std::max<int64_t>(
        0, t.latency_ms + (t.jitter_ms > 0 ? prng.UniformInt(-t.jitter_ms, t.jitter_ms) : 0));
  }
  return std::chrono::milliseconds(ms);
}

bool Pipe::Holding() const {
  return std::any_of(toxics_.begin(), toxics_.end(), [](const Active& a) {
    return a.applies && a.entry.toxic.type == ToxicType::kTimeout;
  });
}

int64_t Pipe::RateBytesPerSecond() const {
  int64_t rate = 0;
  for (const Active& a : toxics_) {
    const Toxic& t = a.entry.toxic;
    if (!a.applies || t.type != ToxicType::kBandwidth || t.rate_kbps <= 0) continue;
    rate = rate == 0 ? t.rate_kbps * 1000 : std::min(rate, t.rate_kbps * 1000);
  }
  return rate;
}

const Toxic* Pipe::Slicer() const {
  for (const Active& a : toxics_) {
    if (a.applies && a.entry.toxic.type == ToxicType::kSlicer) return &a.entry.toxic;
  }
  return nullptr;
}

const Toxic* Pipe::LostAck() const {
  for (const Active& a : toxics_) {
    if (a.applies && a.entry.toxic.type == ToxicType::kLostAck) return &a.entry.toxic;
  }
  return nullptr;
}

size_t Pipe::ScanForCut(std::string_view bytes) {
  if (stream_ != Stream::kUpstream || !resp_.in_step()) return bytes.size();
  const uint64_t first = resp_.offset();
  std::vector<RespCommand> commands;
  resp_.Feed(bytes, &commands);
  const Toxic* lost_ack = LostAck();
  if (lost_ack == nullptr) return bytes.size();
  for (const RespCommand& c : commands) {
    if (c.name != "XACK") continue;
    cut_ = true;
    cut_applied_ = lost_ack->applied != 0;
    return static_cast<size_t>((cut_applied_ ? c.end : c.begin) - first);
  }
  return bytes.size();
}

int64_t Pipe::LimitLeft() const {
  int64_t left = -1;
  for (const Active& a : toxics_) {
    const Toxic& t = a.entry.toxic;
    if (!a.applies || t.type != ToxicType::kLimitData) continue;
    const int64_t l = std::max<int64_t>(0, t.bytes - a.bytes_passed);
    left = left < 0 ? l : std::min(left, l);
  }
  return left;
}

}  // namespace protean::harness::proxy::internal
