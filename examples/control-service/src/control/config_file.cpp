#include "control/config_file.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace callsignal::control {

namespace {

using Value = rapidjson::Value;

Status bad(const std::string& key, const std::string& what) {
  return Status::error(Errc::invalid_config, key + ": " + what);
}

std::string join(const std::string& prefix, const char* key) { return prefix.empty() ? key : prefix + "." + key; }

std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

// Reads the members of one JSON object, each with a handler; any other member is an error.
class ObjectReader {
 public:
  using Handler = std::function<Status(const Value&, const std::string& key)>;

  ObjectReader(const Value& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  ObjectReader& on(const char* key, Handler handler) {
    handlers_.emplace(key, std::move(handler));
    return *this;
  }

  Status read() const {
    if (!object_.IsObject()) return bad(prefix_.empty() ? "config" : prefix_, "must be an object");
    for (auto it = object_.MemberBegin(); it != object_.MemberEnd(); ++it) {
      const std::string name(it->name.GetString(), it->name.GetStringLength());
      auto handler = handlers_.find(name);
      if (handler == handlers_.end()) return bad(join(prefix_, name.c_str()), "unknown key");
      if (Status s = handler->second(it->value, join(prefix_, name.c_str())); !s.ok()) return s;
    }
    return Status::success();
  }

 private:
  const Value& object_;
  std::string prefix_;
  std::map<std::string, Handler> handlers_;
};

ObjectReader::Handler string_into(std::string& out) {
  return [&out](const Value& v, const std::string& key) {
    if (!v.IsString()) return bad(key, "must be a string");
    out.assign(v.GetString(), v.GetStringLength());
    return Status::success();
  };
}

ObjectReader::Handler bool_into(bool& out) {
  return [&out](const Value& v, const std::string& key) {
    if (!v.IsBool()) return bad(key, "must be true or false");
    out = v.GetBool();
    return Status::success();
  };
}

template <class Int>
ObjectReader::Handler int_into(Int& out) {
  return [&out](const Value& v, const std::string& key) {
    if (!v.IsInt64() || v.GetInt64() < 0) return bad(key, "must be a non-negative integer");
    out = static_cast<Int>(v.GetInt64());
    return Status::success();
  };
}

ObjectReader::Handler strings_into(std::vector<std::string>& out) {
  return [&out](const Value& v, const std::string& key) {
    if (!v.IsArray()) return bad(key, "must be an array of strings");
    out.clear();
    for (const Value& item : v.GetArray()) {
      if (!item.IsString()) return bad(key, "must be an array of strings");
      out.emplace_back(item.GetString(), item.GetStringLength());
    }
    return Status::success();
  };
}

Result<std::string> read_text(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(Errc::io_error, what + ": cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::error(Errc::io_error, what + ": cannot read " + path);
  return text.str();
}

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

}  // namespace

Result<ControlConfig> parse_config(std::string_view json, const std::string& base_dir) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return bad("config", std::string("invalid JSON at offset ") + std::to_string(doc.GetErrorOffset()) + ": " +
                             rapidjson::GetParseError_En(doc.GetParseError()));
  }

  ControlConfig config;
  std::string key_file, key_id, app_key_file, app_key_env, log_level, auth_mode;
  std::int64_t mqtt_version = 5, keepalive_s = 30;

