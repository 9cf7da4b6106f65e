// TcpProxy: a loopback TCP proxy in front of 127.0.0.1:upstream_port, for network-failure tests.
// It listens on its own free port on 127.0.0.1 and runs one thread (poll(), woken through an
// eventfd); each direction of each connection buffers at most 64 KiB. TLS passes through as bytes.
//
// Controls are thread-safe and synchronous: when one returns, the proxy thread has applied it
// (a control throws std::runtime_error if that thread does not respond within 5 s).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/unique_fd.h"

namespace callsignal::test {

class TcpProxy {
 public:
  // Starts listening and forwarding. Throws std::runtime_error on failure.
  explicit TcpProxy(std::uint16_t upstream_port);
  ~TcpProxy();  // stops the thread and closes every socket
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::uint16_t upstream_port() const { return upstream_port_; }
  std::string uri(const std::string& scheme = "tcp") const;  // scheme://127.0.0.1:PORT

  // Resets every current connection on both sides at once (RST): clients read an error or EOF,
  // the upstream sees an abrupt disconnect (so the broker publishes wills).
  void cut_all();

  // While on, nothing is forwarded either way and no upstream connection is opened, yet every
  // socket stays open and new connections are still accepted: half-open connections that only a
  // keepalive can detect. Bytes sent meanwhile stay queued and flow once it is off again.
  // (A connection whose peer resets it meanwhile is closed on the other side too.)
  void set_blackhole(bool on);

  // While on, each new connection is accepted and reset at once. Current ones are left alone.
  void set_refuse(bool on);

  // Open client connections, and all accepted so far (refused ones excluded), as counted by the
  // proxy thread: a client's connect() can return before that thread has accepted it.
  std::size_t connections() const { return connections_.load(); }
  std::size_t accepted() const { return accepted_.load(); }

  struct Conn;  // one proxied connection (tcp_proxy.cpp)

 private:
  struct Settings {
    bool blackhole = false;
    bool refuse = false;
  };

  void control(const std::function<void(Settings&)>& change, bool cut);
  void wake();
  void run() noexcept;
  void loop();
  void remove_finished();

  const std::uint16_t upstream_port_;
  std::uint16_t port_ = 0;
  UniqueFd listener_;
  UniqueFd wake_fd_;  // eventfd: controls and the destructor interrupt poll()

  std::mutex mutex_;  // guards the fields below up to the thread
  std::condition_variable applied_cv_;
  Settings settings_;
  std::uint64_t requested_ = 0;  // control requests made
  std::uint64_t applied_ = 0;    // control requests the thread has applied
  std::uint64_t cut_requested_ = 0;
  bool stopping_ = false;
  std::string failure_;  // set if the thread died on an unexpected error

  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> accepted_{0};
  std::vector<std::unique_ptr<Conn>> conns_;  // only the thread touches these
  std::thread thread_;
};

}  // namespace callsignal::test
