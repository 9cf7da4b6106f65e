// Small helpers shared by the load benchmarks (call_setup, recovery, footprint): percentiles,
// the --quick flag, the fd limit, /proc/self/status, and the table/RESULT output format.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace callsignal::bench {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point from, Clock::time_point to);

// The p-th percentile (0..100) of `values` by the nearest-rank method; 0 when empty. Sorts a copy.
double percentile(std::vector<double> values, double p);

// True when argv holds `flag` ("--quick").
bool has_flag(int argc, char** argv, const char* flag);
// The value after `option` ("--lib-dir DIR"), or `fallback`.
std::string option_value(int argc, char** argv, const char* option, const std::string& fallback);

// Raises RLIMIT_NOFILE's soft limit to the hard limit (1,000 clients need ~3 fds each: socket,
// outbox, ledger). Children started afterwards (Mosquitto) inherit it. Returns the new soft limit.
unsigned long raise_fd_limit();

// Fields of /proc/self/status, in kB and count; -1 if unreadable.
long self_rss_kb();
long self_threads();

// One row of the readable table, and one "RESULT key value" line for scripts/bench.sh.
void table_row(const std::string& what, const std::string& value);
void result(const std::string& key, double value);
std::string fixed(double value, int decimals);

}  // namespace callsignal::bench
