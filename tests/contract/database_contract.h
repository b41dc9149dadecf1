#pragma once
// The Database contract (core/database.h): versioned records by (table, key).
// Every implementation is instantiated against it (see contract_fixture.h);
// the cases are in database_contract.cc, compiled once into
// protean_database_contract. The fixture calls Setup() itself.
//
//   INSTANTIATE_TEST_SUITE_P(Mine, DatabaseContractTest,
//                            ::testing::Values(DatabaseBackend{...}), contract::BackendName());
//
// Cases may share one real server with other runs: each uses tables unique to
// the process and the case, named `ct_<token>_<n>` ([a-z0-9_], short enough
// for any SQL identifier). List order is byte order (COLLATE "C" in
// PostgreSQL, BINARY in SQLite), whatever the server's locale.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/database.h"
#include "tests/contract/contract_fixture.h"

namespace protean {

using DatabaseBackend = contract::ContractBackend<Database>;

class DatabaseContractTest : public contract::ContractTest<Database> {
 protected:
  void SetUp() override;
  // Removes what the case wrote (best effort: a closed database refuses),
  // so a shared server does not accumulate records.
  void TearDown() override;

  Database& db() { return port(); }

  // A table no other case or run uses.
  std::string NewTable();

  // Puts and expects success; returns the new version (-100 on failure).
  int64_t PutOk(const std::string& table, const std::string& key, const std::string& data,
                std::optional<int64_t> expected_version = std::nullopt);
  std::optional<Record> GetOk(const std::string& table, const std::string& key);
  std::vector<Record> ListOk(const std::string& table, const std::string& after_key, size_t limit);
  int64_t CountOk(const std::string& table);

 private:
  std::vector<std::string> tables_;  // created by NewTable, emptied by TearDown
};

}  // namespace protean
