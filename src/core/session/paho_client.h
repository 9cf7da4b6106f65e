// A thin owner of one Paho MQTTAsync handle that hides the MQTT 3.1.1 / 5 callback variants.
//
// Every member is called from the session's event thread (never from a Paho callback: Paho
// deadlocks on create/destroy/isConnected from inside its callbacks). Results and events come
// back through PahoEvents on Paho's own threads, which serve every client in the process:
// implementations must only copy data and hand it to the event loop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/session/session_config.h"

namespace callsignal {

struct PahoMessage {
  std::string topic;
  std::string payload;
  bool retained = false;
  bool dup = false;
};

class PahoEvents {
 public:
  virtual ~PahoEvents() = default;
  // `tag` is the one given to the call that produced the result.
  virtual void on_connect_result(std::uint64_t tag, const Status& status, bool session_present) = 0;
  virtual void on_subscribe_result(std::uint64_t tag, const Status& status) = 0;
  virtual void on_disconnect_result(std::uint64_t tag) = 0;
  // `generation` is the one the PahoClient was created with: tokens are per handle.
  virtual void on_publish_result(std::uint64_t generation, int token, const Status& status) = 0;
  virtual void on_connection_lost(std::uint64_t generation, const std::string& cause) = 0;
  // Return true to acknowledge (PUBACK), false to have the broker deliver it again later.
  virtual bool on_message(PahoMessage&& message) = 0;
};

struct ConnectParams {
  std::vector<std::string> uris;
  std::chrono::seconds keepalive{30};
  std::chrono::seconds connect_timeout{10};
  std::string username;
  std::string password;
  std::string will_topic;    // empty: no last will
  std::string will_payload;
  std::uint32_t session_expiry_s = 0;  // MQTT 5
  int max_inflight = 65535;  // Paho queues further QoS1 publishes until PUBACKs free the window
  const TlsConfig* tls = nullptr;  // null: plain TCP
};

class PahoClient {
 public:
  // Creates the handle (no persistence: the session keeps its own durable outbox). The session
  // uses one handle per connection attempt, so that Paho never retransmits in-flight messages
  // itself: in 1.3.12 a QoS1 PUBLISH whose write fails on a dying socket leaves an in-flight copy
  // pointing at freed memory, which a reconnect of the same handle would resend (use after free).
  // Destroying such a handle would free that memory a second time, so ~PahoClient parks it
  // instead (see there). `generation` tells events of an earlier handle apart.
  // Errors: internal with Paho's message.
  static Result<std::unique_ptr<PahoClient>> create(const std::string& first_uri, const std::string& client_id,
                                                    MqttVersion version, PahoEvents& events,
                                                    std::uint64_t generation);
  // Destroys the handle. Paho waits for a running callback, then fails every pending call
  // synchronously on this thread (PahoEvents results with Errc::closed-like failures); afterwards no
  // PahoEvents call is made. Never call from a Paho thread.
  ~PahoClient();
  PahoClient(const PahoClient&) = delete;
  PahoClient& operator=(const PahoClient&) = delete;

  Status connect(const ConnectParams& params, std::uint64_t tag);
  Status subscribe(const std::vector<std::string>& filters, std::uint64_t tag);
  // Sends a QoS1 message; returns its token. expiry_s > 0 sets the MQTT 5 Message Expiry Interval.
  Result<int> publish(const std::string& topic, const std::string& payload, bool retain, std::uint32_t expiry_s);
  Status disconnect(std::chrono::milliseconds timeout, std::uint64_t tag);
  // The text of the last OpenSSL error Paho reported, if any (for connect failure messages).
  std::string take_tls_error();

  // Internal: state shared with the C callbacks.
  struct CallContext;
  PahoEvents& events() { return events_; }
  std::uint64_t generation() const { return generation_; }
  void note_tls_error(const char* text, std::size_t size);
  void release(CallContext* context);
  // Paho 1.3.12 failed a QoS1 publish whose write hit a dead socket (failure with token 0): the
  // handle's in-flight copy now points at freed topic/payload memory. See ~PahoClient.
  void mark_publish_write_failed() { publish_write_failed_ = true; }

 private:
  PahoClient(PahoEvents& events, MqttVersion version, std::uint64_t generation);
  CallContext* new_context(std::uint64_t tag);

  PahoEvents& events_;
  MqttVersion version_;
  std::uint64_t generation_;
  void* handle_ = nullptr;  // MQTTAsync
  std::mutex mu_;           // guards contexts_ and tls_error_ (touched from Paho threads)
  std::set<CallContext*> contexts_;
  std::string tls_error_;
  std::atomic<bool> publish_write_failed_{false};
};

}  // namespace callsignal
