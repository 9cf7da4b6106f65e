#include "control/session_setup.h"

#include "core/session/identity.h"

namespace callsignal::control {

std::string request_filter(const ControlConfig& config) {
  std::string topic = config.uplink_parent + "/req";
  if (config.shared_group.empty()) return topic;
  return "$share/" + config.shared_group + "/" + topic;
}

std::string peer_topic(const ControlConfig& config, const std::string& instance_id) {
  return config.uplink_parent + "/svc/" + instance_id;
}

std::string broadcast_topic(const ControlConfig& config) { return config.uplink_parent + "/svc/all"; }

Result<SessionConfig> session_config_for(const ControlConfig& config) {
  const std::size_t separator = config.mqtt_client_id.find(kClientIdSeparator);
  if (separator == std::string::npos) {
    return Status::error(Errc::invalid_config, "mqtt_client_id: must be <group>@@@<device>");
  }
  SessionConfig session;
  session.broker_uris = config.broker_uris;
  session.group_id = config.mqtt_client_id.substr(0, separator);
  session.device_id = config.mqtt_client_id.substr(separator + kClientIdSeparator.size());
  session.uplink_parent = config.uplink_parent;
  session.downlink_parent = config.downlink_parent;
  session.mqtt_version = config.mqtt_version;
  session.session_expiry_s = config.session_expiry_s;
  session.auth = config.auth;
  session.tls = config.tls;
  session.keepalive = config.keepalive;
  session.connect_timeout = std::chrono::seconds(10);
  session.backoff.initial = std::chrono::milliseconds(200);
  session.backoff.max = std::chrono::milliseconds(10'000);
  session.presence.enabled = false;
  session.extra_subscriptions = {request_filter(config), config.uplink_parent + "/status"};
  if (!config.shared_group.empty()) {
    session.extra_subscriptions.push_back(peer_topic(config, config.instance_id));
    session.extra_subscriptions.push_back(broadcast_topic(config));
  }
  session.data_dir = config.data_dir;
  // The service fans out to many devices: a wider window than a device's, still far below the
  // ~1,000 in flight where Paho stalls.
  session.max_inflight = 100;
  session.max_outbox_messages = 100'000;
  session.max_outbox_bytes = 256 * 1024 * 1024;
  session.max_topic_length = 128;  // the service's own topics; device topics are checked per publish
  session.max_payload_bytes = config.codec_limits.max_bytes;
  return session;
}

}  // namespace callsignal::control
