// The app's cs_listener_t behind the core's ClientListener: each event converted to its C struct
// (strings and arrays that live until the callback returns), user_data released exactly once.
#pragma once

#include "capi/capi_support.h"
#include "core/client/client_listener.h"

namespace callsignal::capi {

class AppListener final : public ClientListener {
 public:
  explicit AppListener(const cs_listener_t& listener) noexcept : c_(listener) {}
  ~AppListener() override;  // calls release(user_data)
  AppListener(const AppListener&) = delete;
  AppListener& operator=(const AppListener&) = delete;

  void on_connection(const ConnectionEvent& event) override;
  void on_incoming_call(const NotifyIncoming& event) override;
  void on_call_state(const NotifyState& event) override;
  void on_call_id(const NotifyCallId& event) override;
  void on_join_rtc(const JoinRtc& event) override;
  void on_rtc_update(const UpdateRtc& event) override;
  void on_leave_rtc(const LeaveRtc& event) override;
  void on_participants(const NotifyParticipants& event) override;
  void on_mute_request(const NotifyMuteRequested& event) override;
  void on_missed_call(const MissedCallEvent& event) override;
  void on_error(const ClientError& error) override;

 private:
  const cs_listener_t c_;
};

// The first release's cs_listener_t size.
inline constexpr std::size_t kListenerV1Size = sizeof(cs_listener_t);

}  // namespace callsignal::capi
