// Why an envelope (a frame or the message inside it) was refused, a value-or-reason result type,
// and per-reason counters.
//
// Every refusal carries an EnvelopeError code and an English message that starts with the path of
// the offending field, e.g. "msg.ttl: must be 1..3600000 ms" or "msg.body.callees[2]: must be a
// string". Frame fields start with "frame." ("frame.v", "frame.sig"); fields of the message carried
// in the frame start with "msg.".
// Codes are stable (append only): they may be exported through the C ABI and logged as numbers.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace callsignal {

enum class EnvelopeError : int {
  ok = 0,
  too_large = 1,            // payload above CodecLimits::max_bytes, or a string above max_string_bytes
  invalid_utf8 = 2,         // ill-formed UTF-8, or a \u escape that decodes to a lone surrogate
  malformed_json = 3,       // not JSON, trailing garbage, or a duplicate key in the frame/message/body
  too_deep = 4,             // nesting above CodecLimits::max_depth
  missing_field = 5,        // a required field is absent
  wrong_type = 6,           // a field has the wrong JSON type (string, integer, object, ...)
  bad_value = 7,            // right type, value out of range or not of the allowed form
  unsupported_version = 8,  // frame "v" is not a protocol major this code speaks
  unknown_type = 9,         // a well-formed message whose "type" this code does not know
  unsigned_message = 10,    // keys are trusted but the frame has no kid/sig (forged)
  unknown_key = 11,         // the frame's kid is not among the trusted keys (forged)
  bad_signature = 12,       // the signature does not verify (forged)
  wrong_recipient = 13,     // authentic, but "to" is another client (a replay to the wrong device)
  internal = 14,            // out of memory or an unexpected OpenSSL failure; not the input's fault
};

inline constexpr std::size_t kEnvelopeErrorCount = 15;

// Static, never-null snake_case name of a code ("too_large", ...), for logs and metrics.
const char* envelope_error_name(EnvelopeError code) noexcept;

// True for the three reasons that count as "forged": unsigned_message, unknown_key, bad_signature.
bool is_forgery(EnvelopeError code) noexcept;

struct EnvelopeStatus {
  EnvelopeError code = EnvelopeError::ok;
  std::string message;  // "<field path>: <what is wrong>"; empty when ok

  static EnvelopeStatus success() { return {}; }
  static EnvelopeStatus error(EnvelopeError c, std::string m) { return {c, std::move(m)}; }
  bool ok() const noexcept { return code == EnvelopeError::ok; }
};

// A value or the EnvelopeStatus that explains why there is none.
template <typename T>
class EnvelopeResult {
 public:
  EnvelopeResult(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  EnvelopeResult(EnvelopeStatus status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return status_.ok(); }
  const EnvelopeStatus& status() const noexcept { return status_; }
  EnvelopeError code() const noexcept { return status_.code; }
  T& value() & { return value_; }
  const T& value() const& { return value_; }
  T&& value() && { return std::move(value_); }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }

 private:
  T value_{};
  EnvelopeStatus status_;
};

// One relaxed atomic counter per reason. Thread-safe; any number of decoders may share one.
// The caller owns it and passes it to decode() (DecodeOptions::counters).
class RejectCounters {
 public:
  RejectCounters() noexcept = default;
  RejectCounters(const RejectCounters&) = delete;
  RejectCounters& operator=(const RejectCounters&) = delete;

  // Adds one to `code`'s counter. ok is ignored.
  void count(EnvelopeError code) noexcept;
  std::uint64_t get(EnvelopeError code) const noexcept;
  // Sum over every reason.
  std::uint64_t total() const noexcept;
  // unsigned_message + unknown_key + bad_signature.
  std::uint64_t forged() const noexcept;
  void reset() noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, kEnvelopeErrorCount> counts_{};
};

}  // namespace callsignal
