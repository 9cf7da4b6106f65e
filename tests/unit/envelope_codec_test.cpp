// The envelope codec: message types, ids, body access, encode/decode round trips for every type.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "core/envelope/decode.h"
#include "core/envelope/frame.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/message_id.h"
#include "core/envelope/signing.h"

using namespace callsignal;

namespace {

constexpr const char* kService = "callsignal-service";
constexpr const char* kAlice = "android@@@alice-phone";
constexpr const char* kBob = "ios@@@bob-phone";
constexpr const char* kCall = "c-20240501-0001";

std::string fresh_id() {
  Result<std::string> id = new_message_id();
  REQUIRE(id.ok());
  return id.value();
}

// A valid message of `type` with typical fields, addressed as the protocol says.
Envelope sample(MessageType type) {
  Envelope m;
  m.id = fresh_id();
  m.type = type;
  m.ts_ms = 1714550400123;
  m.ttl_ms = 30000;
  const Direction direction = message_direction(type);
  if (direction == Direction::uplink) {
    m.from = kAlice;
  } else if (direction == Direction::loopback) {
    m.from = kAlice;
    m.to = kAlice;
  } else {
    m.from = kService;
    m.to = kAlice;
  }
  if (is_call_scoped(type)) m.call_id = kCall;
  Body& b = m.body;
  switch (type) {
    case MessageType::hello:
      b.set_string("user", "alice").set_string("sdk", "callsignal/0.1.0").set_string("platform", "android");
      break;
    case MessageType::hello_ack:
      b.set_string("hello_id", fresh_id()).set_int("hello_ts", 1714550400000).set_int("received_ts", 1714550400050);
      break;
    case MessageType::call_request:
      b.set_string_list("callees", {"bob", "carol"}).set_string("media", "video");
      REQUIRE(b.set_json("custom", R"({"topic":"standup","n":[1,2,{"deep":true}]})").ok());
      break;
    case MessageType::invite:
      b.set_string("role", "callee")
          .set_string("caller", "alice")
          .set_string_list("callees", {"bob"})
          .set_string("media", "audio")
          .set_string_map("rtc", {{"appid", "app-1"}, {"channel", "ch-9"}, {"token", "tok"}})
          .set_string("vendor", "aliyun_artc");
      break;
    case MessageType::ringing:
      b.set_string("invite_id", fresh_id());
      break;
    case MessageType::accept:
    case MessageType::busy:
      b.set_string("invite_id", fresh_id());
      break;
    case MessageType::reject:
      b.set_string("reason", "declined");
      break;
    case MessageType::cancel:
    case MessageType::hangup:
      b.set_string("by", "bob");
      break;
    case MessageType::call_ended:
      b.set_string("reason", "hangup").set_int("duration_ms", 61000);
      break;
    case MessageType::participant_update:
      b.set_string("participant", "bob").set_string("state", "joined");
      break;
    case MessageType::invite_more:
      b.set_string_list("callees", {"dave"});
      break;
    case MessageType::mute_request:
      b.set_string("target", "bob").set_bool("audio", true).set_bool("video", false);
      break;
    case MessageType::kick:
      b.set_string("target", "bob");
      break;
    case MessageType::keepalive:
      b.set_int("interval_ms", 15000);
      break;
    case MessageType::token_renewal:
      b.set_string_map("rtc", {{"token", "new-token"}, {"timestamp", "1714554000"}});
      break;
    case MessageType::status:
      b.set_string("state", "online");
      break;
    case MessageType::error:
      b.set_string("code", "unknown_call").set_string("message", "no such call").set_string("reply_to", fresh_id());
      break;
    case MessageType::ack:
      b.set_string_list("ids", {fresh_id(), fresh_id()});
      break;
    case MessageType::end_for_all:
    case MessageType::token_renewal_request:
    case MessageType::drain:
      break;
  }
  return m;
}

}  // namespace

