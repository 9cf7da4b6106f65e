// Raw TCP client sockets on 127.0.0.1 with deadlines, for tests that talk bytes to a broker or
// through a TcpProxy. Writes never raise SIGPIPE. Failures throw std::runtime_error.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "support/unique_fd.h"

namespace callsignal::test {

// Connects to 127.0.0.1:port. Throws if refused or not connected by the timeout.
UniqueFd connect_loopback(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Like connect_loopback, but reports failure as false.
bool can_connect_loopback(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Writes every byte. Throws on error or timeout.
void write_all(int fd, const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Reads exactly n bytes. Throws on error, end of stream or timeout.
std::string read_exact(int fd, std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5));

enum class ReadOutcome { data, closed, timeout };  // closed: end of stream or connection error

// Waits for the next bytes (appended to *out) or for the end of the connection.
ReadOutcome read_some(int fd, std::string* out, std::chrono::milliseconds timeout);

}  // namespace callsignal::test
