// Two instances behind one MQTT 5 shared subscription: each gets part of the requests, and a
// call works whichever instance each request lands on.
#include <catch2/catch.hpp>

#include "service/service_fixture.h"
#include "support/shared_broker.h"

using namespace callsignal;
using namespace callsignal::test;

TEST_CASE("service: two instances share the requests through a shared subscription") {
  control::ControlConfig a = service_test_config(shared_broker_uri());
  a.shared_group = "g" + random_tag();
  a.instance_id = "ia";
  control::ControlConfig b = a;  // same topics, group and signing key
  b.instance_id = "ib";
  b.mqtt_client_id = a.mqtt_client_id + "-b";
  ServiceUnderTest first(std::move(a));
  ServiceUnderTest second(std::move(b));

  TestDevice alice(shared_broker_uri(), first.uplink(), first.downlink(), "alice", first.config().signer);
  TestDevice bob(shared_broker_uri(), first.uplink(), first.downlink(), "bob", first.config().signer);
  connect_all({&alice, &bob});

  // Requests spread over both instances; each hello is answered once.
  constexpr int kHellos = 20;
  for (int i = 0; i < kHellos; ++i) alice.hello("alice");
  bob.hello("bob");
  auto hellos = [](ServiceUnderTest& s) { return s->stats().requests_for("hello"); };
  REQUIRE(first.wait_stats([&](const control::ControlStats& s) {
    return s.requests_for("hello") + hellos(second) == kHellos + 1;
  }));
  CHECK(hellos(first) > 0);
  CHECK(hellos(second) > 0);
  // Each learned every device from the other's broadcasts.
  REQUIRE(first.wait_stats([](const control::ControlStats& s) { return s.devices_known == 2; }));
  REQUIRE(second.wait_stats([](const control::ControlStats& s) { return s.devices_known == 2; }));

  // Calls, wherever each request lands: the owner of the call handles what concerns it.
  for (int round = 0; round < 4; ++round) {
    const std::string request_id = alice.send(MessageType::call_request, "", call_request_body({"bob"}));
    const std::string call_id = alice.wait_for(MessageType::invite, body_is("request_id", request_id)).call_id;
    Envelope invite = bob.wait_for(MessageType::invite, in_call(call_id));
    Body ringing;
    ringing.set_string("invite_id", invite.id);
    bob.send(MessageType::ringing, call_id, std::move(ringing));
    bob.send(MessageType::accept, call_id);
    alice.wait_for(MessageType::participant_update, body_is("state", "joined", call_id));
    alice.send(MessageType::hangup, call_id);
    bob.wait_for(MessageType::hangup, in_call(call_id));
  }
  auto total = [&](auto field) { return field(first->stats()) + field(second->stats()); };
  REQUIRE(first.wait_stats([&](const control::ControlStats&) {
    return total([](const control::ControlStats& s) { return s.calls_ended; }) == 4 &&
           total([](const control::ControlStats& s) { return s.pending_acks; }) == 0;
  }));
  CHECK(total([](const control::ControlStats& s) { return s.calls_created; }) == 4);
  CHECK(total([](const control::ControlStats& s) { return s.forwarded; }) > 0);
  CHECK(total([](const control::ControlStats& s) { return s.errors_sent.size(); }) == 0);
  CHECK(alice.refused() + bob.refused() == 0);
}
