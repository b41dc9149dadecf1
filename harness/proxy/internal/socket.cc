#include "harness/proxy/internal/socket.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace protean::harness::proxy::internal {
namespace {

constexpr int kBacklog = 128;
// A port picked with bind(0) can be taken by someone else before the
// explicit bind; then pick another.
constexpr int kBindAttemptsMax = 8;
// Reads of already-received bytes before a graceful close.
constexpr int kDrainReadsMax = 16;

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

int PortOf(const sockaddr_storage& s) {
  if (s.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&s)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&s)->sin_port);
}

void SetPort(sockaddr_storage* s, int port) {
  if (s->ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(s)->sin6_port = htons(static_cast<uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in*>(s)->sin_port = htons(static_cast<uint16_t>(port));
  }
}

}  // namespace

void Fd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Status ParseHostPort(std::string_view text, HostPort* out) {
  auto bad = [&] {
    return Status::InvalidArgument("address '" + std::string(text) + "' is not host:port");
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad();
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int value = -1;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value < 0 || value > 65535 ||
      host.empty()) {
    return bad();
  }
  out->host = std::string(host);
  out->port = value;
  return Status::Ok();
}

std::string FormatHostPort(const HostPort& address) {
  const bool v6 = address.host.find(':') != std::string::npos;
  return (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

Status Resolve(const HostPort& address, SocketAddress* out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(address.port);
  const int rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &list);
  if (rc != 0 || list == nullptr) {
    return Status::Unavailable("cannot resolve " + FormatHostPort(address) + ": " +
                               gai_strerror(rc));
  }
  // IPv4 first: "localhost" often resolves to ::1 first while servers
  // (Redis, PostgreSQL) commonly listen on 127.0.0.1 only.
  const addrinfo* pick = list;
  for (const addrinfo* a = list; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  std::memcpy(&out->storage, pick->ai_addr, pick->ai_addrlen);
  out->length = pick->ai_addrlen;
  freeaddrinfo(list);
  return Status::Ok();
}

Status Listener::Open(const HostPort& address) {
  SocketAddress where;
  PROTEAN_RETURN_IF_ERROR(Resolve(address, &where));
  if (address.port != 0) return Bind(where);
  Status last = Status::Unavailable("no free port");
  for (int attempt = 0; attempt < kBindAttemptsMax; ++attempt) {
    // Pick a free port with a throw-away socket, then bind it explicitly.
    Fd probe(::socket(where.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    SetPort(&where.storage, 0);
    if (!probe.valid() ||
        ::bind(probe.get(), reinterpret_cast<const sockaddr*>(&where.storage), where.length) != 0) {
      return Status::Unavailable(Errno("bind " + FormatHostPort(address)));
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof(bound);
    ::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&bound), &length);
    SetPort(&where.storage, PortOf(bound));
    probe.Reset();
    last = Bind(where);
    if (last.ok()) return last;
  }
  return last;
}

Status Listener::Bind(const SocketAddress& address) {
  Fd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Status::Unavailable(Errno("socket"));
  // SO_REUSEADDR for TIME_WAIT leftovers only; no SO_REUSEPORT: the port is ours alone.
  const int yes = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
    return Status::Unavailable(Errno("bind port " + std::to_string(PortOf(address.storage))));
  }
  fd_ = std::move(fd);
  port_ = PortOf(address.storage);
  return Listen();
}

Status Listener::Listen() {
  if (listening_) return Status::Ok();
  if (::listen(fd_.get(), kBacklog) != 0) return Status::Unavailable(Errno("listen"));
  listening_ = true;
  return Status::Ok();
}

void Listener::StopListening() {
  if (!listening_) return;
  // On Linux, SHUT_RD on a listener stops listening (queued connections are
  // reset) while an explicitly bound port stays bound.
  ::shutdown(fd_.get(), SHUT_RD);
  listening_ = false;
}

Status ConnectNonBlocking(const SocketAddress& address, Fd* out, bool* in_progress) {
  Fd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Status::Unavailable(Errno("socket"));
  const int rc =
      ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length);
  if (rc != 0 && errno != EINPROGRESS) return Status::Unavailable(Errno("connect"));
  *in_progress = rc != 0;
  *out = std::move(fd);
  return Status::Ok();
}

void SetNoDelay(int fd) {
  const int yes = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
}

int SocketError(int fd) {
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

void CloseGracefully(Fd& fd) {
  if (!fd.valid()) return;
  ::shutdown(fd.get(), SHUT_WR);
  char discard[16384];
  for (int i = 0; i < kDrainReadsMax; ++i) {
    if (::recv(fd.get(), discard, sizeof(discard), MSG_DONTWAIT) <= 0) break;
  }
  fd.Reset();
}

void CloseWithReset(Fd& fd) {
  if (!fd.valid()) return;
  const linger hard{1, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  fd.Reset();
}

}  // namespace protean::harness::proxy::internal
