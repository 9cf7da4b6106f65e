// The client's inbound filter: every refusal is counted by reason and changes no state; a
// genuine, timely message is admitted once, whether it comes by MQTT or by OS push.
#include <catch2/catch.hpp>

#include "core/envelope/message_codec.h"
#include "core/filter/message_filter.h"
#include "support/frames.h"
#include "support/temp_dir.h"

using namespace callsignal;
using namespace callsignal::test;

namespace {

constexpr const char* kMe = "ios@@@bob-phone";

struct Fixture {
  Signer signer = Signer::generate("svc-1").value();
  TempDir dir;
  std::vector<std::string> recorded;
  std::unique_ptr<MessageFilter> filter;

  explicit Fixture(bool with_keys = true) { reopen(with_keys); }

  void reopen(bool with_keys = true) {
    filter.reset();
    FilterConfig config;
    config.data_dir = dir.path();
    config.client_id = kMe;
    if (with_keys) REQUIRE(config.trusted_keys.add_base64("svc-1", signer.public_key_base64()).ok());
    config.on_recorded = [this](const Envelope& m) { recorded.push_back(m.id); };
    filter = MessageFilter::open(std::move(config)).value();
  }

  Admission offer(const std::string& payload) {
    InboundMessage message{"dl/p2p/ios@@@bob-phone", payload, false, false, {}};
    return filter->admit(message);
  }
};

}  // namespace

TEST_CASE("filter: a genuine invite is admitted once, with its decoded message attached", "[filter][message_filter]") {
  Fixture f;
  const Envelope invite = downlink(MessageType::invite, kMe);
  InboundMessage message{"t", frame_of(invite, &f.signer), false, false, {}};
  REQUIRE(f.filter->admit(message) == Admission::deliver);
  REQUIRE(decoded_of(message) != nullptr);
  CHECK(decoded_of(message)->message.id == invite.id);
  CHECK(decoded_of(message)->verified);
  CHECK(f.offer(frame_of(invite, &f.signer)) == Admission::drop);
  CHECK(f.filter->stats().admitted == 1);
  CHECK(f.filter->stats().duplicates == 1);
  // Recorded twice: the copy means the service has not seen our ack yet.
  CHECK(f.recorded == std::vector<std::string>{invite.id, invite.id});
}

