// Reconnects: a cut connection comes back within the backoff, a half-open (blackholed) one is
// detected by the keepalive, and the app's "network changed" / "foreground" hints act at once.
#include <catch2/catch.hpp>

#include "integration/session_fixtures.h"
#include "support/broker.h"
#include "support/tcp_proxy.h"

using namespace callsignal;
using namespace callsignal::test;

TEST_CASE("a cut connection is re-established within the backoff", "[session][reconnect]") {
  auto broker = MosquittoBroker::start({});
  TcpProxy proxy(broker->port());
  RecordingListener events;
  SessionConfig config = test_config(proxy.uri(), unique_device("cut"));
  config.backoff.initial = std::chrono::milliseconds(200);
  config.backoff.max = std::chrono::milliseconds(400);
  auto session = make_session(config, events);
  REQUIRE(session->start().ok());
  REQUIRE(events.wait_connected());

  proxy.cut_all();
  REQUIRE(events.wait_disconnected());
  const auto lost = events.connection.snapshot().back();
  CHECK(lost.reason == Errc::broker_error);
  CHECK(lost.retry_in <= std::chrono::milliseconds(240));  // initial 200 ms + 20 % jitter
  // Back within the backoff (plus the connect itself): far below the 20 s wait.
  const auto before = std::chrono::steady_clock::now();
  REQUIRE(events.wait_connected(2, std::chrono::seconds(5)));
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(3));
  CHECK(session->stats().connection_losses == 1);
}

TEST_CASE("a blackholed connection is detected by the keepalive", "[session][reconnect]") {
  auto broker = MosquittoBroker::start({});
  TcpProxy proxy(broker->port());
  RecordingListener events;
  SessionConfig config = test_config(proxy.uri(), unique_device("hole"));
  config.keepalive = std::chrono::seconds(1);
  config.connect_timeout = std::chrono::seconds(1);
  auto session = make_session(config, events);
  REQUIRE(session->start().ok());
  REQUIRE(events.wait_connected());

  proxy.set_blackhole(true);
  // Paho pings after one keepalive interval and gives up when no answer comes in the next.
  REQUIRE(events.wait_disconnected(1, std::chrono::seconds(8)));
  proxy.set_blackhole(false);
  REQUIRE(events.wait_connected(2));
}

TEST_CASE("network_changed drops the connection and reconnects at once", "[session][reconnect]") {
  auto broker = MosquittoBroker::start({});
  RecordingListener events;
  auto session = make_session(test_config(broker->uri(), unique_device("net")), events);
  REQUIRE(session->start().ok());
  REQUIRE(events.wait_connected());
  session->network_changed();
  REQUIRE(events.wait_disconnected());
  REQUIRE(events.wait_connected(2));
  CHECK(session->state() == ConnectionState::connected);
}

TEST_CASE("app_foregrounded retries at once instead of waiting for the backoff", "[session][reconnect]") {
  auto broker = MosquittoBroker::start({});
  broker->stop();
  RecordingListener events;
  SessionConfig config = test_config(broker->uri(), unique_device("fg"));
  config.backoff.initial = std::chrono::seconds(60);  // without the hint, no retry within the test
  config.backoff.max = std::chrono::seconds(60);
  auto session = make_session(config, events);
  REQUIRE(session->start().ok());
  REQUIRE(events.wait_disconnected());
  CHECK(events.connection.snapshot().back().retry_in >= std::chrono::seconds(48));
  broker->restart();
  session->app_foregrounded();
  REQUIRE(events.wait_connected(1, std::chrono::seconds(10)));
}
