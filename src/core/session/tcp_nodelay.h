// Turns Nagle's algorithm off on the process's connections to the broker.
//
// Paho 1.3.12 leaves Nagle on and gives no access to its sockets. Our traffic often writes twice
// before it reads (Paho's PUBACK, then our protocol `ack` or a reply), and Nagle holds the second
// write until the broker acknowledges the first, which a Linux broker delays by up to 40 ms:
// measured, every such exchange took 40-44 ms instead of well under 1 ms. After each connect the
// session therefore finds the sockets whose peer is the broker's port and sets TCP_NODELAY.
#pragma once

namespace callsignal {

class EventLoop;

// Sets TCP_NODELAY on every TCP connection of this process whose remote port is `port` and that
// it has not set before; returns how many it changed. Where /proc is readable (Linux, Android)
// the connections are found in /proc/self/net/tcp{,6} and matched to descriptors through the
// /proc/self/fd links, so no other descriptor is touched; elsewhere every descriptor below the
// limit is asked. An app connection to the same port number gets the option too (it only makes
// its small writes leave at once). Never throws; errors skip.
int enable_tcp_nodelay_to_port(int port);

// Runs enable_tcp_nodelay_to_port(port) on `loop` after the tasks queued now. Requests made
// before that run are served by one pass over the descriptors, so a thousand clients connecting
// at once cost a few passes, not a thousand. Thread-safe.
void request_tcp_nodelay(EventLoop& loop, int port);

}  // namespace callsignal
