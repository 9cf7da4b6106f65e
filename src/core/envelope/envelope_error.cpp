#include "core/envelope/envelope_error.h"

namespace callsignal {

const char* envelope_error_name(EnvelopeError code) noexcept {
  switch (code) {
    case EnvelopeError::ok: return "ok";
    case EnvelopeError::too_large: return "too_large";
    case EnvelopeError::invalid_utf8: return "invalid_utf8";
    case EnvelopeError::malformed_json: return "malformed_json";
    case EnvelopeError::too_deep: return "too_deep";
    case EnvelopeError::missing_field: return "missing_field";
    case EnvelopeError::wrong_type: return "wrong_type";
    case EnvelopeError::bad_value: return "bad_value";
    case EnvelopeError::unsupported_version: return "unsupported_version";
    case EnvelopeError::unknown_type: return "unknown_type";
    case EnvelopeError::unsigned_message: return "unsigned_message";
    case EnvelopeError::unknown_key: return "unknown_key";
    case EnvelopeError::bad_signature: return "bad_signature";
    case EnvelopeError::wrong_recipient: return "wrong_recipient";
    case EnvelopeError::internal: return "internal";
  }
  return "unknown_error";
}

bool is_forgery(EnvelopeError code) noexcept {
  return code == EnvelopeError::unsigned_message || code == EnvelopeError::unknown_key ||
         code == EnvelopeError::bad_signature;
}

namespace {

std::size_t index_of(EnvelopeError code) noexcept {
  const auto i = static_cast<std::size_t>(code);
  return i < kEnvelopeErrorCount ? i : 0;
}

}  // namespace

void RejectCounters::count(EnvelopeError code) noexcept {
  const std::size_t i = index_of(code);
  if (i == 0) return;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t RejectCounters::get(EnvelopeError code) const noexcept {
  const std::size_t i = index_of(code);
  return i == 0 ? 0 : counts_[i].load(std::memory_order_relaxed);
}

std::uint64_t RejectCounters::total() const noexcept {
  std::uint64_t sum = 0;
  for (const auto& c : counts_) sum += c.load(std::memory_order_relaxed);
  return sum;
}

std::uint64_t RejectCounters::forged() const noexcept {
  return get(EnvelopeError::unsigned_message) + get(EnvelopeError::unknown_key) +
         get(EnvelopeError::bad_signature);
}

void RejectCounters::reset() noexcept {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
}

}  // namespace callsignal
