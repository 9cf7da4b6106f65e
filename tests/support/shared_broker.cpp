#include "support/shared_broker.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "support/broker.h"
#include "support/loopback.h"

namespace callsignal::test {
namespace {

BrokerState locate_shared_broker() {
  const char* path = std::getenv(kBrokerStateEnv);
  if (path == nullptr || *path == '\0') {
    // Run by hand: a broker for this process, stopped by the static destructor at exit.
    static std::unique_ptr<MosquittoBroker> own = MosquittoBroker::start();
    return {own->port(), own->pid(), own->dir()};
  }
  BrokerState state = read_broker_state(path);
  if (!can_connect_loopback(state.port))
    throw std::runtime_error(std::string("the shared broker from ") + path + " (port " + std::to_string(state.port) +
                             ") is not reachable: did the ctest fixture shared_broker_start run?");
  return state;
}

const BrokerState& shared_state() {
  static const BrokerState state = locate_shared_broker();  // thread-safe; retried if it throws
  return state;
}

}  // namespace

std::string shared_broker_uri() { return "tcp://127.0.0.1:" + std::to_string(shared_state().port); }

std::uint16_t shared_broker_port() { return shared_state().port; }

void write_broker_state(const std::string& path, const BrokerState& state) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << "port=" << state.port << "\npid=" << state.pid << "\ndir=" << state.dir << "\n";
    out.close();
    if (!out) throw std::runtime_error("cannot write " + temp);
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("rename " + temp + " -> " + path + ": " + std::strerror(errno));
}

BrokerState read_broker_state(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the broker state file " + path);
  BrokerState state;
  for (std::string line; std::getline(in, line);) {
    std::size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq);
    std::string value = line.substr(eq + 1);
    try {
      if (key == "port") state.port = static_cast<std::uint16_t>(std::stoul(value));
      else if (key == "pid") state.pid = static_cast<pid_t>(std::stol(value));
      else if (key == "dir") state.dir = value;
    } catch (const std::exception&) {
      throw std::runtime_error("malformed line in " + path + ": " + line);
    }
  }
  if (state.port == 0 || state.pid <= 0 || state.dir.empty())
    throw std::runtime_error("incomplete broker state file " + path);
  return state;
}

}  // namespace callsignal::test
