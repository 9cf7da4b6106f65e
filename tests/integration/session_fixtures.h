// Shared pieces of the session integration tests: a recording listener and configs.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/session/session.h"
#include "support/wait.h"

namespace callsignal::test {

using namespace std::chrono_literals;

// Generous: CI machines are slow and sanitizers slower. Waits end as soon as the condition holds.
inline constexpr std::chrono::milliseconds kWait = 20s;

struct Received {
  std::string topic;
  std::string payload;
};

// Records every callback so that the test thread can wait on it.
class RecordingListener : public SessionListener {
 public:
  EventLog<ConnectionEvent> connection;
  EventLog<Received> messages;
  EventLog<std::uint64_t> published;
  EventLog<std::uint64_t> expired;
  EventLog<Status> errors;

  void on_connection(const ConnectionEvent& event) override { connection.push(event); }
  void on_message(const InboundMessage& message) override { messages.push({message.topic, message.payload}); }
  void on_published(std::uint64_t seq) override { published.push(seq); }
  void on_expired(std::uint64_t seq) override { expired.push(seq); }
  void on_error(const Status& status) override { errors.push(status); }

  bool wait_connected(std::size_t times = 1, std::chrono::milliseconds timeout = kWait) {
    return connection.wait_for_count([](const ConnectionEvent& e) { return e.state == ConnectionState::connected; },
                                     times, timeout);
  }
  bool wait_disconnected(std::size_t times = 1, std::chrono::milliseconds timeout = kWait) {
    return connection.wait_for_count([](const ConnectionEvent& e) { return e.state == ConnectionState::disconnected; },
                                     times, timeout);
  }
  std::size_t count_state(ConnectionState state) const {
    return connection.count_if([state](const ConnectionEvent& e) { return e.state == state; });
  }
  bool wait_messages(std::size_t n, std::chrono::milliseconds timeout = kWait) {
    return messages.wait_for_size(n, timeout);
  }
};

// A generic-broker config with fast reconnects for tests.
inline SessionConfig test_config(const std::string& uri, const std::string& device,
                                 const std::string& data_dir = "") {
  SessionConfig config;
  config.broker_uris = {uri};
  config.group_id = "GID_test";
  config.device_id = device;
  config.uplink_parent = "up";
  config.downlink_parent = "dl";
  config.data_dir = data_dir;
  config.keepalive = 5s;
  config.connect_timeout = 3s;
  config.backoff.initial = 100ms;
  config.backoff.max = 1s;
  config.presence.enabled = false;
  return config;
}

inline std::unique_ptr<Session> make_session(SessionConfig config, SessionListener& listener,
                                             std::shared_ptr<EventLoop> loop = nullptr,
                                             InboundGate* gate = nullptr) {
  auto session = Session::create(std::move(config), listener, std::move(loop), gate);
  if (!session.ok()) throw std::runtime_error("Session::create: " + session.status().message);
  return std::move(session).value();
}

// For tests whose subject is time itself (expiry), not synchronization: returns after `duration`.
void let_time_pass(std::chrono::milliseconds duration);

class ChildProcess;
// Reads the child's stderr line by line until a line equals `line`; false at EOF or timeout.
bool read_line_until(ChildProcess& child, const std::string& line, std::chrono::milliseconds timeout);

// A device id unique within the test run, so tests sharing a broker never share a session.
std::string unique_device(const std::string& prefix);

}  // namespace callsignal::test
