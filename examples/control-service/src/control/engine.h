// The protocol logic of the control service: every uplink message in, signed downlink messages
// out, calls and presence in between. docs/control-service.md describes the behaviour; this is
// the code.
//
// The engine does no I/O of its own and reads no clock: ControlService feeds it payloads and
// ticks with the time, on one thread (its event loop), and gives it a Publisher. So it is not
// thread-safe, and needs no lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "control/call.h"
#include "control/control_config.h"
#include "control/directory.h"
#include "control/dispatcher.h"
#include "control/log.h"
#include "control/rtc_minter.h"
#include "control/seen_ids.h"
#include "control/stats.h"
#include "core/envelope/decode.h"
#include "core/envelope/envelope.h"

namespace callsignal::control {

class Engine {
 public:
  // `config` and `minter` must outlive the engine.
  Engine(const ControlConfig& config, const RtcMinter& minter, Publisher publisher, Logger& logger);

  // One MQTT message from the uplink topics. wall_ms: the service clock (ts of what it sends);
  // mono_ms: a monotonic clock for timeouts.
  void on_uplink(const std::string& topic, const std::string& payload, std::int64_t wall_ms, std::int64_t mono_ms);
  // Timeouts and re-sends: call every few tens of milliseconds.
  void tick(std::int64_t wall_ms, std::int64_t mono_ms);

  ControlStats stats() const;
  // The live calls' ids, and one call's participants as "user:state" (tests, diagnostics).
  std::vector<std::string> live_calls() const;
  std::vector<std::string> describe_call(const std::string& call_id) const;

 private:
  // Why a participant leaves a call.
  enum class LeaveCause { hangup, timeout, kicked };

  void set_time(std::int64_t wall_ms, std::int64_t mono_ms);
  // Shared subscriptions: hands a request about another instance's call to that instance (true),
  // or tells the peers of a hello or ack.
  bool forward_to_owner(const Envelope& message, const std::string& payload);
  void on_peer_broadcast(const std::string& payload);
  void handle(const Envelope& message);
  void refuse(const std::string& reason);
  void reply_error(const Envelope& request, const std::string& code, const std::string& detail);
  void reply_error_to(const std::string& to, const std::string& reply_to, const std::string& code,
                      const std::string& detail);
  std::string send(const std::string& to, MessageType type, const std::string& call_id, Body body,
                   std::int64_t ttl_ms = 0);

  // engine_presence.cpp
  void on_hello(const Envelope& m);
  void on_status(const Envelope& m);
  void on_bare_status(const std::string& client_id, bool online);
  void on_ack(const Envelope& m);
  void on_keepalive(const Envelope& m, Call& call);
  void device_offline(const std::string& client_id);
  void check_liveness();

  // engine_calls.cpp
  void on_call_request(const Envelope& m);
  void on_invite_more(const Envelope& m, Call& call);
  void on_token_renewal_request(const Envelope& m, Call& call);
  // Invites `user` (a new callee) to `call`: invites to every device, or busy / no_answer at once.
  void invite_callee(Call& call, const std::string& user, const std::vector<std::string>& callees,
                     const std::vector<std::string>& members, bool announce);
  bool user_busy(const std::string& user, const std::string& except_call) const;
  Result<RtcParams> mint(const Call& call, const std::string& user);
  std::string new_call_id();

  // engine_answers.cpp
  void on_call_message(const Envelope& m);
  void on_ringing(const Envelope& m, Call& call, Participant& p);
  void on_accept(const Envelope& m, Call& call, Participant& p);
  void on_refusal(const Envelope& m, Call& call, Participant& p, PartState outcome);
  void on_cancel(const Envelope& m, Call& call, Participant& p);
  void on_hangup(const Envelope& m, Call& call, Participant& p);
  void on_kick(const Envelope& m, Call& call, Participant& p);
  void on_end_for_all(const Envelope& m, Call& call, Participant& p);
  void on_mute_request(const Envelope& m, Call& call, Participant& p);
  void check_ring_timeouts();

  // engine_lifecycle.cpp: changes that may end the call. Each returns false when the call ended
  // (and was erased): the caller must not touch `call` after that.
  bool callee_out(Call& call, Participant& p, PartState outcome, const std::string& except_device);
  bool leave(Call& call, Participant& p, LeaveCause cause);
  bool cancel_call(Call& call, const std::string& reason);
  // Tells every participant still in the call `call_ended` with `reason`, and forgets the call.
  void end_call(Call& call, const std::string& reason);
  bool end_if_alone(Call& call, const std::string& reason);
  // participant_update about `subject` to everyone else in the call.
  void update_others(const Call& call, const std::string& subject, PartState state);
  // Tells `devices` that the call is over for them (call_ended `reason`).
  void end_for_devices(const Call& call, const std::vector<std::string>& devices, const std::string& reason,
                       std::int64_t duration_ms);
  void erase_call(const std::string& call_id, const std::string& reason);

  const ControlConfig& config_;
  const ControlLimits& limits_;
  const RtcMinter& minter_;
  Logger& logger_;
  Publisher publisher_;  // for what is not a signed downlink message (peer traffic)
  Dispatcher dispatcher_;
  Directory directory_;
  SeenIds seen_;
  RejectCounters decode_counters_;
  DecodeOptions decode_options_;
  std::string request_topic_;
  std::string status_topic_;
  bool shared_ = false;          // instances share the requests (ControlConfig::shared_group)
  std::string peer_topic_;       // ours: requests about our calls that a peer received
  std::string broadcast_topic_;  // every instance's hello and ack

  std::map<std::string, Call> calls_;                   // live calls by id
  std::map<std::string, std::int64_t> ended_calls_;     // recently ended: call id -> forget at (mono)
  std::int64_t wall_ms_ = 0;
  std::int64_t mono_ms_ = 0;

  ControlStats stats_;
};

}  // namespace callsignal::control
