// The transition-table test: builds a machine into every state of one call X, feeds it every
// kind of event about X, and checks the state X ends in against call_transitions() (the table
// docs/call-states.md shows). A pair missing from the table must be ignored: state unchanged and
// no action but a NotifyCommandFailed.
#include <catch2/catch.hpp>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "support/call_check.h"
#include "core/call/call_machine.h"
#include "core/call/call_transitions.h"

using namespace callsignal;

namespace {

constexpr std::int64_t kNow = 1700000000000;
const std::string kCall = "c-x";
const std::string kRequest = "r-x";

CallConfig table_config() {
  CallConfig config;
  config.self_user = "alice";
  return config;
}

Envelope downlink(MessageType type) {
  Envelope m;
  m.id = "m-" + std::string(to_string(type));
  m.type = type;
  m.from = "callsignal-service";
  m.to = "desktop@@@alice";
  m.ts_ms = kNow;
  m.ttl_ms = 45000;
  m.call_id = kCall;
  return m;
}

Envelope invite(bool as_caller) {
  Envelope m = downlink(MessageType::invite);
  m.body.set_string("role", as_caller ? "caller" : "callee");
  m.body.set_string("caller", as_caller ? "alice" : "bob");
  m.body.set_string_list("callees", {as_caller ? "bob" : "alice"});
  m.body.set_string("media", "video");
  m.body.set_string_map("rtc",
                        {{"channel", kCall}, {"token", "t1"}, {"timestamp", std::to_string(kNow / 1000 + 7200)}});
  if (as_caller) m.body.set_string("request_id", kRequest);
  return m;
}

Envelope participant(const char* state) {
  Envelope m = downlink(MessageType::participant_update);
  m.body.set_string("participant", "bob");
  m.body.set_string("state", state);
  return m;
}

// Drives a fresh machine until call X is in `state`; returns X's key (request id when outgoing).
std::string build(CallMachine& m, CallState state) {
  auto feed = [&](const CallEvent& e) { m.handle(e, kNow); };
  switch (state) {
    case CallState::idle: return kCall;
    case CallState::outgoing: feed(StartCall{kRequest, {"bob"}, Media::video, ""}); return kRequest;
    case CallState::dialing:
      build(m, CallState::outgoing);
      feed(IncomingMessage{invite(true)});
      return kCall;
    case CallState::connecting:
      build(m, CallState::dialing);
      feed(IncomingMessage{participant("joined")});
      return kCall;
    case CallState::active:
      build(m, CallState::dialing);
      feed(RtcJoined{kCall});
      feed(IncomingMessage{participant("joined")});
      return kCall;
    case CallState::incoming: feed(IncomingMessage{invite(false)}); return kCall;
    case CallState::accepting:
      build(m, CallState::incoming);
      feed(Accept{kCall});
      return kCall;
    case CallState::recovered:
      feed(LiveCallReported{kCall, "bob", {"alice", "bob"}, Media::audio, {{"token", "t"}}});
      return kCall;
    case CallState::ending:
      build(m, CallState::active);
      feed(Hangup{kCall});
      return kCall;
    case CallState::ended:
      build(m, CallState::ending);
      feed(RtcLeft{kCall});
      return kCall;
  }
  return kCall;
}

CallEvent make_event(CallEventKind kind, CallState from, const std::string& key) {
  using K = CallEventKind;
  switch (kind) {
    case K::start_call:
      return from == CallState::idle ? StartCall{kRequest, {"bob"}, Media::video, ""}
                                     : StartCall{"r-other", {"carol"}, Media::audio, ""};
    case K::accept: return Accept{key};
    case K::reject: return Reject{key, "declined"};
    case K::cancel: return Cancel{key};
    case K::hangup: return Hangup{key};
    case K::invite_more: return InviteMore{key, {"dave"}};
    case K::mute_request: return MuteRequest{key, "bob", true, false};
    case K::kick: return Kick{key, "bob"};
    case K::end_for_all: return EndForAll{key};
    case K::rejoin: return Rejoin{key};
    case K::token_expiring: return TokenExpiring{key};
    case K::invite_as_caller: return IncomingMessage{invite(true)};
    case K::invite_as_callee: return IncomingMessage{invite(false)};
    case K::msg_cancel: return IncomingMessage{downlink(MessageType::cancel)};
    case K::msg_hangup: return IncomingMessage{downlink(MessageType::hangup)};
    case K::msg_call_ended: {
      Envelope m = downlink(MessageType::call_ended);
      m.body.set_string("reason", "ended_for_all");
      return IncomingMessage{m};
    }
    case K::participant_joined: return IncomingMessage{participant("joined")};
    case K::participant_left: return IncomingMessage{participant("left")};
    case K::msg_mute_request: {
      Envelope m = downlink(MessageType::mute_request);
      m.body.set_string("target", "alice");
      m.body.set_string("by", "bob");
      return IncomingMessage{m};
    }
    case K::msg_keepalive: return IncomingMessage{downlink(MessageType::keepalive)};
    case K::msg_token_renewal: {
      Envelope m = downlink(MessageType::token_renewal);
      m.body.set_string_map("rtc", {{"token", "t2"}, {"timestamp", std::to_string(kNow / 1000 + 10800)}});
      return IncomingMessage{m};
    }
    case K::msg_error: {
      Envelope m = downlink(MessageType::error);
      m.call_id.clear();
      m.body.set_string("code", "internal");
      m.body.set_string("reply_to", kRequest);
      return IncomingMessage{m};
    }
    case K::msg_other: {
      Envelope m = downlink(MessageType::ringing);
      m.body.set_string("invite_id", "m-invite");
      return IncomingMessage{m};
    }
    case K::request_failed: return RequestFailed{key, MessageType::accept, "call_expired"};
    case K::live_call_reported: return LiveCallReported{kCall, "bob", {"alice", "bob"}, Media::audio, {{"token", "t"}}};
    case K::timer_request: return TimerFired{key, TimerKind::request};
    case K::timer_ring: return TimerFired{key, TimerKind::ring};
    case K::timer_lifetime: return TimerFired{key, TimerKind::lifetime};
    case K::timer_join: return TimerFired{key, TimerKind::join};
    case K::timer_keepalive: return TimerFired{key, TimerKind::keepalive};
    case K::timer_peer_silence: return TimerFired{key, TimerKind::peer_silence};
    case K::timer_token_renewal: return TimerFired{key, TimerKind::token_renewal};
    case K::timer_leave: return TimerFired{key, TimerKind::leave};
    case K::rtc_joined: return RtcJoined{key};
    case K::rtc_left: return RtcLeft{key};
    case K::rtc_failed: return RtcFailed{key};
    case K::connection_lost: return ConnectionChanged{false};
    case K::connection_restored: return ConnectionChanged{true};
  }
  return ConnectionChanged{false};
}

// X's state after the event; an outgoing call that got its id is followed to the id.
CallState state_after(const CallMachine& m, CallState from, const std::string& key) {
  if (from == CallState::outgoing && m.state_of(key) == CallState::idle && m.state_of(kCall) != CallState::idle) {
    return m.state_of(kCall);
  }
  if (from == CallState::idle) {
    CallState by_request = m.state_of(kRequest);
    if (by_request != CallState::idle) return by_request;
  }
  return m.state_of(key);
}

const CallTransition* find_row(CallState from, CallEventKind kind) {
  for (const auto& row : call_transitions()) {
    if (row.from == from && row.event == kind) return &row;
  }
  return nullptr;
}

bool only_refusals(const std::vector<CallAction>& actions) {
  for (const auto& a : actions) {
    if (!std::holds_alternative<NotifyCommandFailed>(a)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("call: every (state, event kind) pair matches the transition table", "[call]") {
  int pairs = 0;
  for (int s = 0; s < kCallStateCount; ++s) {
    const auto from = static_cast<CallState>(s);
    for (int k = 0; k < kCallEventKindCount; ++k) {
      const auto kind = static_cast<CallEventKind>(k);
      CAPTURE(to_string(from), to_string(kind));
      CallMachine m(table_config());
      const std::string key = build(m, from);
      REQUIRE(state_after(m, from, key) == from);
      const auto actions = m.handle(make_event(kind, from, key), kNow + 1000);
      const CallState to = state_after(m, from, key);
      if (const CallTransition* row = find_row(from, kind)) {
        CHECK(to_string(to) == std::string(to_string(row->to)));
      } else {
        CHECK(to_string(to) == std::string(to_string(from)));
        CHECK(only_refusals(actions));
      }
      ++pairs;
    }
  }
  CHECK(pairs == kCallStateCount * kCallEventKindCount);
}

TEST_CASE("call: the transition table is ordered and has no duplicate pair", "[call]") {
  const auto& table = call_transitions();
  for (std::size_t i = 1; i < table.size(); ++i) {
    const auto& a = table[i - 1];
    const auto& b = table[i];
    CAPTURE(i, to_string(b.from), to_string(b.event));
    CHECK((a.from < b.from || (a.from == b.from && a.event < b.event)));
  }
}

TEST_CASE("call: ended is terminal in the table", "[call]") {
  for (const auto& row : call_transitions()) {
    if (row.from == CallState::ended) CHECK(row.to == CallState::ended);
  }
}

// Not run by default: prints the observed table (used to review the machine against the spec).
TEST_CASE("call: dump the observed transitions", "[.dump]") {
  for (int s = 0; s < kCallStateCount; ++s) {
    const auto from = static_cast<CallState>(s);
    for (int k = 0; k < kCallEventKindCount; ++k) {
      const auto kind = static_cast<CallEventKind>(k);
      CallMachine m(table_config());
      const std::string key = build(m, from);
      const auto actions = m.handle(make_event(kind, from, key), kNow + 1000);
      const CallState to = state_after(m, from, key);
      if (to == from && only_refusals(actions)) continue;
      std::ostringstream acts;
      for (const auto& a : actions) {
        if (const auto* send = std::get_if<SendRequest>(&a)) acts << " send:" << to_string(send->type);
        else if (const auto* st = std::get_if<StartTimer>(&a)) acts << " start:" << to_string(st->kind);
        else if (const auto* ct = std::get_if<CancelTimer>(&a)) acts << " cancel:" << to_string(ct->kind);
        else if (const auto* ns = std::get_if<NotifyState>(&a)) {
          acts << " state:" << to_string(ns->state) << (ns->reason ? std::string("/") + to_string(*ns->reason) : "");
        }
        else acts << " #" << a.index();
      }
      std::cout << "      {S::" << to_string(from) << ", E::" << to_string(kind) << ", S::" << to_string(to)
                << ", \"\"},  //" << acts.str() << "\n";
    }
  }
}
