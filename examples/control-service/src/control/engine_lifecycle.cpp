// How participants leave and calls end, and who is told what.
#include "control/engine.h"

namespace callsignal::control {

namespace {

// A device told that a call is over still needs that message, and nothing else of the call.
const std::set<MessageType> kEndTypes = {MessageType::call_ended, MessageType::cancel, MessageType::hangup};

const char* end_reason(PartState outcome) {
  switch (outcome) {
    case PartState::busy: return "busy";
    case PartState::no_answer: return "no_answer";
    default: return "rejected";
  }
}

}  // namespace

void Engine::update_others(const Call& call, const std::string& subject, PartState state) {
  for (const Participant& p : call.participants) {
    if (p.user == subject || !p.in_call()) continue;
    for (const std::string& device : active_devices(p)) {
      Body body;
      body.set_string("participant", subject).set_string("state", to_string(state));
      send(device, MessageType::participant_update, call.id, std::move(body));
    }
  }
}

void Engine::end_for_devices(const Call& call, const std::vector<std::string>& devices, const std::string& reason,
                             std::int64_t duration_ms) {
  for (const std::string& device : devices) {
    dispatcher_.forget_call(device, call.id, kEndTypes);
    Body body;
    body.set_string("reason", reason);
    if (duration_ms > 0) body.set_int("duration_ms", duration_ms);
    send(device, MessageType::call_ended, call.id, std::move(body));
  }
}

bool Engine::callee_out(Call& call, Participant& p, PartState outcome, const std::string& except_device) {
  // The device that answered no knows; the user's other devices stop ringing.
  std::vector<std::string> others;
  for (const auto& [device, invite_id] : p.invites) {
    if (device == except_device) {
      dispatcher_.acknowledge(device, {invite_id});
    } else {
      others.push_back(device);
    }
  }
  p.state = outcome;
  end_for_devices(call, others, except_device.empty() ? end_reason(outcome) : "rejected_elsewhere", 0);
  update_others(call, p.user, outcome);
  return end_if_alone(call, end_reason(outcome));
}

bool Engine::end_if_alone(Call& call, const std::string& reason) {
  if (call.in_call_count() >= 2) return true;
  end_call(call, reason);
  return false;
}

bool Engine::cancel_call(Call& call, const std::string& reason) {
  for (const Participant& p : call.participants) {
    if (!p.pending()) continue;
    for (const std::string& device : active_devices(p)) {
      dispatcher_.forget_call(device, call.id, kEndTypes);
      Body body;
      body.set_string("by", call.caller);
      send(device, MessageType::cancel, call.id, std::move(body));
    }
  }
  erase_call(call.id, reason);
  return false;
}

bool Engine::leave(Call& call, Participant& p, LeaveCause cause) {
  if (p.caller && !call.connected) return cancel_call(call, cause == LeaveCause::timeout ? "timeout" : "cancelled");

  const std::vector<std::string> devices = active_devices(p);
  const std::int64_t duration = p.state == PartState::joined ? mono_ms_ - p.joined_at_ms : 0;
  const std::string user = p.user;
  p.state = PartState::left;
  // The one who leaves: a kicked user is told so; a lost device learns it when it comes back.
  if (cause == LeaveCause::kicked) end_for_devices(call, devices, "kicked", duration);
  if (cause == LeaveCause::timeout) end_for_devices(call, devices, "timeout", duration);

  if (!call.group) {
    // 1:1: the call is over for the peer too.
    for (const Participant& peer : call.participants) {
      if (!peer.in_call()) continue;
      const std::int64_t peer_duration = peer.state == PartState::joined ? mono_ms_ - peer.joined_at_ms : 0;
      for (const std::string& device : active_devices(peer)) {
        if (cause == LeaveCause::hangup) {
          dispatcher_.forget_call(device, call.id, kEndTypes);
          Body body;
          body.set_string("by", user);
          send(device, MessageType::hangup, call.id, std::move(body));
        } else {
          end_for_devices(call, {device}, cause == LeaveCause::timeout ? "timeout" : "hangup", peer_duration);
        }
      }
    }
    erase_call(call.id, cause == LeaveCause::hangup ? "hangup" : cause == LeaveCause::timeout ? "timeout" : "kicked");
    return false;
  }
  update_others(call, user, PartState::left);
  return end_if_alone(call, "hangup");
}

void Engine::end_call(Call& call, const std::string& reason) {
  for (const Participant& p : call.participants) {
    if (!p.in_call()) continue;
    const std::int64_t duration = p.state == PartState::joined && call.connected ? mono_ms_ - p.joined_at_ms : 0;
    end_for_devices(call, active_devices(p), reason, duration);
  }
  erase_call(call.id, reason);
}

void Engine::erase_call(const std::string& id_ref, const std::string& reason) {
  const std::string call_id = id_ref;  // id_ref may be the call's own id, destroyed by the erase
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  const auto duration = it->second.connected ? mono_ms_ - it->second.created_ms : 0;
  calls_.erase(it);
  ended_calls_[call_id] = mono_ms_ + limits_.ended_call_memory_ms;
  ++stats_.calls_ended;
  ++stats_.calls_ended_by_reason[reason];
  logger_.info("call_ended", {{"call", call_id}, {"reason", reason}, {"ms", duration}});
}

}  // namespace callsignal::control
