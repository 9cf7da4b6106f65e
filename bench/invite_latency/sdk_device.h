// SdkDevice: one app's client of the public SDK, through the C ABI (callsignal.h) alone, as an app
// uses it: its own data_dir on disk, default settings otherwise, trusted keys or none.
//
// The benchmark's stamp is taken first thing in on_incoming_call (the ring), on the SDK's event
// thread; the bookkeeping after it (a lock, a notify) is not part of the measured path.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "callsignal/callsignal.h"
#include "invite_latency/paho_link.h"

namespace callsignal::bench {

class SdkDevice {
 public:
  // Creates the client and starts connecting it. `trusted`: (key id, base64 public key) pairs;
  // none for development mode. Throws std::runtime_error.
  SdkDevice(const std::string& uri, const std::string& device_id, const std::string& data_dir,
            const std::vector<std::pair<std::string, std::string>>& trusted);
  ~SdkDevice();  // cs_client_destroy()
  SdkDevice(const SdkDevice&) = delete;
  SdkDevice& operator=(const SdkDevice&) = delete;

  // Waits (10 s deadline) until the client reports CONNECTED. Throws on timeout.
  void wait_connected();

  const std::string& client_id() const { return client_id_; }

  // When the app was told to ring for `call_id`. False on timeout.
  bool wait_ring(const std::string& call_id, std::chrono::milliseconds timeout, SteadyClock::time_point* at);
  // Waits for on_call_state ENDED of `call_id`. False on timeout.
  bool wait_ended(const std::string& call_id, std::chrono::milliseconds timeout);

 private:
  static void on_incoming(void* self, const cs_incoming_call_t* event);
  static void on_state(void* self, const cs_call_state_event_t* event);
  static void on_connection(void* self, const cs_connection_event_t* event);

  std::string client_id_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, SteadyClock::time_point> rings_;
  std::unordered_set<std::string> ended_;
  bool connected_ = false;
  cs_client_t* client_ = nullptr;  // destroyed first: its callbacks use the members above
};

}  // namespace callsignal::bench
