#include "core/client/call_errors.h"

#include "core/call/call_types.h"

namespace callsignal {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

Errc refusal_code(const NotifyCommandFailed& refusal) noexcept {
  // A request the service refused (RequestFailed) carries the service's code, one snake_case
  // word; the machine's own refusals are English phrases.
  if (refusal.why.find(' ') == std::string::npos) return service_error_code(refusal.why);
  if (starts_with(refusal.why, "bad ") || starts_with(refusal.why, "no callees") || starts_with(refusal.why, "no target") ||
      starts_with(refusal.why, "callees:") || starts_with(refusal.why, "custom:") ||
      starts_with(refusal.why, "request_id") || starts_with(refusal.why, "more than max_group")) {
    return Errc::invalid_argument;
  }
  return Errc::invalid_state;
}

Status command_refusal(const NotifyCommandFailed& refusal) {
  return Status::error(refusal_code(refusal), refusal.what + ": " + refusal.why);
}

Errc service_error_code(std::string_view code) noexcept {
  if (code == "unknown_call") return Errc::unknown_call;
  if (code == "call_expired") return Errc::expired;
  if (code == "bad_request") return Errc::invalid_argument;
  if (code == "not_allowed" || code == "busy" || code == "too_many_participants" || code == "rate_limited") {
    return Errc::invalid_state;
  }
  return Errc::internal;
}

EndReason missed_call_reason(const Envelope& ended_by) noexcept {
  switch (ended_by.type) {
    case MessageType::cancel:
      return EndReason::cancelled;
    case MessageType::hangup:
      return EndReason::remote_hangup;
    case MessageType::end_for_all:
      return EndReason::ended_by_host;
    case MessageType::call_ended: {
      auto reason = ended_by.body.get_string("reason");
      return reason.ok() ? end_reason_from_call_ended(reason.value()) : EndReason::service_error;
    }
    default:
      return EndReason::cancelled;
  }
}

}  // namespace callsignal
