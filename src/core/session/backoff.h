// Exponential reconnect backoff with jitter. Not thread-safe: owned by one session.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

#include "core/session/session_config.h"

namespace callsignal {

class Backoff {
 public:
  // The seed makes the jitter reproducible in tests; production seeds from std::random_device.
  Backoff(const BackoffConfig& config, std::uint64_t seed);

  // Delay before the next attempt: initial * multiplier^failures, capped at max, then
  // multiplied by a uniform factor in [1 - jitter, 1 + jitter] (and capped at max again).
  std::chrono::milliseconds next_delay();
  // Call after a successful connect: the next failure starts again from `initial`.
  void reset() noexcept { failures_ = 0; }
  unsigned failures() const noexcept { return failures_; }

 private:
  BackoffConfig config_;
  unsigned failures_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace callsignal
