#include "core/filter/clock_offset.h"

#include <limits>

namespace callsignal {
namespace {

// Stamps are Unix ms or monotonic ms: far from overflow, but a corrupt peer can send anything.
constexpr std::int64_t kMaxStamp = std::numeric_limits<std::int64_t>::max() / 4;

bool in_range(std::int64_t v) noexcept { return v > -kMaxStamp && v < kMaxStamp; }

}  // namespace

ClockOffset::ClockOffset(ClockOffsetOptions options) : options_(options) {
  if (options_.window == 0) options_.window = 1;
  if (options_.max_rtt_ms < 0) options_.max_rtt_ms = 0;
  if (options_.max_age_ms < 0) options_.max_age_ms = 0;
  ring_.resize(options_.window);
}

bool ClockOffset::add_sample(std::int64_t client_send_ms, std::int64_t server_ms,
                             std::int64_t client_receive_ms) noexcept {
  if (!in_range(client_send_ms) || !in_range(server_ms) || !in_range(client_receive_ms)) return false;
  const std::int64_t rtt = client_receive_ms - client_send_ms;
  if (rtt < 0 || rtt > options_.max_rtt_ms) return false;

  Sample sample;
  // ts − (t0 + t1) / 2 without forming t0 + t1; rounds the midpoint down.
  sample.offset = server_ms - (client_send_ms + rtt / 2);
  sample.rtt = rtt;
  sample.received = client_receive_ms;
  ring_[next_] = sample;
  next_ = (next_ + 1) % ring_.size();
  if (count_ < ring_.size()) ++count_;

  // Drop samples received more than max_age_ms before this one, oldest first: ring_ holds the
  // newest count_ samples, ending just before next_.
  while (count_ > 1) {
    const std::size_t oldest = (next_ + ring_.size() - count_) % ring_.size();
    if (client_receive_ms - ring_[oldest].received <= options_.max_age_ms) break;
    --count_;
  }
  choose_best();
  return true;
}

void ClockOffset::choose_best() noexcept {
  const std::size_t n = ring_.size();
  std::size_t best = (next_ + n - 1) % n;  // the newest wins ties
  for (std::size_t k = 0; k < count_; ++k) {
    const std::size_t i = (next_ + n - 1 - k) % n;
    if (ring_[i].rtt < ring_[best].rtt) best = i;
  }
  best_ = best;
}

std::int64_t ClockOffset::offset_ms() const noexcept { return count_ > 0 ? ring_[best_].offset : 0; }

std::int64_t ClockOffset::uncertainty_ms() const noexcept {
  return count_ > 0 ? (ring_[best_].rtt + 1) / 2 + 1 : 0;
}

std::int64_t ClockOffset::rtt_ms() const noexcept { return count_ > 0 ? ring_[best_].rtt : 0; }

std::int64_t ClockOffset::service_now(std::int64_t local_now_ms) const noexcept {
  std::int64_t out = 0;
  if (__builtin_add_overflow(local_now_ms, offset_ms(), &out)) {
    return offset_ms() > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  }
  return out;
}

void ClockOffset::reset() noexcept {
  next_ = 0;
  count_ = 0;
  best_ = 0;
}

}  // namespace callsignal
