// Everything a session needs to know, and its validation.
// A bad config is refused at creation with Errc::invalid_config and a message that names the field.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/common/status.h"

namespace callsignal {

// How the broker delivers P2P messages (<downlink-parent>/p2p/<client-id>).
enum class BrokerProfile {
  generic,  // Mosquitto, EMQX, HiveMQ, RabbitMQ: the client subscribes to its own P2P topic
  alibaba,  // Alibaba Cloud MQTT: P2P is native, no subscription; no last will supported
};

enum class MqttVersion { v3_1_1, v5 };

enum class AuthMode {
  none,
  username_password,
  alibaba_signature,  // username Signature|AK|Instance, password Base64(HMAC-SHA1(secret, client id))
  alibaba_token,      // username Token|AK|Instance, password R|token|W|token
};

struct AuthConfig {
  AuthMode mode = AuthMode::none;
  std::string username;           // username_password
  std::string password;           // username_password
  std::string access_key_id;      // alibaba_*
  std::string access_key_secret;  // alibaba_signature; never logged
  std::string instance_id;        // alibaba_*
  std::string token;              // alibaba_token; never logged
};

struct TlsConfig {
  bool enabled = false;            // also implied by an ssl:// or mqtts:// broker URI
  std::string ca_file;             // PEM bundle; empty with empty ca_dir: the system store
  std::string ca_dir;              // directory of hashed PEM certificates
  bool verify_hostname = true;     // checks the broker certificate names the URI host
  std::string client_cert_file;    // PEM, optional (mutual TLS)
  std::string client_key_file;     // PEM, required with client_cert_file
  std::string client_key_password; // optional; never logged
  // Optional pin: base64 of SHA-256 over the broker certificate's SubjectPublicKeyInfo (DER),
  // as `openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`.
  std::vector<std::string> spki_sha256_pins;
  // Skips certificate and host name checks. Only for lab brokers; the name says what it is.
  bool insecure_skip_verify = false;
};

struct BackoffConfig {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{60'000};
  double multiplier = 2.0;  // >= 1
  double jitter = 0.2;      // fraction of the delay, in [0, 1]: delay * (1 ± jitter)
};

// What the session publishes about the device's own liveness on the status topic.
struct PresenceConfig {
  bool enabled = true;
  std::string online_payload;   // empty: a small JSON default naming the client id
  std::string offline_payload;  // used as the last will (generic brokers only)
  // When set, composes each presence payload instead (fresh ids and timestamps: the client makes
  // protocol `status` messages). Called on the event loop thread when the payload is needed: at
  // every connect attempt (the last will) and every connect / clean close. Must not throw.
  std::function<std::string(bool online)> compose;
};

struct SessionConfig {
  // tcp://, mqtt://, ssl://, mqtts:// host:port; tried in order on each attempt.
  std::vector<std::string> broker_uris;
  std::string group_id;   // client id = <group_id>@@@<device_id>
  std::string device_id;
  std::string uplink_parent;    // first topic level for device -> service traffic
  std::string downlink_parent;  // first topic level for service -> device traffic
  BrokerProfile profile = BrokerProfile::generic;
  MqttVersion mqtt_version = MqttVersion::v3_1_1;
  std::uint32_t session_expiry_s = 7 * 24 * 3600;  // MQTT 5 only; must be > 0
  std::uint32_t default_message_expiry_s = 0;      // MQTT 5 only; 0 = none unless a publish sets one
  AuthConfig auth;
  TlsConfig tls;
  std::chrono::seconds keepalive{30};
  std::chrono::seconds connect_timeout{10};
  std::chrono::milliseconds close_timeout{1'000};  // bound on a graceful disconnect at close
  BackoffConfig backoff;
  PresenceConfig presence;
  // Topics subscribed to on every connect besides the own P2P topic (filters may use wildcards).
  std::vector<std::string> extra_subscriptions;
  // Where the durable outbox lives. Empty: memory only (nothing survives a kill; tests and tools).
  std::string data_dir;
  bool fsync = false;  // true: every outbox write is fsync'ed, so it survives power loss too
  std::size_t max_outbox_messages = 10'000;
  std::size_t max_outbox_bytes = 16 * 1024 * 1024;
  std::size_t max_inflight = 32;            // QoS1 publishes awaiting PUBACK at once
  std::size_t max_topic_length = 64;        // the reference design's limit for a whole topic
  std::size_t max_client_id_length = 64;
  std::size_t max_payload_bytes = 256 * 1024;
};

// Checks every field. On error the message starts with the field name ("group_id: ...").
// Beyond each field's own range, it refuses: a broker URI without an explicit port, or with user
// info, a path or a query; plain (tcp://, mqtt://) URIs mixed with TLS ones, or with tls.enabled
// (Paho would quietly connect in plain text); TLS-only settings (CA, client certificate, pins)
// when TLS is not in use; a client id, P2P topic or status topic longer than max_client_id_length /
// max_topic_length (the message names the field that makes it too long). It does not touch the
// file system: unreadable TLS files and data dirs are reported when the session is created.
Status validate(const SessionConfig& config);

}  // namespace callsignal
