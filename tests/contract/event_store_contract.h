#pragma once
// The EventStore contract (core/event_store.h): Message DB 1.3.0 semantics,
// written from reference/backends.md §3 and Message DB's SQL functions. Every
// implementation is instantiated against it (see contract_fixture.h); the
// cases are in event_store_contract.cc, compiled once into
// protean_event_store_contract:
//
//   INSTANTIATE_TEST_SUITE_P(Mine, EventStoreContractTest,
//                            ::testing::Values(EventStoreBackend{...}), contract::BackendName());
//
// Cases may share one real server with other runs: each uses categories
// unique to the process and the case (`ct<Case><token>n<k>`, no '-'), and
// message ids from a Prng seeded randomly in real mode (printed as seed= on
// failure). Data/metadata are compared as parsed JSON (jsonb reformats text).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/event_store.h"
#include "core/runtime/prng.h"
#include "tests/contract/contract_fixture.h"

namespace protean {

using EventStoreBackend = contract::ContractBackend<EventStore>;

class EventStoreContractTest : public contract::ContractTest<EventStore> {
 protected:
  // Simulated: a fixed seed. Real: a random 64-bit one, because message ids
  // must be unique across every run that shares the server.
  EventStoreContractTest();

  void TearDown() override;

  EventStore& store() { return port(); }

  // A category no other case or run uses.
  std::string NewCategory();

  NewEventMessage Message(std::string stream_name, std::string type = "Thing",
                          std::string data = "{}", std::string metadata = "");

  // Writes and expects success; returns the position (-100 on failure).
  int64_t WriteOk(const NewEventMessage& message,
                  std::optional<int64_t> expected_version = std::nullopt);
  std::vector<EventMessage> ReadStreamOk(const std::string& stream, int64_t position = 0,
                                         int64_t batch_size = 1000);
  std::vector<EventMessage> ReadCategoryOk(const std::string& category,
                                           const CategoryRead& request = {});

  std::string NewId() { return prng_.Uuid(); }

 private:
  uint64_t seed_;
  Prng prng_;
};

}  // namespace protean
