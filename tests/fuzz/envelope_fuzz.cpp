// libFuzzer target for the envelope codec: scripts/fuzz.sh envelope SECONDS.
// Feeds every input to decode() twice, without and with a trusted key (so both the
// parse-everything path and the verify-first path run), and to the frame and body parsers.
// Beyond "no crash, no leak, no UB", it checks properties:
//  - whatever decodes re-encodes, and the re-encoding decodes to an equal message;
//  - a refusal names a reason, and the counters count exactly one per refusal.
// The trusted key is RFC 8032's test key 1, so seeds in tests/fuzz/corpus/envelope/ can carry
// valid signatures (the seeds' "kid" is "fuzz").
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/envelope/body.h"
#include "core/envelope/decode.h"
#include "core/envelope/frame.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/signing.h"

namespace {

using namespace callsignal;

// RapidJSON 1.1.0's default number parser may land one ulp away from the value a long decimal
// denotes (1.5555503222222223e23 came back as ...227e23), and its full-precision parser has
// undefined behaviour on long zero fractions: a double in app data may move by an ulp on a round
// trip. Everything else must come back exactly.
bool same_json(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.IsDouble() || b.IsDouble()) {
    if (!a.IsNumber() || !b.IsNumber()) return false;
    const double x = a.GetDouble(), y = b.GetDouble();
    return x == y || std::fabs(x - y) <= 1e-15 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.GetType() != b.GetType()) return false;
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!same_json(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) return false;
    for (auto m = a.MemberBegin(), n = b.MemberBegin(); m != a.MemberEnd(); ++m, ++n) {
      if (m->name != n->name || !same_json(m->value, n->value)) return false;
    }
    return true;
  }
  return a == b;
}

bool same_message(const Envelope& a, const Envelope& b) {
  return a.id == b.id && a.type == b.type && a.from == b.from && a.to == b.to && a.ts_ms == b.ts_ms &&
         a.ttl_ms == b.ttl_ms && a.call_id == b.call_id && same_json(a.body.json(), b.body.json());
}

constexpr const char* kPrivateKeyPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";

struct Fixture {
  Fixture() {
    Result<Signer> s = Signer::from_pem(kPrivateKeyPem, "fuzz");
    if (!s.ok() || !keys.add_base64("fuzz", s->public_key_base64()).ok()) std::abort();
    signer = s.value();
    plain.counters = &counters;
    signed_only.trusted_keys = &keys;
    signed_only.expected_recipient = "ios@@@bob";
    signed_only.counters = &counters;
  }
  Signer signer;
  TrustedKeys keys;
  RejectCounters counters;
  DecodeOptions plain;
  DecodeOptions signed_only;
};

void check(bool condition) {
  if (!condition) std::abort();
}

void decode_and_check(std::string_view payload, const DecodeOptions& options, RejectCounters& counters) {
  const std::uint64_t before = counters.total();
  EnvelopeResult<Decoded> decoded = decode(payload, options);
  if (!decoded.ok()) {
    check(decoded.code() != EnvelopeError::ok);
    check(!decoded.status().message.empty());
    check(counters.total() == before + 1);
    return;
  }
  check(counters.total() == before);
  // Round trip: the message re-encodes, and decodes (unsigned, no recipient check) to itself.
  EnvelopeResult<std::string> text = encode_message(decoded->message, options.limits);
  if (!text.ok()) {
    // Only size can fail: escaping may grow the frame past the limit.
    check(text.code() == EnvelopeError::too_large);
    return;
  }
  EnvelopeResult<std::string> frame = encode_frame(text.value(), std::nullopt, options.limits);
  if (!frame.ok()) {
    check(frame.code() == EnvelopeError::too_large);
    return;
  }
  DecodeOptions again;
  again.limits = options.limits;
  EnvelopeResult<Decoded> redecoded = decode(frame.value(), again);
  check(redecoded.ok());
  check(same_message(redecoded->message, decoded->message));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fixture;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);

  decode_and_check(payload, fixture.plain, fixture.counters);
  decode_and_check(payload, fixture.signed_only, fixture.counters);

  (void)parse_frame(payload);
  EnvelopeResult<Body> body = Body::parse(payload);
  if (body.ok()) {
    const Body copy = body.value();
    check(copy == body.value());
    (void)copy.get_string_map("rtc");
    (void)copy.get_string_list("callees");
  }
  return 0;
}
