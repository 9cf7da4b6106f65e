// Publish options derived from a protocol message.
#pragma once

#include <cstdint>
#include <optional>

#include "core/envelope/envelope.h"
#include "core/session/session.h"

namespace callsignal {

// The MQTT 5 Message Expiry Interval for `message` published at `service_now_ms`: its remaining
// lifetime, ceil((ts + ttl - now) / 1000) seconds, so the broker drops it from an offline
// device's queue once it is stale (docs/protocol.md section 7). nullopt: already expired, do not
// publish. MQTT 3.1.1 sessions ignore the interval; receivers check expiry themselves.
std::optional<PublishOptions> publish_options_for(const Envelope& message, std::int64_t service_now_ms);

}  // namespace callsignal
