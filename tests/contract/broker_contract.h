#pragma once
// The Broker contract (core/broker.h): Redis Streams 7.0 semantics, written
// from reference/backends.md §1 and checked against a redis-server 7.0.15.
// Every implementation with consumer groups is instantiated against it (see
// contract_fixture.h); the cases are in broker_contract.cc, compiled once into
// protean_broker_contract:
//
//   INSTANTIATE_TEST_SUITE_P(Mine, BrokerContractTest, ::testing::Values(BrokerBackend{...}),
//                            contract::BackendName());
//
// Cases may share one real server with other runs: every stream name comes
// from Stream(), which makes it unique to the process and the case
// ("ct-<Case>-<token>-<k>:<name>"), deletes leftovers first and deletes the
// stream and its DLQ again after the case. Waits are 150 ms of AdvanceTime
// against idle thresholds of 100 ms, so a real clock passes too; cases that
// need exact instants or a clock jump check them only in simulated time.
//
// Contract points core/broker.h leaves implicit, pinned here:
// - every `count` must be >= 1, else kInvalidArgument; malformed ids too;
// - Publish with no fields is kInvalidArgument (XADD needs a pair);
// - a missing group: ReadNew recreates it from "0"; ReadPending, Pending,
//   AutoClaim and Lag fail with kNotFound; Ack returns 0; MoveToDlq false;
// - Range accepts "-", "+", "<ms>", "<ms>-<seq>" and a "(" exclusive prefix;
// - DeleteStream returns the entries the stream held (not DEL's key count);
// - a deleted pending entry read with ReadPending keeps its delivery count.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/broker.h"
#include "core/status.h"
#include "core/time.h"
#include "tests/contract/contract_fixture.h"

namespace protean {

using BrokerBackend = contract::ContractBackend<Broker>;

class BrokerContractTest : public contract::ContractTest<Broker> {
 protected:
  static constexpr int kMany = 1000;  // a count larger than any case needs
  static constexpr Duration kWait = Millis(150);
  static constexpr Duration kIdle = Millis(100);

  void TearDown() override;

  Broker& broker() { return port(); }

  // A stream name unique to this process and case; leftovers are deleted.
  std::string Stream(const std::string& name = "s");

  // Publishes "m0".."m<n-1>"; returns their ids (fewer on failure).
  std::vector<std::string> PublishN(const std::string& stream, int n,
                                    const std::string& prefix = "m");

  void CreateGroupOk(const std::string& stream, const std::string& group,
                     GroupStart start = GroupStart::kBeginning);
  std::vector<StreamEntry> ReadNewOk(const std::string& stream, const std::string& group,
                                     const std::string& consumer, int count = kMany);
  std::vector<StreamEntry> ReadPendingOk(const std::string& stream, const std::string& group,
                                         const std::string& consumer,
                                         const std::string& after_id = "0", int count = kMany);
  std::vector<PendingEntry> PendingOk(const std::string& stream, const std::string& group,
                                      const std::string& consumer = "", int count = kMany);
  ClaimResult AutoClaimOk(const std::string& stream, const std::string& group,
                          const std::string& consumer, Duration min_idle,
                          const std::string& cursor = "0-0", int count = 100);
  std::vector<StreamEntry> RangeOk(const std::string& stream, const std::string& start = "-",
                                   const std::string& end = "+", int count = kMany);
  int64_t LengthOk(const std::string& stream);
  // The lag; -100 when the call fails, so a comparison fails visibly.
  std::optional<int64_t> LagOk(const std::string& stream, const std::string& group);
  // Expects success; returns -100 on failure so comparisons fail visibly.
  int64_t CountOk(Result<int64_t> result, const char* what);

  DlqMetadata Meta(const std::string& stream, const std::string& id, const std::string& reason,
                   int64_t attempts = 3);

  // Publishes `n` messages, reads them into group "g" as "c1" and moves each
  // to the DLQ with reason "r<i>"; returns the original ids.
  std::vector<std::string> DeadLetterN(const std::string& stream, int n);

 private:
  std::vector<std::string> streams_;
};

}  // namespace protean
