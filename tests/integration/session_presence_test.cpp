// Liveness and auth on a generic broker: "online" after each connect, the last will "offline"
// when the connection dies, and the Alibaba token mode's credentials and token upload.
#include <catch2/catch.hpp>

#include <dirent.h>

#include "integration/session_fixtures.h"
#include "support/broker.h"
#include "support/shared_broker.h"
#include "support/tcp_proxy.h"

using namespace callsignal;
using namespace callsignal::test;

namespace {

// A session that only watches the status topic of the uplink parent.
SessionConfig watcher_config(const std::string& uri) {
  SessionConfig config = test_config(uri, unique_device("watch"));
  config.extra_subscriptions = {"up/status"};
  return config;
}

bool has_payload_with(const std::vector<Received>& messages, const std::string& a, const std::string& b) {
  return std::any_of(messages.begin(), messages.end(), [&](const Received& m) {
    return m.payload.find(a) != std::string::npos && m.payload.find(b) != std::string::npos;
  });
}

}  // namespace

TEST_CASE("presence: online after connect, the last will when the connection dies", "[session][presence]") {
  auto broker = MosquittoBroker::start({});
  TcpProxy proxy(broker->port());
  RecordingListener watcher_events;
  auto watcher = make_session(watcher_config(broker->uri()), watcher_events);
  REQUIRE(watcher->start().ok());
  REQUIRE(watcher_events.wait_connected());

  RecordingListener device_events;
  SessionConfig device_config = test_config(proxy.uri(), unique_device("alive"));
  device_config.presence.enabled = true;
  device_config.backoff.initial = std::chrono::seconds(30);  // stay away after the cut
  device_config.backoff.max = std::chrono::seconds(30);
  auto device = make_session(device_config, device_events);
  REQUIRE(device->start().ok());
  const std::string id = device->client_id();
  REQUIRE(watcher_events.messages.wait_for(
      [&](const std::vector<Received>& got) { return has_payload_with(got, "\"online\"", id); }, kWait));

  proxy.cut_all();  // no DISCONNECT reaches the broker: it publishes the will
  REQUIRE(watcher_events.messages.wait_for(
      [&](const std::vector<Received>& got) { return has_payload_with(got, "\"offline\"", id); }, kWait));
}

TEST_CASE("presence: a clean close says offline too", "[session][presence]") {
  const std::string uri = shared_broker_uri();
  RecordingListener watcher_events;
  auto watcher = make_session(watcher_config(uri), watcher_events);
  REQUIRE(watcher->start().ok());
  REQUIRE(watcher_events.wait_connected());
  RecordingListener device_events;
  SessionConfig device_config = test_config(uri, unique_device("bye"));
  device_config.presence.enabled = true;
  device_config.presence.online_payload = "custom-online";
  auto device = make_session(device_config, device_events);
  REQUIRE(device->start().ok());
  const std::string id = device->client_id();
  REQUIRE(watcher_events.messages.wait_for(
      [](const std::vector<Received>& got) { return has_payload_with(got, "custom-online", ""); }, kWait));
  device.reset();
  REQUIRE(watcher_events.messages.wait_for(
      [&](const std::vector<Received>& got) { return has_payload_with(got, "\"offline\"", id); }, kWait));
}

TEST_CASE("alibaba token mode connects and uploads a renewed token", "[session][auth]") {
  const std::string uri = shared_broker_uri();
  RecordingListener events;
  SessionConfig config = test_config(uri, unique_device("token"));
  config.auth.mode = AuthMode::alibaba_token;
  config.auth.access_key_id = "AK";
  config.auth.instance_id = "mqtt-test";
  config.auth.token = "first-token";
  auto session = make_session(config, events);
  REQUIRE(session->start().ok());
  REQUIRE(events.wait_connected());
  REQUIRE(session->refresh_token("second-token").ok());
  CHECK(session->refresh_token("").code == Errc::invalid_argument);

  // The connection is still usable after the upload: a message to ourselves comes back.
  REQUIRE(session->publish(session->topics().p2p, "still here").ok());
  REQUIRE(events.wait_messages(1));
  // The renewed token is used on the next connect.
  session->network_changed();
  REQUIRE(events.wait_connected(2));
}

TEST_CASE("refresh_token needs the token auth mode", "[session][auth]") {
  RecordingListener events;
  auto session = make_session(test_config("tcp://127.0.0.1:1", unique_device("notoken")), events);
  CHECK(session->refresh_token("t").code == Errc::invalid_state);
}

namespace {

std::size_t thread_count() {
  std::size_t count = 0;
  if (DIR* dir = ::opendir("/proc/self/task")) {
    while (dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
  }
  return count;
}

}  // namespace

TEST_CASE("sessions share threads: 100 clients add no thread per client", "[session][threads]") {
  const std::string uri = shared_broker_uri();
  auto loop = EventLoop::create("shared");
  const std::size_t before = thread_count();
  std::vector<std::unique_ptr<RecordingListener>> listeners;
  std::vector<std::unique_ptr<Session>> sessions;
  for (int i = 0; i < 100; ++i) {
    listeners.push_back(std::make_unique<RecordingListener>());
    sessions.push_back(make_session(test_config(uri, unique_device("many")), *listeners.back(), loop));
    REQUIRE(sessions.back()->start().ok());
  }
  for (auto& listener : listeners) REQUIRE(listener->wait_connected());
  // Paho's send and receive threads at most (none if an earlier test started them).
  CHECK(thread_count() <= before + 2);
  sessions.clear();
}
