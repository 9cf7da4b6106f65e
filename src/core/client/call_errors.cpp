#include "core/client/call_errors.h"

#include "core/call/call_types.h"

namespace callsignal {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

Errc refusal_code(const NotifyCommandFailed& refusal) noexcept {
  // The machine's argument checks; everything else it refuses is about the call's state.
  if (refusal.why == "bad callee" || refusal.why == "bad target" || refusal.why == "no callees" ||
      refusal.why == "no target" || starts_with(refusal.why, "callees:") || starts_with(refusal.why, "custom:") ||
      starts_with(refusal.why, "request_id") || starts_with(refusal.why, "more than max_group")) {
    return Errc::invalid_argument;
  }
  if (refusal.what != "start_call" && refusal.what != "accept" && refusal.what != "reject" &&
      refusal.what != "cancel" && refusal.what != "invite_more" && refusal.what != "mute_request" &&
      refusal.what != "kick" && refusal.what != "end_for_all" && refusal.what != "rejoin" &&
      refusal.what != "token_renewal") {
    return service_error_code(refusal.why);  // a request the service refused (RequestFailed)
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
