// The outputs of CallMachine::handle(): what the client must do, in order. Plain values.
// `call_id` is the key of the call (see call_event.h); for an outgoing call before its invite it
// is the call_request's request id, and NotifyCallId tells the app when the real id is known.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/call/call_types.h"
#include "core/envelope/body.h"
#include "core/envelope/message_type.h"

namespace callsignal {

// Publish an uplink request. `call_id` is empty for call_request; `message_id`, when not empty,
// is the id the client must give the message (the call_request's request id).
struct SendRequest {
  MessageType type = MessageType::hangup;
  std::string call_id;
  Body body;
  std::string message_id;
};

// Arm (or re-arm) the one timer of `kind` for `call_id`; the client calls back TimerFired.
struct StartTimer { std::string call_id; TimerKind kind = TimerKind::ring; std::int64_t duration_ms = 0; };
struct CancelTimer { std::string call_id; TimerKind kind = TimerKind::ring; };

// Play the ringtone (or the call-waiting tone when `waiting`) for an incoming call.
struct Ring { std::string call_id; std::string caller; Media media = Media::audio; bool waiting = false; };
struct StopRinging { std::string call_id; };

// Join the RTC channel with these vendor parameters; the client reports RtcJoined / RtcFailed.
struct JoinRtc { std::string call_id; std::map<std::string, std::string> rtc; std::string vendor; };
// New RTC parameters for the joined channel (token renewal): merged full map.
struct UpdateRtc { std::string call_id; std::map<std::string, std::string> rtc; };
struct LeaveRtc { std::string call_id; };

// ---- for the app ----

struct NotifyState { std::string call_id; CallState state = CallState::idle; std::optional<EndReason> reason; };
// An incoming call rings (or, `auto_accepted`: it replaced our outgoing call after a glare).
struct NotifyIncoming {
  std::string call_id;
  std::string caller;
  std::vector<std::string> callees;
  Media media = Media::audio;
  std::string custom_json;
  bool waiting = false;
  bool auto_accepted = false;
  std::vector<std::string> members;  // already in the call (an invite to a running call)
  // Set by the client, not the machine: the invite was recorded by an earlier run of the app and
  // is handed over again after a restart; that run may have shown it just before it died.
  bool replayed = false;
};
// An incoming call this device never rang for (refused busy, or ended before it could ring).
struct NotifyMissed { std::string call_id; std::string caller; EndReason reason = EndReason::busy; };
// The outgoing call keyed by `request_id` now has the service's `call_id`; later actions use it.
struct NotifyCallId { std::string request_id; std::string call_id; };
struct NotifyParticipants { std::string call_id; std::map<std::string, ParticipantState> participants; };
struct NotifyMuteRequested { std::string call_id; std::string by; bool audio = true; bool video = false; };
// A live call after a restart: the app asks the user, then sends Rejoin or Hangup.
struct NotifyLiveCall {
  std::string call_id;
  std::string caller;
  std::vector<std::string> members;
  Media media = Media::audio;
};
// A command the machine refused ("no such call", "busy", "not allowed in this state", ...),
// or a request the service refused that did not end the call.
struct NotifyCommandFailed { std::string call_id; std::string what; std::string why; };

using CallAction = std::variant<SendRequest, StartTimer, CancelTimer, Ring, StopRinging, JoinRtc, UpdateRtc, LeaveRtc,
                                NotifyState, NotifyIncoming, NotifyMissed, NotifyCallId, NotifyParticipants,
                                NotifyMuteRequested, NotifyLiveCall, NotifyCommandFailed>;

}  // namespace callsignal
