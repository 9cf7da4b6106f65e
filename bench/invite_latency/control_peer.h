// ControlPeer: the service side of the invite_latency benchmark. It publishes downlink frames built
// the way the reference control service builds them (examples/control-service: Dispatcher::send and
// Engine::invite_callee), answers each device's hello with a hello_ack (so the device has a clock
// sample, as with the real service), and keeps the uplink traffic it sees (acks, ringing) so the
// benchmark can wait until a sample's traffic has settled before it times the next one.
//
// Threads: publish(), the frame builders and the waits run on the benchmark's thread; the uplink
// handler on Paho's receive thread (it decodes and records, nothing more).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/envelope/envelope.h"
#include "core/envelope/signing.h"
#include "invite_latency/paho_link.h"

namespace callsignal::bench {

inline constexpr const char* kGroupId = "GID_bench";
inline constexpr const char* kUplinkParent = "bench-up";
inline constexpr const char* kDownlinkParent = "bench-down";
inline constexpr const char* kServiceId = "callsignal-service";

std::string p2p_topic(const std::string& client_id);
std::int64_t wall_ms();

class ControlPeer {
 public:
  // Starts connecting a listener and a sender; ready() waits for both and subscribes the listener
  // to <uplink>/req. `signer` signs the frames asked for signed. Throws std::runtime_error.
  ControlPeer(const std::string& uri, Signer signer);
  void ready();

  // A downlink frame to `to` (a client id): an invite as the reference service sends a callee
  // (role, caller, callees, media, rtc from its test vendor, vendor; ttl 45 s), or a cancel.
  // Signed with the peer's key when `sign`, else unsigned (development mode). Returns the frame;
  // `id` receives the message id.
  std::string invite(const std::string& to, const std::string& call_id, bool sign, std::string* id) const;
  std::string cancel(const std::string& to, const std::string& call_id, bool sign, std::string* id) const;

  SteadyClock::time_point publish(const std::string& topic, const std::string& frame) {
    return sender_->publish(topic, frame);
  }

  // Waits (deadline) for a hello from `client_id` and answers it with a hello_ack, signed when
  // `sign`. Throws on timeout.
  void answer_hello(const std::string& client_id, bool sign, std::chrono::milliseconds timeout);

  // Waits until acks naming every one of `ids` arrived and, if `ringing_call` is not empty, the
  // device's ringing for that call. False on timeout.
  bool wait_settled(const std::vector<std::string>& ids, const std::string& ringing_call,
                    std::chrono::milliseconds timeout);

  const Signer& signer() const { return signer_; }

  // When the listener got the ack naming `id_or_call` (a message id), or the ringing of that call
  // (a call id); the epoch if never. Call after wait_settled().
  SteadyClock::time_point seen_at(const std::string& id_or_call);

 private:
  void on_uplink(std::string_view payload);
  std::string frame(const Envelope& message, bool sign) const;

  Signer signer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Envelope> hellos_;             // not yet answered
  std::unordered_map<std::string, SteadyClock::time_point> acked_;    // message ids named by acks
  std::unordered_map<std::string, SteadyClock::time_point> ringing_;  // call ids
  // Two connections, as a service with a publisher and a consumer would have. One would do, but
  // its PUBACKs for the uplink would then sit unacknowledged (the broker delays its TCP ACK) just
  // when the next invite is written: Paho 1.3.12 leaves Nagle's algorithm on, so the invite would
  // wait for the broker's delayed ACK (40 ms on Linux). That is a harness artefact, not the SDK's.
  std::unique_ptr<PahoLink> listener_;  // last two: their callbacks use the members above
  std::unique_ptr<PahoLink> sender_;
};

}  // namespace callsignal::bench
