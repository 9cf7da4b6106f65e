// Scenario tests of the call state machine: whole calls, step by step, checking the actions.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/call_check.h"
#include "core/call/call_machine.h"

using namespace callsignal;

namespace {

constexpr std::int64_t kT0 = 1700000000000;

CallConfig config_for(const std::string& user, BusyPolicy policy = BusyPolicy::auto_reject) {
  CallConfig config;
  config.self_user = user;
  config.self_client = "desktop@@@" + user;
  config.busy_policy = policy;
  return config;
}

Envelope msg(MessageType type, const std::string& call_id, std::int64_t ts = kT0) {
  static int next = 0;
  Envelope m;
  m.id = "m" + std::to_string(++next);
  m.type = type;
  m.from = "callsignal-service";
  m.ts_ms = ts;
  m.ttl_ms = 45000;
  m.call_id = call_id;
  return m;
}

Envelope invite(const std::string& call_id, const std::string& caller, std::vector<std::string> callees, bool as_caller,
                const std::string& request_id = "", std::int64_t ts = kT0) {
  Envelope m = msg(MessageType::invite, call_id, ts);
  m.body.set_string("role", as_caller ? "caller" : "callee");
  m.body.set_string("caller", caller);
  m.body.set_string_list("callees", callees);
  m.body.set_string("media", "video");
  m.body.set_string_map("rtc", {{"channel", call_id}, {"token", "t1"}, {"timestamp", std::to_string(kT0 / 1000 + 600)}});
  if (!request_id.empty()) m.body.set_string("request_id", request_id);
  return m;
}

Envelope update(const std::string& call_id, const std::string& who, const std::string& state) {
  Envelope m = msg(MessageType::participant_update, call_id);
  m.body.set_string("participant", who);
  m.body.set_string("state", state);
  return m;
}

Envelope ended(const std::string& call_id, const std::string& reason) {
  Envelope m = msg(MessageType::call_ended, call_id);
  m.body.set_string("reason", reason);
  return m;
}

template <class T>
std::vector<T> all(const std::vector<CallAction>& actions) {
  std::vector<T> found;
  for (const auto& a : actions) {
    if (const T* t = std::get_if<T>(&a)) found.push_back(*t);
  }
  return found;
}

template <class T>
bool has(const std::vector<CallAction>& actions) {
  return !all<T>(actions).empty();
}

bool sent(const std::vector<CallAction>& actions, MessageType type) {
  for (const auto& s : all<SendRequest>(actions)) {
    if (s.type == type) return true;
  }
  return false;
}

// A machine with an invariant checker on every step.
struct Device {
  explicit Device(CallConfig config) : machine(std::move(config)) {}
  std::vector<CallAction> feed(const CallEvent& e, std::int64_t now = kT0) {
    // A copy handles the event first: the machine is a value, and the same input on the same
    // state must give the same actions the checked machine then produces.
    last.clear();
    CallMachine copy = machine;
    last = copy.handle(e, now);
    const bool ok = checker.step(machine, e, now);
    INFO(checker.failure());
    REQUIRE(ok);
    return last;
  }
  CallMachine machine;
  CallInvariantChecker checker;
  std::vector<CallAction> last;
};

}  // namespace

