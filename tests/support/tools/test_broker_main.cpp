// callsignal_test_broker: the CTest fixture behind the shared broker (see support/shared_broker.h).
//   callsignal_test_broker start STATEFILE  starts a Mosquitto that outlives this program, waits
//                                           until it accepts connections, writes STATEFILE
//   callsignal_test_broker stop STATEFILE   stops it (SIGTERM, SIGKILL after 5 s), removes its
//                                           dir and STATEFILE
// Exit code 0 on success, 1 with a message on stderr otherwise.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>

#include "support/broker.h"
#include "support/process.h"
#include "support/shared_broker.h"

namespace {

using callsignal::test::BrokerState;

constexpr std::chrono::seconds kStopGrace(5);
const std::string kBrokerDirPrefix = "/tmp/callsignal-broker-";

// Stops the broker a state file describes, if it still runs. False if it would not stop.
bool stop_broker(const std::string& state_path) {
  std::error_code ec;
  if (!std::filesystem::exists(state_path, ec)) return true;
  BrokerState state = callsignal::test::read_broker_state(state_path);
  // The config path in the broker's command line contains its dir: a recycled pid does not.
  if (!callsignal::test::terminate_foreign_process(state.pid, state.dir, kStopGrace)) {
    std::fprintf(stderr, "callsignal_test_broker: broker pid %d did not stop\n", static_cast<int>(state.pid));
    return false;
  }
  // Never remove anything but a broker dir, whatever the state file says.
  if (state.dir.rfind(kBrokerDirPrefix, 0) == 0) std::filesystem::remove_all(state.dir, ec);
  std::filesystem::remove(state_path, ec);
  return true;
}

int start_broker(const std::string& state_path) {
  // A run that crashed before its stop fixture leaves a broker behind: stop it first.
  if (!stop_broker(state_path)) return 1;
  callsignal::test::BrokerOptions options;
  options.detached = true;
  auto broker = callsignal::test::MosquittoBroker::start(options);
  const BrokerState state{broker->port(), broker->pid(), broker->dir()};
  callsignal::test::write_broker_state(state_path, state);
  broker->detach();
  std::printf("shared broker: %s pid %d dir %s\n", broker->uri().c_str(), static_cast<int>(state.pid),
              state.dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::string(argv[1]) != "start" && std::string(argv[1]) != "stop")) {
    std::fprintf(stderr, "usage: %s start|stop STATEFILE\n", argv[0]);
    return 2;
  }
  try {
    if (std::string(argv[1]) == "start") return start_broker(argv[2]);
    return stop_broker(argv[2]) ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "callsignal_test_broker %s: %s\n", argv[1], e.what());
    return 1;
  }
}
