// The rules of protocol v1 messages: header fields, and each type's body fields (name, JSON type,
// required or optional, limits). docs/protocol.md is the same table in prose; keep them in step.
// All checks return EnvelopeStatus errors that name the field ("msg.body.media: must be one of
// audio|video"). Types of error: missing_field, wrong_type, bad_value, malformed_json (a schema
// field given twice).
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/envelope/envelope_error.h"
#include "core/envelope/message_type.h"

namespace callsignal {

inline constexpr std::int64_t kMaxTtlMs = 3'600'000;
// ts is at most 2^53-1 (exact in a double, like JavaScript's safe integers), so ts + ttl can never
// overflow an int64 in the layers that compute expiry.
inline constexpr std::int64_t kMaxTimestampMs = (std::int64_t{1} << 53) - 1;
// Client ids, user ids, call ids, the service id: 1..64 bytes, no control characters.
inline constexpr std::size_t kMaxIdentifierBytes = 64;
// Entries in callees/members lists and in an rtc map.
inline constexpr std::size_t kMaxListEntries = 32;

// 1..64 bytes of valid UTF-8 without U+0000..U+001F or U+007F.
bool is_valid_identifier(std::string_view id) noexcept;

// Checks `body` (must be an object) against the schema of `type`: required fields present, each
// known field of the right type and within its limits, no known field twice. Unknown fields are
// ignored (forward compatibility).
EnvelopeStatus validate_body(MessageType type, const rapidjson::Value& body);

}  // namespace callsignal
