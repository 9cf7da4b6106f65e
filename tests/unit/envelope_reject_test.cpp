// Bad input, table-driven: every row is refused with its reason, the reason's counter goes up by
// exactly one, and nothing else is counted.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "core/envelope/decode.h"
#include "core/envelope/frame.h"
#include "core/envelope/signing.h"

using namespace callsignal;

namespace {

constexpr const char* kMe = "ios@@@bob";
constexpr const char* kId = "00112233445566778899aabbccddeeff";

// A valid invite for kMe, as message text. Rows replace parts of it.
const std::string kInvite =
    std::string(R"({"id":")") + kId +
    R"(","type":"invite","from":"svc","to":"ios@@@bob","ts":1714550400000,"ttl":30000,"call":"c1",)"
    R"("body":{"role":"callee","caller":"alice","callees":["bob"],"media":"audio","rtc":{"token":"t"}}})";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

std::string unsigned_frame(const std::string& msg) {
  EnvelopeResult<std::string> frame = encode_frame(msg);
  REQUIRE(frame.ok());
  return frame.value();
}

std::string signed_frame(const std::string& msg, const Signer& signer) {
  EnvelopeResult<std::string> frame = signer.sign_frame(msg);
  REQUIRE(frame.ok());
  return frame.value();
}

// msg text placed raw between the frame's quotes (the caller escapes what needs escaping).
std::string raw_frame(const std::string& escaped_msg) { return R"({"v":1,"msg":")" + escaped_msg + R"("})"; }

std::string nested(const std::string& open, const std::string& close, int depth, const std::string& inner) {
  std::string out;
  for (int i = 0; i < depth; ++i) out += open;
  out += inner;
  for (int i = 0; i < depth; ++i) out += close;
  return out;
}

struct Row {
  std::string name;
  std::string payload;
  EnvelopeError expected;
  std::string message_prefix;  // what the error message must start with ("" = not checked)
};

}  // namespace

