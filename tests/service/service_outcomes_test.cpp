// How calls end before or without an answer: reject, busy, cancel, ring timeout, unknown callee;
// and a group of three where one callee rejects.
#include <catch2/catch.hpp>

#include "service/service_fixture.h"
#include "support/shared_broker.h"

using namespace callsignal;
using namespace callsignal::test;

namespace {

control::ControlConfig config() { return service_test_config(shared_broker_uri()); }

bool ended_with(const control::ControlStats& s, const std::string& reason) {
  auto it = s.calls_ended_by_reason.find(reason);
  return s.calls_active == 0 && it != s.calls_ended_by_reason.end() && it->second == 1;
}

}  // namespace

TEST_CASE("service: reject ends a 1:1 call for the caller") {
  World w(config(), {"alice", "bob", "bob.2"});
  const std::string call_id = w.call("alice", {"bob"});
  Body body;
  body.set_string("reason", "declined").set_string("invite_id", w.invite_of("bob", call_id).id);
  w["bob"].send(MessageType::reject, call_id, std::move(body));

  Envelope update = w["alice"].wait_for(MessageType::participant_update, body_is("state", "rejected", call_id));
  CHECK(body_string(update, "participant") == "bob");
  w["alice"].wait_for(MessageType::call_ended, body_is("reason", "rejected", call_id));
  // Bob's other device stops ringing.
  w["bob.2"].wait_for(MessageType::call_ended, body_is("reason", "rejected_elsewhere", call_id));
  REQUIRE(w.service.wait_stats([](const control::ControlStats& s) { return ended_with(s, "rejected"); }));
  CHECK(w.refused() == 0);
}

TEST_CASE("service: busy: a callee in an answered call, or a device that says busy") {
  World w(config(), {"alice", "bob", "carol", "dave"});
  // Bob is in an answered call with Carol.
  const std::string first = w.call("carol", {"bob"});
  w.accept("bob", first);
  w["carol"].wait_for(MessageType::participant_update, body_is("state", "joined", first));

  // Alice calls Bob: the service knows he is busy; Alice still gets her invite (the call id),
  // then the update and the end.
  const std::string second = w.call("alice", {"bob"});
  w["alice"].wait_for(MessageType::participant_update, body_is("state", "busy", second));
  w["alice"].wait_for(MessageType::call_ended, body_is("reason", "busy", second));
  CHECK_FALSE(w["bob"].receives(MessageType::invite, in_call(second), std::chrono::milliseconds(0)));

  // Dave calls Carol's... no: Dave calls Alice, whose device answers busy itself.
  const std::string third = w.call("dave", {"alice"});
  w["alice"].send(MessageType::busy, third);
  w["dave"].wait_for(MessageType::participant_update, body_is("state", "busy", third));
  w["dave"].wait_for(MessageType::call_ended, body_is("reason", "busy", third));
  REQUIRE(w.service.wait_stats([](const control::ControlStats& s) {
    auto it = s.calls_ended_by_reason.find("busy");
    return s.calls_active == 1 && it != s.calls_ended_by_reason.end() && it->second == 2;
  }));
  CHECK(w.service->live_calls() == std::vector<std::string>{first});
}

TEST_CASE("service: the caller cancels before an answer") {
  World w(config(), {"alice", "bob", "bob.2"});
  const std::string call_id = w.call("alice", {"bob"});
  w.invite_of("bob", call_id);
  w.invite_of("bob.2", call_id);
  w["alice"].send(MessageType::cancel, call_id);
  for (const char* device : {"bob", "bob.2"}) {
    Envelope cancel = w[device].wait_for(MessageType::cancel, in_call(call_id));
    CHECK(body_string(cancel, "by") == "alice");
  }
  REQUIRE(w.service.wait_stats([](const control::ControlStats& s) { return ended_with(s, "cancelled"); }));
  // A late accept finds the call over.
  const std::string late = w["bob"].send(MessageType::accept, call_id);
  Envelope error = w["bob"].wait_for(MessageType::error, body_is("reply_to", late));
  CHECK(body_string(error, "code") == "call_expired");
}

TEST_CASE("service: ring timeout: no_answer to both sides of a 1:1 call") {
  auto c = config();
  c.limits.ring_timeout_ms = 400;
  World w(std::move(c), {"alice", "bob"});
  const std::string call_id = w.call("alice", {"bob"});
  w["alice"].wait_for(MessageType::participant_update, body_is("state", "no_answer", call_id));
  w["alice"].wait_for(MessageType::call_ended, body_is("reason", "no_answer", call_id));
  w["bob"].wait_for(MessageType::call_ended, body_is("reason", "no_answer", call_id));
  REQUIRE(w.service.wait_stats([](const control::ControlStats& s) { return ended_with(s, "no_answer"); }));
}

TEST_CASE("service: a callee with no known device: no_answer at once") {
  World w(config(), {"alice"});
  const std::string call_id = w.call("alice", {"nobody"});
  w["alice"].wait_for(MessageType::participant_update, body_is("state", "no_answer", call_id));
  w["alice"].wait_for(MessageType::call_ended, body_is("reason", "no_answer", call_id));
  REQUIRE(w.service.wait_stats([](const control::ControlStats& s) { return ended_with(s, "no_answer"); }));
}

TEST_CASE("service: a group of three: one rejects, the call goes on") {
  World w(config(), {"alice", "bob", "carol"});
  const std::string call_id = w.call("alice", {"bob", "carol"});
  Envelope carol_invite = w.invite_of("carol", call_id);
  CHECK(carol_invite.body.get_string_list("callees").value() == std::vector<std::string>{"bob", "carol"});

  Body reject;
  reject.set_string("reason", "declined");
  w["bob"].send(MessageType::reject, call_id, std::move(reject));
  w["alice"].wait_for(MessageType::participant_update, body_is("state", "rejected", call_id));
  w["carol"].wait_for(MessageType::participant_update, body_is("state", "rejected", call_id));
  CHECK_FALSE(w["alice"].receives(MessageType::call_ended, in_call(call_id), std::chrono::milliseconds(0)));

  w.accept("carol", call_id);
  Envelope joined = w["alice"].wait_for(MessageType::participant_update, body_is("state", "joined", call_id));
  CHECK(body_string(joined, "participant") == "carol");
  CHECK(w.service->describe_call(call_id) ==
        std::vector<std::string>{"alice:joined", "bob:rejected", "carol:joined"});

  // Carol leaves: Alice is alone, the call ends for her.
  w["carol"].send(MessageType::hangup, call_id);
  w["alice"].wait_for(MessageType::participant_update, body_is("state", "left", call_id));
  w["alice"].wait_for(MessageType::call_ended, body_is("reason", "hangup", call_id));
  REQUIRE(w.service.wait_stats([](const control::ControlStats& s) { return ended_with(s, "hangup"); }));
  CHECK(w.refused() == 0);
}
