// Requests about a running call: answers (ringing, accept, reject, busy), cancel, hangup, kick,
// end_for_all, mute, keepalive, token renewal; and the ring timeout.
#include "control/engine.h"

namespace callsignal::control {

namespace {

// The participant that `device` speaks for: the one it was invited for or answered as.
Participant* participant_of(Call& call, const std::string& device) {
  for (Participant& p : call.participants) {
    if (p.device == device || p.invites.count(device) > 0) return &p;
  }
  return nullptr;
}

bool answer_to_ended_call(MessageType type) {
  // A device may still send these for a call that just ended (the end crossed its request): the
  // end it was sent covers them, so they get no error.
  switch (type) {
    case MessageType::ringing:
    case MessageType::reject:
    case MessageType::busy:
    case MessageType::cancel:
    case MessageType::hangup: return true;
    default: return false;
  }
}

}  // namespace

void Engine::on_call_message(const Envelope& m) {
  auto it = calls_.find(m.call_id);
  if (it == calls_.end()) {
    const bool recently_ended = ended_calls_.count(m.call_id) > 0;
    if (recently_ended && answer_to_ended_call(m.type)) return;
    if (recently_ended && m.type == MessageType::accept) {
      reply_error(m, "call_expired", "the call has ended");
    } else {
      reply_error(m, "unknown_call", recently_ended ? "the call has ended" : "no such call");
    }
    return;
  }
  Call& call = it->second;
  Participant* p = participant_of(call, m.from);
  if (p == nullptr) {
    reply_error(m, "not_allowed", "this device is not a participant of the call");
    return;
  }
  const bool on_call_device = p->state == PartState::joined && p->device == m.from;
  if (on_call_device) p->last_alive_ms = mono_ms_;
  if (p->state == PartState::joined && !on_call_device && m.type != MessageType::ringing &&
      m.type != MessageType::accept) {
    // One of the user's other devices (the caller's, or one that lost the race to answer).
    reply_error(m, "not_allowed", "the call is on another device of this user");
    return;
  }

  switch (m.type) {
    case MessageType::ringing: on_ringing(m, call, *p); return;
    case MessageType::accept: on_accept(m, call, *p); return;
    case MessageType::reject: {
      auto reason = m.body.get_string("reason");
      // "timeout": the device rang out on its own ring timer.
      const bool rang_out = reason.ok() && reason.value() == "timeout";
      on_refusal(m, call, *p, rang_out ? PartState::no_answer : PartState::rejected);
      return;
    }
    case MessageType::busy: on_refusal(m, call, *p, PartState::busy); return;
    case MessageType::cancel: on_cancel(m, call, *p); return;
    case MessageType::hangup: on_hangup(m, call, *p); return;
    default: break;
  }
  // The rest is for participants in the call.
  if (!on_call_device) {
    reply_error(m, p->pending() ? "not_allowed" : "unknown_call",
                p->pending() ? "answer the call first" : "no longer in this call");
    return;
  }
  switch (m.type) {
    case MessageType::invite_more: on_invite_more(m, call); return;
    case MessageType::mute_request: on_mute_request(m, call, *p); return;
    case MessageType::kick: on_kick(m, call, *p); return;
    case MessageType::end_for_all: on_end_for_all(m, call, *p); return;
    case MessageType::keepalive: on_keepalive(m, call); return;
    case MessageType::token_renewal_request: on_token_renewal_request(m, call); return;
    default: refuse("wrong_direction"); return;
  }
}

void Engine::on_ringing(const Envelope& m, Call& call, Participant& p) {
  // ringing is the invite's end-to-end delivery ack, whatever else it says.
  auto invite_id = m.body.get_string("invite_id");
  if (invite_id.ok()) dispatcher_.acknowledge(m.from, {std::string(invite_id.value())});
  if (p.state != PartState::invited) return;  // the user's other device rang first, or it is over
  p.state = PartState::ringing;
  update_others(call, p.user, PartState::ringing);
}

void Engine::on_accept(const Envelope& m, Call& call, Participant& p) {
  if (p.caller) {
    reply_error(m, "not_allowed", "the caller does not accept its own call");
    return;
  }
  if (p.state == PartState::joined) {
    if (p.device != m.from) reply_error(m, "not_allowed", "answered on another device");
    return;  // the same device again: it is in already
  }
  if (!p.pending()) {
    reply_error(m, "call_expired", std::string("the invitation is over: ") + to_string(p.state));
    return;
  }
  const std::int64_t expires_at = p.invited_at_ms + limits_.invite_lifetime_ms;
  if (wall_ms_ > expires_at) {
    reply_error(m, "call_expired", "the invite expired at " + std::to_string(expires_at));
    return;
  }
  auto invite = p.invites.find(m.from);
  if (invite != p.invites.end()) dispatcher_.acknowledge(m.from, {invite->second});
  p.state = PartState::joined;
  p.device = m.from;
  p.last_alive_ms = mono_ms_;
  p.joined_at_ms = mono_ms_;
  if (!call.connected) {
    call.connected = true;
    Participant& caller = call.caller_participant();
    caller.last_alive_ms = mono_ms_;
    caller.joined_at_ms = mono_ms_;
  }
  logger_.info("call_answered", {{"call", call.id}, {"user", p.user}, {"device", m.from}});
  std::vector<std::string> others;
  for (const auto& [device, id] : p.invites) {
    if (device != m.from) others.push_back(device);
  }
  end_for_devices(call, others, "answered_elsewhere", 0);
  update_others(call, p.user, PartState::joined);
}

void Engine::on_refusal(const Envelope& m, Call& call, Participant& p, PartState outcome) {
  if (p.caller) {
    reply_error(m, "not_allowed", "the caller cancels or hangs up");
    return;
  }
  if (!p.pending()) return;  // already answered, refused or gone: the first word stands
  logger_.info("callee_refused", {{"call", call.id}, {"user", p.user}, {"device", m.from}, {"as", to_string(outcome)}});
  callee_out(call, p, outcome, m.from);
}

void Engine::on_cancel(const Envelope& m, Call& call, Participant& p) {
  if (!p.caller) {
    reply_error(m, "not_allowed", "only the caller cancels; a callee rejects");
    return;
  }
  // The caller gave up, but a callee's accept may have crossed the cancel: then it is a hangup.
  if (call.connected) {
    leave(call, p, LeaveCause::hangup);
  } else {
    cancel_call(call, "cancelled");
  }
}

void Engine::on_hangup(const Envelope& m, Call& call, Participant& p) {
  if (p.pending()) {  // a ringing callee that hangs up declines
    callee_out(call, p, PartState::rejected, m.from);
    return;
  }
  if (p.state == PartState::joined) leave(call, p, LeaveCause::hangup);
}

void Engine::on_kick(const Envelope& m, Call& call, Participant& p) {
  if (!p.caller) {
    reply_error(m, "not_allowed", "only the caller may remove participants");
    return;
  }
  auto target = m.body.get_string("target");
  Participant* t = target.ok() ? call.find(std::string(target.value())) : nullptr;
  if (t == nullptr || !t->in_call() || t == &p) {
    reply_error(m, "bad_request", "msg.body.target: not another participant of the call");
    return;
  }
  logger_.info("kick", {{"call", call.id}, {"by", p.user}, {"target", t->user}});
  leave(call, *t, LeaveCause::kicked);
}

void Engine::on_end_for_all(const Envelope& m, Call& call, Participant& p) {
  if (!p.caller) {
    reply_error(m, "not_allowed", "only the caller may end the call for everyone");
    return;
  }
  end_call(call, "ended_for_all");
}

void Engine::on_mute_request(const Envelope& m, Call& call, Participant& p) {
  auto target = m.body.get_string("target");
  Participant* t = target.ok() ? call.find(std::string(target.value())) : nullptr;
  if (t == nullptr || t->state != PartState::joined) {
    reply_error(m, "bad_request", "msg.body.target: not a participant in the call");
    return;
  }
  auto audio = m.body.get_bool("audio");
  auto video = m.body.get_bool("video");
  for (const std::string& device : active_devices(*t)) {
    Body body;
    body.set_string("target", t->user)
        .set_string("by", p.user)
        .set_bool("audio", audio.ok() ? audio.value() : true)
        .set_bool("video", video.ok() ? video.value() : false);
    send(device, MessageType::mute_request, call.id, std::move(body));
  }
}

void Engine::check_ring_timeouts() {
  std::vector<std::pair<std::string, std::string>> due;  // call id, user
  for (const auto& [id, call] : calls_) {
    for (const Participant& p : call.participants) {
      if (p.pending() && mono_ms_ >= p.ring_deadline_ms) due.emplace_back(id, p.user);
    }
  }
  for (const auto& [call_id, user] : due) {
    auto it = calls_.find(call_id);
    if (it == calls_.end()) continue;
    Participant* p = it->second.find(user);
    if (p == nullptr || !p->pending()) continue;
    logger_.info("ring_timeout", {{"call", call_id}, {"user", user}});
    callee_out(it->second, *p, PartState::no_answer, "");
  }
}

}  // namespace callsignal::control
