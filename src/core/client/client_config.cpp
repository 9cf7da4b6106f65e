#include "core/client/client_config.h"

#include "core/envelope/schema.h"

namespace callsignal {
namespace {

Status bad(const char* field, const char* why) {
  return Status::error(Errc::invalid_config, std::string(field) + ": " + why);
}

}  // namespace

Status validate(const ClientConfig& config) {
  if (Status s = validate(config.session); !s.ok()) return s;
  if (!is_valid_identifier(config.user_id)) return bad("user_id", "must be 1..64 bytes of UTF-8 without control characters");
  if (config.platform.empty() || config.platform.size() > 32 || !is_valid_identifier(config.platform)) {
    return bad("platform", "must be 1..32 bytes of UTF-8 without control characters");
  }
  if (config.request_ttl_ms < 1 || config.request_ttl_ms > kMaxTtlMs) return bad("request_ttl_ms", "must be 1..3600000");
  const CallConfig& call = config.call;
  if (call.request_timeout_ms <= 0) return bad("call.request_timeout_ms", "must be positive");
  if (call.ring_timeout_ms <= 0) return bad("call.ring_timeout_ms", "must be positive");
  if (call.join_timeout_ms <= 0) return bad("call.join_timeout_ms", "must be positive");
  if (call.leave_timeout_ms <= 0) return bad("call.leave_timeout_ms", "must be positive");
  if (call.keepalive_interval_ms < 1'000 || call.keepalive_interval_ms > 600'000) {
    return bad("call.keepalive_interval_ms", "must be 1000..600000");
  }
  if (call.peer_silence_ms <= call.keepalive_interval_ms) {
    return bad("call.peer_silence_ms", "must be longer than the keepalive interval");
  }
  if (call.max_group < 2 || call.max_group > 33) return bad("call.max_group", "must be 2..33 (a caller and up to 32 callees)");
  if (config.expiry.skew_tolerance_ms < 0) return bad("expiry.skew_tolerance_ms", "must not be negative");
  if (config.expiry.max_future_ms < 0) return bad("expiry.max_future_ms", "must not be negative");
  if (config.limits.max_bytes < 1024) return bad("limits.max_bytes", "must be at least 1024");
  return Status::success();
}

}  // namespace callsignal