TEST_CASE("call: 1:1 outgoing, answered, hung up", "[call]") {
  Device alice(config_for("alice"));
  auto a = alice.feed(StartCall{"r1", {"bob"}, Media::video, R"({"title":"sync"})"});
  REQUIRE(all<SendRequest>(a).size() == 1);
  CHECK(all<SendRequest>(a)[0].type == MessageType::call_request);
  CHECK(all<SendRequest>(a)[0].message_id == "r1");
  CHECK(all<SendRequest>(a)[0].body.get_string_list("callees").value() == std::vector<std::string>{"bob"});
  CHECK(alice.machine.state_of("r1") == CallState::outgoing);

  a = alice.feed(IncomingMessage{invite("c1", "alice", {"bob"}, true, "r1")});
  CHECK(all<NotifyCallId>(a).at(0).call_id == "c1");
  REQUIRE(has<JoinRtc>(a));  // the caller joins at once
  CHECK(all<JoinRtc>(a)[0].rtc.at("token") == "t1");
  CHECK(alice.machine.state_of("c1") == CallState::dialing);
  CHECK(alice.machine.state_of("r1") == CallState::idle);

  alice.feed(RtcJoined{"c1"});
  CHECK(alice.machine.state_of("c1") == CallState::dialing);  // bob still rings
  a = alice.feed(IncomingMessage{update("c1", "bob", "joined")});
  CHECK(alice.machine.state_of("c1") == CallState::active);
  CHECK(all<NotifyParticipants>(a).at(0).participants.at("bob") == ParticipantState::joined);

  a = alice.feed(Hangup{"c1"});
  CHECK(sent(a, MessageType::hangup));
  CHECK(has<LeaveRtc>(a));
  CHECK(alice.machine.state_of("c1") == CallState::ending);
  a = alice.feed(RtcLeft{"c1"});
  CHECK(all<NotifyState>(a).back().state == CallState::ended);
  CHECK(all<NotifyState>(a).back().reason == EndReason::local_hangup);
  CHECK(alice.machine.state_of("c1") == CallState::ended);
  CHECK(alice.feed(Hangup{"c1"}).empty());  // ended is terminal
}

TEST_CASE("call: 1:1 incoming rings, is accepted, the peer hangs up", "[call]") {
  Device bob(config_for("bob"));
  auto a = bob.feed(IncomingMessage{invite("c1", "alice", {"bob"}, false)});
  REQUIRE(all<Ring>(a).size() == 1);
  CHECK(all<Ring>(a)[0].caller == "alice");
  CHECK(sent(a, MessageType::ringing));
  CHECK_FALSE(has<JoinRtc>(a));  // the callee joins only when it answers
  CHECK(all<NotifyIncoming>(a).at(0).callees == std::vector<std::string>{"bob"});

  CHECK(bob.feed(IncomingMessage{invite("c1", "alice", {"bob"}, false)}).empty());  // a copy by push: rings once

  a = bob.feed(Accept{"c1"}, kT0 + 3000);
  CHECK(has<StopRinging>(a));
  CHECK(sent(a, MessageType::accept));
  CHECK(has<JoinRtc>(a));
  CHECK(bob.machine.state_of("c1") == CallState::accepting);
  bob.feed(RtcJoined{"c1"}, kT0 + 4000);
  CHECK(bob.machine.state_of("c1") == CallState::active);

  Envelope hangup = msg(MessageType::hangup, "c1");
  a = bob.feed(IncomingMessage{hangup}, kT0 + 60000);
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::remote_hangup);
  CHECK_FALSE(sent(a, MessageType::hangup));
  bob.feed(RtcLeft{"c1"}, kT0 + 60100);
  CHECK(bob.machine.state_of("c1") == CallState::ended);
  REQUIRE(bob.checker.drain(bob.machine, kT0 + 70000));
}

TEST_CASE("call: the callee rejects; the caller sees rejected", "[call]") {
  Device bob(config_for("bob"));
  bob.feed(IncomingMessage{invite("c1", "alice", {"bob"}, false)});
  auto a = bob.feed(Reject{"c1", "declined"});
  CHECK(all<SendRequest>(a).at(0).body.get_string("reason").value() == "declined");
  CHECK(has<StopRinging>(a));
  CHECK(bob.machine.state_of("c1") == CallState::ended);

  Device alice(config_for("alice"));
  alice.feed(StartCall{"r1", {"bob"}, Media::audio, ""});
  alice.feed(IncomingMessage{invite("c1", "alice", {"bob"}, true, "r1")});
  a = alice.feed(IncomingMessage{ended("c1", "rejected")});
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::rejected);
  CHECK(has<LeaveRtc>(a));
  REQUIRE(alice.checker.drain(alice.machine, kT0 + 10000));
}