TEST_CASE("message types: names round trip and directions are defined", "[envelope]") {
  for (int i = 0; i < kMessageTypeCount; ++i) {
    const auto type = static_cast<MessageType>(i);
    const std::optional<MessageType> parsed = parse_message_type(to_string(type));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == type);
  }
  CHECK(std::string(to_string(MessageType::token_renewal_request)) == "token_renewal_request");
  CHECK_FALSE(parse_message_type("Invite").has_value());
  CHECK_FALSE(parse_message_type("").has_value());
  CHECK_FALSE(parse_message_type("invite ").has_value());
  CHECK(message_direction(MessageType::invite) == Direction::downlink);
  CHECK(message_direction(MessageType::call_request) == Direction::uplink);
  CHECK(message_direction(MessageType::drain) == Direction::loopback);
  CHECK(is_call_scoped(MessageType::hangup));
  CHECK_FALSE(is_call_scoped(MessageType::hello));
}

TEST_CASE("message ids: 32 lowercase hex characters, no repeats", "[envelope]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = fresh_id();
    CHECK(is_valid_message_id(id));
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
  CHECK_FALSE(is_valid_message_id("0123456789ABCDEF0123456789abcdef"));
  CHECK_FALSE(is_valid_message_id("0123456789abcdef0123456789abcde"));
  CHECK_FALSE(is_valid_message_id("0123456789abcdef0123456789abcdeg"));
}

TEST_CASE("error names are static and distinct", "[envelope]") {
  std::set<std::string> names;
  for (std::size_t i = 0; i < kEnvelopeErrorCount; ++i) names.insert(envelope_error_name(static_cast<EnvelopeError>(i)));
  CHECK(names.size() == kEnvelopeErrorCount);
  CHECK(std::string(envelope_error_name(EnvelopeError::wrong_recipient)) == "wrong_recipient");
  CHECK(is_forgery(EnvelopeError::bad_signature));
  CHECK_FALSE(is_forgery(EnvelopeError::wrong_recipient));
}

TEST_CASE("every message type round trips through encode, sign and decode", "[envelope]") {
  Result<Signer> signer = Signer::generate("svc-2024");
  REQUIRE(signer.ok());
  TrustedKeys keys;
  REQUIRE(keys.add_base64("svc-2024", signer->public_key_base64()).ok());
  RejectCounters counters;

  for (int i = 0; i < kMessageTypeCount; ++i) {
    const auto type = static_cast<MessageType>(i);
    CAPTURE(to_string(type));
    const Envelope original = sample(type);
    EnvelopeResult<std::string> text = encode_message(original);
    REQUIRE(text.ok());

    // Unsigned, read back as the message it was.
    EnvelopeResult<Envelope> parsed = parse_message(text.value());
    REQUIRE(parsed.ok());
    CHECK(parsed.value() == original);
    // The writer is deterministic: re-encoding the parsed message gives the same bytes.
    EnvelopeResult<std::string> again = encode_message(parsed.value());
    REQUIRE(again.ok());
    CHECK(again.value() == text.value());

    // Signed frame, decoded by the recipient the message names (or by the service: no recipient).
    EnvelopeResult<std::string> frame = signer->sign_frame(text.value());
    REQUIRE(frame.ok());
    DecodeOptions options;
    options.trusted_keys = &keys;
    options.counters = &counters;
    options.expected_recipient = original.to;
    EnvelopeResult<Decoded> decoded = decode(frame.value(), options);
    INFO(decoded.status().message);
    REQUIRE(decoded.ok());
    CHECK(decoded->message == original);
    CHECK(decoded->verified);
    CHECK(decoded->key_id == "svc-2024");
    CHECK(decoded->msg_bytes == text->size());
  }
  CHECK(counters.total() == 0);
}

TEST_CASE("encode_message writes compact JSON in a fixed field order", "[envelope]") {
  Envelope m;
  m.id = "0123456789abcdef0123456789abcdef";
  m.type = MessageType::ringing;
  m.from = kBob;
  m.ts_ms = 1;
  m.ttl_ms = 2;
  m.call_id = kCall;
  m.body.set_string("invite_id", "fedcba9876543210fedcba9876543210");
  EnvelopeResult<std::string> text = encode_message(m);
  REQUIRE(text.ok());
  CHECK(text.value() ==
        R"({"id":"0123456789abcdef0123456789abcdef","type":"ringing","from":"ios@@@bob-phone","ts":1,"ttl":2,)"
        R"("call":"c-20240501-0001","body":{"invite_id":"fedcba9876543210fedcba9876543210"}})");
}

