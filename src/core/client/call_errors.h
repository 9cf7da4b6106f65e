// How the client turns the call machine's refusals and the service's error codes into status codes
// for the app.
#pragma once

#include <string_view>

#include "core/call/call_action.h"
#include "core/common/status.h"
#include "core/envelope/envelope.h"

namespace callsignal {

// A refusal the machine reported: its own (invalid_state for "not ringing", "busy: ...";
// invalid_argument for a bad callee or custom data that is not JSON), or the service's code of a
// refused request (RequestFailed, mapped by service_error_code). The message: "<what>: <why>".
Status command_refusal(const NotifyCommandFailed& refusal);
Errc refusal_code(const NotifyCommandFailed& refusal) noexcept;

// An `error` code of the service (protocol: an open set) as a status code: unknown_call,
// expired (call_expired), invalid_state (not_allowed, busy, too_many_participants, rate_limited),
// invalid_argument (bad_request), internal (internal, other, anything unknown).
Errc service_error_code(std::string_view code) noexcept;

// Why a call never rang, from the message that ended it in the backlog (cancel, hangup,
// call_ended, end_for_all).
EndReason missed_call_reason(const Envelope& ended_by) noexcept;

}  // namespace callsignal
