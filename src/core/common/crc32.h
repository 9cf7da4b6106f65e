// CRC-32 (IEEE 802.3, reflected, as zlib's crc32) for on-disk record integrity.
#pragma once

#include <cstddef>
#include <cstdint>

namespace callsignal {

// crc32(0, ...) starts a checksum; pass a previous result to continue it over more bytes.
std::uint32_t crc32(std::uint32_t crc, const void* data, std::size_t size) noexcept;

}  // namespace callsignal
