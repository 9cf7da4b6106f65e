// The engine's entry points: reading uplink payloads, routing them, replies, ticks and stats.
#include "control/engine.h"

#include "control/session_setup.h"
#include "control/uplink_reader.h"

namespace callsignal::control {

Engine::Engine(const ControlConfig& config, const RtcMinter& minter, Publisher publisher, Logger& logger)
    : config_(config),
      limits_(config.limits),
      minter_(minter),
      logger_(logger),
      publisher_(publisher),
      dispatcher_(std::move(publisher), config.signer, config.service_id, config.downlink_parent, config.codec_limits,
                  config.limits.resend_interval_ms, config.limits.max_pending, logger),
      directory_(config.limits.will_slack_ms),
      seen_(config.limits.max_seen_ids, config.limits.seen_id_memory_ms),
      request_topic_(config.uplink_parent + "/req"),
      status_topic_(config.uplink_parent + "/status"),
      shared_(!config.shared_group.empty()),
      peer_topic_(peer_topic(config, config.instance_id)),
      broadcast_topic_(broadcast_topic(config)) {
  decode_options_.limits = config.codec_limits;
  decode_options_.counters = &decode_counters_;  // uplink frames are unsigned: no trusted keys
}

void Engine::set_time(std::int64_t wall_ms, std::int64_t mono_ms) {
  wall_ms_ = wall_ms;
  mono_ms_ = mono_ms;
}

void Engine::refuse(const std::string& reason) {
  ++stats_.refused[reason];
  logger_.debug("refused", {{"reason", reason}});
}

void Engine::on_uplink(const std::string& topic, const std::string& payload, std::int64_t wall_ms,
                       std::int64_t mono_ms) {
  set_time(wall_ms, mono_ms);
  ++stats_.received;
  if (shared_ && topic == broadcast_topic_) {
    on_peer_broadcast(payload);
    return;
  }
  const bool on_status = topic == status_topic_;
  // A request a peer received about one of our calls is handled as if it came to us.
  const bool from_peer = shared_ && topic == peer_topic_;
  if (!on_status && topic != request_topic_ && !from_peer) {
    refuse("unexpected_topic");  // e.g. our own P2P topic, which the session subscribes to
    return;
  }
  auto decoded = decode(payload, decode_options_);
  if (!decoded.ok()) {
    if (on_status) {
      if (auto bare = bare_presence(payload)) {
        on_bare_status(bare->client_id, bare->online);
        return;
      }
    }
    const std::string reason = envelope_error_name(decoded.code());
    refuse(reason);
    if (auto hint = sender_hint(payload, config_.codec_limits)) {
      logger_.info("bad_request", {{"from", hint->from}, {"id", hint->id}, {"reason", reason},
                                   {"detail", decoded.status().message}});
      reply_error_to(hint->from, hint->id, "bad_request", decoded.status().message);
    }
    return;
  }
  const Envelope& message = decoded->message;
  if (!is_uplink_type(message.type)) {
    refuse("wrong_direction");
    return;
  }
  if (!is_client_id(message.from)) {
    refuse("bad_sender");
    return;
  }
  // Status messages are ordered by ts instead (applying one twice changes nothing), so they skip
  // the id dedup.
  if (!from_peer && forward_to_owner(message, payload)) return;
  if (message.type != MessageType::status && !seen_.insert(message.id, mono_ms_)) {
    refuse("duplicate");
    return;
  }
  if (shared_ && !from_peer && (message.type == MessageType::hello || message.type == MessageType::ack)) {
    publisher_(broadcast_topic_, payload, PublishOptions{});
  }
  ++stats_.requests;
  ++stats_.requests_by_type[to_string(message.type)];
  directory_.seen(message.from, mono_ms_);
  logger_.debug("request", {{"id", message.id}, {"type", to_string(message.type)}, {"from", message.from},
                            {"call", message.call_id}});
  handle(message);
}

bool Engine::forward_to_owner(const Envelope& message, const std::string& payload) {
  if (!shared_ || !is_call_scoped(message.type)) return false;
  // Call ids are c-<instance>-<random>: the instance that created the call keeps its state.
  const std::string& id = message.call_id;
  const std::size_t first = id.find('-');
  const std::size_t last = id.rfind('-');
  if (id.compare(0, 2, "c-") != 0 || first == last) return false;
  const std::string owner = id.substr(first + 1, last - first - 1);
  if (owner == config_.instance_id || owner.empty()) return false;
  ++stats_.forwarded;
  logger_.debug("forwarded", {{"id", message.id}, {"call", id}, {"owner", owner}});
  Status s = publisher_(peer_topic(config_, owner), payload, PublishOptions{});
  if (!s.ok()) logger_.warn("forward_failed", {{"id", message.id}, {"owner", owner}, {"detail", s.message}});
  return true;
}

void Engine::on_peer_broadcast(const std::string& payload) {
  auto decoded = decode(payload, decode_options_);
  if (!decoded.ok()) return;
  const Envelope& m = decoded->message;
  // Our own broadcasts come back too: the id is known here already.
  if (!is_client_id(m.from) || !seen_.insert(m.id, mono_ms_)) return;
  ++stats_.peer_updates;
  if (m.type == MessageType::hello) {
    auto user = m.body.get_string("user");
    directory_.hello(m.from, user.ok() ? std::string(user.value()) : std::string(), m.ts_ms, mono_ms_);
    dispatcher_.resend_to(m.from, wall_ms_);
  } else if (m.type == MessageType::ack) {
    on_ack(m);
  }
}

void Engine::handle(const Envelope& m) {
  switch (m.type) {
    case MessageType::hello: on_hello(m); return;
    case MessageType::status: on_status(m); return;
    case MessageType::ack: on_ack(m); return;
    case MessageType::call_request: on_call_request(m); return;
    default: break;
  }
  if (is_call_scoped(m.type)) {
    on_call_message(m);
    return;
  }
  refuse("wrong_direction");
}

std::string Engine::send(const std::string& to, MessageType type, const std::string& call_id, Body body,
                         std::int64_t ttl_ms) {
  if (ttl_ms <= 0) ttl_ms = limits_.message_ttl_ms;
  auto id = dispatcher_.send(to, type, call_id, std::move(body), ttl_ms, wall_ms_);
  return id.ok() ? id.value() : std::string();
}

void Engine::reply_error(const Envelope& request, const std::string& code, const std::string& detail) {
  logger_.info("request_refused", {{"id", request.id}, {"type", to_string(request.type)}, {"from", request.from},
                                   {"call", request.call_id}, {"code", code}, {"detail", detail}});
  reply_error_to(request.from, request.id, code, detail);
}

void Engine::reply_error_to(const std::string& to, const std::string& reply_to, const std::string& code,
                            const std::string& detail) {
  ++stats_.errors_sent[code];
  Body body;
  body.set_string("code", code).set_string("reply_to", reply_to);
  // The protocol bounds message at 1,024 bytes; a decode() message is far shorter, but cut it at a
  // character boundary all the same.
  std::string text = detail;
  if (text.size() > 1024) {
    std::size_t cut = 1024;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
  }
  if (!text.empty()) body.set_string("message", text);
  send(to, MessageType::error, "", std::move(body));
}

void Engine::tick(std::int64_t wall_ms, std::int64_t mono_ms) {
  set_time(wall_ms, mono_ms);
  check_ring_timeouts();
  check_liveness();
  dispatcher_.resend_due(wall_ms_, [this](const std::string& client_id) {
    const DeviceRecord* device = directory_.device(client_id);
    return device == nullptr || device->online;
  });
  for (auto it = ended_calls_.begin(); it != ended_calls_.end();) {
    it = it->second <= mono_ms_ ? ended_calls_.erase(it) : std::next(it);
  }
}

ControlStats Engine::stats() const {
  ControlStats stats = stats_;
  const DispatchCounters& d = dispatcher_.counters();
  stats.downlink_sent = d.sent;
  stats.resends = d.resends;
  stats.acked = d.acked;
  stats.unacked_expired = d.expired_unacked;
  stats.publish_failures = d.publish_failures;
  stats.pending_acks = dispatcher_.pending();
  stats.calls_active = calls_.size();
  stats.devices_known = directory_.device_count();
  stats.devices_online = directory_.online_count();
  return stats;
}

std::vector<std::string> Engine::live_calls() const {
  std::vector<std::string> ids;
  for (const auto& [id, call] : calls_) ids.push_back(id);
  return ids;
}

std::vector<std::string> Engine::describe_call(const std::string& call_id) const {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return {};
  std::vector<std::string> out;
  for (const Participant& p : it->second.participants) out.push_back(p.user + ":" + to_string(p.state));
  return out;
}

}  // namespace callsignal::control
