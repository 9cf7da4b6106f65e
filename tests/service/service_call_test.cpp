// A 1:1 call through the service: hello, call_request, invites, ringing, accept, hangup; the RTC
// parameters; signatures; re-sends until acked.
#include <catch2/catch.hpp>

#include "control/rtc_minter.h"
#include "service/service_fixture.h"
#include "support/frames.h"
#include "support/shared_broker.h"

using namespace callsignal;
using namespace callsignal::test;

namespace {

struct Pair {
  ServiceUnderTest service{service_test_config(shared_broker_uri())};
  TestDevice alice{shared_broker_uri(), service.uplink(), service.downlink(), "alice", service.config().signer};
  TestDevice bob{shared_broker_uri(), service.uplink(), service.downlink(), "bob", service.config().signer};

  Pair() {
    connect_all({&alice, &bob});
    alice.hello("alice");
    bob.hello("bob");
  }
};

}  // namespace

TEST_CASE("service: hello gets a signed hello_ack with the time sync fields") {
  ServiceUnderTest service(service_test_config(shared_broker_uri()));
  TestDevice device(shared_broker_uri(), service.uplink(), service.downlink(), "dev", service.config().signer);
  connect_all({&device});
  const std::int64_t before = now_ms();
  Body body;
  body.set_string("user", "alice");
  const std::string hello_id = device.send(MessageType::hello, "", std::move(body));
  Envelope ack = device.wait_for(MessageType::hello_ack);
  const std::int64_t after = now_ms();

  CHECK(body_string(ack, "hello_id") == hello_id);
  CHECK(ack.from == service.config().service_id);
  CHECK(ack.to == device.client_id());
  CHECK(ack.ts_ms >= before);
  CHECK(ack.ts_ms <= after);
  auto received = ack.body.get_int("received_ts");
  REQUIRE(received.ok());
  CHECK(received.value() >= before);
  CHECK(received.value() <= ack.ts_ms);
  auto hello_ts = ack.body.get_int("hello_ts");
  REQUIRE(hello_ts.ok());
  CHECK(hello_ts.value() >= before - 1);
  CHECK(device.refused() == 0);  // signed with the service key, addressed to this device
  REQUIRE(service.wait_stats([](const control::ControlStats& s) { return s.devices_online == 1; }));
}

TEST_CASE("service: a 1:1 call: invites, ringing, accept, hangup") {
  Pair p;
  const std::string request_id = p.alice.send(MessageType::call_request, "", call_request_body({"bob"}, "video"));

  Envelope caller_invite = p.alice.wait_for(MessageType::invite);
  const std::string call_id = caller_invite.call_id;
  CHECK(body_string(caller_invite, "role") == "caller");
  CHECK(body_string(caller_invite, "request_id") == request_id);
  CHECK(body_string(caller_invite, "caller") == "alice");
  CHECK(body_string(caller_invite, "media") == "video");
  CHECK(body_string(caller_invite, "vendor") == "test");
  CHECK(caller_invite.ttl_ms == p.service.config().limits.invite_lifetime_ms);

  Envelope invite = p.bob.wait_for(MessageType::invite, in_call(call_id));
  CHECK(body_string(invite, "role") == "callee");
  CHECK(body_string(invite, "request_id").empty());
  CHECK(invite.body.get_string_list("callees").value() == std::vector<std::string>{"bob"});
  auto rtc = invite.body.get_string_map("rtc");
  REQUIRE(rtc.ok());
  CHECK(rtc.value().at("channel") == call_id);
  CHECK(rtc.value().at("userid") == "bob");
  CHECK(rtc.value().at("appid") == "test-app");
  // The test vendor's token is checkable by whoever holds the app key; the key is never sent.
  auto expected = control::test_vendor_token("test-app", p.service.config().rtc.app_key, call_id, "bob",
                                             rtc.value().at("timestamp"));
  REQUIRE(expected.ok());
  CHECK(rtc.value().at("token") == expected.value());
  CHECK(invite.body.to_json().find(p.service.config().rtc.app_key) == std::string::npos);

  Body ringing;
  ringing.set_string("invite_id", invite.id);
  p.bob.send(MessageType::ringing, call_id, std::move(ringing));
  p.alice.wait_for(MessageType::participant_update, body_is("state", "ringing", call_id));

  Body accept;
  accept.set_string("invite_id", invite.id);
  p.bob.send(MessageType::accept, call_id, std::move(accept));
  Envelope joined = p.alice.wait_for(MessageType::participant_update, body_is("state", "joined", call_id));
  CHECK(body_string(joined, "participant") == "bob");
  REQUIRE(p.service->describe_call(call_id) == std::vector<std::string>{"alice:joined", "bob:joined"});

  p.bob.send(MessageType::hangup, call_id);
  Envelope hangup = p.alice.wait_for(MessageType::hangup, in_call(call_id));
  CHECK(body_string(hangup, "by") == "bob");
  REQUIRE(p.service.wait_stats([](const control::ControlStats& s) {
    return s.calls_active == 0 && s.calls_ended == 1 && s.pending_acks == 0;
  }));
  auto stats = p.service->stats();
  CHECK(stats.calls_created == 1);
  CHECK(stats.ended_for("hangup") == 1);
  CHECK(stats.refused_total() == 0);
  CHECK(p.alice.refused() == 0);
  CHECK(p.bob.refused() == 0);
}

