#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>

#include "core/filter/clock_offset.h"

using namespace callsignal;

namespace {

// One hello/hello_ack exchange: the service's clock is local + offset; the request takes `up` ms,
// the answer `down` ms. Returns what add_sample returned.
bool exchange(ClockOffset& clock, std::int64_t local_send, std::int64_t offset, std::int64_t up,
              std::int64_t down) {
  const std::int64_t server = local_send + up + offset;
  return clock.add_sample(local_send, server, local_send + up + down);
}

}  // namespace

TEST_CASE("clock offset: nothing is claimed without a sample", "[filter]") {
  ClockOffset clock;
  CHECK_FALSE(clock.has_estimate());
  CHECK(clock.offset_ms() == 0);
  CHECK(clock.uncertainty_ms() == 0);
  CHECK(clock.service_now(12'345) == 12'345);
}

TEST_CASE("clock offset: symmetric delays give the exact offset", "[filter]") {
  for (const std::int64_t offset : {0LL, 1LL, -1LL, 250LL, -86'400'000LL, 3'600'123LL}) {
    for (const std::int64_t delay : {0LL, 1LL, 20LL, 400LL}) {
      INFO("offset " << offset << " delay " << delay);
      ClockOffset clock;
      REQUIRE(exchange(clock, 1'700'000'000'000, offset, delay, delay));
      CHECK(clock.has_estimate());
      CHECK(clock.offset_ms() == offset);
      CHECK(clock.rtt_ms() == 2 * delay);
      CHECK(clock.uncertainty_ms() == delay + 1);
      CHECK(clock.service_now(1'700'000'100'000) == 1'700'000'100'000 + offset);
    }
  }
}

TEST_CASE("clock offset: asymmetric delays stay within the stated bound", "[filter]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const auto offset = static_cast<std::int64_t>(rng() % 200'000) - 100'000;
    const auto up = static_cast<std::int64_t>(rng() % 3'000);
    const auto down = static_cast<std::int64_t>(rng() % 3'000);
    ClockOffset clock;
    REQUIRE(exchange(clock, 1'000'000 + static_cast<std::int64_t>(rng() % 1000), offset, up, down));
    INFO("offset " << offset << " up " << up << " down " << down);
    CHECK(std::llabs(clock.offset_ms() - offset) <= clock.uncertainty_ms());
    CHECK(clock.uncertainty_ms() <= (up + down + 1) / 2 + 1);
  }
}

TEST_CASE("clock offset: the lowest round trip in the window is used", "[filter]") {
  ClockOffset clock;
  REQUIRE(exchange(clock, 1'000, 500, 300, 100));  // rtt 400: error 100
  CHECK(clock.offset_ms() == 600);
  REQUIRE(exchange(clock, 2'000, 500, 10, 12));  // rtt 22: error 1
  CHECK(clock.offset_ms() == 499);
  CHECK(clock.rtt_ms() == 22);
  REQUIRE(exchange(clock, 3'000, 500, 900, 50));  // worse: not used
  CHECK(clock.offset_ms() == 499);
  CHECK(clock.uncertainty_ms() == 12);
}

TEST_CASE("clock offset: outlier round trips are rejected", "[filter]") {
  ClockOffsetOptions options;
  options.max_rtt_ms = 2'000;
  ClockOffset clock(options);
  CHECK_FALSE(exchange(clock, 1'000, 500, 1'500, 501));  // rtt 2001
  CHECK_FALSE(clock.has_estimate());
  CHECK(exchange(clock, 1'000, 500, 1'000, 1'000));  // rtt 2000: the bound itself is fine
  CHECK(clock.offset_ms() == 500);
  CHECK_FALSE(exchange(clock, 5'000, 9'999, 60'000, 0));
  CHECK(clock.offset_ms() == 500);
  // Receive before send: the local clock stepped back.
  CHECK_FALSE(clock.add_sample(10'000, 10'500, 9'999));
  // Absurd stamps from a corrupt peer.
  CHECK_FALSE(clock.add_sample(0, std::numeric_limits<std::int64_t>::max(), 10));
  CHECK_FALSE(clock.add_sample(std::numeric_limits<std::int64_t>::min(), 0, 0));
  CHECK(clock.offset_ms() == 500);
}

TEST_CASE("clock offset: the window is bounded by count and by age", "[filter]") {
  ClockOffsetOptions options;
  options.window = 3;
  options.max_age_ms = 60'000;
  ClockOffset clock(options);
  REQUIRE(exchange(clock, 0, 100, 1, 1));  // the best sample, rtt 2
  CHECK(clock.offset_ms() == 100);
  REQUIRE(exchange(clock, 1'000, 200, 50, 50));
  REQUIRE(exchange(clock, 2'000, 200, 50, 50));
  CHECK(clock.offset_ms() == 100);  // still in the window of 3
  REQUIRE(exchange(clock, 3'000, 200, 60, 60));
  CHECK(clock.offset_ms() == 200);  // pushed out by count
  CHECK(clock.rtt_ms() == 100);

  REQUIRE(exchange(clock, 4'000, 300, 2, 2));
  CHECK(clock.offset_ms() == 300);
  REQUIRE(exchange(clock, 4'000 + 61'000, 400, 100, 100));  // the good one is now too old
  CHECK(clock.offset_ms() == 400);
  CHECK(clock.rtt_ms() == 200);

  clock.reset();
  CHECK_FALSE(clock.has_estimate());
  CHECK(clock.service_now(5) == 5);
}

TEST_CASE("clock offset: service_now saturates", "[filter]") {
  ClockOffset clock;
  REQUIRE(exchange(clock, 0, 1'000'000, 0, 0));
  CHECK(clock.service_now(std::numeric_limits<std::int64_t>::max() - 5) == std::numeric_limits<std::int64_t>::max());
}
