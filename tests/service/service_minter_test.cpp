// The RTC minters: known answers for the token formulas (computed independently with sha256sum
// and openssl dgst), the parameter maps, and ARTC's id rules. No broker.
#include <catch2/catch.hpp>

#include "control/rtc_minter.h"

using namespace callsignal::control;

TEST_CASE("service: ARTC token known answer and join parameters") {
  // printf '%s' 'a1b2c3d4k3yc-main-abcbobAK-0f8e5d2a1714636800' | sha256sum
  CHECK(artc_token("a1b2c3d4", "k3y", "c-main-abc", "bob", "AK-0f8e5d2a", "1714636800").value() ==
        "e573fe527a0d996b4bf96efa64c87629bd5712c4d954556f74cc0e87148b8146");

  RtcConfig config;
  config.vendor = "aliyun_artc";
  config.app_id = "a1b2c3d4";
  config.app_key = "k3y";
  config.token_lifetime_s = 3600;
  auto minter = make_rtc_minter(config);
  REQUIRE(minter.ok());
  CHECK(minter.value()->vendor() == "aliyun_artc");
  auto params = minter.value()->mint("c-main-abc", "bob", 1714633200);
  REQUIRE(params.ok());
  const RtcParams& p = params.value();
  CHECK(p.size() == 7);
  CHECK(p.at("appid") == "a1b2c3d4");
  CHECK(p.at("channel") == "c-main-abc");
  CHECK(p.at("userid") == "bob");
  CHECK(p.at("timestamp") == "1714636800");
  CHECK(p.at("gslb") == "[\"https://rgslb.rtc.aliyuncs.com\"]");
  REQUIRE(p.at("nonce").size() == 35);
  CHECK(p.at("nonce").rfind("AK-", 0) == 0);
  CHECK(p.at("token") == artc_token("a1b2c3d4", "k3y", "c-main-abc", "bob", p.at("nonce"), "1714636800").value());
  // A fresh nonce each time.
  CHECK(minter.value()->mint("c-main-abc", "bob", 1714633200).value().at("nonce") != p.at("nonce"));

  // ARTC ids: 1..64 of [A-Za-z0-9_-].
  CHECK(minter.value()->check_user_id("bob_1-x").ok());
  CHECK_FALSE(minter.value()->check_user_id("bob@example.com").ok());
  CHECK_FALSE(minter.value()->check_user_id(std::string(65, 'a')).ok());
  CHECK_FALSE(minter.value()->mint("c.main", "bob", 0).ok());
}

TEST_CASE("service: test vendor token known answer") {
  // printf '%s' 'callsignal-test|test-app|c-1|bob|1714636800' | openssl dgst -sha256 -hmac secret
  CHECK(test_vendor_token("test-app", "secret", "c-1", "bob", "1714636800").value() ==
        "0669b6d6d7323fc34a32d9df7f83e63c9bb2732112f0a3464534ab97cb528b4d");
  RtcConfig config;
  config.app_id = "test-app";
  config.app_key = "secret";
  config.token_lifetime_s = 100;
  auto minter = make_rtc_minter(config);
  REQUIRE(minter.ok());
  auto p = minter.value()->mint("c-1", "bob", 1714636700).value();
  CHECK(p == RtcParams{{"appid", "test-app"},
                       {"channel", "c-1"},
                       {"userid", "bob"},
                       {"timestamp", "1714636800"},
                       {"token", "0669b6d6d7323fc34a32d9df7f83e63c9bb2732112f0a3464534ab97cb528b4d"}});
  CHECK(minter.value()->check_user_id("bob@example.com").ok());  // any protocol identifier
}

TEST_CASE("service: minter configuration is checked") {
  RtcConfig config;
  config.app_id = "x";
  config.app_key = "k";
  config.vendor = "agora";
  CHECK(make_rtc_minter(config).status().message.rfind("rtc.vendor", 0) == 0);
  config.vendor = "aliyun_artc";
  config.gslb.clear();
  CHECK(make_rtc_minter(config).status().message.rfind("rtc.gslb", 0) == 0);
  config.app_key.clear();
  CHECK(make_rtc_minter(config).status().message.rfind("rtc.app_key", 0) == 0);
}
