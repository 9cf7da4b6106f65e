// Expiry of received messages. Every message carries its sender's timestamp ts_ms (Unix ms on the
// control service's clock) and a lifetime ttl_ms. The receiver judges it against its estimate of the
// service's clock (ClockOffset::service_now), allowing skew_tolerance_ms for the error of that
// estimate and of the sender's clock:
//
//   from_future   ts_ms > service_now_ms + max_future_ms
//   expired       service_now_ms > ts_ms + ttl_ms + skew_tolerance_ms   (or ttl_ms < 0)
//   fresh         otherwise
//
// from_future is checked first: a message stamped far ahead would otherwise stay "fresh", and its id
// would have to be remembered, for as long as its stamp is ahead. Both bounds are inclusive of the
// edge: at exactly ts + ttl + skew a message is still fresh, and expires_at_ms() returns that
// instant, which is what SeenSet and InboxLedger remember the id until (an id is pruned only once
// no copy of its message could still be fresh, so a late duplicate is always caught by one of the
// two checks). All arithmetic saturates: no input overflows.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

namespace callsignal {

enum class Timeliness {
  fresh,
  expired,
  from_future,
};

// Static, never-null name: "fresh", "expired", "from_future".
const char* timeliness_name(Timeliness t) noexcept;

Timeliness check_timeliness(std::int64_t ts_ms, std::int64_t ttl_ms, std::int64_t service_now_ms,
                            std::int64_t skew_tolerance_ms, std::int64_t max_future_ms) noexcept;

// ts_ms + ttl_ms + skew_tolerance_ms, saturated to INT64_MIN..INT64_MAX; a negative ttl counts as 0.
std::int64_t expires_at_ms(std::int64_t ts_ms, std::int64_t ttl_ms, std::int64_t skew_tolerance_ms) noexcept;

// The configurable policy. Negative values in it count as 0.
struct ExpiryPolicy {
  // Disagreement tolerated between the sender's clock and our estimate of the service's clock
  // (add ClockOffset::uncertainty_ms() when that is larger).
  std::int64_t skew_tolerance_ms = 5'000;
  // How far ahead of our estimate of the service's clock a timestamp may be.
  std::int64_t max_future_ms = 30'000;

  Timeliness check(std::int64_t ts_ms, std::int64_t ttl_ms, std::int64_t service_now_ms) const noexcept;
  std::int64_t expires_at(std::int64_t ts_ms, std::int64_t ttl_ms) const noexcept;
};

}  // namespace callsignal
