// The control service's MQTT session settings, derived from its config.
#pragma once

#include <string>

#include "control/control_config.h"
#include "core/session/session_config.h"

namespace callsignal::control {

// The uplink request filter the service subscribes to: <uplink>/req, or
// $share/<shared_group>/<uplink>/req with a shared group.
std::string request_filter(const ControlConfig& config);

// With a shared group, instances talk to each other on two more topics (docs/control-service.md,
// "Scaling"): <uplink>/svc/<instance_id> carries requests about calls this instance owns that a
// peer received; <uplink>/svc/all carries every instance's hello and ack, so that each knows every
// device and can stop re-sending what was acknowledged to a peer.
std::string peer_topic(const ControlConfig& config, const std::string& instance_id);
std::string broadcast_topic(const ControlConfig& config);

// A SessionConfig for the service: the client id split into group and device, presence off (the
// service is not a device: its own status must not land on the status topic it reads),
// subscriptions to the request filter and to <uplink>/status. Errors: invalid_config
// (mqtt_client_id not <group>@@@<device>).
Result<SessionConfig> session_config_for(const ControlConfig& config);

}  // namespace callsignal::control
