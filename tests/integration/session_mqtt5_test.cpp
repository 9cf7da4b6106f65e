// MQTT 5: the session survives with a Session Expiry Interval, and the broker drops a queued
// message whose Message Expiry Interval has passed.
#include <catch2/catch.hpp>

#include "integration/session_fixtures.h"
#include "support/broker.h"
#include "support/shared_broker.h"

using namespace callsignal;
using namespace callsignal::test;

TEST_CASE("MQTT 5 keeps the session and drops expired queued messages", "[session][mqtt5]") {
  const std::string uri = shared_broker_uri();
  SessionConfig receiver_config = test_config(uri, unique_device("v5"));
  receiver_config.mqtt_version = MqttVersion::v5;
  receiver_config.session_expiry_s = 300;
  {
    RecordingListener events;
    auto receiver = make_session(receiver_config, events);
    REQUIRE(receiver->start().ok());
    REQUIRE(events.wait_connected());
  }

  SessionConfig sender_config = test_config(uri, unique_device("v5tx"));
  sender_config.mqtt_version = MqttVersion::v5;
  RecordingListener sender_events;
  auto sender = make_session(sender_config, sender_events);
  REQUIRE(sender->start().ok());
  const std::string p2p = p2p_topic("dl", "GID_test@@@" + receiver_config.device_id);
  PublishOptions short_lived;
  short_lived.message_expiry_s = 1;
  REQUIRE(sender->publish(p2p, "stale", short_lived).ok());
  PublishOptions long_lived;
  long_lived.message_expiry_s = 600;
  REQUIRE(sender->publish(p2p, "fresh", long_lived).ok());
  REQUIRE(sender_events.published.wait_for_size(2, kWait));

  // The subject of this test is time itself: the short-lived message must outlive its expiry.
  let_time_pass(std::chrono::milliseconds(2'200));

  RecordingListener events;
  auto receiver = make_session(receiver_config, events);
  REQUIRE(receiver->start().ok());
  REQUIRE(events.wait_connected());
  CHECK(events.connection.snapshot().back().session_present);
  REQUIRE(events.wait_messages(1));
  // "fresh" was queued after "stale": once it has arrived, "stale" would have arrived before it.
  const auto messages = events.messages.snapshot();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].payload == "fresh");
}

TEST_CASE("an outbox entry that expires before it can be sent is dropped and reported", "[session][expiry]") {
  auto broker = MosquittoBroker::start({});
  broker->stop();
  RecordingListener events;
  auto session = make_session(test_config(broker->uri(), unique_device("exp")), events);
  REQUIRE(session->start().ok());
  PublishOptions short_lived;
  short_lived.message_expiry_s = 1;
  auto stale = session->publish("up/req", "stale", short_lived);
  REQUIRE(stale.ok());
  auto fresh = session->publish("up/req", "fresh");
  REQUIRE(fresh.ok());
  let_time_pass(std::chrono::milliseconds(1'200));

  broker->restart();
  REQUIRE(events.expired.wait_for_size(1, kWait));
  CHECK(events.expired.snapshot()[0] == stale.value());
  REQUIRE(events.published.wait_for_size(1, kWait));
  CHECK(events.published.snapshot()[0] == fresh.value());
  CHECK(session->stats().expired == 1);
  CHECK(session->stats().outbox_pending == 0);
}
