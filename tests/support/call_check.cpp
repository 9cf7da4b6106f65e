#include "support/call_check.h"

#include <iterator>
#include <type_traits>

namespace callsignal {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

bool CallInvariantChecker::fail(std::string what) {
  if (failure_.empty()) failure_ = std::move(what);
  return false;
}

bool CallInvariantChecker::step(CallMachine& machine, const CallEvent& event, std::int64_t now_ms) {
  if (!ok()) return false;
  if (const auto* fired = std::get_if<TimerFired>(&event)) timers_.erase({fired->call_id, fired->kind});
  return check(machine, machine.handle(event, now_ms));
}

bool CallInvariantChecker::check(const CallMachine& machine, const std::vector<CallAction>& actions) {
  for (const auto& action : actions) {
    std::visit(Overloaded{
                   [&](const Ring& a) {
                     if (!ringing_.insert(a.call_id).second) fail("Ring twice: " + a.call_id);
                     ++rings_;
                   },
                   [&](const StopRinging& a) {
                     if (ringing_.erase(a.call_id) == 0) fail("StopRinging without Ring: " + a.call_id);
                   },
                   [&](const JoinRtc& a) {
                     if (!in_rtc_.insert(a.call_id).second) fail("JoinRtc twice: " + a.call_id);
                     ++joins_;
                   },
                   [&](const LeaveRtc& a) {
                     if (in_rtc_.erase(a.call_id) == 0) fail("LeaveRtc without JoinRtc: " + a.call_id);
                   },
                   [&](const StartTimer& a) {
                     if (a.duration_ms < 0) fail("negative timer");
                     timers_.insert({a.call_id, a.kind});
                   },
                   [&](const CancelTimer& a) {
                     if (timers_.erase({a.call_id, a.kind}) == 0) {
                       fail("CancelTimer of an unarmed timer: " + a.call_id + " " + to_string(a.kind));
                     }
                   },
                   [&](const NotifyCallId& a) {
                     for (const auto& timer : timers_) {
                       if (timer.first == a.request_id) fail("timer left on the request key " + a.request_id);
                     }
                     if (ringing_.count(a.request_id) != 0 || in_rtc_.count(a.request_id) != 0) {
                       fail("ring/RTC left on the request key");
                     }
                     states_.erase(a.request_id);
                   },
                   [&](const NotifyState& a) {
                     if (ended_.count(a.call_id) != 0) fail("state after ended: " + a.call_id);
                     states_[a.call_id] = a.state;
                     if (a.state == CallState::ended) {
                       ended_.insert(a.call_id);
                       states_.erase(a.call_id);
                       if (ringing_.count(a.call_id) != 0) fail("ended while ringing: " + a.call_id);
                       if (in_rtc_.count(a.call_id) != 0) fail("ended while in RTC: " + a.call_id);
                       for (const auto& timer : timers_) {
                         if (timer.first == a.call_id) fail("timer outlives its call: " + a.call_id);
                       }
                     }
                   },
                   [&](const auto&) {},
               },
               action);
  }
  std::size_t engaged = 0;
  const auto live = machine.calls();
  for (const auto& call : live) {
    if (CallMachine::is_engaged(call.state)) ++engaged;
    auto it = states_.find(call.call_id);
    if (it == states_.end() || it->second != call.state) fail("machine state not notified: " + call.call_id);
  }
  if (engaged > 1) fail("more than one engaged call");
  if (live.size() != states_.size()) fail("a notified call is not live in the machine");
  return ok();
}

bool CallInvariantChecker::drain(CallMachine& machine, std::int64_t now_ms) {
  for (const auto& call : machine.calls()) {
    if (!step(machine, Hangup{call.call_id}, now_ms)) return false;
  }
  for (int round = 0; round < 4 && !timers_.empty(); ++round) {
    const auto pending = timers_;
    for (const auto& timer : pending) {
      if (!step(machine, TimerFired{timer.first, timer.second}, now_ms)) return false;
    }
  }
  if (!machine.calls().empty()) return fail("a call is still live after drain");
  if (!ringing_.empty()) return fail("still ringing after drain");
  if (!in_rtc_.empty()) return fail("still in RTC after drain");
  if (!timers_.empty()) return fail("timers armed after drain");
  return ok();
}

// ---- driver ----

CallConfig CallEventDriver::config(BusyPolicy policy) {
  CallConfig config;
  config.self_user = "alice";
  config.self_client = "desktop@@@alice-laptop";
  config.busy_policy = policy;
  config.max_group = 4;
  config.ended_memory_ms = 1000LL * 3600 * 24 * 365;  // call ids never come back within a run
  return config;
}

std::uint8_t CallEventDriver::byte() { return pos_ < size_ ? data_[pos_++] : 0; }

const std::string& CallEventDriver::pick(const std::vector<std::string>& from) { return from[byte() % from.size()]; }

Envelope CallEventDriver::message(MessageType type, const std::string& call_id) {
  Envelope m;
  m.id = std::to_string(next_id_++);
  m.type = type;
  m.from = "callsignal-service";
  m.to = "desktop@@@alice-laptop";
  m.ts_ms = now_ - (byte() % 4) * 20000;  // sometimes old: the invite may have expired
  m.ttl_ms = 45000;
  m.call_id = call_id;
  return m;
}

CallEvent CallEventDriver::next(const CallInvariantChecker& checker, const CallMachine& machine) {
  static const std::vector<std::string> kPeers = {"bob", "carol", "aaron", "alice"};
  static const std::vector<std::string> kCalls = {"c1", "c2", "c3", "c4", "c5"};
  static const std::vector<std::string> kRequests = {"r1", "r2", "r3"};
  static const std::vector<std::string> kReasons = {"hangup", "answered_elsewhere", "rejected_elsewhere", "kicked",
                                                    "ended_for_all", "timeout", "other"};
  static const std::vector<std::string> kParticipantStates = {"joined", "left", "rejected", "ringing", "bogus"};
  now_ += byte() * 100;

  // Half the local commands and RTC reports aim at a live call, so they do something.
  std::vector<std::string> keys = kCalls;
  for (const auto& call : machine.calls()) keys.push_back(call.call_id);
  const auto live = machine.calls();
  const std::string key = (byte() & 1) != 0 && !live.empty() ? live.front().call_id : pick(keys);

  switch (byte() % 24) {
    case 0: {
      StartCall e{pick(kRequests), {pick(kPeers)}, Media::video, ""};
      if ((byte() & 3) == 0) e.callees.push_back(pick(kPeers));
      return e;
    }
    case 1: return Accept{key};
    case 2: return Reject{key, "declined"};
    case 3: return Cancel{key};
    case 4: return Hangup{key};
    case 5: return InviteMore{key, {pick(kPeers)}};
    case 6: return (byte() & 1) != 0 ? CallEvent{MuteRequest{key, pick(kPeers)}} : CallEvent{Kick{key, pick(kPeers)}};
    case 7: return (byte() & 1) != 0 ? CallEvent{EndForAll{key}} : CallEvent{Rejoin{key}};
    case 8: case 9: {  // invite, as caller (answering a request) or callee
      Envelope m = message(MessageType::invite, pick(kCalls));
      const bool as_caller = (byte() & 1) != 0;
      const std::string peer = pick(kPeers);
      m.body.set_string("role", as_caller ? "caller" : "callee");
      m.body.set_string("caller", as_caller ? "alice" : peer);
      std::vector<std::string> callees{as_caller ? peer : std::string("alice")};
      if ((byte() & 3) == 0) callees.push_back(pick(kPeers));
      m.body.set_string_list("callees", callees);
      m.body.set_string("media", "audio");
      m.body.set_string_map("rtc", {{"token", "t"}, {"timestamp", std::to_string(now_ / 1000 + byte() * 10)}});
      if (as_caller) m.body.set_string("request_id", pick(kRequests));
      return IncomingMessage{m};
    }
    case 10: {
      static const MessageType kEnds[] = {MessageType::cancel, MessageType::hangup, MessageType::call_ended};
      Envelope m = message(kEnds[byte() % 3], pick(kCalls));
      if (m.type == MessageType::call_ended) m.body.set_string("reason", pick(kReasons));
      return IncomingMessage{m};
    }
    case 11: {
      Envelope m = message(MessageType::participant_update, pick(kCalls));
      m.body.set_string("participant", pick(kPeers));
      m.body.set_string("state", pick(kParticipantStates));
      return IncomingMessage{m};
    }
    case 12: {
      static const MessageType kOthers[] = {MessageType::keepalive, MessageType::mute_request,
                                            MessageType::token_renewal, MessageType::ringing};
      Envelope m = message(kOthers[byte() % 4], pick(kCalls));
      if (m.type == MessageType::mute_request) m.body.set_string("target", "alice");
      if (m.type == MessageType::token_renewal) m.body.set_string_map("rtc", {{"token", "t2"}});
      return IncomingMessage{m};
    }
    case 13: {
      Envelope m = message(MessageType::error, "");
      m.body.set_string("code", (byte() & 1) != 0 ? "busy" : "internal");
      m.body.set_string("reply_to", pick(kRequests));
      return IncomingMessage{m};
    }
    case 14: return RequestFailed{key, (byte() & 1) != 0 ? MessageType::accept : MessageType::kick, "call_expired"};
    case 15: return LiveCallReported{pick(kCalls), pick(kPeers), {"alice", pick(kPeers)}, Media::audio, {{"token", "t"}}};
    case 16: case 17: case 18: {  // an armed timer fires (time moves on to it, roughly)
      const auto& timers = checker.armed_timers();
      if (timers.empty()) return TimerFired{key, static_cast<TimerKind>(byte() % kTimerKindCount)};  // a stray fire
      auto it = timers.begin();
      std::advance(it, byte() % timers.size());
      now_ += 1000;
      return TimerFired{it->first, it->second};
    }
    case 19: return RtcJoined{key};
    case 20: return (byte() & 1) != 0 ? CallEvent{RtcLeft{key}} : CallEvent{RtcFailed{key}};
    case 21: return ConnectionChanged{(byte() & 1) != 0};
    case 22: return TokenExpiring{key};
    default: return TimerFired{pick(kCalls), static_cast<TimerKind>(byte() % kTimerKindCount)};
  }
}

}  // namespace callsignal
