// ClockOffset: an estimate of the control service's clock, learned from round trips.
//
// The client sends hello at local time t0; the service answers hello_ack stamped with its clock ts;
// the answer arrives at local time t1 (all in ms). The service read its clock at some instant
// between t0 and t1, so its offset from the local clock (service − local) satisfies
//
//   ts − t1  <=  offset  <=  ts − t0          (up to the 1 ms truncation of each stamp)
//
// and the midpoint estimate  offset = ts − (t0 + t1) / 2  is wrong by at most (t1 − t0) / 2, half
// the round-trip time, whatever the split between uplink and downlink delay (with equal delays it
// is exact). Hence:
//   - uncertainty_ms() = ceil((t1 − t0) / 2) + 1 for the sample in use; the + 1 covers the stamps'
//     truncation to whole milliseconds (and the rounding of the midpoint). It is a hard bound as
//     long as both clocks run at the same rate between the sample and its use; crystal drift
//     (typically < 100 ppm, 6 ms per minute) is not modelled, because samples are refreshed on
//     every (re)connect and the expiry check's skew tolerance (seconds) absorbs the rest.
//   - Samples are kept in a bounded window (the last `window` accepted, and none older than
//     max_age_ms before the newest), and the estimate is the one with the lowest round trip: it
//     has the tightest bound, and queueing delay only ever adds to a round trip.
//   - A sample is rejected when t1 < t0 (the local clock stepped back) or t1 − t0 > max_rtt_ms
//     (its bound would be useless, and such samples are usually a queued, stale answer).
//
// Which local clock: any millisecond clock, as long as the same one feeds add_sample and
// service_now. A monotonic clock makes the estimate immune to the user changing the device time;
// a wall clock (Unix ms) makes service_now's fallback without any sample (offset 0) meaningful.
//
// Not thread-safe: the owner serialises calls. Never throws, never allocates after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace callsignal {

struct ClockOffsetOptions {
  std::size_t window = 8;             // accepted samples kept (at least 1)
  std::int64_t max_rtt_ms = 10'000;   // longer round trips are rejected
  std::int64_t max_age_ms = 3'600'000;  // samples older than this before the newest are dropped
};

class ClockOffset {
 public:
  explicit ClockOffset(ClockOffsetOptions options = {});

  // Adds one round trip: client_send_ms (t0), server_ms (ts), client_receive_ms (t1). Returns
  // false, changing nothing, when the sample is rejected (see above).
  bool add_sample(std::int64_t client_send_ms, std::int64_t server_ms, std::int64_t client_receive_ms) noexcept;

  bool has_estimate() const noexcept { return count_ > 0; }
  // service − local, in ms; 0 without an estimate.
  std::int64_t offset_ms() const noexcept;
  // The bound on offset_ms()'s error, in ms; 0 without an estimate (nothing is claimed then).
  std::int64_t uncertainty_ms() const noexcept;
  // The round trip of the sample in use; 0 without an estimate.
  std::int64_t rtt_ms() const noexcept;
  // local_now_ms + offset_ms(), saturated.
  std::int64_t service_now(std::int64_t local_now_ms) const noexcept;

  // Forgets every sample (for instance after the local clock was found to have stepped).
  void reset() noexcept;

 private:
  struct Sample {
    std::int64_t offset = 0;
    std::int64_t rtt = 0;
    std::int64_t received = 0;  // t1
  };
  void choose_best() noexcept;

  ClockOffsetOptions options_;
  std::vector<Sample> ring_;  // options_.window slots
  std::size_t next_ = 0;      // where the next sample goes
  std::size_t count_ = 0;     // valid samples in ring_
  std::size_t best_ = 0;      // index of the sample in use
};

}  // namespace callsignal
