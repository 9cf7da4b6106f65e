#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "core/common/utf8.h"

using callsignal::is_valid_utf8;
using callsignal::utf8_error_offset;

namespace {

constexpr std::size_t npos = std::string_view::npos;

// A slow, obviously correct reference: decode by bit pattern, then check minimality and range.
bool reference_valid(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) {
      len = 1;
      cp = b;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2;
      cp = b & 0x1Fu;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3;
      cp = b & 0x0Fu;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4;
      cp = b & 0x07u;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::string encode(std::uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

}  // namespace

TEST_CASE("utf8 accepts well-formed text", "[utf8]") {
  const std::string valid[] = {
      "",
      "plain ascii",
      std::string("nul\0inside", 10),  // NUL is well-formed; callers forbid it where they must
      "\xC2\x80",                      // U+0080
      "\xDF\xBF",                      // U+07FF
      "\xE0\xA0\x80",                  // U+0800
      "\xED\x9F\xBF",                  // U+D7FF, just below the surrogates
      "\xEE\x80\x80",                  // U+E000, just above them
      "\xEF\xBF\xBF",                  // U+FFFF
      "\xF0\x90\x80\x80",              // U+10000
      "\xF4\x8F\xBF\xBF",              // U+10FFFF, the last code point
      "h\xC3\xA9llo \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80",
  };
  for (const auto& text : valid) {
    INFO("text: " << text);
    CHECK(is_valid_utf8(text));
    CHECK(utf8_error_offset(text) == npos);
  }
}

TEST_CASE("utf8 rejects ill-formed text at the right offset", "[utf8]") {
  struct Case {
    const char* name;
    std::string text;
    std::size_t offset;
  };
  const Case cases[] = {
      {"lone continuation", "\x80", 0},
      {"continuation after ascii", "a\xBF", 1},
      {"overlong NUL C0 80", "\xC0\x80", 0},
      {"overlong C1 BF", "ab\xC1\xBF", 2},
      {"overlong 3-byte E0 80 80", "\xE0\x80\x80", 0},
      {"overlong 3-byte E0 9F BF", "\xE0\x9F\xBF", 0},
      {"overlong 4-byte F0 8F BF BF", "\xF0\x8F\xBF\xBF", 0},
      {"high surrogate", "x\xED\xA0\x80", 1},
      {"low surrogate", "\xED\xBF\xBF", 0},
      {"above U+10FFFF (F4 90)", "\xF4\x90\x80\x80", 0},
      {"F5 lead", "\xF5\x80\x80\x80", 0},
      {"FE", "\xFE", 0},
      {"FF", "ok\xFF", 2},
      {"truncated 2-byte", "\xC2", 0},
      {"truncated 3-byte", "ab\xE2\x82", 2},
      {"truncated 4-byte", "\xF0\x9F\x98", 0},
      {"bad continuation", "\xE2\x28\xA1", 0},
      {"ascii in a 4-byte sequence", "\xF0\x9F\x41\x80", 0},
      {"valid then invalid", "\xC3\xA9\xC3", 2},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK_FALSE(is_valid_utf8(c.text));
    CHECK(utf8_error_offset(c.text) == c.offset);
  }
}

TEST_CASE("utf8 accepts every scalar value and no surrogate", "[utf8]") {
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    if (is_valid_utf8(encode(cp)) == surrogate) {
      FAIL("code point " << cp);
    }
  }
}

TEST_CASE("utf8 agrees with a reference decoder on every 1-3 byte string", "[utf8]") {
  std::string s;
  for (unsigned a = 0; a < 256; ++a) {
    s.assign(1, static_cast<char>(a));
    REQUIRE(is_valid_utf8(s) == reference_valid(s));
    for (unsigned b = 0; b < 256; ++b) {
      s.assign({static_cast<char>(a), static_cast<char>(b)});
      REQUIRE(is_valid_utf8(s) == reference_valid(s));
    }
  }
  // Three bytes: every lead byte from C0 up with every pair of following bytes.
  for (unsigned a = 0xC0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      for (unsigned c = 0; c < 256; ++c) {
        s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        if (is_valid_utf8(s) != reference_valid(s)) FAIL("bytes " << a << " " << b << " " << c);
      }
    }
  }
}

TEST_CASE("utf8 agrees with a reference decoder on random byte strings", "[utf8]") {
  std::mt19937 rng(12345);
  // Bytes biased towards the interesting range so that long valid runs happen too.
  const unsigned char alphabet[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                                    0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof alphabet - 1);
  std::uniform_int_distribution<std::size_t> length(0, 12);
  for (int i = 0; i < 200000; ++i) {
    std::string s(length(rng), '\0');
    for (auto& c : s) c = static_cast<char>(alphabet[pick(rng)]);
    if (is_valid_utf8(s) != reference_valid(s)) FAIL("case " << i);
  }
}
