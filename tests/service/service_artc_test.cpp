// The service configured for Alibaba Cloud ARTC: invites carry ARTC join parameters, and user ids
// ARTC refuses are answered bad_request before any call exists.
#include <catch2/catch.hpp>

#include "control/rtc_minter.h"
#include "service/service_fixture.h"
#include "support/shared_broker.h"

using namespace callsignal;
using namespace callsignal::test;

TEST_CASE("service: with the ARTC vendor, invites carry ARTC tokens and bad user ids are refused") {
  auto config = service_test_config(shared_broker_uri());
  config.rtc.vendor = "aliyun_artc";
  config.rtc.app_id = "artcapp1";
  config.rtc.gslb = {"https://gslb.example/1", "https://gslb.example/2"};
  World w(std::move(config), {"alice", "bob"});
  const std::string call_id = w.call("alice", {"bob"});
  Envelope invite = w.invite_of("bob", call_id);
  CHECK(body_string(invite, "vendor") == "aliyun_artc");
  auto rtc = invite.body.get_string_map("rtc").value();
  CHECK(rtc.at("channel") == call_id);
  CHECK(rtc.at("userid") == "bob");
  CHECK(rtc.at("gslb") == R"(["https://gslb.example/1","https://gslb.example/2"])");
  CHECK(rtc.at("token") == control::artc_token("artcapp1", w.service.config().rtc.app_key, call_id, "bob",
                                               rtc.at("nonce"), rtc.at("timestamp"))
                               .value());
  CHECK(control::is_artc_id(call_id));

  const std::string bad = w["alice"].send(MessageType::call_request, "", call_request_body({"bob@example.com"}));
  Envelope error = w["alice"].wait_for(MessageType::error, body_is("reply_to", bad));
  CHECK(body_string(error, "code") == "bad_request");
  CHECK(body_string(error, "message").find("bob@example.com") != std::string::npos);
  CHECK(w.service->stats().calls_created == 1);
}
