// Shared pieces of the C ABI tests: options that keep their strings alive, a recording listener
// made of plain C callbacks, and a unique_ptr for client handles.
//
// Everything here goes through callsignal.h alone: these tests check the C ABI as an app sees it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "callsignal/callsignal.h"
#include "support/wait.h"

namespace callsignal::capi_test {

using namespace std::chrono_literals;
using callsignal::test::EventLog;

// Generous: sanitizer builds are slow. Waits end as soon as their condition holds.
inline constexpr std::chrono::milliseconds kWait = 20s;

// Byte sequences that are not UTF-8: a stray continuation byte, a truncated sequence, an overlong
// '/', a UTF-16 surrogate, a code point above U+10FFFF, and 0xFF.
inline const std::vector<std::string>& invalid_utf8() {
  static const std::vector<std::string> samples = {
      "ab\x80", "ab\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "x\xffy",
  };
  return samples;
}

struct ClientDeleter {
  void operator()(cs_client_t* client) const { cs_client_destroy(client); }
};
using ClientPtr = std::unique_ptr<cs_client_t, ClientDeleter>;

// A device id unique in the process and across processes (ctest runs tests in parallel against one
// broker).
std::string unique_device(const std::string& prefix);

// Client options whose strings live in this object. Not copyable (options() points into it).
class TestOptions {
 public:
  // A valid generic-broker config: group GID_capi, the given user, fast reconnects, memory only.
  explicit TestOptions(std::string uri = "tcp://127.0.0.1:1", std::string user = "bob",
                       std::string device = unique_device("capi"));
  TestOptions(const TestOptions&) = delete;
  TestOptions& operator=(const TestOptions&) = delete;

  std::string uri, group_id = "GID_capi", device_id, user_id, uplink = "up", downlink = "dl";
  std::vector<std::string> uris;  // when set, replaces `uri`
  std::vector<cs_trusted_key_t> keys;
  std::vector<std::string> key_text;  // storage for `keys`: id, value, id, value...

  void trust(const std::string& key_id, const std::string& public_key);
  std::string client_id() const { return group_id + "@@@" + device_id; }

  // The C struct, rebuilt from the fields above; change `c` after calling it to test bad values.
  cs_client_options_t& options();
  cs_client_options_t c = CS_CLIENT_OPTIONS_INIT;

 private:
  std::vector<std::string> chosen_uris_;
  std::vector<const char*> uri_ptrs_;
};

struct ConnectionRecord {
  cs_connection_state_t state;
  int reason;
  std::string detail;
  std::string broker_uri;
};

struct IncomingRecord {
  std::string call_id, caller, custom_json;
  cs_media_t media;
  std::vector<std::string> callees, members;
  bool waiting;
};

struct StateRecord {
  std::string call_id;
  cs_call_state_t state;
  cs_end_reason_t reason;
};

struct RtcRecord {
  std::string call_id, vendor, params_json;
  std::vector<std::pair<std::string, std::string>> params;
};

struct ErrorRecord {
  int code;
  std::string call_id, what, message;
};

// Records every callback. The listener it hands out points at it: it must outlive the client (and
// the release, which it counts).
class Recorder {
 public:
  EventLog<ConnectionRecord> connection;
  EventLog<IncomingRecord> incoming;
  EventLog<StateRecord> states;
  EventLog<std::pair<std::string, std::string>> call_ids;  // request id, call id
  EventLog<RtcRecord> join_rtc;
  EventLog<RtcRecord> rtc_update;
  EventLog<std::string> leave_rtc;
  EventLog<std::string> missed;
  EventLog<ErrorRecord> errors;
  EventLog<std::thread::id> released_on;  // one entry per release call

  std::atomic<int> callbacks{0};        // every callback but release
  std::atomic<int> inside{0};           // callbacks running now
  std::atomic<int> after_release{0};    // callbacks made after release: must stay 0
  std::atomic<std::thread::id> callback_thread{};
  // Every callback takes at least this long: widens the windows the destroy tests look into.
  std::atomic<int> callback_delay_us{0};

  // Every callback set, user_data = this.
  cs_listener_t listener();

  int release_count() const { return static_cast<int>(released_on.size()); }
  bool wait_state(cs_connection_state_t state, std::size_t times = 1, std::chrono::milliseconds timeout = kWait);
  bool wait_call_state(const std::string& call_id, cs_call_state_t state, std::chrono::milliseconds timeout = kWait);
  bool wait_incoming(std::size_t n = 1, std::chrono::milliseconds timeout = kWait) {
    return incoming.wait_for_size(n, timeout);
  }

  // Hook run at the start of every on_connection, on the event thread (set before create).
  void (*connection_hook)(Recorder& self, const cs_connection_event_t& event) = nullptr;
  std::atomic<void*> hook_data{nullptr};

  // RAII marker for "a callback runs": counts and checks ordering against release.
  struct Scope {
    explicit Scope(Recorder& r);
    ~Scope();
    Recorder& r;
  };
};

// cs_client_create, or a Catch2 failure naming the error. Never returns null.
ClientPtr create_client(TestOptions& options, Recorder& recorder);

// An unsigned frame of `type_name` ("invite", "cancel", ...) from the service to `client_id` for a
// call, as a control service would publish it (the SDK takes it through cs_client_push_received()).
std::string service_frame(const std::string& type_name, const std::string& client_id, const std::string& call_id,
                          const std::string& callee = "bob", std::int64_t ttl_ms = 30'000);

}  // namespace callsignal::capi_test
