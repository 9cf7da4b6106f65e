// Destroying a session is safe in every state: while connecting, while waiting to reconnect,
// and from inside its own callback on the event thread.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>

#include "integration/session_fixtures.h"
#include "support/broker.h"
#include "support/shared_broker.h"
#include "support/tcp_proxy.h"

using namespace callsignal;
using namespace callsignal::test;

TEST_CASE("destroying a session while it connects returns promptly", "[session][lifecycle]") {
  auto broker = MosquittoBroker::start({});
  TcpProxy proxy(broker->port());
  proxy.set_blackhole(true);  // the TCP connect succeeds, the CONNACK never comes
  RecordingListener events;
  SessionConfig config = test_config(proxy.uri(), unique_device("dc"));
  config.connect_timeout = std::chrono::seconds(10);
  auto session = make_session(config, events);
  REQUIRE(session->start().ok());
  REQUIRE(events.connection.wait_for_size(1, kWait));
  CHECK(events.connection.snapshot()[0].state == ConnectionState::connecting);
  const auto before = std::chrono::steady_clock::now();
  session.reset();
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(5));
  const std::size_t seen = events.connection.size();
  CHECK(events.connection.snapshot().back().state == ConnectionState::connecting);
  CHECK(events.connection.size() == seen);
}

TEST_CASE("destroying a session while it waits to reconnect returns promptly", "[session][lifecycle]") {
  auto broker = MosquittoBroker::start({});
  broker->stop();
  RecordingListener events;
  auto session = make_session(test_config(broker->uri(), unique_device("dr")), events);
  REQUIRE(session->start().ok());
  REQUIRE(events.wait_disconnected(2));  // failed twice: it is in its backoff loop
  const auto before = std::chrono::steady_clock::now();
  session.reset();
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(2));
}

namespace {

// Destroys its own session from inside the connected callback.
class SelfDestroyingListener : public RecordingListener {
 public:
  std::unique_ptr<Session> session;
  std::promise<void> destroyed;
  std::atomic<int> callbacks_after_destroy{0};
  std::atomic<bool> gone{false};

  void on_connection(const ConnectionEvent& event) override {
    if (gone) ++callbacks_after_destroy;
    RecordingListener::on_connection(event);
    if (event.state == ConnectionState::connected && !gone) {
      session.reset();  // deferred teardown: must neither deadlock nor crash
      gone = true;
      destroyed.set_value();
    }
  }
};

}  // namespace

TEST_CASE("a session destroyed from inside its own callback is torn down", "[session][lifecycle]") {
  auto loop = EventLoop::create("lifecycle");
  SelfDestroyingListener listener;
  auto done = listener.destroyed.get_future();
  listener.session = make_session(test_config(shared_broker_uri(), unique_device("self")), listener, loop);
  REQUIRE(listener.session->start().ok());
  REQUIRE(done.wait_for(kWait) == std::future_status::ready);
  // The loop is still serving: a task posted now runs, so the teardown did not block it.
  std::promise<void> ran;
  loop->post([&ran] { ran.set_value(); });
  REQUIRE(ran.get_future().wait_for(kWait) == std::future_status::ready);
  CHECK(listener.callbacks_after_destroy == 0);
}

TEST_CASE("close from another thread while callbacks run, then no more callbacks", "[session][lifecycle]") {
  RecordingListener events;
  auto session = make_session(test_config(shared_broker_uri(), unique_device("close")), events);
  REQUIRE(session->start().ok());
  REQUIRE(events.wait_connected());
  session->close();
  const std::size_t seen = events.connection.size();
  CHECK(session->state() == ConnectionState::closed);
  auto refused = session->publish("up/req", "after close");
  CHECK(refused.status().code == Errc::closed);
  CHECK(session->start().code == Errc::closed);
  session->close();  // idempotent
  CHECK(events.connection.size() == seen);
}

TEST_CASE("a bad config is refused at creation, naming the field", "[session][lifecycle]") {
  RecordingListener events;
  SessionConfig config = test_config("tcp://127.0.0.1:1883", "");
  auto session = Session::create(config, events);
  REQUIRE_FALSE(session.ok());
  CHECK(session.status().code == Errc::invalid_config);
  CHECK_THAT(session.status().message, Catch::StartsWith("device_id"));
}
