// Starting calls and inviting people: call_request, invite_more, and fresh RTC tokens.
#include <algorithm>
#include <set>

#include "control/digest.h"
#include "control/engine.h"

namespace callsignal::control {

namespace {

std::vector<std::string> unique_in_order(const std::vector<std::string>& users) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& user : users) {
    if (seen.insert(user).second) out.push_back(user);
  }
  return out;
}

}  // namespace

std::string Engine::new_call_id() {
  auto random = random_hex(12);
  // RAND_bytes cannot fail once OpenSSL is up (new_message_id would have failed first); the clock
  // keeps ids unique all the same.
  return "c-" + config_.instance_id + "-" + (random.ok() ? random.value() : std::to_string(mono_ms_));
}

Result<RtcParams> Engine::mint(const Call& call, const std::string& user) {
  auto params = minter_.mint(call.id, user, wall_ms_ / 1000);
  if (!params.ok()) {
    logger_.error("mint_failed", {{"call", call.id}, {"user", user}, {"detail", params.status().message}});
  }
  return params;
}

bool Engine::user_busy(const std::string& user, const std::string& except_call) const {
  // Busy = in an answered call. A user who is only ringing elsewhere, or whose own call is not
  // answered yet, is not: the device decides (call waiting, glare), and says busy itself.
  for (const auto& [id, call] : calls_) {
    if (id == except_call || !call.connected) continue;
    const Participant* p = call.find(user);
    if (p != nullptr && p->state == PartState::joined) return true;
  }
  return false;
}

void Engine::on_call_request(const Envelope& m) {
  const std::string caller = directory_.user_of(m.from);
  if (caller.empty()) {
    reply_error(m, "bad_request", "unknown device: send hello with body.user first");
    return;
  }
  auto listed = m.body.get_string_list("callees");
  auto media = m.body.get_string("media");
  if (!listed.ok() || !media.ok()) {  // decode() checked the schema: cannot happen
    reply_error(m, "bad_request", "callees and media are required");
    return;
  }
  const std::vector<std::string> callees = unique_in_order(listed.value());
  if (std::find(callees.begin(), callees.end(), caller) != callees.end()) {
    reply_error(m, "bad_request", "msg.body.callees: the caller cannot call itself");
    return;
  }
  if (callees.size() + 1 > limits_.max_group_size) {
    reply_error(m, "too_many_participants",
                "at most " + std::to_string(limits_.max_group_size) + " participants, the caller included");
    return;
  }
  for (const std::string& user : callees) {
    if (Status s = minter_.check_user_id(user); !s.ok()) {
      reply_error(m, "bad_request", s.message);
      return;
    }
  }
  if (Status s = minter_.check_user_id(caller); !s.ok()) {
    reply_error(m, "bad_request", "caller " + s.message);
    return;
  }
  if (user_busy(caller, "")) {
    reply_error(m, "busy", "the caller is in another call");
    return;
  }

  Call call;
  call.id = new_call_id();
  call.caller = caller;
  call.media = std::string(media.value());
  if (m.body.has("custom")) {
    auto custom = m.body.get_json("custom");
    if (custom.ok()) call.custom = custom.value();
  }
  call.request_id = m.id;
  call.created_ms = mono_ms_;
  call.group = callees.size() > 1;
  Participant self;
  self.user = caller;
  self.caller = true;
  self.state = PartState::joined;  // the caller joins the channel as soon as its invite arrives
  self.device = m.from;
  self.invited_at_ms = wall_ms_;
  self.last_alive_ms = mono_ms_;
  self.joined_at_ms = mono_ms_;
  call.participants.push_back(self);
  for (const std::string& user : callees) {
    Participant p;
    p.user = user;
    call.participants.push_back(p);
  }
  auto caller_rtc = mint(call, caller);
  if (!caller_rtc.ok()) {
    reply_error(m, "internal", "could not mint RTC parameters");
    return;
  }

  const std::string call_id = call.id;
  Call& live = calls_.emplace(call_id, std::move(call)).first->second;
  ++stats_.calls_created;
  logger_.info("call_created", {{"call", call_id}, {"caller", caller}, {"device", m.from},
                                {"callees", static_cast<std::uint64_t>(callees.size())}, {"media", live.media}});

  // Every device of the caller gets its invite first, so that each learns the call id before any
  // update about it; the devices that did not send the request stay out of the call.
  for (const std::string& device : directory_.devices_of(caller)) {
    Body body;
    body.set_string("role", "caller")
        .set_string("caller", caller)
        .set_string_list("callees", callees)
        .set_string("media", live.media)
        .set_string_map("rtc", caller_rtc.value())
        .set_string("vendor", minter_.vendor())
        .set_string("request_id", m.id);
    if (!live.custom.empty()) body.set_json("custom", live.custom, config_.codec_limits);
    const std::string id = send(device, MessageType::invite, call_id, std::move(body), limits_.invite_lifetime_ms);
    live.caller_participant().invites[device] = id;
  }
  for (const std::string& user : callees) invite_callee(live, user, callees, {}, false);

  // Nobody left to ring (all busy, or no device known for anyone): the call is over at once.
  if (live.in_call_count() < 2) {
    bool all_busy = true;
    for (const Participant& p : live.participants) {
      if (!p.caller && p.state != PartState::busy) all_busy = false;
    }
    end_call(live, all_busy ? "busy" : "no_answer");
  }
}

