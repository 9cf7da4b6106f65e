// What the system refuses, end to end: forged downlink messages at a client, bad requests at the
// service. Both published from outside with mosquitto_pub, as an attacker or a buggy client would.
#include <catch2/catch.hpp>

#include <set>

#include "core/envelope/decode.h"
#include "core/envelope/message_id.h"
#include "core/envelope/signing.h"
#include "e2e/e2e_checks.h"
#include "support/frames.h"

using namespace callsignal;
using namespace callsignal::e2e;

namespace {

std::string message_id() {
  auto id = new_message_id();
  REQUIRE(id.ok());
  return id.value();
}

// A frame as an uplink sender writes it: {"v":1,"msg":"<message text>"}, unsigned.
std::string uplink_frame(const std::string& message_text) {
  std::string escaped;
  for (const char c : message_text) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return "{\"v\":1,\"msg\":\"" + escaped + "\"}";
}

std::string uplink_message(const std::string& id, const std::string& type, const std::string& from,
                           const std::string& body_json) {
  return "{\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"from\":\"" + from +
         "\",\"ts\":" + std::to_string(test::now_ms()) + ",\"ttl\":30000" +
         (body_json.empty() ? std::string() : ",\"body\":" + body_json) + "}";
}

}  // namespace

TEST_CASE("e2e: forged invites on a client's P2P topic are refused and counted") {
  World w;
  w.add_devices({"alice", "carol"});
  CliDevice& alice = w["alice"];
  CliDevice& carol = w["carol"];
  const std::string topic = w.control().downlink() + "/p2p/" + carol.client_id();

  // Three forgeries of an invite to carol, each well-formed: signed with a key nobody trusts,
  // signed with another key under the service's key id, and not signed at all.
  auto rogue = Signer::generate("e2e-rogue-key");
  auto impostor = Signer::generate(w.control().setup().kid);
  REQUIRE(rogue.ok());
  REQUIRE(impostor.ok());
  const std::vector<std::string> forged = {
      test::frame_of(test::downlink(MessageType::invite, carol.client_id(), "c-forged-1"), &rogue.value()),
      test::frame_of(test::downlink(MessageType::invite, carol.client_id(), "c-forged-2"), &impostor.value()),
      test::frame_of(test::downlink(MessageType::invite, carol.client_id(), "c-forged-3"), nullptr),
  };
  const std::int64_t forged_before = carol.status().num("forged").value_or(-1);
  REQUIRE(forged_before == 0);
  for (const std::string& frame : forged) w.publish(topic, frame);

  // Each one reaches carol's client and is dropped there as forged. Every status line is an
  // answer to a command: this polls the counter, no sleeping in between.
  test::Deadline deadline(kWait);
  JsonLine status = carol.status();
  while (status.num("forged").value_or(0) < 3 && !deadline.expired()) status = carol.status();
  INFO(status.text);
  CHECK(status.num("forged").value_or(0) == 3);
  CHECK(status.num("delivered").value_or(-1) >= 0);
  CHECK_FALSE(carol.saw(ev("incoming_call")));
  CHECK(status.str("ringing").empty());
  CHECK(status.str("call").empty());

  // The same device rings for an authentic invite.
  const std::string id = alice.call({"carol"});
  carol.expect(ev("incoming_call").with("call_id", id).with("caller", "alice"));
  CHECK(carol.count(ev("incoming_call")) == 1);
  carol.command("reject");
  alice.expect(ended(id, "rejected"));
  finish(w);
}

