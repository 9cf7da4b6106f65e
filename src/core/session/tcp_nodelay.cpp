#include "core/session/tcp_nodelay.h"

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "core/session/event_loop.h"

namespace callsignal {
namespace {

int peer_port(int fd) {
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return -1;
  if (peer.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(peer).sin_port);
  if (peer.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(peer).sin6_port);
  return -1;
}

// Whether fd is a TCP socket to one of `ports` without TCP_NODELAY; if so, sets it.
bool set_if_broker_socket(int fd, const std::set<int>& ports) {
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) return false;
  int on = 0;
  socklen_t length = sizeof(on);
  // Fails on non-TCP sockets (UNIX, UDP): they are skipped here.
  if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &length) != 0 || on != 0) return false;
  if (ports.count(peer_port(fd)) == 0) return false;
  const int one = 1;
  return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0;
}

std::vector<int> open_descriptors() {
  std::vector<int> fds;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (const dirent* entry = readdir(dir)) {
      char* end = nullptr;
      const long fd = std::strtol(entry->d_name, &end, 10);
      if (end != entry->d_name && *end == '\0' && fd != dirfd(dir)) fds.push_back(static_cast<int>(fd));
    }
    closedir(dir);
    return fds;
  }
  rlimit limit{};
  const rlim_t count = getrlimit(RLIMIT_NOFILE, &limit) == 0 ? std::min<rlim_t>(limit.rlim_cur, 65536) : 1024;
  for (rlim_t fd = 0; fd < count; ++fd) fds.push_back(static_cast<int>(fd));
  return fds;
}

int enable_for_ports(const std::set<int>& ports) {
  int changed = 0;
  for (int fd : open_descriptors()) changed += set_if_broker_socket(fd, ports) ? 1 : 0;
  return changed;
}

struct PendingPasses {
  std::mutex mu;
  std::set<int> ports;
  bool scheduled = false;
};

PendingPasses& pending() {
  static auto* state = new PendingPasses();  // never destroyed: loops may post during exit
  return *state;
}

}  // namespace

int enable_tcp_nodelay_to_port(int port) { return enable_for_ports({port}); }

void request_tcp_nodelay(EventLoop& loop, int port) {
  PendingPasses& state = pending();
  {
    std::lock_guard<std::mutex> lock(state.mu);
    state.ports.insert(port);
    if (state.scheduled) return;
    state.scheduled = true;
  }
  // If the loop drops the task unrun (it is being destroyed), the next request schedules anew.
  struct Pass {
    PendingPasses& state;
    bool ran = false;
    ~Pass() {
      if (ran) return;
      std::lock_guard<std::mutex> lock(state.mu);
      state.scheduled = false;
    }
  };
  std::shared_ptr<Pass> pass(new Pass{state});
  loop.post([pass] {
    std::set<int> ports;
    {
      std::lock_guard<std::mutex> lock(pass->state.mu);
      ports.swap(pass->state.ports);
      pass->state.scheduled = false;
      pass->ran = true;
    }
    enable_for_ports(ports);
  });
}

}  // namespace callsignal
