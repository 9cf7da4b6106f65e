// Presence and liveness: hello, status (and the last will), ack, keepalive, silent participants.
#include <algorithm>

#include "control/engine.h"

namespace callsignal::control {

namespace {

std::string optional_string(const Body& body, const char* field) {
  auto value = body.get_string(field);
  return value.ok() ? std::string(value.value()) : std::string();
}

}  // namespace

void Engine::on_hello(const Envelope& m) {
  const std::string user = optional_string(m.body, "user");
  directory_.hello(m.from, user, m.ts_ms, mono_ms_);
  logger_.info("hello", {{"from", m.from}, {"user", user}, {"platform", optional_string(m.body, "platform")}});
  // The device is back: what it has not acknowledged yet goes out again now, not at the next tick
  // (before the hello_ack, which would otherwise go out twice).
  dispatcher_.resend_to(m.from, wall_ms_);
  Body body;
  // T1 and T2 are both read at the same instant here: the engine handles a message as it arrives.
  body.set_string("hello_id", m.id).set_int("hello_ts", m.ts_ms).set_int("received_ts", wall_ms_);
  send(m.from, MessageType::hello_ack, "", std::move(body));
}

void Engine::on_status(const Envelope& m) {
  const bool online = optional_string(m.body, "state") == "online";
  const std::string user = optional_string(m.body, "user");
  const bool changed = directory_.status(m.from, online, user, m.ts_ms, mono_ms_);
  logger_.info("status", {{"from", m.from}, {"state", online ? "online" : "offline"}, {"applied", changed}});
  if (!changed) return;
  if (online) {
    dispatcher_.resend_to(m.from, wall_ms_);
  } else {
    device_offline(m.from);
  }
}

void Engine::on_bare_status(const std::string& client_id, bool online) {
  ++stats_.requests;
  ++stats_.requests_by_type["status"];
  // No ts in a bare presence payload: the time it arrived stands in for it.
  const bool changed = directory_.status(client_id, online, "", wall_ms_, mono_ms_);
  logger_.info("status", {{"from", client_id}, {"state", online ? "online" : "offline"}, {"applied", changed},
                          {"bare", true}});
  if (changed && !online) device_offline(client_id);
}

void Engine::on_ack(const Envelope& m) {
  auto ids = m.body.get_string_list("ids");
  if (ids.ok()) dispatcher_.acknowledge(m.from, ids.value());
}

void Engine::on_keepalive(const Envelope& m, Call& call) {
  auto interval = m.body.get_int("interval_ms");
  if (Participant* p = call.find(directory_.user_of(m.from)); p != nullptr && interval.ok()) {
    p->keepalive_interval_ms = interval.value();
  }
  send(m.from, MessageType::keepalive, call.id, Body(), limits_.keepalive_ttl_ms);
}

void Engine::device_offline(const std::string& client_id) {
  std::vector<std::string> ids;
  for (const auto& [id, call] : calls_) ids.push_back(id);
  for (const std::string& id : ids) {
    auto it = calls_.find(id);
    if (it == calls_.end()) continue;
    Call& call = it->second;
    for (Participant& p : call.participants) {
      if (p.state != PartState::joined || p.device != client_id) continue;
      logger_.info("participant_lost", {{"call", call.id}, {"user", p.user}, {"device", client_id}, {"why", "offline"}});
      ++stats_.liveness_drops;
      leave(call, p, LeaveCause::timeout);
      break;  // a user appears once per call; `call` may be gone now
    }
  }
}

void Engine::check_liveness() {
  std::vector<std::pair<std::string, std::string>> silent;  // call id, user
  for (const auto& [id, call] : calls_) {
    if (!call.connected) continue;  // keepalives start once the call is answered
    for (const Participant& p : call.participants) {
      if (p.state != PartState::joined) continue;
      const std::int64_t grace = std::max(limits_.liveness_grace_ms, 3 * p.keepalive_interval_ms);
      if (mono_ms_ - p.last_alive_ms > grace) silent.emplace_back(id, p.user);
    }
  }
  for (const auto& [call_id, user] : silent) {
    auto it = calls_.find(call_id);
    if (it == calls_.end()) continue;
    Participant* p = it->second.find(user);
    if (p == nullptr || p->state != PartState::joined) continue;
    logger_.info("participant_lost", {{"call", call_id}, {"user", user}, {"device", p->device}, {"why", "silent"}});
    ++stats_.liveness_drops;
    leave(it->second, *p, LeaveCause::timeout);
  }
}

}  // namespace callsignal::control
