// Nagle's algorithm is off on the session's broker connection (core/session/tcp_nodelay.h): Paho
// leaves it on, and it held each "PUBACK, then our ack" exchange for about 40 ms.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/session/tcp_nodelay.h"
#include "integration/session_fixtures.h"
#include "support/shared_broker.h"
#include "support/unique_fd.h"

using namespace callsignal;
using namespace callsignal::test;

namespace {

int nodelay_of(int fd) {
  int on = -1;
  socklen_t length = sizeof(on);
  if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &length) != 0) return -1;
  return on;
}

int peer_port_of(int fd) {
  sockaddr_in peer{};
  socklen_t length = sizeof(peer);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0 || peer.sin_family != AF_INET) return -1;
  return ntohs(peer.sin_port);
}

// A listening socket on 127.0.0.1 (any free port) and a client socket connected to it.
struct LoopbackPair {
  UniqueFd listener{socket(AF_INET, SOCK_STREAM, 0)};
  UniqueFd client{socket(AF_INET, SOCK_STREAM, 0)};
  int port = 0;

  LoopbackPair() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    REQUIRE(bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(listen(listener.get(), 1) == 0);
    REQUIRE(getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port = ntohs(address.sin_port);
    REQUIRE(connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  }
};

// The descriptors of this process whose TCP peer is `port`.
std::vector<int> sockets_to_port(int port) {
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  REQUIRE(dir != nullptr);
  while (const dirent* entry = readdir(dir)) {
    const int fd = std::atoi(entry->d_name);
    if (entry->d_name[0] != '.' && fd != dirfd(dir) && peer_port_of(fd) == port) fds.push_back(fd);
  }
  closedir(dir);
  return fds;
}

}  // namespace

TEST_CASE("tcp nodelay: set on the sockets to the given port only, once", "[session][nodelay]") {
  LoopbackPair broker_like;
  LoopbackPair other;
  REQUIRE(nodelay_of(broker_like.client.get()) == 0);

  CHECK(enable_tcp_nodelay_to_port(broker_like.port) == 1);
  CHECK(nodelay_of(broker_like.client.get()) == 1);
  CHECK(nodelay_of(other.client.get()) == 0);  // another peer port: left alone
  CHECK(enable_tcp_nodelay_to_port(broker_like.port) == 0);  // nothing left to change
}

TEST_CASE("tcp nodelay: a connected session's broker connection has Nagle off", "[session][nodelay]") {
  RecordingListener events;
  auto session = make_session(test_config(shared_broker_uri(), unique_device("nd")), events);
  REQUIRE(session->start().ok());
  // The pass is queued on the event thread when the CONNACK arrives, before the SUBACK that
  // makes the session connected: by the connected callback it has run.
  REQUIRE(events.wait_connected());
  const std::vector<int> fds = sockets_to_port(shared_broker_port());
  REQUIRE_FALSE(fds.empty());
  for (int fd : fds) CHECK(nodelay_of(fd) == 1);
}
