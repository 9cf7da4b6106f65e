// The control service's configuration: broker, topics, identity, signing key, RTC vendor, limits.
// main.cpp fills it from a JSON file (config_file.h); tests fill it in code.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "control/log.h"
#include "control/rtc_minter.h"
#include "core/common/status.h"
#include "core/envelope/codec_limits.h"
#include "core/envelope/signing.h"
#include "core/session/session_config.h"

namespace callsignal::control {

struct ControlLimits {
  std::size_t max_group_size = 9;            // participants per call, the caller included (2..32)
  std::int64_t ring_timeout_ms = 30'000;     // a callee that has not answered by then: no_answer
  std::int64_t invite_lifetime_ms = 45'000;  // the invite's ttl; an accept after it: call_expired
  std::int64_t resend_interval_ms = 2'000;   // re-send an unacknowledged downlink message this often
  std::int64_t liveness_grace_ms = 50'000;   // a joined participant silent this long is dropped
  std::int64_t message_ttl_ms = 30'000;      // ttl of every other downlink message
  std::int64_t keepalive_ttl_ms = 20'000;    // ttl of the downlink keepalive
  std::size_t max_pending = 100'000;         // unacknowledged downlink messages kept for re-sending
  std::size_t max_seen_ids = 200'000;        // uplink ids remembered for dedup
  std::int64_t seen_id_memory_ms = 10 * 60'000;     // how long an uplink id is remembered (at least)
  std::int64_t ended_call_memory_ms = 5 * 60'000;   // ended calls answer call_expired this long
  // An offline status (the last will) is composed when the device connects, just before its online
  // status: it still counts as newer than an online status at most this much newer than it.
  std::int64_t will_slack_ms = 60'000;
};

struct ControlConfig {
  // MQTT: broker URIs (tcp://host:port, ssl://host:port), tried in order.
  std::vector<std::string> broker_uris;
  std::string uplink_parent;    // requests arrive on <uplink>/req and <uplink>/status
  std::string downlink_parent;  // replies go to <downlink>/p2p/<client-id>
  // The service's own MQTT client id, <group>@@@<device>; each instance needs its own.
  std::string mqtt_client_id = "callsignal@@@control-1";
  MqttVersion mqtt_version = MqttVersion::v5;
  std::uint32_t session_expiry_s = 24 * 3600;  // MQTT 5: how long the broker keeps our session
  AuthConfig auth;
  TlsConfig tls;
  std::chrono::seconds keepalive{30};
  std::string data_dir;  // durable outbox of the service's session; empty: memory only
  // Non-empty: subscribe to $share/<shared_group>/<uplink>/req so that instances sharing the group
  // split the requests (MQTT 5 shared subscriptions). See docs/control-service.md on state.
  std::string shared_group;

  // Protocol identity: the "from" of every downlink message.
  std::string service_id = "callsignal-service";
  // Tags call ids (c-<instance_id>-<random>): 1..16 of [A-Za-z0-9_].
  std::string instance_id = "main";
  Signer signer;  // signs every downlink message (key id = signer.key_id())
  CodecLimits codec_limits;

  RtcConfig rtc;
  ControlLimits limits;

  LogLevel log_level = LogLevel::info;
  Logger::Sink log_sink;  // null: stderr
};

// Checks every field (not the broker's reachability). Errors: invalid_config naming the field.
Status validate(const ControlConfig& config);

}  // namespace callsignal::control
