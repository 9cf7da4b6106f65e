// Test harness for the control service: the service in-process on the shared broker, and
// hand-made devices (a core Session + decode() with the service's public key as trusted key),
// which is what a third-party client would do.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "control/control_service.h"
#include "core/envelope/decode.h"
#include "core/envelope/envelope.h"
#include "core/envelope/signing.h"
#include "core/session/session.h"
#include "support/wait.h"

namespace callsignal::test {

using namespace std::chrono_literals;

inline constexpr std::chrono::milliseconds kServiceWait = 10s;

// A short random tag (hex), unique across test processes sharing the broker.
std::string random_tag(std::size_t chars = 6);

// A service config for tests: fresh parent topics, a fresh signing key, the test RTC vendor, fast
// re-sends, logs captured by the harness.
control::ControlConfig service_test_config(const std::string& broker_uri);

// One service running in-process, its log lines captured.
class ServiceUnderTest {
 public:
  // Starts it and waits until it is subscribed. Throws on failure.
  explicit ServiceUnderTest(control::ControlConfig config);
  ~ServiceUnderTest();

  control::ControlService& operator*() { return *service_; }
  control::ControlService* operator->() { return service_.get(); }
  const control::ControlConfig& config() const { return service_->config(); }
  const std::string& uplink() const { return uplink_; }
  const std::string& downlink() const { return downlink_; }
  std::vector<std::string> log_lines() const { return log_->snapshot(); }
  // Waits until at least n log lines contain `text`.
  bool wait_log(const std::string& text, std::size_t n = 1, std::chrono::milliseconds timeout = kServiceWait) {
    return log_->wait_for_count([&](const std::string& line) { return line.find(text) != std::string::npos; }, n,
                                timeout);
  }
  // Waits until pred(stats) holds.
  bool wait_stats(const std::function<bool(const control::ControlStats&)>& pred,
                  std::chrono::milliseconds timeout = kServiceWait);

 private:
  std::shared_ptr<EventLog<std::string>> log_;
  std::string uplink_;
  std::string downlink_;
  std::unique_ptr<control::ControlService> service_;
};

struct DeviceOptions {
  bool auto_ack = true;   // ack every received message at once
  bool presence = false;  // online status after connect; offline as the last will
  std::string broker_uri; // empty: the service's broker
  std::string user_for_status;  // body.user in the status messages
};

// A hand-made device: its own MQTT session on its P2P topic, every received frame checked with
// the service's public key and its own client id.
class TestDevice : public SessionListener {
 public:
  TestDevice(const std::string& broker_uri, const std::string& uplink, const std::string& downlink,
             const std::string& name, const Signer& service_key, DeviceOptions options = {});
  ~TestDevice() override;

  const std::string& client_id() const { return client_id_; }
  Session& session() { return *session_; }

  // Publishes an uplink message (unsigned frame) of `type`; returns its id.
  std::string send(MessageType type, const std::string& call_id = "", Body body = Body(),
                   std::int64_t ttl_ms = 30'000);
  // Publishes raw bytes on <uplink>/req.
  void send_raw(const std::string& payload);
  // hello with body.user, and waits for its hello_ack. Throws when none comes.
  Envelope hello(const std::string& user);
  void ack(const std::vector<std::string>& ids);

  // The first received message (in arrival order, copies included) of `type` matching pred, or
  // throws after the timeout.
  Envelope wait_for(MessageType type, const std::function<bool(const Envelope&)>& pred = nullptr,
                    std::chrono::milliseconds timeout = kServiceWait);
  // Whether such a message arrives within timeout (no throw).
  bool receives(MessageType type, const std::function<bool(const Envelope&)>& pred = nullptr,
                std::chrono::milliseconds timeout = kServiceWait);
  // Received copies of message `id`; waiting for at least n of them.
  std::size_t copies_of(const std::string& id) const;
  bool wait_copies(const std::string& id, std::size_t n, std::chrono::milliseconds timeout = kServiceWait);
  std::vector<Envelope> received() const { return messages_.snapshot(); }
  std::size_t count(MessageType type) const;
  // Frames the device refused (bad signature, wrong recipient, ...): always zero with a good service.
  std::size_t refused() const { return refused_.size(); }
  std::vector<std::string> refusals() const { return refused_.snapshot(); }
  bool wait_connected(std::size_t times = 1, std::chrono::milliseconds timeout = kServiceWait);

  void on_connection(const ConnectionEvent& event) override;
  void on_message(const InboundMessage& message) override;

 private:
  std::string status_frame(bool online) const;

  std::string client_id_;
  std::string uplink_;
  DeviceOptions options_;
  TrustedKeys keys_;
  DecodeOptions decode_options_;
  EventLog<Envelope> messages_;
  EventLog<std::string> raw_frames_;  // "id\npayload" of each copy, to compare bytes
  EventLog<std::string> refused_;
  EventLog<ConnectionState> states_;
  std::unique_ptr<Session> session_;

 public:
  // The raw frames received for message `id`, in order.
  std::vector<std::string> frames_of(const std::string& id) const;
};

// Waits until every device is connected (throws otherwise). Start devices together, then wait once.
void connect_all(std::initializer_list<TestDevice*> devices);

// A service and its devices, created together. Device names are "<user>" or "<user>.<n>" (a
// user's second device); each device says hello for its user before the constructor returns.
class World {
 public:
  World(control::ControlConfig config, const std::vector<std::string>& device_names, DeviceOptions options = {});

  ServiceUnderTest service;
  TestDevice& operator[](const std::string& name);
  // Starts a call from `caller` to `callees`; returns the call id (from the caller's invite).
  std::string call(const std::string& caller, const std::vector<std::string>& callees);
  // The invite of `call_id` that reached `device`.
  Envelope invite_of(const std::string& device, const std::string& call_id);
  // `device` accepts (answers) the call.
  void accept(const std::string& device, const std::string& call_id);
  // No device refused a frame.
  std::size_t refused() const;

 private:
  std::vector<std::pair<std::string, std::unique_ptr<TestDevice>>> devices_;
};

// A call_request body.
Body call_request_body(const std::vector<std::string>& callees, const std::string& media = "audio");

// Predicates.
std::function<bool(const Envelope&)> in_call(const std::string& call_id);
std::function<bool(const Envelope&)> body_is(const std::string& field, const std::string& value,
                                             const std::string& call_id = "");

std::string body_string(const Envelope& message, const std::string& field);

}  // namespace callsignal::test
