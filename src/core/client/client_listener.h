// What a Client tells the app. Every callback runs on the client's EventLoop thread, serially,
// never under a lock of the client's; any Client member (close() included) may be called from one.
// The references passed in are valid until the callback returns.
#pragma once

#include <string>

#include "core/call/call_action.h"
#include "core/common/status.h"
#include "core/session/session.h"

namespace callsignal {

// A call that never rang here: ended before the device came back online, or refused busy.
struct MissedCallEvent {
  std::string call_id;
  std::string caller;
  EndReason reason = EndReason::cancelled;
};

// Something failed asynchronously: the service refused a request, a durable write failed.
struct ClientError {
  Errc code = Errc::internal;
  std::string call_id;  // empty if none
  std::string what;     // "accept", "call_request", "outbox", ...
  std::string message;  // English, no secrets
};

class ClientListener {
 public:
  virtual ~ClientListener() = default;
  virtual void on_connection(const ConnectionEvent& event) { (void)event; }
  virtual void on_incoming_call(const NotifyIncoming& event) { (void)event; }
  virtual void on_call_state(const NotifyState& event) { (void)event; }
  virtual void on_call_id(const NotifyCallId& event) { (void)event; }
  virtual void on_join_rtc(const JoinRtc& event) { (void)event; }
  virtual void on_rtc_update(const UpdateRtc& event) { (void)event; }
  virtual void on_leave_rtc(const LeaveRtc& event) { (void)event; }
  virtual void on_participants(const NotifyParticipants& event) { (void)event; }
  virtual void on_mute_request(const NotifyMuteRequested& event) { (void)event; }
  virtual void on_missed_call(const MissedCallEvent& event) { (void)event; }
  virtual void on_error(const ClientError& error) { (void)error; }
};

}  // namespace callsignal
