// One chaos run: a Mosquitto with persistence, the signing control peer (chaos_peer.h), and
// `clients` chaos client processes (chaos_client.cpp), each behind its own TcpProxy. For
// `chaos_seconds`, invites and control messages flow while faults drawn from a std::mt19937_64
// seeded with `seed` hit the run; then a quiet period heals everything and waits (at most
// `settle_seconds`) until every invite is resolved, and the tally is printed.
// tests/chaos/README.md describes the faults and the counts.
#pragma once

#include <cstdint>
#include <string>

namespace callsignal::chaos {

struct RunOptions {
  std::uint64_t seed = 0;
  double chaos_seconds = 22;
  std::size_t clients = 4;
  double invites_per_second = 50;
  double mean_fault_interval_ms = 700;
  double settle_seconds = 25;
  std::int64_t long_ttl_ms = 600'000;
  // The peer clock's skew from the real clock is drawn in [-max_base_skew_ms, max_base_skew_ms]
  // and clock-skew faults move it by up to +-3 s around that.
  std::int64_t max_base_skew_ms = 3'600'000;
  std::string client_program;  // callsignal_chaos_client
  std::string replay_command;  // printed on failure, with the seed
};

// Runs and prints the report on stdout. Returns 0 when nothing was lost, nothing delivered twice,
// nothing rang late and no client process failed; 1 otherwise.
int run(const RunOptions& options);

}  // namespace callsignal::chaos
