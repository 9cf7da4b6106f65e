// ChaosPeer: the control side of a chaos run. It plays the call control service as far as the
// accounting needs: it signs downlink messages (invites, cancel, hangup, call_ended) for the chaos
// devices, re-sends each one (the same frame) until the device's `ack` names it or its ttl runs
// out, answers every `hello` with a signed `hello_ack` (the devices' clock sync), and counts the
// devices' other requests. Its clock is the real one plus a skew the runner sets (set_skew_ms):
// every stamp it writes (ts, hello_ack's received_ts) is on that clock.
//
// Threads: every public member is thread-safe. Acks and hellos arrive on the peer session's event
// loop thread; the runner sends and re-sends from its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/envelope/envelope.h"
#include "core/envelope/signing.h"
#include "core/session/session.h"

namespace callsignal::chaos {

std::int64_t real_now_ms();

// One downlink message the peer keeps re-sending until acked.
struct SentMessage {
  std::string id;
  std::size_t device = 0;
  MessageType type = MessageType::invite;
  std::string call_id;
  std::int64_t ts_ms = 0;             // peer clock
  std::int64_t ttl_ms = 0;
  std::int64_t first_sent_real_ms = 0; // 0 until the first publish was queued
  std::int64_t expiry_real_ms = 0;     // ts + ttl on the real clock
  std::int64_t acked_real_ms = 0;      // 0 until an ack named it
  std::uint32_t sends = 0;
};

struct PeerCounts {
  std::uint64_t publishes = 0;       // first sends and re-sends queued
  std::uint64_t resends = 0;
  std::uint64_t publish_refused = 0; // the session's outbox refused (retried later)
  std::uint64_t acks = 0;            // ack messages received
  std::uint64_t hellos = 0;
  std::map<std::string, std::uint64_t> requests;  // other uplink requests by type
};

class ChaosPeer final : public SessionListener {
 public:
  // client_ids[i] is device i's MQTT client id. Throws std::runtime_error if the session cannot be
  // created.
  ChaosPeer(const std::string& broker_uri, const std::string& uplink, const std::string& downlink,
            const Signer& signer, std::vector<std::string> client_ids);
  ~ChaosPeer() override;

  void start();
  void close();
  bool connected() const;

  void set_skew_ms(std::int64_t skew) { skew_ms_.store(skew); }
  std::int64_t skew_ms() const { return skew_ms_.load(); }
  std::int64_t now_ms() const { return real_now_ms() + skew_ms_.load(); }

  // A new invite for `device` (role callee, caller `caller`), published at once. Returns its id.
  std::string send_invite(std::size_t device, const std::string& user, const std::string& call_id,
                          const std::string& caller, std::int64_t ttl_ms);
  // A control message about `call_id` (cancel, hangup or call_ended). Returns its id.
  std::string send_control(std::size_t device, MessageType type, const std::string& call_id,
                           const std::string& caller, std::int64_t ttl_ms);

  // Re-sends every unacked, unexpired message whose re-send is due. Returns how many.
  std::size_t resend_due();

  SentMessage message(const std::string& id) const;
  std::vector<SentMessage> messages() const;
  bool acked(const std::string& id) const;
  std::size_t unacked_live() const;  // unacked and not expired yet (real clock)
  PeerCounts counts() const;

  void on_connection(const ConnectionEvent& event) override;
  void on_message(const InboundMessage& message) override;

 private:
  struct Pending {
    SentMessage info;
    std::string topic;
    std::string frame;
    std::int64_t next_send_real_ms = 0;
  };
  std::string remember_and_send(std::size_t device, Envelope message);
  void publish_locked(Pending& pending, bool resend);
  void answer_hello(const Envelope& hello, std::int64_t received_peer_ms);

  const std::string uplink_;
  const std::string downlink_;
  const Signer signer_;
  const std::vector<std::string> client_ids_;
  std::atomic<std::int64_t> skew_ms_{0};
  std::atomic<bool> connected_{false};
  std::unique_ptr<Session> session_;

  mutable std::mutex mu_;
  std::map<std::string, Pending> pending_;  // by message id, every message sent
  std::set<std::string> live_;              // the ids still re-sent: unacked, not expired
  std::map<std::string, std::size_t> device_of_client_;
  PeerCounts counts_;
};

}  // namespace callsignal::chaos