TEST_CASE("bad input is refused with its counted reason", "[envelope]") {
  Result<Signer> k1 = Signer::generate("k1");
  Result<Signer> k2 = Signer::generate("k2");
  REQUIRE(k1.ok());
  REQUIRE(k2.ok());
  TrustedKeys keys;
  REQUIRE(keys.add_base64("k1", k1->public_key_base64()).ok());

  const std::string good = signed_frame(kInvite, k1.value());
  const std::string k1_sig = [&] {
    Result<std::string> sig = k1->sign(kInvite);
    REQUIRE(sig.ok());
    return sig.value();
  }();
  auto with_signature = [&](const std::string& msg, const std::string& kid, const std::string& sig) {
    EnvelopeResult<std::string> frame = encode_frame(msg, FrameSignature{kid, sig});
    REQUIRE(frame.ok());
    return frame.value();
  };
  auto k1_frame = [&](const std::string& msg) { return signed_frame(msg, k1.value()); };
  const std::string deep_custom = nested(R"({"a":)", "}", 20, "1");

  const std::vector<Row> rows = {
      // Size and encoding of the payload.
      {"oversize payload", R"({"v":1,"pad":")" + std::string(16 * 1024, 'x') + R"(","msg":"{}"})",
       EnvelopeError::too_large, "frame: 16411 bytes, above the limit of 16384"},
      {"overlong encoding", replace(good, "svc", "\xC0\xAF"), EnvelopeError::invalid_utf8, "frame: invalid UTF-8"},
      {"encoded surrogate", replace(good, "svc", "\xED\xA0\x80"), EnvelopeError::invalid_utf8, ""},
      {"truncated sequence", replace(good, "svc", "\xE2\x82"), EnvelopeError::invalid_utf8, ""},
      {"above U+10FFFF", replace(good, "svc", "\xF4\x90\x80\x80"), EnvelopeError::invalid_utf8, ""},
      {"stray continuation byte", R"({"v":1,"msg":"{}"})" + std::string("\x80"), EnvelopeError::invalid_utf8, ""},
      {"lone low surrogate escape in the frame", R"({"v":1,"msg":"\udc00"})", EnvelopeError::invalid_utf8,
       "frame.msg: string holds"},
      {"unpaired high surrogate escape", R"({"v":1,"msg":"\ud800x"})", EnvelopeError::invalid_utf8, ""},
      {"lone surrogate escape inside the message",
       k1_frame(replace(kInvite, R"("caller":"alice")", R"("caller":"\udfff")")), EnvelopeError::invalid_utf8,
       "msg.body.caller: string holds"},
      // JSON syntax of the frame.
      {"empty payload", "", EnvelopeError::malformed_json, "frame: "},
      {"not JSON", "hello", EnvelopeError::malformed_json, ""},
      {"truncated JSON", good.substr(0, good.size() - 1), EnvelopeError::malformed_json, ""},
      {"trailing garbage", good + " x", EnvelopeError::malformed_json, ""},
      {"two JSON values", good + good, EnvelopeError::malformed_json, ""},
      {"NUL byte after the JSON", good + std::string(1, '\0') + "junk", EnvelopeError::malformed_json,
       "frame: NUL byte"},
      {"single quotes", "{'v':1}", EnvelopeError::malformed_json, ""},
      {"NaN", R"({"v":NaN,"msg":"{}"})", EnvelopeError::malformed_json, ""},
      {"duplicate msg in the frame", replace(good, "{\"v\":1,", "{\"v\":1,\"msg\":\"{}\","),
       EnvelopeError::malformed_json, "frame.msg: given twice"},
      // Depth.
      {"8,000 nested arrays", nested("[", "]", 8000, ""), EnvelopeError::too_deep, "frame"},
      {"10,000 unclosed arrays", std::string(10000, '['), EnvelopeError::too_deep, ""},
      {"deep unknown frame field", R"({"v":1,"x":)" + nested("[", "]", 8000, "") + R"(,"msg":"{}"})",
       EnvelopeError::too_deep, "frame.x"},
      {"deep custom data in the message",
       k1_frame(replace(kInvite, R"("media":"audio")", R"("media":"audio","custom":)" + deep_custom)),
       EnvelopeError::too_deep, "msg.body.custom.a.a"},
      {"5,000 nested arrays in the message", k1_frame(nested("[", "]", 5000, "")), EnvelopeError::too_deep, "msg"},
      // Frame fields.
      {"frame is an array", "[1,2]", EnvelopeError::wrong_type, "frame: must be a JSON object"},
      {"frame is a string", R"("v")", EnvelopeError::wrong_type, ""},
      {"version missing", R"({"msg":"{}"})", EnvelopeError::missing_field, "frame.v: missing"},
      {"version as string", R"({"v":"1","msg":"{}"})", EnvelopeError::wrong_type, "frame.v: must be an integer"},
      {"version as float", R"({"v":1.0,"msg":"{}"})", EnvelopeError::wrong_type, ""},
      {"future major version", replace(good, "{\"v\":1,", "{\"v\":2,"), EnvelopeError::unsupported_version,
       "frame.v: protocol major 2 is not supported"},
      {"future major with another layout", R"({"v":3,"payload":[1,2]})", EnvelopeError::unsupported_version, ""},
      {"version 0", R"({"v":0,"msg":"{}"})", EnvelopeError::unsupported_version, ""},
      {"huge version", R"({"v":18446744073709551615,"msg":"{}"})", EnvelopeError::unsupported_version, ""},
      {"msg missing", R"({"v":1})", EnvelopeError::missing_field, "frame.msg: missing"},
      {"msg as an object", R"({"v":1,"msg":{"id":"x"}})", EnvelopeError::wrong_type, "frame.msg: must be a string"},
      {"kid without sig", replace(unsigned_frame(kInvite), "{\"v\":1,", "{\"v\":1,\"kid\":\"k1\","),
       EnvelopeError::missing_field, "frame.sig: missing"},
      {"sig as a number", replace(good, "\"sig\":\"", "\"sig\":1,\"x\":\""), EnvelopeError::wrong_type,
       "frame.sig: must be a string"},
      {"empty sig", replace(good, "\"sig\":\"" + k1_sig + "\"", "\"sig\":\"\""), EnvelopeError::bad_value,
       "frame.sig: must not be empty"},
      {"kid with a space", replace(good, "\"kid\":\"k1\"", "\"kid\":\"k 1\""), EnvelopeError::bad_value,
       "frame.kid:"},
      {"U+0000 escape in the frame's msg", R"({"v":1,"msg":"{}\u0000"})", EnvelopeError::bad_value,
       "frame.msg: string must not contain U+0000"},
      // The message's JSON.
      {"msg is not JSON", k1_frame("not json"), EnvelopeError::malformed_json, "msg: "},
      {"msg with trailing garbage", k1_frame(kInvite + "]"), EnvelopeError::malformed_json, ""},
      {"msg is an array", k1_frame("[]"), EnvelopeError::wrong_type, "msg: must be a JSON object"},
      {"header field given twice", k1_frame(replace(kInvite, R"("to":"ios@@@bob")",
                                                          R"("to":"ios@@@bob","to":"ios@@@eve")")),
       EnvelopeError::malformed_json, "msg.to: given twice"},
      {"body field given twice", k1_frame(replace(kInvite, R"("media":"audio")", R"("media":"audio","media":"video")")),
       EnvelopeError::malformed_json, "msg.body.media: given twice"},
      {"rtc key given twice", k1_frame(replace(kInvite, R"({"token":"t"})", R"({"token":"t","token":"u"})")),
       EnvelopeError::malformed_json, "msg.body.rtc.token: given twice"},
      {"U+0000 escape in a body string", k1_frame(replace(kInvite, R"("caller":"alice")", R"("caller":"al\u0000ice")")),
       EnvelopeError::bad_value, "msg.body.caller: string must not contain U+0000"},
      {"string above max_string_bytes",
       k1_frame(replace(kInvite, R"("token":"t")", R"("token":")" + std::string(5000, 't') + "\"")),
       EnvelopeError::too_large, "msg.body.rtc.token: string longer than 4096 bytes"},
      // Header fields.
      {"id missing", k1_frame(replace(kInvite, std::string(R"("id":")") + kId + "\",", "")),
       EnvelopeError::missing_field, "msg.id: missing"},
      {"id as a number", k1_frame(replace(kInvite, std::string("\"") + kId + "\"", "7")), EnvelopeError::wrong_type,
       "msg.id: must be a string"},
      {"id in upper case", k1_frame(replace(kInvite, "aabbccddeeff", "AABBCCDDEEFF")), EnvelopeError::bad_value,
       "msg.id: must be 32 lowercase hex characters"},
      {"id too short", k1_frame(replace(kInvite, "eeff\"", "eef\"")), EnvelopeError::bad_value, "msg.id:"},
      {"type missing", k1_frame(replace(kInvite, R"("type":"invite",)", "")), EnvelopeError::missing_field,
       "msg.type: missing"},
      {"type as a number", k1_frame(replace(kInvite, R"("type":"invite")", R"("type":3)")),
       EnvelopeError::wrong_type, "msg.type:"},
      {"unknown type", k1_frame(replace(kInvite, R"("type":"invite")", R"("type":"teleport")")),
       EnvelopeError::unknown_type, "msg.type: \"teleport\" is not a message type"},
      {"from missing", k1_frame(replace(kInvite, R"("from":"svc",)", "")), EnvelopeError::missing_field,
       "msg.from: missing"},
      {"from empty", k1_frame(replace(kInvite, R"("from":"svc")", R"("from":"")")), EnvelopeError::bad_value,
       "msg.from:"},
      {"from with a control character", k1_frame(replace(kInvite, R"("from":"svc")", R"("from":"s\nvc")")),
       EnvelopeError::bad_value, "msg.from:"},
      {"from too long", k1_frame(replace(kInvite, R"("from":"svc")", R"("from":")" + std::string(65, 's') + "\"")),
       EnvelopeError::bad_value, "msg.from:"},
      {"to as a number", k1_frame(replace(kInvite, R"("to":"ios@@@bob")", R"("to":5)")),
       EnvelopeError::wrong_type, "msg.to: must be a string"},
      {"downlink type without to", k1_frame(replace(kInvite, R"("to":"ios@@@bob",)", "")),
       EnvelopeError::missing_field, "msg.to: required for invite"},
      {"ts missing", k1_frame(replace(kInvite, R"("ts":1714550400000,)", "")), EnvelopeError::missing_field,
       "msg.ts: missing"},
      {"ts as a string", k1_frame(replace(kInvite, "1714550400000", "\"1714550400000\"")),
       EnvelopeError::wrong_type, "msg.ts: must be an integer"},
      {"ts as a float", k1_frame(replace(kInvite, "1714550400000", "1714550400000.5")), EnvelopeError::wrong_type,
       ""},
      {"negative ts", k1_frame(replace(kInvite, "1714550400000", "-1")), EnvelopeError::bad_value, "msg.ts:"},
      {"ts above 2^53", k1_frame(replace(kInvite, "1714550400000", "9007199254740992")),
       EnvelopeError::bad_value, "msg.ts:"},
      {"ttl missing", k1_frame(replace(kInvite, R"("ttl":30000,)", "")), EnvelopeError::missing_field,
       "msg.ttl: missing"},
      {"zero ttl", k1_frame(replace(kInvite, "30000", "0")), EnvelopeError::bad_value,
       "msg.ttl: must be 1..3600000 ms"},
      {"negative ttl", k1_frame(replace(kInvite, "30000", "-30000")), EnvelopeError::bad_value,
       "msg.ttl: must be 1..3600000 ms"},
      {"ttl one above the maximum", k1_frame(replace(kInvite, "30000", "3600001")), EnvelopeError::bad_value,
       "msg.ttl: must be 1..3600000 ms"},
      {"huge ttl", k1_frame(replace(kInvite, "30000", "9223372036854775807")), EnvelopeError::bad_value,
       "msg.ttl:"},
      {"ttl beyond int64", k1_frame(replace(kInvite, "30000", "99999999999999999999")),
       EnvelopeError::wrong_type, "msg.ttl: must be an integer"},
      {"ttl as a string", k1_frame(replace(kInvite, "30000", "\"30s\"")), EnvelopeError::wrong_type, "msg.ttl:"},
      {"call missing on a call message", k1_frame(replace(kInvite, R"("call":"c1",)", "")),
       EnvelopeError::missing_field, "msg.call: required for invite"},
      {"call as an array", k1_frame(replace(kInvite, R"("call":"c1")", R"("call":["c1"])")),
       EnvelopeError::wrong_type, "msg.call:"},
      // Body schema.
      {"body as an array", k1_frame(replace(kInvite, R"("body":{)", R"("body":[1],"x":{)")),
       EnvelopeError::wrong_type, "msg.body: must be an object"},
      {"required body field missing", k1_frame(replace(kInvite, R"(,"rtc":{"token":"t"})", "")),
       EnvelopeError::missing_field, "msg.body.rtc: missing"},
      {"media not allowed", k1_frame(replace(kInvite, R"("media":"audio")", R"("media":"hologram")")),
       EnvelopeError::bad_value, "msg.body.media: must be one of audio|video"},
      {"callees not an array", k1_frame(replace(kInvite, R"(["bob"])", R"("bob")")), EnvelopeError::wrong_type,
       "msg.body.callees: must be an array of strings"},
      {"callee not a string", k1_frame(replace(kInvite, R"(["bob"])", R"(["bob",7])")),
       EnvelopeError::wrong_type, "msg.body.callees[1]: must be a string"},
      {"no callees", k1_frame(replace(kInvite, R"(["bob"])", "[]")), EnvelopeError::bad_value,
       "msg.body.callees: must hold 1..32 entries"},
      {"rtc value not a string", k1_frame(replace(kInvite, R"({"token":"t"})", R"({"token":1})")),
       EnvelopeError::wrong_type, "msg.body.rtc.token: must be a string"},
      // Signatures (keys are trusted) and recipient.
      {"unsigned", unsigned_frame(kInvite), EnvelopeError::unsigned_message, "frame: no kid/sig"},
      {"unsigned and malformed: refused as unsigned, never parsed for more", unsigned_frame("not json"),
       EnvelopeError::unsigned_message, "frame: no kid/sig"},
      {"unknown key id", with_signature(kInvite, "k9", k1_sig), EnvelopeError::unknown_key,
       "frame.kid: \"k9\" is not a trusted key"},
      {"untrusted key", signed_frame(kInvite, k2.value()), EnvelopeError::unknown_key, ""},
      {"signed by another key under a trusted id", replace(signed_frame(kInvite, k2.value()), "\"kid\":\"k2\"", "\"kid\":\"k1\""),
       EnvelopeError::bad_signature, "frame.sig: does not verify"},
      {"tampered: one byte of msg changed after signing", replace(good, "1714550400000", "1714550400001"),
       EnvelopeError::bad_signature, "frame.sig: does not verify"},
      {"signature of another message", with_signature(replace(kInvite, "c1", "c2"), "k1", k1_sig),
       EnvelopeError::bad_signature, ""},
      {"signature not base64", with_signature(kInvite, "k1", std::string(86, '!') + "=="), EnvelopeError::bad_signature,
       "frame.sig: must be base64"},
      {"signature truncated", with_signature(kInvite, "k1", k1_sig.substr(4)), EnvelopeError::bad_signature, ""},
      {"signature without padding", with_signature(kInvite, "k1", k1_sig.substr(0, 86)), EnvelopeError::bad_signature, ""},
      {"unsigned drain from someone else",
       unsigned_frame(std::string(R"({"id":")") + kId + R"(","type":"drain","from":"ios@@@eve","to":"ios@@@bob","ts":1,"ttl":1})"),
       EnvelopeError::unsigned_message, ""},
      {"authentic but for another device", signed_frame(replace(kInvite, R"("to":"ios@@@bob")", R"("to":"ios@@@carol")"), k1.value()),
       EnvelopeError::wrong_recipient, "msg.to: \"ios@@@carol\" is not this client"},
      {"authentic uplink message (no recipient)",
       signed_frame(std::string(R"({"id":")") + kId + R"(","type":"hangup","from":"ios@@@carol","ts":1,"ttl":1,"call":"c1"})",
                    k1.value()),
       EnvelopeError::wrong_recipient, "msg.to: (none)"},
  };

  DecodeOptions options;
  options.trusted_keys = &keys;
  options.expected_recipient = kMe;
  RejectCounters counters;
  options.counters = &counters;

  // The unmodified frame decodes: every row fails because of its own change.
  REQUIRE(decode(good, options).ok());
  REQUIRE(counters.total() == 0);

  for (const Row& row : rows) {
    CAPTURE(row.name);
    counters.reset();
    EnvelopeResult<Decoded> result = decode(row.payload, options);
    CAPTURE(result.status().message);
    CHECK(result.code() == row.expected);
    CHECK(counters.get(row.expected) == 1);
    CHECK(counters.total() == 1);
    CHECK(counters.forged() == (is_forgery(row.expected) ? 1u : 0u));
    if (!row.message_prefix.empty()) CHECK(result.status().message.rfind(row.message_prefix, 0) == 0);
  }
}

