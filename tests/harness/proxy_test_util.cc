#include "tests/harness/proxy_test_util.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

namespace protean::harness::proxy::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

ReadOutcome Read(int fd, size_t n, Millis timeout) {
  ReadOutcome out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[65536];
  while (out.data.size() < n) {
    const auto left =
        std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !Readable(fd, left)) {
      out.end = End::kTimeout;
      return out;
    }
    const size_t want = std::min(sizeof(buffer), n - out.data.size());
    const ssize_t got = ::recv(fd, buffer, want, MSG_DONTWAIT);
    if (got > 0) {
      out.data.append(buffer, static_cast<size_t>(got));
      ++out.reads;
    } else if (got == 0) {
      out.end = End::kEof;
      return out;
    } else if (errno == ECONNRESET) {
      out.end = End::kReset;
      return out;
    } else if (errno != EAGAIN && errno != EINTR) {
      out.end = End::kError;
      return out;
    }
  }
  out.end = End::kData;
  return out;
}

}  // namespace

Upstream::Upstream() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  sockaddr_in a = Loopback(0);
  ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a));
  ::listen(fd_.get(), 64);
  socklen_t length = sizeof(a);
  ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &length);
  port_ = ntohs(a.sin_port);
}

Fd Upstream::Accept(Millis timeout) {
  if (!Readable(fd_.get(), timeout)) return Fd();
  return Fd(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
}

Fd ConnectTo(int port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const timeval backstop{10, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &backstop, sizeof(backstop));
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &backstop, sizeof(backstop));
  sockaddr_in a = Loopback(port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return Fd();
  return fd;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

const char* EndName(End end) {
  switch (end) {
    case End::kData:
      return "data";
    case End::kEof:
      return "eof";
    case End::kReset:
      return "reset";
    case End::kTimeout:
      return "timeout";
    case End::kError:
      return "error";
  }
  return "?";
}

ReadOutcome ReadExactly(int fd, size_t n, Millis timeout) { return Read(fd, n, timeout); }

ReadOutcome ReadToEnd(int fd, Millis timeout) { return Read(fd, SIZE_MAX, timeout); }

bool Readable(int fd, Millis timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

Pair OpenPair(int proxy_port, Upstream& upstream) {
  Pair pair;
  pair.client = ConnectTo(proxy_port);
  if (pair.client.valid()) pair.server = upstream.Accept();
  return pair;
}

double RoundTripMs(Pair& pair, Millis timeout) {
  const auto start = std::chrono::steady_clock::now();
  if (!SendAll(pair.client.get(), "ping")) return -1;
  if (ReadExactly(pair.server.get(), 4, timeout).data != "ping") return -1;
  if (!SendAll(pair.server.get(), "pong")) return -1;
  if (ReadExactly(pair.client.get(), 4, timeout).data != "pong") return -1;
  return MsSince(start);
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string Pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + seed) % 251);
  return s;
}

void ResetSocket(Fd& fd) {
  const linger hard{1, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  fd.Reset();
}

}  // namespace protean::harness::proxy::testing
