// Bounds the codec enforces on every input, so that no payload can make it allocate or recurse
// without bound. The defaults are the protocol's (docs/protocol.md, "Limits"); a deployment may
// raise or lower them, but a sender must not send what its receivers' limits refuse.
#pragma once

#include <cstddef>

namespace callsignal {

struct CodecLimits {
  // Whole MQTT payload (the frame), in bytes. Checked before anything else is looked at.
  std::size_t max_bytes = 16 * 1024;
  // Nesting of objects and arrays. The frame object is depth 1; inside the message, the message
  // object is depth 1, "body" depth 2, so custom data may nest 14 more levels by default.
  // Values above kMaxDepthCap are treated as kMaxDepthCap.
  std::size_t max_depth = 16;
  // Any single string or object key inside the message (after unescaping). The frame's "msg"
  // string is bounded by max_bytes instead.
  std::size_t max_string_bytes = 4096;
};

// The parser tracks the path of every open container in a fixed array of this size.
inline constexpr std::size_t kMaxDepthCap = 64;

}  // namespace callsignal