TEST_CASE("call: group call with a reject, invite more, kick, mute request, end for all", "[call]") {
  Device alice(config_for("alice"));
  alice.feed(StartCall{"r1", {"bob", "carol", "dave"}, Media::video, ""});
  alice.feed(IncomingMessage{invite("g1", "alice", {"bob", "carol", "dave"}, true, "r1")});
  alice.feed(RtcJoined{"g1"});
  alice.feed(IncomingMessage{update("g1", "carol", "rejected")});
  CHECK(alice.machine.state_of("g1") == CallState::dialing);  // a reject does not end a group call
  alice.feed(IncomingMessage{update("g1", "bob", "joined")});
  CHECK(alice.machine.state_of("g1") == CallState::active);
  auto snapshot = alice.machine.call("g1");
  REQUIRE(snapshot);
  CHECK(snapshot->participants.at("carol") == ParticipantState::rejected);
  CHECK(snapshot->participants.at("dave") == ParticipantState::invited);

  auto a = alice.feed(InviteMore{"g1", {"erin"}});
  CHECK(sent(a, MessageType::invite_more));
  CHECK(alice.machine.call("g1")->participants.at("erin") == ParticipantState::invited);
  std::vector<std::string> too_many;
  for (int i = 0; i < 8; ++i) too_many.push_back("u" + std::to_string(i));
  a = alice.feed(InviteMore{"g1", too_many});  // above max_group (9)
  CHECK(has<NotifyCommandFailed>(a));
  CHECK_FALSE(has<SendRequest>(a));

  a = alice.feed(Kick{"g1", "dave"});
  CHECK(all<SendRequest>(a).at(0).body.get_string("target").value() == "dave");
  a = alice.feed(MuteRequest{"g1", "bob", true, false});
  CHECK(sent(a, MessageType::mute_request));

  Envelope mute = msg(MessageType::mute_request, "g1");
  mute.body.set_string("target", "alice");
  mute.body.set_string("by", "bob");
  a = alice.feed(IncomingMessage{mute});
  CHECK(all<NotifyMuteRequested>(a).at(0).by == "bob");  // shown to the user, never applied silently

  a = alice.feed(EndForAll{"g1"});
  CHECK(sent(a, MessageType::end_for_all));
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::ended_by_host);
  REQUIRE(alice.checker.drain(alice.machine, kT0 + 10000));
}

TEST_CASE("call: a group call above max_group is refused locally", "[call]") {
  Device alice(config_for("alice"));
  std::vector<std::string> callees;
  for (int i = 0; i < 9; ++i) callees.push_back("u" + std::to_string(i));
  auto a = alice.feed(StartCall{"r1", callees, Media::audio, ""});
  CHECK(has<NotifyCommandFailed>(a));
  CHECK(alice.machine.state_of("r1") == CallState::idle);
}

TEST_CASE("call: kicked and ended by the host (participant side)", "[call]") {
  Device bob(config_for("bob"));
  bob.feed(IncomingMessage{invite("g1", "alice", {"bob", "carol"}, false)});
  bob.feed(Accept{"g1"});
  bob.feed(RtcJoined{"g1"});
  auto a = bob.feed(IncomingMessage{ended("g1", "kicked")});
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::kicked);
  REQUIRE(bob.checker.drain(bob.machine, kT0 + 10000));
}

TEST_CASE("call: busy, auto-reject policy", "[call]") {
  Device bob(config_for("bob"));
  bob.feed(IncomingMessage{invite("c1", "alice", {"bob"}, false)});
  bob.feed(Accept{"c1"});
  auto a = bob.feed(IncomingMessage{invite("c2", "carol", {"bob"}, false)});
  CHECK(sent(a, MessageType::busy));
  CHECK_FALSE(has<Ring>(a));
  CHECK(all<NotifyMissed>(a).at(0).reason == EndReason::busy);
  CHECK(bob.machine.state_of("c2") == CallState::ended);
  CHECK(bob.machine.state_of("c1") == CallState::accepting);
  // A ringing call also makes the device busy for a third one.
  Device dan(config_for("dan"));
  dan.feed(IncomingMessage{invite("c1", "alice", {"dan"}, false)});
  CHECK(sent(dan.feed(IncomingMessage{invite("c2", "carol", {"dan"}, false)}), MessageType::busy));
  // And a StartCall while in a call is refused.
  CHECK(has<NotifyCommandFailed>(bob.feed(StartCall{"r9", {"erin"}, Media::audio, ""})));
}

