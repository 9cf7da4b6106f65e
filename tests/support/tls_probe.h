// tls_mqtt_probe: an independent OpenSSL client that checks a TLS listener the way an MQTT client
// would, to test the harness (and pins) without going through Paho.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace callsignal::test {

struct TlsProbeOptions {
  std::string ca_file;                   // trust anchor for the server certificate
  std::string verify_host = "localhost";  // name (or IP) the certificate must match; empty: no check
  std::string client_cert;               // both set: present a client certificate (mutual TLS)
  std::string client_key;
};

struct TlsProbeResult {
  bool ok = false;            // verified handshake and an accepting CONNACK
  std::string error;          // why not ok (OpenSSL's reason and the verify result)
  std::string peer_spki_pin;  // base64 SHA-256 SPKI of the certificate the server presented
  int connack_code = -1;      // the CONNACK return code, -1 if none arrived
};

// Connects to 127.0.0.1:port, completes a verified TLS handshake, sends an MQTT 3.1.1 CONNECT
// (anonymous, clean session) and waits for an accepting CONNACK: with TLS 1.3 a server that rejects the client certificate says
// so only after the client's side of the handshake is done. Never raises SIGPIPE. Throws only if
// the TCP connection cannot be made.
TlsProbeResult tls_mqtt_probe(std::uint16_t port, const TlsProbeOptions& options,
                              std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace callsignal::test
