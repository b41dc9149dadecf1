// The lost_ack toxic on loopback connections opened before it is switched
// on: the RESP scanner that finds commands in a client's byte stream, an
// XACK forwarded and its reply dropped (applied = 1), an XACK dropped
// (applied = 0), and traffic without an XACK left alone. Every read has a
// timeout; nothing here depends on how long anything takes.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness/proxy/internal/resp_scanner.h"
#include "tests/harness/proxy_fixture.h"

namespace protean::harness::proxy {
namespace {

using internal::RespCommand;
using internal::RespScanner;
using namespace protean::harness::proxy::testing;  // NOLINT(build/namespaces)

// A command as hiredis writes it.
std::string Resp(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

Toxic LostAck(int64_t applied) {
  Toxic t = MakeToxic("lost_ack", ToxicType::kLostAck, Stream::kUpstream);
  t.applied = applied;
  return t;
}

TEST(RespScanner, FindsEveryCommandFedOneByteAtATime) {
  const std::string get = Resp({"GET", "k"});
  const std::string ack = Resp({"xack", "orders", "group", "1-1", "1-2"});
  const std::string stream = get + ack + Resp({"PING"});
  RespScanner scanner;
  std::vector<RespCommand> done;
  for (char c : stream) scanner.Feed(std::string_view(&c, 1), &done);
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[0].name, "GET");
  EXPECT_EQ(done[1].name, "XACK");
  EXPECT_EQ(done[1].begin, get.size());
  EXPECT_EQ(done[1].end, get.size() + ack.size());
  EXPECT_EQ(done[2].name, "PING");
  EXPECT_EQ(done[2].end, stream.size());
  EXPECT_TRUE(scanner.in_step());
}

TEST(RespScanner, BinaryPayloadWithCrLfInsideABulkString) {
  const std::string payload("a\r\n*1\r\n$4\r\nXACK\r\n\0z", 20);
  const std::string stream =
      Resp({"XADD", "s", "*", "data", payload}) + Resp({"XACK", "s", "g", "1-1"});
  RespScanner scanner;
  std::vector<RespCommand> done;
  scanner.Feed(stream, &done);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].name, "XADD");
  EXPECT_EQ(done[1].name, "XACK");
}

TEST(RespScanner, OtherProtocolsPutItOutOfStepForGood) {
  RespScanner inline_command;
  std::vector<RespCommand> done;
  inline_command.Feed("PING\r\n" + Resp({"XACK", "s", "g", "1-1"}), &done);
  EXPECT_FALSE(inline_command.in_step());
  EXPECT_TRUE(done.empty());

  RespScanner postgres;  // a StartupMessage: length, protocol 3.0, "user"...
  postgres.Feed(std::string("\0\0\0\x29\0\x03\0\0user\0protean\0", 22), &done);
  EXPECT_FALSE(postgres.in_step());
  EXPECT_TRUE(done.empty());
}

TEST_F(ProxyTest, LostAckAppliedForwardsTheXackAndDropsItsReply) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(proxy_->AddToxic(LostAck(1)).ok());
  // Commands before the XACK pass both ways.
  const std::string get = Resp({"GET", "k"});
  ASSERT_TRUE(SendAll(p.client.get(), get));
  EXPECT_EQ(ReadExactly(p.server.get(), get.size()).data, get);
  ASSERT_TRUE(SendAll(p.server.get(), "$-1\r\n"));
  EXPECT_EQ(ReadExactly(p.client.get(), 5).data, "$-1\r\n");
  // The XACK and a pipelined PING in one write: the XACK reaches the server,
  // the PING does not; the server's reply never reaches the client.
  const std::string ack = Resp({"XACK", "orders", "g", "1-1"});
  ASSERT_TRUE(SendAll(p.client.get(), ack + Resp({"PING"})));
  EXPECT_EQ(ReadExactly(p.server.get(), ack.size()).data, ack);
  ASSERT_TRUE(SendAll(p.server.get(), ":1\r\n"));
  const ReadOutcome client = ReadToEnd(p.client.get());
  EXPECT_EQ(client.data, "");
  EXPECT_EQ(client.end, End::kReset);
  const ReadOutcome server = ReadToEnd(p.server.get());
  EXPECT_EQ(server.data, "") << "nothing after the XACK may reach the server";
  EXPECT_TRUE(Closed(server.end)) << EndName(server.end);
}

TEST_F(ProxyTest, LostAckNotAppliedDropsTheXack) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(proxy_->AddToxic(LostAck(0)).ok());
  const std::string get = Resp({"GET", "k"});
  ASSERT_TRUE(SendAll(p.client.get(), get + Resp({"XACK", "orders", "g", "1-1"})));
  const ReadOutcome server = ReadToEnd(p.server.get());
  EXPECT_EQ(server.data, get) << "the bytes before the XACK pass, the XACK does not";
  EXPECT_EQ(server.end, End::kReset);
  const ReadOutcome client = ReadToEnd(p.client.get());
  EXPECT_EQ(client.data, "");
  EXPECT_EQ(client.end, End::kReset);
}

TEST_F(ProxyTest, LostAckLeavesOtherCommandsAloneAndEndsWhenRemoved) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(proxy_->AddToxic(LostAck(1)).ok());
  const std::string read = Resp({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"});
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(SendAll(p.client.get(), read));
    EXPECT_EQ(ReadExactly(p.server.get(), read.size()).data, read);
    ASSERT_TRUE(SendAll(p.server.get(), "*0\r\n"));
    EXPECT_EQ(ReadExactly(p.client.get(), 4).data, "*0\r\n");
  }
  ASSERT_TRUE(proxy_->RemoveToxic("lost_ack").ok());
  const std::string ack = Resp({"XACK", "s", "g", "1-1"});
  ASSERT_TRUE(SendAll(p.client.get(), ack));
  EXPECT_EQ(ReadExactly(p.server.get(), ack.size()).data, ack);
  ASSERT_TRUE(SendAll(p.server.get(), ":1\r\n"));
  const ReadOutcome reply = ReadExactly(p.client.get(), 4);
  EXPECT_EQ(reply.data, ":1\r\n");
  EXPECT_EQ(reply.end, End::kData);
}

}  // namespace
}  // namespace protean::harness::proxy
