// Counters of the control service, for tests, metrics and logs. A snapshot: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace callsignal::control {

struct ControlStats {
  std::uint64_t received = 0;        // uplink payloads seen (every topic)
  std::uint64_t requests = 0;        // decoded, accepted for handling (duplicates excluded)
  std::map<std::string, std::uint64_t> requests_by_type;  // by wire type name
  // Uplink payloads refused before handling, by reason: the decode() reasons (too_large,
  // malformed_json, missing_field, ...) and the service's own: duplicate (an id seen before),
  // wrong_direction (a downlink type sent up), bad_sender (from is not <group>@@@<device>).
  std::map<std::string, std::uint64_t> refused;
  std::map<std::string, std::uint64_t> errors_sent;  // error replies by code
  std::uint64_t calls_created = 0;
  std::uint64_t calls_active = 0;    // live now
  std::uint64_t calls_ended = 0;
  std::map<std::string, std::uint64_t> calls_ended_by_reason;
  std::uint64_t downlink_sent = 0;   // distinct downlink messages published (re-sends excluded)
  std::uint64_t resends = 0;         // re-publications of a message not yet acknowledged
  std::uint64_t acked = 0;           // downlink messages confirmed by the device (ack, or ringing)
  std::uint64_t unacked_expired = 0; // downlink messages whose ttl ran out before an ack
  std::uint64_t pending_acks = 0;    // downlink messages waiting for an ack now
  std::uint64_t publish_failures = 0;  // Session::publish refusals (outbox full, ...)
  std::uint64_t devices_known = 0;
  std::uint64_t devices_online = 0;
  std::uint64_t liveness_drops = 0;
  // Shared subscriptions: requests handed to the instance that owns the call, and the peers'
  // hello/ack copies applied here.
  std::uint64_t forwarded = 0;
  std::uint64_t peer_updates = 0;  // participants dropped for a lost device (offline or silent)

  std::uint64_t refused_total() const {
    std::uint64_t total = 0;
    for (const auto& [reason, count] : refused) total += count;
    return total;
  }
  std::uint64_t refused_for(const std::string& reason) const {
    auto it = refused.find(reason);
    return it == refused.end() ? 0 : it->second;
  }
  std::uint64_t ended_for(const std::string& reason) const {
    auto it = calls_ended_by_reason.find(reason);
    return it == calls_ended_by_reason.end() ? 0 : it->second;
  }
  std::uint64_t requests_for(const std::string& type) const {
    auto it = requests_by_type.find(type);
    return it == requests_by_type.end() ? 0 : it->second;
  }
  std::uint64_t errors_for(const std::string& code) const {
    auto it = errors_sent.find(code);
    return it == errors_sent.end() ? 0 : it->second;
  }
};

}  // namespace callsignal::control
