// The service keeps serving across a broker restart: it reconnects, its persistent session keeps
// its subscriptions, and what it had not got acknowledged is re-sent.
#include <catch2/catch.hpp>

#include "service/service_fixture.h"
#include "support/broker.h"

using namespace callsignal;
using namespace callsignal::test;

TEST_CASE("service: survives a broker restart and finishes the call") {
  auto broker = MosquittoBroker::start({});
  ServiceUnderTest service(service_test_config(broker->uri()));
  TestDevice alice(broker->uri(), service.uplink(), service.downlink(), "alice", service.config().signer);
  TestDevice bob(broker->uri(), service.uplink(), service.downlink(), "bob", service.config().signer);
  connect_all({&alice, &bob});
  alice.hello("alice");
  bob.hello("bob");
  const std::string request_id = alice.send(MessageType::call_request, "", call_request_body({"bob"}));
  const std::string call_id = alice.wait_for(MessageType::invite, body_is("request_id", request_id)).call_id;
  bob.wait_for(MessageType::invite, in_call(call_id));

  broker->restart();
  REQUIRE(service.wait_log("\"broker_connected\"", 2));
  REQUIRE(alice.wait_connected(2));
  REQUIRE(bob.wait_connected(2));

  bob.send(MessageType::accept, call_id);
  alice.wait_for(MessageType::participant_update, body_is("state", "joined", call_id));
  alice.send(MessageType::hangup, call_id);
  bob.wait_for(MessageType::hangup, in_call(call_id));
  REQUIRE(service.wait_stats([](const control::ControlStats& s) {
    return s.calls_ended == 1 && s.pending_acks == 0;
  }));
}
