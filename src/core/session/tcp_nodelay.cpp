#include "core/session/tcp_nodelay.h"

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/session/event_loop.h"

namespace callsignal {
namespace {

// Where /proc is readable (Linux, Android) the sockets are found without touching a descriptor
// that is not a broker connection: /proc/self/net/tcp{,6} name the connections to the port by
// inode, and /proc/self/fd/N links name each descriptor's inode. Other descriptors are never
// fstat'ed or queried, so a pass cannot race the app's threads opening and closing theirs.

// Inodes of the TCP connections (established or connecting) whose remote port is in `ports`.
// Returns false when /proc/self/net is not there.
bool broker_connection_inodes(const std::set<int>& ports, std::set<unsigned long>& inodes) {
  bool readable = false;
  for (const char* path : {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
    std::ifstream table(path);
    if (!table) continue;
    readable = true;
    std::string line;
    std::getline(table, line);  // the header
    while (std::getline(table, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
      unsigned long inode = 0;
      if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode)) {
        continue;
      }
      const std::size_t colon = remote.rfind(':');
      if (colon == std::string::npos || inode == 0) continue;
      const int port = static_cast<int>(std::strtol(remote.c_str() + colon + 1, nullptr, 16));
      // 01 established, 02 SYN sent (Paho connects without waiting)
      if ((state == "01" || state == "02") && ports.count(port)) inodes.insert(inode);
    }
  }
  return readable;
}

// The socket inode behind /proc/self/fd/<name>, or 0.
unsigned long socket_inode_of(const char* name) {
  const std::string path = std::string("/proc/self/fd/") + name;
  char target[64];
  const ssize_t length = readlink(path.c_str(), target, sizeof(target) - 1);
  if (length <= 0) return 0;
  target[length] = '\0';
  unsigned long inode = 0;
  return std::sscanf(target, "socket:[%lu]", &inode) == 1 ? inode : 0;
}

bool set_nodelay(int fd) {
  const int one = 1;
  return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0;
}

int peer_port(int fd) {
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return -1;
  if (peer.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(peer).sin_port);
  if (peer.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(peer).sin6_port);
  return -1;
}

// Without /proc (Apple platforms): every descriptor below the limit is asked.
int enable_by_probing(const std::set<int>& ports) {
  rlimit limit{};
  const rlim_t count = getrlimit(RLIMIT_NOFILE, &limit) == 0 ? std::min<rlim_t>(limit.rlim_cur, 65536) : 1024;
  int changed = 0;
  for (rlim_t n = 0; n < count; ++n) {
    const int fd = static_cast<int>(n);
    struct stat info {};
    int on = 0;
    socklen_t length = sizeof(on);
    if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) continue;
    if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &length) != 0 || on != 0) continue;
    if (ports.count(peer_port(fd)) && set_nodelay(fd)) ++changed;
  }
  return changed;
}

struct NodelayState {
  std::mutex mu;
  std::set<int> pending_ports;
  bool scheduled = false;
  std::set<unsigned long> done;  // inodes already set, pruned to the live connections each pass
};

NodelayState& state() {
  static auto* instance = new NodelayState();  // never destroyed: loops may post during exit
  return *instance;
}

int enable_for_ports(const std::set<int>& ports) {
  std::set<unsigned long> inodes;
  if (!broker_connection_inodes(ports, inodes)) return enable_by_probing(ports);
  NodelayState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  std::set<unsigned long> done;
  for (unsigned long inode : s.done) {
    if (inodes.count(inode)) done.insert(inode);  // still open: keep; closed ones are forgotten
  }
  int changed = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (const dirent* entry = readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      const unsigned long inode = socket_inode_of(entry->d_name);
      if (inode == 0 || !inodes.count(inode) || done.count(inode)) continue;
      if (set_nodelay(std::atoi(entry->d_name))) {
        done.insert(inode);
        ++changed;
      }
    }
    closedir(dir);
  }
  s.done.swap(done);
  return changed;
}

}  // namespace

int enable_tcp_nodelay_to_port(int port) { return enable_for_ports({port}); }

void request_tcp_nodelay(EventLoop& loop, int port) {
  NodelayState& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.pending_ports.insert(port);
    if (s.scheduled) return;
    s.scheduled = true;
  }
  // If the loop drops the task unrun (it is being destroyed), the next request schedules anew.
  struct Pass {
    NodelayState& s;
    bool ran = false;
    ~Pass() {
      if (ran) return;
      std::lock_guard<std::mutex> lock(s.mu);
      s.scheduled = false;
    }
  };
  std::shared_ptr<Pass> pass(new Pass{s});
  loop.post([pass] {
    std::set<int> ports;
    {
      std::lock_guard<std::mutex> lock(pass->s.mu);
      ports.swap(pass->s.pending_ports);
      pass->s.scheduled = false;
      pass->ran = true;
    }
    enable_for_ports(ports);
  });
}

}  // namespace callsignal
