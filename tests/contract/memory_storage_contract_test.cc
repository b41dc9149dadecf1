// The storage contracts (event store, database, cache) instantiated for the
// memory backends, plus unit tests of Message DB's naming rules and hash_64
// (core/event_store.h), whose expected values come from md5 and, where
// marked, from a real Message DB server.

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "adapters/memory/memory_cache.h"
#include "adapters/memory/memory_database.h"
#include "adapters/memory/memory_event_store.h"
#include "core/clock.h"
#include "core/event_store.h"
#include "tests/contract/cache_contract.h"
#include "tests/contract/database_contract.h"
#include "tests/contract/event_store_contract.h"

namespace protean {
namespace {

EventStoreBackend MemoryEventStoreBackend() {
  return {.name = "memory",
          .make = [](Clock& clock) { return std::make_unique<MemoryEventStore>(clock); },
          .simulated_time = true};
}

DatabaseBackend MemoryDatabaseBackend() {
  return {.name = "memory",
          .make = [](Clock& /*clock*/) { return std::make_unique<MemoryDatabase>(); },
          .simulated_time = true};
}

CacheBackend MemoryCacheBackend() {
  return {.name = "memory",
          .make = [](Clock& clock) { return std::make_unique<MemoryCache>(clock); },
          .simulated_time = true};
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Memory, EventStoreContractTest,
                         ::testing::Values(MemoryEventStoreBackend()), contract::BackendName());
INSTANTIATE_TEST_SUITE_P(Memory, DatabaseContractTest, ::testing::Values(MemoryDatabaseBackend()),
                         contract::BackendName());
INSTANTIATE_TEST_SUITE_P(Memory, CacheContractTest, ::testing::Values(MemoryCacheBackend()),
                         contract::BackendName());

namespace {

// --- Message DB naming rules ----------------------------------------------------

TEST(MessageDbNamesTest, CategoryIsTheTextBeforeTheFirstDash) {
  EXPECT_EQ(StreamCategory("account-123"), "account");
  EXPECT_EQ(StreamCategory("account-123-456"), "account");
  EXPECT_EQ(StreamCategory("account"), "account");
  EXPECT_EQ(StreamCategory("account:command-1"), "account:command");
  EXPECT_EQ(StreamCategory("account:command+position-x"), "account:command+position");
  EXPECT_EQ(StreamCategory("-1"), "");
  EXPECT_EQ(StreamCategory(""), "");
}

TEST(MessageDbNamesTest, IdIsTheTextAfterTheFirstDash) {
  EXPECT_EQ(StreamNameId("account-123"), "123");
  EXPECT_EQ(StreamNameId("account-123-456"), "123-456");
  EXPECT_EQ(StreamNameId("account-4+y"), "4+y");
  EXPECT_EQ(StreamNameId("account"), "");
  EXPECT_EQ(StreamNameId("account-"), "");
}

TEST(MessageDbNamesTest, CardinalIdIsTheIdUpToTheFirstPlus) {
  EXPECT_EQ(CardinalId("account-4+y"), "4");
  EXPECT_EQ(CardinalId("account-4+y+z"), "4");
  EXPECT_EQ(CardinalId("account-4"), "4");
  EXPECT_EQ(CardinalId("account-123-456+x"), "123-456");
  EXPECT_EQ(CardinalId("account+x-4"), "4");  // '+' in the category does not count
  EXPECT_EQ(CardinalId("account"), "");
}

TEST(MessageDbNamesTest, IsCategoryMeansNoDash) {
  EXPECT_TRUE(IsCategory("account"));
  EXPECT_TRUE(IsCategory("account:command"));
  EXPECT_TRUE(IsCategory(""));
  EXPECT_FALSE(IsCategory("account-1"));
  EXPECT_FALSE(IsCategory("-"));
}

// --- hash_64 and consumer-group members -----------------------------------------------

TEST(MessageDbHashTest, MatchesTheServer) {
  // Verified against a real Message DB server.
  EXPECT_EQ(Hash64("1"), -4266524885998034046);
  EXPECT_EQ(Hash64("4"), -6305049951010035939);
}

TEST(MessageDbHashTest, IsTheFirstEightMd5BytesBigEndian) {
  // md5("") = d41d8cd98f00b204 e9800998ecf8427e.
  EXPECT_EQ(Hash64(""), static_cast<int64_t>(0xd41d8cd98f00b204ULL));
  EXPECT_EQ(Hash64(""), -3162216497309240828);
  EXPECT_EQ(Hash64("abc"), -8070080442485551184);      // 900150983cd24fb0...
  EXPECT_EQ(Hash64("\xc3\xa9"), 7412306613632936882);  // "é" as UTF-8 bytes
  EXPECT_EQ(Hash64("account-4+y"), -5670866908502237743);
  EXPECT_EQ(Hash64("message-db"), -1603794629755601872);
}

TEST(MessageDbHashTest, PadsEveryBlockBoundaryCorrectly) {
  // Lengths around MD5's 56- and 64-byte padding boundaries and two blocks.
  EXPECT_EQ(Hash64(std::string(55, 'x')), 303504932921430319);
  EXPECT_EQ(Hash64(std::string(56, 'x')), 7388844400930451598);
  EXPECT_EQ(Hash64(std::string(63, 'x')), 9062027641175319287);
  EXPECT_EQ(Hash64(std::string(64, 'x')), -4486905184641699115);
  EXPECT_EQ(Hash64(std::string(65, 'x')), 2002186506986508404);
  EXPECT_EQ(Hash64(std::string(119, 'x')), -6110124244236458941);
  EXPECT_EQ(Hash64(std::string(120, 'x')), -317391075531985431);
}

TEST(ConsumerGroupMemberTest, MatchesTheServer) {
  // Verified: '1' -> member 0 of 2, '4' -> member 1 of 2.
  EXPECT_EQ(ConsumerGroupMember("account-1", 2), 0);
  EXPECT_EQ(ConsumerGroupMember("account-4", 2), 1);
  EXPECT_EQ(ConsumerGroupMember("account-4+y", 2), ConsumerGroupMember("account-4+z", 2));
}

TEST(ConsumerGroupMemberTest, IsAbsHashModSizeOfTheCardinalId) {
  for (int64_t size : {1, 2, 3, 5, 7, 100, 32767}) {
    for (const char* id : {"1", "4", "abc", "123-456", ""}) {
      const int64_t hash = Hash64(id);
      const uint64_t magnitude =
          hash < 0 ? uint64_t{0} - static_cast<uint64_t>(hash) : static_cast<uint64_t>(hash);
      const int64_t expected = static_cast<int64_t>(magnitude % static_cast<uint64_t>(size));
      EXPECT_EQ(ConsumerGroupMember(std::string("cat-") + id + "+suffix", size), expected)
          << id << " of " << size;
      EXPECT_GE(expected, 0);
      EXPECT_LT(expected, size);
    }
  }
  EXPECT_EQ(ConsumerGroupMember("cat-abc", 3), 2);  // |-8070080442485551184| mod 3
  EXPECT_EQ(ConsumerGroupMember("cat-abc", 1), 0);
}

}  // namespace
}  // namespace protean