TEST_CASE("call: busy, call-waiting policy; accepting the waiting call hangs up the first", "[call]") {
  Device bob(config_for("bob", BusyPolicy::call_waiting));
  bob.feed(IncomingMessage{invite("c1", "alice", {"bob"}, false)});
  bob.feed(Accept{"c1"});
  bob.feed(RtcJoined{"c1"});
  auto a = bob.feed(IncomingMessage{invite("c2", "carol", {"bob"}, false)});
  REQUIRE(all<Ring>(a).size() == 1);
  CHECK(all<Ring>(a)[0].waiting);
  CHECK(all<NotifyIncoming>(a).at(0).waiting);
  // A third call while one waits: busy.
  CHECK(sent(bob.feed(IncomingMessage{invite("c3", "dave", {"bob"}, false)}), MessageType::busy));

  a = bob.feed(Accept{"c2"});
  CHECK(sent(a, MessageType::hangup));
  CHECK(sent(a, MessageType::accept));
  CHECK(bob.machine.state_of("c1") == CallState::ending);
  CHECK(bob.machine.state_of("c2") == CallState::accepting);
  REQUIRE(bob.checker.drain(bob.machine, kT0 + 10000));
}

TEST_CASE("call: the caller cancels; before and after the service assigned the call id", "[call]") {
  Device alice(config_for("alice"));
  alice.feed(StartCall{"r1", {"bob"}, Media::audio, ""});
  auto a = alice.feed(Cancel{"r1"});
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::cancelled);
  CHECK_FALSE(has<SendRequest>(a));  // no call id to name yet
  a = alice.feed(IncomingMessage{invite("c1", "alice", {"bob"}, true, "r1")});
  CHECK(sent(a, MessageType::cancel));  // the invite for the abandoned attempt: cancel it there
  CHECK_FALSE(has<JoinRtc>(a));

  alice.feed(StartCall{"r2", {"bob"}, Media::audio, ""});
  alice.feed(IncomingMessage{invite("c2", "alice", {"bob"}, true, "r2")});
  a = alice.feed(Cancel{"c2"});
  CHECK(sent(a, MessageType::cancel));
  CHECK(has<LeaveRtc>(a));

  Device bob(config_for("bob"));
  bob.feed(IncomingMessage{invite("c2", "alice", {"bob"}, false)});
  a = bob.feed(IncomingMessage{msg(MessageType::cancel, "c2")});
  CHECK(has<StopRinging>(a));
  CHECK(all<NotifyMissed>(a).at(0).reason == EndReason::cancelled);
  // A cancel that overtakes its invite: the late invite never rings.
  bob.feed(IncomingMessage{msg(MessageType::cancel, "c3")});
  CHECK_FALSE(has<Ring>(bob.feed(IncomingMessage{invite("c3", "alice", {"bob"}, false)})));
  REQUIRE(bob.checker.drain(bob.machine, kT0 + 10000));
  REQUIRE(alice.checker.drain(alice.machine, kT0 + 10000));
}

