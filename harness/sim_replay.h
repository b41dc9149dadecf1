#pragma once
// `protean-harness replay --sim HISTORY`: a test-mode run replayed in the
// simulation. The history's publishes (when each message was really
// published, with its id) and faults (when each really started and how long
// it lasted) become a PinnedTimeline for the scenario file the header
// names; the run then goes in memory mode under the same seed, and its
// outcome is compared with the recorded one per message as the differential
// run does (harness/differential.h). What a user does with a chaos failure
// seen against real services: reproduce it deterministically.
//
// Attempt counts are left out for a scenario that says why they depend on
// real timing ([scenario] differential_attempts). Faults are matched to the
// scenario's [[faults]] by kind and instance, in
// file order against the order they started; one that never started keeps
// its draw.

#include <string>

#include "core/status.h"
#include "harness/history.h"
#include "harness/runner.h"
#include "harness/scenario.h"

namespace protean::harness {

// The timeline of a test-mode history of `scenario`. kInvalidArgument for a
// history without the run's start (header start_us) or publishes.
Result<PinnedTimeline> TimelineFromHistory(const History& history, const Scenario& scenario);

// The command: prints what was compared and each divergence; 0 when the
// runs agree, 1 when they diverge, 2 when the history cannot be used.
int ReplayInSimulation(const std::string& path, const History& recorded);

}  // namespace protean::harness
