// Sending this client's own messages: requests to the service, acks, presence, the drain marker.
// Clients hold no signing key, so these frames are unsigned (docs/protocol.md section 5).
#pragma once

#include <cstdint>
#include <string>

#include "core/common/status.h"
#include "core/envelope/envelope.h"
#include "core/session/session.h"

namespace callsignal {

// The topic of every uplink request: <uplink-parent>/req.
inline constexpr const char* kRequestTopicLevel = "req";

// Stamps `message` (a fresh id unless it has one; ts = `service_now_ms`, our estimate of the
// service's clock, which judges the message's lifetime), frames it, and publishes it durably with
// the MQTT 5 expiry its lifetime gives. Returns the id. Errors: internal (the message breaks the
// protocol's rules), expired (no lifetime left), and Session::publish's.
Result<std::string> publish_own(Session& session, const std::string& topic, Envelope message,
                                std::int64_t service_now_ms);

// The frame text of `message` as is (id and ts already set). Errors: internal.
Result<std::string> own_frame(const Envelope& message);

}  // namespace callsignal
