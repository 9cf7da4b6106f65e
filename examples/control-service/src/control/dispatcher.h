// Signed downlink messages, and re-sending them until the device acknowledges them.
//
// send() stamps a message (fresh id, from = the service id, ts = the service clock), encodes and
// signs it, publishes it to <downlink>/p2p/<to> with the MQTT 5 Message Expiry Interval set to its
// remaining lifetime, and keeps the frame. resend_due() publishes the same frame bytes again every
// resend interval until an `ack` from that device names the id (or a `ringing` names the invite),
// or the message's ttl runs out: MQTT's PUBACK does not prove the device kept the message
// (docs/protocol.md, "ack"). Re-sends pause while the device is known to be offline (the broker
// queues the first copy for it) and run at once when it says hello again.
//
// Not thread-safe: the engine's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "control/log.h"
#include "core/common/status.h"
#include "core/envelope/codec_limits.h"
#include "core/envelope/envelope.h"
#include "core/envelope/signing.h"
#include "core/session/session.h"

namespace callsignal::control {

// Publishes one payload on one topic (Session::publish in production).
using Publisher = std::function<Status(const std::string& topic, const std::string& payload, PublishOptions options)>;

struct DispatchCounters {
  std::uint64_t sent = 0;
  std::uint64_t resends = 0;
  std::uint64_t acked = 0;
  std::uint64_t expired_unacked = 0;
  std::uint64_t publish_failures = 0;
  std::uint64_t dropped_full = 0;  // not kept for re-sending: max_pending reached
};

class Dispatcher {
 public:
  Dispatcher(Publisher publisher, const Signer& signer, std::string service_id, std::string downlink_parent,
             CodecLimits limits, std::int64_t resend_interval_ms, std::size_t max_pending, Logger& logger);

  // Sends `body` as a message of `type` to the device `to` (call-scoped types get `call_id`),
  // valid for ttl_ms from now_ms. Returns the message id, or an error (encoding, signing) after
  // logging it. A publish refusal is not an error: the message stays pending and is re-sent.
  Result<std::string> send(const std::string& to, MessageType type, const std::string& call_id, Body body,
                           std::int64_t ttl_ms, std::int64_t now_ms);

  // `from` acknowledged these ids; ids it was not sent are ignored.
  void acknowledge(const std::string& from, const std::vector<std::string>& ids);

  // Stops re-sending the messages of `call_id` to `to` (superseded: the call ended there), except
  // those of the types in `keep`.
  void forget_call(const std::string& to, const std::string& call_id, const std::set<MessageType>& keep);

  // Re-sends what is due at now_ms to devices for which online(client id) holds; drops what
  // expired. Call it often (every tick).
  void resend_due(std::int64_t now_ms, const std::function<bool(const std::string&)>& online);
  // Re-sends everything pending for `to` now (the device just said hello).
  void resend_to(const std::string& to, std::int64_t now_ms);

  std::size_t pending() const { return pending_.size(); }
  std::size_t pending_for(const std::string& to) const;
  const DispatchCounters& counters() const { return counters_; }

 private:
  struct Pending {
    std::string to;
    std::string call_id;
    MessageType type = MessageType::error;
    std::string topic;
    std::string frame;
    std::int64_t ts_ms = 0;
    std::int64_t ttl_ms = 0;
    std::int64_t next_resend_ms = 0;
  };

  void publish(const std::string& id, Pending& pending, std::int64_t now_ms);
  void erase(std::map<std::string, Pending>::iterator it);

  Publisher publisher_;
  const Signer& signer_;
  std::string service_id_;
  std::string downlink_parent_;
  CodecLimits limits_;
  std::int64_t resend_interval_ms_;
  std::size_t max_pending_;
  Logger& logger_;

  std::map<std::string, Pending> pending_;               // by message id
  std::map<std::string, std::set<std::string>> by_device_;  // client id -> message ids
  DispatchCounters counters_;
};

}  // namespace callsignal::control
