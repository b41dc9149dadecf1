#pragma once
// Socket plumbing of the fault proxy: an owning fd, host:port parsing and
// resolution, a listener that keeps its port while not listening, and the
// two ways to close a proxied socket (FIN after a drain, or RST).
//
// Every function is thread-compatible; errors come back as Status and never
// as errno left behind.

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace protean::harness::proxy::internal {

// Owns one file descriptor (-1 = none); move-only; closes on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

struct HostPort {
  std::string host;
  int port = 0;
};

// "host:port", "[v6]:port"; port in 0..65535. InvalidArgument otherwise.
Status ParseHostPort(std::string_view text, HostPort* out);
std::string FormatHostPort(const HostPort& address);

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
};

// getaddrinfo (blocking); the first IPv4 address, else the first one.
// Unavailable if none.
Status Resolve(const HostPort& address, SocketAddress* out);

// A non-blocking listening socket bound with an explicit port (port 0 picks a
// free one first), so that StopListening() keeps the port reserved and
// connections are refused (RST to the SYN) until Listen() again.
class Listener {
 public:
  Status Open(const HostPort& address);
  Status Listen();
  void StopListening();
  int fd() const { return fd_.get(); }
  int port() const { return port_; }
  bool listening() const { return listening_; }
  void Close() {
    fd_.Reset();
    listening_ = false;
  }

 private:
  Status Bind(const SocketAddress& address);
  Fd fd_;
  int port_ = 0;
  bool listening_ = false;
};

// Starts a non-blocking connect; *in_progress is true while it has not
// finished (then wait for EPOLLOUT and read SO_ERROR).
Status ConnectNonBlocking(const SocketAddress& address, Fd* out, bool* in_progress);

void SetNoDelay(int fd);
// 0, or the pending socket error (SO_ERROR).
int SocketError(int fd);

// FIN: shutdown(SHUT_WR), discard what the peer already sent (a bounded
// number of reads, so that close() does not turn the FIN into an RST), close.
void CloseGracefully(Fd& fd);
// RST: SO_LINGER {1, 0}, then close.
void CloseWithReset(Fd& fd);

}  // namespace protean::harness::proxy::internal
