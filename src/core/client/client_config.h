// Everything a Client needs: the session, the call rules, the trust and the limits.
#pragma once

#include <cstdint>
#include <string>

#include "core/call/call_machine.h"
#include "core/client/device_inbox.h"
#include "core/envelope/codec_limits.h"
#include "core/envelope/signing.h"
#include "core/filter/timeliness.h"
#include "core/session/session_config.h"

namespace callsignal {

struct ClientConfig {
  SessionConfig session;       // data_dir and fsync also hold the inbox ledger
  std::string user_id;         // the app user this device serves (CallConfig::self_user)
  std::string platform = "desktop";  // told to the service in hello
  CallConfig call;             // self_user and self_client are filled in by the client
  TrustedKeys trusted_keys;    // empty: signatures not checked (development only)
  CodecLimits limits;
  ExpiryPolicy expiry;
  InboxConfig inbox;
  std::int64_t request_ttl_ms = 30'000;  // lifetime of our uplink requests
};

// The session's checks (validate(SessionConfig)), then the client's own: user_id an identifier,
// platform 1..32 bytes, request_ttl_ms 1..3,600,000, call timeouts positive, max_group 2..32.
// Errors: invalid_config naming the field.
Status validate(const ClientConfig& config);

}  // namespace callsignal
