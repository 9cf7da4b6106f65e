// The vocabulary of the call state machine: call states, end reasons, participant states, media,
// timer kinds. Values are stable (append only); to_string() names are the ones docs/call-states.md
// uses. Pure data, no I/O; every function here is noexcept and thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace callsignal {

// The state of one call on this device. docs/call-states.md draws the transitions.
enum class CallState : int {
  idle = 0,        // no call yet (a machine with no current call)
  outgoing = 1,    // call_request sent; waiting for our own invite (role=caller)
  dialing = 2,     // our invite arrived, RTC join issued; the callees ring
  incoming = 3,    // an invite for us rings here
  accepting = 4,   // we answered: accept sent, RTC join issued, waiting for RtcJoined
  connecting = 5,  // (caller) someone answered but our RTC join is not done yet; or a rejoin
  active = 6,      // in the RTC channel with at least one other participant answered
  recovered = 7,   // after an app restart the service reports this call live: rejoin or hang up
  ending = 8,      // over; RTC leave issued, waiting for RtcLeft (bounded by the leave timer)
  ended = 9,       // terminal: every event for this call is ignored from here on
};
inline constexpr int kCallStateCount = 10;

// Why a call ended (on this device).
enum class EndReason : int {
  local_hangup = 0,        // the user hung up here (or cancelled an answered call)
  remote_hangup = 1,       // the peer hung up (1:1), or the service ended it with "hangup"
  rejected = 2,            // the callee declined (caller side), or we declined (callee side)
  busy = 3,                // the callee was busy
  no_answer = 4,           // nobody answered in time (ring timeout, either side)
  cancelled = 5,           // the caller gave up before an answer
  answered_elsewhere = 6,  // another device of this user answered
  rejected_elsewhere = 7,  // another device of this user declined
  kicked = 8,              // a participant removed us
  ended_by_host = 9,       // end_for_all
  expired = 10,            // the invite's lifetime ran out (or the service said call_expired)
  join_failed = 11,        // the RTC join failed or did not finish in time
  network_lost = 12,       // peer silence beyond the limit, or the service reported liveness lost
  service_error = 13,      // the service refused our request, or never answered it
  glare = 14,              // our outgoing attempt lost a glare and became the winner's call
};
inline constexpr int kEndReasonCount = 15;

// A participant's state in a call, as participant_update reports it (protocol: closed set).
enum class ParticipantState : int { invited = 0, ringing = 1, joined = 2, rejected = 3, busy = 4, no_answer = 5, left = 6 };

enum class Media : int { audio = 0, video = 1 };

// The timers the machine asks the client to run; each is per call and at most one of a kind is
// armed per call at a time (StartTimer re-arms).
enum class TimerKind : int {
  request = 0,        // our call_request got no invite in time -> service_error
  ring = 1,           // ring timeout: callee rang out, or caller's callees did not answer -> no_answer
  lifetime = 2,       // the invite's ts+ttl: an unanswered invite expires -> expired
  join = 3,           // accept/rejoin/answer to RtcJoined -> join_failed
  keepalive = 4,      // send our keepalive (periodic while active)
  peer_silence = 5,   // no downlink keepalive for the limit -> network_lost
  token_renewal = 6,  // the RTC token expires soon: ask for a new one
  leave = 7,          // RtcLeft did not come: finish ending anyway
};
inline constexpr int kTimerKindCount = 8;

// Names ("dialing", "answered_elsewhere", ...): static, never null; "unknown" outside the enum.
const char* to_string(CallState state) noexcept;
const char* to_string(EndReason reason) noexcept;
const char* to_string(ParticipantState state) noexcept;
const char* to_string(Media media) noexcept;
const char* to_string(TimerKind kind) noexcept;

std::optional<ParticipantState> parse_participant_state(std::string_view name) noexcept;
std::optional<Media> parse_media(std::string_view name) noexcept;

// The end reason of a call_ended "reason" (protocol, open set), as seen by a participant of a
// call. Unknown values (and "other", "failed") map to service_error.
EndReason end_reason_from_call_ended(std::string_view reason) noexcept;

}  // namespace callsignal
