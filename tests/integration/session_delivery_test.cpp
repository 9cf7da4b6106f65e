// Delivery guarantees of the session layer against a real Mosquitto: offline queueing, durable
// outbound across broker outages and process kills, nothing lost across broker restarts.
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <set>

#include "integration/session_fixtures.h"
#include "support/broker.h"
#include "support/process.h"
#include "support/shared_broker.h"
#include "support/temp_dir.h"

using namespace callsignal;
using namespace callsignal::test;

namespace {

std::set<std::string> payloads_of(const std::vector<Received>& messages) {
  std::set<std::string> payloads;
  for (const Received& m : messages) payloads.insert(m.payload);
  return payloads;
}

std::set<std::string> expected_payloads(int count) {
  std::set<std::string> payloads;
  for (int i = 0; i < count; ++i) payloads.insert("m" + std::to_string(i));
  return payloads;
}

// Connects once so that the broker holds a persistent session with the P2P subscription.
void register_persistent_session(const SessionConfig& config) {
  RecordingListener listener;
  auto session = make_session(config, listener);
  REQUIRE(session->start().ok());
  REQUIRE(listener.wait_connected());
  session.reset();
}

}  // namespace

TEST_CASE("a session receives messages published to its P2P topic", "[session][delivery]") {
  const std::string uri = shared_broker_uri();
  RecordingListener receiver_events, sender_events;
  auto receiver = make_session(test_config(uri, unique_device("rx")), receiver_events);
  auto sender = make_session(test_config(uri, unique_device("tx")), sender_events);
  REQUIRE(receiver->start().ok());
  REQUIRE(sender->start().ok());
  REQUIRE(receiver_events.wait_connected());
  auto seq = sender->publish(receiver->topics().p2p, "hello");
  REQUIRE(seq.ok());
  REQUIRE(receiver_events.wait_messages(1));
  CHECK(receiver_events.messages.snapshot()[0].payload == "hello");
  CHECK(receiver_events.messages.snapshot()[0].topic == receiver->topics().p2p);
  REQUIRE(sender_events.published.wait_for_size(1, kWait));
  CHECK(sender_events.published.snapshot()[0] == seq.value());
  CHECK(sender->stats().outbox_pending == 0);
  CHECK(receiver->stats().received == 1);
}

TEST_CASE("a subscriber away while 50 messages are published gets all 50 on return", "[session][delivery]") {
  const std::string uri = shared_broker_uri();
  const SessionConfig receiver_config = test_config(uri, unique_device("away"));
  register_persistent_session(receiver_config);

  RecordingListener sender_events;
  auto sender = make_session(test_config(uri, unique_device("tx")), sender_events);
  REQUIRE(sender->start().ok());
  const std::string p2p = p2p_topic("dl", "GID_test@@@" + receiver_config.device_id);
  for (int i = 0; i < 50; ++i) REQUIRE(sender->publish(p2p, "m" + std::to_string(i)).ok());
  REQUIRE(sender_events.published.wait_for_size(50, kWait));

  RecordingListener receiver_events;
  auto receiver = make_session(receiver_config, receiver_events);
  REQUIRE(receiver->start().ok());
  REQUIRE(receiver_events.wait_messages(50));
  CHECK(payloads_of(receiver_events.messages.snapshot()) == expected_payloads(50));
  // The connection event came before the backlog, with the session kept by the broker.
  const auto events = receiver_events.connection.snapshot();
  const auto connected = std::find_if(events.begin(), events.end(),
                                      [](const ConnectionEvent& e) { return e.state == ConnectionState::connected; });
  REQUIRE(connected != events.end());
  CHECK(connected->session_present);
}

TEST_CASE("a publish made while the broker is down is delivered once it is up", "[session][delivery]") {
  auto broker = MosquittoBroker::start({});
  TempDir data;
  const SessionConfig receiver_config = test_config(broker->uri(), unique_device("rx"));
  register_persistent_session(receiver_config);
  broker->stop();

  RecordingListener sender_events;
  auto sender = make_session(test_config(broker->uri(), unique_device("tx"), data.path()), sender_events);
  REQUIRE(sender->start().ok());
  REQUIRE(sender_events.wait_disconnected());
  const std::string p2p = p2p_topic("dl", "GID_test@@@" + receiver_config.device_id);
  for (int i = 0; i < 10; ++i) REQUIRE(sender->publish(p2p, "m" + std::to_string(i)).ok());
  CHECK(sender->stats().outbox_pending == 10);

  broker->restart();
  REQUIRE(sender_events.published.wait_for_size(10, kWait));
  RecordingListener receiver_events;
  auto receiver = make_session(receiver_config, receiver_events);
  REQUIRE(receiver->start().ok());
  REQUIRE(receiver_events.wait_messages(10));
  CHECK(payloads_of(receiver_events.messages.snapshot()) == expected_payloads(10));
}

