#include <catch2/catch.hpp>

#include <limits>
#include <vector>

#include "core/session/backoff.h"

using namespace callsignal;
using namespace std::chrono_literals;

namespace {

BackoffConfig config(std::chrono::milliseconds initial, std::chrono::milliseconds max, double multiplier,
                     double jitter) {
  BackoffConfig c;
  c.initial = initial;
  c.max = max;
  c.multiplier = multiplier;
  c.jitter = jitter;
  return c;
}

}  // namespace

TEST_CASE("backoff grows exponentially up to the cap", "[backoff]") {
  Backoff backoff(config(100ms, 1000ms, 2.0, 0.0), 1);
  const std::vector<std::chrono::milliseconds> expected = {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms, 1000ms};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(backoff.failures() == i);
    CHECK(backoff.next_delay() == expected[i]);
  }
  CHECK(backoff.failures() == expected.size());
}

TEST_CASE("backoff with a fractional multiplier", "[backoff]") {
  Backoff backoff(config(1000ms, 10'000ms, 1.5, 0.0), 1);
  CHECK(backoff.next_delay() == 1000ms);
  CHECK(backoff.next_delay() == 1500ms);
  CHECK(backoff.next_delay() == 2250ms);
  CHECK(backoff.next_delay() == 3375ms);
}

TEST_CASE("backoff reset starts again from initial", "[backoff]") {
  Backoff backoff(config(100ms, 60'000ms, 2.0, 0.0), 7);
  for (int i = 0; i < 5; ++i) backoff.next_delay();
  CHECK(backoff.failures() == 5);
  backoff.reset();
  CHECK(backoff.failures() == 0);
  CHECK(backoff.next_delay() == 100ms);
  CHECK(backoff.next_delay() == 200ms);
}

TEST_CASE("backoff jitter stays within bounds and the cap", "[backoff]") {
  const double jitter = 0.2;
  Backoff backoff(config(500ms, 60'000ms, 2.0, jitter), 42);
  double seen_low = 2.0;
  double seen_high = 0.0;
  for (int round = 0; round < 200; ++round) {
    double base = 500;
    for (int i = 0; i < 12; ++i) {
      const auto delay = backoff.next_delay();
      const double expected = base < 60'000 ? base : 60'000;
      INFO("round " << round << " attempt " << i << " delay " << delay.count());
      CHECK(delay.count() >= static_cast<long long>(expected * (1 - jitter)) - 1);
      CHECK(delay.count() <= static_cast<long long>(expected * (1 + jitter)) + 1);
      CHECK(delay <= 60'000ms);
      const double factor = static_cast<double>(delay.count()) / expected;
      if (expected < 60'000) {
        seen_low = factor < seen_low ? factor : seen_low;
        seen_high = factor > seen_high ? factor : seen_high;
      }
      base *= 2;
    }
    backoff.reset();
  }
  // The jitter is actually used across its range, not stuck at one end.
  CHECK(seen_low < 0.85);
  CHECK(seen_high > 1.15);
}

TEST_CASE("backoff jitter is reproducible with a fixed seed", "[backoff]") {
  const BackoffConfig c = config(500ms, 60'000ms, 2.0, 0.5);
  Backoff a(c, 1234);
  Backoff b(c, 1234);
  Backoff other(c, 4321);
  bool differs = false;
  for (int i = 0; i < 20; ++i) {
    const auto da = a.next_delay();
    CHECK(da == b.next_delay());
    differs = differs || da != other.next_delay();
  }
  CHECK(differs);
}

TEST_CASE("backoff never overflows after many failures", "[backoff]") {
  Backoff backoff(config(1ms, 3'600'000ms, 10.0, 1.0), 9);
  for (int i = 0; i < 5000; ++i) {
    const auto delay = backoff.next_delay();
    REQUIRE(delay >= 0ms);
    REQUIRE(delay <= 3'600'000ms);
  }
  CHECK(backoff.failures() == 5000);
}

TEST_CASE("backoff tolerates an unvalidated config", "[backoff]") {
  // The session validates first; the class still must not produce garbage.
  Backoff backoff(config(-5ms, -10ms, 0.1, 7.0), 3);
  for (int i = 0; i < 10; ++i) {
    const auto delay = backoff.next_delay();
    CHECK(delay == 0ms);
  }
  Backoff nan_multiplier(config(100ms, 1000ms, std::numeric_limits<double>::quiet_NaN(), 0.0), 3);
  CHECK(nan_multiplier.next_delay() == 100ms);
  CHECK(nan_multiplier.next_delay() == 100ms);
}
