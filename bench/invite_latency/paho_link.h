// PahoLink: one plain Paho MQTTAsync client (MQTT 3.1.1, QoS 1) for the invite_latency benchmark:
// the control peer's publisher and the raw subscriber the SDK path is compared with.
//
// Threads: the constructor, subscribe(), publish() and the destructor run on the caller's thread
// and wait (with deadlines) for Paho's results; on_message runs on Paho's receive thread, which
// serves every client of the process, so it must be short and must call no Paho function.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace callsignal::bench {

using SteadyClock = std::chrono::steady_clock;

class PahoLink {
 public:
  // topic and payload are borrowed for the duration of the call.
  using OnMessage = std::function<void(std::string_view topic, std::string_view payload)>;

  // Creates the client and starts connecting (Paho takes a second or two on this machine, so the
  // benchmark starts all its connects before it waits for any). Throws std::runtime_error naming
  // Paho's return code.
  PahoLink(const std::string& uri, const std::string& client_id, bool clean_session, OnMessage on_message);
  // Waits (5 s deadline) until connected. Throws on failure.
  void wait_connected();
  ~PahoLink();  // disconnects (bounded) and destroys; never throws
  PahoLink(const PahoLink&) = delete;
  PahoLink& operator=(const PahoLink&) = delete;

  // QoS 1; returns once the broker granted it (5 s deadline). Throws on failure.
  void subscribe(const std::string& topic);

  // QoS 1, not retained. Returns the steady-clock stamp taken just before MQTTAsync_sendMessage.
  // Throws when Paho refuses the message.
  SteadyClock::time_point publish(const std::string& topic, const std::string& payload);

 private:
  friend struct PahoCallbacks;  // Paho's C callbacks, in paho_link.cpp
  struct Pending;               // one awaited Paho result
  void wait_for(Pending& pending, const char* what);

  void* handle_ = nullptr;  // MQTTAsync
  std::unique_ptr<Pending> connecting_;
  OnMessage on_message_;
  bool connected_ = false;
};

}  // namespace callsignal::bench
