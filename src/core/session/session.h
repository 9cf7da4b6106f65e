// The MQTT session layer: one device's persistent session to the broker, on Paho MQTTAsync.
//
// What it guarantees
// - cleanSession=false (MQTT 5: clean start off with a Session Expiry Interval) and QoS 1 for every
//   publish and subscription, so the broker queues what arrives while the device is away.
// - Automatic reconnect with exponential backoff and jitter; network_changed() and
//   app_foregrounded() reconnect at once. Every wait has a deadline.
// - Durable outbound: publish() writes to the Outbox before it returns; the message leaves the
//   outbox only when the broker acknowledges it. Offline publishes, publishes before the first
//   connect, and in-flight messages survive disconnects, sessions lost by the broker and a killed
//   process (they are sent again: receivers deduplicate by message id).
// - Inbound messages reach the listener on the event loop thread, never on Paho's thread. Each is
//   first offered to the InboundGate (if any) on Paho's thread, so that it is recorded durably
//   before anything else happens to it.
//
// Threads
// - Every public member is thread-safe.
// - Listener callbacks run on the session's EventLoop thread, serially, never under a lock of
//   ours. Any member (destruction included) may be called from inside a callback.
// - No Paho function is ever called from a Paho callback or while holding a lock of ours.
//
// Paho ignores SIGPIPE process-wide once a client is created: host apps should know.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/common/status.h"
#include "core/session/event_loop.h"
#include "core/session/identity.h"
#include "core/session/session_config.h"

