// Calls end to end: callsignal-cli devices and callsignal-control through a real Mosquitto, every
// one a real process. What each device's user sees is what its CLI prints.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

#include "e2e/e2e_checks.h"

using namespace callsignal::e2e;

namespace {

long long ms_between(const JsonLine& from, const JsonLine& to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to.at - from.at).count();
}

}  // namespace

TEST_CASE("e2e: 1:1 call: ring, accept, both join RTC and go active, the caller hangs up") {
  World w;
  w.add_devices({"alice", "bob"});
  CliDevice& alice = w["alice"];
  CliDevice& bob = w["bob"];

  const std::string id = alice.call({"bob"});
  const JsonLine incoming = bob.expect(ev("incoming_call").with("call_id", id));
  CHECK(incoming.str("caller") == "alice");
  CHECK(incoming.strings("callees") == std::vector<std::string>{"bob"});
  CHECK_FALSE(incoming.flag("waiting"));
  // The caller joins the RTC channel at once; the callee when it answers.
  const JsonLine alice_rtc = alice.expect(ev("join_rtc").with("call_id", id));
  CHECK(alice_rtc.str("vendor") == "test");
  CHECK_FALSE(bob.saw(ev("join_rtc")));

  bob.command("accept");
  const JsonLine bob_rtc = bob.expect(ev("join_rtc").with("call_id", id));
  CHECK(bob_rtc.str("vendor") == "test");
  bob.expect(state(id, "active"));
  alice.expect(state(id, "active"));
  alice.expect(participants(id, {"bob:joined"}));

  alice.command("hangup");
  alice.expect(ended(id, "local_hangup"));
  bob.expect(ended(id, "remote_hangup"));
  w.control().expect(ev("call_ended").with("call", id).with("reason", "hangup"));
  // Each side ended once, and nobody saw an error.
  CHECK(alice.count(ev("call_state").with("state", "ended")) == 1);
  CHECK(bob.count(ev("call_state").with("state", "ended")) == 1);
  CHECK_FALSE(alice.saw(ev("error")));
  CHECK_FALSE(bob.saw(ev("error")));
  finish(w);
}

TEST_CASE("e2e: group of three: bob accepts, carol rejects, the call goes on, then ends") {
  World w;
  w.add_devices({"alice", "bob", "carol"});
  CliDevice& alice = w["alice"];
  CliDevice& bob = w["bob"];
  CliDevice& carol = w["carol"];

  const std::string id = alice.call({"bob", "carol"});
  for (CliDevice* callee : {&bob, &carol}) {
    const JsonLine incoming = callee->expect(ev("incoming_call").with("call_id", id));
    CHECK(incoming.str("caller") == "alice");
    std::vector<std::string> callees = incoming.strings("callees");
    std::sort(callees.begin(), callees.end());
    CHECK(callees == std::vector<std::string>{"bob", "carol"});
  }

  bob.command("accept");
  bob.expect(state(id, "active"));
  alice.expect(state(id, "active"));
  carol.command("reject");
  carol.expect(ended(id, "rejected"));
  alice.expect(participants(id, {"bob:joined", "carol:rejected"}));
  bob.expect(participants(id, {"alice:joined", "carol:rejected"}));

  // The call goes on for alice and bob: the service still holds it, and each CLI says it is in it.
  w.control().expect(ev("callee_refused").with("call", id).with("user", "carol"));
  CHECK(alice.status().str("call") == id);
  CHECK(bob.status().str("call") == id);
  CHECK_FALSE(alice.saw(ev("call_state").with("state", "ended")));
  CHECK_FALSE(bob.saw(ev("call_state").with("state", "ended")));
  CHECK_FALSE(w.control().saw(ev("call_ended").with("call", id)));

  // alice leaves: bob is alone, the call ends for him too.
  alice.command("hangup");
  alice.expect(ended(id, "local_hangup"));
  bob.expect(ended(id, "remote_hangup"));
  w.control().expect(ev("call_ended").with("call", id).with("reason", "hangup"));
  CHECK(carol.count(ev("call_state").with("state", "ended")) == 1);
  finish(w);
}

