#include "core/envelope/text_check.h"

#include <cstdint>
#include <cstring>

#include "core/common/utf8.h"

namespace callsignal::envelope_detail {

namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHigh = 0x8080808080808080ULL;

// The high bit of each byte of `word` equal to `byte` is set. Exact for the lowest such byte; a
// higher byte may be flagged falsely after a match (borrow), which only makes callers cautious.
constexpr std::uint64_t bytes_equal(std::uint64_t word, unsigned char byte) noexcept {
  const std::uint64_t x = word ^ (kOnes * byte);
  return (x - kOnes) & ~x & kHigh;
}

}  // namespace

TextScan scan_text(std::string_view text) noexcept {
  const char* data = text.data();
  const std::size_t size = text.size();
  bool ascii = true;
  std::size_t first_non_ascii_word = size;
  std::uint64_t pairs = 0;  // high bits where "\\u" may start; branch-free accumulation
  std::uint64_t carry = 0;  // 0x80 when the previous word ended with a backslash
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + i, sizeof word);  // unaligned-safe; one load
    if (ascii && (word & kHigh) != 0) {
      ascii = false;
      first_non_ascii_word = i;
    }
    const std::uint64_t backslashes = bytes_equal(word, '\\');
    const std::uint64_t us = bytes_equal(word, 'u');
    // Little-endian: byte k is bits 8k..8k+7, so a backslash at byte k pairs with a 'u' at k+1.
    // Shifting may also pair through false positives; over-reporting is allowed.
    pairs |= ((backslashes << 8) | carry) & us;
    carry = backslashes >> 56;
  }
  bool escapes = pairs != 0;
  bool tail_carry = carry != 0;
  for (; i < size; ++i) {
    const char c = data[i];
    if (ascii && static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      first_non_ascii_word = i;
    }
    escapes = escapes || (tail_carry && c == 'u');
    tail_carry = c == '\\';
  }
  TextScan scan;
  scan.unicode_escapes = escapes;
  if (!ascii) {
    // The ASCII prefix ends on a character boundary, so validation can resume there.
    const std::size_t rest = utf8_error_offset(text.substr(first_non_ascii_word));
    scan.utf8_error = rest == std::string_view::npos ? rest : first_non_ascii_word + rest;
  }
  return scan;
}

}  // namespace callsignal::envelope_detail
