#include "chaos/chaos_ledger.h"

#include <fstream>
#include <set>
#include <sstream>

namespace callsignal::chaos {
namespace {

// The SDK's skew tolerance: a missed call reported "expired" earlier than this before the real
// expiry means the device's estimate of the service clock was off by more than it allows for.
constexpr std::int64_t kEarlySlackMs = 5'000;

bool has_event(const AppEvents& app, const std::string& call_id) {
  return app.rings.count(call_id) != 0 || app.missed.count(call_id) != 0;
}

// Silent for a reason the run allows: the call's end left before the device had recorded the
// invite (the device may then admit the end first, and a late invite for an ended call never
// rings), or the device never recorded it and it has expired.
bool ended_first(const InviteRecord& invite) {
  return invite.has_control && invite.control_sent_real_ms != 0 && !invite.acked_before_control;
}

bool silence_allowed(const InviteRecord& invite, std::int64_t now_real_ms) {
  return ended_first(invite) || (!invite.acked && now_real_ms > invite.expiry_real_ms);
}

}  // namespace

AppEvents read_events(const std::string& path) {
  AppEvents events;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string kind, call_id, reason;
    std::int64_t at = 0;
    fields >> kind >> call_id >> at;
    if (kind == "ring") {
      events.rings[call_id].push_back(at);
    } else if (kind == "missed") {
      fields >> reason;
      events.missed[call_id].emplace_back(at, reason);
    } else if (kind == "start") {
      ++events.starts;
    }
  }
  return events;
}

Tally tally(const std::vector<InviteRecord>& invites, const std::vector<AppEvents>& apps, std::int64_t now_real_ms,
            std::int64_t late_slack_ms) {
  Tally t;
  std::vector<std::set<std::string>> sent(apps.size());
  for (const InviteRecord& invite : invites) {
    ++t.invites;
    sent.at(invite.device).insert(invite.call_id);
    const AppEvents& app = apps.at(invite.device);
    auto rings = app.rings.find(invite.call_id);
    auto missed = app.missed.find(invite.call_id);
    const std::size_t ring_count = rings == app.rings.end() ? 0 : rings->second.size();
    const std::size_t missed_count = missed == app.missed.end() ? 0 : missed->second.size();
    const std::string where = invite.call_id + " (device " + std::to_string(invite.device) + ", invite " + invite.id + ")";
    if (ring_count + missed_count == 0) {
      if (silence_allowed(invite, now_real_ms)) {
        ++(ended_first(invite) ? t.ended_before_receipt : t.expired_unreceived);
      } else {
        ++t.lost;
        if (t.lost_examples.size() < 10) {
          t.lost_examples.push_back(where + (invite.acked ? ", acked by the device" : ", never acked"));
        }
      }
      continue;
    }
    ++t.delivered;
    if (ring_count > 0) {
      ++t.rang;
    } else {
      ++t.missed_only;
    }
    if (ring_count > 1 || missed_count > 1) {
      ++t.twice;
      if (t.twice_examples.size() < 10) {
        t.twice_examples.push_back(where + ": " + std::to_string(ring_count) + " rings, " + std::to_string(missed_count) +
                                   " missed");
      }
    }
    if (ring_count > 0) {
      for (std::int64_t at : rings->second) {
        if (at > invite.expiry_real_ms + late_slack_ms) {
          ++t.rang_late;
          if (t.late_examples.size() < 10) {
            t.late_examples.push_back(where + ": rang " + std::to_string(at - invite.expiry_real_ms) +
                                      " ms after its expiry");
          }
          break;
        }
      }
    }
    if (missed_count > 0) {
      for (const auto& [at, reason] : missed->second) {
        if (reason == "expired" && at + kEarlySlackMs < invite.expiry_real_ms) {
          ++t.missed_expired_early;
          break;
        }
      }
    }
  }
  for (std::size_t d = 0; d < apps.size(); ++d) {
    auto count_unexpected = [&](const std::string& call_id) {
      if (sent[d].count(call_id) != 0) return;
      ++t.unexpected;
      if (t.unexpected_examples.size() < 10) t.unexpected_examples.push_back(call_id + " on device " + std::to_string(d));
    };
    for (const auto& entry : apps[d].rings) count_unexpected(entry.first);
    for (const auto& entry : apps[d].missed) count_unexpected(entry.first);
  }
  return t;
}

bool settled(const std::vector<InviteRecord>& invites, const std::vector<AppEvents>& apps, std::int64_t now_real_ms) {
  for (const InviteRecord& invite : invites) {
    if (has_event(apps.at(invite.device), invite.call_id)) continue;
    if (!silence_allowed(invite, now_real_ms)) return false;
  }
  return true;
}

}  // namespace callsignal::chaos
