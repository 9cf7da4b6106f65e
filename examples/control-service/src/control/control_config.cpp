#include "control/control_config.h"

#include "control/session_setup.h"
#include "core/envelope/schema.h"
#include "core/session/identity.h"

namespace callsignal::control {
namespace {

Status bad(const std::string& field, const std::string& what) {
  return Status::error(Errc::invalid_config, field + ": " + what);
}

bool is_instance_id(const std::string& id) {
  if (id.empty() || id.size() > 16) return false;
  for (char c : id) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Status check_range(const char* field, std::int64_t value, std::int64_t low, std::int64_t high) {
  if (value < low || value > high) {
    return bad(std::string("limits.") + field, "must be " + std::to_string(low) + ".." + std::to_string(high));
  }
  return Status::success();
}

Status validate_limits(const ControlLimits& l) {
  if (l.max_group_size < 2 || l.max_group_size > kMaxListEntries) {
    return bad("limits.max_group_size", "must be 2.." + std::to_string(kMaxListEntries));
  }
  const std::pair<const char*, std::int64_t> ttls[] = {
      {"invite_lifetime_ms", l.invite_lifetime_ms},
      {"message_ttl_ms", l.message_ttl_ms},
      {"keepalive_ttl_ms", l.keepalive_ttl_ms},
  };
  for (const auto& [field, value] : ttls) {
    if (Status s = check_range(field, value, 1'000, kMaxTtlMs); !s.ok()) return s;
  }
  if (Status s = check_range("ring_timeout_ms", l.ring_timeout_ms, 100, kMaxTtlMs); !s.ok()) return s;
  if (Status s = check_range("resend_interval_ms", l.resend_interval_ms, 10, 600'000); !s.ok()) return s;
  if (Status s = check_range("liveness_grace_ms", l.liveness_grace_ms, 100, kMaxTtlMs); !s.ok()) return s;
  if (Status s = check_range("seen_id_memory_ms", l.seen_id_memory_ms, 1'000, 24 * kMaxTtlMs); !s.ok()) return s;
  if (Status s = check_range("ended_call_memory_ms", l.ended_call_memory_ms, 0, 24 * kMaxTtlMs); !s.ok()) return s;
  if (Status s = check_range("will_slack_ms", l.will_slack_ms, 0, kMaxTtlMs); !s.ok()) return s;
  if (l.max_pending == 0) return bad("limits.max_pending", "must be positive");
  if (l.max_seen_ids == 0) return bad("limits.max_seen_ids", "must be positive");
  return Status::success();
}

}  // namespace

Status validate(const ControlConfig& config) {
  if (!is_valid_identifier(config.service_id)) return bad("service_id", "1..64 bytes, no control characters");
  if (!is_instance_id(config.instance_id)) return bad("instance_id", "1..16 characters of [A-Za-z0-9_]");
  if (config.signer.key_id().empty()) return bad("signing_key", "no signing key loaded");
  if (!config.shared_group.empty()) {
    if (Status s = validate_id_part("shared_group", config.shared_group); !s.ok()) {
      return Status::error(Errc::invalid_config, s.message);
    }
  }
  if (Status s = validate_limits(config.limits); !s.ok()) return s;
  if (config.rtc.app_key.empty()) return bad("rtc.app_key", "required");
  // Broker, topics and client id: the session's own checks, on the config it will get.
  auto session = session_config_for(config);
  if (!session.ok()) return session.status();
  if (Status s = callsignal::validate(session.value()); !s.ok()) return Status::error(Errc::invalid_config, s.message);
  return Status::success();
}

}  // namespace callsignal::control
