#include "invite_latency/control_peer.h"

#include <chrono>
#include <stdexcept>

#include "core/envelope/decode.h"
#include "core/envelope/frame.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/message_id.h"

namespace callsignal::bench {

std::string p2p_topic(const std::string& client_id) { return std::string(kDownlinkParent) + "/p2p/" + client_id; }

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

Envelope downlink(MessageType type, const std::string& to, const std::string& call_id, std::int64_t ttl_ms) {
  auto id = new_message_id();
  if (!id.ok()) throw std::runtime_error("new_message_id: " + id.status().message);
  Envelope message;
  message.id = id.value();
  message.type = type;
  message.from = kServiceId;
  message.to = to;
  message.ts_ms = wall_ms();
  message.ttl_ms = ttl_ms;
  message.call_id = call_id;
  return message;
}

}  // namespace

ControlPeer::ControlPeer(const std::string& uri, Signer signer) : signer_(std::move(signer)) {
  listener_ = std::make_unique<PahoLink>(uri, "bench-control-listener", true,
                                         [this](std::string_view, std::string_view payload) { on_uplink(payload); });
  sender_ = std::make_unique<PahoLink>(uri, "bench-control-sender", true, PahoLink::OnMessage());
}

void ControlPeer::ready() {
  listener_->wait_connected();
  sender_->wait_connected();
  listener_->subscribe(std::string(kUplinkParent) + "/req");
}

std::string ControlPeer::frame(const Envelope& message, bool sign) const {
  auto text = encode_message(message);
  if (!text.ok()) throw std::runtime_error("encode_message: " + text.status().message);
  auto framed = sign ? signer_.sign_frame(text.value()) : encode_frame(text.value());
  if (!framed.ok()) throw std::runtime_error("frame: " + framed.status().message);
  return framed.value();
}

std::string ControlPeer::invite(const std::string& to, const std::string& call_id, bool sign, std::string* id) const {
  Envelope message = downlink(MessageType::invite, to, call_id, 45'000);
  // What the reference service's "test" RTC vendor mints: a token of 64 hex characters (HMAC-SHA256).
  const std::string timestamp = std::to_string(wall_ms() / 1000 + 86'400);
  message.body.set_string("role", "callee")
      .set_string("caller", "alice")
      .set_string_list("callees", {"bob"})
      .set_string("media", "audio")
      .set_string_map("rtc", {{"appid", "bench-app"},
                              {"channel", call_id},
                              {"userid", "bob"},
                              {"timestamp", timestamp},
                              {"token", std::string(64, 'a')}})
      .set_string("vendor", "test");
  if (id != nullptr) *id = message.id;
  return frame(message, sign);
}

std::string ControlPeer::cancel(const std::string& to, const std::string& call_id, bool sign, std::string* id) const {
  Envelope message = downlink(MessageType::cancel, to, call_id, 45'000);
  message.body.set_string("by", "alice");
  if (id != nullptr) *id = message.id;
  return frame(message, sign);
}

void ControlPeer::on_uplink(std::string_view payload) {
  const SteadyClock::time_point arrived = SteadyClock::now();
  const std::int64_t received = wall_ms();
  DecodeOptions options;  // the service's view: no trusted keys (uplink is unsigned), no recipient
  auto decoded = decode(payload, options);
  if (!decoded.ok()) return;
  Envelope& message = decoded.value().message;
  std::lock_guard<std::mutex> lock(mu_);
  switch (message.type) {
    case MessageType::hello:
      message.body.set_int("received_ts", received);  // kept with it for the hello_ack
      hellos_.push_back(std::move(message));
      break;
    case MessageType::ack: {
      auto ids = message.body.get_string_list("ids");
      if (ids.ok()) {
        for (std::string& acked : ids.value()) acked_.emplace(std::move(acked), arrived);
      }
      break;
    }
    case MessageType::ringing:
      ringing_.emplace(message.call_id, arrived);
      break;
    default:
      return;
  }
  cv_.notify_all();
}

void ControlPeer::answer_hello(const std::string& client_id, bool sign, std::chrono::milliseconds timeout) {
  Envelope hello;
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto from_client = [&] {
      for (const Envelope& h : hellos_) {
        if (h.from == client_id) return true;
      }
      return false;
    };
    if (!cv_.wait_for(lock, timeout, from_client)) throw std::runtime_error("no hello from " + client_id);
    for (auto it = hellos_.begin(); it != hellos_.end(); ++it) {
      if (it->from == client_id) {
        hello = std::move(*it);
        hellos_.erase(it);
        break;
      }
    }
  }
  // As the reference service answers (engine_presence.cpp): hello_id, hello_ts, received_ts.
  Envelope ack = downlink(MessageType::hello_ack, client_id, "", 30'000);
  ack.call_id.clear();
  auto received = hello.body.get_int("received_ts");
  ack.body.set_string("hello_id", hello.id)
      .set_int("hello_ts", hello.ts_ms)
      .set_int("received_ts", received.ok() ? received.value() : ack.ts_ms);
  sender_->publish(p2p_topic(client_id), frame(ack, sign));
}

bool ControlPeer::wait_settled(const std::vector<std::string>& ids, const std::string& ringing_call,
                               std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    for (const std::string& id : ids) {
      if (acked_.count(id) == 0) return false;
    }
    return ringing_call.empty() || ringing_.count(ringing_call) != 0;
  });
}

}  // namespace callsignal::bench

namespace callsignal::bench {

SteadyClock::time_point ControlPeer::seen_at(const std::string& id_or_call) {
  std::lock_guard<std::mutex> lock(mu_);
  auto ack = acked_.find(id_or_call);
  if (ack != acked_.end()) return ack->second;
  auto ringing = ringing_.find(id_or_call);
  return ringing != ringing_.end() ? ringing->second : SteadyClock::time_point();
}

}  // namespace callsignal::bench
