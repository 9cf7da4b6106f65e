#include "support/loopback.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "support/wait.h"

namespace callsignal::test {
namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Waits for events on fd; returns the revents, or 0 on timeout.
short wait_fd(int fd, short events, const Deadline& deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, deadline.poll_timeout_ms());
    if (n > 0) return p.revents;
    if (n == 0) return 0;
    if (errno != EINTR) throw std::runtime_error(errno_text("poll"));
  }
}

// Returns a connected socket, or an empty one with *error set.
UniqueFd try_connect(std::uint16_t port, std::chrono::milliseconds timeout, std::string* error) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) throw std::runtime_error(errno_text("socket"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) {
      *error = errno_text("connect");
      return {};
    }
    if (wait_fd(fd.get(), POLLOUT, Deadline(timeout)) == 0) {
      *error = "connect: timed out";
      return {};
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
      *error = std::string("connect: ") + std::strerror(so_error);
      return {};
    }
  }
  // Back to blocking for callers that use the fd directly; our helpers poll before each call.
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Appends at most max bytes (and at least one) to *out.
ReadOutcome read_up_to(int fd, std::string* out, std::size_t max, const Deadline& deadline) {
  for (;;) {
    if (wait_fd(fd, POLLIN, deadline) == 0) return ReadOutcome::timeout;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, std::min(max, sizeof buf), MSG_DONTWAIT);
    if (n > 0) {
      out->append(buf, static_cast<std::size_t>(n));
      return ReadOutcome::data;
    }
    if (n == 0) return ReadOutcome::closed;
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    return ReadOutcome::closed;  // ECONNRESET and the like: the peer is gone either way
  }
}

}  // namespace

UniqueFd connect_loopback(std::uint16_t port, std::chrono::milliseconds timeout) {
  std::string error;
  UniqueFd fd = try_connect(port, timeout, &error);
  if (!fd) throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed: " + error);
  return fd;
}

bool can_connect_loopback(std::uint16_t port, std::chrono::milliseconds timeout) {
  std::string error;
  return try_connect(port, timeout, &error).valid();
}

void write_all(int fd, const std::string& bytes, std::chrono::milliseconds timeout) {
  Deadline deadline(timeout);
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) throw std::runtime_error(errno_text("write_all: send"));
    if (wait_fd(fd, POLLOUT, deadline) == 0) throw std::runtime_error("write_all: timed out");
  }
}

std::string read_exact(int fd, std::size_t n, std::chrono::milliseconds timeout) {
  Deadline deadline(timeout);
  std::string out;
  while (out.size() < n) {
    switch (read_up_to(fd, &out, n - out.size(), deadline)) {
      case ReadOutcome::data:
        break;
      case ReadOutcome::closed:
        throw std::runtime_error("read_exact: connection closed after " + std::to_string(out.size()) + " of " +
                                 std::to_string(n) + " bytes");
      case ReadOutcome::timeout:
        throw std::runtime_error("read_exact: timed out after " + std::to_string(out.size()) + " of " +
                                 std::to_string(n) + " bytes");
    }
  }
  return out;
}

ReadOutcome read_some(int fd, std::string* out, std::chrono::milliseconds timeout) {
  return read_up_to(fd, out, 64 * 1024, Deadline(timeout));
}

}  // namespace callsignal::test
