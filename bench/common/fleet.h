// Fleet: N SDK clients in this process, driven through the public C ABI (callsignal.h) only.
//
// Client i is user "u<i>" on device "d<i>" (MQTT client id <group>@@@d<i>), with its own data_dir
// under FleetOptions::data_root and the given trusted key. Every callback is forwarded to a
// FleetHandler with the client's index; callbacks run on the SDK's event thread, as in any app.
//
// Paho MQTTAsync makes a connect started while its receive thread sits in poll() (1 s timeout, on
// a copy of the fd set taken before the new socket existed) wait for that poll to time out, and
// then for one more full poll before the CONNECT goes out: about 2 s per connect when connects are
// made one after another. connect_all() therefore starts every connect at once and then waits for
// all of them, so the fleet pays that delay once, not once per client.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "callsignal/callsignal.h"
#include "common/stats.h"

namespace callsignal::bench {

struct FleetOptions {
  std::size_t clients = 0;
  std::string broker_uri;
  std::string uplink, downlink;
  std::string key_id, public_key;  // the service's key (base64 raw or PEM)
  std::string data_root;           // client i keeps its data in data_root/c<i>
  std::string tag;                 // makes device ids unique across fleets on one broker
  std::uint32_t backoff_initial_ms = 0;  // 0: the SDK default (500 ms)
  std::uint32_t backoff_max_ms = 0;      // 0: the SDK default (60 s)
};

// Events of client `i`. Default: ignored. Runs on the SDK's event thread.
class FleetHandler {
 public:
  virtual ~FleetHandler() = default;
  virtual void on_incoming_call(std::size_t, const cs_incoming_call_t&) {}
  virtual void on_join_rtc(std::size_t, const cs_rtc_params_t&) {}
  virtual void on_leave_rtc(std::size_t, const char*) {}
  virtual void on_call_state(std::size_t, const cs_call_state_event_t&) {}
  virtual void on_missed_call(std::size_t, const cs_missed_call_t&) {}
  virtual void on_error(std::size_t, const cs_error_event_t&) {}
};

class Fleet {
 public:
  // Creates every client (not connected). Throws std::runtime_error naming the client on failure.
  Fleet(FleetOptions options, FleetHandler* handler);
  ~Fleet();  // destroy_all()
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  std::size_t size() const { return members_.size(); }
  cs_client_t* client(std::size_t i) const { return members_[i]->client; }
  std::string user(std::size_t i) const;
  std::string client_id(std::size_t i) const;

  // cs_client_connect() on every client, then waits until all are connected (or the timeout).
  // Returns the milliseconds from the first connect call to the last client connected.
  double connect_all(std::chrono::milliseconds timeout);

  // cs_client_connect() on client i alone; waits until it is connected. Returns the milliseconds
  // taken. Throws on failure or timeout.
  double connect_one(std::size_t i, std::chrono::milliseconds timeout);

  std::size_t connected() const { return connected_.load(); }
  std::size_t disconnect_events() const { return disconnects_.load(); }
  bool wait_connected_at_least(std::size_t n, std::chrono::milliseconds timeout);
  bool wait_connected_at_most(std::size_t n, std::chrono::milliseconds timeout);
  // When client i last became connected.
  Clock::time_point connected_at(std::size_t i) const;

  // Destroys every client (a clean disconnect each), on a few threads at once. Idempotent.
  void destroy_all();

 private:
  struct Member {
    Fleet* fleet = nullptr;
    std::size_t index = 0;
    cs_client_t* client = nullptr;
    bool connected = false;  // guarded by mutex_
    Clock::time_point connected_at{};
  };
  static void on_connection(void* user, const cs_connection_event_t* event);
  static void incoming(void* user, const cs_incoming_call_t* event);
  static void join_rtc(void* user, const cs_rtc_params_t* params);
  static void leave_rtc(void* user, const char* call_id);
  static void call_state(void* user, const cs_call_state_event_t* event);
  static void missed_call(void* user, const cs_missed_call_t* event);
  static void error(void* user, const cs_error_event_t* event);

  FleetOptions options_;
  FleetHandler* handler_;
  std::vector<std::unique_ptr<Member>> members_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<std::size_t> connected_{0};
  std::atomic<std::size_t> disconnects_{0};
};

}  // namespace callsignal::bench
