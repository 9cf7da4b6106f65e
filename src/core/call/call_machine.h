// CallMachine: the call state machine of one device. Pure: no I/O, no threads, no clock reads.
// The client feeds it events (call_event.h) with the current time and carries out the actions it
// returns (call_action.h), in order. The same sequence of (event, now_ms) always yields the same
// actions. docs/call-states.md draws the states and lists every transition; call_transitions.h
// holds the same table as data, and the tests check the machine, the table and the doc agree.
//
// One engaged call at a time (outgoing, dialing, accepting, connecting or active). A second
// incoming invite is refused busy, or rings as call waiting (CallConfig::busy_policy); accepting
// a waiting call hangs up the engaged one first.
//
// Time: `now_ms` must be the client's estimate of the *service* clock (local clock + the offset
// the filter layer keeps), because invite lifetimes (ts + ttl) are stamped by the service. It
// must not go backwards; the machine only uses it to compute timer durations and to forget ended
// calls.
//
// Glare (A calls B while B calls A, both 1:1): the call whose *caller user id* is smaller (plain
// byte-wise comparison) wins. Both sides know both user ids the moment the other's invite arrives,
// so both compute the same winner without waiting for call ids. The winner ignores the loser's
// invite (no ring, no answer: the loser cancels that call). The loser cancels its own attempt
// (ending it with EndReason::glare) and accepts the winner's call at once, without ringing.
//
// Not thread-safe: one thread at a time (the client's serial event thread). handle() throws only
// std::bad_alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/call/call_action.h"
#include "core/call/call_event.h"
#include "core/call/call_types.h"

namespace callsignal {

enum class BusyPolicy { auto_reject, call_waiting };

struct CallConfig {
  std::string self_user;                    // this device's app user id
  std::string self_client;                  // this device's client id (for logs; not used in logic)
  std::int64_t request_timeout_ms = 15000;  // call_request -> our invite
  std::int64_t ring_timeout_ms = 30000;     // ringing (callee) / dialing without an answer (caller)
  std::int64_t join_timeout_ms = 15000;     // JoinRtc -> RtcJoined
  std::int64_t leave_timeout_ms = 5000;     // LeaveRtc -> RtcLeft
  std::size_t max_group = 9;                // participants per call, the caller included
  std::int64_t keepalive_interval_ms = 15000;
  std::int64_t peer_silence_ms = 45000;     // no downlink keepalive for this long -> network_lost
  BusyPolicy busy_policy = BusyPolicy::auto_reject;
  std::int64_t token_renewal_lead_ms = 60000;  // ask for a new token this long before expiry
  std::string token_expiry_key = "timestamp";  // rtc key holding the token expiry, Unix seconds
  std::int64_t ended_memory_ms = 3600000;      // remember ended call ids (late messages) this long
  std::size_t ended_memory_max = 4096;         // ... and at most this many
};

namespace call_detail {
// One live call's bookkeeping (internal to CallMachine).
struct Call {
  std::string key;  // call_id, or request_id until the caller's invite arrives
  std::string call_id;
  std::string request_id;
  CallState state = CallState::idle;
  bool caller = false;
  bool waiting = false;
  bool ringing = false;      // Ring issued, StopRinging not yet
  bool rtc_pending = false;  // JoinRtc issued, LeaveRtc not yet
  bool rtc_joined = false;
  bool rtc_gone = false;     // the RTC SDK left/failed on its own: no RtcLeft will come
  bool answered = false;     // (caller) a callee joined
  unsigned timers = 0;       // bit per TimerKind armed
  std::optional<EndReason> end_reason;
  std::string invite_id;
  std::string peer_caller;
  std::vector<std::string> callees;
  Media media = Media::audio;
  std::map<std::string, std::string> rtc;
  std::string vendor;
  std::map<std::string, ParticipantState> participants;
};
}  // namespace call_detail

// A read-only view of one call.
struct CallSnapshot {
  std::string call_id;      // the key: the service's call id, or the request id before the invite
  std::string request_id;   // outgoing calls: our call_request's id
  CallState state = CallState::idle;
  bool caller = false;      // we started it
  bool waiting = false;     // a call-waiting incoming call
  bool rtc_joined = false;
  std::string peer_caller;  // who started it
  Media media = Media::audio;
  std::map<std::string, ParticipantState> participants;  // everyone but us
};

class CallMachine {
 public:
  explicit CallMachine(CallConfig config);

  // Feeds one event; returns the actions to carry out, in order.
  std::vector<CallAction> handle(const CallEvent& event, std::int64_t now_ms);

  // The state of call `call_id`: its live state, `ended` if it ended (and is still remembered),
  // `idle` if the machine does not know it.
  CallState state_of(std::string_view call_id) const;
  std::optional<CallSnapshot> call(std::string_view call_id) const;
  std::vector<CallSnapshot> calls() const;  // every live (not ended) call, by key
  // The engaged call's key, if any (at most one).
  std::optional<std::string> engaged_call() const;
  const CallConfig& config() const noexcept { return config_; }

  // True for outgoing, dialing, accepting, connecting, active.
  static bool is_engaged(CallState state) noexcept;

 private:
  using Call = call_detail::Call;

  void on(const StartCall& e);
  void on(const Accept& e);
  void on(const Reject& e);
  void on(const Cancel& e);
  void on(const Hangup& e);
  void on(const InviteMore& e);
  void on(const MuteRequest& e);
  void on(const Kick& e);
  void on(const EndForAll& e);
  void on(const Rejoin& e);
  void on(const TokenExpiring& e);
  void on(const IncomingMessage& e);
  void on(const RequestFailed& e);
  void on(const LiveCallReported& e);
  void on(const TimerFired& e);
  void on(const RtcJoined& e);
  void on(const RtcLeft& e);
  void on(const RtcFailed& e);
  void rtc_gone(const std::string& call_id, EndReason reason);
  void on(const ConnectionChanged& e);

  void on_invite(const Envelope& m);
  void on_caller_invite(const Envelope& m);
  void on_callee_invite(const Envelope& m);
  void on_participant_update(Call& c, const Envelope& m);

  Call* find(std::string_view key);
  Call* find_engaged();
  Call* find_ringing();
  Call* find_recovered();
  bool is_ended(std::string_view key) const;
  void remember_ended(const std::string& key);
  void forget_old();

  void send(MessageType type, const std::string& call_id, Body body, std::string message_id = {});
  void arm(Call& c, TimerKind kind, std::int64_t duration_ms);
  void disarm(Call& c, TimerKind kind);
  void join_rtc(Call& c);
  void set_state(Call& c, CallState state, std::optional<EndReason> reason = std::nullopt);
  void enter_active(Call& c);
  void arm_token_renewal(Call& c);
  void notify_participants(const Call& c);
  void refuse(const std::string& call_id, const char* what, const char* why);
  // Ends `c`: stops ringing, cancels timers, leaves RTC; to `ending` when a leave is pending,
  // else `ended` (and `c` is erased: do not use it afterwards).
  void finish(Call& c, EndReason reason);
  void complete(Call& c);  // ending -> ended; erases `c`
  // The uplink that tells the service we leave `c` (cancel, reject, hangup), by state.
  void send_leave_request(const Call& c);

  CallConfig config_;
  std::int64_t now_ = 0;
  bool connected_ = false;
  std::vector<CallAction> out_;
  std::map<std::string, Call, std::less<>> calls_;
  std::map<std::string, std::int64_t, std::less<>> ended_;      // key -> forget at
  std::map<std::string, std::int64_t, std::less<>> abandoned_;  // request id -> forget at
};

}  // namespace callsignal
