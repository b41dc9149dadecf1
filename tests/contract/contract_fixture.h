#pragma once
// What the four contract suites (broker_contract.h, event_store_contract.h,
// database_contract.h, cache_contract.h) share: the backend a suite runs
// against, the fixture base that opens it, and names unique to the process.
//
// Each suite is one value-parameterised gtest suite whose cases are compiled
// once, in <port>_contract.cc (CMake OBJECT library protean_<port>_contract).
// A backend's test binary links that library, and its test file instantiates
// the suite with the backend's factories, as leveldb's table_test.cc runs one
// harness over several constructors:
//
//   BrokerBackend MineBackend() {
//     return {.name = "mine",
//             .make = [](Clock& clock) { return std::make_unique<MineBroker>(clock); },
//             .simulated_time = false,
//             .skip_reason = MineServerSkipReason};
//   }
//   INSTANTIATE_TEST_SUITE_P(Mine, BrokerContractTest, ::testing::Values(MineBackend()),
//                            contract::BackendName());
//
// Its cases are then named `Mine/BrokerContractTest.<Case>/mine`.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/runtime/real_executor.h"
#include "core/runtime/sim_executor.h"
#include "core/status.h"
#include "core/time.h"

namespace protean::contract {

// One implementation of `Port` under test.
template <typename Port>
struct ContractBackend {
  // [A-Za-z0-9_]+, unique within an instantiation: the last part of a case's name.
  std::string name;
  // A fresh instance; `clock` outlives it (the case's SimClock when
  // simulated_time, else a RealClock). May be called more than once per case.
  std::function<std::unique_ptr<Port>(Clock&)> make;
  // true: AdvanceTime moves a SimClock and cases may check exact instants;
  // false: AdvanceTime sleeps.
  bool simulated_time = true;
  // Empty, or returning nullopt or "": the backend is available. Otherwise
  // every case skips with this reason (e.g. "REDIS_URL not set").
  std::function<std::optional<std::string>()> skip_reason = nullptr;
};

// gtest prints the parameter of a failing case with this.
template <typename Port>
void PrintTo(const ContractBackend<Port>& backend, std::ostream* os) {
  *os << backend.name << (backend.simulated_time ? " (simulated time)" : " (real time)");
}

// The name generator of INSTANTIATE_TEST_SUITE_P: the backend's name.
struct BackendName {
  template <typename Port>
  std::string operator()(const ::testing::TestParamInfo<ContractBackend<Port>>& info) const {
    return info.param.name;
  }
};

// Random per process, [0-9a-f]{8}, so concurrent runs against one server do
// not collide.
inline const std::string& ProcessToken() {
  static const std::string token = [] {
    std::random_device device;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(device()));
    return std::string(buf);
  }();
  return token;
}

// Numbers names across every case and instantiation in this process.
inline int NextSerial() {
  static std::atomic<int> serial{0};
  return ++serial;
}

// A random 64-bit seed, for ids that must be unique across every run that
// shares a server.
inline uint64_t RandomSeed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

// For EXPECT_TRUE: success when `status` has `code`, else what it has instead.
inline ::testing::AssertionResult HasCode(const Status& status, StatusCode code) {
  if (status.code() == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << StatusCodeName(code) << ", got " << status.ToString();
}

// The fixture base of every suite: opens GetParam().make(clock()) as port()
// in SetUp, or skips the case with the backend's reason. Subclasses that
// override SetUp call this one first and return if IsSkipped() or
// HasFatalFailure(); their TearDown closes port() when opened().
template <typename Port>
class ContractTest : public ::testing::TestWithParam<ContractBackend<Port>> {
 protected:
  void SetUp() override {
    const ContractBackend<Port>& backend = this->GetParam();
    if (backend.skip_reason) {
      const std::optional<std::string> reason = backend.skip_reason();
      if (reason.has_value() && !reason->empty()) GTEST_SKIP() << *reason;
    }
    port_ = Make();
    ASSERT_NE(port_, nullptr) << backend.name << ": make returned nullptr";
  }

  bool simulated() const { return this->GetParam().simulated_time; }

  Clock& clock() {
    if (simulated()) return sim_clock_;
    return real_clock_;
  }

  // Only meaningful when simulated(); cases that move time back check that first.
  SimClock& sim_clock() { return sim_clock_; }

  // Moves the SimClock, or sleeps for `d` in real time.
  void AdvanceTime(Duration d) {
    if (simulated()) {
      sim_clock_.Advance(d);
    } else {
      std::this_thread::sleep_for(d);
    }
  }

  // Another instance of the backend, on the same clock.
  std::unique_ptr<Port> Make() { return this->GetParam().make(clock()); }

  bool opened() const { return port_ != nullptr; }
  Port& port() { return *port_; }

 private:
  SimClock sim_clock_;
  RealClock real_clock_;
  std::unique_ptr<Port> port_;
};

}  // namespace protean::contract