TEST_CASE("deep nesting stops at the depth limit, whatever the size limit", "[envelope]") {
  RejectCounters counters;
  DecodeOptions options;
  options.counters = &counters;
  // Under the default size limit, 10,000 nested arrays are refused for their size first.
  CHECK(decode(nested("[", "]", 10000, ""), options).code() == EnvelopeError::too_large);
  // With the size limit out of the way, the depth guard stops the reader at level 17: no deep
  // recursion, no stack overflow (ASan would report one), whatever the nesting.
  options.limits.max_bytes = 8 * 1024 * 1024;
  for (const int depth : {17, 10000, 1000000}) {
    CAPTURE(depth);
    CHECK(decode(nested("[", "]", depth, ""), options).code() == EnvelopeError::too_deep);
    CHECK(decode(nested(R"({"a":)", "}", depth, "1"), options).code() == EnvelopeError::too_deep);
    CHECK(decode(raw_frame(nested("[", "]", depth, "")), options).code() == EnvelopeError::too_deep);
  }
  CHECK(decode(nested("[", "]", 16, ""), options).code() == EnvelopeError::wrong_type);  // deep enough: not an object
  options.limits.max_depth = 1000;  // clamped to kMaxDepthCap
  CHECK(decode(nested("[", "]", 100, ""), options).code() == EnvelopeError::too_deep);
}

