// One call as the service sees it: who takes part, in which state, on which device.
// Plain data and small queries; the protocol logic that changes it is in engine*.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "control/rtc_minter.h"

namespace callsignal::control {

// participant_update states (docs/protocol.md), plus the caller's own.
enum class PartState { invited, ringing, joined, rejected, busy, no_answer, left };
const char* to_string(PartState state) noexcept;

struct Participant {
  std::string user;
  bool caller = false;
  PartState state = PartState::invited;
  // Devices sent an invite, with its message id; the one that answered (the caller: the device
  // that sent call_request).
  std::map<std::string, std::string> invites;
  std::string device;
  std::int64_t invited_at_ms = 0;     // service clock (wall), the invite's ts
  std::int64_t ring_deadline_ms = 0;  // monotonic; while invited or ringing
  std::int64_t last_alive_ms = 0;     // monotonic; joined participants: last keepalive or request
  std::int64_t keepalive_interval_ms = 0;  // as the device reported it (0: unknown)
  std::int64_t joined_at_ms = 0;      // monotonic, for duration_ms

  // Still part of the call: invited, ringing or joined.
  bool in_call() const { return state == PartState::invited || state == PartState::ringing || state == PartState::joined; }
  bool pending() const { return state == PartState::invited || state == PartState::ringing; }
};

struct Call {
  std::string id;       // also the RTC channel
  std::string caller;   // user id
  std::string media;    // audio | video
  std::string custom;   // the caller's custom object as JSON text; empty: none
  std::string request_id;
  std::int64_t created_ms = 0;  // monotonic
  bool connected = false;       // a callee has answered
  bool group = false;           // more than two participants were ever invited
  std::vector<Participant> participants;  // the caller first

  Participant* find(const std::string& user);
  const Participant* find(const std::string& user) const;
  Participant& caller_participant() { return participants.front(); }
  std::size_t in_call_count() const;
  std::vector<std::string> users_in_call() const;
  std::vector<std::string> joined_users() const;
  std::vector<std::string> callee_users() const;  // every callee ever invited, in order
};

// The devices that should hear about `p` now: the answering device once joined, every invited
// device while invited or ringing, none after it left.
std::vector<std::string> active_devices(const Participant& p);

}  // namespace callsignal::control
