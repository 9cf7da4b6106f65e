#include "support/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include "support/unique_fd.h"

namespace callsignal::test {
namespace {

constexpr int kLowestCandidate = 10000;  // clear of well-known and registered service ports
constexpr int kAttempts = 64;

// Binds 127.0.0.1:port (0 = kernel's choice) and returns the bound port, or 0 if taken.
std::uint16_t try_bind(std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error(std::string("free_loopback_port: socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == EADDRINUSE || errno == EACCES) return 0;
    throw std::runtime_error(std::string("free_loopback_port: bind: ") + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error(std::string("free_loopback_port: getsockname: ") + std::strerror(errno));
  return ntohs(addr.sin_port);
}

int ephemeral_low() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  int high = 0;
  if (!(in >> low >> high)) return 0;
  return low;
}

}  // namespace

std::uint16_t free_loopback_port() {
  static const int low = ephemeral_low();
  if (low > kLowestCandidate + kAttempts) {
    std::random_device seed;
    std::mt19937 gen(seed());
    std::uniform_int_distribution<int> pick(kLowestCandidate, low - 1);
    for (int i = 0; i < kAttempts; ++i) {
      if (std::uint16_t port = try_bind(static_cast<std::uint16_t>(pick(gen)))) return port;
    }
  }
  if (std::uint16_t port = try_bind(0)) return port;
  throw std::runtime_error("free_loopback_port: no free port on 127.0.0.1");
}

}  // namespace callsignal::test
