#include "core/session/session_config.h"

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "core/common/utf8.h"
#include "core/session/broker_uri.h"
#include "core/session/identity.h"

namespace callsignal {
namespace {

// MQTT's limits: a UTF-8 string or binary field holds at most 65535 bytes, a packet's remaining
// length at most 268435455 bytes. A payload must leave room for the topic and the other fields.
constexpr std::size_t kMqttStringMax = 65535;
constexpr std::size_t kMqttPayloadMax = 268'435'455 - kMqttStringMax - 1024;

Status config_error(std::string_view field, std::string_view what) {
  std::string message(field);
  message += ": ";
  message += what;
  return Status::error(Errc::invalid_config, std::move(message));
}

// identity.h reports invalid_argument; in a config the same problem is invalid_config.
Status as_config(Status status) {
  if (!status.ok()) status.code = Errc::invalid_config;
  return status;
}

std::string indexed(std::string_view field, std::size_t index) {
  return std::string(field) + "[" + std::to_string(index) + "]";
}

bool has_nul(std::string_view value) { return value.find('\0') != std::string_view::npos; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// An MQTT UTF-8 string field (user name, for instance).
Status check_mqtt_string(std::string_view field, std::string_view value) {
  if (value.size() > kMqttStringMax) return config_error(field, "must be at most 65535 bytes");
  if (!is_valid_utf8(value)) return config_error(field, "must be valid UTF-8");
  if (has_nul(value)) return config_error(field, "must not contain NUL");
  return Status::success();
}

// A part of an Alibaba user name or token password, where '|' separates fields.
Status check_alibaba_part(std::string_view field, std::string_view value, const char* mode) {
  if (value.empty()) return config_error(field, std::string("required for ") + mode);
  if (value.find('|') != std::string_view::npos) return config_error(field, "must not contain '|'");
  return check_mqtt_string(field, value);
}

Status check_auth(const AuthConfig& auth) {
  switch (auth.mode) {
    case AuthMode::none:
      return Status::success();
    case AuthMode::username_password: {
      if (auth.username.empty()) return config_error("auth.username", "required for username_password");
      Status status = check_mqtt_string("auth.username", auth.username);
      if (!status.ok()) return status;
      if (auth.password.size() > kMqttStringMax) return config_error("auth.password", "must be at most 65535 bytes");
      return Status::success();
    }
    case AuthMode::alibaba_signature:
    case AuthMode::alibaba_token: {
      const bool signature = auth.mode == AuthMode::alibaba_signature;
      const char* mode = signature ? "alibaba_signature" : "alibaba_token";
      Status status = check_alibaba_part("auth.access_key_id", auth.access_key_id, mode);
      if (!status.ok()) return status;
      status = check_alibaba_part("auth.instance_id", auth.instance_id, mode);
      if (!status.ok()) return status;
      if (auth.access_key_id.size() + auth.instance_id.size() + 11 > kMqttStringMax) {
        return config_error("auth.access_key_id", "makes the user name longer than 65535 bytes");
      }
      if (signature) {
        if (auth.access_key_secret.empty()) return config_error("auth.access_key_secret", "required for alibaba_signature");
        if (auth.access_key_secret.size() > kMqttStringMax) {
          return config_error("auth.access_key_secret", "must be at most 65535 bytes");
        }
        return Status::success();
      }
      status = check_alibaba_part("auth.token", auth.token, mode);
      if (!status.ok()) return status;
      if (2 * auth.token.size() + 5 > kMqttStringMax) {
        return config_error("auth.token", "makes the password longer than 65535 bytes");
      }
      return Status::success();
    }
  }
  return config_error("auth.mode", "unknown value " + std::to_string(static_cast<int>(auth.mode)));
}

// A pin is the standard base64 of a 32-byte digest: 43 characters and one '=' of padding.
bool valid_sha256_pin(std::string_view pin) {
  if (pin.size() != 44 || pin[43] != '=') return false;
  for (std::size_t i = 0; i < 43; ++i) {
    const char c = pin[i];
    if (!is_alnum(c) && c != '+' && c != '/') return false;
  }
  // The last character carries 4 data bits and 2 zero bits: only every fourth symbol is canonical.
  const char last = pin[42];
  const int value = last >= 'A' && last <= 'Z' ? last - 'A'
                    : last >= 'a' && last <= 'z' ? last - 'a' + 26
                    : is_digit(last)             ? last - '0' + 52
                    : last == '+'                ? 62
                                                 : 63;
  return (value & 0x3) == 0;
}

Status check_tls(const TlsConfig& tls, bool tls_in_use) {
  const std::pair<const char*, const std::string*> files[] = {
      {"tls.ca_file", &tls.ca_file},
      {"tls.ca_dir", &tls.ca_dir},
      {"tls.client_cert_file", &tls.client_cert_file},
      {"tls.client_key_file", &tls.client_key_file},
      {"tls.client_key_password", &tls.client_key_password},
  };
  for (const auto& [field, value] : files) {
    if (has_nul(*value)) return config_error(field, "must not contain NUL");
    // Settings that only make sense with TLS suggest the URIs were meant to be ssl://: refusing
    // them beats connecting in plain text while the app believes it is protected.
    if (!value->empty() && !tls_in_use) {
      return config_error(field, "set but TLS is not in use (tls.enabled is false and no broker URI is ssl:// or mqtts://)");
    }
  }
  if (!tls.spki_sha256_pins.empty() && !tls_in_use) {
    return config_error("tls.spki_sha256_pins",
                        "set but TLS is not in use (tls.enabled is false and no broker URI is ssl:// or mqtts://)");
  }
  if (!tls.client_cert_file.empty() && tls.client_key_file.empty()) {
    return config_error("tls.client_key_file", "required with tls.client_cert_file");
  }
  if (!tls.client_key_file.empty() && tls.client_cert_file.empty()) {
    return config_error("tls.client_cert_file", "required with tls.client_key_file");
  }
  if (!tls.client_key_password.empty() && tls.client_key_file.empty()) {
    return config_error("tls.client_key_password", "set without tls.client_key_file");
  }
  for (std::size_t i = 0; i < tls.spki_sha256_pins.size(); ++i) {
    if (!valid_sha256_pin(tls.spki_sha256_pins[i])) {
      return config_error(indexed("tls.spki_sha256_pins", i),
                          "must be the standard base64 of a 32-byte SHA-256 digest (44 characters ending in '=')");
    }
  }
  return Status::success();
}

Status check_backoff(const BackoffConfig& backoff) {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  if (backoff.initial <= milliseconds::zero()) return config_error("backoff.initial", "must be > 0");
  if (backoff.max < backoff.initial) return config_error("backoff.max", "must be >= backoff.initial");
  if (backoff.max > hours(24)) return config_error("backoff.max", "must be at most 24 hours");
  if (!std::isfinite(backoff.multiplier) || backoff.multiplier < 1.0 || backoff.multiplier > 100.0) {
    return config_error("backoff.multiplier", "must be in [1, 100]");
  }
  if (!(backoff.jitter >= 0.0 && backoff.jitter <= 1.0)) return config_error("backoff.jitter", "must be in [0, 1]");
  return Status::success();
}

Status check_range(std::string_view field, std::size_t value, std::size_t min, std::size_t max) {
  if (value < min || value > max) {
    return config_error(field, "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return Status::success();
}

struct Part {
  const char* field;
  std::size_t size;
};

// The field to blame when a name built from `fixed` parts, then `variable` (the device id), plus
// `overhead` bytes exceeds `max`. The parents and the group id are set once per app, the device id
// per device: when not even a one-byte device id would fit, the longest fixed part is to blame,
// otherwise the device id.
const char* blame(std::initializer_list<Part> fixed, const char* variable, std::size_t overhead,
                  std::size_t max) {
  std::size_t total = overhead + 1;
  const Part* longest = nullptr;
  for (const Part& part : fixed) {
    total += part.size;
    if (longest == nullptr || part.size > longest->size) longest = &part;
  }
  return total > max && longest != nullptr ? longest->field : variable;
}

}  // namespace

Status validate(const SessionConfig& config) {
  Status status;

  if (config.broker_uris.empty()) return config_error("broker_uris", "must not be empty");
  bool any_tls = config.tls.enabled;
  std::vector<bool> uri_tls(config.broker_uris.size());
  for (std::size_t i = 0; i < config.broker_uris.size(); ++i) {
    bool tls = false;
    auto address = parse_broker_uri(indexed("broker_uris", i), config.broker_uris[i]);
    status = address.status();
    if (status.ok()) tls = address.value().tls;
    if (!status.ok()) return status;
    uri_tls[i] = tls;
    any_tls = any_tls || tls;
  }
  if (any_tls) {
    // A plain URI next to TLS ones would silently drop TLS on failover.
    for (std::size_t i = 0; i < uri_tls.size(); ++i) {
      if (!uri_tls[i]) {
        return config_error(indexed("broker_uris", i),
                            "plain tcp:// or mqtt:// while TLS is in use (tls.enabled or an ssl:// URI): "
                            "use ssl:// or mqtts://");
      }
    }
  }

  if (!(status = as_config(validate_id_part("group_id", config.group_id))).ok()) return status;
  if (!(status = as_config(validate_id_part("device_id", config.device_id))).ok()) return status;
  if (!(status = as_config(validate_parent_topic("uplink_parent", config.uplink_parent))).ok()) return status;
  if (!(status = as_config(validate_parent_topic("downlink_parent", config.downlink_parent))).ok()) return status;
  if (config.uplink_parent == config.downlink_parent) {
    return config_error("uplink_parent", "must differ from downlink_parent");
  }

  if (config.profile != BrokerProfile::generic && config.profile != BrokerProfile::alibaba) {
    return config_error("profile", "unknown value " + std::to_string(static_cast<int>(config.profile)));
  }
  if (config.mqtt_version != MqttVersion::v3_1_1 && config.mqtt_version != MqttVersion::v5) {
    return config_error("mqtt_version", "unknown value " + std::to_string(static_cast<int>(config.mqtt_version)));
  }
  if (config.mqtt_version == MqttVersion::v5 && config.session_expiry_s == 0) {
    return config_error("session_expiry_s", "must be > 0 with MQTT 5 (0 ends the session at every disconnect)");
  }

  if (!(status = check_auth(config.auth)).ok()) return status;
  if (!(status = check_tls(config.tls, any_tls)).ok()) return status;

  using std::chrono::milliseconds;
  using std::chrono::seconds;
  if (config.keepalive < seconds(1) || config.keepalive > seconds(65535)) {
    return config_error("keepalive", "must be in [1, 65535] seconds (0 would disable dead connection detection)");
  }
  if (config.connect_timeout < seconds(1) || config.connect_timeout > seconds(3600)) {
    return config_error("connect_timeout", "must be in [1, 3600] seconds");
  }
  if (config.close_timeout < milliseconds::zero() || config.close_timeout > milliseconds(60'000)) {
    return config_error("close_timeout", "must be in [0, 60000] ms");
  }
  if (!(status = check_backoff(config.backoff)).ok()) return status;

  if (!(status = check_range("max_outbox_messages", config.max_outbox_messages, 1, SIZE_MAX)).ok()) return status;
  if (!(status = check_range("max_outbox_bytes", config.max_outbox_bytes, 1, SIZE_MAX)).ok()) return status;
  if (!(status = check_range("max_inflight", config.max_inflight, 1, 65535)).ok()) return status;
  if (!(status = check_range("max_topic_length", config.max_topic_length, 1, kMqttStringMax)).ok()) return status;
  if (!(status = check_range("max_client_id_length", config.max_client_id_length, 1, kMqttStringMax)).ok()) return status;
  if (!(status = check_range("max_payload_bytes", config.max_payload_bytes, 1, kMqttPayloadMax)).ok()) return status;

  const std::pair<const char*, const std::string*> payloads[] = {
      {"presence.online_payload", &config.presence.online_payload},
      {"presence.offline_payload", &config.presence.offline_payload},
  };
  for (const auto& [field, payload] : payloads) {
    if (payload->size() > config.max_payload_bytes) {
      return config_error(field, "is " + std::to_string(payload->size()) + " bytes, more than max_payload_bytes (" +
                                     std::to_string(config.max_payload_bytes) + ")");
    }
  }

  for (std::size_t i = 0; i < config.extra_subscriptions.size(); ++i) {
    status = as_config(validate_topic_filter(indexed("extra_subscriptions", i), config.extra_subscriptions[i],
                                             config.max_topic_length));
    if (!status.ok()) return status;
  }

  if (has_nul(config.data_dir)) return config_error("data_dir", "must not contain NUL");

  // The names built from several fields: blame the field that makes them too long.
  Result<std::string> client_id = make_client_id(config.group_id, config.device_id, config.max_client_id_length);
  if (!client_id.ok()) {
    Status error = as_config(client_id.status());
    error.message += " (max_client_id_length)";
    return error;
  }
  const Topics topics = make_topics(config.uplink_parent, config.downlink_parent, client_id.value());
  if (topics.p2p.size() > config.max_topic_length) {
    const char* field = blame({{"downlink_parent", config.downlink_parent.size()}, {"group_id", config.group_id.size()}},
                              "device_id", 5 + kClientIdSeparator.size(), config.max_topic_length);
    return config_error(field, "makes the P2P topic \"" + topics.p2p + "\" " + std::to_string(topics.p2p.size()) +
                                   " bytes long, more than max_topic_length (" +
                                   std::to_string(config.max_topic_length) + ")");
  }
  if (topics.status.size() > config.max_topic_length) {
    return config_error("uplink_parent", "makes the status topic \"" + topics.status + "\" " +
                                             std::to_string(topics.status.size()) +
                                             " bytes long, more than max_topic_length (" +
                                             std::to_string(config.max_topic_length) + ")");
  }
  return Status::success();
}

}  // namespace callsignal
