# Histories, checkers and reports of the scenario harness; included from
# harness/CMakeLists.txt into the protean_harness library (paths relative to
# harness/). checkers_internal.h is private to the checkers*.cc files.
target_sources(protean_harness PRIVATE
  history.cc
  checkers.cc
  checkers_index.cc
  checkers_delivery.cc
  checkers_scaling.cc
  checkers_dlq.cc
  checkers_timing.cc
  checkers_shutdown.cc
  report.cc
)
