#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "core/filter/timeliness.h"

using namespace callsignal;

namespace {
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
}  // namespace

TEST_CASE("timeliness: the table", "[filter]") {
  struct Row {
    const char* what;
    std::int64_t ts, ttl, now, skew, max_future;
    Timeliness expected;
  };
  const std::int64_t t = 1'700'000'000'000;  // a realistic Unix ms
  const Row rows[] = {
      {"just sent", t, 30'000, t, 5'000, 30'000, Timeliness::fresh},
      {"mid-lifetime", t, 30'000, t + 20'000, 5'000, 30'000, Timeliness::fresh},
      {"at the end of the lifetime", t, 30'000, t + 30'000, 5'000, 30'000, Timeliness::fresh},
      {"past the lifetime, within skew", t, 30'000, t + 34'999, 5'000, 30'000, Timeliness::fresh},
      {"exactly at lifetime + skew", t, 30'000, t + 35'000, 5'000, 30'000, Timeliness::fresh},
      {"one ms past lifetime + skew", t, 30'000, t + 35'001, 5'000, 30'000, Timeliness::expired},
      {"yesterday's invite", t - 86'400'000, 30'000, t, 5'000, 30'000, Timeliness::expired},
      {"no skew tolerance", t, 30'000, t + 30'001, 0, 30'000, Timeliness::expired},
      {"zero lifetime, now", t, 0, t, 0, 0, Timeliness::fresh},
      {"negative lifetime", t, -1, t, 5'000, 30'000, Timeliness::expired},
      {"slightly ahead (sender's clock fast)", t + 3'000, 30'000, t, 5'000, 30'000, Timeliness::fresh},
      {"ahead by exactly max_future", t + 30'000, 30'000, t, 5'000, 30'000, Timeliness::fresh},
      {"ahead by more than max_future", t + 30'001, 30'000, t, 5'000, 30'000, Timeliness::from_future},
      {"far future", t + 86'400'000, 30'000, t, 5'000, 30'000, Timeliness::from_future},
      {"far future with a negative lifetime", t + 86'400'000, -1, t, 5'000, 30'000, Timeliness::from_future},
      {"negative skew counts as zero", t, 30'000, t + 30'001, -5'000, 30'000, Timeliness::expired},
      {"huge lifetime saturates", t, kMax, t + 1'000, 5'000, 30'000, Timeliness::fresh},
      {"huge timestamp saturates", kMax, kMax, kMax, kMax, kMax, Timeliness::fresh},
      {"lowest timestamp", kMin, 30'000, t, 5'000, 30'000, Timeliness::expired},
      {"huge max_future saturates", kMax, 0, t, 0, kMax, Timeliness::fresh},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    CHECK(timeliness_name(check_timeliness(row.ts, row.ttl, row.now, row.skew, row.max_future)) ==
          std::string(timeliness_name(row.expected)));
  }
}

TEST_CASE("timeliness: expires_at is ts + ttl + skew, saturated", "[filter]") {
  CHECK(expires_at_ms(1000, 30'000, 5'000) == 36'000);
  CHECK(expires_at_ms(1000, -7, 5'000) == 6'000);
  CHECK(expires_at_ms(1000, 30'000, -5) == 31'000);
  CHECK(expires_at_ms(kMax - 10, 30'000, 5'000) == kMax);
  CHECK(expires_at_ms(kMin, 0, 0) == kMin);
  // The edge agrees with check_timeliness: fresh at expires_at, expired one ms later.
  const std::int64_t edge = expires_at_ms(1000, 30'000, 5'000);
  CHECK(check_timeliness(1000, 30'000, edge, 5'000, 0) == Timeliness::fresh);
  CHECK(check_timeliness(1000, 30'000, edge + 1, 5'000, 0) == Timeliness::expired);
}

TEST_CASE("timeliness: the policy applies its configured tolerances", "[filter]") {
  ExpiryPolicy policy;
  policy.skew_tolerance_ms = 2'000;
  policy.max_future_ms = 10'000;
  CHECK(policy.expires_at(0, 1'000) == 3'000);
  CHECK(policy.check(0, 1'000, 3'000) == Timeliness::fresh);
  CHECK(policy.check(0, 1'000, 3'001) == Timeliness::expired);
  CHECK(policy.check(10'001, 1'000, 0) == Timeliness::from_future);
  CHECK(policy.check(10'000, 1'000, 0) == Timeliness::fresh);
  CHECK(std::string(timeliness_name(Timeliness::from_future)) == "from_future");
}
