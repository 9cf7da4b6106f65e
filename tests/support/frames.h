// Protocol frames for tests: what a control service would publish.
#pragma once

#include <cstdint>
#include <string>

#include "core/envelope/envelope.h"
#include "core/envelope/signing.h"

namespace callsignal::test {

// A downlink message of `type` from "callsignal-service" to `to`, stamped `ts_ms` (default: now)
// with `ttl_ms`, a fresh id, and a body that passes the type's schema.
Envelope downlink(MessageType type, const std::string& to, const std::string& call_id = "c-1",
                  std::int64_t ttl_ms = 30'000, std::int64_t ts_ms = 0);

// The frame for `message`: signed by `signer`, or unsigned when signer is null. Throws on error.
std::string frame_of(const Envelope& message, const Signer* signer);

std::int64_t now_ms();

}  // namespace callsignal::test
