// Liveness: a participant whose device dies (the broker publishes its last will) or falls silent
// (no keepalive within the grace time) is dropped, so no ghost call stays up.
#include <catch2/catch.hpp>

#include "service/service_fixture.h"
#include "support/shared_broker.h"
#include "support/tcp_proxy.h"

using namespace callsignal;
using namespace callsignal::test;

TEST_CASE("service: the last will of a participant's device ends a 1:1 call with timeout") {
  ServiceUnderTest service(service_test_config(shared_broker_uri()));
  TcpProxy proxy(shared_broker_port());
  DeviceOptions through_proxy;
  through_proxy.presence = true;
  through_proxy.broker_uri = proxy.uri();
  through_proxy.user_for_status = "bob";
  TestDevice alice(shared_broker_uri(), service.uplink(), service.downlink(), "alice", service.config().signer);
  TestDevice bob(shared_broker_uri(), service.uplink(), service.downlink(), "bob", service.config().signer,
                 through_proxy);
  connect_all({&alice, &bob});
  alice.hello("alice");
  bob.hello("bob");

  const std::string request_id = alice.send(MessageType::call_request, "", call_request_body({"bob"}));
  const std::string call_id = alice.wait_for(MessageType::invite, body_is("request_id", request_id)).call_id;
  bob.wait_for(MessageType::invite, in_call(call_id));
  bob.send(MessageType::accept, call_id);
  alice.wait_for(MessageType::participant_update, body_is("state", "joined", call_id));

  proxy.cut_all();  // an abrupt disconnect: Mosquitto publishes Bob's will
  alice.wait_for(MessageType::call_ended, body_is("reason", "timeout", call_id));
  REQUIRE(service.wait_stats([](const control::ControlStats& s) {
    return s.liveness_drops == 1 && s.calls_active == 0 && s.ended_for("timeout") == 1;
  }));
  // Bob's session comes back by itself and finds the end waiting for it.
  bob.wait_for(MessageType::call_ended, body_is("reason", "timeout", call_id));
}

TEST_CASE("service: participants silent beyond the grace time are dropped") {
  auto config = service_test_config(shared_broker_uri());
  config.limits.liveness_grace_ms = 700;
  World w(std::move(config), {"alice", "bob"});
  const std::string call_id = w.call("alice", {"bob"});
  w.accept("bob", call_id);
  w["alice"].wait_for(MessageType::participant_update, body_is("state", "joined", call_id));
  // Neither sends keepalives: the call ends for both within about the grace time.
  w["alice"].wait_for(MessageType::call_ended, body_is("reason", "timeout", call_id));
  w["bob"].wait_for(MessageType::call_ended, body_is("reason", "timeout", call_id));
  REQUIRE(w.service.wait_stats([](const control::ControlStats& s) {
    return s.liveness_drops == 1 && s.calls_active == 0;
  }));
  // A keepalive for the dropped call gets an error, so the device ends its side too.
  const std::string late = w["bob"].send(MessageType::keepalive, call_id);
  CHECK(body_string(w["bob"].wait_for(MessageType::error, body_is("reply_to", late)), "code") == "unknown_call");
}

TEST_CASE("service: a bare session-layer offline status counts as well") {
  World w(service_test_config(shared_broker_uri()), {"alice", "bob"});
  const std::string call_id = w.call("alice", {"bob"});
  w.accept("bob", call_id);
  w["alice"].wait_for(MessageType::participant_update, body_is("state", "joined", call_id));
  // What a device on the bare session layer sends (its default presence payload).
  const std::string bare = R"({"type":"status","state":"offline","client_id":")" + w["bob"].client_id() + "\"}";
  REQUIRE(w["bob"].session().publish(w.service.uplink() + "/status", bare).ok());
  w["alice"].wait_for(MessageType::call_ended, body_is("reason", "timeout", call_id));
  REQUIRE(w.service.wait_stats([](const control::ControlStats& s) {
    return s.liveness_drops == 1 && s.devices_online == 1 && s.refused_total() == 0;
  }));
}