TEST_CASE("filter: bad input is refused, counted by reason, and changes no state", "[filter][message_filter]") {
  Fixture f;
  Signer stranger = Signer::generate("svc-1").value();  // same key id, another key
  const Envelope good = downlink(MessageType::invite, kMe);
  std::string tampered = frame_of(good, &f.signer);
  tampered[tampered.find("alice")] = 'A';
  struct Row {
    const char* name;
    std::string payload;
    std::uint64_t FilterStats::*counter;
    EnvelopeError reason;
  };
  const Row rows[] = {
      {"malformed JSON", "{\"v\":1,", &FilterStats::invalid, EnvelopeError::malformed_json},
      {"invalid UTF-8", std::string("{\"v\":1,\"msg\":\"\xC0\xAF\"}"), &FilterStats::invalid, EnvelopeError::invalid_utf8},
      {"oversize", std::string(20'000, ' '), &FilterStats::invalid, EnvelopeError::too_large},
      {"unsigned", frame_of(good, nullptr), &FilterStats::forged, EnvelopeError::unsigned_message},
      {"forged signature", frame_of(good, &stranger), &FilterStats::forged, EnvelopeError::bad_signature},
      {"tampered bytes", tampered, &FilterStats::forged, EnvelopeError::bad_signature},
      {"wrong recipient", frame_of(downlink(MessageType::invite, "ios@@@eve-phone"), &f.signer),
       &FilterStats::wrong_recipient, EnvelopeError::wrong_recipient},
      {"expired", frame_of(downlink(MessageType::invite, kMe, "c-1", 1'000, now_ms() - 60'000), &f.signer),
       &FilterStats::expired, EnvelopeError::ok},
      {"from the future", frame_of(downlink(MessageType::invite, kMe, "c-1", 30'000, now_ms() + 3'600'000), &f.signer),
       &FilterStats::from_future, EnvelopeError::ok},
  };
  for (const Row& row : rows) {
    SECTION(row.name) {
      const FilterStats before = f.filter->stats();
      const std::uint64_t reason_before = f.filter->reject_counters().get(row.reason);
      CHECK(f.offer(row.payload) == Admission::drop);
      CHECK(f.filter->stats().*row.counter == before.*row.counter + 1);
      if (row.reason != EnvelopeError::ok) CHECK(f.filter->reject_counters().get(row.reason) == reason_before + 1);
      CHECK(f.filter->stats().admitted == 0);
      CHECK(f.filter->undelivered().empty());
      CHECK(f.recorded.empty());
    }
  }
}

TEST_CASE("filter: the same invite by push and by MQTT is admitted once", "[filter][message_filter]") {
  Fixture f;
  const Envelope invite = downlink(MessageType::invite, kMe);
  const std::string frame = frame_of(invite, &f.signer);
  auto pushed = f.filter->admit_push(frame);
  REQUIRE(pushed.ok());
  REQUIRE(pushed.value().has_value());
  CHECK(pushed.value()->id == invite.id);
  CHECK(f.offer(frame) == Admission::drop);
  auto again = f.filter->admit_push(frame);
  REQUIRE(again.ok());
  CHECK_FALSE(again.value().has_value());
  CHECK(f.filter->stats().duplicates == 2);
}

TEST_CASE("filter: undelivered messages survive a restart and are replayed once", "[filter][message_filter]") {
  Fixture f;
  const Envelope first = downlink(MessageType::invite, kMe, "c-1");
  const Envelope second = downlink(MessageType::invite, kMe, "c-2");
  REQUIRE(f.offer(frame_of(first, &f.signer)) == Admission::deliver);
  REQUIRE(f.offer(frame_of(second, &f.signer)) == Admission::deliver);
  REQUIRE(f.filter->mark_delivered(first.id).ok());

  f.reopen();  // as after a kill
  const auto replay = f.filter->undelivered();
  REQUIRE(replay.size() == 1);
  CHECK(replay[0].message.id == second.id);
  CHECK(f.filter->stats().replayed == 1);
  // Both ids are still remembered: neither is admitted again.
  CHECK(f.offer(frame_of(first, &f.signer)) == Admission::drop);
  CHECK(f.offer(frame_of(second, &f.signer)) == Admission::drop);
  REQUIRE(f.filter->mark_delivered(second.id).ok());
  f.reopen();
  CHECK(f.filter->undelivered().empty());
}

TEST_CASE("filter: without trusted keys, unsigned messages pass (development mode)", "[filter][message_filter]") {
  Fixture f(false);
  CHECK(f.offer(frame_of(downlink(MessageType::invite, kMe), nullptr)) == Admission::deliver);
}

TEST_CASE("filter: the service clock estimate decides expiry", "[filter][message_filter]") {
  Fixture f;
  // The service's clock runs 10 minutes ahead of ours: its fresh message looks far in our future.
  const std::int64_t ahead = 10 * 60'000;
  const Envelope invite = downlink(MessageType::invite, kMe, "c-1", 30'000, now_ms() + ahead);
  const std::int64_t t0 = now_ms();
  REQUIRE(f.filter->add_clock_sample(t0, t0 + ahead + 5, t0 + 10));
  CHECK(f.offer(frame_of(invite, &f.signer)) == Admission::deliver);
}

TEST_CASE("filter: a service clock behind ours is learned too", "[filter][message_filter]") {
  Fixture f;
  // Our clock runs 10 minutes ahead of the service's: its fresh message looks long expired.
  const std::int64_t behind = 10 * 60'000;
  const Envelope invite = downlink(MessageType::invite, kMe, "c-1", 30'000, now_ms() - behind);
  const std::int64_t t0 = now_ms();
  REQUIRE(f.filter->add_clock_sample(t0, t0 - behind + 5, t0 + 10));
  CHECK(f.filter->service_now() < now_ms() - behind + 60'000);
  CHECK(f.offer(frame_of(invite, &f.signer)) == Admission::deliver);
}

TEST_CASE("filter: signed stamps raise the service clock estimate, within the future bound", "[filter][message_filter]") {
  Fixture f;
  const std::int64_t before = f.filter->service_now();
  // A fresh message stamped 20 s ahead (within the 30 s future bound): the service clock is ahead.
  const Envelope ahead = downlink(MessageType::invite, kMe, "c-1", 30'000, now_ms() + 20'000);
  REQUIRE(f.offer(frame_of(ahead, &f.signer)) == Admission::deliver);
  CHECK(f.filter->service_now() >= before + 19'000);
  // An unsigned-but-accepted world (no keys) would not move it: only verified stamps count.
  Fixture open(false);
  const std::int64_t open_before = open.filter->service_now();
  REQUIRE(open.offer(frame_of(downlink(MessageType::invite, kMe, "c-2", 30'000, now_ms() + 20'000), nullptr)) ==
          Admission::deliver);
  CHECK(open.filter->service_now() < open_before + 5'000);
}

TEST_CASE("filter: a hello_ack passes whatever the device clock, so a device hours off can sync",
          "[filter][message_filter]") {
  Fixture f;
  // The device clock is an hour behind: the service's fresh stamps look an hour in the future.
  const std::int64_t ahead = 3'600'000;
  Envelope ack = downlink(MessageType::hello_ack, kMe, "", 30'000, now_ms() + ahead);
  ack.body.set_string("hello_id", "0123456789abcdef0123456789abcdef").set_int("hello_ts", now_ms());
  const Envelope invite = downlink(MessageType::invite, kMe, "c-1", 30'000, now_ms() + ahead);
  CHECK(f.offer(frame_of(invite, &f.signer)) == Admission::drop);  // from the future, before sync
  CHECK(f.filter->stats().from_future == 1);
  CHECK(f.offer(frame_of(ack, &f.signer)) == Admission::deliver);
  // Its stamp alone does not move the estimate (the client's clock sample does).
  CHECK(f.filter->service_now() < now_ms() + 60'000);
  // A forged ack is still refused: only the timeliness check is waived.
  Signer stranger = Signer::generate("svc-1").value();
  ack.id = "fedcba9876543210fedcba9876543210";
  CHECK(f.offer(frame_of(ack, &stranger)) == Admission::drop);
  CHECK(f.filter->stats().forged == 1);
}