TEST_CASE("a publisher killed with pending messages has them sent by the next process", "[session][delivery][kill]") {
  auto broker = MosquittoBroker::start({});
  TempDir data;
  const SessionConfig receiver_config = test_config(broker->uri(), unique_device("rx"));
  register_persistent_session(receiver_config);
  broker->stop();

  const std::string probe = std::string(CALLSIGNAL_TEST_HELPER_DIR) + "/callsignal_session_probe";
  const std::string p2p = p2p_topic("dl", "GID_test@@@" + receiver_config.device_id);
  const std::string device = unique_device("killed");
  {
    auto first = ChildProcess::spawn({probe, "publish", broker->uri(), data.path(), device, p2p, "20"});
    REQUIRE(read_line_until(first, "queued 20", kWait));
    first.send_signal(SIGKILL);
    REQUIRE(first.wait_exit(kWait));
  }
  broker->restart();
  auto second = ChildProcess::spawn({probe, "drain", broker->uri(), data.path(), device});
  REQUIRE(read_line_until(second, "drained", kWait));
  REQUIRE(second.wait_exit(kWait));

  RecordingListener receiver_events;
  auto receiver = make_session(receiver_config, receiver_events);
  REQUIRE(receiver->start().ok());
  REQUIRE(receiver_events.wait_messages(20));
  CHECK(payloads_of(receiver_events.messages.snapshot()) == expected_payloads(20));
}

TEST_CASE("a broker restart mid-stream loses nothing", "[session][delivery]") {
  auto broker = MosquittoBroker::start({});
  TempDir data;
  RecordingListener receiver_events, sender_events;
  auto receiver = make_session(test_config(broker->uri(), unique_device("rx")), receiver_events);
  auto sender = make_session(test_config(broker->uri(), unique_device("tx"), data.path()), sender_events);
  REQUIRE(receiver->start().ok());
  REQUIRE(sender->start().ok());
  REQUIRE(receiver_events.wait_connected());
  REQUIRE(sender_events.wait_connected());

  constexpr int kTotal = 300;
  for (int i = 0; i < kTotal / 2; ++i) REQUIRE(sender->publish(receiver->topics().p2p, "m" + std::to_string(i)).ok());
  REQUIRE(receiver_events.wait_messages(20));
  broker->restart();
  for (int i = kTotal / 2; i < kTotal; ++i) REQUIRE(sender->publish(receiver->topics().p2p, "m" + std::to_string(i)).ok());

  REQUIRE(receiver_events.messages.wait_for(
      [](const std::vector<Received>& got) { return payloads_of(got).size() == static_cast<std::size_t>(kTotal); },
      kWait));
  CHECK(payloads_of(receiver_events.messages.snapshot()) == expected_payloads(kTotal));
  CHECK(sender_events.wait_connected(2));
  REQUIRE(sender_events.published.wait_for_size(kTotal, kWait));
  CHECK(sender->stats().outbox_pending == 0);
}

namespace {

// Refuses the first `refusals` offers, then admits, recording every offer.
class ReluctantGate : public InboundGate {
 public:
  explicit ReluctantGate(int refusals) : refusals_left_(refusals) {}
  EventLog<std::string> offered;
  Admission admit(InboundMessage& message) noexcept override {
    offered.push(message.payload);
    return refusals_left_.fetch_sub(1) <= 0 ? Admission::deliver : Admission::retry_later;
  }

 private:
  std::atomic<int> refusals_left_;
};

}  // namespace

TEST_CASE("a message the gate refuses is offered again and delivered once admitted", "[session][delivery][gate]") {
  const std::string uri = shared_broker_uri();
  SessionConfig receiver_config = test_config(uri, unique_device("gate"));
  receiver_config.keepalive = std::chrono::seconds(1);  // Paho re-offers on socket activity
  ReluctantGate gate(2);
  RecordingListener receiver_events, sender_events;
  auto receiver = make_session(receiver_config, receiver_events, nullptr, &gate);
  auto sender = make_session(test_config(uri, unique_device("tx")), sender_events);
  REQUIRE(receiver->start().ok());
  REQUIRE(sender->start().ok());
  REQUIRE(receiver_events.wait_connected());
  REQUIRE(sender->publish(receiver->topics().p2p, "reluctant").ok());
  REQUIRE(receiver_events.wait_messages(1));
  CHECK(gate.offered.size() == 3);
  CHECK(receiver->stats().refused_by_gate == 2);
  CHECK(receiver_events.messages.snapshot()[0].payload == "reluctant");
  // Delivered once: a later message arrives alone.
  REQUIRE(sender->publish(receiver->topics().p2p, "next").ok());
  REQUIRE(receiver_events.wait_messages(2));
  CHECK(receiver_events.messages.snapshot()[1].payload == "next");
}

TEST_CASE("the outbox bound is reported, not silently dropped", "[session][delivery]") {
  RecordingListener events;
  SessionConfig config = test_config("tcp://127.0.0.1:1", unique_device("full"));
  config.max_outbox_messages = 5;
  auto session = make_session(config, events);
  for (int i = 0; i < 5; ++i) REQUIRE(session->publish("up/req", "m" + std::to_string(i)).ok());
  auto refused = session->publish("up/req", "one too many");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code == Errc::outbox_full);
  CHECK(session->stats().outbox_full == 1);
  CHECK(session->stats().outbox_pending == 5);
}
