#include "service/service_fixture.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "control/digest.h"
#include "core/envelope/frame.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/message_id.h"
#include "support/frames.h"
#include "support/shared_broker.h"

namespace callsignal::test {

std::string random_tag(std::size_t chars) {
  auto hex = control::random_hex((chars + 1) / 2);
  if (!hex.ok()) throw std::runtime_error("random_hex: " + hex.status().message);
  return hex.value().substr(0, chars);
}

control::ControlConfig service_test_config(const std::string& broker_uri) {
  control::ControlConfig config;
  const std::string tag = random_tag();
  config.broker_uris = {broker_uri};
  config.uplink_parent = "u" + tag;
  config.downlink_parent = "d" + tag;
  config.mqtt_client_id = "svc@@@control-" + tag;
  config.session_expiry_s = 60;  // tests leave no long-lived sessions on the shared broker
  auto signer = Signer::generate("svc-test-" + tag);
  if (!signer.ok()) throw std::runtime_error("Signer::generate: " + signer.status().message);
  config.signer = signer.value();
  config.rtc.vendor = "test";
  config.rtc.app_id = "test-app";
  config.rtc.app_key = "test-app-key-" + tag;
  config.limits.resend_interval_ms = 300;
  config.log_level = control::LogLevel::debug;
  return config;
}

ServiceUnderTest::ServiceUnderTest(control::ControlConfig config)
    : log_(std::make_shared<EventLog<std::string>>()),
      uplink_(config.uplink_parent),
      downlink_(config.downlink_parent) {
  auto log = log_;
  config.log_sink = [log](const std::string& line) { log->push(line); };
  auto service = control::ControlService::create(std::move(config));
  if (!service.ok()) throw std::runtime_error("ControlService::create: " + service.status().message);
  service_ = std::move(service).value();
  if (Status s = service_->start(); !s.ok()) throw std::runtime_error("start: " + s.message);
  if (!service_->wait_connected(kServiceWait)) throw std::runtime_error("the service did not connect");
}

ServiceUnderTest::~ServiceUnderTest() {
  service_->stop();
  // CALLSIGNAL_SERVICE_LOG=1: the service's log lines, for a failing test.
  if (std::getenv("CALLSIGNAL_SERVICE_LOG") != nullptr) {
    for (const std::string& line : log_->snapshot()) std::fprintf(stderr, "%s\n", line.c_str());
  }
}

bool ServiceUnderTest::wait_stats(const std::function<bool(const control::ControlStats&)>& pred,
                                  std::chrono::milliseconds timeout) {
  // The stats live on the service's thread: poll them, with a short wait between looks.
  Deadline deadline(timeout);
  std::mutex mutex;
  std::condition_variable cv;
  while (true) {
    if (pred(service_->stats())) return true;
    if (deadline.expired()) return false;
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait_for(lock, std::min<std::chrono::milliseconds>(deadline.remaining(), 20ms));
  }
}

TestDevice::TestDevice(const std::string& broker_uri, const std::string& uplink, const std::string& downlink,
                       const std::string& name, const Signer& service_key, DeviceOptions options)
    : uplink_(uplink), options_(std::move(options)) {
  if (Status s = keys_.add_base64(service_key.key_id(), service_key.public_key_base64()); !s.ok()) {
    throw std::runtime_error("add_base64: " + s.message);
  }
  SessionConfig config;
  config.broker_uris = {options_.broker_uri.empty() ? broker_uri : options_.broker_uri};
  config.group_id = "t";
  config.device_id = name + "-" + random_tag(8);
  config.uplink_parent = uplink;
  config.downlink_parent = downlink;
  config.keepalive = 5s;
  config.close_timeout = 100ms;
  config.connect_timeout = 3s;
  config.backoff.initial = 100ms;
  config.backoff.max = 1s;
  client_id_ = config.group_id + "@@@" + config.device_id;
  config.presence.enabled = options_.presence;
  if (options_.presence) {
    // Composed at each connect, as the SDK's client does: fresh ids, and the will stamped at the
    // connect, just before the online status.
    config.presence.compose = [this](bool online) { return status_frame(online); };
  }
  decode_options_.trusted_keys = &keys_;
  decode_options_.expected_recipient = client_id_;
  auto session = Session::create(config, *this);
  if (!session.ok()) throw std::runtime_error("Session::create: " + session.status().message);
  session_ = std::move(session).value();
  if (Status s = session_->start(); !s.ok()) throw std::runtime_error("start: " + s.message);
  // Not waiting here: Paho takes up to ~2 s to pick up a new connection when other clients are
  // active, so tests start their devices together and wait once (connect_all).
}

TestDevice::~TestDevice() { session_->close(); }

std::string TestDevice::status_frame(bool online) const {
  Envelope message;
  message.id = new_message_id().value();
  message.type = MessageType::status;
  message.from = client_id_;
  message.ts_ms = now_ms();
  message.ttl_ms = 3'600'000;
  message.body.set_string("state", online ? "online" : "offline");
  if (!options_.user_for_status.empty()) message.body.set_string("user", options_.user_for_status);
  return frame_of(message, nullptr);
}

void TestDevice::on_connection(const ConnectionEvent& event) { states_.push(event.state); }

void connect_all(std::initializer_list<TestDevice*> devices) {
  for (TestDevice* device : devices) {
    if (!device->wait_connected()) throw std::runtime_error("device " + device->client_id() + " did not connect");
  }
}

void TestDevice::on_message(const InboundMessage& message) {
  auto decoded = decode(message.payload, decode_options_);
  if (!decoded.ok()) {
    refused_.push(decoded.status().message);
    return;
  }
  const Envelope& envelope = decoded->message;
  raw_frames_.push(envelope.id + "\n" + message.payload);
  if (options_.auto_ack) ack({envelope.id});
  messages_.push(envelope);
}

bool TestDevice::wait_connected(std::size_t times, std::chrono::milliseconds timeout) {
  return states_.wait_for_count([](ConnectionState s) { return s == ConnectionState::connected; }, times, timeout);
}

std::string TestDevice::send(MessageType type, const std::string& call_id, Body body, std::int64_t ttl_ms) {
  Envelope message;
  message.id = new_message_id().value();
  message.type = type;
  message.from = client_id_;
  message.ts_ms = now_ms();
  message.ttl_ms = ttl_ms;
  message.call_id = call_id;
  message.body = std::move(body);
  send_raw(frame_of(message, nullptr));
  return message.id;
}

void TestDevice::send_raw(const std::string& payload) {
  auto published = session_->publish(uplink_ + "/req", payload);
  if (!published.ok()) throw std::runtime_error("publish: " + published.status().message);
}

Envelope TestDevice::hello(const std::string& user) {
  Body body;
  body.set_string("user", user).set_string("platform", "desktop");
  const std::string id = send(MessageType::hello, "", std::move(body));
  return wait_for(MessageType::hello_ack, [&](const Envelope& m) { return body_string(m, "hello_id") == id; });
}

void TestDevice::ack(const std::vector<std::string>& ids) {
  Body body;
  body.set_string_list("ids", ids);
  send(MessageType::ack, "", std::move(body));
}

bool TestDevice::receives(MessageType type, const std::function<bool(const Envelope&)>& pred,
                          std::chrono::milliseconds timeout) {
  return messages_.wait_for(
      [&](const std::vector<Envelope>& events) {
        for (const Envelope& e : events) {
          if (e.type == type && (!pred || pred(e))) return true;
        }
        return false;
      },
      timeout);
}

Envelope TestDevice::wait_for(MessageType type, const std::function<bool(const Envelope&)>& pred,
                              std::chrono::milliseconds timeout) {
  if (!receives(type, pred, timeout)) {
    std::string seen;
    for (const Envelope& e : messages_.snapshot()) {
      seen += std::string(" ") + to_string(e.type) + (e.body.empty() ? "" : e.body.to_json());
    }
    throw std::runtime_error(client_id_ + ": no " + to_string(type) + " arrived; received:" + seen);
  }
  for (const Envelope& e : messages_.snapshot()) {
    if (e.type == type && (!pred || pred(e))) return e;
  }
  throw std::logic_error("unreachable");
}

std::size_t TestDevice::copies_of(const std::string& id) const {
  return messages_.count_if([&](const Envelope& e) { return e.id == id; });
}

bool TestDevice::wait_copies(const std::string& id, std::size_t n, std::chrono::milliseconds timeout) {
  return messages_.wait_for_count([&](const Envelope& e) { return e.id == id; }, n, timeout);
}

std::size_t TestDevice::count(MessageType type) const {
  return messages_.count_if([&](const Envelope& e) { return e.type == type; });
}

std::vector<std::string> TestDevice::frames_of(const std::string& id) const {
  std::vector<std::string> frames;
  for (const std::string& entry : raw_frames_.snapshot()) {
    if (entry.compare(0, id.size() + 1, id + "\n") == 0) frames.push_back(entry.substr(id.size() + 1));
  }
  return frames;
}

World::World(control::ControlConfig config, const std::vector<std::string>& device_names, DeviceOptions options)
    : service(std::move(config)) {
  for (const std::string& name : device_names) {
    DeviceOptions device_options = options;
    const std::string user = name.substr(0, name.find('.'));
    if (device_options.presence) device_options.user_for_status = user;
    devices_.emplace_back(name, std::make_unique<TestDevice>(shared_broker_uri(), service.uplink(), service.downlink(),
                                                             name, service.config().signer, device_options));
  }
  for (auto& [name, device] : devices_) {
    if (!device->wait_connected()) throw std::runtime_error("device " + name + " did not connect");
  }
  for (auto& [name, device] : devices_) device->hello(name.substr(0, name.find('.')));
}

TestDevice& World::operator[](const std::string& name) {
  for (auto& [n, device] : devices_) {
    if (n == name) return *device;
  }
  throw std::runtime_error("no device " + name);
}

std::string World::call(const std::string& caller, const std::vector<std::string>& callees) {
  TestDevice& device = (*this)[caller];
  const std::string request_id = device.send(MessageType::call_request, "", call_request_body(callees));
  return device.wait_for(MessageType::invite, body_is("request_id", request_id)).call_id;
}

Envelope World::invite_of(const std::string& device, const std::string& call_id) {
  return (*this)[device].wait_for(MessageType::invite, in_call(call_id));
}

void World::accept(const std::string& device, const std::string& call_id) {
  Body body;
  body.set_string("invite_id", invite_of(device, call_id).id);
  (*this)[device].send(MessageType::accept, call_id, std::move(body));
}

std::size_t World::refused() const {
  std::size_t total = 0;
  for (const auto& [name, device] : devices_) total += device->refused();
  return total;
}

Body call_request_body(const std::vector<std::string>& callees, const std::string& media) {
  Body body;
  body.set_string_list("callees", callees).set_string("media", media);
  return body;
}

std::function<bool(const Envelope&)> in_call(const std::string& call_id) {
  return [call_id](const Envelope& m) { return m.call_id == call_id; };
}

std::string body_string(const Envelope& message, const std::string& field) {
  auto value = message.body.get_string(field);
  return value.ok() ? std::string(value.value()) : std::string();
}

std::function<bool(const Envelope&)> body_is(const std::string& field, const std::string& value,
                                             const std::string& call_id) {
  return [=](const Envelope& m) {
    return (call_id.empty() || m.call_id == call_id) && body_string(m, field) == value;
  };
}

}  // namespace callsignal::test
