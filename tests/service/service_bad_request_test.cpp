// Bad input: refused and counted, answered with error when the sender can be told, and the
// service's state left as it was.
#include <catch2/catch.hpp>

#include <set>

#include "core/envelope/frame.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/message_id.h"
#include "service/service_fixture.h"
#include "support/frames.h"
#include "support/shared_broker.h"

using namespace callsignal;
using namespace callsignal::test;

namespace {

std::string error_code(TestDevice& device, const std::string& reply_to) {
  return body_string(device.wait_for(MessageType::error, body_is("reply_to", reply_to)), "code");
}

}  // namespace

TEST_CASE("service: bad requests get error replies and leave the state intact") {
  auto c = service_test_config(shared_broker_uri());
  c.limits.max_group_size = 3;
  World w(std::move(c), {"alice", "bob", "carol", "mallory"});
  const std::string call_id = w.call("alice", {"bob"});
  w.accept("bob", call_id);
  w["alice"].wait_for(MessageType::participant_update, body_is("state", "joined", call_id));
  TestDevice& m = w["mallory"];

  // Not JSON at all, and a frame of another major: counted, nobody to answer.
  m.send_raw("this is not json");
  m.send_raw(R"({"v":2,"msg":"{}"})");
  REQUIRE(w.service.wait_stats([](const control::ControlStats& s) {
    return s.refused_for("malformed_json") == 1 && s.refused_for("unsupported_version") == 1;
  }));

  // A message that breaks its type's schema (call_request without media) from an identifiable
  // sender: error bad_request naming the field.
  {
    Envelope request;
    request.id = new_message_id().value();
    request.type = MessageType::hello;  // encode a valid message, then break it
    request.from = m.client_id();
    request.ts_ms = now_ms();
    request.ttl_ms = 30'000;
    std::string text = encode_message(request).value();
    const std::string broken_text = text.replace(text.find("\"hello\""), 7, "\"call_request\"");
    m.send_raw(encode_frame(broken_text).value());
    Envelope error = m.wait_for(MessageType::error, body_is("reply_to", request.id));
    CHECK(body_string(error, "code") == "bad_request");
    CHECK(body_string(error, "message").find("callees") != std::string::npos);
  }

  // Too many participants (cap 3 with the caller), an unknown call, a stranger in a call,
  // kicking without being the caller, a caller calling itself.
  CHECK(error_code(m, m.send(MessageType::call_request, "", call_request_body({"a1", "a2", "a3"}))) ==
        "too_many_participants");
  CHECK(error_code(m, m.send(MessageType::accept, "c-main-nosuchcall")) == "unknown_call");
  CHECK(error_code(m, m.send(MessageType::hangup, call_id)) == "not_allowed");
  Body kick;
  kick.set_string("target", "alice");
  CHECK(error_code(w["bob"], w["bob"].send(MessageType::kick, call_id, std::move(kick))) == "not_allowed");
  CHECK(error_code(m, m.send(MessageType::call_request, "", call_request_body({"mallory"}))) == "bad_request");
  // A device that never said hello cannot call.
  TestDevice stranger(shared_broker_uri(), w.service.uplink(), w.service.downlink(), "stranger",
                      w.service.config().signer);
  connect_all({&stranger});
  CHECK(error_code(stranger, stranger.send(MessageType::call_request, "", call_request_body({"bob"}))) ==
        "bad_request");

  // A downlink type sent up, and a duplicate: dropped and counted, no answer.
  Envelope forged = downlink(MessageType::call_ended, w["bob"].client_id(), call_id);
  m.send_raw(frame_of(forged, nullptr));
  Envelope hello;
  hello.id = new_message_id().value();
  hello.type = MessageType::hello;
  hello.from = m.client_id();
  hello.ts_ms = now_ms();
  hello.ttl_ms = 30'000;
  hello.body.set_string("user", "mallory");
  const std::string hello_frame = frame_of(hello, nullptr);
  m.send_raw(hello_frame);
  m.send_raw(hello_frame);
  REQUIRE(w.service.wait_stats([](const control::ControlStats& s) {
    return s.refused_for("wrong_direction") == 1 && s.refused_for("duplicate") == 1;
  }));
  m.wait_for(MessageType::hello_ack, body_is("hello_id", hello.id));
  std::set<std::string> acks;  // distinct hello_acks (a re-send repeats an id)
  for (const Envelope& e : m.received()) {
    if (e.type == MessageType::hello_ack) acks.insert(e.id);
  }
  CHECK(acks.size() == 2);  // the World's hello and this one, once

  // The call in progress is untouched, and works.
  CHECK(w.service->describe_call(call_id) == std::vector<std::string>{"alice:joined", "bob:joined"});
  CHECK_FALSE(w["bob"].receives(MessageType::call_ended, in_call(call_id), std::chrono::milliseconds(0)));
  w["alice"].send(MessageType::hangup, call_id);
  w["bob"].wait_for(MessageType::hangup, in_call(call_id));
  CHECK(w.refused() == 0);
}
