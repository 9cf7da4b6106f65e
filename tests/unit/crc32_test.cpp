#include <catch2/catch.hpp>

#include <string>

#include "core/common/crc32.h"

using callsignal::crc32;

namespace {
std::uint32_t crc_of(const std::string& s) { return crc32(0, s.data(), s.size()); }
}  // namespace

TEST_CASE("crc32 matches zlib's known vectors", "[crc32]") {
  CHECK(crc_of("123456789") == 0xCBF43926u);
  CHECK(crc_of("") == 0u);
  CHECK(crc_of("The quick brown fox jumps over the lazy dog") == 0x414FA339u);
  CHECK(crc_of(std::string(32, '\0')) == 0x190A55ADu);
  CHECK(crc_of(std::string(32, '\xFF')) == 0xFF6CAB0Bu);
}

TEST_CASE("crc32 continues over split input", "[crc32]") {
  const std::string text = "The quick brown fox jumps over the lazy dog";
  for (std::size_t split = 0; split <= text.size(); ++split) {
    const std::uint32_t first = crc32(0, text.data(), split);
    CHECK(crc32(first, text.data() + split, text.size() - split) == 0x414FA339u);
  }
}

TEST_CASE("crc32 of no bytes leaves the value unchanged", "[crc32]") {
  CHECK(crc32(0x12345678u, nullptr, 0) == 0x12345678u);
}
