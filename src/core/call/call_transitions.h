// The transition table of CallMachine as data: for each (state, event kind) pair the machine
// handles, the state the call is in afterwards. Every pair not listed is ignored: the call's
// state does not change and the machine emits nothing but, for a local command, a
// NotifyCommandFailed. docs/call-states.md shows the same rows; tests/unit/call_transition_test.cpp
// drives a machine through every (state, event kind) pair and checks it against this table, and
// tests/unit/call_doc_test.cpp checks the doc against it.
//
// The event kinds refine the CallEvent alternatives where the outcome depends on the content
// (an invite as caller or callee, a participant joining or leaving, which timer fired). An event
// is "about" one call: the table's state is that call's state before and after it.
#pragma once

#include <vector>

#include "core/call/call_types.h"

namespace callsignal {

enum class CallEventKind : int {
  start_call, accept, reject, cancel, hangup, invite_more, mute_request, kick, end_for_all, rejoin, token_expiring,
  invite_as_caller,       // our own invite (role=caller), answering our call_request
  invite_as_callee,       // an invite that rings (role=callee)
  msg_cancel, msg_hangup, msg_call_ended,
  participant_joined,     // participant_update: someone else joined
  participant_left,       // participant_update: someone else left
  msg_mute_request,       // mute_request targeting us
  msg_keepalive, msg_token_renewal,
  msg_error,              // error replying to our call_request
  msg_other,              // a type the machine does not act on (e.g. a relayed ringing)
  request_failed,         // the service refused our accept
  live_call_reported,
  timer_request, timer_ring, timer_lifetime, timer_join, timer_keepalive, timer_peer_silence, timer_token_renewal,
  timer_leave,
  rtc_joined, rtc_left, rtc_failed,
  connection_lost, connection_restored,
};
inline constexpr int kCallEventKindCount = static_cast<int>(CallEventKind::connection_restored) + 1;

const char* to_string(CallEventKind kind) noexcept;

struct CallTransition {
  CallState from;
  CallEventKind event;
  CallState to;
  const char* note;  // what happens, in a few words (the doc's last column)
};

// Every handled pair, ordered by state, then by event kind. Static storage.
const std::vector<CallTransition>& call_transitions();

}  // namespace callsignal
