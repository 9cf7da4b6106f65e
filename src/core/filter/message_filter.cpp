#include "core/filter/message_filter.h"

#include <algorithm>
#include <chrono>
#include <new>

#include "core/filter/message_id.h"

namespace callsignal {
namespace {

std::int64_t system_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

DecodeOptions make_decode_options(const FilterConfig& config, RejectCounters* counters) {
  DecodeOptions options;
  options.limits = config.limits;
  options.trusted_keys = config.trusted_keys.empty() ? nullptr : &config.trusted_keys;
  options.expected_recipient = config.client_id;
  options.counters = counters;
  return options;
}

}  // namespace

Result<std::unique_ptr<MessageFilter>> MessageFilter::open(FilterConfig config) {
  if (config.client_id.empty()) return Status::error(Errc::invalid_config, "client_id: must not be empty");
  if (!config.local_clock) config.local_clock = system_clock_ms;
  LedgerOptions ledger_options;
  ledger_options.fsync = config.fsync;
  auto ledger = InboxLedger::open(config.data_dir, ledger_options);
  if (!ledger.ok()) return ledger.status();
  return std::unique_ptr<MessageFilter>(new MessageFilter(std::move(config), std::move(ledger).value()));
}

MessageFilter::MessageFilter(FilterConfig config, std::unique_ptr<InboxLedger> ledger)
    : config_(std::move(config)), decode_options_(make_decode_options(config_, &counters_)), ledger_(std::move(ledger)) {}

MessageFilter::~MessageFilter() = default;

void MessageFilter::count_refusal(EnvelopeError code) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  if (is_forgery(code)) {
    ++stats_.forged;
  } else if (code == EnvelopeError::wrong_recipient) {
    ++stats_.wrong_recipient;
  } else {
    ++stats_.invalid;
  }
}

MessageFilter::Verdict MessageFilter::check_and_record(std::string_view topic, std::string_view payload,
                                                       Decoded& out) {
  auto decoded = decode(payload, decode_options_);  // counts its own refusals by reason
  if (!decoded.ok()) {
    count_refusal(decoded.status().code);
    return Verdict::refused;
  }
  out = std::move(decoded).value();
  const Envelope& message = out.message;

  const std::int64_t arrival = config_.local_clock();
  // A hello_ack is how a device learns the service clock, so it cannot be judged by it: a device
  // clock minutes or hours off would refuse every ack and never sync. It is exempt from the
  // timeliness check instead; the client uses only the ack of its outstanding hello (hello_id, a
  // fresh random id), so a replayed old ack is ignored, and the stamp does not feed the estimate.
  if (message.type != MessageType::hello_ack) {
    const Timeliness timeliness = config_.expiry.check(message.ts_ms, message.ttl_ms, service_now_at(arrival));
    if (timeliness != Timeliness::fresh) {
      std::lock_guard<std::mutex> lock(stats_mu_);
      ++(timeliness == Timeliness::expired ? stats_.expired : stats_.from_future);
      return Verdict::refused;
    }
    if (out.verified) observe_service_stamp(message.ts_ms, arrival);
  }

  const std::optional<MessageId> id = MessageId::from_hex(message.id);
  if (!id) {  // decode() validated the id: this cannot happen, but never index with a bad one
    count_refusal(EnvelopeError::bad_value);
    return Verdict::refused;
  }
  auto admitted = ledger_->admit(*id, config_.expiry.expires_at(message.ts_ms, message.ttl_ms), topic, payload);
  if (!admitted.ok()) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++stats_.io_errors;
    return Verdict::io_error;
  }
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++(admitted.value() ? stats_.admitted : stats_.duplicates);
  }
  if (config_.on_recorded) config_.on_recorded(message);
  return admitted.value() ? Verdict::admitted : Verdict::duplicate;
}

Admission MessageFilter::admit(InboundMessage& message) noexcept {
  try {
    auto decoded = std::make_shared<Decoded>();
    switch (check_and_record(message.topic, message.payload, *decoded)) {
      case Verdict::admitted:
        message.attachment = std::move(decoded);
        return Admission::deliver;
      case Verdict::duplicate:
      case Verdict::refused:
        return Admission::drop;
      case Verdict::io_error:
        return Admission::retry_later;
    }
  } catch (const std::bad_alloc&) {
  }
  return Admission::retry_later;  // out of memory: nothing recorded, try again later
}

Result<std::optional<Envelope>> MessageFilter::admit_push(std::string_view payload) {
  Decoded decoded;
  switch (check_and_record("", payload, decoded)) {
    case Verdict::admitted:
      return std::optional<Envelope>(std::move(decoded.message));
    case Verdict::duplicate:
    case Verdict::refused:
      return std::optional<Envelope>();
    case Verdict::io_error:
      break;
  }
  return Status::error(Errc::io_error, "push payload: the ledger could not record it");
}

Status MessageFilter::mark_delivered(const std::string& message_id) {
  const std::optional<MessageId> id = MessageId::from_hex(message_id);
  if (!id) return Status::error(Errc::invalid_argument, "message_id: must be 32 lowercase hex characters");
  return ledger_->mark_delivered(*id);
}

std::vector<ReplayedMessage> MessageFilter::undelivered() {
  std::vector<ReplayedMessage> replay;
  for (InboxMessage& kept : ledger_->undelivered()) {
    // Decoded again without the timeliness check: it was timely when admitted, and the app
    // decides what an old message still means (a missed call, for instance).
    auto decoded = decode(kept.payload, decode_options_);
    if (!decoded.ok()) {
      (void)ledger_->mark_delivered(kept.id);  // trusted keys changed since: it cannot be used
      continue;
    }
    replay.push_back({std::move(decoded).value().message, std::move(kept.topic)});
  }
  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.replayed += replay.size();
  return replay;
}

bool MessageFilter::add_clock_sample(std::int64_t t0, std::int64_t server_ms, std::int64_t t1) {
  std::lock_guard<std::mutex> lock(clock_mu_);
  return clock_.add_sample(t0, server_ms, t1);
}

std::int64_t MessageFilter::service_now() const { return service_now_at(config_.local_clock()); }

// The estimate from hello round trips, raised to the lower bound signed messages give (the
// service stamped them before they arrived); the local clock until either exists.
std::int64_t MessageFilter::service_now_at(std::int64_t local) const {
  std::lock_guard<std::mutex> lock(clock_mu_);
  const std::int64_t estimate = clock_.has_estimate() ? clock_.offset_ms() : 0;
  return local + std::max(estimate, stamp_lower_bound_);
}

// Only stamps of messages that passed the timeliness check count: a service clock far ahead
// (a bug) then moves the estimate by at most the future bound per message, never unchecked.
void MessageFilter::observe_service_stamp(std::int64_t ts_ms, std::int64_t arrival_ms) {
  std::lock_guard<std::mutex> lock(clock_mu_);
  stamp_lower_bound_ = std::max(stamp_lower_bound_, ts_ms - arrival_ms);
}

void MessageFilter::prune() {
  std::int64_t uncertainty = 0;
  {
    std::lock_guard<std::mutex> lock(clock_mu_);
    uncertainty = clock_.has_estimate() ? clock_.uncertainty_ms() : 0;
  }
  // Forget an id only once no copy of its message could still pass as fresh.
  ledger_->prune(service_now() - uncertainty);
}

FilterStats MessageFilter::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

const Decoded* decoded_of(const InboundMessage& message) {
  return static_cast<const Decoded*>(message.attachment.get());
}

}  // namespace callsignal
