#include "core/time.h"

#include <cstdio>

namespace protean {

std::string FormatTime(TimePoint t) {
  using namespace std::chrono;
  const auto ms_total = ToMillis(t);
  const auto day_point = floor<days>(sys_time<milliseconds>(milliseconds(ms_total)));
  const year_month_day ymd{day_point};
  const auto in_day = milliseconds(ms_total) - day_point.time_since_epoch();
  const auto h = duration_cast<hours>(in_day).count();
  const auto m = duration_cast<minutes>(in_day).count() % 60;
  const auto s = duration_cast<seconds>(in_day).count() % 60;
  const auto ms = in_day.count() % 1000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<long long>(h),
                static_cast<long long>(m), static_cast<long long>(s), static_cast<long long>(ms));
  return buf;
}

}  // namespace protean