TEST_CASE("e2e: busy: a call to someone in a call ends busy, and his call goes on") {
  World w;
  w.add_devices({"alice", "bob", "carol", "dave"});
  CliDevice& alice = w["alice"];
  CliDevice& bob = w["bob"];
  CliDevice& carol = w["carol"];
  CliDevice& dave = w["dave"];

  const std::string first = alice.call({"bob"});
  bob.expect(ev("incoming_call").with("call_id", first));
  bob.command("accept");
  bob.expect(state(first, "active"));
  alice.expect(state(first, "active"));

  // The service knows bob is in an answered call: it does not ring him at all.
  const std::string second = dave.call({"bob"});
  dave.expect(participants(second, {"bob:busy"}));
  dave.expect(ended(second, "busy"));
  w.control().expect(ev("callee_busy").with("call", second).with("user", "bob"));
  w.control().expect(ev("call_ended").with("call", second).with("reason", "busy"));
  CHECK(bob.status().str("call") == first);
  CHECK_FALSE(bob.saw(ev("incoming_call").with("call_id", second)));
  CHECK_FALSE(bob.saw(ev("missed_call")));
  CHECK(alice.status().str("call") == first);

  // bob's call is untouched: it still ends as a call ends.
  alice.command("hangup");
  bob.expect(ended(first, "remote_hangup"));
  alice.expect(ended(first, "local_hangup"));

  // While his own call is not answered yet, the service rings him; his client (auto-reject
  // policy) refuses busy itself and reports a missed call.
  const std::string third = bob.call({"carol"});
  carol.expect(ev("incoming_call").with("call_id", third));
  const std::string fourth = dave.call({"bob"});
  const JsonLine missed = bob.expect(ev("missed_call").with("call_id", fourth));
  CHECK(missed.str("caller") == "dave");
  CHECK(missed.str("reason") == "busy");
  dave.expect(ended(fourth, "busy"));
  CHECK_FALSE(bob.saw(ev("incoming_call").with("call_id", fourth)));
  CHECK(bob.status().str("call") == third);
  CHECK(carol.status().str("ringing") == third);

  bob.command("hangup");
  bob.expect(ended(third, "cancelled"));
  carol.expect(ended(third, "cancelled"));
  finish(w);
}

TEST_CASE("e2e: cancel before answer: the caller hangs up while the callee rings") {
  World w;
  w.add_devices({"alice", "bob"});
  CliDevice& alice = w["alice"];
  CliDevice& bob = w["bob"];

  const std::string id = alice.call({"bob"});
  bob.expect(ev("incoming_call").with("call_id", id));
  alice.command("hangup");
  alice.expect(ended(id, "cancelled"));
  bob.expect(ended(id, "cancelled"));
  const JsonLine missed = bob.expect(ev("missed_call").with("call_id", id));
  CHECK(missed.str("caller") == "alice");
  CHECK(missed.str("reason") == "cancelled");
  w.control().expect(ev("call_ended").with("call", id).with("reason", "cancelled"));
  CHECK_FALSE(bob.saw(ev("join_rtc")));
  CHECK(bob.status().str("ringing").empty());
  finish(w);
}

TEST_CASE("e2e: ring timeout: nobody answers, both sides end no_answer in time") {
  ServiceLimits limits;
  limits.ring_timeout_ms = 2'000;
  World w(limits);
  w.add_devices({"alice", "bob"});
  CliDevice& alice = w["alice"];
  CliDevice& bob = w["bob"];

  const std::string id = alice.call({"bob"});
  const JsonLine rings = bob.expect(ev("incoming_call").with("call_id", id));
  const auto budget = std::chrono::milliseconds(limits.ring_timeout_ms) + kWait;
  const JsonLine alice_end = alice.expect(ended(id, "no_answer"), budget);
  const JsonLine bob_end = bob.expect(ended(id, "no_answer"), budget);
  w.control().expect(ev("ring_timeout").with("call", id).with("user", "bob"));
  w.control().expect(ev("call_ended").with("call", id).with("reason", "no_answer"));
  alice.expect(participants(id, {"bob:no_answer"}));
  // The ring lasted the service's ring timeout: not cut short, and not much longer (the margin
  // covers the service's 100 ms tick, delivery and slow sanitizer builds).
  const long long rang_ms = ms_between(rings, bob_end);
  const long long alice_ms = ms_between(rings, alice_end);
  INFO("bob rang " << rang_ms << " ms; alice saw the end " << alice_ms << " ms after the ring began");
  CHECK(rang_ms >= limits.ring_timeout_ms - 500);
  CHECK(rang_ms <= limits.ring_timeout_ms + 3'000);
  CHECK(alice_ms <= limits.ring_timeout_ms + 3'000);
  finish(w);
}

TEST_CASE("e2e: a device SIGKILLed mid-call: the other side sees the call end") {
  ServiceLimits limits;
  limits.liveness_grace_ms = 5'000;
  World w(limits);
  w.add_devices({"alice", "bob"});
  CliDevice& alice = w["alice"];
  CliDevice& bob = w["bob"];

  const std::string id = alice.call({"bob"});
  bob.expect(ev("incoming_call").with("call_id", id));
  bob.command("accept");
  bob.expect(state(id, "active"));
  alice.expect(state(id, "active"));

  const auto killed_at = std::chrono::steady_clock::now();
  bob.process().child().kill_now();
  const JsonLine alice_end = alice.expect(ended(id, "network_lost"), std::chrono::milliseconds(limits.liveness_grace_ms) + kWait);
  const long long after_ms = std::chrono::duration_cast<std::chrono::milliseconds>(alice_end.at - killed_at).count();
  INFO("alice saw the end " << after_ms << " ms after the kill");
  CHECK(after_ms <= limits.liveness_grace_ms + 3'000);
  // The broker published bob's last will, and the service dropped him for it (not for silence).
  const JsonLine lost = w.control().expect(ev("participant_lost").with("call", id).with("user", "bob"));
  CHECK(lost.str("why") == "offline");
  w.control().expect(ev("status").with("from", bob.client_id()).with("state", "offline"));
  w.control().expect(ev("call_ended").with("call", id).with("reason", "timeout"));
  finish(w);
}
