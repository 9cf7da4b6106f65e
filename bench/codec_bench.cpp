// Envelope codec and Ed25519 figures, as a plain harness (scripts/bench.sh runs it).
//   callsignal_bench_codec [--quick]
// Measures, on a typical signed invite (ARTC join parameters, two callees, custom data):
//   - decode() without trusted keys: frame parse + message parse + schema validation, i.e. what a
//     received message costs apart from its signature check (target: >= 500 k/s);
//   - one Ed25519 verification, in microseconds;
//   - and, for context, decode() with the signature, encode + sign, and sign alone.
// Prints a table, then "RESULT codec.parse_per_s N" and "RESULT ed25519.verify_us N".
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include "core/envelope/decode.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/message_id.h"
#include "core/envelope/signing.h"

using namespace callsignal;

namespace {

// Keeps results observable so the compiler cannot drop the measured work.
volatile std::size_t g_sink = 0;

struct Rate {
  double per_second = 0;
  double micros = 0;
};

// This thread's CPU time in seconds. Rates are per core of CPU time, not wall time, so that other
// processes on a shared machine (builds, tests) do not count against the code measured here.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Best of `rounds` runs of about `seconds` CPU time each: the least disturbed run is the speed.
Rate measure(const std::function<std::size_t()>& op, double seconds, int rounds) {
  Rate best;
  for (int r = 0; r < rounds; ++r) {
    std::size_t n = 0;
    std::size_t sink = 0;
    const double start = thread_cpu_seconds();
    double now = start;
    do {
      for (int i = 0; i < 64; ++i) sink += op();
      n += 64;
      now = thread_cpu_seconds();
    } while (now - start < seconds);
    g_sink = g_sink + sink;
    const double elapsed = now - start;
    const double rate = static_cast<double>(n) / elapsed;
    if (rate > best.per_second) best = Rate{rate, 1e6 / rate};
  }
  return best;
}

Envelope typical_invite() {
  Envelope m;
  m.id = new_message_id().value();
  m.type = MessageType::invite;
  m.from = "callsignal-service";
  m.to = "android@@@8f14e45fceea167a5a36dedd4bea2543";
  m.ts_ms = 1714550400123;
  m.ttl_ms = 45000;
  m.call_id = "c-7c9e6679-7425";
  m.body.set_string("role", "callee")
      .set_string("caller", "user-10001")
      .set_string_list("callees", {"user-10002", "user-10003"})
      .set_string("media", "video")
      .set_string("vendor", "aliyun_artc")
      .set_string_map("rtc", {{"appid", "a1b2c3d4"},
                              {"channel", "c-7c9e6679-7425"},
                              {"userid", "user-10002"},
                              {"nonce", "AK-0f8e5d2a9b4c4e7f"},
                              {"timestamp", "1714636800"},
                              {"token", "6c1b2f7e0f9d4a3b8e5c7d9f1a2b3c4d"},
                              {"gslb", "[\"https://rgslb.rtc.aliyuncs.com\"]"}})
      .set_string("request_id", new_message_id().value());
  (void)m.body.set_json("custom", R"({"title":"Weekly sync","caller_name":"Alice"})");
  return m;
}

void row(const char* what, const Rate& rate) {
  std::printf("| %-44s | %12.0f /s | %9.2f us |\n", what, rate.per_second, rate.micros);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      std::fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
      return 2;
    }
  }
  const double seconds = quick ? 0.2 : 1.0;
  const int rounds = quick ? 3 : 5;

  Result<Signer> signer = Signer::generate("svc-2024");
  if (!signer.ok()) {
    std::fprintf(stderr, "key generation failed: %s\n", signer.status().message.c_str());
    return 1;
  }
  TrustedKeys keys;
  if (!keys.add_base64("svc-2024", signer->public_key_base64()).ok()) return 1;

  const Envelope invite = typical_invite();
  const EnvelopeResult<std::string> msg = encode_message(invite);
  if (!msg.ok()) {
    std::fprintf(stderr, "encode failed: %s\n", msg.status().message.c_str());
    return 1;
  }
  const EnvelopeResult<std::string> frame = signer->sign_frame(msg.value());
  Result<std::string> signed_text = signer->sign(msg.value());
  if (!frame.ok() || !signed_text.ok()) return 1;
  const std::string sig = signed_text.value();

  DecodeOptions unchecked;
  unchecked.expected_recipient = invite.to;
  DecodeOptions checked = unchecked;
  checked.trusted_keys = &keys;
  for (const DecodeOptions* options : {&unchecked, &checked}) {
    const EnvelopeResult<Decoded> sample = decode(frame.value(), *options);
    if (!sample.ok()) {
      std::fprintf(stderr, "the sample does not decode: %s\n", sample.status().message.c_str());
      return 1;
    }
  }

  const Rate parse = measure(
      [&] {
        EnvelopeResult<Decoded> d = decode(frame.value(), unchecked);
        return static_cast<std::size_t>(d->message.ts_ms);
      },
      seconds, rounds);
  const Rate verify = measure(
      [&] { return static_cast<std::size_t>(keys.verify("svc-2024", sig, msg.value()).ok()); }, seconds,
      rounds);
  const Rate full = measure(
      [&] { return static_cast<std::size_t>(decode(frame.value(), checked).ok()); }, seconds, rounds);
  const Rate encode = measure(
      [&] { return encode_message(invite)->size(); }, seconds, rounds);
  const Rate sign = measure([&] { return signer->sign(msg.value())->size(); }, seconds, rounds);

  std::printf("typical signed invite: frame %zu bytes, message %zu bytes; rates per core (thread CPU time), "
              "best of %d runs\n\n",
              frame->size(), msg->size(), rounds);
  std::printf("| %-44s | %15s | %12s |\n", "operation", "rate", "per op");
  std::printf("| %-44s | %15s | %12s |\n", "---", "---", "---");
  row("decode: parse + validate (no signature)", parse);
  row("Ed25519 verify", verify);
  row("decode: parse + validate + verify", full);
  row("encode_message (writes, then re-parses)", encode);
  row("Ed25519 sign", sign);
  std::printf("\nRESULT codec.parse_per_s %.0f\n", parse.per_second);
  std::printf("RESULT ed25519.verify_us %.2f\n", verify.micros);
  return 0;
}