TEST_CASE("call: ring timeout, invite lifetime, no answer at the caller, request timeout", "[call]") {
  Device bob(config_for("bob"));
  auto a = bob.feed(IncomingMessage{invite("c1", "alice", {"bob"}, false)});
  CHECK(all<StartTimer>(a).at(0).kind == TimerKind::ring);
  CHECK(all<StartTimer>(a).at(0).duration_ms == 30000);
  CHECK(all<StartTimer>(a).at(1).kind == TimerKind::lifetime);
  CHECK(all<StartTimer>(a).at(1).duration_ms == 45000);
  a = bob.feed(TimerFired{"c1", TimerKind::ring}, kT0 + 30000);
  CHECK(all<SendRequest>(a).at(0).body.get_string("reason").value() == "timeout");
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::no_answer);
  CHECK(bob.feed(TimerFired{"c1", TimerKind::lifetime}, kT0 + 45000).empty());  // a late fire of a cancelled timer

  // An invite already past its lifetime does not ring: a missed call.
  a = bob.feed(IncomingMessage{invite("c2", "alice", {"bob"}, false, "", kT0 - 60000)}, kT0 + 1000);
  CHECK_FALSE(has<Ring>(a));
  CHECK(all<NotifyMissed>(a).at(0).reason == EndReason::expired);
  // An invite with less life left than the ring timeout expires first.
  a = bob.feed(IncomingMessage{invite("c3", "alice", {"bob"}, false, "", kT0 - 40000)}, kT0);
  CHECK(all<StartTimer>(a).at(1).duration_ms == 5000);
  a = bob.feed(TimerFired{"c3", TimerKind::lifetime}, kT0 + 5000);
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::expired);

  Device alice(config_for("alice"));
  alice.feed(StartCall{"r1", {"bob"}, Media::audio, ""});
  alice.feed(IncomingMessage{invite("c9", "alice", {"bob"}, true, "r1")});
  alice.feed(RtcJoined{"c9"});
  a = alice.feed(TimerFired{"c9", TimerKind::ring}, kT0 + 30000);
  CHECK(sent(a, MessageType::cancel));
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::no_answer);
  alice.feed(RtcLeft{"c9"});
  alice.feed(StartCall{"r2", {"bob"}, Media::audio, ""});
  a = alice.feed(TimerFired{"r2", TimerKind::request}, kT0 + 50000);
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::service_error);
  REQUIRE(alice.checker.drain(alice.machine, kT0 + 60000));
  REQUIRE(bob.checker.drain(bob.machine, kT0 + 60000));
}

TEST_CASE("call: accept-to-joined timeout and an expired accept", "[call]") {
  Device bob(config_for("bob"));
  bob.feed(IncomingMessage{invite("c1", "alice", {"bob"}, false)});
  bob.feed(Accept{"c1"});
  auto a = bob.feed(TimerFired{"c1", TimerKind::join}, kT0 + 15000);
  CHECK(sent(a, MessageType::hangup));
  CHECK(has<LeaveRtc>(a));
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::join_failed);
  CHECK(bob.machine.state_of("c1") == CallState::ended);

  bob.feed(IncomingMessage{invite("c2", "alice", {"bob"}, false)});
  bob.feed(Accept{"c2"});
  a = bob.feed(RequestFailed{"c2", MessageType::accept, "call_expired"});
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::expired);
  REQUIRE(bob.checker.drain(bob.machine, kT0 + 60000));
}

TEST_CASE("call: glare resolves to the same call on both sides", "[call]") {
  // alice calls bob (c-a) while bob calls alice (c-b). "alice" < "bob": alice's call wins.
  Device alice(config_for("alice"));
  Device bob(config_for("bob"));
  alice.feed(StartCall{"ra", {"bob"}, Media::audio, ""});
  bob.feed(StartCall{"rb", {"alice"}, Media::audio, ""});
  SECTION("both invites as caller arrive first") {
    alice.feed(IncomingMessage{invite("c-a", "alice", {"bob"}, true, "ra")});
    bob.feed(IncomingMessage{invite("c-b", "bob", {"alice"}, true, "rb")});
  }
  SECTION("the callee invites overtake the caller invites") {}
  auto at_alice = alice.feed(IncomingMessage{invite("c-b", "bob", {"alice"}, false)});
  auto at_bob = bob.feed(IncomingMessage{invite("c-a", "alice", {"bob"}, false)});
  CHECK_FALSE(has<Ring>(at_alice));  // nobody rings twice, or at all
  CHECK_FALSE(has<Ring>(at_bob));
  CHECK(at_alice.empty());          // the winner ignores the loser's call
  CHECK(sent(at_bob, MessageType::accept));  // the loser accepts the winner's call at once
  CHECK(all<NotifyIncoming>(at_bob).at(0).auto_accepted);
  CHECK(bob.machine.state_of("c-a") == CallState::accepting);
  CHECK(bob.machine.state_of("c-b") != CallState::accepting);
  // The loser's own attempt ends (glare) and is cancelled at the service, now or when its invite comes.
  if (bob.machine.state_of("c-b") == CallState::idle) {
    CHECK(bob.machine.state_of("rb") == CallState::ended);
    CHECK(sent(bob.feed(IncomingMessage{invite("c-b", "bob", {"alice"}, true, "rb")}), MessageType::cancel));
  }
  // Alice's invite as caller arrives if it had not; then bob's join reaches her.
  if (alice.machine.state_of("c-a") != CallState::dialing) {
    alice.feed(IncomingMessage{invite("c-a", "alice", {"bob"}, true, "ra")});
  }
  alice.feed(RtcJoined{"c-a"});
  bob.feed(RtcJoined{"c-a"});
  alice.feed(IncomingMessage{update("c-a", "bob", "joined")});
  CHECK(alice.machine.state_of("c-a") == CallState::active);
  CHECK(bob.machine.state_of("c-a") == CallState::active);
  CHECK(alice.machine.engaged_call() == bob.machine.engaged_call());
  REQUIRE(alice.checker.drain(alice.machine, kT0 + 10000));
  REQUIRE(bob.checker.drain(bob.machine, kT0 + 10000));
}

