// A group call's controls: mute, token renewal, invite_more, kick, end_for_all, keepalive.
#include <catch2/catch.hpp>

#include "control/rtc_minter.h"
#include "service/service_fixture.h"
#include "support/shared_broker.h"

using namespace callsignal;
using namespace callsignal::test;

TEST_CASE("service: a group call: mute, token renewal, invite_more, kick, end_for_all") {
  World w(service_test_config(shared_broker_uri()), {"alice", "bob", "carol", "dave"});
  const std::string call_id = w.call("alice", {"bob", "carol"});
  w.accept("bob", call_id);
  w.accept("carol", call_id);
  w["alice"].wait_for(MessageType::participant_update, body_is("participant", "carol", call_id));
  REQUIRE(w.service.wait_stats([](const control::ControlStats& s) { return s.requests_for("accept") == 2; }));

  // Mute: relayed to the target, with who asked and the defaults filled in.
  Body mute;
  mute.set_string("target", "bob");
  w["alice"].send(MessageType::mute_request, call_id, std::move(mute));
  Envelope muted = w["bob"].wait_for(MessageType::mute_request, in_call(call_id));
  CHECK(body_string(muted, "target") == "bob");
  CHECK(body_string(muted, "by") == "alice");
  CHECK(muted.body.get_bool("audio").value());
  CHECK_FALSE(muted.body.get_bool("video").value());

  // Token renewal: a fresh token for the requester, checkable with the app key.
  w["carol"].send(MessageType::token_renewal_request, call_id);
  Envelope renewal = w["carol"].wait_for(MessageType::token_renewal, in_call(call_id));
  auto rtc = renewal.body.get_string_map("rtc").value();
  CHECK(rtc.at("userid") == "carol");
  CHECK(rtc.at("token") == control::test_vendor_token("test-app", w.service.config().rtc.app_key, call_id, "carol",
                                                      rtc.at("timestamp"))
                               .value());

  // Keepalive: answered on the same call.
  Body keepalive;
  keepalive.set_int("interval_ms", 15'000);
  w["bob"].send(MessageType::keepalive, call_id, std::move(keepalive));
  w["bob"].wait_for(MessageType::keepalive, in_call(call_id));

  // invite_more: any participant pulls Dave in; Dave's invite lists who is in already.
  Body more;
  more.set_string_list("callees", {"dave"});
  w["bob"].send(MessageType::invite_more, call_id, std::move(more));
  Envelope dave_invite = w.invite_of("dave", call_id);
  CHECK(dave_invite.body.get_string_list("members").value() == std::vector<std::string>{"alice", "bob", "carol"});
  CHECK(dave_invite.body.get_string_list("callees").value() == std::vector<std::string>{"dave"});
  CHECK(body_string(dave_invite, "caller") == "alice");
  w["carol"].wait_for(MessageType::participant_update, body_is("state", "invited", call_id));
  w.accept("dave", call_id);
  w["alice"].wait_for(MessageType::participant_update, [&](const Envelope& e) {
    return e.call_id == call_id && body_string(e, "participant") == "dave" && body_string(e, "state") == "joined";
  });

  // Only a participant in the call may invite: Dave's old invite does not make a stranger one.
  TestDevice eve(shared_broker_uri(), w.service.uplink(), w.service.downlink(), "eve", w.service.config().signer);
  connect_all({&eve});
  eve.hello("eve");
  Body sneaky;
  sneaky.set_string_list("callees", {"eve"});
  const std::string sneaky_id = eve.send(MessageType::invite_more, call_id, std::move(sneaky));
  CHECK(body_string(eve.wait_for(MessageType::error, body_is("reply_to", sneaky_id)), "code") == "not_allowed");

  // Kick: the caller removes Carol; she is told, the others see her leave.
  Body kick;
  kick.set_string("target", "carol");
  w["alice"].send(MessageType::kick, call_id, std::move(kick));
  w["carol"].wait_for(MessageType::call_ended, body_is("reason", "kicked", call_id));
  for (const char* device : {"bob", "dave"}) {
    w[device].wait_for(MessageType::participant_update, [&](const Envelope& e) {
      return e.call_id == call_id && body_string(e, "participant") == "carol" && body_string(e, "state") == "left";
    });
  }

  // end_for_all: refused to a callee, done for the caller.
  const std::string refused = w["bob"].send(MessageType::end_for_all, call_id);
  CHECK(body_string(w["bob"].wait_for(MessageType::error, body_is("reply_to", refused)), "code") == "not_allowed");
  w["alice"].send(MessageType::end_for_all, call_id);
  for (const char* device : {"alice", "bob", "dave"}) {
    Envelope ended = w[device].wait_for(MessageType::call_ended, body_is("reason", "ended_for_all", call_id));
    CHECK(ended.body.get_int("duration_ms").ok());
  }
  REQUIRE(w.service.wait_stats([](const control::ControlStats& s) {
    return s.calls_active == 0 && s.ended_for("ended_for_all") == 1;
  }));
  CHECK(w.refused() == 0);
}
