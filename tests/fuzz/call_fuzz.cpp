// libFuzzer target for the call state machine: the input drives a bounded event sequence
// (CallEventDriver: local commands, invites and other messages, timer fires, RTC reports,
// connection changes) through a CallMachine for device "alice". The first byte picks the busy
// policy. After every event CallInvariantChecker checks: at most one engaged call, Ring/StopRinging
// and JoinRtc/LeaveRtc alternate, no timer outlives its call, ended is terminal; at the end every
// call is hung up and nothing may be left ringing, joined or armed. A broken invariant traps.
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "support/call_check.h"
#include "core/call/call_machine.h"

using namespace callsignal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 4096) return 0;
  const BusyPolicy policy = (data[0] & 1) != 0 ? BusyPolicy::call_waiting : BusyPolicy::auto_reject;
  CallMachine machine(CallEventDriver::config(policy));
  CallInvariantChecker checker;
  CallEventDriver driver(data + 1, size - 1);
  for (int steps = 0; !driver.done() && steps < 400; ++steps) {
    const CallEvent event = driver.next(checker, machine);
    if (!checker.step(machine, event, driver.now_ms())) break;
  }
  if (checker.ok()) checker.drain(machine, driver.now_ms() + 1000);
  if (!checker.ok()) {
    std::fprintf(stderr, "call invariant broken: %s\n", checker.failure().c_str());
    __builtin_trap();
  }
  return 0;
}
