#include "core/filter/timeliness.h"

#include <algorithm>
#include <limits>

namespace callsignal {
namespace {

std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
}

std::int64_t non_negative(std::int64_t v) noexcept { return std::max<std::int64_t>(v, 0); }

}  // namespace

const char* timeliness_name(Timeliness t) noexcept {
  switch (t) {
    case Timeliness::fresh:
      return "fresh";
    case Timeliness::expired:
      return "expired";
    case Timeliness::from_future:
      return "from_future";
  }
  return "unknown";
}

std::int64_t expires_at_ms(std::int64_t ts_ms, std::int64_t ttl_ms, std::int64_t skew_tolerance_ms) noexcept {
  return saturating_add(saturating_add(ts_ms, non_negative(ttl_ms)), non_negative(skew_tolerance_ms));
}

Timeliness check_timeliness(std::int64_t ts_ms, std::int64_t ttl_ms, std::int64_t service_now_ms,
                            std::int64_t skew_tolerance_ms, std::int64_t max_future_ms) noexcept {
  if (ts_ms > saturating_add(service_now_ms, non_negative(max_future_ms))) return Timeliness::from_future;
  if (ttl_ms < 0 || service_now_ms > expires_at_ms(ts_ms, ttl_ms, skew_tolerance_ms)) return Timeliness::expired;
  return Timeliness::fresh;
}

Timeliness ExpiryPolicy::check(std::int64_t ts_ms, std::int64_t ttl_ms, std::int64_t service_now_ms) const noexcept {
  return check_timeliness(ts_ms, ttl_ms, service_now_ms, skew_tolerance_ms, max_future_ms);
}

std::int64_t ExpiryPolicy::expires_at(std::int64_t ts_ms, std::int64_t ttl_ms) const noexcept {
  return expires_at_ms(ts_ms, ttl_ms, skew_tolerance_ms);
}

}  // namespace callsignal
