#include "core/call/call_transitions.h"

#include <iterator>

namespace callsignal {

namespace {

constexpr const char* kKindNames[] = {
    "start_call",       "accept",           "reject",         "cancel",          "hangup",
    "invite_more",      "mute_request",     "kick",           "end_for_all",     "rejoin",
    "token_expiring",   "invite_as_caller", "invite_as_callee", "msg_cancel",    "msg_hangup",
    "msg_call_ended",   "participant_joined", "participant_left", "msg_mute_request", "msg_keepalive",
    "msg_token_renewal", "msg_error",       "msg_other",      "request_failed",  "live_call_reported",
    "timer_request",    "timer_ring",       "timer_lifetime", "timer_join",      "timer_keepalive",
    "timer_peer_silence", "timer_token_renewal", "timer_leave", "rtc_joined",    "rtc_left",
    "rtc_failed",       "connection_lost",  "connection_restored"};
static_assert(std::size(kKindNames) == kCallEventKindCount);

}  // namespace

const char* to_string(CallEventKind kind) noexcept {
  const int index = static_cast<int>(kind);
  return index >= 0 && index < kCallEventKindCount ? kKindNames[index] : "unknown";
}

const std::vector<CallTransition>& call_transitions() {
  using S = CallState;
  using E = CallEventKind;
  static const std::vector<CallTransition> table = {
      {S::idle, E::start_call, S::outgoing, "send call_request, arm request"},
      {S::idle, E::invite_as_callee, S::incoming, "ring, send ringing, arm ring, arm lifetime, notify incoming"},
      {S::idle, E::msg_cancel, S::ended, "remember the call as ended: a late invite will not ring"},
      {S::idle, E::msg_hangup, S::ended, "remember the call as ended: a late invite will not ring"},
      {S::idle, E::msg_call_ended, S::ended, "remember the call as ended: a late invite will not ring"},
      {S::idle, E::live_call_reported, S::recovered, "notify live call"},
      {S::outgoing, E::cancel, S::ended, "reason cancelled"},
      {S::outgoing, E::hangup, S::ended, "reason cancelled"},
      {S::outgoing, E::invite_as_caller, S::dialing, "notify call id, join RTC, arm join, arm ring, notify participants"},
      {S::outgoing, E::msg_error, S::ended, "reason service_error"},
      {S::outgoing, E::timer_request, S::ended, "reason service_error"},
      {S::dialing, E::cancel, S::ending, "send cancel, leave RTC, arm leave; reason cancelled"},
      {S::dialing, E::hangup, S::ending, "send cancel, leave RTC, arm leave; reason cancelled"},
      {S::dialing, E::invite_more, S::dialing, "send invite_more, notify participants"},
      {S::dialing, E::mute_request, S::dialing, "send mute_request"},
      {S::dialing, E::kick, S::dialing, "send kick"},
      {S::dialing, E::end_for_all, S::ending, "send end_for_all, leave RTC, arm leave; reason ended_by_host"},
      {S::dialing, E::token_expiring, S::dialing, "send token_renewal_request"},
      {S::dialing, E::msg_cancel, S::ending, "leave RTC, arm leave; reason cancelled"},
      {S::dialing, E::msg_hangup, S::ending, "leave RTC, arm leave; reason remote_hangup"},
      {S::dialing, E::msg_call_ended, S::ending, "leave RTC, arm leave; reason ended_by_host"},
      {S::dialing, E::participant_joined, S::connecting,
       "notify participants; active instead if our RTC join already completed"},
      {S::dialing, E::participant_left, S::dialing, "notify participants"},
      {S::dialing, E::msg_mute_request, S::dialing, "notify mute requested"},
      {S::dialing, E::msg_token_renewal, S::dialing, "update RTC"},
      {S::dialing, E::timer_ring, S::ending, "send cancel, leave RTC, arm leave; reason no_answer"},
      {S::dialing, E::timer_join, S::ended, "send cancel, leave RTC; reason join_failed"},
      {S::dialing, E::rtc_joined, S::dialing, "arm token_renewal"},
      {S::dialing, E::rtc_left, S::ended, "send cancel, leave RTC; reason network_lost"},
      {S::dialing, E::rtc_failed, S::ended, "send cancel, leave RTC; reason join_failed"},
      {S::incoming, E::accept, S::accepting, "stop ringing, send accept, join RTC, arm join"},
      {S::incoming, E::reject, S::ended, "send reject, stop ringing; reason rejected"},
      {S::incoming, E::hangup, S::ended, "send reject, stop ringing; reason rejected"},
      {S::incoming, E::msg_cancel, S::ended, "notify missed, stop ringing; reason cancelled"},
      {S::incoming, E::msg_hangup, S::ended, "stop ringing; reason remote_hangup"},
      {S::incoming, E::msg_call_ended, S::ended, "stop ringing; reason ended_by_host"},
      {S::incoming, E::participant_joined, S::incoming, "notify participants"},
      {S::incoming, E::participant_left, S::incoming, "notify participants"},
      {S::incoming, E::timer_ring, S::ended, "send reject, stop ringing; reason no_answer"},
      {S::incoming, E::timer_lifetime, S::ended, "stop ringing; reason expired"},
      {S::accepting, E::hangup, S::ending, "send hangup, leave RTC, arm leave; reason local_hangup"},
      {S::accepting, E::invite_more, S::accepting, "send invite_more, notify participants"},
      {S::accepting, E::mute_request, S::accepting, "send mute_request"},
      {S::accepting, E::kick, S::accepting, "send kick"},
      {S::accepting, E::end_for_all, S::ending, "send end_for_all, leave RTC, arm leave; reason ended_by_host"},
      {S::accepting, E::token_expiring, S::accepting, "send token_renewal_request"},
      {S::accepting, E::msg_cancel, S::ending, "leave RTC, arm leave; reason cancelled"},
      {S::accepting, E::msg_hangup, S::ending, "leave RTC, arm leave; reason remote_hangup"},
      {S::accepting, E::msg_call_ended, S::ending, "leave RTC, arm leave; reason ended_by_host"},
      {S::accepting, E::participant_joined, S::accepting, "notify participants"},
      {S::accepting, E::participant_left, S::accepting, "notify participants"},
      {S::accepting, E::msg_mute_request, S::accepting, "notify mute requested"},
      {S::accepting, E::msg_token_renewal, S::accepting, "update RTC"},
      {S::accepting, E::request_failed, S::ending, "leave RTC, arm leave; reason expired"},
      {S::accepting, E::timer_join, S::ended, "send hangup, leave RTC; reason join_failed"},
      {S::accepting, E::rtc_joined, S::active, "arm token_renewal, arm keepalive, arm peer_silence"},
      {S::accepting, E::rtc_left, S::ended, "send hangup, leave RTC; reason network_lost"},
      {S::accepting, E::rtc_failed, S::ended, "send hangup, leave RTC; reason join_failed"},
      {S::connecting, E::hangup, S::ending, "send hangup, leave RTC, arm leave; reason local_hangup"},
      {S::connecting, E::invite_more, S::connecting, "send invite_more, notify participants"},
      {S::connecting, E::mute_request, S::connecting, "send mute_request"},
      {S::connecting, E::kick, S::connecting, "send kick"},
      {S::connecting, E::end_for_all, S::ending, "send end_for_all, leave RTC, arm leave; reason ended_by_host"},
      {S::connecting, E::token_expiring, S::connecting, "send token_renewal_request"},
      {S::connecting, E::msg_cancel, S::ending, "leave RTC, arm leave; reason cancelled"},
      {S::connecting, E::msg_hangup, S::ending, "leave RTC, arm leave; reason remote_hangup"},
      {S::connecting, E::msg_call_ended, S::ending, "leave RTC, arm leave; reason ended_by_host"},
      {S::connecting, E::participant_joined, S::connecting, "notify participants"},
      {S::connecting, E::participant_left, S::connecting, "notify participants"},
      {S::connecting, E::msg_mute_request, S::connecting, "notify mute requested"},
      {S::connecting, E::msg_token_renewal, S::connecting, "update RTC"},
      {S::connecting, E::timer_join, S::ended, "send hangup, leave RTC; reason join_failed"},
      {S::connecting, E::rtc_joined, S::active, "arm token_renewal, arm keepalive, arm peer_silence"},
      {S::connecting, E::rtc_left, S::ended, "send hangup, leave RTC; reason network_lost"},
      {S::connecting, E::rtc_failed, S::ended, "send hangup, leave RTC; reason join_failed"},
      {S::active, E::hangup, S::ending, "send hangup, leave RTC, arm leave; reason local_hangup"},
      {S::active, E::invite_more, S::active, "send invite_more, notify participants"},
      {S::active, E::mute_request, S::active, "send mute_request"},
      {S::active, E::kick, S::active, "send kick"},
      {S::active, E::end_for_all, S::ending, "send end_for_all, leave RTC, arm leave; reason ended_by_host"},
      {S::active, E::token_expiring, S::active, "send token_renewal_request"},
      {S::active, E::msg_cancel, S::ending, "leave RTC, arm leave; reason cancelled"},
      {S::active, E::msg_hangup, S::ending, "leave RTC, arm leave; reason remote_hangup"},
      {S::active, E::msg_call_ended, S::ending, "leave RTC, arm leave; reason ended_by_host"},
      {S::active, E::participant_joined, S::active, "notify participants"},
      {S::active, E::participant_left, S::active, "notify participants"},
      {S::active, E::msg_mute_request, S::active, "notify mute requested"},
      {S::active, E::msg_keepalive, S::active, "arm peer_silence"},
      {S::active, E::msg_token_renewal, S::active, "update RTC, arm token_renewal"},
      {S::active, E::timer_keepalive, S::active, "send keepalive, arm keepalive"},
      {S::active, E::timer_peer_silence, S::ending, "send hangup, leave RTC, arm leave; reason network_lost"},
      {S::active, E::timer_token_renewal, S::active, "send token_renewal_request"},
      {S::active, E::rtc_left, S::ended, "send hangup, leave RTC; reason network_lost"},
      {S::active, E::rtc_failed, S::ended, "send hangup, leave RTC; reason join_failed"},
      {S::active, E::connection_restored, S::active, "arm peer_silence"},
      {S::recovered, E::hangup, S::ended, "send hangup; reason local_hangup"},
      {S::recovered, E::rejoin, S::connecting, "join RTC, arm join"},
      {S::recovered, E::msg_cancel, S::ended, "reason cancelled"},
      {S::recovered, E::msg_hangup, S::ended, "reason remote_hangup"},
      {S::recovered, E::msg_call_ended, S::ended, "reason ended_by_host"},
      {S::recovered, E::participant_joined, S::recovered, "notify participants"},
      {S::recovered, E::participant_left, S::recovered, "notify participants"},
      {S::ending, E::start_call, S::ending, "another call starts; this one is unaffected"},
      {S::ending, E::timer_leave, S::ended, "reason local_hangup"},
      {S::ending, E::rtc_left, S::ended, "reason local_hangup"},
      {S::ending, E::rtc_failed, S::ended, "reason local_hangup"},
      {S::ended, E::start_call, S::ended, "another call starts; this one is unaffected"},
  };
  return table;
}

}  // namespace callsignal
