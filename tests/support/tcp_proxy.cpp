#include "support/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace callsignal::test {
namespace {

constexpr std::size_t kBufferCap = 64 * 1024;  // per direction and connection
constexpr std::chrono::seconds kControlTimeout(5);

std::string errno_text(const char* what) { return std::string("TcpProxy: ") + what + ": " + std::strerror(errno); }

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Makes close() send an RST instead of a FIN: what a peer sees when a connection is torn down
// abruptly.
void reset_on_close(const UniqueFd& fd) {
  if (!fd) return;
  linger lin{1, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
}

}  // namespace

struct TcpProxy::Conn {
  struct Flow {           // one direction
    std::string buffer;   // read from the source, not yet written to the destination
    bool eof = false;     // the source sent FIN
    bool shut = false;    // FIN passed on to the destination
  };
  enum class Upstream { none, connecting, open };

  UniqueFd client;
  UniqueFd upstream;
  Upstream state = Upstream::none;
  Flow up;    // client -> upstream
  Flow down;  // upstream -> client
  bool dead = false;  // to be reset on both sides
  bool done = false;  // both directions finished cleanly

  // The sockets close in remove_finished(), after the count dropped: a client that sees the
  // reset also sees connections() without it.
  void abort() {
    reset_on_close(client);
    reset_on_close(upstream);
    dead = true;
  }
};

namespace {

using Conn = TcpProxy::Conn;

// Reads what fits in the buffer. False on a connection error.
bool read_into(int fd, Conn::Flow& flow) {
  std::size_t space = kBufferCap - flow.buffer.size();
  if (space == 0) return true;
  char chunk[16 * 1024];
  ssize_t n = ::recv(fd, chunk, std::min(space, sizeof chunk), MSG_DONTWAIT);
  if (n > 0) flow.buffer.append(chunk, static_cast<std::size_t>(n));
  else if (n == 0) flow.eof = true;
  else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
  return true;
}

// Writes what the socket takes. False on a connection error.
bool write_from(int fd, Conn::Flow& flow) {
  if (flow.buffer.empty()) return true;
  ssize_t n = ::send(fd, flow.buffer.data(), flow.buffer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) flow.buffer.erase(0, static_cast<std::size_t>(n));
  else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
  return true;
}

// Passes a FIN on once everything before it has been written.
void pass_fin(int destination, Conn::Flow& flow) {
  if (flow.eof && flow.buffer.empty() && !flow.shut) {
    ::shutdown(destination, SHUT_WR);
    flow.shut = true;
  }
}

void connect_upstream(Conn& c, std::uint16_t port) {
  c.upstream.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!c.upstream) throw std::runtime_error(errno_text("socket"));
  set_nodelay(c.upstream.get());
  sockaddr_in addr = loopback(port);
  if (::connect(c.upstream.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    c.state = Conn::Upstream::open;
  } else if (errno == EINPROGRESS) {
    c.state = Conn::Upstream::connecting;
  } else {
    c.abort();  // upstream down: the client sees a reset, as it would connecting directly
  }
}

short client_events(const Conn& c, bool blackhole) {
  if (blackhole) return 0;  // POLLERR and POLLHUP are still reported
  short events = 0;
  if (!c.up.eof && c.up.buffer.size() < kBufferCap) events |= POLLIN;
  if (!c.down.buffer.empty()) events |= POLLOUT;
  return events;
}

short upstream_events(const Conn& c, bool blackhole) {
  if (blackhole || c.state == Conn::Upstream::none) return 0;
  if (c.state == Conn::Upstream::connecting) return POLLOUT;
  short events = 0;
  if (!c.down.eof && c.down.buffer.size() < kBufferCap) events |= POLLIN;
  if (!c.up.buffer.empty()) events |= POLLOUT;
  return events;
}

// Moves bytes for one connection after poll() reported client_rev and upstream_rev.
void service(Conn& c, short client_rev, short upstream_rev, bool blackhole) {
  if ((client_rev | upstream_rev) & POLLERR) return c.abort();
  // Both directions of a peer are gone (reset, usually). Outside a blackhole the reads below
  // find out; inside one nothing reads, and poll() would report it forever.
  if (blackhole) {
    if ((client_rev | upstream_rev) & POLLHUP) c.abort();
    return;
  }
  if (c.state == Conn::Upstream::connecting && (upstream_rev & (POLLOUT | POLLHUP))) {
    int error = 0;
    socklen_t len = sizeof error;
    ::getsockopt(c.upstream.get(), SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) return c.abort();
    c.state = Conn::Upstream::open;
  }
  bool open = c.state == Conn::Upstream::open;
  if ((client_rev & POLLHUP) && c.up.buffer.size() == kBufferCap) return c.abort();
  if ((upstream_rev & POLLHUP) && c.down.buffer.size() == kBufferCap) return c.abort();
  if ((client_rev & (POLLIN | POLLHUP)) && !read_into(c.client.get(), c.up)) return c.abort();
  if (open && (upstream_rev & (POLLIN | POLLHUP)) && !read_into(c.upstream.get(), c.down)) return c.abort();
  if (open && !write_from(c.upstream.get(), c.up)) return c.abort();
  if (!write_from(c.client.get(), c.down)) return c.abort();
  if (open) pass_fin(c.upstream.get(), c.up);
  pass_fin(c.client.get(), c.down);
  c.done = c.up.shut && c.down.shut;
}

}  // namespace

TcpProxy::TcpProxy(std::uint16_t upstream_port) : upstream_port_(upstream_port) {
  listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listener_) throw std::runtime_error(errno_text("socket"));
  sockaddr_in addr = loopback(0);
  if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error(errno_text("bind"));
  if (::listen(listener_.get(), 64) != 0) throw std::runtime_error(errno_text("listen"));
  socklen_t len = sizeof addr;
  if (::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error(errno_text("getsockname"));
  port_ = ntohs(addr.sin_port);
  wake_fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_fd_) throw std::runtime_error(errno_text("eventfd"));
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake();
  thread_.join();
}

