#pragma once
// The Cache contract (core/cache.h): Redis SET/GET/DEL/PTTL semantics with
// optional TTLs. Every implementation is instantiated against it (see
// contract_fixture.h); the cases are in cache_contract.cc, compiled once into
// protean_cache_contract:
//
//   INSTANTIATE_TEST_SUITE_P(Mine, CacheContractTest, ::testing::Values(CacheBackend{...}),
//                            contract::BackendName());
//
// With simulated_time, AdvanceTime moves the SimClock and TTLs are seconds
// long; without, it sleeps and TTLs are a few hundred milliseconds.
//
// Cases may share one real server with other runs: keys are unique to the
// process and the case (`ct:<Case>:<token>:<n>:<name>`). Real-mode cases
// leave slack for the server's millisecond TTL resolution and for scheduling.

#include <optional>
#include <set>
#include <string>

#include "core/cache.h"
#include "core/time.h"
#include "tests/contract/contract_fixture.h"

namespace protean {

using CacheBackend = contract::ContractBackend<Cache>;

class CacheContractTest : public contract::ContractTest<Cache> {
 protected:
  CacheContractTest();

  void SetUp() override;
  // Removes the case's keys (best effort: a closed cache refuses).
  void TearDown() override;

  Cache& cache() { return port(); }

  // A key no other case or run uses. Call it from the test thread only.
  std::string Key(const std::string& name);

  void SetOk(const std::string& key, const std::string& value, std::optional<Duration> ttl);
  // The value, or nullopt when Get says kNotFound (any other error fails).
  std::optional<std::string> GetValue(const std::string& key);
  // The remaining TTL; fails the case unless the key exists.
  std::optional<Duration> TtlOk(const std::string& key);

  // A TTL, and a wait longer than it; real mode keeps both short.
  const Duration ttl_;
  const Duration past_ttl_;
  // Slack on a real server's remaining TTL (PTTL has millisecond resolution).
  const Duration slack_;

 private:
  std::string prefix_;
  std::set<std::string> keys_;  // handed out by Key, removed by TearDown
};

}  // namespace protean
