#include "control/dispatcher.h"

#include "core/client/publish_options.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/message_id.h"
#include "core/session/identity.h"

namespace callsignal::control {

Dispatcher::Dispatcher(Publisher publisher, const Signer& signer, std::string service_id, std::string downlink_parent,
                       CodecLimits limits, std::int64_t resend_interval_ms, std::size_t max_pending, Logger& logger)
    : publisher_(std::move(publisher)),
      signer_(signer),
      service_id_(std::move(service_id)),
      downlink_parent_(std::move(downlink_parent)),
      limits_(limits),
      resend_interval_ms_(resend_interval_ms),
      max_pending_(max_pending),
      logger_(logger) {}

Result<std::string> Dispatcher::send(const std::string& to, MessageType type, const std::string& call_id, Body body,
                                     std::int64_t ttl_ms, std::int64_t now_ms) {
  auto id = new_message_id();
  if (!id.ok()) {
    logger_.error("send_failed", {{"to", to}, {"type", to_string(type)}, {"detail", id.status().message}});
    return id.status();
  }
  Envelope message;
  message.id = id.value();
  message.type = type;
  message.from = service_id_;
  message.to = to;
  message.ts_ms = now_ms;
  message.ttl_ms = ttl_ms;
  if (is_call_scoped(type)) message.call_id = call_id;
  message.body = std::move(body);

  auto text = encode_message(message, limits_);
  auto frame = text.ok() ? signer_.sign_frame(text.value(), limits_) : EnvelopeResult<std::string>(text.status());
  if (!frame.ok()) {
    logger_.error("send_failed", {{"to", to}, {"type", to_string(type)}, {"call", call_id},
                                  {"detail", frame.status().message}});
    return Status::error(Errc::internal, frame.status().message);
  }

  Pending pending;
  pending.to = to;
  pending.call_id = message.call_id;
  pending.type = type;
  pending.topic = p2p_topic(downlink_parent_, to);
  pending.frame = std::move(frame).value();
  pending.ts_ms = now_ms;
  pending.ttl_ms = ttl_ms;
  ++counters_.sent;
  logger_.debug("downlink", {{"id", message.id}, {"type", to_string(type)}, {"to", to}, {"call", message.call_id}});
  publish(message.id, pending, now_ms);
  if (pending_.size() >= max_pending_) {
    ++counters_.dropped_full;
    logger_.warn("pending_full", {{"id", message.id}, {"to", to}, {"max_pending", static_cast<std::uint64_t>(max_pending_)}});
    return message.id;
  }
  by_device_[to].insert(message.id);
  pending_.emplace(message.id, std::move(pending));
  return message.id;
}

void Dispatcher::publish(const std::string& id, Pending& pending, std::int64_t now_ms) {
  pending.next_resend_ms = now_ms + resend_interval_ms_;
  Envelope stamp;
  stamp.ts_ms = pending.ts_ms;
  stamp.ttl_ms = pending.ttl_ms;
  auto options = publish_options_for(stamp, now_ms);
  if (!options) return;  // expired: resend_due() drops it
  Status status = publisher_(pending.topic, pending.frame, *options);
  if (!status.ok()) {
    ++counters_.publish_failures;
    logger_.warn("publish_failed", {{"id", id}, {"to", pending.to}, {"detail", status.message}});
  }
}

void Dispatcher::erase(std::map<std::string, Pending>::iterator it) {
  auto device = by_device_.find(it->second.to);
  if (device != by_device_.end()) {
    device->second.erase(it->first);
    if (device->second.empty()) by_device_.erase(device);
  }
  pending_.erase(it);
}

void Dispatcher::acknowledge(const std::string& from, const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    auto it = pending_.find(id);
    // Only the recipient can acknowledge a message: another device naming the id changes nothing.
    if (it == pending_.end() || it->second.to != from) continue;
    ++counters_.acked;
    erase(it);
  }
}

void Dispatcher::forget_call(const std::string& to, const std::string& call_id, const std::set<MessageType>& keep) {
  auto device = by_device_.find(to);
  if (device == by_device_.end()) return;
  const std::vector<std::string> ids(device->second.begin(), device->second.end());
  for (const std::string& id : ids) {
    auto it = pending_.find(id);
    if (it == pending_.end() || it->second.call_id != call_id || keep.count(it->second.type) > 0) continue;
    erase(it);
  }
}

void Dispatcher::resend_due(std::int64_t now_ms, const std::function<bool(const std::string&)>& online) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    Pending& p = it->second;
    if (now_ms >= p.ts_ms + p.ttl_ms) {
      ++counters_.expired_unacked;
      logger_.debug("unacked_expired", {{"id", it->first}, {"type", to_string(p.type)}, {"to", p.to}});
      auto next = std::next(it);
      erase(it);
      it = next;
      continue;
    }
    if (now_ms >= p.next_resend_ms) {
      if (online(p.to)) {
        ++counters_.resends;
        publish(it->first, p, now_ms);
      } else {
        p.next_resend_ms = now_ms + resend_interval_ms_;
      }
    }
    ++it;
  }
}

void Dispatcher::resend_to(const std::string& to, std::int64_t now_ms) {
  auto device = by_device_.find(to);
  if (device == by_device_.end()) return;
  for (const std::string& id : device->second) {
    auto it = pending_.find(id);
    if (it == pending_.end() || now_ms >= it->second.ts_ms + it->second.ttl_ms) continue;
    ++counters_.resends;
    publish(id, it->second, now_ms);
  }
}

std::size_t Dispatcher::pending_for(const std::string& to) const {
  auto device = by_device_.find(to);
  return device == by_device_.end() ? 0 : device->second.size();
}

}  // namespace callsignal::control
