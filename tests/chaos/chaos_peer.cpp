#include "chaos/chaos_peer.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "core/envelope/decode.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/message_id.h"

namespace callsignal::chaos {
namespace {

// The protocol's suggested pace (protocol.md, `ack`), backing off to 8 s for a device that stays
// away; a hello from the device makes everything pending for it due at once.
constexpr std::int64_t kResendFirstMs = 2'000;
constexpr std::int64_t kResendMaxMs = 8'000;

std::string new_id() {
  auto id = new_message_id();
  if (!id.ok()) throw std::runtime_error("new_message_id: " + id.status().message);
  return id.value();
}

}  // namespace

std::int64_t real_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ChaosPeer::ChaosPeer(const std::string& broker_uri, const std::string& uplink, const std::string& downlink,
                     const Signer& signer, std::vector<std::string> client_ids)
    : uplink_(uplink), downlink_(downlink), signer_(signer), client_ids_(std::move(client_ids)) {
  for (std::size_t i = 0; i < client_ids_.size(); ++i) device_of_client_[client_ids_[i]] = i;
  SessionConfig config;
  config.broker_uris = {broker_uri};
  config.group_id = "svc";
  config.device_id = "chaos-peer";
  config.uplink_parent = uplink;
  config.downlink_parent = downlink;
  config.presence.enabled = false;
  config.extra_subscriptions = {uplink + "/req"};
  config.keepalive = std::chrono::seconds(5);
  config.connect_timeout = std::chrono::seconds(2);
  config.close_timeout = std::chrono::milliseconds(500);
  config.backoff.initial = std::chrono::milliseconds(100);
  config.backoff.max = std::chrono::milliseconds(500);
  config.max_outbox_messages = 200'000;
  config.max_outbox_bytes = 256u * 1024u * 1024u;
  auto session = Session::create(config, *this);
  if (!session.ok()) throw std::runtime_error("peer session: " + session.status().message);
  session_ = std::move(session).value();
}

ChaosPeer::~ChaosPeer() { close(); }

void ChaosPeer::start() {
  if (Status s = session_->start(); !s.ok()) throw std::runtime_error("peer start: " + s.message);
}

void ChaosPeer::close() {
  if (session_) session_->close();
}

bool ChaosPeer::connected() const { return connected_.load(); }

std::string ChaosPeer::send_invite(std::size_t device, const std::string& user, const std::string& call_id,
                                   const std::string& caller, std::int64_t ttl_ms) {
  Envelope message;
  message.type = MessageType::invite;
  message.call_id = call_id;
  message.ttl_ms = ttl_ms;
  message.body.set_string("caller", caller)
      .set_string_list("callees", {user})
      .set_string("media", "audio")
      .set_string("role", "callee")
      .set_string_map("rtc", {{"channel", call_id}, {"token", "chaos"}});
  return remember_and_send(device, std::move(message));
}

std::string ChaosPeer::send_control(std::size_t device, MessageType type, const std::string& call_id,
                                    const std::string& caller, std::int64_t ttl_ms) {
  Envelope message;
  message.type = type;
  message.call_id = call_id;
  message.ttl_ms = ttl_ms;
  if (type == MessageType::call_ended) {
    message.body.set_string("reason", "no_answer");
  } else {
    message.body.set_string("by", caller);
  }
  return remember_and_send(device, std::move(message));
}

std::string ChaosPeer::remember_and_send(std::size_t device, Envelope message) {
  message.id = new_id();
  message.from = "chaos-peer";
  message.to = client_ids_.at(device);
  message.ts_ms = now_ms();
  auto text = encode_message(message);
  if (!text.ok()) throw std::runtime_error("encode_message: " + text.status().message);
  auto frame = signer_.sign_frame(text.value());
  if (!frame.ok()) throw std::runtime_error("sign_frame: " + frame.status().message);

  Pending pending;
  pending.info.id = message.id;
  pending.info.device = device;
  pending.info.type = message.type;
  pending.info.call_id = message.call_id;
  pending.info.ts_ms = message.ts_ms;
  pending.info.ttl_ms = message.ttl_ms;
  pending.info.expiry_real_ms = message.ts_ms - skew_ms() + message.ttl_ms;
  pending.topic = downlink_ + "/p2p/" + message.to;
  pending.frame = std::move(frame).value();
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_[message.id] = pending;
    live_.insert(message.id);
  }
  resend_due();  // due at once: next_send_real_ms is 0
  return message.id;
}