TEST_CASE("service: the same user on two devices: both ring, the first accept wins") {
  Pair p;
  TestDevice bob2(shared_broker_uri(), p.service.uplink(), p.service.downlink(), "bob2", p.service.config().signer);
  TestDevice alice2(shared_broker_uri(), p.service.uplink(), p.service.downlink(), "alice2",
                    p.service.config().signer);
  connect_all({&bob2, &alice2});
  bob2.hello("bob");
  alice2.hello("alice");

  const std::string request_id = p.alice.send(MessageType::call_request, "", call_request_body({"bob"}));
  const std::string call_id = p.alice.wait_for(MessageType::invite).call_id;
  // The caller's other device gets its invite as caller too, with the request id it did not send.
  Envelope other_caller = alice2.wait_for(MessageType::invite, in_call(call_id));
  CHECK(body_string(other_caller, "role") == "caller");
  CHECK(body_string(other_caller, "request_id") == request_id);

  Envelope invite1 = p.bob.wait_for(MessageType::invite, in_call(call_id));
  Envelope invite2 = bob2.wait_for(MessageType::invite, in_call(call_id));
  CHECK(invite1.id != invite2.id);
  CHECK(invite2.to == bob2.client_id());

  p.bob.send(MessageType::accept, call_id);
  bob2.wait_for(MessageType::call_ended, body_is("reason", "answered_elsewhere", call_id));
  p.alice.wait_for(MessageType::participant_update, body_is("state", "joined", call_id));

  // The second device's late accept is refused.
  const std::string late = bob2.send(MessageType::accept, call_id);
  Envelope error = bob2.wait_for(MessageType::error, body_is("reply_to", late));
  CHECK(body_string(error, "code") == "not_allowed");
  CHECK(p.service->describe_call(call_id) == std::vector<std::string>{"alice:joined", "bob:joined"});
}

TEST_CASE("service: downlink messages are re-sent, same bytes, until the device acks them") {
  ServiceUnderTest service(service_test_config(shared_broker_uri()));
  DeviceOptions options;
  options.auto_ack = false;
  TestDevice device(shared_broker_uri(), service.uplink(), service.downlink(), "quiet", service.config().signer,
                    options);
  connect_all({&device});
  Body body;
  body.set_string("user", "carol");
  device.send(MessageType::hello, "", std::move(body));
  const std::string ack_id = device.wait_for(MessageType::hello_ack).id;
  // Unacknowledged: it comes again, byte for byte.
  REQUIRE(device.wait_copies(ack_id, 3));
  auto frames = device.frames_of(ack_id);
  REQUIRE(frames.size() >= 3);
  CHECK(frames[0] == frames[1]);
  CHECK(frames[1] == frames[2]);

  device.ack({ack_id});
  REQUIRE(service.wait_stats([](const control::ControlStats& s) { return s.pending_acks == 0 && s.acked == 1; }));
  CHECK(service->stats().resends >= 2);
}