namespace callsignal {

enum class ConnectionState {
  idle,          // created, start() not called yet
  connecting,    // an attempt is under way
  connected,     // CONNACK received and subscriptions acknowledged
  disconnected,  // waiting for the next attempt (see ConnectionEvent::retry_in)
  closed,        // close() ran; terminal
};
const char* to_string(ConnectionState state) noexcept;

struct ConnectionEvent {
  ConnectionState state = ConnectionState::idle;
  bool session_present = false;           // connected: the broker kept our session
  Errc reason = Errc::ok;                 // disconnected: why
  std::string detail;                     // disconnected: human-readable cause, no secrets
  std::string broker_uri;                 // connecting/connected: which broker
  unsigned attempt = 0;                   // consecutive failed attempts so far
  std::chrono::milliseconds retry_in{0};  // disconnected: delay before the next attempt
};

struct InboundMessage {
  std::string topic;
  std::string payload;
  bool retained = false;
  bool dup = false;  // informational only: a re-sent QoS1 message may arrive again with dup=0
  // Whatever the InboundGate attached while admitting it (the message filter attaches the
  // decoded envelope); null without a gate. Shared, immutable.
  std::shared_ptr<const void> attachment;
};

// Alibaba Cloud system notices about the auth token.
enum class TokenNotice { expiring, invalid };

// The durable entry point for inbound messages.
//
// Paho 1.3.12 sends the PUBACK *before* it calls messageArrived (checked against Mosquitto's log),
// so the broker forgets a message as soon as it reaches this process. The gate is where the
// message must be recorded durably, within microseconds of arriving; end-to-end acks of the
// protocol (the device's "ringing") cover the remaining window.
enum class Admission {
  deliver,      // durably recorded: deliver it to the listener
  drop,         // refused (invalid, forged, expired, duplicate): counted by the gate, not delivered
  retry_later,  // cannot be recorded now: Paho keeps it in memory and offers it again
};

class InboundGate {
 public:
  virtual ~InboundGate() = default;
  // Runs on Paho's receive thread, which serves every client in the process: keep it short, and
  // call no app code and no Paho function (Session::publish is allowed: it only appends to the
  // outbox). The gate may set message.attachment. A message admitted for delivery reaches the
  // listener, unless close() has begun: the gate's record is then the only copy, to replay on
  // the next start. retry_later: Paho offers it again on the connection's next activity.
  virtual Admission admit(InboundMessage& message) noexcept = 0;
};

// Callbacks: all on the session's event loop thread, serially. The listener must outlive the
// Session (or the close() call that ends it).
class SessionListener {
 public:
  virtual ~SessionListener() = default;
  virtual void on_connection(const ConnectionEvent& event) { (void)event; }
  virtual void on_message(const InboundMessage& message) { (void)message; }
  // The broker acknowledged the publish with this outbox seq.
  virtual void on_published(std::uint64_t seq) { (void)seq; }
  // A queued publish expired before it could be sent and was dropped.
  virtual void on_expired(std::uint64_t seq) { (void)seq; }
  // Something went wrong that does not change the connection state (I/O error in the outbox...).
  virtual void on_error(const Status& status) { (void)status; }
  virtual void on_token_notice(TokenNotice notice, const std::string& payload) {
    (void)notice;
    (void)payload;
  }
};

struct PublishOptions {
  std::uint32_t message_expiry_s = 0;  // 0: the config's default_message_expiry_s
  bool retain = false;
};

struct SessionStats {
  std::uint64_t connects = 0;           // successful connects
  std::uint64_t connect_failures = 0;
  std::uint64_t connection_losses = 0;
  std::uint64_t published = 0;          // acknowledged by the broker
  std::uint64_t resent = 0;             // handed to Paho again after a loss
  std::uint64_t expired = 0;            // outbox entries dropped unsent
  std::uint64_t outbox_full = 0;        // publish() refusals
  std::uint64_t received = 0;           // inbound messages delivered to the listener
  std::uint64_t dropped_by_gate = 0;    // Admission::drop (the gate counts the reasons)
  std::uint64_t refused_by_gate = 0;    // Admission::retry_later (each is offered again later)
  std::uint64_t dropped_at_close = 0;   // admitted while closing, not delivered (the gate has them)
  std::size_t outbox_pending = 0;
  std::size_t inflight = 0;
};

class Session {
 public:
  // Validates the config, opens the outbox in config.data_dir and creates the Paho client. Does
  // not connect: call start(). `loop` may be null (the process-wide default loop); `gate` may be
  // null (messages are then only in memory until delivered: a kill or close in between loses
  // them) and must outlive the Session.
  // Errors: invalid_config (names the field), io_error (data dir), tls_error (unreadable CA or
  // key file), internal (Paho refused the client).
  static Result<std::unique_ptr<Session>> create(SessionConfig config, SessionListener& listener,
                                                 std::shared_ptr<EventLoop> loop = nullptr,
                                                 InboundGate* gate = nullptr);

  // close(), then frees. Safe on any thread, including the event thread inside a callback.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts connecting (asynchronously) and keeps the session up until close().
  // Errors: closed.
  Status start();

  // Durably queues a QoS1 publish and returns its outbox seq; sends it now if connected and the
  // in-flight window allows, or after the next connect. Errors: invalid_argument (topic or
  // payload), outbox_full (nothing queued; counted), io_error, closed.
  Result<std::uint64_t> publish(const std::string& topic, const std::string& payload,
                                PublishOptions options = {});

  // The network changed (new interface, address): the current connection may be dead, so it is
  // dropped and a new one started at once, with the backoff reset.
  void network_changed();
  // The app came to the foreground: if not connected, try now instead of waiting for the timer.
  void app_foregrounded();

  // Alibaba token mode: stores the new token for later reconnects and, when connected,
  // uploads it on $SYS/uploadToken. Errors: invalid_state (not token mode), closed.
  Status refresh_token(const std::string& token);

  // Disconnects gracefully (bounded by close_timeout) and releases Paho. Afterwards no callback
  // starts. From another thread it returns once everything is released; on the event thread
  // (inside a callback) the release is deferred to after the callback returns. Idempotent.
  void close();

  ConnectionState state() const;
  SessionStats stats() const;
  const std::string& client_id() const;
  const Topics& topics() const;

  class Core;  // implementation, shared with Paho callbacks and queued tasks

 private:
  explicit Session(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
};

}  // namespace callsignal
