// Reading and writing the message: the JSON object inside a frame's "msg" string.
#pragma once

#include <string>
#include <string_view>

#include "core/envelope/codec_limits.h"
#include "core/envelope/envelope.h"
#include "core/envelope/envelope_error.h"

namespace callsignal {

// Parses and validates message text. Checks, in order: size (too_large), UTF-8 (invalid_utf8),
// JSON under `limits` (malformed_json, too_deep, too_large, invalid_utf8, bad_value for U+0000),
// an object (wrong_type), then the header fields id, type, from, to, ts, ttl, call, body
// (missing_field, wrong_type, bad_value; a header field given twice is malformed_json), then the
// type name (unknown_type: a well-formed message of a type v1 does not define), then the rules of
// the type ("to" required downlink, "call" required for call-scoped types) and its body schema.
// Unknown fields are ignored. Never throws (internal on bad_alloc).
EnvelopeResult<Envelope> parse_message(std::string_view msg_text, const CodecLimits& limits = {}) noexcept;

// Compact JSON text of `message`, in the order id, type, from, to, ts, ttl, call, body ("to" and
// "call" left out when empty). The output is checked with parse_message() under `limits` before it
// is returned, so nothing a receiver with the same limits would refuse is ever produced; the
// errors are parse_message()'s.
EnvelopeResult<std::string> encode_message(const Envelope& message, const CodecLimits& limits = {}) noexcept;

namespace envelope_detail {
// parse_message() for a frame's "msg", whose UTF-8 the frame parser checked: skips the second
// UTF-8 pass, and takes the frame's buffer over (the message is parsed in place where it sits,
// buffer[offset, offset + size) followed by a '\0', and the buffer is kept by the message's Body)
// instead of copying it. `unicode_escapes`: whether the frame held a "\u" (see text_check.h).
// The size is still checked.
EnvelopeResult<Envelope> parse_checked_message(std::string buffer, std::size_t offset, std::size_t size,
                                               const CodecLimits& limits, bool unicode_escapes) noexcept;
}  // namespace envelope_detail

}  // namespace callsignal