void Engine::invite_callee(Call& call, const std::string& user, const std::vector<std::string>& callees,
                           const std::vector<std::string>& members, bool announce) {
  Participant* p = call.find(user);
  if (p == nullptr) return;
  p->invites.clear();
  p->device.clear();
  p->invited_at_ms = wall_ms_;
  p->ring_deadline_ms = mono_ms_ + limits_.ring_timeout_ms;
  if (user_busy(user, call.id)) {
    p->state = PartState::busy;
    logger_.info("callee_busy", {{"call", call.id}, {"user", user}});
    update_others(call, user, PartState::busy);
    return;
  }
  const std::vector<std::string> devices = directory_.devices_of(user);
  auto rtc = devices.empty() ? Result<RtcParams>(Status::error(Errc::invalid_state, "no device")) : mint(call, user);
  if (!rtc.ok()) {
    // Nobody to ring (no device has ever said hello for this user): to the caller this is a call
    // nobody answers, said at once instead of after the ring timeout.
    p->state = PartState::no_answer;
    logger_.info("callee_unreachable", {{"call", call.id}, {"user", user}});
    update_others(call, user, PartState::no_answer);
    return;
  }
  p->state = PartState::invited;
  for (const std::string& device : devices) {
    Body body;
    body.set_string("role", "callee")
        .set_string("caller", call.caller)
        .set_string_list("callees", callees)
        .set_string("media", call.media)
        .set_string_map("rtc", rtc.value())
        .set_string("vendor", minter_.vendor());
    if (!members.empty()) body.set_string_list("members", members);
    if (!call.custom.empty()) body.set_json("custom", call.custom, config_.codec_limits);
    p->invites[device] = send(device, MessageType::invite, call.id, std::move(body), limits_.invite_lifetime_ms);
  }
  logger_.info("callee_invited", {{"call", call.id}, {"user", user},
                                  {"devices", static_cast<std::uint64_t>(devices.size())}});
  if (announce) update_others(call, user, PartState::invited);
}

void Engine::on_invite_more(const Envelope& m, Call& call) {
  auto listed = m.body.get_string_list("callees");
  if (!listed.ok()) {
    reply_error(m, "bad_request", listed.status().message);
    return;
  }
  std::vector<std::string> added;
  for (const std::string& user : unique_in_order(listed.value())) {
    const Participant* p = call.find(user);
    if (p == nullptr || !p->in_call()) added.push_back(user);
  }
  if (added.empty()) return;  // everyone named is in the call already: nothing to do
  if (call.in_call_count() + added.size() > limits_.max_group_size) {
    reply_error(m, "too_many_participants",
                "at most " + std::to_string(limits_.max_group_size) + " participants, the caller included");
    return;
  }
  for (const std::string& user : added) {
    if (Status s = minter_.check_user_id(user); !s.ok()) {
      reply_error(m, "bad_request", s.message);
      return;
    }
  }
  call.group = true;
  const std::vector<std::string> members = call.joined_users();
  for (const std::string& user : added) {
    if (call.find(user) == nullptr) {
      Participant p;
      p.user = user;
      call.participants.push_back(p);  // invalidates references into participants
    }
  }
  logger_.info("invite_more", {{"call", call.id}, {"by", directory_.user_of(m.from)},
                               {"added", static_cast<std::uint64_t>(added.size())}});
  for (const std::string& user : added) invite_callee(call, user, added, members, true);
}

void Engine::on_token_renewal_request(const Envelope& m, Call& call) {
  const std::string user = directory_.user_of(m.from);
  auto rtc = mint(call, user);
  if (!rtc.ok()) {
    reply_error(m, "internal", "could not mint RTC parameters");
    return;
  }
  Body body;
  body.set_string_map("rtc", rtc.value());
  send(m.from, MessageType::token_renewal, call.id, std::move(body));
}

}  // namespace callsignal::control
