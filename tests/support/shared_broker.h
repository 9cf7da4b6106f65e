// The shared broker: one Mosquitto for the integration tests that need no broker of their own.
// Under ctest, the fixture program callsignal_test_broker starts it before those tests, stops it
// after them, and passes it on through a state file named by CALLSIGNAL_TEST_BROKER_STATE.
// A test binary run by hand (variable unset) starts one for the life of the process instead.
// Tests sharing it must use unique client ids and topics.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace callsignal::test {

inline constexpr const char* kBrokerStateEnv = "CALLSIGNAL_TEST_BROKER_STATE";

// tcp://127.0.0.1:PORT of the shared broker, started on first use when there is no fixture.
// Thread-safe. Throws std::runtime_error if the state file is unreadable or the broker unreachable.
std::string shared_broker_uri();
std::uint16_t shared_broker_port();

// The state file: key=value lines (port, pid, dir).
struct BrokerState {
  std::uint16_t port = 0;
  pid_t pid = -1;
  std::string dir;  // the broker's temp dir; its config path is in the broker's command line
};

// Writes through a temp file and rename(), so a reader never sees half a file.
void write_broker_state(const std::string& path, const BrokerState& state);
// Throws std::runtime_error if missing or malformed.
BrokerState read_broker_state(const std::string& path);

}  // namespace callsignal::test
