// The accounting of a chaos run: what was sent (the runner's invite records, the peer's view of
// acks) against what each device's app saw (its events log). tests/chaos/README.md defines the
// counts.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/envelope/envelope.h"

namespace callsignal::chaos {

// One invite the runner sent, with the control message (if any) that ended its call.
struct InviteRecord {
  std::string id;
  std::string call_id;
  std::size_t device = 0;
  std::int64_t expiry_real_ms = 0;        // ts + ttl on the real clock
  bool short_ttl = false;
  bool has_control = false;
  MessageType control_type = MessageType::cancel;
  std::string control_id;
  std::int64_t control_sent_real_ms = 0;  // 0: not sent (yet)
  bool acked_before_control = false;      // the device had recorded the invite before the control left
  bool acked = false;                     // filled in by the runner at the end
};

// What one device's app saw, by call id.
struct AppEvents {
  std::map<std::string, std::vector<std::int64_t>> rings;
  std::map<std::string, std::vector<std::pair<std::int64_t, std::string>>> missed;  // time, reason
  std::size_t starts = 0;
};

// Reads an events log (tests/chaos/chaos_client.cpp writes it). A missing file reads as empty.
AppEvents read_events(const std::string& path);

struct Tally {
  std::size_t invites = 0;
  std::size_t delivered = 0;            // at least one app event (ring or missed call)
  std::size_t rang = 0;
  std::size_t missed_only = 0;
  std::size_t lost = 0;
  std::size_t twice = 0;                // a call id rung twice, or reported missed twice
  std::size_t ended_before_receipt = 0; // silent, allowed: the end left before the device had the invite
  std::size_t expired_unreceived = 0;   // silent, allowed: never recorded by the device, and expired
  std::size_t rang_late = 0;            // rang after ts + ttl + tolerance: must be 0
  std::size_t missed_expired_early = 0; // reported missed "expired" before its real expiry (informational)
  std::size_t unexpected = 0;           // app events for call ids never sent: must be 0
  std::vector<std::string> lost_examples;
  std::vector<std::string> twice_examples;
  std::vector<std::string> late_examples;
  std::vector<std::string> unexpected_examples;
  bool pass() const { return lost == 0 && twice == 0 && rang_late == 0 && unexpected == 0; }
};

// late_slack_ms: how long after ts + ttl a ring still counts as on time (the SDK's skew tolerance
// plus the event thread's delay). now_real_ms: when the tally is made.
Tally tally(const std::vector<InviteRecord>& invites, const std::vector<AppEvents>& apps, std::int64_t now_real_ms,
            std::int64_t late_slack_ms);

// Whether every invite is resolved: delivered, or silent for an allowed reason that can no longer
// change (its end was acknowledged, or it expired unrecorded).
bool settled(const std::vector<InviteRecord>& invites, const std::vector<AppEvents>& apps, std::int64_t now_real_ms);

}  // namespace callsignal::chaos
