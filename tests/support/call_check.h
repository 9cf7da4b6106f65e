// Test and fuzz support for the call state machine (no production use): an invariant checker
// that watches a CallMachine's actions, and a driver that turns a byte stream into a bounded,
// plausible event sequence (a small universe of users, call ids and request ids, timers fired
// only when armed, time moving forward). tests/unit/call_random_test.cpp feeds it seeded
// pseudo-random bytes; tests/fuzz/call_fuzz.cpp feeds it libFuzzer's input.
//
// Invariants checked after every event:
//  - at most one engaged call (outgoing, dialing, accepting, connecting, active);
//  - Ring / StopRinging alternate per call, as do JoinRtc / LeaveRtc;
//  - CancelTimer names an armed timer; a call has no armed timer, ringing or RTC join left once
//    it is ended; an outgoing call hands over no timer when it gets its call id;
//  - ended is terminal: no NotifyState for a call after its `ended`;
//  - the machine's own view (calls()) agrees with the states it notified.
// drain() then ends every live call (Hangup, then the leave timers) and checks nothing is left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/call/call_action.h"
#include "core/call/call_event.h"
#include "core/call/call_machine.h"

namespace callsignal {

class CallInvariantChecker {
 public:
  // Feeds `event` to `machine` (telling the checker first when it is a TimerFired) and checks the
  // actions. Returns false (and sets failure()) on the first broken invariant.
  bool step(CallMachine& machine, const CallEvent& event, std::int64_t now_ms);
  // Hangs up every live call and fires the timers that remain, then checks nothing is left.
  bool drain(CallMachine& machine, std::int64_t now_ms);

  bool ok() const noexcept { return failure_.empty(); }
  const std::string& failure() const noexcept { return failure_; }
  // The armed timers, as (call key, kind).
  const std::set<std::pair<std::string, TimerKind>>& armed_timers() const noexcept { return timers_; }
  std::size_t rings() const noexcept { return rings_; }
  std::size_t joins() const noexcept { return joins_; }
  std::size_t ended_calls() const noexcept { return ended_.size(); }

 private:
  bool fail(std::string what);
  bool check(const CallMachine& machine, const std::vector<CallAction>& actions);

  std::set<std::string> ringing_;
  std::set<std::string> in_rtc_;
  std::set<std::pair<std::string, TimerKind>> timers_;
  std::map<std::string, CallState> states_;
  std::set<std::string> ended_;
  std::size_t rings_ = 0;
  std::size_t joins_ = 0;
  std::string failure_;
};

// Builds events for one device "alice" (config: self_user "alice") from bytes.
class CallEventDriver {
 public:
  CallEventDriver(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool done() const noexcept { return pos_ >= size_; }
  // The next event, using `checker`'s armed timers for TimerFired; advances now_ms().
  CallEvent next(const CallInvariantChecker& checker, const CallMachine& machine);
  std::int64_t now_ms() const noexcept { return now_; }

  static CallConfig config(BusyPolicy policy);

 private:
  std::uint8_t byte();
  const std::string& pick(const std::vector<std::string>& from);
  Envelope message(MessageType type, const std::string& call_id);

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  std::int64_t now_ = 1700000000000;
  std::uint64_t next_id_ = 1;
};

}  // namespace callsignal
