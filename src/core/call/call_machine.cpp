#include "core/call/call_machine.h"

#include <algorithm>
#include <charconv>
#include <type_traits>
#include <utility>

namespace callsignal {

namespace {

unsigned bit(TimerKind kind) { return 1u << static_cast<unsigned>(kind); }

bool in_call(CallState s) {
  return s == CallState::dialing || s == CallState::accepting || s == CallState::connecting || s == CallState::active;
}

std::string string_or_empty(const Body& body, std::string_view field) {
  auto r = body.get_string(field);
  return r.ok() ? std::string(r.value()) : std::string();
}

}  // namespace

CallMachine::CallMachine(CallConfig config) : config_(std::move(config)) {}

bool CallMachine::is_engaged(CallState s) noexcept {
  return s == CallState::outgoing || s == CallState::dialing || s == CallState::accepting ||
         s == CallState::connecting || s == CallState::active;
}

std::vector<CallAction> CallMachine::handle(const CallEvent& event, std::int64_t now_ms) {
  now_ = now_ms;
  out_.clear();
  forget_old();
  std::visit([this](const auto& e) { on(e); }, event);
  return std::move(out_);
}

// ---- queries ----

CallState CallMachine::state_of(std::string_view call_id) const {
  auto it = calls_.find(call_id);
  if (it != calls_.end()) return it->second.state;
  return is_ended(call_id) ? CallState::ended : CallState::idle;
}

std::optional<CallSnapshot> CallMachine::call(std::string_view call_id) const {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return std::nullopt;
  const Call& c = it->second;
  return CallSnapshot{c.key, c.request_id, c.state, c.caller, c.waiting, c.rtc_joined, c.peer_caller, c.media,
                      c.participants};
}

std::vector<CallSnapshot> CallMachine::calls() const {
  std::vector<CallSnapshot> result;
  for (const auto& entry : calls_) result.push_back(*call(entry.first));
  return result;
}

std::optional<std::string> CallMachine::engaged_call() const {
  for (const auto& entry : calls_) {
    if (is_engaged(entry.second.state)) return entry.first;
  }
  return std::nullopt;
}

// ---- bookkeeping ----

CallMachine::Call* CallMachine::find(std::string_view key) {
  auto it = calls_.find(key);
  return it == calls_.end() ? nullptr : &it->second;
}

CallMachine::Call* CallMachine::find_engaged() {
  for (auto& entry : calls_) {
    if (is_engaged(entry.second.state)) return &entry.second;
  }
  return nullptr;
}

CallMachine::Call* CallMachine::find_ringing() {
  for (auto& entry : calls_) {
    if (entry.second.state == CallState::incoming) return &entry.second;
  }
  return nullptr;
}

CallMachine::Call* CallMachine::find_recovered() {
  for (auto& entry : calls_) {
    if (entry.second.state == CallState::recovered) return &entry.second;
  }
  return nullptr;
}

bool CallMachine::is_ended(std::string_view key) const { return ended_.find(key) != ended_.end(); }

void CallMachine::remember_ended(const std::string& key) {
  if (key.empty()) return;
  ended_[key] = now_ + config_.ended_memory_ms;
  while (ended_.size() > config_.ended_memory_max) {
    // Evict the entry that would be forgotten first (ties: the smallest key): deterministic.
    auto oldest = std::min_element(ended_.begin(), ended_.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
    ended_.erase(oldest);
  }
}

void CallMachine::forget_old() {
  for (auto* memory : {&ended_, &abandoned_}) {
    for (auto it = memory->begin(); it != memory->end();) {
      it = it->second <= now_ ? memory->erase(it) : std::next(it);
    }
  }
}

void CallMachine::send(MessageType type, const std::string& call_id, Body body, std::string message_id) {
  out_.emplace_back(SendRequest{type, call_id, std::move(body), std::move(message_id)});
}

void CallMachine::arm(Call& c, TimerKind kind, std::int64_t duration_ms) {
  c.timers |= bit(kind);
  out_.emplace_back(StartTimer{c.key, kind, std::max<std::int64_t>(0, duration_ms)});
}

void CallMachine::disarm(Call& c, TimerKind kind) {
  if ((c.timers & bit(kind)) == 0) return;
  c.timers &= ~bit(kind);
  out_.emplace_back(CancelTimer{c.key, kind});
}

void CallMachine::join_rtc(Call& c) {
  c.rtc_pending = true;
  out_.emplace_back(JoinRtc{c.key, c.rtc, c.vendor});
  arm(c, TimerKind::join, config_.join_timeout_ms);
}

void CallMachine::set_state(Call& c, CallState state, std::optional<EndReason> reason) {
  c.state = state;
  out_.emplace_back(NotifyState{c.key, state, reason});
}

void CallMachine::enter_active(Call& c) {
  set_state(c, CallState::active);
  arm(c, TimerKind::keepalive, config_.keepalive_interval_ms);
  arm(c, TimerKind::peer_silence, config_.peer_silence_ms);
}

void CallMachine::arm_token_renewal(Call& c) {
  auto it = c.rtc.find(config_.token_expiry_key);
  if (it == c.rtc.end()) return;
  std::int64_t expiry_s = 0;
  const char* first = it->second.data();
  const char* last = first + it->second.size();
  auto [ptr, ec] = std::from_chars(first, last, expiry_s);
  if (ec != std::errc() || ptr != last || expiry_s <= 0 || expiry_s > 9007199254740LL) return;
  arm(c, TimerKind::token_renewal, expiry_s * 1000 - config_.token_renewal_lead_ms - now_);
}

void CallMachine::notify_participants(const Call& c) {
  out_.emplace_back(NotifyParticipants{c.key, c.participants});
}

void CallMachine::refuse(const std::string& call_id, const char* what, const char* why) {
  out_.emplace_back(NotifyCommandFailed{call_id, what, why});
}

void CallMachine::send_leave_request(const Call& c) {
  if (c.call_id.empty()) return;  // outgoing before the invite: nothing to name yet
  switch (c.state) {
    case CallState::incoming: {
      Body body;
      body.set_string("reason", "declined");
      if (!c.invite_id.empty()) body.set_string("invite_id", c.invite_id);
      send(MessageType::reject, c.call_id, std::move(body));
      return;
    }
    case CallState::dialing:
      if (!c.answered) {
        send(MessageType::cancel, c.call_id, Body());
        return;
      }
      break;
    default:
      break;
  }
  send(MessageType::hangup, c.call_id, Body());
}

void CallMachine::finish(Call& c, EndReason reason) {
  if (c.ringing) {
    c.ringing = false;
    out_.emplace_back(StopRinging{c.key});
  }
  for (int k = 0; k < kTimerKindCount; ++k) disarm(c, static_cast<TimerKind>(k));
  if (c.state == CallState::outgoing) abandoned_[c.request_id] = now_ + config_.ended_memory_ms;
  c.end_reason = reason;
  if (c.rtc_pending) {
    c.rtc_pending = false;
    out_.emplace_back(LeaveRtc{c.key});
    if (!c.rtc_gone) {
      set_state(c, CallState::ending, reason);
      arm(c, TimerKind::leave, config_.leave_timeout_ms);
      return;
    }
  }
  complete(c);
}

void CallMachine::complete(Call& c) {
  for (int k = 0; k < kTimerKindCount; ++k) disarm(c, static_cast<TimerKind>(k));
  set_state(c, CallState::ended, c.end_reason);
  const std::string key = c.key;
  remember_ended(key);
  calls_.erase(key);  // `c` dangles from here
}

// ---- local commands ----

void CallMachine::on(const StartCall& e) {
  if (e.request_id.empty() || find(e.request_id) != nullptr || is_ended(e.request_id)) {
    return refuse(e.request_id, "start_call", "request_id must be new and not empty");
  }
  if (e.callees.empty() || e.callees.size() + 1 > config_.max_group) {
    return refuse(e.request_id, "start_call", "callees: 1 to max_group - 1 users");
  }
  for (const auto& callee : e.callees) {
    if (callee.empty() || callee == config_.self_user) return refuse(e.request_id, "start_call", "bad callee");
  }
  if (find_engaged() != nullptr || find_ringing() != nullptr || find_recovered() != nullptr) {
    return refuse(e.request_id, "start_call", "busy: another call is in progress, ringing or awaiting rejoin");
  }
  Body body;
  body.set_string_list("callees", e.callees);
  body.set_string("media", to_string(e.media));
  if (!e.custom_json.empty() && !body.set_json("custom", e.custom_json).ok()) {
    return refuse(e.request_id, "start_call", "custom: not valid JSON");
  }
  Call c;
  c.key = e.request_id;
  c.request_id = e.request_id;
  c.caller = true;
  c.peer_caller = config_.self_user;
  c.callees = e.callees;
  c.media = e.media;
  for (const auto& callee : e.callees) c.participants[callee] = ParticipantState::invited;
  Call& stored = calls_.emplace(c.key, std::move(c)).first->second;
  send(MessageType::call_request, {}, std::move(body), e.request_id);
  arm(stored, TimerKind::request, config_.request_timeout_ms);
  set_state(stored, CallState::outgoing);
}

void CallMachine::on(const Accept& e) {
  Call* c = find(e.call_id);
  if (c == nullptr) return;
  if (c->state != CallState::incoming) return refuse(e.call_id, "accept", "not ringing");
  if (Call* other = find_engaged()) {  // call waiting: the engaged call gives way
    send_leave_request(*other);
    finish(*other, EndReason::local_hangup);
    c = find(e.call_id);
  }
  c->ringing = false;
  out_.emplace_back(StopRinging{c->key});
  disarm(*c, TimerKind::ring);
  disarm(*c, TimerKind::lifetime);
  Body body;
  if (!c->invite_id.empty()) body.set_string("invite_id", c->invite_id);
  send(MessageType::accept, c->call_id, std::move(body));
  c->waiting = false;
  join_rtc(*c);
  set_state(*c, CallState::accepting);
}

void CallMachine::on(const Reject& e) {
  Call* c = find(e.call_id);
  if (c == nullptr) return;
  if (c->state != CallState::incoming) return refuse(e.call_id, "reject", "not ringing");
  Body body;
  body.set_string("reason", e.reason.empty() || e.reason.size() > 64 ? std::string("declined") : e.reason);
  if (!c->invite_id.empty()) body.set_string("invite_id", c->invite_id);
  send(MessageType::reject, c->call_id, std::move(body));
  finish(*c, EndReason::rejected);
}

void CallMachine::on(const Cancel& e) {
  Call* c = find(e.call_id);
  if (c == nullptr) return;
  if (c->state != CallState::outgoing && !(c->state == CallState::dialing && !c->answered)) {
    return refuse(e.call_id, "cancel", "not an unanswered outgoing call");
  }
  send_leave_request(*c);
  finish(*c, EndReason::cancelled);
}

void CallMachine::on(const Hangup& e) {
  Call* c = find(e.call_id);
  if (c == nullptr || c->state == CallState::ending) return;
  EndReason reason = EndReason::local_hangup;
  if (c->state == CallState::outgoing || c->state == CallState::dialing) reason = EndReason::cancelled;
  if (c->state == CallState::incoming) reason = EndReason::rejected;
  send_leave_request(*c);
  finish(*c, reason);
}

void CallMachine::on(const InviteMore& e) {
  Call* c = find(e.call_id);
  if (c == nullptr) return;
  if (!in_call(c->state)) return refuse(e.call_id, "invite_more", "not in the call");
  if (e.callees.empty()) return refuse(e.call_id, "invite_more", "no callees");
  std::size_t total = 1 + c->participants.size();
  for (const auto& callee : e.callees) {
    if (callee.empty() || callee == config_.self_user) return refuse(e.call_id, "invite_more", "bad callee");
    if (c->participants.count(callee) == 0) ++total;
  }
  if (total > config_.max_group) return refuse(e.call_id, "invite_more", "more than max_group participants");
  Body body;
  body.set_string_list("callees", e.callees);
  send(MessageType::invite_more, c->call_id, std::move(body));
  for (const auto& callee : e.callees) c->participants[callee] = ParticipantState::invited;
  notify_participants(*c);
}

void CallMachine::on(const MuteRequest& e) {
  Call* c = find(e.call_id);
  if (c == nullptr) return;
  if (!in_call(c->state)) return refuse(e.call_id, "mute_request", "not in the call");
  if (e.target.empty()) return refuse(e.call_id, "mute_request", "no target");
  Body body;
  body.set_string("target", e.target);
  body.set_bool("audio", e.audio);
  body.set_bool("video", e.video);
  send(MessageType::mute_request, c->call_id, std::move(body));
}

void CallMachine::on(const Kick& e) {
  Call* c = find(e.call_id);
  if (c == nullptr) return;
  if (!in_call(c->state)) return refuse(e.call_id, "kick", "not in the call");
  if (e.target.empty() || e.target == config_.self_user) return refuse(e.call_id, "kick", "bad target");
  Body body;
  body.set_string("target", e.target);
  send(MessageType::kick, c->call_id, std::move(body));
}

void CallMachine::on(const EndForAll& e) {
  Call* c = find(e.call_id);
  if (c == nullptr) return;
  if (!in_call(c->state)) return refuse(e.call_id, "end_for_all", "not in the call");
  send(MessageType::end_for_all, c->call_id, Body());
  finish(*c, EndReason::ended_by_host);
}

void CallMachine::on(const Rejoin& e) {
  Call* c = find(e.call_id);
  if (c == nullptr) return;
  if (c->state != CallState::recovered) return refuse(e.call_id, "rejoin", "not a recovered call");
  if (find_engaged() != nullptr) return refuse(e.call_id, "rejoin", "busy: another call is engaged");
  join_rtc(*c);
  set_state(*c, CallState::connecting);
}

void CallMachine::on(const TokenExpiring& e) {
  Call* c = find(e.call_id);
  if (c == nullptr) return;
  if (!c->rtc_pending || c->state == CallState::ending) return refuse(e.call_id, "token_renewal", "not in RTC");
  send(MessageType::token_renewal_request, c->call_id, Body());
}

// ---- the service ----

void CallMachine::on(const IncomingMessage& e) {
  const Envelope& m = e.message;
  if (m.type == MessageType::invite) return on_invite(m);
  if (m.type == MessageType::error) {
    auto reply_to = m.body.get_string("reply_to");
    if (!reply_to.ok()) return;
    Call* c = find(reply_to.value());
    if (c == nullptr || c->state != CallState::outgoing) return;
    auto code = m.body.get_string("code");
    finish(*c, code.ok() && code.value() == "busy" ? EndReason::busy : EndReason::service_error);
    return;
  }
  if (m.call_id.empty() || is_ended(m.call_id)) return;
  Call* c = find(m.call_id);
  switch (m.type) {
    case MessageType::cancel:
    case MessageType::hangup:
    case MessageType::call_ended: {
      if (c == nullptr) {
        // An end before its invite (no ordering, protocol section 9): the late invite must not ring.
        remember_ended(m.call_id);
        return;
      }
      if (c->state == CallState::ending) return;
      EndReason reason = m.type == MessageType::cancel   ? EndReason::cancelled
                         : m.type == MessageType::hangup ? EndReason::remote_hangup
                                                         : end_reason_from_call_ended(string_or_empty(m.body, "reason"));
      if (c->state == CallState::incoming && reason == EndReason::cancelled) {
        out_.emplace_back(NotifyMissed{c->key, c->peer_caller, EndReason::cancelled});
      }
      finish(*c, reason);
      return;
    }
    case MessageType::participant_update:
      if (c != nullptr && c->state != CallState::ending) on_participant_update(*c, m);
      return;
    case MessageType::mute_request:
      if (c != nullptr && in_call(c->state) && string_or_empty(m.body, "target") == config_.self_user) {
        auto audio = m.body.get_bool("audio");
        auto video = m.body.get_bool("video");
        out_.emplace_back(NotifyMuteRequested{c->key, string_or_empty(m.body, "by"), audio.ok() ? audio.value() : true,
                                              video.ok() ? video.value() : false});
      }
      return;
    case MessageType::keepalive:
      if (c != nullptr && c->state == CallState::active) arm(*c, TimerKind::peer_silence, config_.peer_silence_ms);
      return;
    case MessageType::token_renewal: {
      if (c == nullptr || !c->rtc_pending || c->state == CallState::ending) return;
      auto rtc = m.body.get_string_map("rtc");
      if (!rtc.ok()) return;
      for (auto& entry : rtc.value()) c->rtc[entry.first] = entry.second;
      out_.emplace_back(UpdateRtc{c->key, c->rtc});
      if (c->rtc_joined) arm_token_renewal(*c);
      return;
    }
    default:
      return;  // uplink-only types, or types that carry nothing for the machine
  }
}

void CallMachine::on_invite(const Envelope& m) {
  if (m.call_id.empty() || is_ended(m.call_id) || find(m.call_id) != nullptr) return;  // late or repeated
  if (string_or_empty(m.body, "role") == "caller") return on_caller_invite(m);
  on_callee_invite(m);
}

void CallMachine::on_caller_invite(const Envelope& m) {
  const std::string request_id = string_or_empty(m.body, "request_id");
  if (abandoned_.count(request_id) != 0) {
    // We gave this attempt up before the service created the call: end it there too.
    send(MessageType::cancel, m.call_id, Body());
    remember_ended(m.call_id);
    return;
  }
  Call* pending = find(request_id);
  if (request_id.empty() || pending == nullptr || pending->state != CallState::outgoing) {
    return;  // another device of ours started it (or a stale attempt): this device stays out
  }
  disarm(*pending, TimerKind::request);
  Call c = std::move(*pending);
  calls_.erase(request_id);
  c.key = m.call_id;
  c.call_id = m.call_id;
  c.invite_id = m.id;
  auto rtc = m.body.get_string_map("rtc");
  if (rtc.ok()) c.rtc = std::move(rtc.value());
  c.vendor = string_or_empty(m.body, "vendor");
  Call& stored = calls_.emplace(c.key, std::move(c)).first->second;
  out_.emplace_back(NotifyCallId{request_id, stored.key});
  join_rtc(stored);
  arm(stored, TimerKind::ring, config_.ring_timeout_ms);
  notify_participants(stored);
  set_state(stored, CallState::dialing);
}

void CallMachine::on_callee_invite(const Envelope& m) {
  const std::string caller = string_or_empty(m.body, "caller");
  auto callees_r = m.body.get_string_list("callees");
  std::vector<std::string> callees = callees_r.ok() ? callees_r.value() : std::vector<std::string>{};
  auto media = parse_media(string_or_empty(m.body, "media")).value_or(Media::audio);

  Call c;
  c.key = m.call_id;
  c.call_id = m.call_id;
  c.invite_id = m.id;
  c.peer_caller = caller;
  c.callees = callees;
  c.media = media;
  auto rtc = m.body.get_string_map("rtc");
  if (rtc.ok()) c.rtc = std::move(rtc.value());
  c.vendor = string_or_empty(m.body, "vendor");
  if (!caller.empty() && caller != config_.self_user) c.participants[caller] = ParticipantState::joined;
  for (const auto& callee : callees) {
    if (callee != config_.self_user) c.participants[callee] = ParticipantState::invited;
  }
  auto members_r = m.body.get_string_list("members");
  std::vector<std::string> members = members_r.ok() ? members_r.value() : std::vector<std::string>{};
  for (const auto& member : members) {
    if (member != config_.self_user) c.participants[member] = ParticipantState::joined;
  }
  const std::string custom = m.body.has("custom") ? m.body.get_json("custom").value() : std::string();

  Call* engaged = find_engaged();
  // Glare: our unanswered 1:1 call to this caller, and their 1:1 call to us.
  if (engaged != nullptr && engaged->caller && !engaged->answered &&
      (engaged->state == CallState::outgoing || engaged->state == CallState::dialing) &&
      engaged->callees.size() == 1 && engaged->callees[0] == caller && callees.size() == 1 &&
      callees[0] == config_.self_user) {
    if (config_.self_user < caller) {
      remember_ended(m.call_id);  // we win: their attempt is theirs to cancel
      return;
    }
    send_leave_request(*engaged);
    finish(*engaged, EndReason::glare);
    Call& stored = calls_.emplace(c.key, std::move(c)).first->second;
    out_.emplace_back(NotifyIncoming{stored.key, caller, callees, media, custom, false, true, members});
    Body body;
    body.set_string("invite_id", stored.invite_id);
    send(MessageType::accept, stored.call_id, std::move(body));
    join_rtc(stored);
    set_state(stored, CallState::accepting);
    return;
  }

  const std::int64_t lifetime_end = m.ts_ms + m.ttl_ms;
  if (lifetime_end <= now_) {
    out_.emplace_back(NotifyMissed{c.key, caller, EndReason::expired});
    remember_ended(m.call_id);
    return;
  }
  const bool can_wait = config_.busy_policy == BusyPolicy::call_waiting && engaged != nullptr && find_ringing() == nullptr;
  if ((engaged != nullptr || find_ringing() != nullptr) && !can_wait) {
    Body body;
    body.set_string("invite_id", m.id);
    send(MessageType::busy, m.call_id, std::move(body));
    out_.emplace_back(NotifyMissed{c.key, caller, EndReason::busy});
    remember_ended(m.call_id);
    return;
  }
  c.waiting = can_wait;
  c.ringing = true;
  Call& stored = calls_.emplace(c.key, std::move(c)).first->second;
  out_.emplace_back(Ring{stored.key, caller, media, stored.waiting});
  Body ringing;
  ringing.set_string("invite_id", stored.invite_id);
  send(MessageType::ringing, stored.call_id, std::move(ringing));
  arm(stored, TimerKind::ring, config_.ring_timeout_ms);
  arm(stored, TimerKind::lifetime, lifetime_end - now_);
  out_.emplace_back(NotifyIncoming{stored.key, caller, callees, media, custom, stored.waiting, false, members});
  set_state(stored, CallState::incoming);
}

void CallMachine::on_participant_update(Call& c, const Envelope& m) {
  const std::string who = string_or_empty(m.body, "participant");
  auto state = parse_participant_state(string_or_empty(m.body, "state"));
  if (who.empty() || who == config_.self_user || !state) return;
  c.participants[who] = *state;
  notify_participants(c);
  if (c.caller && c.state == CallState::dialing && *state == ParticipantState::joined) {
    c.answered = true;
    disarm(c, TimerKind::ring);
    if (c.rtc_joined) {
      enter_active(c);
    } else {
      set_state(c, CallState::connecting);
    }
  }
}

void CallMachine::on(const RequestFailed& e) {
  Call* c = find(e.call_id);
  if (c == nullptr || c->state == CallState::ending) return;
  if ((e.request == MessageType::accept && c->state == CallState::accepting) ||
      (e.request == MessageType::call_request && c->state == CallState::outgoing)) {
    finish(*c, e.code == "call_expired" ? EndReason::expired
               : e.code == "busy"       ? EndReason::busy
                                        : EndReason::service_error);
    return;
  }
  refuse(e.call_id, to_string(e.request), e.code.c_str());
}

void CallMachine::on(const LiveCallReported& e) {
  if (e.call_id.empty() || find(e.call_id) != nullptr || is_ended(e.call_id)) return;
  if (find_engaged() != nullptr) return;  // we are in another call already: the service will time it out
  Call c;
  c.key = e.call_id;
  c.call_id = e.call_id;
  c.peer_caller = e.caller;
  c.caller = e.caller == config_.self_user;
  c.answered = true;
  c.media = e.media;
  c.rtc = e.rtc;
  for (const auto& member : e.members) {
    if (member != config_.self_user) c.participants[member] = ParticipantState::joined;
  }
  Call& stored = calls_.emplace(c.key, std::move(c)).first->second;
  out_.emplace_back(NotifyLiveCall{stored.key, e.caller, e.members, e.media});
  set_state(stored, CallState::recovered);
}

// ---- the client's machinery ----

void CallMachine::on(const TimerFired& e) {
  Call* c = find(e.call_id);
  if (c == nullptr || (c->timers & bit(e.kind)) == 0) return;  // cancelled already: a late fire
  c->timers &= ~bit(e.kind);
  switch (e.kind) {
    case TimerKind::request:
      finish(*c, EndReason::service_error);
      return;
    case TimerKind::ring:
      if (c->state == CallState::incoming) {
        Body body;
        body.set_string("reason", "timeout");
        if (!c->invite_id.empty()) body.set_string("invite_id", c->invite_id);
        send(MessageType::reject, c->call_id, std::move(body));
      } else {
        send_leave_request(*c);
      }
      finish(*c, EndReason::no_answer);
      return;
    case TimerKind::lifetime:
      finish(*c, EndReason::expired);
      return;
    case TimerKind::join:
      c->rtc_gone = true;  // the join never completed: no RtcLeft to wait for
      send_leave_request(*c);
      finish(*c, EndReason::join_failed);
      return;
    case TimerKind::keepalive: {
      Body body;
      body.set_int("interval_ms", std::clamp<std::int64_t>(config_.keepalive_interval_ms, 1000, 600000));
      send(MessageType::keepalive, c->call_id, std::move(body));
      arm(*c, TimerKind::keepalive, config_.keepalive_interval_ms);
      return;
    }
    case TimerKind::peer_silence:
      send_leave_request(*c);
      finish(*c, EndReason::network_lost);
      return;
    case TimerKind::token_renewal:
      send(MessageType::token_renewal_request, c->call_id, Body());
      return;
    case TimerKind::leave:
      complete(*c);
      return;
  }
}

void CallMachine::on(const RtcJoined& e) {
  Call* c = find(e.call_id);
  if (c == nullptr || !c->rtc_pending || c->rtc_joined || c->state == CallState::ending) return;
  c->rtc_joined = true;
  disarm(*c, TimerKind::join);
  arm_token_renewal(*c);
  if (c->state == CallState::accepting || c->state == CallState::connecting) enter_active(*c);
}

void CallMachine::on(const RtcLeft& e) { rtc_gone(e.call_id, EndReason::network_lost); }

void CallMachine::on(const RtcFailed& e) { rtc_gone(e.call_id, EndReason::join_failed); }

// The RTC SDK left the channel: the leave we asked for (ending), or on its own (kicked out of the
// channel, network, a failed join): then the call is lost here, for `reason`.
void CallMachine::rtc_gone(const std::string& call_id, EndReason reason) {
  Call* c = find(call_id);
  if (c == nullptr) return;
  if (c->state == CallState::ending) return complete(*c);
  if (!c->rtc_pending) return;
  c->rtc_gone = true;
  send_leave_request(*c);
  finish(*c, reason);
}

void CallMachine::on(const ConnectionChanged& e) {
  const bool restored = e.connected && !connected_;
  connected_ = e.connected;
  if (!restored) return;
  // The service's keepalives could not reach us while we were away: give the peer a fresh grace.
  for (auto& entry : calls_) {
    if (entry.second.state == CallState::active) arm(entry.second, TimerKind::peer_silence, config_.peer_silence_ms);
  }
}

}  // namespace callsignal