TEST_CASE("call: multi-device, the first accept wins", "[call]") {
  Device phone(config_for("bob"));
  Device tablet(config_for("bob"));
  CHECK(has<Ring>(phone.feed(IncomingMessage{invite("c1", "alice", {"bob"}, false)})));
  CHECK(has<Ring>(tablet.feed(IncomingMessage{invite("c1", "alice", {"bob"}, false)})));
  phone.feed(Accept{"c1"});
  auto a = tablet.feed(IncomingMessage{ended("c1", "answered_elsewhere")});
  CHECK(has<StopRinging>(a));
  CHECK_FALSE(has<SendRequest>(a));
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::answered_elsewhere);
  CHECK(phone.machine.state_of("c1") == CallState::accepting);

  Device laptop(config_for("bob"));
  laptop.feed(IncomingMessage{invite("c2", "alice", {"bob"}, false)});
  CHECK(all<NotifyState>(laptop.feed(IncomingMessage{ended("c2", "rejected_elsewhere")})).at(0).reason ==
        EndReason::rejected_elsewhere);

  // The caller's other device gets an invite as caller too, for a request it did not send: it stays out.
  Device alice_tablet(config_for("alice"));
  CHECK(alice_tablet.feed(IncomingMessage{invite("c1", "alice", {"bob"}, true, "r-other-device")}).empty());
}

TEST_CASE("call: keepalive while active; peer silence ends with network_lost", "[call]") {
  Device bob(config_for("bob"));
  bob.feed(IncomingMessage{invite("c1", "alice", {"bob"}, false)});
  bob.feed(Accept{"c1"});
  auto a = bob.feed(RtcJoined{"c1"}, kT0 + 1000);
  bool keepalive_armed = false;
  for (const auto& t : all<StartTimer>(a)) keepalive_armed |= t.kind == TimerKind::keepalive && t.duration_ms == 15000;
  CHECK(keepalive_armed);
  a = bob.feed(TimerFired{"c1", TimerKind::keepalive}, kT0 + 16000);
  CHECK(all<SendRequest>(a).at(0).body.get_int("interval_ms").value() == 15000);
  a = bob.feed(IncomingMessage{msg(MessageType::keepalive, "c1")}, kT0 + 20000);
  CHECK(all<StartTimer>(a).at(0).kind == TimerKind::peer_silence);
  a = bob.feed(TimerFired{"c1", TimerKind::peer_silence}, kT0 + 65000);
  CHECK(sent(a, MessageType::hangup));
  CHECK(has<LeaveRtc>(a));
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::network_lost);
  REQUIRE(bob.checker.drain(bob.machine, kT0 + 70000));
}

