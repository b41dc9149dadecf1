#pragma once
// The contract of provider `redis_pubsub` (core/list_broker.h): Protean's
// list with a position per group, checked against its source
// (adapters/broker/redis_pubsub.py) and a redis-server. Instantiated for
// MemoryPubSubBroker (memory_broker_contract_test.cc) and RedisPubSubBroker
// (redis_contract_test.cc); the cases are in list_broker_contract.cc,
// compiled into protean_list_broker_contract:
//
//   INSTANTIATE_TEST_SUITE_P(Mine, ListBrokerContractTest,
//                            ::testing::Values(ListBrokerBackend{...}),
//                            contract::BackendName());
//
// Every stream name comes from Stream(), unique to the process and the case;
// the list and its groups' positions are deleted before and after the case.
// What BrokerContractTest checks of streams (pending lists, claims,
// retention, DLQ) is what this contract says a list does not do.

#include <string>
#include <vector>

#include "core/broker.h"
#include "tests/contract/contract_fixture.h"

namespace protean {

using ListBrokerBackend = contract::ContractBackend<Broker>;

class ListBrokerContractTest : public contract::ContractTest<Broker> {
 protected:
  static constexpr int kMany = 1000;

  void TearDown() override;

  Broker& broker() { return port(); }
  // A name unique to this process and case; leftovers are deleted.
  std::string Stream(const std::string& name = "s");
  // A message as the engine publishes it: one field "data" holding the
  // message JSON, here {"n": i} under a fixed envelope.
  static Fields Message(int i);
  // Publishes messages 0..n-1; returns their ids.
  std::vector<std::string> PublishN(const std::string& stream, int n, int from = 0);
  std::vector<StreamEntry> ReadOk(const std::string& stream, const std::string& group,
                                  const std::string& consumer = "c", int count = kMany);

 private:
  std::vector<std::string> streams_;
};

}  // namespace protean
