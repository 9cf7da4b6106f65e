#include <catch2/catch.hpp>

#include <string>
#include <unordered_set>

#include "core/filter/message_id.h"

using namespace callsignal;

TEST_CASE("message id: hex round trip in wire order", "[filter]") {
  const std::string hex = "00112233445566778899aabbccddeeff";
  const std::optional<MessageId> id = MessageId::from_hex(hex);
  REQUIRE(id.has_value());
  CHECK(id->bytes[0] == 0x00);
  CHECK(id->bytes[1] == 0x11);
  CHECK(id->bytes[15] == 0xFF);
  CHECK(id->to_hex() == hex);
  CHECK(MessageId{}.to_hex() == std::string(32, '0'));
}

TEST_CASE("message id: only 32 lowercase hex characters parse", "[filter]") {
  for (const char* bad : {"", "0", "00112233445566778899aabbccddeef", "00112233445566778899aabbccddeeff0",
                          "00112233445566778899AABBCCDDEEFF", "00112233445566778899aabbccddeegg",
                          " 0112233445566778899aabbccddeeff", "0x112233445566778899aabbccddeeff"}) {
    INFO(bad);
    CHECK_FALSE(MessageId::from_hex(bad).has_value());
  }
  CHECK_FALSE(MessageId::from_hex(std::string("00112233445566778899aabbccddee\0f", 32)).has_value());
}

TEST_CASE("message id: equality, order and hashing", "[filter]") {
  const MessageId a = *MessageId::from_hex("000000000000000000000000000000aa");
  const MessageId b = *MessageId::from_hex("000000000000000000000000000000ab");
  CHECK(a == a);
  CHECK(a != b);
  CHECK(a < b);
  CHECK_FALSE(b < a);
  std::unordered_set<MessageId, MessageIdHash> set{a, b, a};
  CHECK(set.size() == 2);
}