TEST_CASE("encode_message refuses what a receiver would refuse", "[envelope]") {
  Envelope m = sample(MessageType::invite);
  SECTION("ttl out of range") {
    m.ttl_ms = 0;
    EnvelopeResult<std::string> text = encode_message(m);
    CHECK(text.code() == EnvelopeError::bad_value);
    CHECK(text.status().message == "msg.ttl: must be 1..3600000 ms");
  }
  SECTION("a required body field missing") {
    m.body.remove("rtc");
    EnvelopeResult<std::string> text = encode_message(m);
    CHECK(text.code() == EnvelopeError::missing_field);
    CHECK(text.status().message == "msg.body.rtc: missing");
  }
  SECTION("downlink without a recipient") {
    m.to.clear();
    CHECK(encode_message(m).code() == EnvelopeError::missing_field);
  }
  SECTION("invalid UTF-8 in a header field") {
    m.from = "bad\xC0\xAF";
    CHECK(encode_message(m).code() == EnvelopeError::invalid_utf8);
  }
  SECTION("invalid UTF-8 in a body string") {
    m.body.set_string("vendor", "x\xED\xA0\x80");
    CHECK(encode_message(m).code() == EnvelopeError::invalid_utf8);
  }
  SECTION("a string above the limit") {
    m.body.set_string("vendor", std::string(5000, 'x'));
    CHECK(encode_message(m).code() == EnvelopeError::too_large);
  }
}

TEST_CASE("body: typed reads name the missing or mistyped field", "[envelope]") {
  EnvelopeResult<Body> parsed =
      Body::parse(R"({"s":"text","n":42,"b":true,"list":["a","b"],"map":{"k":"v"},"obj":{"x":[1]},"bad":[1,"x"]})");
  REQUIRE(parsed.ok());
  const Body& b = parsed.value();
  CHECK(b.get_string("s").value() == "text");
  CHECK(b.get_int("n").value() == 42);
  CHECK(b.get_bool("b").value());
  CHECK(b.get_string_list("list").value() == std::vector<std::string>{"a", "b"});
  CHECK(b.get_string_map("map").value() == std::map<std::string, std::string>{{"k", "v"}});
  CHECK(b.get_json("obj").value() == R"({"x":[1]})");
  CHECK(b.has("s"));
  CHECK_FALSE(b.has("nope"));

  EnvelopeResult<std::string_view> missing = b.get_string("nope");
  CHECK(missing.code() == EnvelopeError::missing_field);
  CHECK(missing.status().message == "msg.body.nope: missing");
  EnvelopeResult<std::int64_t> wrong = b.get_int("s");
  CHECK(wrong.code() == EnvelopeError::wrong_type);
  CHECK(wrong.status().message == "msg.body.s: must be an integer");
  EnvelopeResult<std::vector<std::string>> bad_item = b.get_string_list("bad");
  CHECK(bad_item.code() == EnvelopeError::wrong_type);
  CHECK(bad_item.status().message == "msg.body.bad[0]: must be a string");
  CHECK(b.get_string_map("list").code() == EnvelopeError::wrong_type);
  CHECK(b.get_bool("n").code() == EnvelopeError::wrong_type);
}

TEST_CASE("body: copies are deep, moves leave an empty object, setters replace", "[envelope]") {
  Body a;
  a.set_string("k", "one");
  Body b = a;
  b.set_string("k", "two");
  CHECK(a.get_string("k").value() == "one");
  CHECK(b.get_string("k").value() == "two");
  CHECK(b.json().MemberCount() == 1);

  Body c = std::move(b);
  CHECK(c.get_string("k").value() == "two");
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move): documented state
  CHECK(b.to_json() == "{}");
  b.set_int("n", 1);  // a moved-from body is usable again
  CHECK(b.get_int("n").value() == 1);

  CHECK(a.remove("k"));
  CHECK_FALSE(a.remove("k"));
  CHECK(a.empty());

  Body d;
  CHECK(d.set_json("x", "[1,").code == EnvelopeError::malformed_json);
  CHECK(d.empty());  // a failed set leaves the body as it was
  CHECK(Body::parse("[]").code() == EnvelopeError::wrong_type);
}

