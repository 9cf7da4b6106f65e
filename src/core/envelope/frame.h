// The frame: what every MQTT payload of protocol v1 is.
//   {"v":1,"msg":"<message JSON text>","kid":"<key id>","sig":"<base64 Ed25519 signature>"}
// The signature covers exactly the bytes of the "msg" string after JSON unescaping (Frame::msg),
// never a re-serialization. Unknown frame fields are ignored. docs/protocol.md is the spec.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/envelope/codec_limits.h"
#include "core/envelope/envelope_error.h"

namespace callsignal {

// The protocol major version this code speaks. A frame with any other "v" is refused.
inline constexpr std::int64_t kProtocolMajor = 1;

// Key ids: 1..64 characters from [A-Za-z0-9._:-].
inline constexpr std::size_t kMaxKeyIdLength = 64;
bool is_valid_key_id(std::string_view kid) noexcept;

struct Frame {
  std::int64_t version = kProtocolMajor;
  std::string msg;  // the message JSON text: the exact bytes the signature covers
  std::string kid;  // empty: the frame is unsigned
  std::string sig;  // base64 text as on the wire (checked when verified); empty: unsigned

  bool is_signed() const noexcept { return !kid.empty(); }
};

// Checks run in this order: size (too_large), UTF-8 of the whole payload (invalid_utf8), JSON
// (malformed_json, too_deep, invalid_utf8), then fields: the payload must be an object
// (wrong_type); "v" is required and an integer (missing_field, wrong_type) and must equal
// kProtocolMajor (unsupported_version, checked before any other field so that a future major may
// change the rest of the layout); "msg" is a required string; "kid" and "sig" come together
// (missing_field for the one without the other), are non-empty strings, and kid is a valid key id
// (bad_value). A known field given twice is malformed_json. Never throws (internal on bad_alloc).
EnvelopeResult<Frame> parse_frame(std::string_view payload, const CodecLimits& limits = {}) noexcept;

namespace envelope_detail {
// What parse_frame() reads, before "msg" is copied out: decode() parses the message in place
// inside the frame's buffer instead.
struct RawFrame {
  std::string buffer;            // the payload after in-place parsing
  std::size_t msg_offset = 0;    // the unescaped "msg" is buffer[msg_offset, msg_offset + msg_size),
  std::size_t msg_size = 0;      // followed by a '\0'
  std::int64_t version = kProtocolMajor;
  std::string kid;
  std::string sig;
  bool unicode_escapes = true;   // the payload may hold a "\u" escape (text_check.h)

  std::string_view msg() const noexcept { return {buffer.data() + msg_offset, msg_size}; }
  bool is_signed() const noexcept { return !kid.empty(); }
};

// parse_frame() without the copy of "msg"; same checks and errors.
EnvelopeResult<RawFrame> parse_raw_frame(std::string_view payload, const CodecLimits& limits) noexcept;
}  // namespace envelope_detail

struct FrameSignature {
  std::string kid;  // a valid key id
  std::string sig;  // base64 of the 64-byte Ed25519 signature over the message text
};

// {"v":1,"msg":"...","kid":"...","sig":"..."}, compact. `msg_text` is embedded as a JSON string
// (escaped as needed; the receiver unescapes it back to the same bytes). Errors: invalid_utf8
// (msg_text), bad_value (kid, sig), too_large (the frame would exceed limits.max_bytes),
// internal (out of memory).
EnvelopeResult<std::string> encode_frame(std::string_view msg_text,
                                         const std::optional<FrameSignature>& signature = std::nullopt,
                                         const CodecLimits& limits = {}) noexcept;

}  // namespace callsignal
