// The message types of protocol v1 (docs/protocol.md lists each one's fields), their wire names and
// directions. Values are stable (append only).
#pragma once

#include <optional>
#include <string_view>

namespace callsignal {

enum class MessageType : int {
  hello = 0,
  hello_ack = 1,
  call_request = 2,
  invite = 3,
  ringing = 4,
  accept = 5,
  reject = 6,
  busy = 7,
  cancel = 8,
  hangup = 9,
  call_ended = 10,
  participant_update = 11,
  invite_more = 12,
  mute_request = 13,
  kick = 14,
  end_for_all = 15,
  keepalive = 16,
  token_renewal_request = 17,
  token_renewal = 18,
  status = 19,
  error = 20,
  drain = 21,
  ack = 22,
};

inline constexpr int kMessageTypeCount = 23;

// Who sends a type to whom.
enum class Direction {
  uplink,    // client -> control service (<uplink>/req, or <uplink>/status for status)
  downlink,  // control service -> one client (<downlink>/p2p/<client-id>)
  both,      // either: a client's request, and the service's relay of it to other participants
  loopback,  // a client -> its own P2P topic (drain)
};

// The wire name ("call_request"). Static, never null; "unknown" for a value outside the enum.
const char* to_string(MessageType type) noexcept;

// The type named `name`, or nullopt for a name protocol v1 does not define (case-sensitive).
std::optional<MessageType> parse_message_type(std::string_view name) noexcept;

Direction message_direction(MessageType type) noexcept;

// True for the types that belong to one call and so carry "call" (everything except hello,
// hello_ack, call_request, status, error, drain).
bool is_call_scoped(MessageType type) noexcept;

}  // namespace callsignal
