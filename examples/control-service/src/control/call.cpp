#include "control/call.h"

#include <algorithm>

namespace callsignal::control {

const char* to_string(PartState state) noexcept {
  switch (state) {
    case PartState::invited: return "invited";
    case PartState::ringing: return "ringing";
    case PartState::joined: return "joined";
    case PartState::rejected: return "rejected";
    case PartState::busy: return "busy";
    case PartState::no_answer: return "no_answer";
    case PartState::left: return "left";
  }
  return "unknown";
}

Participant* Call::find(const std::string& user) {
  auto it = std::find_if(participants.begin(), participants.end(), [&](const Participant& p) { return p.user == user; });
  return it == participants.end() ? nullptr : &*it;
}

const Participant* Call::find(const std::string& user) const {
  auto it = std::find_if(participants.begin(), participants.end(), [&](const Participant& p) { return p.user == user; });
  return it == participants.end() ? nullptr : &*it;
}

std::size_t Call::in_call_count() const {
  return static_cast<std::size_t>(
      std::count_if(participants.begin(), participants.end(), [](const Participant& p) { return p.in_call(); }));
}

std::vector<std::string> Call::users_in_call() const {
  std::vector<std::string> users;
  for (const Participant& p : participants) {
    if (p.in_call()) users.push_back(p.user);
  }
  return users;
}

std::vector<std::string> Call::joined_users() const {
  std::vector<std::string> users;
  for (const Participant& p : participants) {
    if (p.state == PartState::joined) users.push_back(p.user);
  }
  return users;
}

std::vector<std::string> Call::callee_users() const {
  std::vector<std::string> users;
  for (const Participant& p : participants) {
    if (!p.caller) users.push_back(p.user);
  }
  return users;
}

std::vector<std::string> active_devices(const Participant& p) {
  if (p.state == PartState::joined) return p.device.empty() ? std::vector<std::string>{} : std::vector<std::string>{p.device};
  if (p.pending()) {
    std::vector<std::string> devices;
    for (const auto& [device, invite_id] : p.invites) devices.push_back(device);
    return devices;
  }
  return {};
}

}  // namespace callsignal::control