std::string TcpProxy::uri(const std::string& scheme) const {
  return scheme + "://127.0.0.1:" + std::to_string(port_);
}

void TcpProxy::cut_all() {
  control([](Settings&) {}, true);
}

void TcpProxy::set_blackhole(bool on) {
  control([on](Settings& s) { s.blackhole = on; }, false);
}

void TcpProxy::set_refuse(bool on) {
  control([on](Settings& s) { s.refuse = on; }, false);
}

void TcpProxy::control(const std::function<void(Settings&)>& change, bool cut) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!failure_.empty()) throw std::runtime_error("TcpProxy thread failed: " + failure_);
  change(settings_);
  cut_requested_ = cut_requested_ || cut;
  std::uint64_t ticket = ++requested_;
  wake();
  if (!applied_cv_.wait_for(lock, kControlTimeout, [&] { return applied_ >= ticket || !failure_.empty(); }))
    throw std::runtime_error("TcpProxy: the proxy thread did not apply a control within 5 s");
  if (!failure_.empty()) throw std::runtime_error("TcpProxy thread failed: " + failure_);
}

void TcpProxy::wake() {
  std::uint64_t one = 1;
  // A full counter (impossible in practice) still leaves the eventfd readable: ignoring is safe.
  [[maybe_unused]] ssize_t n = ::write(wake_fd_.get(), &one, sizeof one);
}

void TcpProxy::run() noexcept {
  try {
    loop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "TcpProxy: %s\n", e.what());
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = e.what();
    applied_cv_.notify_all();
  }
  conns_.clear();
  connections_ = 0;
}

void TcpProxy::loop() {
  std::vector<pollfd> fds;
  for (;;) {
    Settings s;
    bool cut = false;
    std::uint64_t ticket = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      s = settings_;
      cut = std::exchange(cut_requested_, false);
      ticket = requested_;
    }
    if (cut) {
      for (auto& c : conns_) c->abort();
    }
    // Leaving a blackhole: open the upstream side of connections accepted during it.
    if (!s.blackhole) {
      for (auto& c : conns_)
        if (c->state == Conn::Upstream::none && !c->dead) connect_upstream(*c, upstream_port_);
    }
    remove_finished();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      applied_ = ticket;  // controls return only once their effect is in place
    }
    applied_cv_.notify_all();

    fds.clear();
    fds.push_back({wake_fd_.get(), POLLIN, 0});
    fds.push_back({listener_.get(), POLLIN, 0});
    for (const auto& c : conns_) {
      fds.push_back({c->client.get(), client_events(*c, s.blackhole), 0});
      fds.push_back({c->upstream ? c->upstream.get() : -1, upstream_events(*c, s.blackhole), 0});
    }
    // No timeout: the thread sleeps until traffic or a control wakes it through the eventfd.
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(errno_text("poll"));
    }
    if (fds[0].revents & POLLIN) {
      std::uint64_t drained;
      [[maybe_unused]] ssize_t n = ::read(wake_fd_.get(), &drained, sizeof drained);
    }

    const std::size_t polled = conns_.size();  // accepting below appends
    for (std::size_t i = 0; i < polled; ++i)
      service(*conns_[i], fds[2 + 2 * i].revents, fds[3 + 2 * i].revents, s.blackhole);

    if (fds[1].revents & POLLIN) {
      for (;;) {
        UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!client) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) break;
          if (errno == EINTR || errno == ECONNABORTED) continue;
          throw std::runtime_error(errno_text("accept4"));
        }
        if (s.refuse) {
          reset_on_close(client);
          continue;
        }
        set_nodelay(client.get());
        auto c = std::make_unique<Conn>();
        c->client = std::move(client);
        if (!s.blackhole) connect_upstream(*c, upstream_port_);
        conns_.push_back(std::move(c));
        ++accepted_;
      }
    }

    remove_finished();
  }
}

void TcpProxy::remove_finished() {
  auto finished = std::partition(conns_.begin(), conns_.end(), [](const auto& c) { return !c->dead && !c->done; });
  connections_ = static_cast<std::size_t>(finished - conns_.begin());
  conns_.erase(finished, conns_.end());  // closes their sockets
}

}  // namespace callsignal::test
