// Strict UTF-8 validation (RFC 3629), for topics, ids and anything that reaches the wire as an
// MQTT UTF-8 string.
#pragma once

#include <cstddef>
#include <string_view>

namespace callsignal {

// Offset of the first byte of the first ill-formed sequence in `text`, or std::string_view::npos
// when the whole text is well-formed. Rejected: stray continuation bytes, truncated sequences,
// overlong encodings (C0, C1, E0 80..9F, F0 80..8F), surrogates U+D800..U+DFFF (ED A0..BF) and
// code points above U+10FFFF (F4 90.. and F5..FF). U+0000 is well-formed UTF-8: callers that
// forbid NUL check for it themselves.
std::size_t utf8_error_offset(std::string_view text) noexcept;

inline bool is_valid_utf8(std::string_view text) noexcept {
  return utf8_error_offset(text) == std::string_view::npos;
}

}  // namespace callsignal
