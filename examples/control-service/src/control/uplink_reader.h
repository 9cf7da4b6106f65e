// Reading uplink payloads: the checks beyond decode() that the service applies, and who to tell
// when a payload is refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/envelope/codec_limits.h"
#include "core/envelope/envelope.h"

namespace callsignal::control {

// <group>@@@<device> with both parts valid (what a P2P topic can be built from).
bool is_client_id(std::string_view id) noexcept;

// The types a device may send to the service (on <uplink>/req; status also on <uplink>/status).
bool is_uplink_type(MessageType type) noexcept;

// Who sent a payload that decode() refused, when it can be told: a frame whose message text is a
// JSON object with a client-id "from" and a message-id "id". The service answers such a sender
// with error bad_request; anything less identifiable is only counted.
struct SenderHint {
  std::string from;
  std::string id;
};
std::optional<SenderHint> sender_hint(std::string_view payload, const CodecLimits& limits) noexcept;

// A presence payload that is not a protocol frame: the session layer's default,
// {"type":"status","state":"online|offline","client_id":"..."} (src/core/session). Accepted on the
// status topic so that devices built on the bare session layer are seen too.
struct BarePresence {
  std::string client_id;
  bool online = false;
};
std::optional<BarePresence> bare_presence(std::string_view payload) noexcept;

}  // namespace callsignal::control
