#pragma once
// Loopback helpers for the fault proxy tests: a listening socket standing in
// for the upstream server, blocking client connections, and reads that
// always end (by data, EOF, reset or their timeout) so no test can hang.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "harness/proxy/internal/socket.h"

namespace protean::harness::proxy::testing {

using internal::Fd;
using Millis = std::chrono::milliseconds;

// A listener on 127.0.0.1 with an ephemeral port; Accept() hands out the
// server end of each connection the proxy opens.
class Upstream {
 public:
  Upstream();
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Invalid Fd if nothing arrives within `timeout`.
  Fd Accept(Millis timeout = Millis(3000));

 private:
  Fd fd_;
  int port_ = 0;
};

// Blocking connect to 127.0.0.1:port (send/receive timeouts of 10 s as a
// backstop); invalid Fd if refused.
Fd ConnectTo(int port);
bool SendAll(int fd, std::string_view data);

enum class End { kData, kEof, kReset, kTimeout, kError };
const char* EndName(End end);

struct ReadOutcome {
  std::string data;
  End end = End::kData;  // kData: the wanted bytes arrived, the stream is still open
  int reads = 0;         // recv() calls that returned bytes
};
// Reads until `n` bytes arrived or the stream ended / the timeout passed.
ReadOutcome ReadExactly(int fd, size_t n, Millis timeout = Millis(3000));
// Reads until EOF, reset or the timeout.
ReadOutcome ReadToEnd(int fd, Millis timeout = Millis(3000));
// Whether `fd` becomes readable (data, EOF or error) within `timeout`.
bool Readable(int fd, Millis timeout);

// A client connection through the proxy and its server end at the upstream.
struct Pair {
  Fd client;
  Fd server;
  bool ok() const { return client.valid() && server.valid(); }
};
Pair OpenPair(int proxy_port, Upstream& upstream);

// client -> server "ping", server -> client "pong"; milliseconds, or -1 if
// a leg did not arrive within `timeout`.
double RoundTripMs(Pair& pair, Millis timeout = Millis(5000));

double MsSince(std::chrono::steady_clock::time_point start);
// deterministic filler: bytes i*7+seed, so order and integrity are checked
std::string Pattern(size_t n, unsigned seed = 0);
// Resets the socket (SO_LINGER 0) as a crashing server would.
void ResetSocket(Fd& fd);

}  // namespace protean::harness::proxy::testing
