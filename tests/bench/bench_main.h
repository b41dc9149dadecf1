#pragma once
// Shared main for the benchmark programs: runs Google Benchmark (table on
// stderr) and prints one line per exported metric on stdout:
//   {"metric": "memory_throughput_msgs_per_s", "value": 1234567, "unit": "msgs/s"}
//
// A benchmark exports a metric by naming it in ExportMetric(); the value is
// the benchmark's items_per_second, or one of its counters.

#include <string>

namespace protean::bench {

// `counter` empty = items_per_second.
void ExportMetric(const std::string& benchmark, const std::string& metric,
                  const std::string& unit, const std::string& counter = "");

}  // namespace protean::bench
