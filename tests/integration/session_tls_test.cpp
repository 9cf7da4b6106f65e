// TLS to the broker: CA verification, host name verification and SPKI pinning, with a CA and
// certificates generated at test time.
#include <catch2/catch.hpp>

#include "integration/session_fixtures.h"
#include "support/broker.h"
#include "support/tls_material.h"

using namespace callsignal;
using namespace callsignal::test;

namespace {

struct TlsBroker {
  std::shared_ptr<const TlsMaterial> material = TlsMaterial::create();
  std::unique_ptr<MosquittoBroker> broker;

  explicit TlsBroker(ServerCert cert = ServerCert::valid) {
    BrokerOptions options;
    options.tls = true;
    options.tls_material = material;
    options.server_cert = cert;
    broker = MosquittoBroker::start(options);
  }
};

SessionConfig tls_config(const std::string& uri, const std::string& ca_file) {
  SessionConfig config = test_config(uri, unique_device("tls"));
  config.tls.enabled = true;
  config.tls.ca_file = ca_file;
  config.backoff.initial = std::chrono::milliseconds(200);
  return config;
}

// Waits for the first failed attempt and returns it; fails the test if the session connects.
ConnectionEvent first_failure(RecordingListener& events) {
  REQUIRE(events.wait_disconnected());
  CHECK(events.count_state(ConnectionState::connected) == 0);
  const auto all = events.connection.snapshot();
  for (const ConnectionEvent& e : all) {
    if (e.state == ConnectionState::disconnected) return e;
  }
  return {};
}

}  // namespace

TEST_CASE("TLS with the right CA connects", "[session][tls]") {
  TlsBroker tls;
  RecordingListener events;
  auto session = make_session(tls_config(tls.broker->uri_with_host("localhost"), tls.material->ca_cert), events);
  REQUIRE(session->start().ok());
  REQUIRE(events.wait_connected());
}

TEST_CASE("TLS with a wrong CA is refused", "[session][tls]") {
  TlsBroker tls;
  RecordingListener events;
  auto session = make_session(tls_config(tls.broker->uri_with_host("localhost"), tls.material->wrong_ca_cert), events);
  REQUIRE(session->start().ok());
  const ConnectionEvent failure = first_failure(events);
  CHECK(failure.reason == Errc::tls_error);
  CHECK_THAT(failure.detail, Catch::Contains("certificate verif"));
}

TEST_CASE("TLS to a server whose certificate names another host is refused", "[session][tls]") {
  TlsBroker tls(ServerCert::hostname_mismatch);
  RecordingListener events;
  auto session = make_session(tls_config(tls.broker->uri_with_host("localhost"), tls.material->ca_cert), events);
  REQUIRE(session->start().ok());
  const ConnectionEvent failure = first_failure(events);
  CHECK(failure.reason == Errc::tls_error);
  CHECK_THAT(failure.detail, Catch::Contains("hostname mismatch"));
}

TEST_CASE("TLS client certificates: mutual TLS connects with the right one", "[session][tls]") {
  auto material = TlsMaterial::create();
  BrokerOptions options;
  options.tls = true;
  options.tls_material = material;
  options.require_client_cert = true;
  auto broker = MosquittoBroker::start(options);
  RecordingListener events;
  SessionConfig config = tls_config(broker->uri_with_host("localhost"), material->ca_cert);
  config.tls.client_cert_file = material->client_cert;
  config.tls.client_key_file = material->client_key;
  auto session = make_session(config, events);
  REQUIRE(session->start().ok());
  REQUIRE(events.wait_connected());
}

TEST_CASE("an SPKI pin is enforced", "[session][tls][pin]") {
  TlsBroker tls;
  SECTION("the right pin connects") {
    RecordingListener events;
    SessionConfig config = tls_config(tls.broker->uri_with_host("localhost"), tls.material->ca_cert);
    config.tls.spki_sha256_pins = {tls.material->mismatch_server_spki_pin, tls.material->server_spki_pin};
    auto session = make_session(config, events);
    REQUIRE(session->start().ok());
    REQUIRE(events.wait_connected());
  }
  SECTION("a wrong pin is refused even with a valid chain") {
    RecordingListener events;
    SessionConfig config = tls_config(tls.broker->uri_with_host("localhost"), tls.material->ca_cert);
    config.tls.spki_sha256_pins = {tls.material->mismatch_server_spki_pin};
    auto session = make_session(config, events);
    REQUIRE(session->start().ok());
    const ConnectionEvent failure = first_failure(events);
    CHECK(failure.reason == Errc::tls_error);
    CHECK_THAT(failure.detail, Catch::Contains("pin"));
  }
}

TEST_CASE("an unreadable CA file is refused at creation", "[session][tls]") {
  RecordingListener events;
  SessionConfig config = tls_config("ssl://127.0.0.1:8883", "/nonexistent/ca.pem");
  auto session = Session::create(config, events);
  REQUIRE_FALSE(session.ok());
  CHECK(session.status().code == Errc::tls_error);
  CHECK_THAT(session.status().message, Catch::Contains("tls.ca_file"));
}