TEST_CASE("e2e: bad requests to the service: error replies, counted, and calls still work") {
  World w;
  w.add_devices({"alice", "bob"});
  CliDevice& alice = w["alice"];
  CliDevice& bob = w["bob"];
  ControlProcess& control = w.control();

  // The service's answers to a client id no CLI holds, watched with mosquitto_sub.
  const std::string mallory = "GID_e2e@@@mallory";
  Subscriber replies(w.broker(), control.downlink() + "/p2p/" + mallory);
  const std::string req = control.uplink() + "/req";

  // Nobody to answer: not JSON at all, and a JSON frame without its message.
  w.publish(req, "this is not json");
  w.publish(req, "{\"v\":1}");
  // Identifiable senders, each request broken in its own way.
  const std::string unknown_type = message_id();
  w.publish(req, uplink_frame(uplink_message(unknown_type, "frobnicate", mallory, "")));
  const std::string bad_media = message_id();
  w.publish(req, uplink_frame(uplink_message(bad_media, "call_request", mallory,
                                             R"({"callees":["bob"],"media":"hologram"})")));
  const std::string no_callees = message_id();
  w.publish(req, uplink_frame(uplink_message(no_callees, "call_request", mallory, R"({"callees":[],"media":"audio"})")));
  const std::string callees_not_list = message_id();
  w.publish(req, uplink_frame(uplink_message(callees_not_list, "call_request", mallory,
                                             R"({"callees":"bob","media":"audio"})")));
  // Well-formed, but from a device that never said hello: the service cannot tell whose call it is.
  const std::string stranger_call = message_id();
  w.publish(req, uplink_frame(uplink_message(stranger_call, "call_request", mallory,
                                             R"({"callees":["bob"],"media":"audio"})")));

  // Every error reply is signed by the service, for mallory, and names the request it refuses.
  TrustedKeys keys;
  REQUIRE(keys.add_base64(control.setup().kid, control.setup().public_key).ok());
  DecodeOptions options;
  options.trusted_keys = &keys;
  options.expected_recipient = mallory;
  auto error_for = [&](const std::string& request_id) {
    const std::string frame = replies.expect("error for " + request_id, [&](const std::string& payload) {
      auto decoded = decode(payload, options);
      if (!decoded.ok() || decoded->message.type != MessageType::error) return false;
      auto reply_to = decoded->message.body.get_string("reply_to");
      return reply_to.ok() && reply_to.value() == request_id;
    });
    auto decoded = decode(frame, options);
    REQUIRE(decoded.ok());
    CHECK(decoded->verified);
    auto code = decoded->message.body.get_string("code");
    return code.ok() ? std::string(code.value()) : std::string("(no code)");
  };
  CHECK(error_for(unknown_type) == "bad_request");
  CHECK(error_for(bad_media) == "bad_request");
  CHECK(error_for(no_callees) == "bad_request");
  CHECK(error_for(callees_not_list) == "bad_request");
  CHECK(error_for(stranger_call) == "bad_request");

  // Counted: the service logs each refusal with its reason (log level debug).
  control.expect(ev("refused").with("reason", "malformed_json"));
  CHECK(control.refused("malformed_json") == 1);
  CHECK(control.refused("missing_field") >= 1);  // {"v":1} has no msg
  CHECK(control.refused("unknown_type") == 1);
  CHECK(control.count(ev("bad_request").with("from", mallory)) == 4);
  CHECK(control.count(ev("request_refused").with("from", mallory).with("code", "bad_request")) == 1);
  // No reply went anywhere but to mallory, and none for what had no sender.
  std::set<std::string> answered;
  for (const std::string& payload : replies.payloads()) {
    auto decoded = decode(payload, options);
    REQUIRE(decoded.ok());
    auto reply_to = decoded->message.body.get_string("reply_to");
    if (reply_to.ok()) answered.insert(std::string(reply_to.value()));
  }
  CHECK(answered == std::set<std::string>{unknown_type, bad_media, no_callees, callees_not_list, stranger_call});
  CHECK_FALSE(control.saw(ev("call_created")));

  // Still up, and a normal call goes through.
  REQUIRE(control.process().child().running());
  const std::string id = alice.call({"bob"});
  bob.expect(ev("incoming_call").with("call_id", id));
  bob.command("accept");
  alice.expect(state(id, "active"));
  bob.expect(state(id, "active"));
  bob.command("hangup");
  alice.expect(ended(id, "remote_hangup"));
  bob.expect(ended(id, "local_hangup"));
  CHECK_FALSE(alice.saw(ev("error")));
  CHECK_FALSE(bob.saw(ev("error")));
  finish(w);
}
