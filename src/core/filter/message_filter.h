// MessageFilter: the client's InboundGate. Every downlink message, from MQTT or from an OS push
// payload the app hands in, goes through the same steps, and the app sees each genuine, timely
// message exactly once:
//   1. decode(): size, UTF-8, JSON, schema, protocol major, signature (when keys are trusted),
//      recipient (this client);
//   2. timeliness: ts + ttl against our estimate of the service's clock (ClockOffset), with the
//      configured skew tolerance; a timestamp too far ahead is refused too;
//   3. dedup + durability: InboxLedger::admit() records the id and keeps the message until the
//      app has it (Paho has sent the PUBACK already, so this record is the only copy).
// Each refusal is counted by reason and changes no state. The decoded message is attached to the
// InboundMessage (decoded_of() reads it back on the event thread), so nothing is parsed twice.
//
// Thread-safety: admit() runs on Paho's receive thread; every other member may be called from
// any thread. No callback is made except FilterConfig::on_recorded.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/envelope/decode.h"
#include "core/envelope/signing.h"
#include "core/filter/clock_offset.h"
#include "core/filter/inbox_ledger.h"
#include "core/filter/timeliness.h"
#include "core/session/session.h"

namespace callsignal {

struct FilterConfig {
  std::string data_dir;    // where ledger.log lives; empty: memory only (tests, tools)
  bool fsync = false;      // see InboxLedger: power-loss durability at a flash write per message
  std::string client_id;   // messages addressed to anyone else are refused (wrong_recipient)
  TrustedKeys trusted_keys;  // empty: signatures not required (development only)
  CodecLimits limits;
  ExpiryPolicy expiry;
  // Milliseconds since the Unix epoch on the local clock; replaceable for tests.
  std::function<std::int64_t()> local_clock;
  // Called after a message is admitted, and again when a copy of an admitted message arrives:
  // either way the id is durably recorded here, so the client acks it to the service (which
  // re-sends until it gets the ack). Runs on Paho's receive thread (or the app's thread for push
  // payloads): must not block; Session::publish is allowed.
  std::function<void(const Envelope& message)> on_recorded;
};

struct FilterStats {
  std::uint64_t admitted = 0;      // new, genuine, timely: recorded for delivery
  std::uint64_t duplicates = 0;    // already recorded (QoS1 redelivery, service re-send, push + MQTT)
  std::uint64_t expired = 0;       // ts + ttl passed
  std::uint64_t from_future = 0;   // ts too far ahead of the service clock
  std::uint64_t invalid = 0;       // malformed, wrong types, oversize, unknown type, bad version...
  std::uint64_t forged = 0;        // unsigned, unknown key, bad signature (with trusted keys)
  std::uint64_t wrong_recipient = 0;
  std::uint64_t io_errors = 0;     // the ledger could not record: offered again later
  std::uint64_t replayed = 0;      // undelivered messages handed back after a restart
};

// A message the ledger kept but the app had not been given when the process ended.
struct ReplayedMessage {
  Envelope message;
  std::string topic;
};

class MessageFilter final : public InboundGate {
 public:
  // Opens the ledger in config.data_dir. Errors: io_error (names the path).
  static Result<std::unique_ptr<MessageFilter>> open(FilterConfig config);
  ~MessageFilter() override;

  // InboundGate: see the steps above. deliver, drop (counted), or retry_later (ledger I/O error).
  Admission admit(InboundMessage& message) noexcept override;

  // An OS push payload (the frame as a string, from APNs/FCM): the same steps and the same
  // ledger, so an invite that arrives by push and by MQTT rings once. Returns the message when
  // it is new (the caller delivers it), nullopt when refused or a duplicate (counted).
  // Errors: io_error (the ledger could not record it: hand it in again later).
  Result<std::optional<Envelope>> admit_push(std::string_view payload);

  // The app has been given the message: it leaves the ledger's undelivered list.
  Status mark_delivered(const std::string& message_id);
  // Messages admitted but not delivered before the process ended, oldest first. The app may have
  // seen some of them just before the kill: deliver them flagged as replayed.
  std::vector<ReplayedMessage> undelivered();

  // A hello/hello_ack round trip: t0 local send time (the hello's ts), server_ms the service's
  // time (with the ack's received_ts T1 and ts T2: (T1 + T2) / 2, which gives the NTP offset of
  // docs/protocol.md section 7), t1 local receive time. Returns whether the sample was used.
  bool add_clock_sample(std::int64_t t0, std::int64_t server_ms, std::int64_t t1);
  std::int64_t service_now() const;
  // Forgets expired ids (and compacts the ledger when it pays).
  void prune();

  FilterStats stats() const;
  const RejectCounters& reject_counters() const { return counters_; }

 private:
  explicit MessageFilter(FilterConfig config, std::unique_ptr<InboxLedger> ledger);
  enum class Verdict { admitted, duplicate, refused, io_error };
  Verdict check_and_record(std::string_view topic, std::string_view payload, Decoded& out);
  std::int64_t service_now_at(std::int64_t local_ms) const;
  void observe_service_stamp(std::int64_t ts_ms, std::int64_t arrival_ms);
  void count_refusal(EnvelopeError code);

  const FilterConfig config_;
  const DecodeOptions decode_options_;
  std::unique_ptr<InboxLedger> ledger_;
  RejectCounters counters_;
  mutable std::mutex clock_mu_;
  ClockOffset clock_;
  // ms; see observe_service_stamp. No bound until a stamp is seen: a service clock behind the
  // device's (a negative offset) must not be held at zero.
  std::int64_t stamp_lower_bound_ = std::numeric_limits<std::int64_t>::min();
  mutable std::mutex stats_mu_;
  FilterStats stats_;
};

// The decoded message the filter attached to an InboundMessage it admitted; null otherwise.
const Decoded* decoded_of(const InboundMessage& message);

}  // namespace callsignal
