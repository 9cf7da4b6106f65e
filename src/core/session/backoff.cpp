#include "core/session/backoff.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace callsignal {
namespace {

// The config is validated before a session uses it; clamp anyway so that a bad value gives a
// sane schedule rather than a negative, NaN or overflowing delay.
BackoffConfig sanitized(BackoffConfig config) {
  using std::chrono::milliseconds;
  if (config.initial < milliseconds::zero()) config.initial = milliseconds::zero();
  if (config.max < config.initial) config.max = config.initial;
  if (!(config.multiplier >= 1.0) || !std::isfinite(config.multiplier)) config.multiplier = 1.0;
  if (!(config.jitter >= 0.0)) config.jitter = 0.0;  // also catches NaN
  if (config.jitter > 1.0) config.jitter = 1.0;
  return config;
}

}  // namespace

Backoff::Backoff(const BackoffConfig& config, std::uint64_t seed) : config_(sanitized(config)), rng_(seed) {}

std::chrono::milliseconds Backoff::next_delay() {
  const double max = static_cast<double>(config_.max.count());
  double delay = static_cast<double>(config_.initial.count());
  if (delay > 0.0) {
    // pow() may overflow to infinity after many failures; the comparison caps it (and NaN) at max.
    delay *= std::pow(config_.multiplier, static_cast<double>(failures_));
    if (!(delay < max)) delay = max;
  }
  // A uniform factor in [1 - jitter, 1 + jitter], from the top 53 bits of the generator: unlike
  // std::uniform_real_distribution this gives the same sequence on every standard library.
  const double unit = static_cast<double>(rng_() >> 11) * 0x1.0p-53;  // [0, 1)
  delay *= 1.0 - config_.jitter + 2.0 * config_.jitter * unit;
  if (!(delay < max)) delay = max;
  if (delay < 0.0) delay = 0.0;

  if (failures_ < std::numeric_limits<unsigned>::max()) ++failures_;
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(std::llround(delay)));
}

}  // namespace callsignal
