// Broker URIs: scheme://host:port, with tcp/mqtt (plain) and ssl/mqtts (TLS) schemes.
#pragma once

#include <string>
#include <string_view>

#include "core/common/status.h"

namespace callsignal {

struct BrokerAddress {
  std::string host;  // without brackets for IPv6
  int port = 0;
  bool tls = false;
};

// Parses "scheme://host:port": scheme tcp, mqtt, ssl or mqtts; host a name, an IPv4 address or
// an [IPv6] literal; the port is required. No user info, path or query. Errors: invalid_config,
// the message starting with `field` (the URI itself is never echoed: it may hold credentials).
Result<BrokerAddress> parse_broker_uri(std::string_view field, std::string_view uri);

}  // namespace callsignal