std::size_t ChaosPeer::resend_due() {
  struct Due {
    std::string topic;
    std::string frame;
    std::string id;
    bool resend;
  };
  std::vector<Due> due;
  const std::int64_t now = real_now_ms();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = live_.begin(); it != live_.end();) {
      Pending& p = pending_.at(*it);
      if (p.info.acked_real_ms != 0 || now >= p.info.expiry_real_ms) {
        it = live_.erase(it);
        continue;
      }
      const std::string& id = *it++;
      if (now < p.next_send_real_ms) continue;
      due.push_back({p.topic, p.frame, id, p.info.sends > 0});
      const std::int64_t interval = std::min<std::int64_t>(kResendFirstMs << std::min<std::uint32_t>(p.info.sends, 2),
                                                           kResendMaxMs);
      p.next_send_real_ms = now + interval;
    }
  }
  // Published outside the lock: Session::publish must not wait on a thread that waits on mu_.
  std::size_t sent = 0;
  for (const Due& d : due) {
    const bool ok = session_->publish(d.topic, d.frame).ok();
    std::lock_guard<std::mutex> lock(mu_);
    auto found = pending_.find(d.id);
    if (!ok) {
      ++counts_.publish_refused;
      if (found != pending_.end()) found->second.next_send_real_ms = now + 200;
      continue;
    }
    ++sent;
    ++counts_.publishes;
    if (d.resend) ++counts_.resends;
    if (found != pending_.end()) {
      ++found->second.info.sends;
      if (found->second.info.first_sent_real_ms == 0) found->second.info.first_sent_real_ms = now;
    }
  }
  return sent;
}

SentMessage ChaosPeer::message(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = pending_.find(id);
  return found == pending_.end() ? SentMessage{} : found->second.info;
}

std::vector<SentMessage> ChaosPeer::messages() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SentMessage> out;
  out.reserve(pending_.size());
  for (const auto& entry : pending_) out.push_back(entry.second.info);
  return out;
}

bool ChaosPeer::acked(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = pending_.find(id);
  return found != pending_.end() && found->second.info.acked_real_ms != 0;
}

std::size_t ChaosPeer::unacked_live() const {
  const std::int64_t now = real_now_ms();
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t n = 0;
  for (const std::string& id : live_) {
    const SentMessage& info = pending_.at(id).info;
    if (info.acked_real_ms == 0 && now < info.expiry_real_ms) ++n;
  }
  return n;
}

PeerCounts ChaosPeer::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

void ChaosPeer::on_connection(const ConnectionEvent& event) {
  connected_.store(event.state == ConnectionState::connected);
}

void ChaosPeer::on_message(const InboundMessage& inbound) {
  const std::int64_t received = now_ms();
  auto decoded = decode(inbound.payload, DecodeOptions{});
  if (!decoded.ok()) return;
  const Envelope& message = decoded.value().message;
  if (message.type == MessageType::hello) {
    answer_hello(message, received);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (message.type != MessageType::ack) {
    ++counts_.requests[std::string(to_string(message.type))];
    return;
  }
  ++counts_.acks;
  auto ids = message.body.get_string_list("ids");
  if (!ids.ok()) return;
  auto sender = device_of_client_.find(message.from);
  for (const std::string& id : ids.value()) {
    auto found = pending_.find(id);
    // Only the addressee can acknowledge (as the reference service rules).
    if (found == pending_.end() || sender == device_of_client_.end() || sender->second != found->second.info.device) {
      continue;
    }
    if (found->second.info.acked_real_ms == 0) found->second.info.acked_real_ms = real_now_ms();
    live_.erase(id);
  }
}

void ChaosPeer::answer_hello(const Envelope& hello, std::int64_t received_peer_ms) {
  auto device = device_of_client_.find(hello.from);
  if (device == device_of_client_.end()) return;
  Envelope ack;
  ack.id = new_id();
  ack.type = MessageType::hello_ack;
  ack.from = "chaos-peer";
  ack.to = hello.from;
  ack.ts_ms = now_ms();
  ack.ttl_ms = 30'000;
  ack.body.set_string("hello_id", hello.id).set_int("hello_ts", hello.ts_ms).set_int("received_ts", received_peer_ms);
  auto text = encode_message(ack);
  if (!text.ok()) return;
  auto frame = signer_.sign_frame(text.value());
  if (!frame.ok()) return;
  (void)session_->publish(downlink_ + "/p2p/" + hello.from, frame.value());
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_.hellos;
  // The device is back: what it has not acknowledged goes again now (as the reference service).
  for (const std::string& id : live_) {
    Pending& p = pending_.at(id);
    if (p.info.device == device->second && p.info.sends > 0) p.next_send_real_ms = 0;
  }
}

}  // namespace callsignal::chaos
