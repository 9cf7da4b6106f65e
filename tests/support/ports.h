// Free TCP ports on 127.0.0.1 for test listeners.
#pragma once

#include <cstdint>

namespace callsignal::test {

// A port on 127.0.0.1 that was free a moment ago (bound, read, closed). Another process may take
// it before the caller binds it: callers that choose their own port retry on "address in use".
// The port is picked below the kernel's ephemeral range when possible: a port from that range
// can be taken as the source port of any outgoing connection, which would make a broker restart
// on the same port fail. Throws std::runtime_error if no port can be found.
std::uint16_t free_loopback_port();

}  // namespace callsignal::test
