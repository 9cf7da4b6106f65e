// Internal to src/core/envelope (not API): one fast pass over a whole payload before it is parsed.
//
// Payloads are mostly ASCII, and common/utf8.h checks one byte at a time (17% of a decode when it
// ran over every byte). Here ASCII is skipped eight bytes at a time and utf8.h validates from the
// first non-ASCII byte on. The same pass notes whether the text holds a "\u" escape at all: without
// one, unescaping cannot produce U+0000 or a lone surrogate, so the parser's per-string checks for
// those can be skipped. A frame without "\u" also carries a message without one, since a "\u" in
// the message text appears in the frame as "\\u", which contains "\u".
#pragma once

#include <cstddef>
#include <string_view>

namespace callsignal::envelope_detail {

struct TextScan {
  std::size_t utf8_error = std::string_view::npos;  // as utf8_error_offset() in common/utf8.h
  bool unicode_escapes = true;  // "\u" occurs (may over-report, never under-reports)
};

TextScan scan_text(std::string_view text) noexcept;

}  // namespace callsignal::envelope_detail
