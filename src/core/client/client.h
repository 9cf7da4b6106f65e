// Client: one device's call signaling, end to end. It wires the layers below into one object:
//   session (MQTT) -> filter (decode, signature, expiry, dedup, ledger) -> inbox (backlog drain,
//   replay after a restart, acks) -> call state machine -> events to the app (ClientListener);
//   app commands -> call state machine -> uplink requests (durable outbox) -> session.
// It also keeps the clock offset to the service (hello / hello_ack after every connect), runs the
// machine's timers on the event loop, matches the service's `error` replies to the requests they
// refuse, and publishes presence as protocol `status` messages.
// docs/architecture.md draws the data path and the threads.
//
// Threads: every public member is thread-safe. Listener callbacks run on the event loop thread,
// serially, never under a lock of the client's; any member, close() included, may be called from
// inside one. Commands run the state machine on the calling thread (so they can return its
// verdict); the events they cause are queued behind those already queued, in the machine's order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/client/client_config.h"
#include "core/client/client_listener.h"
#include "core/common/status.h"
#include "core/session/event_loop.h"

namespace callsignal {

struct ClientStats {
  std::uint64_t received = 0;      // downlink messages that reached the filter (MQTT and push)
  std::uint64_t delivered = 0;     // admitted: new, genuine, timely
  std::uint64_t duplicates = 0;
  std::uint64_t expired = 0;       // expired or from the future
  std::uint64_t invalid = 0;
  std::uint64_t forged = 0;        // forged or addressed to another client
  std::uint64_t reconnects = 0;    // successful connects after the first
  std::uint64_t outbound_queued = 0;
};

class Client {
 public:
  // Validates the config and opens the ledger and the outbox in config.session.data_dir. Does not
  // connect, and makes no callback before connect().
  // `loop` null: the process-wide default loop. The client keeps `listener` until close() has
  // finished with it (then drops its reference: see close()).
  // Errors: invalid_config (names the field), io_error, tls_error, internal.
  static Result<std::unique_ptr<Client>> create(ClientConfig config, std::shared_ptr<ClientListener> listener,
                                                std::shared_ptr<EventLoop> loop = nullptr);
  // close(), then frees.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts connecting; reconnects on its own. First hands the app (on the event thread) what an
  // earlier run recorded but never handed over. Idempotent. Errors: closed.
  Status connect();
  // Disconnects cleanly (status offline), stops every timer and callback, and drops the listener:
  // from another thread once the callback running now (if any) has returned, so the listener is
  // released on the calling thread before close() returns; from inside a callback, no further
  // callback is made and the listener is released on the event thread after the current callback
  // returns. Idempotent.
  void close();

  // Call commands. Each returns the state machine's verdict: invalid_argument (bad ids, custom
  // data not a JSON object, too many callees), unknown_call, invalid_state (not allowed in the
  // call's state, or busy), or a publish error (outbox_full, io_error, closed).
  // start_call returns the call's key until the service names it: the call_request's id.
  Result<std::string> start_call(const std::vector<std::string>& callees, Media media, const std::string& custom_json);
  Status accept(const std::string& call_id);
  Status reject(const std::string& call_id, const std::string& reason);
  Status cancel(const std::string& call_id);
  Status hangup(const std::string& call_id);  // ok on an ended call
  Status invite(const std::string& call_id, const std::vector<std::string>& users);
  Status request_mute(const std::string& call_id, const std::string& target, bool audio, bool video);
  Status kick(const std::string& call_id, const std::string& target);
  Status end_for_all(const std::string& call_id);

  // Reports from the app's RTC SDK. Errors: unknown_call; token_expiring also invalid_state.
  Status rtc_joined(const std::string& call_id);
  Status rtc_left(const std::string& call_id);
  Status rtc_failed(const std::string& call_id, const std::string& detail);
  Status rtc_token_expiring(const std::string& call_id);

  // App life cycle. Errors: closed.
  Status app_foreground();
  Status app_background();
  Status network_changed();
  // An OS push payload (a frame): the same checks and dedup as MQTT. Refused frames are counted,
  // not errors. Errors: io_error (not recorded: hand it in again), closed.
  Status push_received(std::string_view payload);
  // Alibaba token auth: the new broker token. Errors: invalid_state, closed.
  Status renew_token(const std::string& token);

  ConnectionState connection_state() const;
  ClientStats stats() const;
  const std::string& client_id() const;

  class Core;  // implementation, shared with queued tasks and timers

 private:
  explicit Client(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
};

}  // namespace callsignal
