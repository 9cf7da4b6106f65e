#include <catch2/catch.hpp>

#include <string>

#include "core/session/identity.h"

using namespace callsignal;

namespace {

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

void check_refused(const Status& status, const std::string& field) {
  CHECK(status.code == Errc::invalid_argument);
  INFO("message: " << status.message);
  CHECK(starts_with(status.message, field + ": "));
}

}  // namespace

TEST_CASE("client id joins group and device with @@@", "[identity]") {
  Result<std::string> id = make_client_id("GID_android", "device-1", 64);
  REQUIRE(id.ok());
  CHECK(id.value() == "GID_android@@@device-1");

  // Every allowed character, and a client id of exactly the maximum length.
  CHECK(make_client_id("azAZ09-_.:", "d", 64).ok());
  Result<std::string> exact = make_client_id(std::string(30, 'g'), std::string(31, 'd'), 64);
  REQUIRE(exact.ok());
  CHECK(exact.value().size() == 64);
}

TEST_CASE("bad client ids are refused, naming the field", "[identity]") {
  struct Case {
    std::string group;
    std::string device;
    std::size_t max;
    std::string field;
  };
  const Case cases[] = {
      {"", "d", 64, "group_id"},
      {"g", "", 64, "device_id"},
      {"g@@@x", "d", 64, "group_id"},
      {"g", "d@@@x", 64, "device_id"},
      {"g", "a@b", 64, "device_id"},
      {"g", "a b", 64, "device_id"},
      {"g", "a/b", 64, "device_id"},
      {"g", "a+b", 64, "device_id"},
      {"g#", "d", 64, "group_id"},
      {"g", "d\xC3\xA9", 64, "device_id"},
      {"g", std::string("a\0b", 3), 64, "device_id"},
      {"g\n", "d", 64, "group_id"},
      {std::string(61, 'g'), "d", 64, "group_id"},   // 61 + 3 + 1 = 65: no device id could fit
      {std::string(60, 'g'), "dd", 64, "device_id"}, // a one-character device id would have fit
      {"g", std::string(61, 'd'), 64, "device_id"},
      {"g", "d", 4, "group_id"},  // "g@@@" already fills 4
  };
  for (const auto& c : cases) {
    INFO("group \"" << c.group << "\" device \"" << c.device << "\" max " << c.max);
    Result<std::string> id = make_client_id(c.group, c.device, c.max);
    REQUIRE_FALSE(id.ok());
    check_refused(id.status(), c.field);
  }
  check_refused(validate_id_part("my_field", ""), "my_field");
  CHECK(validate_id_part("my_field", "ok-1").ok());
}

TEST_CASE("publish topics: good ones pass", "[identity]") {
  const std::string good[] = {
      "a",
      "a/b/c",
      "$SYS/uploadToken",
      "up/req",
      "a b/c",
      "\xE6\x97\xA5\xE6\x9C\xAC/topic",
      "d/p2p/GID_x@@@dev:1",
      std::string(64, 'x'),
  };
  for (const auto& topic : good) {
    INFO("topic: " << topic);
    const Status status = validate_publish_topic("topic", topic, 64);
    CHECK(status.ok());
    CHECK(status.message.empty());
  }
}

TEST_CASE("publish topics: bad ones are refused, naming the field", "[identity]") {
  const std::string bad[] = {
      "",
      "a//b",
      "/a",
      "a/",
      "/",
      "a/+",
      "+",
      "#",
      "a/#",
      "a+",
      "a#b",
      std::string("a\0b", 3),
      "\xC0\x80",          // overlong NUL
      "a/\xED\xA0\x80",    // surrogate
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "a\xFF",
      "a\x01",
      "a\tb",
      "a\x7F",
      "a\xC2\x85",  // U+0085, a C1 control
      std::string(65, 'x'),
  };
  for (const auto& topic : bad) {
    INFO("topic: " << topic);
    check_refused(validate_publish_topic("topic", topic, 64), "topic");
  }
}

TEST_CASE("topic filters follow MQTT wildcard rules", "[identity]") {
  const std::string good[] = {"#", "+", "a/#", "+/+", "a/+/b", "$SYS/#", "+/#", "a/b", "+/a/+/#"};
  for (const auto& filter : good) {
    INFO("filter: " << filter);
    CHECK(validate_topic_filter("extra_subscriptions[0]", filter, 64).ok());
  }
  const std::string bad[] = {
      "", "a#", "a/#/b", "#/a", "a/b#", "a+/b", "+a", "a/b+", "##", "++", "a//#", "/#", "#/",
      "a/+/", std::string("+\0", 2), "a/\xE0\x80\x80", std::string(65, '+'),
  };
  for (const auto& filter : bad) {
    INFO("filter: " << filter);
    check_refused(validate_topic_filter("extra_subscriptions[0]", filter, 64), "extra_subscriptions[0]");
  }
}

TEST_CASE("topic length is checked in bytes against the given maximum", "[identity]") {
  CHECK(validate_publish_topic("topic", "abcd", 4).ok());
  check_refused(validate_publish_topic("topic", "abcde", 4), "topic");
  // Two characters, four bytes.
  CHECK(validate_publish_topic("topic", "\xC3\xA9\xC3\xA9", 4).ok());
  check_refused(validate_publish_topic("topic", "\xC3\xA9\xC3\xA9x", 4), "topic");
}

TEST_CASE("parent topics are one plain level", "[identity]") {
  const std::string good[] = {"app", "app-up_1", "UP", "\xE6\x97\xA5\xE6\x9C\xAC", "a.b:c"};
  for (const auto& parent : good) {
    INFO("parent: " << parent);
    CHECK(validate_parent_topic("uplink_parent", parent).ok());
  }
  const std::string bad[] = {
      "", "a/b", "/a", "a/", "+", "#", "a+", "a#", "$SYS", "$a", std::string("a\0", 2), "\xC0\xAF", "a\x1B",
  };
  for (const auto& parent : bad) {
    INFO("parent: " << parent);
    check_refused(validate_parent_topic("uplink_parent", parent), "uplink_parent");
  }
}

TEST_CASE("make_topics builds the P2P, status and uplink topics", "[identity]") {
  const Topics topics = make_topics("up", "down", "GID_a@@@dev1");
  CHECK(topics.p2p == "down/p2p/GID_a@@@dev1");
  CHECK(topics.status == "up/status");
  CHECK(topics.uplink("req") == "up/req");
  CHECK(topics.uplink_parent == "up");
  CHECK(topics.downlink_parent == "down");
  CHECK(p2p_topic("down", "GID_b@@@x") == "down/p2p/GID_b@@@x");
  CHECK(validate_publish_topic("topic", topics.p2p, 64).ok());
  CHECK(validate_topic_filter("topic", topics.p2p, 64).ok());
}
