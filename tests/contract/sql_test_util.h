#pragma once
// Helpers of the SQL adapter tests (sql_contract_test.cc): server addresses
// from the environment, names unique to the process, and an admin connection
// that inspects and kills backends the way an outage would.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include <pqxx/pqxx>

#include "adapters/real/pg_conninfo.h"
#include "core/status.h"
#include "tests/contract/contract_fixture.h"

namespace protean::sql_test {

// Names unique to the process ([0-9a-f]{8}) and status checks, as in the contract suites.
using contract::HasCode;
using contract::ProcessToken;

// The variable's value, or nullopt when unset or empty.
inline std::optional<std::string> Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

inline std::optional<std::string> SkipUnless(const char* variable) {
  if (Env(variable).has_value()) return std::nullopt;
  return std::string(variable) + " not set (run `bash ci/services.sh start` and " +
         "`source ci/.work/services.env`)";
}

// `uri` with application_name set, so the server's pg_stat_activity can tell
// this test's connections apart.
inline std::string WithApplicationName(const std::string& uri, const std::string& name) {
  PgConnParams params;
  params.params = {{"application_name", name}};
  Result<std::string> out = BuildPgConninfo(uri, params);
  PROTEAN_CHECK(out.ok());
  return *out;
}

inline int64_t ElapsedMillis(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

// Messages per second over the time since `since`.
inline double Rate(int64_t messages, std::chrono::steady_clock::time_point since) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - since)
                          .count();
  return static_cast<double>(messages) * 1e6 / static_cast<double>(std::max<int64_t>(1, micros));
}

// A plain connection for inspecting the server from outside the pool.
class Admin {
 public:
  explicit Admin(const std::string& uri) : conn_(uri) {}

  int64_t Scalar(const std::string& sql) {
    pqxx::nontransaction tx(conn_);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  int64_t ConnectionsNamed(const std::string& application_name) {
    pqxx::nontransaction tx(conn_);
    return tx
        .exec_params1("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                      application_name)[0]
        .as<int64_t>();
  }

  // Polls (bounded) until `application_name` has `expected` connections.
  bool WaitForConnections(const std::string& application_name, int64_t expected) {
    for (int i = 0; i < 100; ++i) {  // up to 5 s: backends exit asynchronously
      if (ConnectionsNamed(application_name) == expected) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Terminates backend `pid` and waits (bounded) until it is gone.
  bool Kill(int pid) {
    {
      pqxx::nontransaction tx(conn_);
      if (!tx.exec_params1("SELECT pg_terminate_backend($1)", pid)[0].as<bool>()) return false;
    }
    for (int i = 0; i < 100; ++i) {
      pqxx::nontransaction tx(conn_);
      if (tx.exec_params1("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid)[0]
              .as<int64_t>() == 0) {
        return true;
      }
      tx.commit();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  pqxx::connection& conn() { return conn_; }

 private:
  pqxx::connection conn_;
};

}  // namespace protean::sql_test