  ObjectReader root(doc, "");
  root.on("broker_uris", strings_into(config.broker_uris))
      .on("uplink_parent", string_into(config.uplink_parent))
      .on("downlink_parent", string_into(config.downlink_parent))
      .on("mqtt_client_id", string_into(config.mqtt_client_id))
      .on("mqtt_version", int_into(mqtt_version))
      .on("session_expiry_s", int_into(config.session_expiry_s))
      .on("keepalive_s", int_into(keepalive_s))
      .on("data_dir", string_into(config.data_dir))
      .on("shared_group", string_into(config.shared_group))
      .on("service_id", string_into(config.service_id))
      .on("instance_id", string_into(config.instance_id))
      .on("log_level", string_into(log_level))
      .on("auth",
          [&](const Value& v, const std::string& key) {
            return ObjectReader(v, key)
                .on("mode", string_into(auth_mode))
                .on("username", string_into(config.auth.username))
                .on("password", string_into(config.auth.password))
                .on("access_key_id", string_into(config.auth.access_key_id))
                .on("access_key_secret", string_into(config.auth.access_key_secret))
                .on("instance_id", string_into(config.auth.instance_id))
                .read();
          })
      .on("tls",
          [&](const Value& v, const std::string& key) {
            return ObjectReader(v, key)
                .on("enabled", bool_into(config.tls.enabled))
                .on("ca_file", string_into(config.tls.ca_file))
                .on("ca_dir", string_into(config.tls.ca_dir))
                .on("verify_hostname", bool_into(config.tls.verify_hostname))
                .on("client_cert_file", string_into(config.tls.client_cert_file))
                .on("client_key_file", string_into(config.tls.client_key_file))
                .on("client_key_password", string_into(config.tls.client_key_password))
                .on("spki_sha256_pins", strings_into(config.tls.spki_sha256_pins))
                .on("insecure_skip_verify", bool_into(config.tls.insecure_skip_verify))
                .read();
          })
      .on("signing_key",
          [&](const Value& v, const std::string& key) {
            return ObjectReader(v, key).on("file", string_into(key_file)).on("kid", string_into(key_id)).read();
          })
      .on("rtc",
          [&](const Value& v, const std::string& key) {
            return ObjectReader(v, key)
                .on("vendor", string_into(config.rtc.vendor))
                .on("app_id", string_into(config.rtc.app_id))
                .on("app_key", string_into(config.rtc.app_key))
                .on("app_key_file", string_into(app_key_file))
                .on("app_key_env", string_into(app_key_env))
                .on("gslb", strings_into(config.rtc.gslb))
                .on("token_lifetime_s", int_into(config.rtc.token_lifetime_s))
                .read();
          })
      .on("limits", [&](const Value& v, const std::string& key) {
        ControlLimits& l = config.limits;
        return ObjectReader(v, key)
            .on("max_group_size", int_into(l.max_group_size))
            .on("ring_timeout_ms", int_into(l.ring_timeout_ms))
            .on("invite_lifetime_ms", int_into(l.invite_lifetime_ms))
            .on("resend_interval_ms", int_into(l.resend_interval_ms))
            .on("liveness_grace_ms", int_into(l.liveness_grace_ms))
            .on("message_ttl_ms", int_into(l.message_ttl_ms))
            .on("keepalive_ttl_ms", int_into(l.keepalive_ttl_ms))
            .on("max_pending", int_into(l.max_pending))
            .on("max_seen_ids", int_into(l.max_seen_ids))
            .on("seen_id_memory_ms", int_into(l.seen_id_memory_ms))
            .on("ended_call_memory_ms", int_into(l.ended_call_memory_ms))
            .on("will_slack_ms", int_into(l.will_slack_ms))
            .read();
      });
  if (Status s = root.read(); !s.ok()) return s;

  if (mqtt_version == 5) {
    config.mqtt_version = MqttVersion::v5;
  } else if (mqtt_version == 4 || mqtt_version == 3) {
    config.mqtt_version = MqttVersion::v3_1_1;
  } else {
    return bad("mqtt_version", "must be 5 or 4 (3.1.1)");
  }
  config.keepalive = std::chrono::seconds(keepalive_s);
  if (!log_level.empty() && !parse_log_level(log_level, config.log_level)) {
    return bad("log_level", "must be one of debug|info|warn|error|off");
  }
  if (auth_mode.empty()) {
    config.auth.mode = config.auth.username.empty() ? AuthMode::none : AuthMode::username_password;
  } else if (auth_mode == "none") {
    config.auth.mode = AuthMode::none;
  } else if (auth_mode == "username_password") {
    config.auth.mode = AuthMode::username_password;
  } else if (auth_mode == "alibaba_signature") {
    config.auth.mode = AuthMode::alibaba_signature;
  } else {
    return bad("auth.mode", "must be one of none|username_password|alibaba_signature");
  }
  config.data_dir = resolve(base_dir, config.data_dir);
  for (std::string* path : {&config.tls.ca_file, &config.tls.ca_dir, &config.tls.client_cert_file,
                            &config.tls.client_key_file}) {
    *path = resolve(base_dir, *path);
  }

  // The RTC app key: inline, from a file, or from the environment; exactly one.
  const int sources = !config.rtc.app_key.empty() + !app_key_file.empty() + !app_key_env.empty();
  if (sources != 1) return bad("rtc.app_key", "give exactly one of app_key, app_key_file, app_key_env");
  if (!app_key_file.empty()) {
    auto text = read_text(resolve(base_dir, app_key_file), "rtc.app_key_file");
    if (!text.ok()) return text.status();
    config.rtc.app_key = trim(text.value());
  } else if (!app_key_env.empty()) {
    const char* value = std::getenv(app_key_env.c_str());
    if (value == nullptr || *value == '\0') return bad("rtc.app_key_env", "the variable " + app_key_env + " is not set");
    config.rtc.app_key = value;
  }

  if (key_file.empty() || key_id.empty()) return bad("signing_key", "file and kid are required");
  auto signer = Signer::from_pem_file(resolve(base_dir, key_file), key_id);
  if (!signer.ok()) {
    return Status::error(signer.status().code == Errc::io_error ? Errc::io_error : Errc::invalid_config,
                         "signing_key: " + signer.status().message);
  }
  config.signer = std::move(signer).value();

  if (Status s = validate(config); !s.ok()) return s;
  return config;
}

Result<ControlConfig> load_config_file(const std::string& path) {
  auto text = read_text(path, "config");
  if (!text.ok()) return text.status();
  const auto slash = path.find_last_of('/');
  return parse_config(text.value(), slash == std::string::npos ? std::string() : path.substr(0, slash));
}

}  // namespace callsignal::control