TEST_CASE("a client's own unsigned drain marker passes the signature rule", "[envelope]") {
  Result<Signer> k1 = Signer::generate("k1");
  REQUIRE(k1.ok());
  TrustedKeys keys;
  REQUIRE(keys.add_base64("k1", k1->public_key_base64()).ok());
  DecodeOptions options;
  options.trusted_keys = &keys;
  options.expected_recipient = kMe;
  const std::string drain = unsigned_frame(std::string(R"({"id":")") + kId +
                                           R"(","type":"drain","from":"ios@@@bob","to":"ios@@@bob","ts":1,"ttl":60000})");
  EnvelopeResult<Decoded> decoded = decode(drain, options);
  REQUIRE(decoded.ok());
  CHECK(decoded->message.type == MessageType::drain);
  CHECK_FALSE(decoded->verified);
  // Any other unsigned type from itself is still refused.
  const std::string keepalive =
      unsigned_frame(std::string(R"({"id":")") + kId +
                     R"(","type":"keepalive","from":"ios@@@bob","to":"ios@@@bob","ts":1,"ttl":1,"call":"c"})");
  CHECK(decode(keepalive, options).code() == EnvelopeError::unsigned_message);
}

TEST_CASE("without trusted keys signatures are not required, and the recipient check is optional", "[envelope]") {
  RejectCounters counters;
  DecodeOptions options;
  options.counters = &counters;
  CHECK(decode(unsigned_frame(kInvite), options).ok());
  // A signature from nobody is not checked either (development mode).
  CHECK(decode(replace(unsigned_frame(kInvite), "{\"v\":1,", "{\"v\":1,\"kid\":\"x\",\"sig\":\"y\","), options).ok());
  options.expected_recipient = "ios@@@carol";
  CHECK(decode(unsigned_frame(kInvite), options).code() == EnvelopeError::wrong_recipient);
  CHECK(counters.get(EnvelopeError::wrong_recipient) == 1);
  TrustedKeys empty;
  options.trusted_keys = &empty;
  options.expected_recipient = kMe;
  CHECK(decode(unsigned_frame(kInvite), options).ok());
}

TEST_CASE("reject counters are shared safely between threads", "[envelope]") {
  RejectCounters counters;
  DecodeOptions options;
  options.counters = &counters;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) (void)decode("{", options);
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(counters.get(EnvelopeError::malformed_json) == 2000);
  CHECK(counters.total() == 2000);
}
