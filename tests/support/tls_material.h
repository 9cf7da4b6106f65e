// TlsMaterial: keys and certificates generated at test time (OpenSSL 3, EC P-256, SHA-256) into a
// temp dir, so no key material is committed and nothing expires in the repo.
// When running as root the files belong to the `mosquitto` user: the broker reads its TLS files
// after it has dropped root (checked with Mosquitto 2.0.11: "Unable to load CA certificates ...
// Permission denied" otherwise).
#pragma once

#include <memory>
#include <string>

#include "support/temp_dir.h"

struct x509_st;  // OpenSSL's X509

namespace callsignal::test {

class TlsMaterial {
 public:
  // Generates every file below. Throws std::runtime_error with OpenSSL's error text on failure.
  TlsMaterial();
  static std::shared_ptr<const TlsMaterial> create() { return std::make_shared<const TlsMaterial>(); }

  TlsMaterial(const TlsMaterial&) = delete;
  TlsMaterial& operator=(const TlsMaterial&) = delete;

  const std::string& dir() const { return dir_.path(); }

 private:
  TempDir dir_;  // declared first: the paths below point into it

 public:
  // PEM file paths. Certificates are valid from 1 h ago for 7 days.
  std::string ca_cert;               // the trusted CA ("callsignal test CA")
  std::string server_cert;           // CN=localhost, SAN DNS:localhost + IP:127.0.0.1, by the CA
  std::string server_key;
  std::string wrong_ca_cert;         // an unrelated CA: verifying the server with it fails
  std::string mismatch_server_cert;  // by the CA, SAN DNS:wrong.example only (hostname mismatch)
  std::string mismatch_server_key;
  std::string client_cert;           // CN=callsignal-test-client, by the CA (mutual TLS)
  std::string client_key;
  std::string wrong_client_cert;     // signed by the wrong CA: a mutual-TLS broker rejects it
  std::string wrong_client_key;

  // base64(SHA-256(DER SubjectPublicKeyInfo)) of server_cert, and of mismatch_server_cert (a
  // different key: use it as a pin that must not match the real server).
  std::string server_spki_pin;
  std::string mismatch_server_spki_pin;
};

// base64(SHA-256(DER SubjectPublicKeyInfo)) of a certificate's public key.
std::string spki_pin(const x509_st* cert);

}  // namespace callsignal::test