TEST_CASE("decoded bodies stay valid after the decode buffers are gone", "[envelope]") {
  Envelope original = sample(MessageType::invite);
  std::string frame;
  {
    EnvelopeResult<std::string> text = encode_message(original);
    REQUIRE(text.ok());
    EnvelopeResult<std::string> f = encode_frame(text.value());
    REQUIRE(f.ok());
    frame = f.value();
  }
  Envelope kept;
  {
    EnvelopeResult<Decoded> decoded = decode(frame, DecodeOptions{});
    REQUIRE(decoded.ok());
    kept = std::move(decoded->message);
  }
  frame.assign(frame.size(), 'x');
  CHECK(kept == original);
  CHECK(kept.body.get_string_map("rtc").value().at("channel") == "ch-9");
  // A copy owns its strings: parsed bodies point into their own text, which the copy must not share.
  Envelope copy = kept;
  kept = Envelope{};
  CHECK(copy == original);
  CHECK(copy.body.get_string("caller").value() == "alice");
  Body assigned;
  assigned = copy.body;
  copy.body = Body{};
  CHECK(assigned.get_string_list("callees").value() == std::vector<std::string>{"bob"});
}

TEST_CASE("unknown fields are ignored in the frame, the message and the body", "[envelope]") {
  const std::string id = fresh_id();
  const std::string msg = R"({"id":")" + id +
                          R"(","type":"keepalive","from":"svc","to":"me","ts":5,"ttl":1000,"call":"c1",)"
                          R"("future":{"a":[1,2,3]},"body":{"interval_ms":2000,"later":"x"}})";
  EnvelopeResult<std::string> frame = encode_frame(msg);
  REQUIRE(frame.ok());
  std::string payload = frame.value();
  payload.insert(1, R"("trace":{"hops":[1,2]},"v2_hint":"x",)");
  DecodeOptions options;
  options.expected_recipient = "me";
  EnvelopeResult<Decoded> decoded = decode(payload, options);
  INFO(decoded.status().message);
  REQUIRE(decoded.ok());
  CHECK(decoded->message.body.get_int("interval_ms").value() == 2000);
  CHECK(decoded->message.body.get_string("later").value() == "x");
  CHECK_FALSE(decoded->verified);
}

TEST_CASE("limits are configurable", "[envelope]") {
  const Envelope m = sample(MessageType::invite);
  EnvelopeResult<std::string> text = encode_message(m);
  REQUIRE(text.ok());
  EnvelopeResult<std::string> frame = encode_frame(text.value());
  REQUIRE(frame.ok());

  DecodeOptions small;
  small.expected_recipient = kAlice;
  small.limits.max_bytes = frame->size() - 1;
  CHECK(decode(frame.value(), small).code() == EnvelopeError::too_large);
  small.limits.max_bytes = frame->size();
  CHECK(decode(frame.value(), small).ok());
  small.limits.max_depth = 2;  // the message and its body, but no list or map inside the body
  EnvelopeResult<Decoded> shallow = decode(frame.value(), small);
  CHECK(shallow.code() == EnvelopeError::too_deep);
  CHECK(shallow.status().message == "msg.body.callees: nesting deeper than 2 levels");
  small.limits.max_depth = 16;
  small.limits.max_string_bytes = 4;
  EnvelopeResult<Decoded> short_strings = decode(frame.value(), small);
  CHECK(short_strings.code() == EnvelopeError::too_large);
  CHECK(short_strings.status().message == "msg.id: string longer than 4 bytes");
  // The encoder refuses a frame above the limit it is given.
  CodecLimits tiny;
  tiny.max_bytes = 100;
  CHECK(encode_frame(text.value(), std::nullopt, tiny).code() == EnvelopeError::too_large);
}
