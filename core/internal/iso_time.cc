#include "core/internal/iso_time.h"

#include <chrono>
#include <cstdio>

namespace protean::internal {
namespace {

// Reads exactly `n` digits at text[*pos].
std::optional<int> Digits(std::string_view text, size_t* pos, size_t n) {
  if (*pos + n > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  *pos += n;
  return value;
}

bool Take(std::string_view text, size_t* pos, char c) {
  if (*pos < text.size() && text[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

}  // namespace

std::string FormatIsoTime(TimePoint t) {
  using namespace std::chrono;
  const auto day_point = floor<days>(t);
  const year_month_day ymd{day_point};
  const int64_t in_day = (t - day_point).count();  // microseconds
  const int64_t secs = in_day / 1000000;
  const int64_t micros = in_day % 1000000;
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                        static_cast<unsigned>(ymd.day()), static_cast<long long>(secs / 3600),
                        static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (micros != 0) {
    n = std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(micros));
    out.append(buf, static_cast<size_t>(n));
  }
  out.append("+00:00");
  return out;
}

std::optional<TimePoint> ParseIsoTime(std::string_view text) {
  using namespace std::chrono;
  size_t pos = 0;
  const auto y = Digits(text, &pos, 4);
  if (!y || !Take(text, &pos, '-')) return std::nullopt;
  const auto mo = Digits(text, &pos, 2);
  if (!mo || !Take(text, &pos, '-')) return std::nullopt;
  const auto d = Digits(text, &pos, 2);
  if (!d) return std::nullopt;
  const year_month_day ymd{year(*y), month(static_cast<unsigned>(*mo)),
                           day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return std::nullopt;
  int64_t micros = 0;
  int64_t offset_s = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
    ++pos;
    const auto hh = Digits(text, &pos, 2);
    if (!hh || *hh > 23 || !Take(text, &pos, ':')) return std::nullopt;
    const auto mm = Digits(text, &pos, 2);
    if (!mm || *mm > 59) return std::nullopt;
    int ss = 0;
    if (Take(text, &pos, ':')) {
      const auto s = Digits(text, &pos, 2);
      if (!s || *s > 59) return std::nullopt;
      ss = *s;
      if (Take(text, &pos, '.') || Take(text, &pos, ',')) {
        int scale = 100000;
        size_t count = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          micros += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
          ++count;
        }
        if (count == 0) return std::nullopt;
      }
    }
    micros += (int64_t{*hh} * 3600 + int64_t{*mm} * 60 + ss) * 1000000;
    if (Take(text, &pos, 'Z') || Take(text, &pos, 'z')) {
      // UTC
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      const int sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      const auto oh = Digits(text, &pos, 2);
      if (!oh) return std::nullopt;
      Take(text, &pos, ':');
      const auto om = Digits(text, &pos, 2);
      if (!om || *oh > 23 || *om > 59) return std::nullopt;
      offset_s = sign * (int64_t{*oh} * 3600 + int64_t{*om} * 60);
    }
  }
  if (pos != text.size()) return std::nullopt;
  const sys_days days_point{ymd};
  return TimePoint(duration_cast<Duration>(days_point.time_since_epoch())) +
         Duration(micros - offset_s * 1000000);
}

}  // namespace protean::internal
