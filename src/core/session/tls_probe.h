// Separate OpenSSL handshakes with the broker, for what Paho cannot do itself.
//
// - SPKI pinning. Paho exposes no certificate-verification hook, so the pin is checked on a
//   handshake just before each connect; Paho's own connection then does the CA and host name
//   checks. An attacker would have to present the pinned key to the probe and a CA-valid
//   certificate for the host to Paho.
// - Diagnosis. Paho reports every TCP or TLS failure as "TCP/TLS connect failure"; after such a
//   failure a verifying handshake tells apart a refused TCP connect, an untrusted chain and a
//   host name mismatch, with OpenSSL's reason.
//
// Both block on the network: the session runs them on its loop's blocking-work thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/session/broker_uri.h"
#include "core/session/session_config.h"

namespace callsignal {

// OK when the key of the certificate the server presents matches one of the pins
// (base64 SHA-256 of its DER SubjectPublicKeyInfo). Errors: broker_error (TCP connect failed),
// timeout, tls_error (handshake failed, or "does not match any configured pin").
Status verify_spki_pin(const BrokerAddress& address, const std::vector<std::string>& pins,
                       std::chrono::milliseconds timeout);

// Handshakes with the same trust settings as the session (CA file/dir or the system store, host
// name check, client certificate). OK when the handshake and verification succeed. Errors:
// broker_error (TCP connect failed), timeout, tls_error with OpenSSL's verification reason.
Status diagnose_tls(const BrokerAddress& address, const TlsConfig& tls, std::chrono::milliseconds timeout);

}  // namespace callsignal
