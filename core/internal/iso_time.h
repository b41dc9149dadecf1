#pragma once
// ISO-8601 times as Python writes and Protean reads them (datetime.isoformat,
// pydantic's datetime parsing), for message headers and DLQ metadata.

#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace protean::internal {

// datetime.isoformat() of an aware UTC datetime:
// "2026-01-01T00:00:00.123456+00:00"; the fraction is left out when it is 0.
std::string FormatIsoTime(TimePoint t);

// "YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z|±HH[:]MM]". A time without an
// offset is UTC (Protean's ensure_utc). Fractions past microseconds are
// truncated. nullopt when the text is not such a time.
std::optional<TimePoint> ParseIsoTime(std::string_view text);

}  // namespace protean::internal