TEST_CASE("call: RTC token renewal before expiry", "[call]") {
  Device bob(config_for("bob"));
  bob.feed(IncomingMessage{invite("c1", "alice", {"bob"}, false)});  // token expires at kT0 + 600 s
  bob.feed(Accept{"c1"});
  auto a = bob.feed(RtcJoined{"c1"});
  std::int64_t renew_in = -1;
  for (const auto& t : all<StartTimer>(a)) {
    if (t.kind == TimerKind::token_renewal) renew_in = t.duration_ms;
  }
  CHECK(renew_in == 600000 - 60000);  // the configured lead time before the expiry
  a = bob.feed(TimerFired{"c1", TimerKind::token_renewal}, kT0 + 540000);
  CHECK(sent(a, MessageType::token_renewal_request));
  Envelope renewal = msg(MessageType::token_renewal, "c1");
  renewal.body.set_string_map("rtc", {{"token", "t2"}, {"timestamp", std::to_string(kT0 / 1000 + 1200)}});
  a = bob.feed(IncomingMessage{renewal}, kT0 + 541000);
  REQUIRE(all<UpdateRtc>(a).size() == 1);
  CHECK(all<UpdateRtc>(a)[0].rtc.at("token") == "t2");
  CHECK(all<UpdateRtc>(a)[0].rtc.at("channel") == "c1");  // the other parameters stay
  CHECK(all<StartTimer>(a).at(0).duration_ms == 1200000 - 60000 - 541000);
  CHECK(sent(bob.feed(TokenExpiring{"c1"}), MessageType::token_renewal_request));  // the RTC SDK asks too
  REQUIRE(bob.checker.drain(bob.machine, kT0 + 600000));
}

TEST_CASE("call: after a restart, a live call is surfaced; rejoin or hang up", "[call]") {
  Device bob(config_for("bob"));
  auto a = bob.feed(LiveCallReported{"c1", "alice", {"alice", "bob"}, Media::video, {{"token", "t"}}});
  CHECK(all<NotifyLiveCall>(a).at(0).caller == "alice");
  CHECK_FALSE(has<Ring>(a));   // nothing rings ...
  CHECK_FALSE(has<JoinRtc>(a));  // ... or joins until the app decides
  CHECK(bob.machine.state_of("c1") == CallState::recovered);
  CHECK(has<NotifyCommandFailed>(bob.feed(StartCall{"r1", {"carol"}, Media::audio, ""})));
  a = bob.feed(Rejoin{"c1"});
  CHECK(has<JoinRtc>(a));
  CHECK(bob.machine.state_of("c1") == CallState::connecting);
  bob.feed(RtcJoined{"c1"});
  CHECK(bob.machine.state_of("c1") == CallState::active);
  REQUIRE(bob.checker.drain(bob.machine, kT0 + 10000));

  Device carol(config_for("carol"));
  carol.feed(LiveCallReported{"c2", "alice", {"alice", "carol"}, Media::audio, {}});
  a = carol.feed(Hangup{"c2"});
  CHECK(sent(a, MessageType::hangup));
  CHECK_FALSE(has<LeaveRtc>(a));
  CHECK(carol.machine.state_of("c2") == CallState::ended);
}

TEST_CASE("call: the service refuses the call request", "[call]") {
  Device alice(config_for("alice"));
  alice.feed(StartCall{"r1", {"bob"}, Media::audio, ""});
  Envelope error = msg(MessageType::error, "");
  error.body.set_string("code", "too_many_participants");
  error.body.set_string("reply_to", "r1");
  auto a = alice.feed(IncomingMessage{error});
  CHECK(all<NotifyState>(a).at(0).reason == EndReason::service_error);
  CHECK(alice.machine.state_of("r1") == CallState::ended);
}

TEST_CASE("call: same inputs, same outputs", "[call]") {
  auto run = [] {
    CallMachine m(config_for("bob"));
    std::vector<std::string> trace;
    auto feed = [&](const CallEvent& e, std::int64_t t) {
      for (const auto& a : m.handle(e, t)) trace.push_back(std::to_string(a.index()));
    };
    feed(IncomingMessage{invite("c1", "alice", {"bob"}, false)}, kT0);
    feed(Accept{"c1"}, kT0 + 10);
    feed(RtcJoined{"c1"}, kT0 + 20);
    feed(TimerFired{"c1", TimerKind::keepalive}, kT0 + 15020);
    feed(Hangup{"c1"}, kT0 + 20000);
    return trace;
  };
  CHECK(run() == run());
}
