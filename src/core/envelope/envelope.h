// A protocol v1 message (the JSON object carried, as text, in a frame's "msg"). Field rules and
// every type's body schema: docs/protocol.md; the code that enforces them: schema.h.
#pragma once

#include <cstdint>
#include <string>

#include "core/envelope/body.h"
#include "core/envelope/message_type.h"

namespace callsignal {

struct Envelope {
  std::string id;                     // 32 lowercase hex chars (new_message_id())
  MessageType type = MessageType::hello;
  std::string from;                   // sender: a client id, or the control service's id
  std::string to;                     // recipient client id; empty: none (uplink to the service)
  std::int64_t ts_ms = 0;             // sender's clock, ms since the Unix epoch (service clock downlink)
  std::int64_t ttl_ms = 0;            // lifetime, 1..kMaxTtlMs
  std::string call_id;                // empty: none (messages that belong to no call)
  Body body;                          // type-specific fields
};

// Every field equal; bodies compare as Body::operator== says (same members, same order).
bool operator==(const Envelope& a, const Envelope& b) noexcept;
inline bool operator!=(const Envelope& a, const Envelope& b) noexcept { return !(a == b); }

}  // namespace callsignal
