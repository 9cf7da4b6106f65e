// Seeded randomized event sequences (thousands, bounded) through CallMachine, with the invariants
// of CallInvariantChecker (call_check.h) after every event and a drain at the end.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "support/call_check.h"
#include "core/call/call_machine.h"

using namespace callsignal;

namespace {

struct RunStats {
  std::size_t rings = 0;
  std::size_t joins = 0;
  std::size_t ended = 0;
};

void run_seed(std::uint32_t seed, BusyPolicy policy, RunStats& stats) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> bytes(1200);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
  CallMachine machine(CallEventDriver::config(policy));
  CallInvariantChecker checker;
  CallEventDriver driver(bytes.data(), bytes.size());
  int steps = 0;
  while (!driver.done() && steps < 200) {
    const CallEvent event = driver.next(checker, machine);
    const bool ok = checker.step(machine, event, driver.now_ms());
    INFO("seed " << seed << " step " << steps << ": " << checker.failure());
    REQUIRE(ok);
    ++steps;
  }
  const bool drained = checker.drain(machine, driver.now_ms() + 1000);
  INFO("seed " << seed << " drain: " << checker.failure());
  REQUIRE(drained);
  stats.rings += checker.rings();
  stats.joins += checker.joins();
  stats.ended += checker.ended_calls();
}

}  // namespace

TEST_CASE("call: 3000 seeded random sequences keep the invariants", "[call]") {
  RunStats stats;
  for (std::uint32_t seed = 1; seed <= 1500; ++seed) run_seed(seed, BusyPolicy::auto_reject, stats);
  for (std::uint32_t seed = 1; seed <= 1500; ++seed) run_seed(seed, BusyPolicy::call_waiting, stats);
  // The sequences must actually reach the interesting paths, not just bounce off refusals.
  CHECK(stats.rings > 1000);
  CHECK(stats.joins > 1000);
  CHECK(stats.ended > 3000);
}
