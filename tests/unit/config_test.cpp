#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "core/session/session_config.h"

using namespace callsignal;
using namespace std::chrono_literals;

namespace {

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

SessionConfig base_config() {
  SessionConfig config;
  config.broker_uris = {"tcp://127.0.0.1:1883"};
  config.group_id = "GID_test";
  config.device_id = "dev-1";
  config.uplink_parent = "up";
  config.downlink_parent = "down";
  return config;
}

// SHA-256 of the empty string, base64: a well-formed pin.
const char* const kPin = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

}  // namespace

TEST_CASE("config: the defaults with the required fields are valid", "[config]") {
  const Status status = validate(base_config());
  INFO(status.message);
  CHECK(status.ok());
}

TEST_CASE("config: valid variations pass", "[config]") {
  struct Case {
    const char* name;
    std::function<void(SessionConfig&)> change;
  };
  const Case cases[] = {
      {"every scheme, host names", [](SessionConfig& c) { c.broker_uris = {"tcp://localhost:1", "mqtt://broker.example.com:65535", "tcp://my_host-1:1883"}; }},
      {"IPv6 in brackets", [](SessionConfig& c) { c.broker_uris = {"tcp://[::1]:1883", "mqtt://[2001:db8::1]:1884"}; }},
      {"TLS URIs", [](SessionConfig& c) { c.broker_uris = {"ssl://a.example:8883", "mqtts://[::ffff:127.0.0.1]:8883"}; }},
      {"TLS enabled with TLS URIs", [](SessionConfig& c) { c.broker_uris = {"ssl://a:8883"}; c.tls.enabled = true; }},
      {"ssl with insecure_skip_verify", [](SessionConfig& c) {
         c.broker_uris = {"ssl://lab:8883"};
         c.tls.insecure_skip_verify = true;
         c.tls.verify_hostname = false;
       }},
      {"mutual TLS with pins", [](SessionConfig& c) {
         c.broker_uris = {"mqtts://b:8883"};
         c.tls.ca_file = "/etc/ca.pem";
         c.tls.client_cert_file = "/etc/c.pem";
         c.tls.client_key_file = "/etc/k.pem";
         c.tls.client_key_password = "pw";
         c.tls.spki_sha256_pins = {kPin, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="};
       }},
      {"alibaba profile with presence and signature", [](SessionConfig& c) {
         c.profile = BrokerProfile::alibaba;
         c.broker_uris = {"ssl://post-cn-xxx.mqtt.aliyuncs.com:8883"};
         c.presence.enabled = true;
         c.presence.offline_payload = "offline";
         c.auth.mode = AuthMode::alibaba_signature;
         c.auth.access_key_id = "LTAI";
         c.auth.access_key_secret = "secret";
         c.auth.instance_id = "post-cn-xxx";
       }},
      {"alibaba token", [](SessionConfig& c) {
         c.auth.mode = AuthMode::alibaba_token;
         c.auth.access_key_id = "LTAI";
         c.auth.instance_id = "post-cn-xxx";
         c.auth.token = "tok+/=";
       }},
      {"username with empty password", [](SessionConfig& c) {
         c.auth.mode = AuthMode::username_password;
         c.auth.username = "user";
       }},
      {"MQTT 5", [](SessionConfig& c) {
         c.mqtt_version = MqttVersion::v5;
         c.session_expiry_s = 1;
         c.default_message_expiry_s = 30;
       }},
      {"extra subscriptions", [](SessionConfig& c) { c.extra_subscriptions = {"down/broadcast/#", "+/x", "$SYS/#"}; }},
      {"limits at their bounds", [](SessionConfig& c) {
         c.max_inflight = 65535;
         c.max_topic_length = 65535;
         c.max_client_id_length = 65535;
         c.keepalive = 65535s;
         c.close_timeout = 0ms;
         c.backoff.jitter = 0;
         c.backoff.multiplier = 1;
         c.backoff.max = c.backoff.initial;
       }},
      {"P2P topic of exactly max_topic_length", [](SessionConfig& c) {
         c.device_id = std::string(44, 'd');  // down/p2p/GID_test@@@ is 20 bytes
       }},
      {"data dir and fsync", [](SessionConfig& c) {
         c.data_dir = "/var/lib/app/callsignal";
         c.fsync = true;
       }},
  };
  for (const auto& c : cases) {
    SessionConfig config = base_config();
    c.change(config);
    const Status status = validate(config);
    INFO(c.name << ": " << status.message);
    CHECK(status.ok());
  }
}

TEST_CASE("config: bad configs are refused, naming the field", "[config]") {
  struct Case {
    const char* field;  // the message must start with "<field>: "
    std::function<void(SessionConfig&)> change;
    const char* exact = nullptr;  // when set: the message must start with this text
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const Case cases[] = {
      // broker_uris
      {"broker_uris", [](SessionConfig& c) { c.broker_uris.clear(); }, "broker_uris: must not be empty"},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {""}; }},
      {"broker_uris[1]", [](SessionConfig& c) { c.broker_uris.push_back("http://x:1"); },
       "broker_uris[1]: scheme must be tcp://, mqtt://, ssl:// or mqtts://"},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"ws://h:80"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"TCP://h:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"127.0.0.1:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp//h:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://h"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://h:"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://h:0"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://h:65536"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://h:123456"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://h:-1"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://h:18a3"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://h:1883/path"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://h:1883?x=1"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://user:pw@h:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://::1:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://[::1:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://[]:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://[zz::1]:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://[::1]"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://[::1]x:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://h h:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://h..x:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://.h:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"tcp://h\xC3\xA9:1883"}; }},
      {"broker_uris[1]", [](SessionConfig& c) { c.broker_uris = {"ssl://a:8883", "tcp://b:1883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.broker_uris = {"mqtt://b:1883", "mqtts://a:8883"}; }},
      {"broker_uris[0]", [](SessionConfig& c) { c.tls.enabled = true; }},
      // identity and topics
      {"group_id", [](SessionConfig& c) { c.group_id.clear(); }, "group_id: must not be empty"},
      {"group_id", [](SessionConfig& c) { c.group_id = "a@b"; }},
      {"group_id", [](SessionConfig& c) { c.group_id = "GID@@@x"; }},
      {"device_id", [](SessionConfig& c) { c.device_id.clear(); }},
      {"device_id", [](SessionConfig& c) { c.device_id = "a/b"; }},
      {"device_id", [](SessionConfig& c) { c.device_id = "a+b"; }},
      {"uplink_parent", [](SessionConfig& c) { c.uplink_parent.clear(); }},
      {"uplink_parent", [](SessionConfig& c) { c.uplink_parent = "a/b"; }},
      {"uplink_parent", [](SessionConfig& c) { c.uplink_parent = "$SYS"; }},
      {"uplink_parent", [](SessionConfig& c) { c.uplink_parent = "+"; }},
      {"downlink_parent", [](SessionConfig& c) { c.downlink_parent = "#"; }},
      {"downlink_parent", [](SessionConfig& c) { c.downlink_parent = "d\xFF"; }},
      {"uplink_parent", [](SessionConfig& c) { c.downlink_parent = c.uplink_parent; },
       "uplink_parent: must differ from downlink_parent"},
      // enums and MQTT version
      {"profile", [](SessionConfig& c) { c.profile = static_cast<BrokerProfile>(7); }},
      {"mqtt_version", [](SessionConfig& c) { c.mqtt_version = static_cast<MqttVersion>(9); }},
      {"session_expiry_s", [](SessionConfig& c) { c.mqtt_version = MqttVersion::v5; c.session_expiry_s = 0; },
       "session_expiry_s: must be > 0 with MQTT 5"},
      // auth
      {"auth.mode", [](SessionConfig& c) { c.auth.mode = static_cast<AuthMode>(42); }},
      {"auth.username", [](SessionConfig& c) { c.auth.mode = AuthMode::username_password; },
       "auth.username: required for username_password"},
      {"auth.username", [](SessionConfig& c) { c.auth.mode = AuthMode::username_password; c.auth.username = "u\xC0\x80"; }},
      {"auth.username", [](SessionConfig& c) { c.auth.mode = AuthMode::username_password; c.auth.username = std::string("u\0", 2); }},
      {"auth.password", [](SessionConfig& c) {
         c.auth.mode = AuthMode::username_password;
         c.auth.username = "u";
         c.auth.password = std::string(70000, 'p');
       }},
      {"auth.access_key_secret", [](SessionConfig& c) {
         c.auth.mode = AuthMode::alibaba_signature;
         c.auth.access_key_id = "ak";
         c.auth.instance_id = "i";
       }, "auth.access_key_secret: required for alibaba_signature"},
      {"auth.access_key_id", [](SessionConfig& c) {
         c.auth.mode = AuthMode::alibaba_signature;
         c.auth.instance_id = "i";
         c.auth.access_key_secret = "s";
       }, "auth.access_key_id: required for alibaba_signature"},
      {"auth.instance_id", [](SessionConfig& c) {
         c.auth.mode = AuthMode::alibaba_signature;
         c.auth.access_key_id = "ak";
         c.auth.access_key_secret = "s";
       }},
      {"auth.access_key_id", [](SessionConfig& c) {
         c.auth.mode = AuthMode::alibaba_signature;
         c.auth.access_key_id = "a|k";
         c.auth.instance_id = "i";
         c.auth.access_key_secret = "s";
       }},
      {"auth.token", [](SessionConfig& c) {
         c.auth.mode = AuthMode::alibaba_token;
         c.auth.access_key_id = "ak";
         c.auth.instance_id = "i";
       }, "auth.token: required for alibaba_token"},
      {"auth.token", [](SessionConfig& c) {
         c.auth.mode = AuthMode::alibaba_token;
         c.auth.access_key_id = "ak";
         c.auth.instance_id = "i";
         c.auth.token = "a|W|b";
       }},
      // tls
      {"tls.client_key_file", [](SessionConfig& c) {
         c.broker_uris = {"ssl://b:8883"};
         c.tls.client_cert_file = "c.pem";
       }, "tls.client_key_file: required with tls.client_cert_file"},
      {"tls.client_cert_file", [](SessionConfig& c) {
         c.broker_uris = {"ssl://b:8883"};
         c.tls.client_key_file = "k.pem";
       }},
      {"tls.client_key_password", [](SessionConfig& c) {
         c.broker_uris = {"ssl://b:8883"};
         c.tls.client_key_password = "pw";
       }},
      {"tls.ca_file", [](SessionConfig& c) { c.tls.ca_file = "/etc/ca.pem"; }},  // TLS not in use
      {"tls.ca_dir", [](SessionConfig& c) { c.tls.ca_dir = "/etc/ssl/certs"; }},
      {"tls.spki_sha256_pins", [](SessionConfig& c) { c.tls.spki_sha256_pins = {kPin}; }},
      {"tls.ca_file", [](SessionConfig& c) {
         c.broker_uris = {"ssl://b:8883"};
         c.tls.ca_file = std::string("ca\0.pem", 7);
       }},
      {"tls.spki_sha256_pins[1]", [](SessionConfig& c) {
         c.broker_uris = {"ssl://b:8883"};
         c.tls.spki_sha256_pins = {kPin, "abc"};
       }},
      {"tls.spki_sha256_pins[0]", [](SessionConfig& c) {
         c.broker_uris = {"ssl://b:8883"};
         c.tls.spki_sha256_pins = {"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV="};  // not canonical
       }},
      {"tls.spki_sha256_pins[0]", [](SessionConfig& c) {
         c.broker_uris = {"ssl://b:8883"};
         c.tls.spki_sha256_pins = {"47DEQpj8HBSa-_TImW+5JCeuQeRkm5NMpJWZG3hSuFU="};  // URL alphabet
       }},
      // timing
      {"keepalive", [](SessionConfig& c) { c.keepalive = 0s; }},
      {"keepalive", [](SessionConfig& c) { c.keepalive = 65536s; }},
      {"connect_timeout", [](SessionConfig& c) { c.connect_timeout = 0s; }},
      {"close_timeout", [](SessionConfig& c) { c.close_timeout = -1ms; }},
      {"close_timeout", [](SessionConfig& c) { c.close_timeout = 61s; }},
      {"backoff.initial", [](SessionConfig& c) { c.backoff.initial = 0ms; }},
      {"backoff.max", [](SessionConfig& c) { c.backoff.max = c.backoff.initial - 1ms; }},
      {"backoff.max", [](SessionConfig& c) { c.backoff.max = 25h; }},
      {"backoff.multiplier", [](SessionConfig& c) { c.backoff.multiplier = 0.5; }},
      {"backoff.multiplier", [nan](SessionConfig& c) { c.backoff.multiplier = nan; }},
      {"backoff.multiplier", [inf](SessionConfig& c) { c.backoff.multiplier = inf; }},
      {"backoff.jitter", [](SessionConfig& c) { c.backoff.jitter = -0.1; }, "backoff.jitter: must be in [0, 1]"},
      {"backoff.jitter", [](SessionConfig& c) { c.backoff.jitter = 1.5; }, "backoff.jitter: must be in [0, 1]"},
      {"backoff.jitter", [nan](SessionConfig& c) { c.backoff.jitter = nan; }, "backoff.jitter: must be in [0, 1]"},
      // limits
      {"max_outbox_messages", [](SessionConfig& c) { c.max_outbox_messages = 0; }},
      {"max_outbox_bytes", [](SessionConfig& c) { c.max_outbox_bytes = 0; }},
      {"max_inflight", [](SessionConfig& c) { c.max_inflight = 0; }},
      {"max_inflight", [](SessionConfig& c) { c.max_inflight = 65536; }},
      {"max_topic_length", [](SessionConfig& c) { c.max_topic_length = 0; }},
      {"max_topic_length", [](SessionConfig& c) { c.max_topic_length = 65536; }},
      {"max_client_id_length", [](SessionConfig& c) { c.max_client_id_length = 0; }},
      {"max_payload_bytes", [](SessionConfig& c) { c.max_payload_bytes = 0; }},
      {"max_payload_bytes", [](SessionConfig& c) { c.max_payload_bytes = 300u * 1024 * 1024; }},
      {"presence.online_payload", [](SessionConfig& c) {
         c.max_payload_bytes = 10;
         c.presence.online_payload = std::string(11, 'x');
       }},
      {"presence.offline_payload", [](SessionConfig& c) {
         c.max_payload_bytes = 10;
         c.presence.offline_payload = std::string(11, 'x');
       }},
      {"extra_subscriptions[1]", [](SessionConfig& c) { c.extra_subscriptions = {"a/#", "a/#/b"}; }},
      {"extra_subscriptions[0]", [](SessionConfig& c) { c.extra_subscriptions = {""}; }},
      {"extra_subscriptions[0]", [](SessionConfig& c) { c.extra_subscriptions = {std::string(65, 'x')}; }},
      {"data_dir", [](SessionConfig& c) { c.data_dir = std::string("/tmp/\0x", 7); }},
      // names built from several fields: the field that makes them too long
      {"device_id", [](SessionConfig& c) { c.device_id = std::string(54, 'd'); }},  // client id 65
      {"group_id", [](SessionConfig& c) { c.group_id = std::string(61, 'g'); }},
      {"device_id", [](SessionConfig& c) { c.device_id = std::string(45, 'd'); }},  // P2P topic 65
      {"downlink_parent", [](SessionConfig& c) { c.downlink_parent = std::string(53, 'x'); }},
      {"device_id", [](SessionConfig& c) { c.downlink_parent = std::string(40, 'x'); c.device_id = "dddddddddddd"; }},
      {"group_id", [](SessionConfig& c) { c.group_id = std::string(52, 'g'); c.device_id = "d"; }},
      {"group_id", [](SessionConfig& c) { c.max_topic_length = 10; }},  // the longest of the fixed parts
      {"uplink_parent", [](SessionConfig& c) { c.uplink_parent = std::string(58, 'u'); }},  // status 65
  };
  for (const auto& c : cases) {
    SessionConfig config = base_config();
    c.change(config);
    const Status status = validate(config);
    INFO("expected field " << c.field << ", got: " << status.message);
    CHECK(status.code == Errc::invalid_config);
    CHECK(starts_with(status.message, std::string(c.field) + ": "));
    if (c.exact != nullptr) CHECK(starts_with(status.message, c.exact));
  }
}

TEST_CASE("config: over-long names say which limit they break", "[config]") {
  SessionConfig config = base_config();
  config.device_id = std::string(54, 'd');
  Status status = validate(config);
  CHECK(status.message.find("max_client_id_length") != std::string::npos);

  config = base_config();
  config.device_id = std::string(45, 'd');
  status = validate(config);
  CHECK(status.message.find("P2P topic") != std::string::npos);
  CHECK(status.message.find("max_topic_length (64)") != std::string::npos);
}

TEST_CASE("config: broker URIs with credentials are not echoed", "[config]") {
  SessionConfig config = base_config();
  config.broker_uris = {"tcp://user:hunter2@h:1883"};
  const Status status = validate(config);
  CHECK(status.code == Errc::invalid_config);
  CHECK(status.message.find("hunter2") == std::string::npos);
}
