#include "capi/capi_options.h"

#include <chrono>

namespace callsignal::capi {
namespace {

// The first release's struct: a program built against it must keep working.
constexpr std::size_t kOptionsV1Size = sizeof(cs_client_options_t);

Status bad_config(const std::string& field, const char* why) {
  return Status::error(Errc::invalid_config, field + ": " + why);
}

template <typename T>
void set_if(std::uint32_t value, T& field) {
  if (value != 0) field = static_cast<T>(value);
}

Status read_auth(const cs_auth_options_t& in, AuthConfig& out) {
  switch (enum_value(in.mode)) {
    case CS_AUTH_NONE: out.mode = AuthMode::none; break;
    case CS_AUTH_USERNAME_PASSWORD: out.mode = AuthMode::username_password; break;
    case CS_AUTH_ALIBABA_SIGNATURE: out.mode = AuthMode::alibaba_signature; break;
    case CS_AUTH_ALIBABA_TOKEN: out.mode = AuthMode::alibaba_token; break;
    default: return bad_config("auth.mode", "not a cs_auth_mode_t value");
  }
  if (Status s = read_optional_string(in.username, "auth.username", out.username); !s.ok()) return s;
  if (Status s = read_optional_string(in.password, "auth.password", out.password); !s.ok()) return s;
  if (Status s = read_optional_string(in.access_key_id, "auth.access_key_id", out.access_key_id); !s.ok()) return s;
  if (Status s = read_optional_string(in.access_key_secret, "auth.access_key_secret", out.access_key_secret); !s.ok()) {
    return s;
  }
  if (Status s = read_optional_string(in.instance_id, "auth.instance_id", out.instance_id); !s.ok()) return s;
  return read_optional_string(in.token, "auth.token", out.token);
}

Status read_tls(const cs_tls_options_t& in, TlsConfig& out) {
  out.enabled = in.enabled != 0;
  if (Status s = read_optional_string(in.ca_file, "tls.ca_file", out.ca_file); !s.ok()) return s;
  if (Status s = read_optional_string(in.ca_dir, "tls.ca_dir", out.ca_dir); !s.ok()) return s;
  if (Status s = read_optional_string(in.client_cert_file, "tls.client_cert_file", out.client_cert_file); !s.ok()) {
    return s;
  }
  if (Status s = read_optional_string(in.client_key_file, "tls.client_key_file", out.client_key_file); !s.ok()) return s;
  if (Status s = read_optional_string(in.client_key_password, "tls.client_key_password", out.client_key_password);
      !s.ok()) {
    return s;
  }
  if (Status s = read_string_list(in.spki_sha256_pins, in.spki_sha256_pin_count, "tls.spki_sha256_pins",
                                  out.spki_sha256_pins);
      !s.ok()) {
    return s;
  }
  out.verify_hostname = in.skip_hostname_check == 0;
  out.insecure_skip_verify = in.insecure_skip_verify != 0;
  return Status::success();
}

Status read_trusted_keys(const cs_client_options_t& in, TrustedKeys& out) {
  if (in.trusted_key_count > 0 && in.trusted_keys == nullptr) {
    return Status::error(Errc::invalid_argument, "trusted_keys: NULL with a count above 0");
  }
  for (std::size_t i = 0; i < in.trusted_key_count; ++i) {
    const std::string name = "trusted_keys[" + std::to_string(i) + "]";
    std::string key_id;
    std::string key;
    if (Status s = read_string(in.trusted_keys[i].key_id, (name + ".key_id").c_str(), key_id); !s.ok()) return s;
    if (Status s = read_string(in.trusted_keys[i].public_key, (name + ".public_key").c_str(), key); !s.ok()) return s;
    const bool pem = key.find("-----BEGIN") != std::string::npos;
    Status added = pem ? out.add_pem(key_id, key) : out.add_base64(key_id, key);
    if (!added.ok()) return bad_config(name, added.message.c_str());
  }
  return Status::success();
}

Status read_identity(const cs_client_options_t& in, ClientConfig& out) {
  if (Status s = read_string_list(in.broker_uris, in.broker_uri_count, "broker_uris", out.session.broker_uris); !s.ok()) {
    return s;
  }
  if (Status s = read_optional_string(in.group_id, "group_id", out.session.group_id); !s.ok()) return s;
  if (Status s = read_optional_string(in.device_id, "device_id", out.session.device_id); !s.ok()) return s;
  if (Status s = read_optional_string(in.user_id, "user_id", out.user_id); !s.ok()) return s;
  if (Status s = read_optional_string(in.uplink_parent, "uplink_parent", out.session.uplink_parent); !s.ok()) return s;
  if (Status s = read_optional_string(in.downlink_parent, "downlink_parent", out.session.downlink_parent); !s.ok()) {
    return s;
  }
  std::string platform;
  if (Status s = read_optional_string(in.platform, "platform", platform); !s.ok()) return s;
  if (!platform.empty()) out.platform = platform;
  switch (enum_value(in.broker_profile)) {
    case CS_BROKER_GENERIC: out.session.profile = BrokerProfile::generic; break;
    case CS_BROKER_ALIBABA: out.session.profile = BrokerProfile::alibaba; break;
    default: return bad_config("broker_profile", "not a cs_broker_profile_t value");
  }
  switch (enum_value(in.mqtt_version)) {
    case CS_MQTT_3_1_1: out.session.mqtt_version = MqttVersion::v3_1_1; break;
    case CS_MQTT_5: out.session.mqtt_version = MqttVersion::v5; break;
    default: return bad_config("mqtt_version", "not a cs_mqtt_version_t value");
  }
  return Status::success();
}

void read_numbers(const cs_client_options_t& in, ClientConfig& out) {
  SessionConfig& session = out.session;
  if (in.keepalive_s != 0) session.keepalive = std::chrono::seconds(in.keepalive_s);
  if (in.connect_timeout_s != 0) session.connect_timeout = std::chrono::seconds(in.connect_timeout_s);
  if (in.backoff_initial_ms != 0) session.backoff.initial = std::chrono::milliseconds(in.backoff_initial_ms);
  if (in.backoff_max_ms != 0) session.backoff.max = std::chrono::milliseconds(in.backoff_max_ms);
  set_if(in.session_expiry_s, session.session_expiry_s);
  set_if(in.max_outbox_messages, session.max_outbox_messages);
  set_if(in.max_outbox_bytes, session.max_outbox_bytes);
  session.fsync = in.fsync != 0;

  CallConfig& call = out.call;
  set_if(in.request_timeout_ms, call.request_timeout_ms);
  set_if(in.ring_timeout_ms, call.ring_timeout_ms);
  set_if(in.join_timeout_ms, call.join_timeout_ms);
  set_if(in.keepalive_interval_ms, call.keepalive_interval_ms);
  set_if(in.peer_silence_ms, call.peer_silence_ms);
  set_if(in.max_group, call.max_group);
  set_if(in.request_lifetime_ms, out.request_ttl_ms);

  set_if(in.max_payload_bytes, out.limits.max_bytes);
  set_if(in.skew_tolerance_ms, out.expiry.skew_tolerance_ms);
  set_if(in.max_future_ms, out.expiry.max_future_ms);
}

}  // namespace

Status client_config_from(const cs_client_options_t* options, ClientConfig& out) {
  cs_client_options_t in = CS_CLIENT_OPTIONS_INIT;
  if (Status s = read_versioned(options, "options", kOptionsV1Size, in); !s.ok()) return s;
  if (Status s = read_identity(in, out); !s.ok()) return s;
  if (Status s = read_auth(in.auth, out.session.auth); !s.ok()) return s;
  if (Status s = read_tls(in.tls, out.session.tls); !s.ok()) return s;
  if (Status s = read_optional_string(in.data_dir, "data_dir", out.session.data_dir); !s.ok()) return s;
  if (Status s = read_trusted_keys(in, out.trusted_keys); !s.ok()) return s;
  switch (enum_value(in.busy_policy)) {
    case CS_BUSY_AUTO_REJECT: out.call.busy_policy = BusyPolicy::auto_reject; break;
    case CS_BUSY_CALL_WAITING: out.call.busy_policy = BusyPolicy::call_waiting; break;
    default: return bad_config("busy_policy", "not a cs_busy_policy_t value");
  }
  read_numbers(in, out);
  return Status::success();
}

}  // namespace callsignal::capi
