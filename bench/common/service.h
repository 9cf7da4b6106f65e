// ServiceProcess: the reference control service (callsignal-control, CALLSIGNAL_CONTROL_BINARY) in
// its own process, configured by a JSON file in `dir`, with a fresh Ed25519 key
// (--generate-key). Its stderr (one JSON object per line) is read on a thread and counted by
// event name, so a bench can wait for "hello" from every device before it starts timing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "support/interactive_process.h"

namespace callsignal::bench {

struct ServiceOptions {
  std::string binary;      // CALLSIGNAL_CONTROL_BINARY
  std::string broker_uri;
  std::string dir;         // config, key
  std::string uplink, downlink;
  std::string log_level = "info";
};

class ServiceProcess {
 public:
  // Generates the key, writes the config, starts the service and waits (10 s) for
  // "broker_connected". Throws std::runtime_error with the service's last lines on failure.
  explicit ServiceProcess(const ServiceOptions& options);
  ~ServiceProcess();  // stop()

  const std::string& key_id() const { return key_id_; }
  const std::string& public_key() const { return public_key_; }  // base64 of the raw 32 bytes

  std::size_t count(const std::string& event) const;
  bool wait_count(const std::string& event, std::size_t n, std::chrono::milliseconds timeout) const;
  // SIGTERM, 10 s grace. True if it exited cleanly (status 0).
  bool stop();
  std::string last_lines() const;

 private:
  void on_line(const std::string& text);

  std::string key_id_ = "bench-key-1";
  std::string public_key_;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::map<std::string, std::size_t> counts_;
  std::deque<std::string> tail_;
  std::unique_ptr<test::InteractiveProcess> process_;
  bool stopped_ = false;
};

}  // namespace callsignal::bench
